import pytest

from tests.support.processes import clean_env, run_command


@pytest.fixture(scope="session", autouse=True)
def collected_static():
    """Run collectstatic once, as the buildpack does at build time: pages link hashed static files."""
    result = run_command(["python", "manage.py", "collectstatic", "--noinput"], clean_env())
    assert result.returncode == 0, result.stderr
