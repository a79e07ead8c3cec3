"""The demo data set: demo users (one per role) and each app's demo records.

Each app contributes a `load(user)` function listed in DEMO_LOADERS, run in this order; each is
idempotent (creates what is missing) and returns a one-line summary.
"""
from __future__ import annotations

import os
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.module_loading import import_string

from . import roles

DEMO_LOADERS: tuple[str, ...] = ("organization.demo.load", "gdpr.demo.load", "compliance.demo.load", "training.demo.load",
                                  "reporting.demo.load")

DEMO_PASSWORD = os.environ.get("VIGIE_DEMO_PASSWORD", "vigie-demo-2023")
# username → (role group or None for the superuser, first name, last name)
DEMO_USERS: dict[str, tuple[str | None, str, str]] = {
    "admin": (None, "Admin", "Vigie"),
    "conformite": (roles.COMPLIANCE_OFFICER, "Claire", "Conformité"),
    "dpo": (roles.DPO, "Denis", "Protection"),
    "formation": (roles.TRAINING_MANAGER, "Fanny", "Formation"),
    "auditeur": (roles.AUDITOR, "Aurélien", "Audit"),
}


def load_users() -> dict[str, object]:
    """Create the demo users (password VIGIE_DEMO_PASSWORD); existing ones keep their password."""
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
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        if group_name:
            user.groups.add(Group.objects.get(name=group_name))
        users[username] = user
    return users


def load_demo(stdout_write: Callable[[str], None] = print) -> None:
    roles.setup_roles()
    with transaction.atomic():
        users = load_users()
        stdout_write(f"users: {', '.join(users)}")
    for path in DEMO_LOADERS:
        loader = import_string(path)
        with transaction.atomic():
            stdout_write(loader(user=users["admin"]))
