"""The deployment's `.env` file, read into the environment before Django or Celery start.

docker compose hands `.env` to the containers itself; outside Docker, `manage.py`, gunicorn
(`config.wsgi`) and Celery (`celery -A config`) read it here, so that the same file configures every
process and none falls back to the development settings because a variable was missing. Variables
already set in the environment win over the file. The test settings never read it: a developer's
`.env` must not point the test suite at a real database.
"""
from __future__ import annotations

import os
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
TEST_SETTINGS = "config.settings.test"


def dotenv_path() -> Path:
    """`VIGIE_DOTENV` when set (another file), else `.env` at the repository's root."""
    return Path(os.environ.get("VIGIE_DOTENV") or BASE_DIR / ".env")


def read_dotenv() -> Path | None:
    """Read the `.env` file into os.environ (existing variables kept); the path read, or None."""
    if os.environ.get("DJANGO_SETTINGS_MODULE") == TEST_SETTINGS:
        return None
    path = dotenv_path()
    if not path.is_file():
        return None
    # parse_comments: "KEY=value  # note" keeps "value", as docker compose reads the same file.
    environ.Env.read_env(path, overwrite=False, parse_comments=True)
    return path
