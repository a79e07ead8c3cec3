"""Vigie project configuration: settings, URLs and the Celery application."""

from .dotenv import read_dotenv

# Before anything reads the environment (the Celery app below picks the settings module).
read_dotenv()

from .celery import app as celery_app  # noqa: E402 - after read_dotenv()

__all__ = ["celery_app"]
