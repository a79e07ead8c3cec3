"""Stored files handed to a user: always as a download, and only to who may view the record that keeps them.

The media folder is served by no web server and no static handler: `MEDIA_URL` is this module's view. A file's
address (`FieldFile.url`, which the admin's links, file widgets and read-only fields use) reaches
`media_download`, which finds the records whose file field holds that name and answers only a user that the
record's admin lets see it (through its queryset, then `has_view_permission`; for a record shown in an inline
only, the inline's parent and the inline's own permission). Anyone else, or a name no record holds, gets the
404 of a missing page. Files kept in another storage (the whistleblowing attachments) are never found here."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.sites import AdminSite
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import models
from django.forms.models import _get_foreign_key
from django.http import FileResponse, Http404, HttpRequest


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


def media_fields() -> list[tuple[type[models.Model], str]]:
    """The file fields kept in the media storage, on the project's own models (history models excluded: their
    rows are read through the history pages, never through a file's address)."""
    found = []
    for model in apps.get_models():
        if hasattr(model, "instance_type"):  # simple_history's historical models
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField) and field.storage is default_storage:
                found.append((model, field.name))
    return found


def _may_view(site: AdminSite, request: HttpRequest, record: models.Model) -> bool:
    """Whether the admin lets `request.user` see `record`: its own admin, else an inline of its parent's."""
    model_admin = site._registry.get(type(record))
    if model_admin is not None:
        return bool(
            model_admin.get_queryset(request).filter(pk=record.pk).exists()
            and model_admin.has_view_permission(request, record)
        )
    for parent_model, parent_admin in site._registry.items():
        for inline_class in parent_admin.inlines:
            if inline_class.model is not type(record):
                continue
            inline = inline_class(parent_model, site)
            fk = _get_foreign_key(parent_model, type(record), fk_name=inline.fk_name)
            parent = getattr(record, fk.name)
            if (
                parent_admin.get_queryset(request).filter(pk=parent.pk).exists()
                and parent_admin.has_view_permission(request, parent)
                and inline.has_view_permission(request, parent)
            ):
                return True
    return False


def media_download(request: HttpRequest, name: str) -> FileResponse:
    """The file stored as `name`, for a user who may view a record that keeps it; 404 for anyone else."""
    if not request.user.is_authenticated or not request.user.is_active:
        raise Http404
    for model, field in media_fields():
        for record in model._default_manager.filter(**{field: name})[:10]:
            if _may_view(admin.site, request, record):
                field_file = getattr(record, field)
                return download_response(field_file.open("rb"), stored_name(field_file))
    raise Http404
