"""Admin of the breach register (Art. 33(5)): every breach, notified or not, with its 72-hour clock.

Wiring only: the add and change forms call `breach_create` / `breach_update`; each transition (assess,
decide, notify, complementary notification, inform the data subjects, record an exemption, close) is a
button of the change page with its small form (core.admin_actions.TransitionButtonsMixin) and an action
of the list with the same form (core.admin_actions.form_action), both calling the same service
(`TRANSITIONS`); the XLSX export is `gdpr.exports.breaches.breach_register_xlsx`.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_lazy as _, ngettext
from simple_history.admin import SimpleHistoryAdmin

from core.admin_actions import TransitionButtonsMixin, form_action, save_through_services
from core.admin_utils import (
    AnonymisedMixin,
    CheckedListFilter,
    QuerySetMethodFilter,
    ReadOnlyTabularInline,
    YearFilter,
    assigned_filter,
    badge,
    datetime_input,
    due_badge,
)
from core.dates import format_datetime
from core.spreadsheets import XLSX_CONTENT_TYPE

from ..choices import NotificationPhase, RiskLevel, SubjectsExemption
from ..exports.breaches import breach_register_xlsx
from ..models import Breach, BreachNotification
from ..services import breaches as services
from .columns import nowrap, person, truncated

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    BreachAdminBase = SimpleHistoryAdmin[Breach]
else:
    BreachAdminBase = SimpleHistoryAdmin


class DecisionFilter(CheckedListFilter):
    title = _("decision")
    parameter_name = "decision"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, StrOrPromise]]:
        return [("notify", _("To notify")), ("no", _("Not to notify")), ("undecided", _("Undecided"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Breach]) -> QuerySet[Breach]:
        decisions: dict[str, bool | None] = {"notify": True, "no": False, "undecided": None}
        if self.cleaned not in decisions:
            return queryset
        value = decisions[self.cleaned]
        return (
            queryset.filter(notification_required__isnull=True)
            if value is None
            else queryset.filter(notification_required=value)
        )


class NotifiedFilter(QuerySetMethodFilter):
    title = _("notified to the CNIL")
    parameter_name = "notified"
    options = {"yes": (_("Notified"), "notified"), "no": (_("Not notified"), "not_notified")}


class ClockFilter(QuerySetMethodFilter):
    """Late notifications (after 72 hours) and breaches whose clock runs past its deadline right now."""

    title = _("72-hour deadline")
    parameter_name = "clock"
    options = {
        "late": (_("Notified late"), "notified_late"),
        "within": (_("Notified within 72 h"), "notified_within_72h"),
        "overdue": (_("Overdue, not notified"), "overdue"),
        "running": (_("Clock running"), "awaiting_decision_or_notification"),
    }


class AwareYearFilter(YearFilter):
    title = _("year of awareness")
    parameter_name = "aware_year"
    field = "aware_at"


class BreachForm(forms.ModelForm):
    """The facts and the clock dates; checked by the services' own rules before anything is saved."""

    class Meta:
        model = Breach
        fields = [
            "reference",
            "title",
            "description",
            "occurred_at",
            "aware_at",
            "processor_aware_at",
            "processor_informed_at",
            "subject_categories",
            "subjects_count",
            "data_categories",
            "records_count",
            "likely_consequences",
            "measures",
            "entity",
            "handler",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "reference" in self.fields:
            self.fields["reference"].required = False
            self.fields["reference"].help_text = _("Generated (BR-YYYY-NNN) when left empty.")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what ModelForm.clean() returns (its stubs allow None)
        candidate = copy.copy(self.instance)
        for name in ("aware_at", "occurred_at", "processor_aware_at", "processor_informed_at"):
            if name in self.fields and name not in self.errors:
                setattr(candidate, name, data.get(name))
        if candidate.aware_at is None:
            return data  # the field's own "required" error says it
        if self.instance.pk is None:
            problems = services.breach_date_problems(
                aware_at=candidate.aware_at,
                occurred_at=candidate.occurred_at,
                processor_aware_at=candidate.processor_aware_at,
                processor_informed_at=candidate.processor_informed_at,
            )
        else:
            problems = services.breach_problems(candidate)
        for name, message in problems.items():
            self.add_error(name if name in self.fields else None, message)
        return data


class BreachNotificationInline(ReadOnlyTabularInline):
    """The notifications as sent: evidence, recorded by the "notify" action only."""

    model = BreachNotification
    fields = ("phase", "sent_at", "cnil_reference", "content", "sent_by")
    readonly_fields = fields
    show_change_link = False


# Intermediate forms of the actions.
class AssessForm(forms.Form):
    risk_level = forms.ChoiceField(label=_("risk to people"), choices=RiskLevel.choices)
    reasoning = forms.CharField(label=_("reasoning"), widget=forms.Textarea(attrs={"rows": 4}))


class DecideForm(forms.Form):
    notification_required = forms.TypedChoiceField(
        label=_("notify the CNIL"),
        choices=[("yes", _("Yes: notify")), ("no", _("No: do not notify"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    reasoning = forms.CharField(
        label=_("reasoning"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Required when not notifying (Art. 33(5))."),
    )


class NotifyForm(forms.Form):
    phase = forms.ChoiceField(label=_("phase"), choices=NotificationPhase.choices)
    sent_at = forms.DateTimeField(label=_("sent at"), widget=datetime_input(), help_text=_("Paris time."))
    cnil_reference = forms.CharField(label=_("CNIL reference"), required=False, max_length=100)
    content = forms.CharField(label=_("content"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    delay_reasons = forms.CharField(
        label=_("reasons for the delay (Art. 33(1))"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required for an initial notification after the 72 hours."),
    )


class InformSubjectsForm(forms.Form):
    informed_at = forms.DateTimeField(
        label=_("data subjects informed at"), widget=datetime_input(), help_text=_("Paris time.")
    )


class ExemptionForm(forms.Form):
    exemption = forms.ChoiceField(
        label=_("exemption (Art. 34(3))"), choices=[c for c in SubjectsExemption.choices if c[0]]
    )
    reasoning = forms.CharField(label=_("why it applies"), widget=forms.Textarea(attrs={"rows": 4}))


class CloseForm(forms.Form):
    confirm = forms.BooleanField(label=_("The file is complete: close it"), required=True)


def _close(*, actor: Any, breach: Breach, confirm: bool) -> Breach:
    """`breach_close`, the form's confirmation said."""
    return services.breach_close(actor=actor, breach=breach)


# action → (form, service, button title, done message): the buttons of the change page and the actions of
# the list use the same form and the same service (called with `actor`, `breach` and the form's data).
TRANSITIONS: dict[str, tuple[type[forms.Form], Any, Any, Any]] = {
    "assess": (
        AssessForm,
        services.breach_assess,
        _("Assess the risk"),
        _("The risk assessment is recorded."),
    ),
    "decide": (
        DecideForm,
        services.breach_decide,
        _("Decide on notifying"),
        _("The decision is recorded."),
    ),
    "notify": (NotifyForm, services.breach_notify, _("Notify the CNIL"), _("The notification is recorded.")),
    "notify_complementary": (
        NotifyForm,
        services.breach_notify,
        _("Complementary notification"),
        _("The notification is recorded."),
    ),
    "inform_subjects": (
        InformSubjectsForm,
        services.breach_inform_subjects,
        _("Data subjects informed"),
        _("The information of the data subjects is recorded."),
    ),
    "record_exemption": (
        ExemptionForm,
        services.breach_record_exemption,
        _("Exemption from informing (Art. 34(3))"),
        _("The exemption is recorded."),
    ),
    "close": (CloseForm, _close, _("Close"), _("The breach is closed.")),
}

#: What a form's page says above the form, the same on the list action's page and on the button's.
EXPLANATIONS = {
    "decide": _(
        "Not notifying is possible only for a breach unlikely to result in a risk to people, "
        "with the reasoning (Art. 33(1) and 33(5))."
    ),
    "notify": _(
        "The first notification is the initial one; later ones are complementary (Art. 33(4)). "
        "After the 72 hours, give the reasons for the delay (Art. 33(1))."
    ),
}
EXPLANATIONS["notify_complementary"] = EXPLANATIONS["notify"]


#: What the sections written by the transitions say.
BY_THE_BUTTONS = _("Recorded by the buttons of this page, each with its form.")


def _clock(breach: Breach) -> str:
    return gettext("aware %(aware)s, notification due %(due)s") % {
        "aware": format_datetime(breach.aware_at),
        "due": format_datetime(breach.notification_due_at),
    }


def _state(breach: Breach) -> str:
    """What is recorded of the breach, in a few words (the risk, the decision, the data subjects)."""
    if breach.closed_at is not None:
        return gettext("closed on %(at)s") % {"at": format_datetime(breach.closed_at)}
    parts = [breach.get_risk_level_display() if breach.risk_level else gettext("risk not assessed")]
    if breach.notified_at is not None:
        parts.append(gettext("notified on %(at)s") % {"at": format_datetime(breach.notified_at)})
    elif breach.notification_required is False:
        parts.append(gettext("decided not to notify"))
    else:
        parts.append(gettext("not notified"))
    if breach.subjects_informed_at is not None:
        parts.append(gettext("data subjects informed at %(at)s") % {"at": format_datetime(breach.subjects_informed_at)})
    elif breach.subjects_exemption:
        parts.append(
            gettext("exemption recorded: %(exemption)s") % {"exemption": breach.get_subjects_exemption_display()}
        )
    return ", ".join(parts)


@admin.register(Breach)
class BreachAdmin(AnonymisedMixin, TransitionButtonsMixin, BreachAdminBase):
    form = BreachForm
    # What fits a 1366 px screen: short headers, the deadline above its badge (awareness on hover), the
    # decision or the notification in one column, a long title cut with its full text on hover.
    list_display = ["ref", "short_title", "due", "risk", "cnil", "handler_name"]
    list_display_links = ["ref", "short_title"]
    list_filter = [
        "risk_level",
        DecisionFilter,
        NotifiedFilter,
        ClockFilter,
        AwareYearFilter,
        "entity",
        assigned_filter("handler"),
    ]
    list_select_related = ["handler"]
    search_fields = ["reference", "title", "description", "cnil_notification_reference"]
    autocomplete_fields = ["handler"]
    show_full_result_count = False
    list_per_page = 50
    ordering = ["-aware_at", "-pk"]
    change_list_template = "admin/gdpr/breach/change_list.html"
    inlines = [BreachNotificationInline]
    actions = [
        "assess",
        "decide",
        "notify",
        "inform_subjects",
        "record_exemption",
        "close",
        "export_register",
    ]
    transitions = TRANSITIONS
    allowed_actions = staticmethod(services.breach_allowed_actions)
    transition_not_possible = _("“%(action)s” is not possible for this breach now (%(status)s).")
    transition_url_dashes = True  # do/inform-subjects/
    readonly_fields = [
        "notification_due_at_paris",
        "clock_explanation",
        "risk_level",
        "risk_reasoning",
        "high_risk",
        "notification_required",
        "decision_reasoning",
        "notified_at_paris",
        "cnil_notification_reference",
        "delay_reasons",
        "subjects_informed_at",
        "subjects_exemption",
        "subjects_exemption_reasoning",
        "closed_at",
    ]
    fieldsets = [
        (None, {"fields": ["reference", "title", "entity", "handler"]}),
        (
            _("The 72-hour clock"),
            {
                "fields": [
                    "aware_at",
                    ("processor_aware_at", "processor_informed_at"),
                    "notification_due_at_paris",
                    "clock_explanation",
                ]
            },
        ),
        (
            _("Facts, effects and measures"),
            {
                "fields": [
                    "description",
                    "occurred_at",
                    ("subject_categories", "subjects_count"),
                    ("data_categories", "records_count"),
                    "likely_consequences",
                    "measures",
                ]
            },
        ),
        (
            _("Assessment and decision"),
            {
                "description": BY_THE_BUTTONS,
                "fields": [
                    ("risk_level", "high_risk"),
                    "risk_reasoning",
                    "notification_required",
                    "decision_reasoning",
                ],
            },
        ),
        (
            _("Notification to the CNIL"),
            {
                "description": BY_THE_BUTTONS,
                "fields": [
                    "notified_at_paris",
                    "cnil_notification_reference",
                    "delay_reasons",
                ],
            },
        ),
        (
            _("Data subjects (Art. 34)"),
            {
                "description": BY_THE_BUTTONS,
                "fields": [
                    "subjects_informed_at",
                    "subjects_exemption",
                    "subjects_exemption_reasoning",
                    "closed_at",
                ],
            },
        ),
    ]

    def get_fieldsets(self, request: HttpRequest, obj: Breach | None = None) -> list:
        if obj is None:  # nothing to show yet but what the add form asks
            return self.fieldsets[:3]
        return self.fieldsets

    # The register keeps every breach (Art. 33(5)); a state is changed by the transitions, not reverted.
    def has_delete_permission(self, request: HttpRequest, obj: Breach | None = None) -> bool:
        return False

    def revert_disabled(self, request: HttpRequest, obj: Breach | None = None) -> bool:
        return True

    # -- columns -------------------------------------------------------------------------------------
    @admin.display(description=_("aware at (Paris)"), ordering="aware_at")
    def aware_at_paris(self, obj: Breach) -> str:
        return format_datetime(obj.aware_at)

    @admin.display(description=_("reference"), ordering="reference")
    def ref(self, obj: Breach) -> str:
        return nowrap(obj.reference)

    @admin.display(description=_("title"), ordering="title")
    def short_title(self, obj: Breach) -> str:
        return truncated(obj.title or "–", "18em")

    @admin.display(description=_("risk"), ordering="risk_level")
    def risk(self, obj: Breach) -> str:
        return obj.get_risk_level_display() if obj.risk_level else "–"

    @admin.display(description=_("handler"), ordering="handler__last_name")
    def handler_name(self, obj: Breach) -> str:
        return truncated(person(obj.handler), "10em") if obj.handler else "–"

    @admin.display(description=_("notification due at (72 h, Paris time)"))
    def notification_due_at_paris(self, obj: Breach) -> str:
        return format_datetime(obj.notification_due_at) if obj.pk else "–"

    @admin.display(description=_("72-hour clock"), ordering="notification_due_at")
    def due(self, obj: Breach) -> str:
        """The notification deadline (Paris time), its badge under it; the awareness on hover."""
        return format_html(
            '<span title="{}">{}<br>{}</span>',
            _clock(obj),
            nowrap(format_datetime(obj.notification_due_at)),
            due_badge(obj.notification_due_at, done=obj.clock_stopped),
        )

    @admin.display(description=_("decision"), ordering="notification_required")
    def decision(self, obj: Breach) -> str:
        if obj.notification_required is None:
            return badge(gettext("undecided"), "amber")
        if obj.notification_required:
            return badge(gettext("to notify"), "green")
        return badge(gettext("do not notify"), "grey")

    @admin.display(description=_("notified at (Paris)"), ordering="notified_at")
    def notified_at_paris(self, obj: Breach) -> str:
        return format_datetime(obj.notified_at) if obj.notified_at else "–"

    @admin.display(description=_("CNIL"), ordering="notified_at")
    def cnil(self, obj: Breach) -> str:
        """When the CNIL was notified (a red badge under it when after the 72 hours), else the decision."""
        if obj.notified_at is None:
            return self.decision(obj)
        if obj.notified_within_72h:
            return format_html(
                "{}<br>{}", nowrap(format_datetime(obj.notified_at)), badge(gettext("notified"), "green")
            )
        return format_html("{}<br>{}", nowrap(format_datetime(obj.notified_at)), badge(gettext("notified late"), "red"))

    @admin.display(description=_("how the deadline is computed"))
    def clock_explanation(self, obj: Breach) -> str:
        if obj.pk is None:
            return "–"
        return format_html_join(
            "", "<p>{}</p>", ((line,) for line in services.breach_clock_explanation(obj).splitlines())
        )

    # -- writes through the services -----------------------------------------------------------------
    def save_model(self, request: HttpRequest, obj: Breach, form: forms.ModelForm, change: bool) -> None:
        save_through_services(
            obj,
            form,
            change,
            create=lambda **data: services.breach_create(actor=request.user, **data),
            update=lambda **changes: services.breach_update(actor=request.user, breach=obj, **changes),
        )

    # -- the transitions: buttons of the change page (TransitionButtonsMixin) ---------------------------
    def apply_transition(self, request: HttpRequest, obj: Breach, service: Any, data: dict[str, Any]) -> None:
        service(actor=request.user, breach=obj, **data)

    def transition_state(self, obj: Breach) -> str:
        return _state(obj)

    def transition_context(self, obj: Breach) -> dict[str, Any]:
        return {"transition_intro": self._intro(obj)}

    def transition_action_context(self, action: str, obj: Breach) -> dict[str, Any]:
        if action not in EXPLANATIONS:
            return {}
        return {"transition_intro": format_html("{}<br>{}", self._intro(obj), EXPLANATIONS[action])}

    def transition_initial(self, action: str) -> dict[str, Any]:
        now = timezone.localtime().replace(second=0, microsecond=0)
        initial: dict[str, dict[str, Any]] = {
            "notify": {"phase": NotificationPhase.INITIAL, "sent_at": now},
            "notify_complementary": {"phase": NotificationPhase.COMPLEMENTARY, "sent_at": now},
            "inform_subjects": {"informed_at": now},
        }
        return initial.get(action, {})

    @staticmethod
    def _intro(obj: Breach) -> str:
        """The clock and its badge, then what is recorded."""
        return format_html(
            "{} {} — {}",
            capfirst(_clock(obj)),
            due_badge(obj.notification_due_at, done=obj.clock_stopped),
            _state(obj),
        )

    # -- the same transitions as actions of the list -----------------------------------------------------
    def _list_action(
        self,
        request: HttpRequest,
        queryset: QuerySet[Breach],
        action: str,
        *,
        title: str,
        done_message: Any,
        **kwargs: Any,
    ) -> HttpResponse | None:
        form_class, service, _title, _done = TRANSITIONS[action]
        return form_action(
            self,
            request,
            queryset,
            form_class=form_class,
            title=title,
            apply=lambda breach, **data: service(actor=request.user, breach=breach, **data),
            done_message=done_message,
            explanation=str(EXPLANATIONS.get(action, "")),
            **kwargs,
        )

    @admin.action(description=_("Assess the risk to people"), permissions=["change"])
    def assess(self, request: HttpRequest, queryset: QuerySet[Breach]) -> HttpResponse | None:
        return self._list_action(
            request,
            queryset,
            "assess",
            title=gettext("Assess the risk to people"),
            done_message=lambda n: (
                ngettext("%(count)d breach assessed.", "%(count)d breaches assessed.", n) % {"count": n}
            ),
        )

    @admin.action(description=_("Decide whether to notify the CNIL"), permissions=["change"])
    def decide(self, request: HttpRequest, queryset: QuerySet[Breach]) -> HttpResponse | None:
        return self._list_action(
            request,
            queryset,
            "decide",
            title=gettext("Decide whether to notify the CNIL"),
            done_message=lambda n: (
                ngettext("%(count)d decision recorded.", "%(count)d decisions recorded.", n) % {"count": n}
            ),
            describe=lambda breach: (
                breach.get_risk_level_display() if breach.risk_level else gettext("risk not assessed")
            ),
        )

    @admin.action(description=_("Record a notification to the CNIL (initial or complementary)"), permissions=["change"])
    def notify(self, request: HttpRequest, queryset: QuerySet[Breach]) -> HttpResponse | None:
        return self._list_action(
            request,
            queryset,
            "notify",
            title=gettext("Record a notification to the CNIL"),
            done_message=lambda n: (
                ngettext("%(count)d notification recorded.", "%(count)d notifications recorded.", n) % {"count": n}
            ),
            describe=_clock,
        )

    @admin.action(description=_("Record that the data subjects were informed"), permissions=["change"])
    def inform_subjects(self, request: HttpRequest, queryset: QuerySet[Breach]) -> HttpResponse | None:
        return self._list_action(
            request,
            queryset,
            "inform_subjects",
            title=gettext("Record that the data subjects were informed"),
            done_message=lambda n: (
                ngettext("%(count)d breach updated.", "%(count)d breaches updated.", n) % {"count": n}
            ),
        )

    @admin.action(description=_("Record an exemption from informing the data subjects"), permissions=["change"])
    def record_exemption(self, request: HttpRequest, queryset: QuerySet[Breach]) -> HttpResponse | None:
        return self._list_action(
            request,
            queryset,
            "record_exemption",
            title=gettext("Record an exemption from informing the data subjects (Art. 34(3))"),
            done_message=lambda n: (
                ngettext("%(count)d breach updated.", "%(count)d breaches updated.", n) % {"count": n}
            ),
        )

    @admin.action(description=_("Close"), permissions=["change"])
    def close(self, request: HttpRequest, queryset: QuerySet[Breach]) -> HttpResponse | None:
        return self._list_action(
            request,
            queryset,
            "close",
            title=gettext("Close breaches"),
            done_message=lambda n: ngettext("%(count)d breach closed.", "%(count)d breaches closed.", n) % {"count": n},
            describe=lambda breach: "; ".join(services.breach_close_problems(breach)) or gettext("complete"),
        )

    @admin.action(description=_("Export the selected breaches (XLSX register)"), permissions=["view"])
    def export_register(self, request: HttpRequest, queryset: QuerySet[Breach]) -> HttpResponse:
        return self._xlsx(queryset)

    # -- the register export ---------------------------------------------------------------------------
    def get_urls(self) -> list[URLPattern]:
        return [
            path("export/", self.admin_site.admin_view(self.export_view), name="gdpr_breach_export"),
            *super().get_urls(),
        ]

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """The register as the changelist shows it (its filters and search), every breach when unfiltered."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        try:
            queryset = self.get_changelist_instance(request).get_queryset(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(reverse("admin:gdpr_breach_changelist"))
        return self._xlsx(queryset)

    def _xlsx(self, queryset: QuerySet[Breach]) -> HttpResponse:
        content = breach_register_xlsx(queryset.prefetch_related("notifications").order_by("aware_at", "pk"))
        response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
        name = f"breach-register-{timezone.localdate():%Y-%m-%d}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
