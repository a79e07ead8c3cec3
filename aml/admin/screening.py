"""Admin of asset-freeze screening: the lists, their entries (read only: a list is replaced by importing its
file), the hits with their review, and the runs (a log).

A hit is reviewed from its page: two buttons (confirmed, false positive), each a small form asking the reason,
calling `aml.services.screening.hit_review` (core.admin_actions.TransitionButtonsMixin). The hits' list filter
`?due=overdue` selects exactly `Hit.objects.overdue()` (the desk links to it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.admin_actions import TransitionButtonsMixin, format_translated
from core.admin_utils import CheckedListFilter, QuerySetMethodFilter, badge, due_badge

from ..choices import HitStatus, RunStatus
from ..models import Hit, ListEntry, ScreeningList, ScreeningRun
from ..services.screening import hit_review
from .counterparties import flat

if TYPE_CHECKING:
    ScreeningListAdminBase = SimpleHistoryAdmin[ScreeningList]
    ListEntryAdminBase = SimpleHistoryAdmin[ListEntry]
    HitAdminBase = SimpleHistoryAdmin[Hit]
    ScreeningRunAdminBase = admin.ModelAdmin[ScreeningRun]
else:
    ScreeningListAdminBase = ListEntryAdminBase = HitAdminBase = SimpleHistoryAdmin
    ScreeningRunAdminBase = admin.ModelAdmin


class ReadOnlyMixin:
    """Written by the importers and the screening runs only."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- lists and entries ------------------------------------------------------------------------------------


@admin.register(ScreeningList)
class ScreeningListAdmin(ReadOnlyMixin, ScreeningListAdminBase):
    list_display = ["code", "name", "active", "version", "loaded_at", "loaded_by", "covered_at", "entries_link"]
    list_filter = ["active"]
    search_fields = ["code", "name"]
    fields = [("code", "name"), ("active", "version"), ("loaded_at", "loaded_by"), "source_sha256", "covered_at"]
    readonly_fields = flat(fields)

    @admin.display(description=_("entries"))
    def entries_link(self, obj: ScreeningList) -> str:
        from django.urls import reverse

        url = reverse("admin:aml_listentry_changelist")
        return format_html(
            '<a href="{}?screening_list__id__exact={}&amp;listed=listed">{}</a>', url, obj.pk, gettext("Listed entries")
        )


class ListedFilter(CheckedListFilter):
    title = _("on the list")
    parameter_name = "listed"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [("listed", _("Listed")), ("delisted", _("Delisted"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.cleaned == "listed":
            return queryset.filter(delisted_on__isnull=True)
        if self.cleaned == "delisted":
            return queryset.filter(delisted_on__isnull=False)
        return queryset


@admin.register(ListEntry)
class ListEntryAdmin(ReadOnlyMixin, ListEntryAdminBase):
    list_display = ["name", "list_id", "screening_list", "kind", "birth_dates", "listed_on", "delisted_on"]
    list_filter = ["screening_list", "kind", ListedFilter]
    list_select_related = ["screening_list"]
    search_fields = ["name", "aliases", "list_id"]
    show_full_result_count = False
    list_per_page = 50
    fields = [
        ("screening_list", "list_id"),
        ("kind", "name"),
        "aliases",
        ("birth_dates", "countries"),
        ("listed_on", "delisted_on"),
        "changed_at",
    ]
    readonly_fields = flat(fields)


# --- hits ---------------------------------------------------------------------------------------------------


class HitDueFilter(QuerySetMethodFilter):
    title = _("review")
    parameter_name = "due"
    options = {
        "overdue": (_("Review overdue"), "overdue"),
        "pending": (_("Pending review"), "pending"),
    }


class ReviewForm(forms.Form):
    reason = forms.CharField(
        label=_("reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the review established (identity documents, dates, other sources)."),
    )


def _review(status: str) -> Any:
    def review(*, actor: Any, hit: Hit, reason: str) -> Hit:
        return hit_review(actor=actor, hit=hit, status=status, reason=reason)

    return review


REVIEWS: dict[str, tuple[type[forms.Form], Any, Any, Any]] = {
    "confirm": (
        ReviewForm,
        _review(HitStatus.CONFIRMED),
        _("Confirm the match"),
        _("Match confirmed; a vigilance alert was opened if the relationship lasts."),
    ),
    "dismiss": (ReviewForm, _review(HitStatus.FALSE_POSITIVE), _("False positive"), _("Recorded as a false positive.")),
}


def _allowed_reviews(hit: Hit) -> list[str]:
    return list(REVIEWS) if hit.status == HitStatus.PENDING else []


STATUS_COLOURS = {HitStatus.PENDING: "amber", HitStatus.CONFIRMED: "red", HitStatus.FALSE_POSITIVE: "grey"}


@admin.register(Hit)
class HitAdmin(TransitionButtonsMixin, HitAdminBase):
    list_display = [
        "raised_at",
        "counterparty_reference",
        "counterparty_name",
        "matched_name",
        "list_code",
        "score",
        "birth_signal",
        "status_badge",
        "review_due",
    ]
    list_filter = ["status", HitDueFilter, "entry__screening_list", "birth_signal"]
    list_select_related = ["counterparty", "entry__screening_list"]
    search_fields = ["counterparty__reference", "counterparty_name", "matched_name", "entry__list_id"]
    show_full_result_count = False
    list_per_page = 50
    fields = [
        ("counterparty", "counterparty_name"),
        ("entry", "matched_name"),
        ("score", "birth_signal"),
        ("status", "raised_at", "review_due_on"),
        "run",
        ("reviewed_at", "reviewed_by"),
        "review_reason",
    ]
    readonly_fields = flat(fields)
    transitions = REVIEWS
    allowed_actions = staticmethod(_allowed_reviews)
    transition_not_possible = _("“%(action)s” is not possible for a hit whose status is “%(status)s”.")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Hit | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Hit, form: forms.ModelForm, change: bool) -> None:
        """Nothing is written from the form (every field is read only): a review goes through its buttons."""

    @admin.display(description=_("counterparty"), ordering="counterparty__reference")
    def counterparty_reference(self, obj: Hit) -> str:
        return obj.counterparty.reference

    @admin.display(description=_("list"), ordering="entry__screening_list__code")
    def list_code(self, obj: Hit) -> str:
        return f"{obj.entry.screening_list.code} {obj.entry.list_id}"

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj: Hit) -> str:
        return badge(obj.get_status_display(), STATUS_COLOURS[HitStatus(obj.status)])

    @admin.display(description=_("review due"), ordering="review_due_on")
    def review_due(self, obj: Hit) -> str:
        return due_badge(obj.review_due_on, done=obj.status != HitStatus.PENDING)

    # -- reviews (core.admin_actions.TransitionButtonsMixin) -----------------------------------------------
    def apply_transition(self, request: HttpRequest, obj: Hit, service: Any, data: dict[str, Any]) -> None:
        service(actor=request.user, hit=obj, **data)

    def transition_context(self, obj: Hit) -> dict[str, Any]:
        return {
            "transition_intro": format_translated(
                gettext("“%(counterparty)s” (%(reference)s) ~ “%(matched)s”, %(list)s %(list_id)s, score %(score)s."),
                counterparty=obj.counterparty_name,
                reference=obj.counterparty.reference,
                matched=obj.matched_name,
                list=obj.entry.screening_list.code,
                list_id=obj.entry.list_id,
                score=obj.score,
            )
        }


# --- runs ---------------------------------------------------------------------------------------------------


RUN_COLOURS = {RunStatus.RUNNING: "amber", RunStatus.DONE: "green", RunStatus.FAILED: "red"}


@admin.register(ScreeningRun)
class ScreeningRunAdmin(ReadOnlyMixin, ScreeningRunAdminBase):
    list_display = [
        "started_at",
        "trigger",
        "lists",
        "status_badge",
        "counterparties_screened",
        "entries_screened",
        "hits_raised",
        "hits_already_reviewed",
        "coverage",
        "duration_ms",
    ]
    list_filter = ["trigger", "status"]
    show_full_result_count = False
    fields = [
        ("started_at", "finished_at", "duration_ms"),
        ("trigger", "lists", "status"),
        "message",
        ("threshold", "names_indexed", "entries_screened", "counterparties_screened"),
        ("hits_raised", "hits_already_reviewed"),
        ("covered_counterparties", "active_counterparties"),
    ]
    readonly_fields = flat(fields)

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj: ScreeningRun) -> str:
        return badge(obj.get_status_display(), RUN_COLOURS[RunStatus(obj.status)])

    @admin.display(description=_("coverage"))
    def coverage(self, obj: ScreeningRun) -> str:
        if not obj.active_counterparties:
            return "-"
        return f"{number_format(100 * obj.covered_counterparties / obj.active_counterparties, 1)} %"
