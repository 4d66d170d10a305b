"""A monitor's slug from a command line's shape: the command and the names of its options, never a value.

Heroku expands config vars in a Scheduler job's command (``--token $API_TOKEN``) before the dyno
starts, so any value may be a secret; positional arguments are values too. Options are sorted, so
their order in the dashboard does not make a second monitor.
"""

import re

# Sentry keeps 50 characters of a monitor slug.
_MAX_LENGTH = 50
_OPTION_NAME = re.compile(r"-{1,2}(?P<name>[A-Za-z][A-Za-z0-9_-]*)(?:=.*)?", re.DOTALL)


def job_slug(command: str, arguments: list[str]) -> str:
    """seed_participants --count 50 --if-empty gives "seed-participants-count-if-empty"."""
    names = set()
    for argument in arguments:
        if argument == "--":  # everything after it is positional
            break
        if match := _OPTION_NAME.fullmatch(argument):
            names.add(match["name"])
    words = [command, *sorted(names)]
    slug = "-".join(re.sub(r"[^a-z0-9]+", "-", word.lower()).strip("-") for word in words)
    return re.sub(r"-{2,}", "-", slug).strip("-")[:_MAX_LENGTH].rstrip("-")
