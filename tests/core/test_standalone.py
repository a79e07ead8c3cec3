"""The repository stands alone: a clone into an empty folder runs, tests and documents Vigie with nothing
beside it. No tracked file reaches outside the repository, and every relative link of the README and of
docs/ names a file the clone has."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
#: A path that leaves the repository: the notes folder beside it, a BASE_DIR's parent joined with a folder name...
_NOTES = "sha" + "red"  # the founders' notes folder, spelt apart so that this file does not name its path
OUTSIDE = re.compile(rf"\.\./{_NOTES}|\.parent\s*/\s*[\"']{_NOTES}[\"']|/work/{_NOTES}")
#: A design note of the founders that is not in the repository (its content lives in docs/, in lower case).
ABSENT_NOTE = re.compile(r"\b(?:RULES|INTERFACES|ARCHITECTURE|STYLE)\.md\b|" + _NOTES + r"/(?:design|reference)\b")
#: A Markdown link or image: [text](target).
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _tracked() -> list[Path]:
    try:
        names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the list of tracked files is unknown")
    return [ROOT / name for name in names.decode().split("\0") if name]


def _occurrences(pattern: re.Pattern[str]) -> list[str]:
    """`file:line: match` for every match of `pattern` in the tracked text files (this test file aside)."""
    found = []
    this = Path(__file__).resolve()
    for path in _tracked():
        if path.resolve() == this or path.suffix in {".mo", ".png", ".xlsx", ".sqlite3"} or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        found += [
            f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)}"
            for m in pattern.finditer(text)
        ]
    return found


def test_no_tracked_file_reaches_outside_the_repository():
    assert _occurrences(OUTSIDE) == []


def test_no_tracked_file_sends_its_reader_to_a_note_outside_the_repository():
    """A comment, docstring, API description or document that says "see RULES.md" sends its reader to a
    file a clone does not have: it names the docs/ page instead."""
    assert _occurrences(ABSENT_NOTE) == []


def _documents() -> list[Path]:
    return [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("**/*.md"))]


def test_the_documentation_exists():
    for name in ("architecture.md", "rules.md", "interfaces.md", "deployment.md"):
        assert (ROOT / "docs" / name).is_file(), name


@pytest.mark.parametrize("document", _documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_names_a_file_of_the_repository(document):
    broken = []
    for target in LINK.findall(document.read_text(encoding="utf-8")):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # http(s):, mailto:, an anchor of the same page
        path = (document.parent / target.split("#", 1)[0]).resolve()
        if not path.exists() or ROOT.resolve() not in path.parents:
            broken.append(target)
    assert broken == []
