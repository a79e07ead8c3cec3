"""Admin of the workshop and virtual-class sessions with their attendance sheet, and of the attendances.

Wiring only: a session is created by `services.session_create` (reference generated when left empty) and
changed by `session_update`; each line of the sheet is written by `services.attendance_record` and
removed by `services.attendance_remove` (the sheet, the delete page and "delete selected" alike). Whether a
line counts as trained is the module's rule (more than its minimum minutes: `Module.attendance_floor`,
`training.querysets.qualifying_q`), shown on every line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

from django import forms
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext, gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.admin_actions import adopt
from core.admin_utils import CheckedListFilter, RecordListFilter, YearFilter, badge, date_input

from .. import services
from ..choices import ModuleKind
from ..models import Attendance, Module, Session
from ..querysets import qualifying_q

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    SessionAdminBase = SimpleHistoryAdmin[Session]
    AttendanceAdminBase = SimpleHistoryAdmin[Attendance]
else:
    SessionAdminBase = AttendanceAdminBase = SimpleHistoryAdmin


class _Counts(TypedDict):
    """What SessionAdmin.get_queryset adds to the sessions of its list."""

    _attendees: int
    _qualifying: int


SESSION_FIELDS = ["reference", "module", "held_on", "duration_minutes", "trainer", "place", "entity", "notes"]


def counts_badge(attendance: Attendance) -> str:
    if attendance.pk is None:
        return "–"
    return badge(gettext("Yes"), "green") if attendance.qualifies else badge(gettext("No"), "grey")


def modules_with_sessions() -> QuerySet[Module]:
    return Module.objects.exclude(kind=ModuleKind.E_LEARNING).order_by("code")


class HeldYearFilter(YearFilter):
    title = _("year held")
    field = "held_on"


class SessionModuleFilter(RecordListFilter):
    """The workshops and virtual classes (e-learning modules have no sessions)."""

    title = _("module")
    parameter_name = "module"
    lookup = "module"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [(str(module.pk), str(module)) for module in modules_with_sessions()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset if self.cleaned is None else queryset.filter(**{self.lookup: self.cleaned})


class AttendanceModuleFilter(SessionModuleFilter):
    lookup = "session__module"


class QualifiesFilter(CheckedListFilter):
    """Counts as trained: more than the module's minimum minutes of attendance (any without a minimum)."""

    title = _("counts as trained")
    parameter_name = "qualifies"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Attendance]) -> QuerySet[Attendance]:
        enough = qualifying_q()
        if self.cleaned == "yes":
            return queryset.filter(enough)
        if self.cleaned == "no":
            return queryset.exclude(enough)
        return queryset


# --- sessions --------------------------------------------------------------------------------------------------


class SessionForm(forms.ModelForm):
    class Meta:
        model = Session
        fields = SESSION_FIELDS
        widgets = {"held_on": date_input()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "module" in self.fields:
            module = self.fields["module"]
            assert isinstance(module, forms.ModelChoiceField)  # the foreign key's form field
            module.queryset = modules_with_sessions()
        if "reference" in self.fields:
            self.fields["reference"].required = False
            self.fields["reference"].help_text = _("Generated (SES-YYYY-NNNN) when left empty.")


class AttendanceInline(admin.TabularInline):
    """The attendance sheet; each line is written by `attendance_record` (SessionAdmin.save_formset)."""

    model = Attendance
    fields = ["employee", "minutes_attended", "role", "counts_as_trained"]
    readonly_fields = ["counts_as_trained"]
    autocomplete_fields = ["employee"]
    extra = 1

    def get_queryset(self, request: HttpRequest) -> QuerySet[Attendance]:
        return super().get_queryset(request).select_related("employee", "session__module")

    @admin.display(description=_("counts as trained"))
    def counts_as_trained(self, obj: Attendance) -> str:
        return counts_badge(obj)


@admin.register(Session)
class SessionAdmin(SessionAdminBase):
    form = SessionForm
    list_display = [
        "reference",
        "module",
        "held_on",
        "duration_minutes",
        "trainer",
        "place",
        "attendee_count",
        "qualifying_count",
    ]
    list_filter = [SessionModuleFilter, HeldYearFilter]
    list_select_related = ["module"]
    search_fields = ["reference", "trainer", "place"]
    autocomplete_fields = ["entity"]
    date_hierarchy = "held_on"
    ordering = ["-held_on", "reference"]
    inlines = [AttendanceInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Session]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                _attendees=Count("attendances"),
                _qualifying=Count(
                    "attendances",
                    filter=qualifying_q(
                        minutes="attendances__minutes_attended", minimum="module__min_attendance_minutes"
                    ),
                ),
            )
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Session | None = None) -> list[str]:
        # The reference names the session in the attendance imports.
        return ["reference"] if obj is not None else []

    @admin.display(description=_("attendees"), ordering="_attendees")
    def attendee_count(self, obj: WithAnnotations[Session, _Counts]) -> int:
        return obj._attendees

    @admin.display(description=_("counting as trained"), ordering="_qualifying")
    def qualifying_count(self, obj: WithAnnotations[Session, _Counts]) -> int:
        return obj._qualifying

    def save_model(self, request: HttpRequest, obj: Session, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            values = {name: data[name] for name in SESSION_FIELDS if name in data and data[name] is not None}
            values["reference"] = (values.get("reference") or "").strip()
            adopt(obj, services.session_create(actor=request.user, **values))
            return
        changes = {name: data[name] for name in form.changed_data if name in SESSION_FIELDS and name != "reference"}
        if changes:
            services.session_update(actor=request.user, session=obj, **changes)

    def save_formset(self, request: HttpRequest, form: forms.ModelForm, formset: Any, change: bool) -> None:
        if formset.model is not Attendance:
            super().save_formset(request, form, formset, change)
            return
        session = form.instance
        formset.save(commit=False)  # validates and lists the lines, writes nothing
        new_objects, changed_objects, deleted_objects = [], [], []
        deleted = formset.deleted_forms if formset.can_delete else []
        for line in formset.forms:
            existing = line.instance if line.instance.pk else None
            if line in deleted:
                if existing is not None:
                    services.attendance_remove(actor=request.user, attendance=existing)
                    deleted_objects.append(existing)
                continue
            if not line.has_changed() or not getattr(line, "cleaned_data", None):
                continue
            data = line.cleaned_data
            if existing is not None and "employee" in line.changed_data:
                # Another person on this line: the first one's attendance goes, the new one's is recorded.
                services.attendance_remove(actor=request.user, attendance=existing)
                existing = None
            line.instance = services.attendance_record(
                actor=request.user,
                session=session,
                employee=data["employee"],
                minutes_attended=data["minutes_attended"],
                role=data.get("role") or "participant",
            )
            if existing is None:
                new_objects.append(line.instance)
            else:
                changed_objects.append((line.instance, line.changed_data))
        # What the admin's change message (history of the session) reads.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = (
            new_objects,
            changed_objects,
            deleted_objects,
        )


# --- attendances -----------------------------------------------------------------------------------------------


class AttendanceForm(forms.ModelForm):
    class Meta:
        model = Attendance
        fields = ["session", "employee", "minutes_attended", "role"]


@admin.register(Attendance)
class AttendanceAdmin(AttendanceAdminBase):
    form = AttendanceForm
    list_display = ["session", "module", "held_on", "employee", "minutes_attended", "role", "counts_as_trained"]
    list_filter = [AttendanceModuleFilter, QualifiesFilter, "role"]
    list_select_related = ["session__module", "employee"]
    search_fields = ["session__reference", "employee__employee_id", "employee__last_name", "employee__first_name"]
    autocomplete_fields = ["session", "employee"]
    show_full_result_count = False
    list_per_page = 100
    ordering = ["-session__held_on", "session__reference", "employee__employee_id"]
    readonly_fields = ["counts_as_trained", "import_run"]

    def get_fields(  # type: ignore[override]  # django-stubs: an invariant list of field groups
        self, request: HttpRequest, obj: Attendance | None = None
    ) -> list[str]:
        base = ["session", "employee", "minutes_attended", "role"]
        return base if obj is None else [*base, *self.readonly_fields]

    def get_readonly_fields(self, request: HttpRequest, obj: Attendance | None = None) -> list[str]:
        # A line is corrected (minutes, role); another session or person is another line.
        return list(self.readonly_fields) if obj is None else ["session", "employee", *self.readonly_fields]

    @admin.display(description=_("module"), ordering="session__module__code")
    def module(self, obj: Attendance) -> str:
        return obj.session.module.code

    @admin.display(description=_("held on"), ordering="session__held_on")
    def held_on(self, obj: Attendance) -> Any:
        return obj.session.held_on

    @admin.display(description=_("counts as trained"))
    def counts_as_trained(self, obj: Attendance) -> str:
        return counts_badge(obj)

    def save_model(self, request: HttpRequest, obj: Attendance, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        session = obj.session if change else data["session"]
        employee = obj.employee if change else data["employee"]
        adopt(
            obj,
            services.attendance_record(
                actor=request.user,
                session=session,
                employee=employee,
                minutes_attended=data["minutes_attended"],
                role=data.get("role") or "participant",
            ),
        )

    # The delete page and the "delete selected" action remove lines through the service (lock, history).
    def delete_model(self, request: HttpRequest, obj: Attendance) -> None:
        services.attendance_remove(actor=request.user, attendance=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Attendance]) -> None:
        services.attendances_remove(actor=request.user, attendances=queryset)
