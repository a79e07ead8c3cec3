"""Admin of the alert ledger: read-only (sweeps write it), with three actions (resend, stop the retries of
undelivered emails, acknowledge), the filter of the alerts whose email could not be delivered, and the
"what would be sent today" preview."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext, gettext_lazy as _, ngettext
from simple_history.admin import SimpleHistoryAdmin

from core.admin_actions import as_the_service_says, form_action
from core.admin_choosers import UserChoiceField
from core.admin_utils import CheckedListFilter, ReadOnlyTabularInline, badge
from core.dates import format_datetime

from . import services
from .models import Absence, Alert, AlertStatus, CalendarFeed, Delivery, Urgency
from .registry import get_rules, threshold_words
from .sweep import sweep

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from .querysets import AlertQuerySet

logger = logging.getLogger(__name__)

STATUS_COLOURS: dict[str, str] = {
    AlertStatus.PENDING: "amber",
    AlertStatus.SENT: "green",
    AlertStatus.FAILED: "red",
    AlertStatus.ACKNOWLEDGED: "grey",
}
URGENCY_COLOURS: dict[str, str] = {
    Urgency.OVERDUE: "red",
    Urgency.URGENT: "red",
    Urgency.SOON: "amber",
    Urgency.NOTICE: "grey",
}


class DeliveryInline(ReadOnlyTabularInline):
    model = Delivery
    fields = readonly_fields = (
        "recipient",
        "status",
        "attempts",
        "claimed_at",
        "sent_at",
        "next_attempt_at",
        "escalated_at",
        "last_error",
    )
    extra = 0


def _ledger(queryset: QuerySet[Alert]) -> AlertQuerySet:
    """The admin's alerts, which come from `Alert.objects` (an AlertQuerySet): the stubs type them as a
    plain QuerySet."""
    return cast("AlertQuerySet", queryset)


class UndeliveredFilter(CheckedListFilter):
    """The alerts with an email still unsent after the last planned attempt (escalated, still retried), and
    those that went to nobody (no recipient: the home page counts them, reporting/indicators.py)."""

    title = _("delivery")
    parameter_name = "undelivered"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, StrOrPromise]]:
        return [("yes", _("Undelivered after the last planned attempt")), ("nobody", _("No recipient"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Alert]) -> QuerySet[Alert]:
        if self.cleaned == "nobody":
            return _ledger(queryset).without_recipient()
        return _ledger(queryset).undelivered() if self.cleaned == "yes" else queryset


class CloseForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the retries stop"),
        max_length=80,
        widget=forms.TextInput(attrs={"size": 60}),
        help_text=_(
            "E.g. wrong address, corrected in the settings; the recipient was told by phone. Kept in the history."
        ),
    )


class RuleFilter(CheckedListFilter):
    """The rules by their labels (the code is the value): those whose alerts the user may see."""

    title = _("rule")
    parameter_name = "rule"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, StrOrPromise]]:
        rules = [rule for rule in get_rules() if rule.visible_to(request.user)]
        return sorted(((rule.code, rule.label()) for rule in rules), key=lambda option: str(option[1]))

    def queryset(self, request: HttpRequest, queryset: QuerySet[Alert]) -> QuerySet[Alert]:
        return queryset.filter(rule=self.cleaned) if self.cleaned else queryset


#: How much of a title the list shows (the whole on hover), to fit 1366 px.
TITLE_CHARS = 70


def _cut(text: str, chars: int) -> str:
    if len(text) <= chars:
        return text
    return format_html('<span title="{}">{}</span>', text, Truncator(text).chars(chars))


def goes_to_nobody(alert: Alert) -> bool:
    """Whether the alert reaches nobody (AlertQuerySet.without_recipient)."""
    return alert.unaddressed and alert.status != AlertStatus.ACKNOWLEDGED


def _can_change(request: HttpRequest) -> bool:
    return request.user.has_perm("notifications.change_alert")


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    # Chosen to fit 1366 px: the rule is in the filters, the recipients and the creation time on the alert's
    # page (the search finds an alert by recipient, the dates above the list by creation, newest first); a
    # long title is cut, whole on hover.
    list_display = [
        "short_title",
        "threshold_label",
        "urgency_badge",
        "due",
        "status_badge",
    ]
    list_filter = ["status", UndeliveredFilter, RuleFilter, "urgency", "immediate", "created_at"]
    search_fields = ["object_label", "title", "deliveries__recipient"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    inlines = [DeliveryInline]
    actions = ["resend", "close_unsent", "mark_acknowledged"]
    change_list_template = "admin/notifications/alert/change_list.html"
    fields = [
        ("title", "status_badge"),
        ("rule_label", "threshold_label"),
        ("urgency", "immediate"),
        ("object_label", "admin_link"),
        ("due_at", "fires_at"),
        "created_at",
        "explanation",
        ("acknowledged_at", "acknowledged_by"),
    ]
    readonly_fields = [
        "title",
        "status_badge",
        "rule_label",
        "threshold_label",
        "urgency",
        "immediate",
        "object_label",
        "admin_link",
        "due_at",
        "fires_at",
        "created_at",
        "explanation",
        "acknowledged_at",
        "acknowledged_by",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Alert]:
        # Only the alerts the user may see: an alert's title names the record (a case's action, an
        # employee) and what its rule reveals (the training an employee did): notifications/querysets.py.
        return _ledger(super().get_queryset(request)).visible_to(request.user).prefetch_related("deliveries")

    # The ledger is written by the sweeps only: nobody adds, edits or deletes a row here.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Alert | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Alert | None = None) -> bool:
        return False

    def has_notify_permission(self, request: HttpRequest) -> bool:
        """The actions need the change permission on alerts (compliance officer, DPO)."""
        return _can_change(request)

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj: Alert) -> str:
        status = badge(obj.get_status_display(), STATUS_COLOURS.get(obj.status, "grey"))
        if goes_to_nobody(obj):
            return format_html("{} {}", status, badge(gettext("No recipient"), "red"))
        return status

    @admin.display(description=_("urgency"), ordering="urgency")
    def urgency_badge(self, obj: Alert) -> str:
        return badge(obj.get_urgency_display(), URGENCY_COLOURS.get(obj.urgency, "grey"))

    @admin.display(description=_("due at"), ordering="due_at")
    def due(self, obj: Alert) -> str:
        return format_datetime(obj.due_at)

    @admin.display(description=_("alert"), ordering="title")
    def short_title(self, obj: Alert) -> str:
        return _cut(obj.title, TITLE_CHARS)

    @admin.display(description=_("rule"), ordering="rule")
    def rule_label(self, obj: Alert) -> str:
        return obj.rule_display()

    @admin.display(description=_("threshold"), ordering="threshold")
    def threshold_label(self, obj: Alert) -> str:
        return obj.threshold_display()

    @admin.display(description=_("admin page"))
    def admin_link(self, obj: Alert) -> str:
        if not obj.admin_path:
            return "–"
        return format_html('<a href="{}">{}</a>', obj.admin_path, gettext("open the record"))

    @admin.action(description=_("Resend the selected alerts now"), permissions=["notify"])
    def resend(self, request: HttpRequest, queryset: QuerySet[Alert]) -> None:
        count = services.deliveries_resend(alerts=queryset, actor=request.user)
        from .sending import send_pending

        try:
            report = send_pending(timezone.now())
        except Exception:
            logger.exception("resend: sending failed")
            report = None
        if report is None or report.had_errors:
            messages.warning(
                request,
                ngettext(
                    "%(count)d delivery reset to pending; some could not be sent now: they will be retried.",
                    "%(count)d deliveries reset to pending; some could not be sent now: they will be retried.",
                    count,
                )
                % {"count": count},
            )
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)d delivery reset to pending; %(sent)d sent now (the others go in the next digest).",
                    "%(count)d deliveries reset to pending; %(sent)d sent now (the others go in the next digest).",
                    count,
                )
                % {"count": count, "sent": report.deliveries},
            )

    @admin.action(description=_("Stop the retries of the undelivered emails"), permissions=["notify"])
    def close_unsent(self, request: HttpRequest, queryset: QuerySet[Alert]) -> HttpResponse | None:
        return form_action(
            self,
            request,
            queryset,
            form_class=CloseForm,
            title=gettext("Stop the retries of the undelivered emails"),
            apply=lambda alert, reason: services.deliveries_close(alert=alert, actor=request.user, reason=reason),
            done_message=lambda n: (
                ngettext("Retries stopped for %(count)d alert.", "Retries stopped for %(count)d alerts.", n)
                % {"count": n}
            ),
            describe=lambda alert: ", ".join(
                f"{d.recipient} ({d.get_status_display()})" for d in alert.deliveries.all()
            ),
            explanation=gettext(
                "Vigie keeps trying to send an alert email until it goes. Stop it only when the "
                "recipient learnt of the alert another way, or cannot receive it: the emails "
                "not sent yet are closed as failed, with your reason in their history."
            ),
            refusal=lambda alert, exc: [f"{alert}: {message}" for message in as_the_service_says(alert, exc)],
        )

    @admin.action(description=_("Mark the selected alerts acknowledged"), permissions=["notify"])
    def mark_acknowledged(self, request: HttpRequest, queryset: QuerySet[Alert]) -> None:
        count = services.alerts_acknowledge(alerts=queryset, actor=request.user)
        messages.success(
            request,
            ngettext("%(count)d alert acknowledged.", "%(count)d alerts acknowledged.", count) % {"count": count},
        )

    def get_urls(self) -> list[URLPattern]:
        return [
            path("preview/", self.admin_site.admin_view(self.preview_view), name="notifications_alert_preview"),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("What would be sent today"),
            **preview(timezone.now(), request.user),
        }
        return TemplateResponse(request, "admin/notifications/alert/preview.html", context)


def _alert_row(alert: Alert) -> dict[str, Any]:
    """An alert of the ledger as a row of the preview."""
    return {
        "title": alert.title,
        "rule": alert.rule_display(),
        "threshold": alert.threshold_display(),
        "due_at": alert.due_at,
        "immediate": alert.immediate,
        "admin_path": alert.admin_path,
    }


def preview(now: Any, user: Any) -> dict[str, Any]:
    """A dry-run sweep and the pending deliveries, grouped by recipient (nothing is written or sent), of
    the alerts `user` may see only (an alert's title names its record, and what its rule reveals)."""
    rules = [rule for rule in get_rules() if rule.visible_to(user)]
    report = sweep(now, rules=rules, dry_run=True)
    labels = {rule.code: rule.label() for rule in rules}
    groups: dict[str, dict[str, list]] = {}
    # The alerts that would go to nobody are listed too, under their own heading: every new alert counted
    # is shown once per recipient, or there.
    nobody: list[dict[str, Any]] = []
    for planned in report.planned:
        row = {
            "title": planned.item.title,
            "rule": labels[planned.rule.code],
            "threshold": threshold_words(planned.item.threshold_code(planned.threshold)),
            "due_at": planned.item.due_at,
            "immediate": planned.threshold.immediate,
            "admin_path": planned.item.admin_path,
        }
        if not planned.recipients:
            nobody.append(row)
        for recipient in planned.recipients:
            groups.setdefault(recipient, {"new": [], "pending": []})["new"].append(row)
    waiting = (
        Alert.objects.visible_to(user).without_recipient().filter(status=AlertStatus.PENDING).order_by("due_at", "pk")
    )
    unaddressed = [_alert_row(alert) for alert in waiting]
    pending = (
        Delivery.objects.filter(status=AlertStatus.PENDING)
        .visible_to(user)
        .exclude(alert__status=AlertStatus.ACKNOWLEDGED)
        .select_related("alert")
        .order_by("recipient", "alert__due_at")
    )
    for delivery in pending:
        alert = delivery.alert
        groups.setdefault(delivery.recipient, {"new": [], "pending": []})["pending"].append(
            {
                **_alert_row(alert),
                "attempts": delivery.attempts,
                "last_error": delivery.last_error,
                "next_attempt_at": delivery.next_attempt_at,
                "escalated_at": delivery.escalated_at,
            }
        )
    return {
        "now": now,
        "groups": sorted(groups.items()),
        "new_count": len(report.planned),
        "pending_count": len(pending),
        "nobody": nobody,
        "nobody_count": len(nobody),
        "unaddressed": unaddressed,
        "readdressed_count": report.readdressed,
    }


# -- People (issue 19): everyone's absences and calendar feeds, for superusers -----------------------------
# Each person manages their own on "My account" (notifications/account.py); these admins are for who
# administers Vigie: every absence (to set one for someone who could not), the feeds read-only (never the
# secret's digest).


class SuperuserOnlyMixin:
    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_active and request.user.is_superuser


class AbsencePersonField(UserChoiceField):
    """The person away or their deputy: any active staff account (the queryset the admin gives), shown by name
    like every user chooser of the site."""

    def __init__(self, **kwargs: Any) -> None:
        self.offered = kwargs["queryset"]
        super().__init__(Absence, **kwargs)

    def keep(self, current: Any) -> None:
        """The active staff accounts, and `current` whoever they are now (a deputy who left stays shown)."""
        pk = getattr(current, "pk", current)
        offered = self.offered
        if pk is not None:
            offered = offered.model._default_manager.filter(Q(pk__in=offered.values("pk")) | Q(pk=pk)).order_by(
                *offered.query.order_by
            )
        self.queryset = offered


@admin.register(Absence)
class AbsenceAdmin(SuperuserOnlyMixin, SimpleHistoryAdmin):
    list_display = ("user", "deputy", "starts_on", "ends_on", "note")
    list_filter = ("starts_on",)
    search_fields = ("user__username", "user__last_name", "deputy__username", "deputy__last_name")
    ordering = ("-starts_on", "pk")
    date_hierarchy = "starts_on"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # An absence that is over is the record of who stood in: it stays as it was (as on "My account").
        over = obj is not None and obj.ends_on < timezone.localdate()
        return request.user.is_active and request.user.is_superuser and not over

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # Anyone with a staff account may be away or stand in, not only who may change absences (the
        # site's user chooser would offer the superusers only).
        if db_field.name in ("user", "deputy"):
            from django.contrib.auth import get_user_model

            kwargs["queryset"] = (
                get_user_model()
                ._default_manager.filter(is_active=True, is_staff=True)
                .order_by("first_name", "last_name", "username")
            )
            kwargs["form_class"] = AbsencePersonField
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(CalendarFeed)
class CalendarFeedAdmin(SuperuserOnlyMixin, SimpleHistoryAdmin):
    list_display = ("user", "renewed_at")
    fields = ("user", "renewed_at")
    readonly_fields = ("user", "renewed_at")
    ordering = ("user__username",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
