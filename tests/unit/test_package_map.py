"""sentry_heroku/ as a folder to lift: its docstring's map names every module, and nothing in it names the project."""

import re

import sentry_heroku
from tests.support.processes import ROOT

APP = ROOT / "sentry_heroku"


def top_level_entries() -> set[str]:
    """The modules and subpackages a newcomer opens: name.py for a module, name/ for a package."""
    modules = {path.name for path in APP.glob("*.py") if path.name != "__init__.py"}
    packages = {f"{path.name}/" for path in APP.iterdir() if (path / "__init__.py").exists()}
    return modules | packages


def test_the_package_docstring_maps_every_module_and_names_none_that_is_gone():
    mapped = set(re.findall(r"\b([a-z_]+(?:\.py|/))", sentry_heroku.__doc__.partition("Where things are:")[2]))
    mapped.discard("commands/")  # management/commands/ is one line

    assert top_level_entries() - mapped == set(), "missing from the map"
    assert mapped - top_level_entries() == set(), "in the map, not in the folder"


def test_no_file_of_the_app_names_the_project():
    named = [
        str(path.relative_to(ROOT))
        for path in APP.rglob("*")
        if path.is_file()
        and path.suffix in {".py", ".html", ".txt"}
        and re.search(r"\b(bahk|hub)\b", path.read_text(), re.I)
    ]

    assert named == []
