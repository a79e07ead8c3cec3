"""Admin of the manual indicator values (figures no record in Vigie can compute: emissions, complaints,
social dialogue...), entered with their owner and their source.

Wiring only: saving goes through `reporting.services.manual_value_save`, which refuses a value without a
source, an indicator that is not manual, or a frozen year. The form checks those rules first, so that
each refusal is shown on its field; what only the service sees (a year frozen meanwhile) comes back as
a message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.admin_actions import error_text

from .. import catalogue, services
from ..models import ManualValue
from .common import value_text

if TYPE_CHECKING:
    ManualValueAdminBase = SimpleHistoryAdmin[ManualValue]
else:
    ManualValueAdminBase = SimpleHistoryAdmin

FIELDS = ["year", "code", "value", "owner", "source_reference", "source_document", "comment"]


def manual_code_choices() -> list[tuple[str, str]]:
    return [(d.code, f"{d.code} – {d.label}") for d in catalogue.DEFINITIONS if not d.computed]


class ManualValueForm(forms.ModelForm):
    class Meta:
        model = ManualValue
        fields = FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "code" in self.fields:
            code = cast("forms.ChoiceField", self.fields["code"])  # the model field has choices
            code.choices = [("", "---------"), *manual_code_choices()]

    def clean(self) -> dict[str, Any]:
        # The service's rules (reporting/services.py, manual_value_save), before anything is saved, so that
        # the error lands on its field. The source is checked by the model's clean (on source_reference).
        super().clean()
        data = self.cleaned_data  # what ModelForm.clean returns
        year = data.get("year")
        if year is not None:
            try:
                services.year_check(year)
            except services.ReportingError as exc:
                self.add_error("year", str(exc))
            else:
                if services.year_is_frozen(year):
                    self.add_error(
                        "year", gettext("%(year)d is frozen: its manual values cannot change.") % {"year": year}
                    )
        original = self.instance.year if self.instance.pk else None
        if original is not None and original != year and services.year_is_frozen(original):
            self.add_error(None, gettext("%(year)d is frozen: its manual values cannot change.") % {"year": original})
        return data


@admin.register(ManualValue)
class ManualValueAdmin(ManualValueAdminBase):
    form = ManualValueForm
    list_display = ["year", "code", "label", "value_display", "owner", "source", "entered_by", "entered_at"]
    list_display_links = ["year", "code"]
    list_filter = ["year", "code"]
    search_fields = ["code", "owner", "source_reference", "comment"]
    list_select_related = ["entered_by"]
    ordering = ["-year", "code"]
    readonly_fields = ["entered_by", "entered_at"]
    fieldsets = [
        (None, {"fields": ["year", "code", "value"]}),
        (_("Source"), {"fields": ["owner", "source_reference", "source_document", "comment"]}),
        (_("Entry"), {"fields": ["entered_by", "entered_at"]}),
    ]

    # A value of a frozen year is part of what was verified: read-only, never deleted.
    def has_change_permission(self, request: HttpRequest, obj: ManualValue | None = None) -> bool:
        if obj is not None and obj.pk and services.year_is_frozen(obj.year):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: ManualValue | None = None) -> bool:
        if obj is not None and obj.pk and services.year_is_frozen(obj.year):
            return False
        return super().has_delete_permission(request, obj)

    def revert_disabled(self, request: HttpRequest, obj: ManualValue | None = None) -> bool:
        return True  # a revert would bypass the service's rules

    # -- columns ----------------------------------------------------------------------------------------
    @admin.display(description=_("label"))
    def label(self, obj: ManualValue) -> str:
        definition = catalogue.BY_CODE.get(obj.code)
        return str(definition.label) if definition else "–"

    @admin.display(description=_("value"), ordering="value")
    def value_display(self, obj: ManualValue) -> str:
        definition = catalogue.BY_CODE.get(obj.code)
        return value_text(obj.value, definition.unit if definition else "count")

    @admin.display(description=_("source"))
    def source(self, obj: ManualValue) -> str:
        if name := obj.source_document.name:
            return format_html(
                '<a href="{}">{}</a>{}',
                obj.source_document.url,
                name.rsplit("/", 1)[-1],
                f" ({obj.source_reference})" if obj.source_reference else "",
            )
        return obj.source_reference or "–"

    # -- writes through the service -----------------------------------------------------------------------
    def save_model(self, request: HttpRequest, obj: ManualValue, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        document = data.get("source_document")
        services.manual_value_save(
            year=data["year"],
            code=data["code"],
            value=data["value"],
            owner=data["owner"],
            actor=request.user,
            source_reference=data.get("source_reference") or "",
            comment=data.get("comment") or "",
            # A new file, or None: the instance already holds the kept (or cleared) one.
            source_document=document if document and not getattr(document, "_committed", False) else None,
            instance=obj,
        )

    def _changeform_view(
        self, request: HttpRequest, object_id: str | None, form_url: str, extra_context: dict[str, Any] | None
    ) -> HttpResponse:
        # What the form could not see (the year frozen meanwhile) comes back from the service as a message.
        try:
            return super()._changeform_view(  # type: ignore[misc]  # private to ModelAdmin, not in django-stubs
                request, object_id, form_url, extra_context
            )
        except ValidationError as exc:
            labels = {field.name: field.verbose_name for field in ManualValue._meta.fields}
            self.message_user(request, error_text(exc, labels), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
