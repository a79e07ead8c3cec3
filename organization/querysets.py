"""Chainable reads on the roster, shared by the admin, the API, the indicators and the tasks."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q


def present_on_q(day: dt.date, prefix: str = "") -> Q:
    """docs/rules.md "present at D": hired on or before D, and no contract end or one on or after D.

    `prefix` lets other apps filter through a relation (e.g. "employee__").
    """
    return Q(**{f"{prefix}hired_on__lte": day}) & (
        Q(**{f"{prefix}left_on__isnull": True}) | Q(**{f"{prefix}left_on__gte": day})
    )


class EmployeeQuerySet(models.QuerySet):
    def present_on(self, day: dt.date) -> EmployeeQuerySet:
        return self.filter(present_on_q(day))

    def in_entities(self, entities) -> EmployeeQuerySet:
        codes = [getattr(e, "code", e) for e in entities]
        return self.filter(entity__code__in=codes)


class LegalEntityQuerySet(models.QuerySet):
    def parent_company(self):
        """The entity at the top (no parent), first by code when there are several; None when there is none.
        Records that name no entity belong to it (imports' default `entity_code`)."""
        return self.filter(parent__isnull=True).order_by("code").first()
