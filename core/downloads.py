"""Stored files handed to a user: always as a download, from a view that checked who asks.

The media folder is served by no URL (config/urls.py mounts none, whitenoise serves the static files only): a
letter to the CNIL, the source document of a figure or an AML/CFT report file would otherwise be readable by
anyone who had its address. Each admin that keeps files offers them through `FileDownloadsMixin` (or a view of
its own with a stricter check, whistleblowing's), and every one of them answers with `download_response`."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any, ClassVar

from django.contrib.admin.utils import unquote
from django.core.files import File
from django.http import FileResponse, Http404, HttpRequest
from django.urls import URLPattern, path, reverse

from .admin_utils import AdminMixinBase


def download_response(
    handle: IO[bytes] | File, filename: str, *, content_type: str = "application/octet-stream"
) -> FileResponse:
    """The file as a download, whatever its type: never shown inline, never sniffed into something the browser
    would run (nosniff, CSP sandbox), never kept by a cache or a shared proxy (private, no-store), and the page's
    address sent to nobody. The name goes in Content-Disposition, RFC 5987-encoded when it is not ASCII."""
    response = FileResponse(handle, as_attachment=True, filename=filename)
    response["Content-Type"] = content_type
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def stored_name(field_file: Any) -> str:
    """The file name a user sees: the stored name without its folders."""
    return Path(field_file.name or "").name


class FileDownloadsMixin(AdminMixinBase):
    """The files of a row, and of the rows it owns, as downloads of its admin page.

    `file_fields`: the row's FileFields, at `<object_id>/file/<field>/`. `owned_files`: URL part → (related
    name, FileField) of rows the row owns (a CNIL case's letters), at `<object_id>/<part>/<pk>/`. Each answers
    only a user who may view the row (the admin's `get_object`, through its queryset, then
    `has_view_permission`), and answers 404 otherwise: the same as a row or a file that does not exist."""

    file_fields: ClassVar[tuple[str, ...]] = ()
    owned_files: ClassVar[dict[str, tuple[str, str]]] = {}

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        urls = []
        if self.file_fields:
            urls.append(
                path(
                    "<path:object_id>/file/<slug:field>/",
                    self.admin_site.admin_view(self.file_download_view),
                    name="{}_{}_file".format(*info),
                )
            )
        for part in self.owned_files:
            urls.append(
                path(
                    f"<path:object_id>/{part}/<int:pk>/",
                    self.admin_site.admin_view(self.owned_file_view),
                    {"part": part},
                    name="{}_{}_{}".format(*info, part),
                )
            )
        return [*urls, *super().get_urls()]

    def _viewable(self, request: HttpRequest, object_id: str) -> Any:
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_view_permission(request, obj):
            raise Http404
        return obj

    def file_download_view(self, request: HttpRequest, object_id: str, field: str) -> FileResponse:
        obj = self._viewable(request, object_id)
        if field not in self.file_fields:
            raise Http404
        field_file = getattr(obj, field)
        if not field_file:
            raise Http404
        return download_response(field_file.open("rb"), stored_name(field_file))

    def owned_file_view(self, request: HttpRequest, object_id: str, pk: int, part: str) -> FileResponse:
        obj = self._viewable(request, object_id)
        related_name, field = self.owned_files[part]
        owned = getattr(obj, related_name).filter(pk=pk).first()
        field_file = getattr(owned, field, None)
        if not field_file:
            raise Http404
        return download_response(field_file.open("rb"), stored_name(field_file))

    def file_url(self, obj: Any, field: str) -> str:
        """The download address of `obj`'s file `field`."""
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_file",
            args=[obj.pk, field],
            current_app=self.admin_site.name,
        )

    def owned_file_url(self, obj: Any, part: str, owned: Any) -> str:
        """The download address of the file of `owned`, a row `obj` owns under `part`."""
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_{part}",
            args=[obj.pk, owned.pk],
            current_app=self.admin_site.name,
        )
