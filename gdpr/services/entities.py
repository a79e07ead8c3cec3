"""The controller entity of a GDPR record (rights request, breach, CNIL case, register activity)."""

from __future__ import annotations

from organization.models import LegalEntity


def controller_entity(entity: LegalEntity | None) -> LegalEntity | None:
    """`entity`, else the parent company: a record always names the legal entity that is its controller
    (None only while no entity exists at all, in an empty installation)."""
    return entity if entity is not None else LegalEntity.objects.parent_company()
