"""History pages of every admin (django-simple-history): read-only for whoever may not revert, and in words.

A past version's page (django-simple-history's `history_form_view`) is read-only for whoever may not revert.

django-simple-history 3.13 shows a past version as an editable form and saves it on POST for any user
who may *view* the history: an auditor (view permission only) could change any record by posting that
form, and the "Revert" button hidden by `revert_disabled` did not stop a POST either. Installed once
from CoreConfig.ready(), for every SimpleHistoryAdmin of the project:
- a POST is refused (403) unless the user may change the record and its admin allows reverting;
- the page shows every field read-only for such a user (no field to type in).

The list of versions (`history_view`) reads as words for people, on every history admin:
- a change reads "Statut : Reçue → En cours": the field's verbose name, a choice by its label, a boolean
  Oui/Non, a related record by its name, a date in the French layout and a time in Paris time;
- a field the user may not read (its model's confidential fields, core/confidential.py) is left out of the
  changes altogether: neither its values nor the fact that it changed;
- who made the change by their full name (their user name when they have none), without a link to the
  users' admin (a page most roles may not open);
- the title is "Historique : <record>" and the column headers are translated;
- a version links to its page only for who may open it (an admin's `past_versions_open`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.admin import helpers
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Field, Model
from django.http import HttpRequest, HttpResponse
from django.utils.encoding import force_str
from django.utils.html import conditional_escape
from django.utils.text import capfirst
from django.utils.translation import gettext
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import DeletedObject, ModelChange
from simple_history.template_utils import HistoricalRecordContextHelper

from .confidential import confidential_fields
from .dates import format_date, format_datetime

#: The list of versions, in place of django-simple-history's (every history admin of the project).
HISTORY_LIST_TEMPLATE = "admin/core/history/object_history_list.html"
#: What an empty value reads as in a change.
EMPTY = "–"

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
    # The list links each version to its page only for who may open it (no link to a 403).
    context.setdefault("past_versions_open", past_versions_open(self, request, context.get("object")))
    return _render_history_view(self, request, template, context, **kwargs)


def past_versions_open(model_admin: Any, request: HttpRequest, obj: Any) -> bool:
    """Whether the user may open a past version's page: an admin that refuses some users its
    `history_form_view` says so with a `past_versions_open(request, obj)` method (True by default)."""
    method = getattr(model_admin, "past_versions_open", None)
    return True if method is None else bool(method(request, obj))


def user_name(user: Any) -> str:
    """Who made a change, as people call them: their full name, else their user name."""
    if user is None:
        return ""
    full = user.get_full_name().strip() if hasattr(user, "get_full_name") else ""
    return full or force_str(user.get_username() if hasattr(user, "get_username") else user)


def field_value(field: Field | Any, value: Any) -> str:
    """A field's value as the record's page would show it, in words."""
    choices = getattr(field, "flatchoices", None) if field is not None else None
    if choices and not isinstance(value, (list, tuple)):
        labels = {force_str(code): label for code, label in choices}
        code = force_str("" if value is None else value)
        if code in labels:
            return force_str(labels[code])
    if value is None or value == "" or (isinstance(value, DeletedObject) and value.pk is None):
        return EMPTY  # (an empty foreign key comes as a "deleted" record without a key)
    if isinstance(value, (list, tuple)):  # a many-to-many field: the related records
        return ", ".join(field_value(None, item) for item in value) or EMPTY
    if isinstance(value, DeletedObject):  # a related record deleted since
        return gettext("%(model)s (deleted)") % {"model": capfirst(force_str(value.model._meta.verbose_name))}
    if hasattr(value, "get_username"):  # a user: by their name, as everywhere on screen
        return user_name(value)
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, dt.datetime):
        return format_datetime(value) if value.tzinfo is not None else value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return format_date(value)
    return force_str(value)


class LabelledHistoryHelper(HistoricalRecordContextHelper):
    """The changes of one version in words, without the fields `user` may not read."""

    def __init__(self, model: type[Model], historical_record: Any, *, user: Any) -> None:
        super().__init__(model, historical_record)
        declared = confidential_fields(model)
        self.hidden = set() if declared is None or declared.readable_by(user) else set(declared.fields)

    def context_for_delta_changes(self, delta: Any) -> list[dict[str, Any]]:
        return [
            {"field": formatted.field, "old": formatted.old, "new": formatted.new}
            for change in delta.changes
            if change.field not in self.hidden
            for formatted in [self.format_delta_change(change)]
        ]

    def format_delta_change(self, change: ModelChange) -> ModelChange:
        field = self.model._meta.get_field(change.field)
        old, new = (
            self.prepare_delta_change_value(change, change.old),
            self.prepare_delta_change_value(change, change.new),
        )
        old_text, new_text = self.get_obj_diff_display().common_shorten_repr(
            field_value(field, old), field_value(field, new)
        )
        return ModelChange(
            field=capfirst(force_str(getattr(field, "verbose_name", change.field))),
            old=conditional_escape(old_text),
            new=conditional_escape(new_text),
        )


def _history_context_helper(self: SimpleHistoryAdmin, request: HttpRequest, historical_record: Any) -> Any:
    return LabelledHistoryHelper(self.model, historical_record, user=request.user)


def _history_view_title(self: SimpleHistoryAdmin, request: HttpRequest, obj: Model) -> str:
    return gettext("History: %(object)s") % {"object": force_str(obj)}


def install() -> None:
    # Patched on the class: every history admin of the project gets the guard (see the module docstring).
    SimpleHistoryAdmin.history_form_view = _history_form_view_guarded  # type: ignore[method-assign]
    SimpleHistoryAdmin.render_history_view = _render_history_view_read_only  # type: ignore[method-assign]  # patched on the class on purpose (docstring)
    SimpleHistoryAdmin.get_historical_record_context_helper = _history_context_helper  # type: ignore[method-assign]  # same: every history admin
    SimpleHistoryAdmin.history_view_title = _history_view_title  # type: ignore[method-assign]  # same: every history admin
    SimpleHistoryAdmin.object_history_list_template = HISTORY_LIST_TEMPLATE
