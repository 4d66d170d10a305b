"""A staff user and a logged-in session in a real process's database, for requests to staff-only URLs."""

from tests.support.processes import run_command

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
