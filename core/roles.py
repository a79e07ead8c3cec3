"""The four roles of Vigie and their model permissions, applied by `manage.py setup_roles`.

Permissions are declared per app label so that a model added later by an app gets its role
permissions at the next `setup_roles` (which `make run` and deployments run) without editing this
file. History tables (django-simple-history) are only ever readable.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Model, Q

VIGIE_APPS = ("core", "organization", "compliance", "gdpr", "training", "notifications", "reporting")
ALL = ("add", "change", "delete", "view")
VIEW = ("view",)


@dataclass(frozen=True)
class Role:
    name: str
    description: str
    # app label → actions granted on every model of that app.
    apps: dict[str, tuple[str, ...]]


COMPLIANCE_OFFICER = "Compliance officer"
DPO = "DPO"
TRAINING_MANAGER = "Training manager"
AUDITOR = "Auditor"

ROLES: tuple[Role, ...] = (
    Role(
        COMPLIANCE_OFFICER,
        "Conflicts of interest, risk maps, training follow-up, the yearly indicators.",
        {
            "compliance": ALL,
            "reporting": ("add", "change", "view"),
            "gdpr": VIEW,
            "training": VIEW,
            "organization": VIEW,
            "notifications": ("change", "view"),
            "core": ("add", "view"),
        },
    ),
    Role(
        DPO,
        "Rights requests, CNIL cases, breaches, the Art. 30 register.",
        {
            "gdpr": ALL,
            "notifications": ("change", "view"),
            "organization": VIEW,
            "reporting": VIEW,
            "core": ("add", "view"),
        },
    ),
    Role(
        TRAINING_MANAGER,
        "The HR roster, training modules, completions and workshops.",
        {
            "training": ALL,
            "organization": ALL,
            "notifications": VIEW,
            "reporting": VIEW,
            "core": ("add", "view"),
        },
    ),
    Role(
        AUDITOR,
        "Read-only everywhere, history and exports included.",
        {app: VIEW for app in VIGIE_APPS},
    ),
)


def permissions_for(role: Role) -> list[Permission]:
    query = Q(pk__in=[])
    for app_label, actions in role.apps.items():
        for action in actions:
            codename_filter = Q(content_type__app_label=app_label, codename__startswith=f"{action}_")
            if action != "view":
                # History rows are evidence: nobody edits them, whatever the role.
                codename_filter &= ~Q(codename__startswith=f"{action}_historical")
            query |= codename_filter
    return list(Permission.objects.filter(query).select_related("content_type"))


@transaction.atomic
def setup_roles() -> dict[str, int]:
    """Create or update each role's group so it has exactly its declared permissions."""
    counts: dict[str, int] = {}
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role.name)
        perms = permissions_for(role)
        group.permissions.set(perms)
        counts[role.name] = len(perms)
    return counts


def can_view(user: Any, model: type[Model] | str) -> bool:
    """Whether `user` may view the records of `model` (a model class or "app_label.model_name"), as the
    admin decides it: the view or the change permission. Side channels (import runs, alerts, retention
    reports, filters) ask this before they show anything about those records."""
    if isinstance(model, str):
        app_label, _dot, model_name = model.partition(".")
    else:
        app_label, model_name = model._meta.app_label, model._meta.model_name
    model_name = model_name.lower()
    return user.has_perm(f"{app_label}.view_{model_name}") or user.has_perm(f"{app_label}.change_{model_name}")
