"""Admin of the retention runs (core/retention.py): read-only, they are an audit trail; a person allowed
to add runs (compliance officers, the DPO, training managers) may preview what is due, as a dry run.
Everywhere a run shows (list, page, preview message), a reader sees the counts and references of the
record types they may view only, and a total of those (`retention.as_seen_by`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, gettext_lazy as _, ngettext

from . import retention
from .admin_utils import badge
from .models import RetentionRun
from .roles import can_view, seal_of

if TYPE_CHECKING:
    RetentionRunAdminBase = admin.ModelAdmin[RetentionRun]
else:
    RetentionRunAdminBase = admin.ModelAdmin

STATUS_COLOURS: dict[str, str] = {
    RetentionRun.Status.RUNNING: "grey",
    RetentionRun.Status.COMPLETED: "green",
    RetentionRun.Status.FAILED: "red",
}


@admin.register(RetentionRun)
class RetentionRunAdmin(RetentionRunAdminBase):
    list_display = ["started_at", "reference_day", "dry_run", "status_badge", "trigger", "user", "anonymised"]
    list_filter = ["dry_run", "status", "trigger"]
    list_select_related = ["user"]
    # A reference anonymised ("DSR-2019-00012"): which run did it.
    search_fields = ["report"]
    show_full_result_count = False
    date_hierarchy = "started_at"
    change_list_template = "admin/core/retentionrun/change_list.html"
    fields = [
        ("reference_day", "dry_run", "status_badge"),
        ("started_at", "finished_at"),
        ("trigger", "user"),
        "anonymised",
        "report_table",
        "report_text",
        "message",
    ]
    readonly_fields = [name for item in fields for name in (item if isinstance(item, (tuple, list)) else (item,))]

    # An audit trail: runs are made by the task, the command or a preview, never typed in, changed or deleted.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: RetentionRun | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: RetentionRun | None = None) -> bool:
        return False

    @staticmethod
    def can_preview(request: HttpRequest) -> bool:
        return request.user.has_perm("core.add_retentionrun")

    def get_search_fields(self, request: HttpRequest) -> list[str]:
        # A search by reference would tell which records were anonymised: only for who may view them all
        # (the reports keep no reference of a sealed app's records: core/retention.py `_references`).
        if all(
            can_view(request.user, policy.model)
            for policy in retention.policies().values()
            if seal_of(policy.model) is None
        ):
            return list(self.search_fields)
        return []

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> RetentionRun | None:
        # The references and counts of record types the reader may not view are not theirs to read (a
        # case reference, whether it had proceedings, how many cases were closed then, is not the DPO's
        # business), nor is a total that counts them.
        obj = super().get_object(request, object_id, from_field)
        return retention.as_seen_by(obj, request.user) if obj is not None else None

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        changelist = super().get_changelist_instance(request)
        for obj in changelist.result_list:  # evaluated once here, and rendered from this cache
            retention.as_seen_by(obj, request.user)
        return changelist

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj: RetentionRun) -> str:
        return badge(obj.get_status_display(), STATUS_COLOURS.get(obj.status, "grey"))

    @admin.display(description=_("per record type"))
    def report_table(self, obj: RetentionRun) -> str:
        if not obj.report:
            return "–"
        head = format_html(
            "<thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>",
            gettext("record type"),
            gettext("period"),
            gettext("cut-off"),
            gettext("to anonymise") if obj.dry_run else gettext("anonymised"),
            gettext("references"),
        )
        rows = format_html_join(
            "",
            "<tr><td>{}<br><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    entry["label"],
                    entry["code"],
                    entry["period_text"] + ("" if entry.get("disabled") else " " + gettext("after %(start)s") % entry),
                    entry.get("cutoff") or "–",
                    "–" if entry.get("hidden") else entry["count"],
                    ", ".join(entry["references"]) or "–",
                )
                for entry in retention.displayed(obj)
            ),
        )
        return format_html('<table class="vigie-retention-report">{}<tbody>{}</tbody></table>', head, rows)

    @admin.display(description=_("report"))
    def report_text(self, obj: RetentionRun) -> str:
        return format_html(
            '<pre style="white-space:pre-wrap">{}</pre>', "\n".join(retention.report_lines(obj, references=None))
        )

    def get_urls(self) -> list[URLPattern]:
        return [
            path("preview/", self.admin_site.admin_view(self.preview_view), name="core_retentionrun_preview"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra_context = {**(extra_context or {}), "can_preview": self.can_preview(request)}
        return super().changelist_view(request, extra_context)

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """A dry run now: what the next run would anonymise (POST: it writes its run record)."""
        if not self.can_preview(request):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            record = retention.run(dry_run=True, user=request.user, trigger=RetentionRun.Trigger.ADMIN)
        except ImproperlyConfigured as exc:
            messages.error(request, gettext("The retention settings are wrong: %(error)s") % {"error": exc})
            return HttpResponseRedirect(reverse("admin:core_retentionrun_changelist"))
        shown = retention.as_seen_by(record, request.user).anonymised
        messages.info(
            request,
            ngettext(
                "Dry run: %(count)d record would be anonymised now; nothing was changed.",
                "Dry run: %(count)d records would be anonymised now; nothing was changed.",
                shown,
            )
            % {"count": shown},
        )
        return HttpResponseRedirect(reverse("admin:core_retentionrun_change", args=[record.pk]))
