"""The README fits on a screen per question, and every relative link in it and in docs/ leads somewhere."""

import re

import pytest

from tests.support.processes import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# [text](target): a link, not an image's inner brackets; external and mail links are not checked here.
LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchors(markdown: str) -> set[str]:
    """The ids GitHub gives a file's headings: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#{1,6} +(.+?) *$", markdown, flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


def relative_links(path):
    for target in LINK.findall(path.read_text()):
        if not re.match(r"[a-z]+:", target):
            yield target


def test_readme_is_at_most_200_lines():
    lines = (ROOT / "README.md").read_text().splitlines()

    assert len(lines) <= 200, f"README.md has {len(lines)} lines; move the long parts into docs/"


@pytest.mark.parametrize("path", DOCS, ids=lambda path: path.name)
def test_every_relative_link_leads_to_a_file_and_heading_that_exist(path):
    broken = []
    for target in relative_links(path):
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked.read_text()):
            broken.append(f"{target}: no such heading")

    assert not broken, f"{path.name} links to " + "; ".join(broken)
