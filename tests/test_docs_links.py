"""Every relative link in README.md, SECURITY.md and docs/*.md leads to a file of the
repository, and a link to a heading (`page.md#heading`) to a heading that page has."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted([ROOT / "README.md", ROOT / "SECURITY.md", *(ROOT / "docs").glob("*.md")])

# [text](target) and ![alt](target); not inside code spans or fenced blocks.
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
CODE = re.compile(r"`[^`\n]*`")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)


def _prose(text: str) -> str:
    return CODE.sub("", FENCE.sub("", text))


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    heading = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading: its text
    heading = heading.strip().lower()
    heading = re.sub(r"[^\w\- ]", "", heading)
    return heading.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    anchors = set()
    for heading in HEADING.findall(FENCE.sub("", page.read_text(encoding="utf-8"))):
        slug = _slug(heading)
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        anchors.add(slug if n == 0 else f"{slug}-{n}")
    return anchors


def broken(page: Path, text: str | None = None) -> list[str]:
    if text is None:
        text = page.read_text(encoding="utf-8")
    found = []
    for target in LINK.findall(_prose(text)):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto: … not ours to check
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.is_relative_to(ROOT) or not file.exists():
            found.append(f"{target}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in _anchors(file):
            found.append(f"{target}: no such heading")
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_leads_somewhere(page):
    assert broken(page) == []


def test_the_check_finds_a_missing_file_and_a_missing_heading():
    text = (
        "[gone](gone.md) [ok](operating.md#command-line) [bad](operating.md#no-such-heading)\n"
        "[up](../README.md) [out](../../elsewhere.md) `[code](ignored.md)`\n"
        "```\n[fenced](fenced.md)\n```\n"
    )
    assert broken(ROOT / "docs" / "probe.md", text) == [
        "gone.md: no such file",
        "operating.md#no-such-heading: no such heading",
        "../../elsewhere.md: no such file",
    ]


def test_readme_is_a_quick_start():
    """The first screen says what ILP is and how to start; no section is named after an issue."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    head = "\n".join(readme.splitlines()[:20])
    assert "ILP holds every seat license" in head
    assert "make run" in readme and "make test" in readme
    assert "demo-password-1" in readme
    for page in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        for heading in HEADING.findall(page.read_text(encoding="utf-8")):
            assert not re.search(r"\b(issue|branch)\s+`?\w", heading, re.I), (page.name, heading)
