"""Production settings refuse to start without their secrets and services, pass Django's deployment checks,
and no entry point silently falls back to the development settings: `.env` is read by manage.py (and
gunicorn and Celery, through the `config` package), gunicorn's module and the image refuse other settings."""

import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BASE = str(settings.BASE_DIR)
#: What a production deployment sets (docker-compose.yml and .env.example); `check` connects to nothing.
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "ALLOWED_HOSTS": "vigie.example.com",
    "DATABASE_URL": "postgres://vigie:secret@db.example.com:5432/vigie",
    "REDIS_URL": "redis://redis.example.com:6379/0",
    "EMAIL_HOST": "smtp.example.com",
    "VIGIE_SITE_URL": "https://vigie.example.com",
}
#: Variables of the developer's or CI's shell that would change what these subprocesses see.
CLEARED = {*PRODUCTION_ENV, "SECRET_KEY", "VIGIE_DOTENV", "VIGIE_VAR_DIR"}


def _env(tmp_path: Path, **env: str) -> dict[str, str]:
    full = {k: v for k, v in os.environ.items() if k not in CLEARED}
    full["VIGIE_VAR_DIR"] = str(tmp_path / "var")  # nothing written into the checkout
    empty = tmp_path / "empty.env"  # no developer's .env either, unless a test names one
    empty.touch()
    full["VIGIE_DOTENV"] = str(empty)
    full.update(env)
    return {k: v for k, v in full.items() if v is not None}


def run_manage(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE,
        env=_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def production(**overrides: str | None) -> dict[str, str | None]:
    return {**PRODUCTION_ENV, "SECRET_KEY": secrets.token_urlsafe(60), **overrides}


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SECRET_KEY", None),
        ("SECRET_KEY", "too-short"),
        ("ALLOWED_HOSTS", None),
        ("DATABASE_URL", None),
        ("DATABASE_URL", "sqlite:////tmp/vigie.sqlite3"),
        ("REDIS_URL", None),
        ("EMAIL_HOST", None),
        ("VIGIE_SITE_URL", None),
    ],
)
def test_production_refuses_to_start_without_each_of_its_variables(tmp_path, variable, value):
    result = run_manage(tmp_path, "check", **production(**{variable: value}))
    assert result.returncode != 0
    assert variable in result.stderr
    assert "ImproperlyConfigured" in result.stderr


@pytest.mark.parametrize("variable", ["SECRET_KEY", "DATABASE_URL", "POSTGRES_PASSWORD", "EMAIL_HOST_PASSWORD"])
def test_production_refuses_the_placeholders_of_the_env_example(tmp_path, variable):
    placeholder = {"SECRET_KEY": "CHANGE-ME" * 8, "DATABASE_URL": "postgres://vigie:CHANGE-ME@postgres:5432/vigie"}
    result = run_manage(tmp_path, "check", **production(**{variable: placeholder.get(variable, "CHANGE-ME")}))
    assert result.returncode != 0
    assert "CHANGE-ME" in result.stderr and variable in result.stderr


def test_admins_are_read_from_the_environment(tmp_path):
    code = "from django.conf import settings as s; print(s.ADMINS)"
    result = run_manage(tmp_path, "shell", "-v", "0", "-c", code, ADMINS="ops@example.com,dsi@example.com")
    assert result.stdout.strip() == str(
        [("ops@example.com", "ops@example.com"), ("dsi@example.com", "dsi@example.com")]
    )


def test_production_names_every_missing_variable_at_once(tmp_path):
    result = run_manage(tmp_path, "check", DJANGO_SETTINGS_MODULE="config.settings.production")
    assert result.returncode != 0
    for variable in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "EMAIL_HOST", "VIGIE_SITE_URL"):
        assert variable in result.stderr


def test_production_passes_the_deployment_checks(tmp_path):
    result = run_manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **production())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_manage_py_reads_the_dotenv_file_and_the_environment_wins(tmp_path):
    dotenv = tmp_path / "vigie.env"
    lines = [f"{k}={v}" for k, v in production(VIGIE_SITE_URL="https://from-dotenv.example.com").items()]
    dotenv.write_text(
        "# the deployment's file\n" + "\n".join(lines) + "\nVIGIE_DIGEST_HOUR=9  # a comment\n", encoding="utf-8"
    )
    code = "from django.conf import settings as s; print(s.SETTINGS_MODULE, s.VIGIE_SITE_URL, s.VIGIE_DIGEST_HOUR)"
    read = run_manage(tmp_path, "shell", "-v", "0", "-c", code, VIGIE_DOTENV=str(dotenv))
    assert read.returncode == 0, read.stderr
    assert read.stdout.split() == ["config.settings.production", "https://from-dotenv.example.com", "9"]

    overridden = run_manage(tmp_path, "shell", "-v", "0", "-c", code, VIGIE_DOTENV=str(dotenv), VIGIE_DIGEST_HOUR="6")
    assert overridden.stdout.split()[2] == "6"


def test_the_dotenv_file_is_read_as_docker_compose_reads_it(tmp_path):
    """A `#` inside a value, quotes, spaces: the same values inside and outside Docker."""
    dotenv = tmp_path / "vigie.env"
    dotenv.write_text(
        'EMAIL_HOST_PASSWORD=pa#ss\nDEFAULT_FROM_EMAIL="Vigie #1 <vigie@example.com>"\n'
        "EMAIL_HOST_USER=  relay  \nVIGIE_DIGEST_HOUR=8 # the morning\n",
        encoding="utf-8",
    )
    code = (
        "from django.conf import settings as s; print(repr((s.EMAIL_HOST_PASSWORD, s.DEFAULT_FROM_EMAIL, "
        "s.EMAIL_HOST_USER, s.VIGIE_DIGEST_HOUR)))"
    )
    result = run_manage(tmp_path, "shell", "-v", "0", "-c", code, VIGIE_DOTENV=str(dotenv))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == repr(("pa#ss", "Vigie #1 <vigie@example.com>", "relay", 8))


def test_a_dotenv_file_named_but_missing_stops_the_start(tmp_path):
    result = run_manage(tmp_path, "check", VIGIE_DOTENV=str(tmp_path / "missing.env"))
    assert result.returncode != 0
    assert "VIGIE_DOTENV names" in result.stderr and "missing.env" in result.stderr


def test_without_dotenv_manage_py_runs_the_development_settings(tmp_path):
    result = run_manage(
        tmp_path, "shell", "-v", "0", "-c", "from django.conf import settings as s; print(s.SETTINGS_MODULE)"
    )
    assert result.stdout.strip() == "config.settings.local"


def _python(tmp_path: Path, code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=BASE, env=_env(tmp_path, **env), capture_output=True, text=True, timeout=120
    )


def test_the_wsgi_module_refuses_the_development_settings(tmp_path):
    # What gunicorn does: import config.wsgi. Unset, the settings module is the development default.
    result = _python(tmp_path, "import config.wsgi")
    assert result.returncode != 0
    assert "config.wsgi serves production settings only" in result.stderr
    assert "config.settings.local" in result.stderr


def test_the_wsgi_module_serves_production_settings(tmp_path):
    result = _python(tmp_path, "import config.wsgi; print(config.wsgi.application.__class__.__name__)", **production())
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "WSGIHandler"


@pytest.mark.parametrize("command", ["web", "worker", "beat", "migrate", "manage"])
def test_the_image_entrypoint_refuses_other_settings(tmp_path, command):
    sh = shutil.which("sh")
    result = subprocess.run(
        [sh, str(Path(BASE) / "docker" / "entrypoint.sh"), command, "check"],
        env=_env(tmp_path, DJANGO_SETTINGS_MODULE="config.settings.local"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "refusing to start" in result.stderr


def test_production_static_files_have_hashed_names_and_a_long_cache_lifetime(tmp_path):
    env = production(SECURE_SSL_REDIRECT="false")
    collected = run_manage(tmp_path, "collectstatic", "--noinput", "-v", "0", **env)
    assert collected.returncode == 0, collected.stderr
    code = (
        "import django; django.setup()\n"
        "from django.templatetags.static import static\n"
        "from django.test import Client\n"
        "url = static('admin/css/base.css')\n"
        "response = Client().get(url, HTTP_HOST='vigie.example.com')\n"
        "print(url, response.status_code, response.headers.get('Cache-Control'))\n"
    )
    result = _python(tmp_path, code, **env)
    assert result.returncode == 0, result.stderr
    url, status, cache = result.stdout.split(maxsplit=2)
    assert url.startswith("/static/admin/css/base.") and url != "/static/admin/css/base.css"  # content hash
    assert status == "200"
    assert "max-age=315360000" in cache and "immutable" in cache


# -- VIGIE_SITE_URL: the address in every link Vigie sends (issue 19, item 6) --------------------------------


@pytest.mark.parametrize(
    "value", ["vigie.example.com", "ftp://vigie.example.com", "https://", "https://vigie.example.com/?a=1"]
)
def test_production_refuses_a_site_url_that_is_not_an_absolute_http_address(tmp_path, value):
    result = run_manage(tmp_path, "check", **production(VIGIE_SITE_URL=value))
    assert result.returncode != 0
    assert "VIGIE_SITE_URL must be an absolute http(s) address" in result.stderr
    assert repr(value.rstrip("/")) in result.stderr


def test_the_site_url_system_check_agrees_with_the_production_settings(settings):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    from core.checks import check_site_url, site_url_problem

    settings.VIGIE_PRODUCTION = True
    for value in ("", "vigie.example.com", "mailto:dpo@example.com", "http://:80"):
        settings.VIGIE_SITE_URL = value
        assert [message.id for message in check_site_url()] == ["core.E401"], value
        assert check_site_url()[0].msg == site_url_problem(value)
    settings.VIGIE_SITE_URL = ""
    with pytest.raises(SystemCheckError, match="core.E401"):  # registered: `manage.py check` fails
        call_command("check")
    settings.VIGIE_SITE_URL = "http://127.0.0.1:8000"
    assert [message.id for message in check_site_url()] == ["core.W401"]
    settings.VIGIE_SITE_URL = "https://vigie.example.com/conformite"
    assert check_site_url() == []
    # The embedded default is not production: its default address is fine.
    settings.VIGIE_PRODUCTION, settings.VIGIE_SITE_URL = False, ""
    assert check_site_url() == []


def _make_run(tmp_path: Path, *args: str, **env: str) -> str:
    make = shutil.which("make")
    if make is None:  # pragma: no cover - make is part of every development machine and of CI
        pytest.skip("make is not installed")
    result = subprocess.run(
        [make, "-n", "run", *args], cwd=BASE, env=_env(tmp_path, **env), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_run_links_to_the_host_and_port_it_serves(tmp_path):
    planned = _make_run(tmp_path, "PORT=8123")
    assert "manage.py demo_logins --url http://127.0.0.1:8123/admin/" in planned
    assert "PORT=8123 VIGIE_SITE_URL=http://127.0.0.1:8123 " in planned
    assert '"http://127.0.0.1:8123" > ' in planned and "/site-url" in planned  # for commands run by hand
    # A server on every interface is linked at the loopback address; VIGIE_SITE_URL, when set, wins.
    assert "VIGIE_SITE_URL=http://127.0.0.1:9000 " in _make_run(tmp_path, "HOST=0.0.0.0", "PORT=9000")
    assert "VIGIE_SITE_URL=https://vigie.example.org " in _make_run(
        tmp_path, "PORT=8123", VIGIE_SITE_URL="https://vigie.example.org"
    )


def test_every_process_of_make_run_gets_the_site_url_whatever_a_dotenv_file_says(tmp_path):
    """honcho reads `.env` by default and lets it override the environment: a production `.env` beside a
    development checkout would send the worker's emails to its address. `make run` tells honcho to read none."""
    planned = _make_run(tmp_path, "PORT=8123").splitlines()
    line = next(line for line in planned if "honcho" in line)
    options = line.split("honcho", 1)[1].split()
    assert options[-1] == "start"
    options = [option for option in options if option not in ("-f", "Procfile.dev", "start")]
    procfile = (Path(BASE) / "Procfile.dev").read_text()
    names = [entry.split(":", 1)[0] for entry in procfile.splitlines() if entry.strip()]
    assert set(names) == {"web", "worker", "beat"} and "VIGIE_SITE_URL" not in procfile
    app = tmp_path / "app"
    app.mkdir()
    (app / ".env").write_text("VIGIE_SITE_URL=https://from-dotenv.example.com\n")
    (app / "Procfile").write_text("".join(f"{name}: echo {name}=$VIGIE_SITE_URL\n" for name in names))
    honcho = str(Path(sys.executable).parent / "honcho")
    result = subprocess.run(
        [honcho, *options, "-f", "Procfile", "start"],
        cwd=app,
        env=_env(tmp_path, VIGIE_SITE_URL="http://127.0.0.1:8123", PORT="8123"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    seen = set(re.findall(r"\| (\w+)=(\S+)", result.stdout))
    assert seen == {(name, "http://127.0.0.1:8123") for name in names}, result.stdout


def test_the_embedded_settings_link_to_the_last_make_run(tmp_path):
    code = "from django.conf import settings as s; print(s.VIGIE_SITE_URL)"
    local = {"DJANGO_SETTINGS_MODULE": "config.settings.local"}
    assert run_manage(tmp_path, "shell", "-v", "0", "-c", code, **local).stdout.strip() == "http://127.0.0.1:8000"
    (tmp_path / "var").mkdir(exist_ok=True)
    (tmp_path / "var" / "site-url").write_text("http://127.0.0.1:8123\n")
    assert run_manage(tmp_path, "shell", "-v", "0", "-c", code, **local).stdout.strip() == "http://127.0.0.1:8123"
    overridden = run_manage(tmp_path, "shell", "-v", "0", "-c", code, VIGIE_SITE_URL="https://x.example.org", **local)
    assert overridden.stdout.strip() == "https://x.example.org"
