"""The demo data set: demo users (one per role) and each app's demo records.

Each app contributes a `load(user)` function in `<app>/demo.py` (`demo_loaders`), run in the order of
INSTALLED_APPS: the roster (organization) before the domains that name employees, reporting after the
domains it computes from. Each is idempotent (creates what is missing) and returns a one-line summary.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection, transaction

from . import roles
from .discovery import app_modules

#: The development password of the demo users, printed by `make run`: public, so never on a production server.
DEFAULT_DEMO_PASSWORD = "vigie-demo-2023"
# username → (role group or None for the superuser, first name, last name)
DEMO_USERS: dict[str, tuple[str | None, str, str]] = {
    "admin": (None, "Admin", "Vigie"),
    "conformite": (roles.COMPLIANCE_OFFICER, "Claire", "Conformité"),
    "dpo": (roles.DPO, "Denis", "Protection"),
    # The DPO of the subsidiary ONV (each legal entity names its own; organization/demo.py DEMO_CONTACTS).
    "dpo-onv": (roles.DPO, "Olivia", "Nouvel"),
    "formation": (roles.TRAINING_MANAGER, "Fanny", "Formation"),
    "auditeur": (roles.AUDITOR, "Aurélien", "Audit"),
    # The AML/CFT officer: the only one who sees the aml app (and the superuser, by setting).
    "lcbft": (roles.AML_OFFICER, "Léa", "Vigilance"),
    # The whistleblowing referent: the only one who sees who wrote a report and what it says (superusers not).
    "referent": (roles.WHISTLEBLOWING_REFERENT, "Rémi", "Signalement"),
}
#: The demo users who hold a second role: the referent works in the compliance department, so they may read the
#: conflict-of-interest cases a report leads to and link it to them (linking needs the view of the target).
DEMO_EXTRA_GROUPS: dict[str, tuple[str, ...]] = {"referent": (roles.COMPLIANCE_OFFICER,)}


class DemoRefused(ImproperlyConfigured):
    """The demo data set may not be loaded with these settings (production without a demo-server flag)."""


def demo_password() -> str:
    """The demo users' password: VIGIE_DEMO_PASSWORD, else the public development default.

    The default only ever goes into the embedded SQLite database of the development settings. Anywhere
    else (production settings, or a PostgreSQL database that may hold real data, reached through the
    development settings) the demo loads only on a server flagged VIGIE_DEMO_SERVER, and then only with
    a VIGIE_DEMO_PASSWORD of its own: a stranger who read the README must not log in as the superuser."""
    password = settings.VIGIE_DEMO_PASSWORD
    if embedded_demo():
        return password or DEFAULT_DEMO_PASSWORD
    if not settings.VIGIE_DEMO_SERVER:
        where = (
            "on production settings"
            if settings.VIGIE_PRODUCTION
            else f"on a {connection.vendor} database (it may hold real data; the demo goes into the embedded SQLite)"
        )
        raise DemoRefused(
            f"load_demo refuses to run {where}: it creates a superuser and demo records. For a server set up "
            "for demonstrations only, set VIGIE_DEMO_SERVER=true and VIGIE_DEMO_PASSWORD."
        )
    if not password or password == DEFAULT_DEMO_PASSWORD:
        raise DemoRefused(
            "VIGIE_DEMO_SERVER needs VIGIE_DEMO_PASSWORD set to a password of its own: the development "
            "default is public."
        )
    try:
        validate_password(password)
    except ValidationError as exc:
        raise DemoRefused("VIGIE_DEMO_PASSWORD is refused by the password rules: " + " ".join(exc.messages)) from exc
    return password


def embedded_demo() -> bool:
    """The development settings on the embedded SQLite database: where the public default password may go."""
    return not settings.VIGIE_PRODUCTION and connection.vendor == "sqlite"


def load_users(password: str) -> dict[str, Any]:
    """Create the demo users with `password`; existing ones keep theirs."""
    User = get_user_model()
    users = {}
    for username, (group_name, first, last) in DEMO_USERS.items():
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@example.org",
                "is_staff": True,
                "is_superuser": group_name is None,
            },
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        for name in ((group_name,) if group_name else ()) + DEMO_EXTRA_GROUPS.get(username, ()):
            user.groups.add(Group.objects.get(name=name))
        users[username] = user
    return users


def demo_loaders() -> list[Callable[..., str]]:
    """The `load` of every installed app's demo module, in the order of INSTALLED_APPS (this module has none:
    it runs them)."""
    return [module.load for _config, module in app_modules("demo") if hasattr(module, "load")]


def load_demo(stdout_write: Callable[[str], None] = print) -> None:
    password = demo_password()  # first: a refused load writes nothing
    roles.setup_roles()
    with transaction.atomic():
        users = load_users(password)
        stdout_write(f"users: {', '.join(users)}")
    for loader in demo_loaders():
        with transaction.atomic():
            stdout_write(loader(user=users["admin"]))
