"""The roles of Vigie and their model permissions, applied by `manage.py setup_roles`.

Permissions are declared per app label so that a model added later by an app gets its role
permissions at the next `setup_roles` (which `make run` and deployments run) without editing this
file. History tables (django-simple-history) are only ever readable.

Deleting a record may be refused, cascade to, or change records of other domains (an employee is the
reporter of a conflict-of-interest case, an entity is the case's): whether it succeeds would tell who
is named in records one may not view. So the permission to delete a model needs the view permission on
every model that the deletion reaches (`deletion_reaches`): `setup_roles` does not grant it otherwise,
and `HiddenReferencesBackend` refuses it to anyone else (a permission given by hand), for the admin,
the API and every other `has_perm` check alike. The answer then depends on the model, never on the record.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import CASCADE, DO_NOTHING, Model, Q
from django.db.models.deletion import get_candidate_relations_to_delete

from .confidential import group_names

VIGIE_APPS = (
    "core",
    "organization",
    "compliance",
    "gdpr",
    "training",
    "whistleblowing",
    "notifications",
    "reporting",
)
ALL = ("add", "change", "delete", "view")
VIEW = ("view",)
#: Models ("app_label.model") that only superusers write: the roles get at most their view permission, whatever
#: their app's actions. Naming an entity's DPO, compliance officer or training manager decides who receives
#: the alerts of that entity: an administrator's job, not the roster's.
SUPERUSERS_WRITE = frozenset({"organization.entitycontact", "whistleblowing.referentassignment"})


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
#: The AML/CFT officer: the only role that may learn that an AML record exists (aml/apps.py `sealed_role`).
AML_OFFICER = "LCB-FT"
#: The whistleblowing referent (loi 2016-1691 art. 9): the only role that sees who wrote a report and what it
#: says (the models of whistleblowing/models/content.py declare `sealed_role`; superusers are kept out).
WHISTLEBLOWING_REFERENT = "Référent alertes"
#: A seal's superusers setting that lets no superuser in, whatever the settings (`seal_of`).
NO_SUPERUSERS = "-"

ROLES: tuple[Role, ...] = (
    Role(
        COMPLIANCE_OFFICER,
        "Conflicts of interest, risk maps, training follow-up, the yearly indicators.",
        {
            "compliance": ALL,
            "whistleblowing": VIEW,
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
        AML_OFFICER,
        "AML/CFT: vigilance alerts to the TRACFIN decision, counterparties, asset-freeze screening.",
        {
            "aml": ALL,
            "organization": VIEW,
            "notifications": ("change", "view"),
            "reporting": VIEW,
            "core": ("add", "view"),
        },
    ),
    Role(
        WHISTLEBLOWING_REFERENT,
        "Whistleblowing: the reports, their authors and content, the follow-up with the author, the legal clock.",
        {
            "whistleblowing": ("add", "change", "view"),
            "organization": VIEW,
            "notifications": ("change", "view"),
            "reporting": VIEW,
            "core": ("add", "view"),
        },
    ),
    Role(
        AUDITOR,
        "Read-only everywhere, history and exports included.",
        dict.fromkeys(VIGIE_APPS, VIEW),
    ),
)


def superuser_only(model: type[Model]) -> bool:
    """Whether the app of `model` keeps it out of every role (an AppConfig's `superuser_only_models`, model
    names: everyone's absences and calendar feeds, which each person manages on their own page)."""
    config = apps.get_app_config(model._meta.app_label)
    return model._meta.model_name in getattr(config, "superuser_only_models", ())


def _superuser_only_permissions() -> Q:
    query = Q(pk__in=[])
    for config in apps.get_app_configs():
        for model_name in getattr(config, "superuser_only_models", ()):
            query |= Q(
                content_type__app_label=config.label, content_type__model__in=[model_name, f"historical{model_name}"]
            )
    return query


def permissions_for(role: Role) -> list[Permission]:
    query = Q(pk__in=[])
    for app_label, actions in role.apps.items():
        for action in actions:
            codename_filter = Q(content_type__app_label=app_label, codename__startswith=f"{action}_")
            if action != "view":
                # History rows are evidence: nobody edits them, whatever the role.
                codename_filter &= ~Q(codename__startswith=f"{action}_historical")
            query |= codename_filter
    return [
        permission
        for permission in Permission.objects.filter(query)
        .exclude(_superuser_only_permissions())
        .select_related("content_type")
        if (not permission.codename.startswith("delete_") or _role_may_delete(role, permission))
        and _role_passes_seal(role, permission.content_type.model_class())
        and (
            permission.codename.startswith("view_")
            or f"{permission.content_type.app_label}.{permission.content_type.model}" not in SUPERUSERS_WRITE
        )
    ]


def _role_passes_seal(role: Role, model: type[Model] | None) -> bool:
    """Whether `role` may hold permissions on `model`: always, unless the model is sealed for another role (a
    sealed model inside an app the role reads, e.g. whistleblowing's content for the auditors)."""
    seal = seal_of(model) if model is not None else None
    return seal is None or seal[0] == role.name


def role_views(role: Role, model: type[Model]) -> bool:
    """Whether the role, as declared, may view the records of `model` (the view or the change permission)."""
    if superuser_only(model) or not _role_passes_seal(role, model):
        return False
    actions = role.apps.get(model._meta.app_label, ())
    return "view" in actions or "change" in actions


def _role_may_delete(role: Role, permission: Permission) -> bool:
    model = permission.content_type.model_class()
    return model is None or all(role_views(role, other) for other in deletion_reaches(model))


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


def _app_label(model_or_label: Any) -> str:
    """The app label of a model class, a model instance, an "app_label.model_name" / "app_label.codename"
    string or a bare app label."""
    if isinstance(model_or_label, str):
        return model_or_label.partition(".")[0]
    return str(model_or_label._meta.app_label)


_ACTIONS = ("add_", "change_", "delete_", "view_")


def _model_of(model_or_label: Any) -> Any:
    """The model class of a model, an instance, an "app_label.model_name" or "app_label.codename" string
    (a permission: "whistleblowing.view_reportcontent", history models included); None for a bare app label
    or an unknown name."""
    if not isinstance(model_or_label, str):
        return type(model_or_label) if isinstance(model_or_label, Model) else model_or_label
    return _model_named(model_or_label)


@functools.lru_cache(maxsize=4096)
def _model_named(label: str) -> Any:
    # Cached: every has_perm asks (SealedAppsBackend), and the registry does not change once loaded.
    app_label, _dot, name = label.partition(".")
    if not name:
        return None
    candidates = [name] + [name.removeprefix(action) for action in _ACTIONS if name.startswith(action)]
    for candidate in candidates:
        try:
            return apps.get_model(app_label, candidate)
        except (LookupError, ValueError):
            continue
    return None


def _model_seal(model: Any) -> tuple[str, str] | None:
    """The seal a model declares itself (`sealed_role`, whistleblowing/models/content.py); a history model
    carries its tracked model's seal."""
    if model is None:
        return None
    tracked = getattr(model, "instance_type", None)  # django-simple-history's HistoricalX → X
    for candidate in (model, tracked):
        role = getattr(candidate, "sealed_role", None)
        if role:
            return str(role), str(getattr(candidate, "sealed_superusers_setting", "") or "")
    return None


def seal_of(model_or_label: Any) -> tuple[str, str] | None:
    """The seal of `model_or_label` (a model, an instance, "app_label.model", "app_label.codename" or an app
    label): `(role, setting)` when its model declares a `sealed_role` (whistleblowing/models/content.py) or
    its AppConfig does (aml/apps.py), else None. The setting names whether superusers are let in (default
    True); `NO_SUPERUSERS` lets none in."""
    seal = _model_seal(_model_of(model_or_label))
    if seal is not None:
        return seal
    try:
        config = apps.get_app_config(_app_label(model_or_label))
    except LookupError:
        return None
    role = getattr(config, "sealed_role", None)
    if not role:
        return None
    return str(role), str(getattr(config, "sealed_superusers_setting", "") or "")


def sealed_apps() -> tuple[str, ...]:
    """The labels of the installed apps that declare a seal."""
    return tuple(config.label for config in apps.get_app_configs() if getattr(config, "sealed_role", None))


def sealed_models() -> tuple[type[Model], ...]:
    """The models that declare a seal of their own (`sealed_role`, whistleblowing/models/content.py), with
    their history models, in apps that are not sealed as a whole."""
    sealed = set(sealed_apps())
    return tuple(
        model for model in apps.get_models() if model._meta.app_label not in sealed and _model_seal(model) is not None
    )


def sealed_roles() -> frozenset[str]:
    """The names of the roles a seal names (a sealed app's or a sealed model's): joining one of their groups
    opens sealed records, so every change of their members is told (notifications/seals.py)."""
    roles = {str(getattr(config, "sealed_role", "")) for config in apps.get_app_configs()}
    roles |= {seal[0] for model in apps.get_models() if (seal := _model_seal(model)) is not None}
    return frozenset(role for role in roles if role)


def superusers_pass_seal(seal: tuple[str, str]) -> bool:
    """Whether superusers are let through `seal` (its setting; True when it names none, never for
    `NO_SUPERUSERS`)."""
    if seal[1] == NO_SUPERUSERS:
        return False
    return bool(getattr(settings, seal[1], True)) if seal[1] else True


def sealed_out(user: Any, model_or_label: Any) -> bool:
    """Whether the records of `model_or_label` must not exist for `user`: its app is sealed and the user is
    not let in. Anonymous or inactive users are out; a member of the seal's role group is in; a superuser is
    in when the app's setting says so; anyone else is out, whatever permissions they were given by hand or
    through another group. The check comes before any permission (superusers pass every `has_perm`)."""
    seal = seal_of(model_or_label)
    if seal is None:
        return False
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return True
    if getattr(user, "pk", None) is not None and seal[0] in group_names(user):
        return False
    if getattr(user, "is_superuser", False):
        return not superusers_pass_seal(seal)
    return True


def can_view(user: Any, model: type[Model] | str) -> bool:
    """Whether `user` may view the records of `model` (a model class or "app_label.model_name"), as the
    admin decides it: the view or the change permission. Side channels (import runs, alerts, retention
    reports, filters) ask this before they show anything about those records. A sealed app's records
    (`sealed_out`) are never viewable, superusers included."""
    label = model if isinstance(model, str) else model._meta.label_lower
    if sealed_out(user, label):
        return False
    app_label, _dot, model_name = label.partition(".")
    model_name = model_name.lower()
    return user.has_perm(f"{app_label}.view_{model_name}") or user.has_perm(f"{app_label}.change_{model_name}")


@functools.cache
def deletion_reaches(model: type[Model]) -> frozenset[type[Model]]:
    """The models whose records deleting a `model` record may block (PROTECT, RESTRICT), delete (CASCADE,
    followed through what it deletes) or change (SET_NULL, SET_DEFAULT, SET(), a many-to-many link): the
    relations Django's deletion collector follows. A many-to-many link table counts as the model that holds
    the field. (Django's collector walks the same relations: `get_candidate_relations_to_delete`.)"""
    reached: set[type[Model]] = set()
    todo, seen = [model], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        # Reverse relations (ForeignObjectRel), which django-stubs types as fields.
        relations: list[Any] = list(get_candidate_relations_to_delete(current._meta))
        for relation in relations:
            if relation.on_delete is DO_NOTHING:  # history rows keep their ids, unconstrained
                continue
            referrer = relation.related_model
            owner = referrer._meta.auto_created
            reached.add(owner or referrer)
            if relation.on_delete is CASCADE and not owner:
                todo.append(referrer)
        for field in current._meta.private_fields:  # a GenericRelation deletes what points at the record
            if getattr(field, "bulk_related_objects", None) is not None:
                reached.add(field.related_model)
                todo.append(field.related_model)
    return frozenset(reached)


class HiddenReferencesBackend:
    """Grants nothing; refuses `app.delete_model` to a user who may not view every model that deleting one
    reaches (`deletion_reaches`), whatever the groups or permissions given by hand. Listed before Django's
    ModelBackend: a PermissionDenied here ends the check (django.contrib.auth.models._user_has_perm).
    Superusers see everything and are not asked. No `get_user`: it never logs anyone in (the test client
    and the session pick the first backend that has one)."""

    def authenticate(self, request: Any, **credentials: Any) -> None:
        return None

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        app_label, _dot, codename = perm.partition(".")
        if not codename.startswith("delete_") or not getattr(user_obj, "is_active", False):
            return False
        try:
            model = apps.get_model(app_label, codename.removeprefix("delete_"))
        except LookupError:
            return False
        if not all(can_view(user_obj, other) for other in deletion_reaches(model)):  # type: ignore[arg-type]  # a class is hashable
            raise PermissionDenied
        return False


class SealedAppsBackend:
    """Grants nothing; refuses every permission of a sealed app (`seal_of`) to a user the seal keeps out
    (`sealed_out`), whatever the groups or the permissions given by hand, for the admin, the API and every
    other `has_perm` / `has_module_perms` check. Listed before Django's ModelBackend: a PermissionDenied here
    ends the check. Superusers are not asked by Django: the floor's channels call `sealed_out` themselves. No
    `get_user`: it never logs anyone in."""

    def authenticate(self, request: Any, **credentials: Any) -> None:
        return None

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        if seal_of(perm) is not None and sealed_out(user_obj, perm):
            raise PermissionDenied
        return False

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        if seal_of(app_label) is not None and sealed_out(user_obj, app_label):
            raise PermissionDenied
        return False
