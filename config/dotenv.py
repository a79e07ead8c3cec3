"""The deployment's `.env` file, read into the environment before Django or Celery start.

docker compose hands `.env` to the containers itself; outside Docker, `manage.py`, gunicorn
(`config.wsgi`) and Celery (`celery -A config`) read it here, so that the same file configures every
process and none falls back to the development settings because a variable was missing. python-dotenv
reads it as docker compose does (a `#` starts a comment only after a space, quotes are removed, spaces
around an unquoted value are trimmed, `${VAR}` is expanded), so a password holding `#` is the same
inside and outside Docker. Variables already set in the environment win over the file. The test
settings never read it: a developer's `.env` must not point the test suite at a real database.
"""

from __future__ import annotations

import os
from pathlib import Path

from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent
TEST_SETTINGS = "config.settings.test"


class DotenvMissing(RuntimeError):
    """VIGIE_DOTENV names a file that does not exist: starting anyway would run the development defaults."""


def dotenv_path() -> tuple[Path, bool]:
    """The file to read, and whether it was named explicitly (VIGIE_DOTENV) rather than the default
    `.env` at the repository's root."""
    named = os.environ.get("VIGIE_DOTENV")
    return (Path(named), True) if named else (BASE_DIR / ".env", False)


def read_dotenv() -> Path | None:
    """Read the `.env` file into os.environ (existing variables kept); the path read, or None."""
    if os.environ.get("DJANGO_SETTINGS_MODULE") == TEST_SETTINGS:
        return None
    path, named = dotenv_path()
    if not path.is_file():
        if named:
            raise DotenvMissing(f"VIGIE_DOTENV names {path}, which is not a file: refusing to start without it.")
        return None
    load_dotenv(path, override=False, encoding="utf-8")
    return path
