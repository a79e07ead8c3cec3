"""API of the imports: `POST /api/imports/<kind>/` (multipart upload) and the runs, read-only."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.downloads import download_response, stored_name
from core.imports import ImportReport, get_importer
from core.imports.uploads import content_length, import_upload, limit_uploads, size_text, too_large_message
from core.models import ImportRun, ImportRunQuerySet
from core.roles import sealed_out
from core.spreadsheets import (
    DIALECT_NAMES,
    FRENCH,
    CsvDialect,
    UnknownCsvDialect,
    dialect_named,
    redialect_download,
)

from .schema import file_download
from .serializers import ModelSerializer

#: `?dialect=` of a CSV download (core/spreadsheets.py).
DIALECT_PARAMETER = OpenApiParameter(
    "dialect",
    str,
    OpenApiParameter.QUERY,
    enum=list(DIALECT_NAMES),
    default=DIALECT_NAMES[0],
    description="The CSV dialect: `french` (default: `;`, decimal comma, DD/MM/YYYY dates, UTF-8 with BOM, for "
    "spreadsheets) or `machine` (`,`, decimal point, ISO 8601 dates, no BOM, for programs).",
)


def rejects_download(run: ImportRun, dialect: CsvDialect) -> StreamingHttpResponse:
    """A run's rejects file (stored in the French dialect) rewritten in `dialect`, streamed."""
    return redialect_download(run.rejects_file.open("rb"), Path(run.rejects_file.name or "").name, dialect)


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A .csv (UTF-8 or Windows-1252, `;` or `,` separated) or .xlsx file.")
    dry_run = serializers.BooleanField(default=False, help_text="Validate and count, write nothing.")
    strict = serializers.BooleanField(default=False, help_text="All or nothing: any rejected row rolls back the file.")


class ImportRunSerializer(ModelSerializer):
    user = serializers.SlugRelatedField[User](slug_field="username", read_only=True)
    unknown_columns = serializers.SerializerMethodField()

    class Meta:
        model = ImportRun
        fields = [
            "id",
            "kind",
            "file_name",
            "sha256",
            "size",
            "user",
            "started_at",
            "finished_at",
            "status",
            "dry_run",
            "strict",
            "rows_read",
            "created",
            "updated",
            "unchanged",
            "rejected",
            "blank_lines",
            "last_line_committed",
            "batches_committed",
            "heartbeat_at",
            "message",
            "unknown_columns",
            "details",
        ]
        read_only_fields = fields

    def get_unknown_columns(self, obj: ImportRun) -> list[str]:
        return list(obj.details.get("unknown_columns", []))


class RejectSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="Physical line in the file (the header is line 1).")
    reason = serializers.CharField()


class ImportResultSerializer(ImportRunSerializer):
    """A run and, inline, its first rejected rows (all of them are in the rejects CSV)."""

    rejects = serializers.SerializerMethodField()
    rejects_truncated = serializers.SerializerMethodField()

    class Meta(ImportRunSerializer.Meta):
        fields = [*ImportRunSerializer.Meta.fields, "rejects", "rejects_truncated"]
        read_only_fields = fields

    @extend_schema_field(RejectSerializer(many=True))
    def get_rejects(self, obj: ImportRun) -> list[dict]:
        report: ImportReport = self.context["report"]
        return [{"line": reject.line, "reason": reject.reason} for reject in report.rejects]

    def get_rejects_truncated(self, obj: ImportRun) -> bool:
        return obj.rejected > len(self.context["report"].rejects)


class ImportUploadView(APIView):
    """Import a file of one kind, as `python manage.py import_<kind>` does."""

    parser_classes = [MultiPartParser, FormParser]
    permission_classes = [IsAuthenticated]
    throttle_scope = "upload"  # a stricter rate on top of the per-user one (REST_FRAMEWORK throttle rates)

    def initial(self, request: Request, *args: object, **kwargs: object) -> None:
        # Before authentication: a session login's CSRF check already reads the body.
        limit_uploads(request._request)
        super().initial(request, *args, **kwargs)

    @extend_schema(
        operation_id="imports_upload",
        summary="Import a .csv or .xlsx file",
        description=(
            "Runs the import synchronously and answers with the run: counts, status and the rejected rows "
            "(line number, reason). Needs the `add` permission on the imported model. A strict import with "
            "rejected rows is rolled back (`status`: `rolled_back`). The columns of each kind are in docs/interfaces.md."
        ),
        parameters=[
            OpenApiParameter(
                "kind", str, OpenApiParameter.PATH, description="The import kind: `entities`, `roster`, ..."
            )
        ],
        request={"multipart/form-data": ImportUploadSerializer},
        responses={
            201: ImportResultSerializer,
            400: OpenApiResponse(description="The file was refused as a whole (not a table, missing column...)."),
            403: OpenApiResponse(description="No `add` permission on the imported model."),
            404: OpenApiResponse(description="Unknown kind."),
            413: OpenApiResponse(
                description="The file (or the request) is larger than VIGIE_IMPORT_MAX_BYTES: the "
                "message gives its size and the limit. Nothing is imported."
            ),
            429: OpenApiResponse(
                description="Too many uploads (the `upload` rate), or requests: wait `Retry-After` seconds."
            ),
            503: OpenApiResponse(
                description="The database failed in the middle (busy with other changes for too "
                "long, gone): `detail` says the error and where the run stopped, `run` "
                "its id. The batches before it are kept; upload the same file again to "
                "complete it."
            ),
        },
        tags=["imports"],
    )
    def post(self, request: Request, kind: str) -> Response:
        try:
            importer = get_importer(kind)
        except KeyError:
            importer = None
        # A kind of a sealed app (aml) is unknown to a user outside its seal (core/roles.py): a 403 would tell it exists.
        if importer is None or sealed_out(request.user, importer.add_permission()):
            raise NotFound(_("Unknown import kind “%(kind)s”.") % {"kind": kind})
        if not request.user.has_perm(importer.add_permission()):
            raise PermissionDenied(
                _("Importing %(kind)s needs the %(permission)s permission.")
                % {"kind": kind, "permission": importer.add_permission()}
            )
        # Refuse an oversized body before reading it (the multipart envelope adds a few hundred bytes).
        length = content_length(request)
        if length > settings.VIGIE_IMPORT_MAX_BYTES + ENVELOPE_BYTES:
            return _too_large(
                _("The request is too large: %(size)s; the limit for a file is %(limit)s.")
                % {"size": size_text(length), "limit": size_text(settings.VIGIE_IMPORT_MAX_BYTES)}
            )
        upload_serializer = ImportUploadSerializer(data=request.data)
        upload_serializer.is_valid(raise_exception=True)
        data = upload_serializer.validated_data
        upload = data["file"]
        if upload.size > settings.VIGIE_IMPORT_MAX_BYTES:  # an OversizedUpload (core/imports/uploads.py)
            return _too_large(too_large_message(Path(upload.name or "").name, upload.size))
        report = import_upload(kind, upload, user=request.user, dry_run=data["dry_run"], strict=data["strict"])
        if report.run.status == ImportRun.Status.REFUSED:
            return Response(
                {"detail": f"refused: {report.run.message}", "run": report.run.pk}, status=status.HTTP_400_BAD_REQUEST
            )
        if report.run.status == ImportRun.Status.FAILED:
            # The database could not go on: try again later (503). The file could not be read past a line
            # (the rows before it are imported, the message says up to where): the file's fault (400).
            code = status.HTTP_503_SERVICE_UNAVAILABLE if report.database_failed else status.HTTP_400_BAD_REQUEST
            return Response({"detail": report.run.message, "run": report.run.pk}, status=code)
        return Response(
            ImportResultSerializer(report.run, context={"report": report}).data, status=status.HTTP_201_CREATED
        )


#: What a multipart body adds around the file (boundaries, headers, the other fields), at most.
ENVELOPE_BYTES = 64 * 1024


def _too_large(message: str) -> Response:
    return Response({"detail": message}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)


@extend_schema(tags=["imports"])
class ImportRunViewSet(viewsets.ReadOnlyModelViewSet):
    """The import runs (needs `core.view_importrun`), newest first."""

    queryset = ImportRun.objects.select_related("user").order_by("-started_at", "-pk")
    serializer_class = ImportRunSerializer
    filterset_fields = ["kind", "status", "dry_run"]

    def get_queryset(self) -> QuerySet[ImportRun]:
        # `queryset` is an ImportRunQuerySet: DRF's stubs type what get_queryset copies as a plain QuerySet.
        return cast(ImportRunQuerySet, super().get_queryset()).visible_to(self.request.user)

    def initial(self, request: Request, *args: object, **kwargs: object) -> None:
        super().initial(request, *args, **kwargs)
        # A run whose process died shows as interrupted, not "running" (core/models.py), as in the admin.
        ImportRun.objects.mark_interrupted()

    @extend_schema(
        summary="The rejected rows of a run, as CSV",
        parameters=[DIALECT_PARAMETER],
        responses={
            **file_download(
                "text/csv",
                "The rejected rows (CSV): `line`, `reason`, then the file's own columns; corrected, the file "
                "imports again.",
            ),
            400: OpenApiResponse(description="`dialect` is not one of the allowed values."),
        },
    )
    @action(detail=True, methods=["get"])
    def rejects(self, request: Request, pk: str | None = None) -> FileResponse | StreamingHttpResponse | Response:
        try:
            dialect = dialect_named(request.query_params.get("dialect"))
        except UnknownCsvDialect as exc:
            return Response({"dialect": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        run = self.get_object()
        if not run.rejects_file:
            raise Http404
        if dialect != FRENCH:  # stored in the French dialect
            return rejects_download(run, dialect)
        return download_response(
            run.rejects_file.open("rb"), stored_name(run.rejects_file), content_type="text/csv; charset=utf-8"
        )
