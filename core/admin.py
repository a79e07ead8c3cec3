"""Admin of the import runs (read-only, they are an audit trail) and the "Import a file" page."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy as _, ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from .admin_utils import CheckedListFilter, badge
from .imports import ImportReport, importers
from .imports.registry import visible_kinds
from .imports.uploads import import_upload, limit_uploads, too_large_message
from .models import ImportRun

if TYPE_CHECKING:
    ImportRunAdminBase = admin.ModelAdmin[ImportRun]
else:
    ImportRunAdminBase = admin.ModelAdmin

logger = logging.getLogger(__name__)

STATUS_COLOURS: dict[str, str] = {
    ImportRun.Status.RUNNING: "grey",
    ImportRun.Status.COMPLETED: "green",
    ImportRun.Status.COMPLETED_WITH_REJECTS: "amber",
    ImportRun.Status.ROLLED_BACK: "red",
    ImportRun.Status.REFUSED: "red",
    ImportRun.Status.FAILED: "red",
    ImportRun.Status.INTERRUPTED: "amber",
}
#: How many rejected rows the admin message lists (the CSV has them all).
MESSAGE_REJECTS = 5


def importable_kinds(user: Any) -> list[tuple[str, str]]:
    """The kinds `user` may import: those whose model they may add."""
    return [
        (kind, f"{importer.verbose_name()} ({kind})")
        for kind, importer in importers().items()
        if user.has_perm(importer.add_permission())
    ]


class KindFilter(CheckedListFilter):
    """The registered kinds, without a DISTINCT over the runs."""

    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(kind, kind) for kind in visible_kinds(request.user)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ImportRun]) -> QuerySet[ImportRun]:
        return queryset if self.cleaned is None else queryset.filter(kind=self.cleaned)


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("what to import"))
    file = forms.FileField(label=_("file"), help_text=_(".csv (UTF-8 or Windows-1252, ; or , separated) or .xlsx"))
    dry_run = forms.BooleanField(label=_("dry run: check and count, write nothing"), required=False)
    strict = forms.BooleanField(label=_("strict: all or nothing (any rejected row cancels the file)"), required=False)

    def __init__(self, *args: Any, kinds: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds  # type: ignore[attr-defined]  # a ChoiceField

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        # Past the limit the upload view stopped storing the file: an OversizedUpload, with its true size.
        if upload.size > settings.VIGIE_IMPORT_MAX_BYTES:
            raise forms.ValidationError(too_large_message(Path(upload.name or "").name, upload.size))
        return upload


@admin.register(ImportRun)
class ImportRunAdmin(ImportRunAdminBase):
    list_display = [
        "started_at",
        "kind",
        "file_name",
        "user",
        "status_badge",
        "dry_run",
        "rows_read",
        "created",
        "updated",
        "unchanged",
        "rejected",
        "rejects_link",
    ]
    list_filter = [KindFilter, "status", "dry_run", "started_at"]
    list_select_related = ["user"]
    search_fields = ["file_name", "sha256"]
    show_full_result_count = False
    change_list_template = "admin/core/importrun/change_list.html"
    fields = [
        ("kind", "status_badge"),
        ("file_name", "size"),
        "sha256",
        ("user", "dry_run", "strict"),
        ("started_at", "finished_at"),
        ("rows_read", "created", "updated", "unchanged", "rejected", "blank_lines"),
        ("last_line_committed", "batches_committed"),
        "message",
        "unknown_columns",
        "rejects_link",
        "details",
        ("host", "pid", "heartbeat_at"),
    ]
    readonly_fields = [name for item in fields for name in (item if isinstance(item, (tuple, list)) else (item,))]

    # An audit trail: runs are made by importing, never typed in, changed or deleted.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ImportRun | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ImportRun | None = None) -> bool:
        return False

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj: ImportRun) -> str:
        return badge(obj.get_status_display(), STATUS_COLOURS.get(obj.status, "grey"))

    @admin.display(description=_("unknown columns ignored"))
    def unknown_columns(self, obj: ImportRun) -> str:
        return ", ".join(obj.details.get("unknown_columns", [])) or "–"

    @admin.display(description=_("rejected rows (CSV)"))
    def rejects_link(self, obj: ImportRun) -> str:
        if not obj.rejects_file:
            return "–"
        url = reverse("admin:core_importrun_rejects", args=[obj.pk])
        label = ngettext("%(count)d rejected row", "%(count)d rejected rows", obj.rejected) % {"count": obj.rejected}
        return format_html('<a href="{}" download>{}</a>', url, label)

    def get_urls(self) -> list[URLPattern]:
        return [
            path("upload/", self.admin_site.admin_view(self.upload_view), name="core_importrun_upload"),
            path(
                "<path:object_id>/rejects/",
                self.admin_site.admin_view(self.rejects_view),
                name="core_importrun_rejects",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        self._mark_interrupted()
        extra_context = {**(extra_context or {}), "can_import": bool(importable_kinds(request.user))}
        return super().changelist_view(request, extra_context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        self._mark_interrupted()
        return super().change_view(request, object_id, form_url, extra_context)

    @staticmethod
    def _mark_interrupted() -> None:
        """A run whose process died shows "interrupted" (and where it stopped), not "running" forever."""
        try:
            ImportRun.objects.mark_interrupted()
        except DatabaseError:  # never a reason not to show the runs
            logger.exception("could not check the running imports")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ImportRun]:
        return super().get_queryset(request).visible_to(request.user)  # type: ignore[attr-defined]  # an ImportRunQuerySet

    def rejects_view(self, request: HttpRequest, object_id: str) -> FileResponse:
        run = self.get_object(request, object_id)
        if run is None or not run.rejects_file:
            raise Http404
        if not self.has_view_permission(request, run):
            raise PermissionDenied
        return FileResponse(
            run.rejects_file.open("rb"),
            as_attachment=True,
            filename=Path(run.rejects_file.name or "").name,
            content_type="text/csv; charset=utf-8",
        )

    @csrf_exempt  # checked below, once the size limit is in place: the CSRF check reads the body
    def upload_view(self, request: HttpRequest) -> HttpResponse:
        limit_uploads(request)  # a file past VIGIE_IMPORT_MAX_BYTES is not stored (core/imports/uploads.py)
        return csrf_protect(self._upload_view)(request)

    def _upload_view(self, request: HttpRequest) -> HttpResponse:
        kinds = importable_kinds(request.user)
        if not kinds:
            raise PermissionDenied
        form = ImportUploadForm(request.POST or None, request.FILES or None, kinds=kinds)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                report = import_upload(
                    data["kind"], data["file"], user=request.user, dry_run=data["dry_run"], strict=data["strict"]
                )
            except Exception:  # the run is marked failed: tell the person, keep the trace in the log
                logger.exception("import upload failed")
                messages.error(request, gettext("The import failed unexpectedly; the error is in the server log."))
                return HttpResponseRedirect(reverse("admin:core_importrun_changelist"))
            self._report_messages(request, report)
            return HttpResponseRedirect(reverse("admin:core_importrun_change", args=[report.run.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Import a file"),
            "form": form,
            "importers": [importers()[kind] for kind, _label in kinds],
            "max_bytes": settings.VIGIE_IMPORT_MAX_BYTES,
        }
        return TemplateResponse(request, "admin/core/importrun/upload.html", context)

    @staticmethod
    def _report_messages(request: HttpRequest, report: ImportReport) -> None:
        run = report.run
        lines = report.lines()
        if run.status == ImportRun.Status.COMPLETED:
            level = messages.SUCCESS
        elif run.status == ImportRun.Status.COMPLETED_WITH_REJECTS:
            level = messages.WARNING
        else:
            level = messages.ERROR
        messages.add_message(request, level, " — ".join(line.strip() for line in lines))
        for reject in report.rejects[:MESSAGE_REJECTS]:
            messages.warning(
                request, gettext("line %(line)d: %(reason)s") % {"line": reject.line, "reason": reject.reason}
            )
        if run.rejected > MESSAGE_REJECTS:
            messages.warning(
                request,
                gettext("… and %(count)d more: download the rejected rows below.")
                % {"count": run.rejected - MESSAGE_REJECTS},
            )


# The retention runs' admin (personal-data retention) lives in its own module.
from . import admin_retention  # noqa: E402,F401 - registers the ModelAdmin
