"""Admin of the alert ledger: read-only (sweeps write it), with two actions (resend, acknowledge) and
the "what would be sent today" preview."""
from __future__ import annotations

import logging
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.admin_utils import ReadOnlyTabularInline, badge
from core.roles import can_view

from .models import Alert, AlertStatus, Delivery, Urgency
from .registry import get_rules
from .sweep import sweep

logger = logging.getLogger(__name__)

STATUS_COLOURS = {AlertStatus.PENDING: "amber", AlertStatus.SENT: "green", AlertStatus.FAILED: "red",
                  AlertStatus.ACKNOWLEDGED: "grey"}
URGENCY_COLOURS = {Urgency.OVERDUE: "red", Urgency.URGENT: "red", Urgency.SOON: "amber", Urgency.NOTICE: "grey"}


class DeliveryInline(ReadOnlyTabularInline):
    model = Delivery
    fields = ["recipient", "status", "attempts", "sent_at", "last_error"]
    readonly_fields = fields
    extra = 0


def _can_change(request: HttpRequest) -> bool:
    return request.user.has_perm("notifications.change_alert")


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["created_at", "title", "rule", "threshold", "urgency_badge", "immediate", "due_at",
                    "status_badge", "recipients"]
    list_filter = ["status", "rule", "urgency", "immediate", "created_at"]
    search_fields = ["object_label", "title", "deliveries__recipient"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    inlines = [DeliveryInline]
    actions = ["resend", "mark_acknowledged"]
    change_list_template = "admin/notifications/alert/change_list.html"
    fields = [("title", "status_badge"), ("rule", "threshold", "urgency", "immediate"),
              ("object_label", "admin_link"), ("due_at", "fires_at", "created_at"), "explanation",
              ("acknowledged_at", "acknowledged_by")]
    readonly_fields = ["title", "status_badge", "rule", "threshold", "urgency", "immediate", "object_label",
                       "admin_link", "due_at", "fires_at", "created_at", "explanation", "acknowledged_at",
                       "acknowledged_by"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Alert]:
        # Only the alerts about records the user may view (the preview below reads the same way).
        return super().get_queryset(request).visible_to(request.user).prefetch_related("deliveries")

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
        return badge(obj.get_status_display(), STATUS_COLOURS.get(obj.status, "grey"))

    @admin.display(description=_("urgency"), ordering="urgency")
    def urgency_badge(self, obj: Alert) -> str:
        return badge(obj.get_urgency_display(), URGENCY_COLOURS.get(obj.urgency, "grey"))

    @admin.display(description=_("recipients"))
    def recipients(self, obj: Alert) -> str:
        return ", ".join(d.recipient for d in obj.deliveries.all())

    @admin.display(description=_("record"))
    def admin_link(self, obj: Alert) -> str:
        if not obj.admin_path:
            return "–"
        return format_html('<a href="{}">{}</a>', obj.admin_path, gettext("open the record"))

    @admin.action(description=_("Resend the selected alerts now"), permissions=["notify"])
    def resend(self, request: HttpRequest, queryset: QuerySet[Alert]) -> None:
        count = reset_for_resend(queryset)
        from .sending import send_pending

        try:
            report = send_pending(timezone.now())
        except Exception:  # noqa: BLE001 - the deliveries stay pending; the next run sends them
            logger.exception("resend: sending failed")
            report = None
        if report is None or report.had_errors:
            messages.warning(request, ngettext(
                "%(count)d delivery reset to pending; some could not be sent now: they will be retried.",
                "%(count)d deliveries reset to pending; some could not be sent now: they will be retried.",
                count) % {"count": count})
        else:
            messages.success(request, ngettext(
                "%(count)d delivery reset to pending; %(sent)d sent now (the others go in the next digest).",
                "%(count)d deliveries reset to pending; %(sent)d sent now (the others go in the next digest).",
                count) % {"count": count, "sent": report.deliveries})

    @admin.action(description=_("Mark the selected alerts acknowledged"), permissions=["notify"])
    def mark_acknowledged(self, request: HttpRequest, queryset: QuerySet[Alert]) -> None:
        now = timezone.now()
        who = request.user.get_username()
        count = 0
        with transaction.atomic():
            for alert in queryset.exclude(status=AlertStatus.ACKNOWLEDGED):
                alert.status, alert.acknowledged_at, alert.acknowledged_by = AlertStatus.ACKNOWLEDGED, now, who
                alert._change_reason = "acknowledged in the admin"  # noqa: SLF001 - simple-history's API
                alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
                count += 1
        messages.success(request, ngettext("%(count)d alert acknowledged.", "%(count)d alerts acknowledged.",
                                           count) % {"count": count})

    def get_urls(self) -> list[URLPattern]:
        return [path("preview/", self.admin_site.admin_view(self.preview_view), name="notifications_alert_preview"),
                *super().get_urls()]

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "opts": self.opts,
                   "title": gettext("What would be sent today"), **preview(timezone.now(), request.user)}
        return TemplateResponse(request, "admin/notifications/alert/preview.html", context)


def reset_for_resend(alerts: QuerySet[Alert]) -> int:
    """Put the failed or sent deliveries of `alerts` back to pending (history kept); returns how many."""
    count = 0
    with transaction.atomic():
        for delivery in Delivery.objects.filter(alert__in=alerts).exclude(status=AlertStatus.PENDING):
            delivery.status, delivery.last_error = AlertStatus.PENDING, ""
            delivery._change_reason = "resend from the admin"  # noqa: SLF001 - simple-history's API
            delivery.save(update_fields=["status", "last_error"])
            count += 1
        for alert in alerts.exclude(status=AlertStatus.PENDING):
            alert.status = AlertStatus.PENDING
            alert._change_reason = "resend from the admin"  # noqa: SLF001
            alert.save(update_fields=["status"])
    return count


def preview(now: Any, user: Any) -> dict[str, Any]:
    """A dry-run sweep and the pending deliveries, grouped by recipient (nothing is written or sent): those
    about records `user` may view, as in the ledger's list."""
    report = sweep(now, dry_run=True)
    labels = {rule.code: rule.label() for rule in get_rules()}
    groups: dict[str, dict[str, list]] = {}
    planned_items = [planned for planned in report.planned if can_view(user, planned.rule.model)]
    for planned in planned_items:
        for recipient in planned.recipients:
            groups.setdefault(recipient, {"new": [], "pending": []})["new"].append({
                "title": planned.item.title, "rule": labels.get(planned.rule.code, planned.rule.code),
                "threshold": planned.item.threshold_code(planned.threshold), "due_at": planned.item.due_at,
                "immediate": planned.threshold.immediate, "admin_path": planned.item.admin_path})
    pending = (Delivery.objects.filter(status=AlertStatus.PENDING, alert__in=Alert.objects.visible_to(user))
               .exclude(alert__status=AlertStatus.ACKNOWLEDGED).select_related("alert")
               .order_by("recipient", "alert__due_at"))
    for delivery in pending:
        alert = delivery.alert
        groups.setdefault(delivery.recipient, {"new": [], "pending": []})["pending"].append({
            "title": alert.title, "rule": labels.get(alert.rule, alert.rule), "threshold": alert.threshold,
            "due_at": alert.due_at, "immediate": alert.immediate, "admin_path": alert.admin_path,
            "attempts": delivery.attempts, "last_error": delivery.last_error})
    return {"now": now, "groups": sorted(groups.items()), "new_count": len(planned_items),
            "pending_count": len(pending)}
