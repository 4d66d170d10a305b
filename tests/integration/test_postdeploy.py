"""app.json's postdeploy script: the Deploy button lands on a map with participants on it, seeded once."""

import json

from tests.support.processes import ROOT, heroku_env, migrate, run_command

COUNT_PUBLIC = "from hub.models import Participant; print(Participant.objects.filter(is_public=True).count())"


def public_participants(env) -> int:
    result = run_command(["python", "manage.py", "shell", "-c", COUNT_PUBLIC], env)
    assert result.returncode == 0, result.stderr
    return int(result.stdout.split()[-1])


def test_postdeploy_seeds_the_demo_participants_only_into_an_empty_table(tmp_path, redis_url):
    postdeploy = json.loads((ROOT / "app.json").read_text())["scripts"]["postdeploy"]
    env = heroku_env("run.1", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", REDIS_URL=redis_url)
    migrate(env)

    first = run_command(["bash", "-c", postdeploy], env, timeout=300)
    assert first.returncode == 0, first.stdout + first.stderr
    seeded = public_participants(env)
    again = run_command(["bash", "-c", postdeploy], env, timeout=300)

    assert seeded > 0
    assert again.returncode == 0, again.stdout + again.stderr
    assert public_participants(env) == seeded
