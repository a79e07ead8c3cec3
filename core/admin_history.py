"""A past version's page (django-simple-history's `history_form_view`) is read-only for whoever may not revert.

django-simple-history 3.13 shows a past version as an editable form and saves it on POST for any user
who may *view* the history: an auditor (view permission only) could change any record by posting that
form, and the "Revert" button hidden by `revert_disabled` did not stop a POST either. Installed once
from CoreConfig.ready(), for every SimpleHistoryAdmin of the project:
- a POST is refused (403) unless the user may change the record and its admin allows reverting;
- the page shows every field read-only for such a user (no field to type in).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin import helpers
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin

_history_form_view = SimpleHistoryAdmin.history_form_view
_render_history_view = SimpleHistoryAdmin.render_history_view


def _history_form_view_guarded(
    self: SimpleHistoryAdmin,
    request: HttpRequest,
    object_id: str,
    version_id: str,
    extra_context: dict[str, Any] | None = None,
) -> HttpResponse:
    if request.method == "POST":
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_change_permission(request, obj) or self.revert_disabled(request, obj):
            raise PermissionDenied
    return _history_form_view(self, request, object_id, version_id, extra_context)


def _render_history_view_read_only(
    self: SimpleHistoryAdmin, request: HttpRequest, template: str, context: dict[str, Any], **kwargs: Any
) -> HttpResponse:
    if "adminform" in context and (context.get("revert_disabled") or not context.get("has_change_permission")):
        adminform = context["adminform"]
        # A form without fields on the past version: every field of the page is shown as read-only text.
        form = forms.modelform_factory(self.model, fields=[])(instance=adminform.form.instance)
        context["adminform"] = helpers.AdminForm(
            form, adminform.fieldsets, {}, flatten_fieldsets(adminform.fieldsets), model_admin=self
        )
    return _render_history_view(self, request, template, context, **kwargs)


def install() -> None:
    # Patched on the class: every history admin of the project gets the guard (see the module docstring).
    SimpleHistoryAdmin.history_form_view = _history_form_view_guarded  # type: ignore[method-assign]
    SimpleHistoryAdmin.render_history_view = _render_history_view_read_only  # type: ignore[method-assign]  # patched on the class on purpose (docstring)
