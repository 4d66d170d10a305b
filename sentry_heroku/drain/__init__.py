"""Heroku's HTTPS log drain, POST /heroku/logs/: the platform's own errors as Sentry events about their dyno,
and Scheduler runs that died as error check-ins.

Where things are:

- view.py: the view Logplex posts to (its answers, the Frame-Id dedupe) and the receiver that groups and sends;
- frames.py: a POST body read into log lines (Logplex's octet-counted RFC 5424 frames);
- lines.py: what a line means: the CODES table and classify(), a line into a PlatformError;
- events.py: what Sentry gets for a PlatformError: its tags, fingerprint and event;
- throttle.py: at most a few events per issue and dyno a window, every line still counted;
- scheduler.py: a scheduler.N dyno's failed run (non-zero exit, crash) as an error check-in for its job.

docs/heroku-errors.md says what is reported, and why.
"""
