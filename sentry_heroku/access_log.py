"""gunicorn's access log, without the lines a view asked to leave out.

The log drain asks for its handled batches (drain.py): each access line is
itself drained back by Logplex in the next batch, so logging them would double
the log an app pays Logplex and its add-ons for, with nothing a person reads.
gunicorn.conf.py names this class as its logger_class.
"""

from gunicorn.glogging import Logger

# Set to True in request.META (the WSGI environ) by a view whose request needs no access line.
QUIET = "sentry_heroku.quiet"


class AccessLogger(Logger):
    def access(self, resp, req, environ, request_time):
        if environ.get(QUIET):
            return
        super().access(resp, req, environ, request_time)
