"""docker-compose.yml, checked by reading (no Docker engine here): production's required variables have no
silent default, the mail catcher runs only when asked for, and every image is pinned."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from django.conf import settings

COMPOSE = yaml.safe_load((Path(settings.BASE_DIR) / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]
APP = SERVICES["web"]["environment"]


def test_production_s_required_variables_have_no_silent_default():
    # ${NAME:?message} stops `docker compose up`; ${NAME:-default} would start with the default.
    for name in ("EMAIL_HOST", "VIGIE_SITE_URL"):
        assert re.fullmatch(r"\$\{" + name + r":\?[^}]+\}", APP[name]), (name, APP[name])
    assert "POSTGRES_PASSWORD:?" in APP["DATABASE_URL"]
    assert APP["DJANGO_SETTINGS_MODULE"] == "config.settings.production"


def test_the_mail_catcher_runs_only_in_its_profile_and_nothing_depends_on_it():
    assert SERVICES["mailpit"]["profiles"] == ["mailcatcher"]
    for name, service in SERVICES.items():
        assert "mailpit" not in (service.get("depends_on") or {}), name


def test_every_image_is_pinned():
    for name, service in SERVICES.items():
        image = service.get("image", "")
        if "build" in service:
            continue  # Vigie's own image, built from this checkout
        assert ":" in image and not image.endswith(":latest"), (name, image)


def test_the_backup_service_archives_the_media_and_the_whistleblowing_attachments_read_only():
    # The web's data volumes besides the database; the attachments live outside MEDIA_ROOT on purpose.
    backup = SERVICES["backup"]
    assert {"media:/media:ro", "whistleblowing:/whistleblowing:ro"} <= set(backup["volumes"])
    assert "whistleblowing:/var/lib/vigie/whistleblowing" in SERVICES["web"]["volumes"]
    command = " ".join(backup["command"])
    assert "--media /media" in command and "--attachments /whistleblowing" in command


def test_the_image_s_install_packages_every_project_app():
    """The image runs `pip install .`: an app left out of `packages.find` would ship without its code."""
    import tomllib
    from fnmatch import fnmatchcase

    pyproject = tomllib.loads((Path(settings.BASE_DIR) / "pyproject.toml").read_text())
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    top_level = {name.split(".")[0] for name in settings.INSTALLED_APPS} | {"config"}
    ours = {name for name in top_level if (Path(settings.BASE_DIR) / name / "__init__.py").is_file()}
    assert "whistleblowing" in ours and "core" in ours
    left_out = {name for name in ours if not any(fnmatchcase(name, pattern) for pattern in include)}
    assert not left_out, f"not packaged by `pip install .`: {sorted(left_out)}"
