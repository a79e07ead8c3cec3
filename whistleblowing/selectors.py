"""Who may read a report's sealed part (loi 2016-1691 art. 9): the referents, and only those assigned to the
report's legal entity when the company sets per-entity referents (VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY);
a report with no entity is read by every referent. An entity may be deleted while assignments or reports still
name it (those links have no database constraint, so the roster's managers delete entities without reaching
whistleblowing): an assignment to a deleted entity counts for nothing, and a report whose entity was deleted
reads as a report with no entity (every referent), so that it is never left without a referent; so does a report
of an entity that no active referent staffs (`staffed_entities`). Everyone else (superusers and auditors
included) reads the report's public part only (whistleblowing/models/reports.py)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet

from core.roles import WHISTLEBLOWING_REFERENT, can_view, sealed_out
from organization.models import LegalEntity

from .choices import LinkKind
from .models import ReferentAssignment, Report, ReportContent, ReportLink


def is_referent(user: Any) -> bool:
    """Whether `user` is an active member of the referents' role (superusers are not, by being superusers)."""
    return not sealed_out(user, ReportContent) and WHISTLEBLOWING_REFERENT in _groups(user)


def _groups(user: Any) -> frozenset[str]:
    from core.confidential import group_names

    if user is None or getattr(user, "pk", None) is None:
        return frozenset()
    return group_names(user)


def _per_entity() -> bool:
    return bool(settings.VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY)


def live_assignments() -> QuerySet[ReferentAssignment]:
    """The assignments whose legal entity still exists (the others are ignored)."""
    return ReferentAssignment.objects.filter(entity_id__in=LegalEntity.objects.values("pk"))


def staffed_entities() -> QuerySet[ReferentAssignment]:
    """The assignments that staff an entity: of an existing entity, to an active member of the referents' role.
    A report of an entity no such referent staffs is read by every referent (and alerts them all), so that
    no report is left without a referent while the company designates one (a referent who left, a new
    subsidiary)."""
    return live_assignments().filter(user__is_active=True, user__groups__name=WHISTLEBLOWING_REFERENT)


def _assigned_entities(user: Any) -> QuerySet:
    return live_assignments().filter(user_id=user.pk).values("entity_id")


def content_visible_to(user: Any, report: Report) -> bool:
    """Whether `user` may read the sealed part of `report` (its author, content, messages, attachments, links)."""
    if not is_referent(user):
        return False
    if not _per_entity():
        return True
    entity_id = ReportContent.objects.filter(report_id=report.pk).values_list("entity_id", flat=True).first()
    if entity_id is None or not staffed_entities().filter(entity_id=entity_id).exists():
        return True
    return live_assignments().filter(user_id=user.pk, entity_id=entity_id).exists()


def content_condition(user: Any, prefix: str = "") -> Q:
    """The reports whose sealed part `user` may read, as a condition on Report (`prefix`: the path to it)."""
    if not is_referent(user):
        return Q(pk__in=[])
    if not _per_entity():
        return Q()
    entity = f"{prefix}content__entity"
    return (
        Q(**{f"{entity}__isnull": True})
        | ~Q(**{f"{entity}__in": staffed_entities().values("entity_id")})
        | Q(**{f"{entity}__in": _assigned_entities(user)})
    )


def reports_with_content_for(user: Any) -> QuerySet[Report]:
    """The reports whose sealed part `user` may read (one SQL filter, for lists)."""
    return Report.objects.filter(content_condition(user))


def link_target_model(kind: str) -> Any:
    """The model of the records a link of `kind` points to (`ReportLink`'s field of that name)."""
    return ReportLink._meta.get_field(kind).related_model


def linkable_kinds(user: Any) -> tuple[str, ...]:
    """The kinds of record `user` may link a report to, and whose reference they read on a link: those whose
    records they may view (`core.roles.can_view`; an AML/CFT alert only inside the AML seal). Looking up a
    reference of any other kind would tell them whether such a record exists."""
    return tuple(kind for kind in LinkKind.values if can_view(user, link_target_model(kind)))
