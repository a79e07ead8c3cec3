"""Admin of the AML counterparties: read only (they come from the operational systems through
`import_counterparties`, which keeps their screening data and blocking keys consistent).

The search reads the reference, the name as received and the normalised name, so "Helene Lefevre" finds
"Hélène Lefèvre". The counterparty's page lists its screening hits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.admin_utils import AnonymisedMixin, CheckedListFilter, ReadOnlyTabularInline

from ..matching import normalise
from ..models import Counterparty, Hit

if TYPE_CHECKING:
    CounterpartyAdminBase = SimpleHistoryAdmin[Counterparty]
else:
    CounterpartyAdminBase = SimpleHistoryAdmin


def flat(fields: list) -> list[str]:
    """The names of an admin's `fields` (some are rows: tuples of names), for its `readonly_fields`."""
    return [name for row in fields for name in ((row,) if isinstance(row, str) else row)]


class RelationshipFilter(CheckedListFilter):
    title = _("relationship")
    parameter_name = "relationship"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [("active", _("Active")), ("ended", _("Ended"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.cleaned == "active":
            return queryset.active()  # type: ignore[attr-defined]  # CounterpartyQuerySet
        if self.cleaned == "ended":
            return queryset.filter(relationship_ended_on__isnull=False)
        return queryset


class ScreenedFilter(CheckedListFilter):
    title = _("screening")
    parameter_name = "screened"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [("never", _("Never screened")), ("changed", _("Changed since screened"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        from django.db.models import F

        if self.cleaned == "never":
            return queryset.filter(screened_at__isnull=True)
        if self.cleaned == "changed":
            return queryset.filter(changed_at__gt=F("screened_at"))
        return queryset


class HitInline(ReadOnlyTabularInline):
    model = Hit
    fields = ["entry", "matched_name", "score", "birth_signal", "status", "raised_at", "review_due_on"]
    readonly_fields = flat(fields)
    ordering = ["-raised_at"]
    show_change_link = True
    verbose_name_plural = _("screening hits")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("entry__screening_list")


@admin.register(Counterparty)
class CounterpartyAdmin(AnonymisedMixin, CounterpartyAdminBase):
    list_display = [
        "reference",
        "name",
        "kind",
        "birth_date",
        "country",
        "entity",
        "relationship_ended_on",
        "screened_at",
    ]
    list_filter = ["kind", RelationshipFilter, ScreenedFilter, "entity"]
    list_select_related = ["entity"]
    search_fields = ["reference", "name"]
    search_help_text = _("Reference or name (accents, case and punctuation ignored).")
    show_full_result_count = False
    list_per_page = 50
    fields = [
        ("reference", "kind"),
        "name",
        "name_normalised",
        ("birth_date", "registration_number"),
        ("country", "entity"),
        "relationship_ended_on",
        ("changed_at", "screened_at"),
    ]
    readonly_fields = flat(fields)
    inlines = [HitInline]

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        found, duplicates = super().get_search_results(request, queryset, search_term)
        normalised = normalise(search_term)
        if normalised:
            found = found | queryset.filter(name_normalised__contains=normalised)
        return found, duplicates

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Counterparty | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Counterparty | None = None) -> bool:
        return False


__all__ = ["CounterpartyAdmin"]
