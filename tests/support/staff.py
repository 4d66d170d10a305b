"""A staff user and a logged-in session in a real process's database, for requests to staff-only URLs."""

from urllib.parse import urlencode

from tests.support.calls import Call
from tests.support.processes import HOST, run_command

DEBUG = "/api/sentry-debug/"
# The CSRF cookie a browser holds once the debug form's GET has set it: Django's
# format (32 letters and digits). The form sends it back as csrfmiddlewaretoken.
CSRF_SECRET = "bahkTestCsrf0123456789abcdefABCD"
# What each action answers when the app and its add-ons are well.
DEBUG_ANSWERS = {"error": 500, "log": 200, "celery": 202}

CREATE_SESSION = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
user, _ = get_user_model().objects.get_or_create(
    username="{username}", defaults={{"is_staff": {staff}, "email": "{email}"}}
)
user.set_password("correct-horse-battery-staple"); user.save()
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(session.session_key)
"""


def session_cookie(env: dict[str, str], *, username="ops", staff=True, email="ops@example.com") -> str:
    """The value of a Cookie header that logs a request in as this user."""
    script = CREATE_SESSION.format(username=username, staff=staff, email=email)
    result = run_command(["python", "manage.py", "shell", "-c", script], env)
    assert result.returncode == 0, result.stderr
    return f"sessionid={result.stdout.strip().splitlines()[-1]}"


def debug_action(cookie: str, action: str = "error", *, query: str = "", headers=None, expect=None) -> Call:
    """A staff member's POST of one of the debug form's buttons, as a browser sends it from the form's page.

    `cookie` is session_cookie()'s (with any more cookies after it); `query` goes after the path.
    """
    return Call(
        DEBUG + (f"?{query}" if query else ""),
        {
            "Cookie": f"{cookie}; csrftoken={CSRF_SECRET}",
            "Origin": f"https://{HOST}",
            "Content-Type": "application/x-www-form-urlencoded",
            **(headers or {}),
        },
        DEBUG_ANSWERS[action] if expect is None else expect,
        method="POST",
        body=urlencode({"action": action, "csrfmiddlewaretoken": CSRF_SECRET}).encode(),
    )
