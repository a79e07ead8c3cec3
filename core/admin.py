"""Admin of the import runs (read-only, they are an audit trail) and the "Import a file" page."""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_lazy as _, ngettext, pgettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from simple_history.admin import SimpleHistoryAdmin

from .admin_history import user_name
from .admin_utils import CheckedListFilter, badge
from .dates import format_datetime
from .downloads import download_response, stored_name
from .imports import ImportReport, importers
from .imports.registry import visible_kinds
from .imports.uploads import import_upload, limit_uploads, too_large_message
from .models import ImportRun, SignOnIdentity
from .roles import sealed_out
from .spreadsheets import FRENCH, UnknownCsvDialect, dialect_named, redialect_download

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
#: The run's details (ImportRun.details) by their names, in its technical details.
DETAIL_LABELS = {
    "encoding": _("encoding"),
    "delimiter": _("separator"),
    "header_line": _("header line"),
    "stopped_by": _("stopped by"),
}
#: How many rejected rows the run's page lists (the CSV has them all).
PAGE_REJECTS = 100


def kind_label(kind: str) -> str:
    """An import kind as people read it: its importer's name ("salariés"), the code of a kind no longer
    registered."""
    importer = importers().get(kind)
    return str(importer.verbose_name()) if importer is not None else kind


def importable_kinds(user: Any) -> list[tuple[str, str]]:
    """The kinds `user` may import: those whose model they may add (never a sealed app's kind for a user
    outside its seal, superusers included: core/roles.py `sealed_out`)."""
    return [
        (kind, capfirst(importer.verbose_name()))
        for kind, importer in importers().items()
        if not sealed_out(user, importer.add_permission()) and user.has_perm(importer.add_permission())
    ]


class KindFilter(CheckedListFilter):
    """The registered kinds, without a DISTINCT over the runs."""

    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(kind, capfirst(kind_label(kind))) for kind in visible_kinds(request.user)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ImportRun]) -> QuerySet[ImportRun]:
        return queryset if self.cleaned is None else queryset.filter(kind=self.cleaned)


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What to import"))
    file = forms.FileField(label=_("File"), help_text=_(".csv (UTF-8 or Windows-1252, ; or , separated) or .xlsx"))
    dry_run = forms.BooleanField(label=_("Dry run: check and count, write nothing"), required=False)
    strict = forms.BooleanField(label=_("Strict: all or nothing (any rejected row cancels the file)"), required=False)

    def __init__(self, *args: Any, kinds: list[tuple[str, str]], **kwargs: Any) -> None:
        # No suffix: a label that holds a colon read "simulation : … :" in French.
        kwargs.setdefault("label_suffix", "")
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
        "kind_name",
        "file_name",
        "user",
        "status_badge",
        "dry_run",
        "rows_read",  # what fits a 1366 px screen: the updated and unchanged rows are on the run's page
        "created",
        "rejected",
        "rejects_link",
    ]
    list_filter = [KindFilter, "status", "dry_run", "started_at"]
    list_select_related = ["user"]
    search_fields = ["file_name", "sha256"]
    show_full_result_count = False
    change_list_template = "admin/core/importrun/change_list.html"
    change_form_template = "admin/core/importrun/change_form.html"
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

    @admin.display(description=_("kind"), ordering="kind")
    def kind_name(self, obj: ImportRun) -> str:
        return capfirst(kind_label(obj.kind))

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
        return format_html(
            '<a href="{}" download>{}</a> (<a href="{}?dialect=machine" download>{}</a>)',
            url,
            label,
            url,
            gettext("machine"),
        )

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
        run = self.get_object(request, unquote(object_id))
        if run is not None:
            extra_context = {
                **(extra_context or {}),
                **self.run_summary(run),
                "title": capfirst(self.opts.verbose_name),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def run_summary(self, run: ImportRun) -> dict[str, Any]:
        """The run's page: what the import did in words, then its technical details (folded away)."""
        details = dict(run.details or {})
        notes: list[str] = []
        if completes := details.pop("completes_run", None):
            notes.append(gettext("Completes the interrupted run %(pk)s of this file.") % {"pk": completes})
        for label, count in details.pop("created_related", {}).items():
            notes.append(gettext("%(label)s created: %(count)d") % {"label": label, "count": count})
        for label, count in details.pop("notes", {}).items():
            notes.append(f"{label}{pgettext('label separator', ':')} {count}")
        technical = [
            (gettext("SHA-256 checksum"), run.sha256 or "–"),
            (gettext("size (bytes)"), run.size),
            (gettext("last line committed"), "–" if run.last_line_committed is None else run.last_line_committed),
            (gettext("batches committed"), run.batches_committed),
            (gettext("host"), run.host or "–"),
            (gettext("process id"), run.pid or "–"),
            (gettext("last heartbeat"), format_datetime(run.heartbeat_at) if run.heartbeat_at else "–"),
            *(
                (DETAIL_LABELS.get(key, key), value)
                for key, value in sorted(details.items())
                if key != "unknown_columns"
            ),
        ]
        return {
            "run": run,
            "run_kind": capfirst(kind_label(run.kind)),
            "run_user": user_name(run.user) or "–",
            "run_started": format_datetime(run.started_at),
            "run_finished": format_datetime(run.finished_at) if run.finished_at else "–",
            "run_status": self.status_badge(run),
            "run_notes": notes,
            "run_unknown_columns": details.get("unknown_columns", []),
            "run_rejects": rejected_rows(run, PAGE_REJECTS),
            "run_rejects_link": self.rejects_link(run),
            "run_technical": technical,
        }

    @staticmethod
    def _mark_interrupted() -> None:
        """A run whose process died shows "interrupted" (and where it stopped), not "running" forever."""
        try:
            ImportRun.objects.mark_interrupted()
        except DatabaseError:  # never a reason not to show the runs
            logger.exception("could not check the running imports")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ImportRun]:
        return super().get_queryset(request).visible_to(request.user)  # type: ignore[attr-defined]  # an ImportRunQuerySet

    def rejects_view(self, request: HttpRequest, object_id: str) -> HttpResponseBase:
        """The run's rejects file; `?dialect=machine`: rewritten in the machine dialect (core/spreadsheets.py)."""
        run = self.get_object(request, object_id)
        if run is None or not run.rejects_file:
            raise Http404
        if not self.has_view_permission(request, run):
            raise PermissionDenied
        try:
            dialect = dialect_named(request.GET.get("dialect"))
        except UnknownCsvDialect as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(reverse("admin:core_importrun_change", args=[run.pk]))
        if dialect != FRENCH:  # stored in the French dialect
            return redialect_download(run.rejects_file.open("rb"), Path(run.rejects_file.name or "").name, dialect)
        return download_response(
            run.rejects_file.open("rb"), stored_name(run.rejects_file), content_type="text/csv; charset=utf-8"
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


def rejected_rows(run: ImportRun, limit: int) -> list[tuple[str, str, str]]:
    """The first `limit` rejected rows of a run as (line, column, reason), read from its rejects file
    (`line;reason;...`, a reason being "<column>: <why>" joined by "; " when a row has several)."""
    if not run.rejects_file:
        return []
    rows: list[tuple[str, str, str]] = []
    try:
        with run.rejects_file.open("rb") as stored:
            reader = csv.reader(io.TextIOWrapper(stored, encoding="utf-8-sig", newline=""), delimiter=";")
            next(reader, None)  # the header
            for record in reader:
                if len(record) < 2:
                    continue
                for part in record[1].split("; "):
                    column, sep, why = part.partition(": ")
                    rows.append((record[0], column, why) if sep and " " not in column else (record[0], "–", part))
                    if len(rows) >= limit:
                        return rows
    except (OSError, ValueError, csv.Error):  # a file gone from the storage: the page still opens
        logger.warning("could not read the rejected rows of import run %s", run.pk, exc_info=True)
    return rows


# The retention runs' admin (personal-data retention) and django-otp's two-factor devices' admin (404 for a
# missing device's QR code pages) live in their own modules.
from . import admin_otp, admin_retention  # noqa: E402,F401 - registers the ModelAdmins

# -- Company sign-on identities (core/oidc.py): superusers only ----------------------------------------------
# Read-only; deleting one unlinks the account from the provider's subject (the next login links it again by
# email, e.g. after the provider's issuer changed, or makes it a local account for the feed and the tokens).


@admin.register(SignOnIdentity)
class SignOnIdentityAdmin(SimpleHistoryAdmin):
    list_display = ("user", "issuer", "subject", "confirmed_at")
    fields = ("user", "issuer", "subject", "confirmed_at")
    readonly_fields = ("user", "issuer", "subject", "confirmed_at")
    search_fields = ("user__username", "user__email", "subject")
    ordering = ("user__username",)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_active and request.user.is_superuser
