"""The demo data set never puts a known password on a production server: `load_demo` refuses production
settings, unless the server is flagged as a demonstration server with a password of its own."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings

from core.demo import DEFAULT_DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def _users() -> int:
    return get_user_model().objects.filter(username__in=["admin", "conformite"]).count()


@override_settings(VIGIE_PRODUCTION=True, VIGIE_DEMO_SERVER=False, VIGIE_DEMO_PASSWORD="a-Strong-demo-pass-42")
def test_load_demo_refuses_production_settings_and_writes_nothing():
    with pytest.raises(CommandError, match="production settings"):
        call_command("load_demo", verbosity=0)
    assert _users() == 0


@pytest.mark.parametrize("password", ["", DEFAULT_DEMO_PASSWORD, "short", "123456789012345"])
def test_a_demo_server_needs_a_password_of_its_own_that_passes_the_rules(password):
    with override_settings(VIGIE_PRODUCTION=True, VIGIE_DEMO_SERVER=True, VIGIE_DEMO_PASSWORD=password):
        with pytest.raises(CommandError, match="VIGIE_DEMO_PASSWORD"):
            call_command("load_demo", verbosity=0)
    assert _users() == 0


def test_a_demo_server_loads_the_demo_users_with_its_own_password(monkeypatch):
    # Only the users: the whole data set takes a while and is covered by tests/core/test_demo.py.
    monkeypatch.setattr("core.demo.demo_loaders", list)
    password = "Exposition-Vigie-2026!"
    with override_settings(VIGIE_PRODUCTION=True, VIGIE_DEMO_SERVER=True, VIGIE_DEMO_PASSWORD=password):
        call_command("load_demo", verbosity=0)
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser
    assert admin.check_password(password)
    assert not admin.check_password(DEFAULT_DEMO_PASSWORD)


@pytest.mark.postgres
def test_load_demo_refuses_a_postgresql_database_on_the_development_settings(postgres, monkeypatch):
    """`DATABASE_URL` pointing at a real server through manage.py's development default: refused too."""
    monkeypatch.setattr("core.demo.demo_loaders", list)
    with override_settings(VIGIE_PRODUCTION=False, VIGIE_DEMO_SERVER=False, VIGIE_DEMO_PASSWORD=""):
        with pytest.raises(CommandError, match="postgresql database"):
            call_command("load_demo", verbosity=0)
    assert _users() == 0


def test_the_development_settings_keep_the_printed_default(monkeypatch, capsys):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the public default goes into the embedded SQLite database only (tested on PostgreSQL above)")
    monkeypatch.setattr("core.demo.demo_loaders", list)
    with override_settings(VIGIE_PRODUCTION=False, VIGIE_DEMO_PASSWORD=""):
        call_command("load_demo", verbosity=0)
        call_command("demo_logins")
    assert get_user_model().objects.get(username="dpo").check_password(DEFAULT_DEMO_PASSWORD)
    assert DEFAULT_DEMO_PASSWORD in capsys.readouterr().out


def test_a_demo_server_does_not_print_its_password(capsys):
    with override_settings(VIGIE_PRODUCTION=True, VIGIE_DEMO_SERVER=True, VIGIE_DEMO_PASSWORD="Exposition-Vigie-2026!"):
        call_command("demo_logins")
    out = capsys.readouterr().out
    assert "Exposition-Vigie-2026!" not in out
    assert DEFAULT_DEMO_PASSWORD not in out
