"""Everything of the app that needs gunicorn, for gunicorn.conf.py alone to import: a clean access log, a flush.

gunicorn.conf.py names AccessLogger as its logger_class and worker_exit as its hook.

Each access line goes to stdout, so to `heroku logs`, every log add-on and the log
drain itself: it must hold no credential. gunicorn's own line prints the
Basic-auth user (a drain URL written https://SECRET@host/heroku/logs/ sends
the secret as the user), the query string and the Referer as they came, and
any header or environ variable a custom access_log_format names. Here the
user is always "-", a query value under a secret name (scrubbing.py's table)
or holding a secret the patterns find is "[Filtered]", and so is every
header and environ atom with a secret name (Authorization, Cookie,
Set-Cookie, X-Api-Key...).

The log drain asks for its handled batches (drain/view.py): each access line is
itself drained back by Logplex in the next batch, so logging them would double
the log an app pays Logplex and its add-ons for, with nothing a person reads.
"""

from urllib.parse import unquote_plus

from gunicorn.glogging import Logger

from .drain.view import QUIET
from .scrubbing import FILTERED, is_secret_key, secrets_in_text
from .sdk import flush_on_exit

# Atoms that hold a query string, by gunicorn's names ({name}e are environ variables).
_URL_ATOMS = ("r", "q", "f", "{raw_uri}e", "{query_string}e", "{http_referer}e", "{referer}i")


def without_secrets(url: str) -> str:
    """A request line, URL or query string with the value of every secret parameter filtered."""
    if "?" in url:
        head, mark, query = url.partition("?")
    elif "=" in url:
        head, mark, query = "", "", url  # the query string alone
    else:
        return url
    query, space, rest = query.partition(" ")  # the request line's " HTTP/1.1"
    parameters = []
    for parameter in query.split("&"):
        name, equals, value = parameter.partition("=")
        if equals and (is_secret_key(unquote_plus(name)) or secrets_in_text(unquote_plus(value))):
            value = FILTERED
        parameters.append(name + equals + value)
    return head + mark + "&".join(parameters) + space + rest


class AccessLogger(Logger):
    def access(self, resp, req, environ, request_time):
        if environ.get(QUIET):
            return
        super().access(resp, req, environ, request_time)

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["u"] = "-"
        for name in _URL_ATOMS:
            if isinstance(atoms.get(name), str):
                atoms[name] = without_secrets(atoms[name])
        for name in atoms:
            if name.startswith("{") and is_secret_key(name[1:-2]):
                atoms[name] = FILTERED
        return atoms


def worker_exit(server, worker):
    """gunicorn's hook as a worker stops: send what the SDK still holds."""
    flush_on_exit()
