"""Shared fixtures: real services when they are there, a clear skip (or, in CI, a failure) when not."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.processes import own_redis  # noqa: F401 - a fixture for every test

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_service(reason: str) -> None:
    """Skip locally, fail in CI: CI promises the real services are there."""
    if IN_CI:
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_report_header(config: pytest.Config) -> list[str]:
    db = settings.DATABASES["default"]
    broker = settings.CELERY_BROKER_URL.split("@")[-1]
    return [
        f"vigie: database engine={db['ENGINE'].rsplit('.', 1)[-1]} name={db.get('NAME')} host={db.get('HOST') or '-'}",
        f"vigie: celery broker={broker} redis_url={'set' if settings.REDIS_URL else 'unset'} CI={IN_CI}",
    ]


@pytest.fixture
def redis_url() -> str:
    """A reachable Redis, or skip (fail in CI)."""
    url = settings.REDIS_URL
    if not url:
        require_service("REDIS_URL is not set: no Redis to test against")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        require_service(f"Redis at {url} does not answer: {exc}")
    return url


@pytest.fixture
def postgres(db) -> None:
    """The test database is PostgreSQL, or skip (fail in CI)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        require_service("DATABASE_URL does not point at PostgreSQL: this test needs it")


@pytest.fixture
def roles(db) -> None:
    """The groups of the roles and their permissions (`manage.py setup_roles`), for clients with a role."""
    call_command("setup_roles", verbosity=0)


@pytest.fixture
def english_messages():
    """Messages in English, for tests that assert their wording (the default language is French)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def isolated_media(settings, tmp_path):
    """Uploaded and generated files (rejects CSVs...) go to a per-test folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
