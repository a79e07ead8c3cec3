"""The admin calling the services, shared by the admins of every app: the admin itself writes nothing.

An action on the selected rows (`form_action`) or a button of a change page (`form_view`) shows a small
form; its submit calls a service (`apply`), and what the service refuses (a ValidationError) comes back
as an admin message or as errors on the form, never as a 500. The pages are admin/vigie/action_form.html
and admin/vigie/form_page.html (core/templates). The add and change forms save through the services
with `save_through_services` (or their own `save_model` and `adopt`). An admin whose rows move by
transitions gets their buttons on the change page, each with its small form, from
`TransitionButtonsMixin` (admin/vigie/change_form_with_transitions.html and
admin/vigie/transition_form.html).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from .admin_utils import AdminMixinBase

#: The messages that report a service's refusal for one row.
Refusal = Callable[[Any, ValidationError], list[str]]


# --- a service's ValidationError, as the admin shows it ----------------------------------------------------


def error_text(exc: ValidationError, labels: dict[str, Any] | None = None) -> str:
    """A service's ValidationError as one line, each message prefixed with the field it is about."""
    labels = labels or {}
    if hasattr(exc, "error_dict"):
        parts: list[str] = []
        for field, errors in exc.message_dict.items():
            label = labels.get(field, field)
            parts.extend(f"{label}: {message}" if field != "__all__" else message for message in errors)
        return " ".join(parts)
    return " ".join(exc.messages)


def attach_errors(form: forms.Form, exc: ValidationError) -> None:
    """A service's ValidationError on the form: on the fields it names, the rest above the form."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def naming_the_row(labels: dict[str, Any] | None = None) -> Refusal:
    """One message per refused row: the row, then each message with the field (its label) it is about."""
    return lambda obj, exc: [f"{obj}: {error_text(exc, labels)}"]


def as_the_service_says(obj: Any, exc: ValidationError) -> list[str]:
    """Each message of the service as it is, without the fields' names: for services whose messages
    already name the row."""
    if hasattr(exc, "error_dict"):
        return [message for field_messages in exc.message_dict.values() for message in field_messages]
    return list(exc.messages)


# --- the steps -------------------------------------------------------------------------------------------


def apply_to_each(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    objects: Iterable[Any],
    apply: Callable[[Any], Any],
    *,
    done_message: Callable[[int], str],
    refusal: Refusal,
) -> None:
    """`apply(obj)` on each object; a refusal becomes error messages and the others proceed (each service
    is atomic, so nothing of a refused object is written), then one success message counts the rest."""
    done = 0
    for obj in objects:
        try:
            apply(obj)
        except ValidationError as exc:
            for message in refusal(obj, exc):
                modeladmin.message_user(request, message, messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, done_message(done), messages.SUCCESS)


def form_action(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    form_class: type[forms.Form],
    title: str,
    apply: Callable[..., Any],
    done_message: Callable[[int], str],
    describe: Callable[[Any], str] | None = None,
    explanation: str = "",
    initial: dict[str, Any] | None = None,
    refusal: Refusal | None = None,
    template: str | None = None,
) -> HttpResponse | None:
    """An admin action with an intermediate page (Django's pattern): the first POST, from the changelist,
    shows `form_class` for the selected objects; the second ("apply") runs `apply(obj, **cleaned_data)` on
    each of them (`apply_to_each`). A refusal is reported by `refusal`, by default one message naming the
    object and the fields. `describe(obj)` is shown beside each object on the page.
    """
    objects = list(queryset)
    applying = "apply" in request.POST
    form = form_class(request.POST) if applying else form_class(initial=initial)
    if applying and form.is_valid():
        if refusal is None:
            refusal = naming_the_row({name: field.label or name for name, field in form.fields.items()})
        apply_to_each(
            modeladmin,
            request,
            objects,
            lambda obj: apply(obj, **form.cleaned_data),
            done_message=done_message,
            refusal=refusal,
        )
        return None  # back to the changelist, with its filters
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "items": [(obj, describe(obj) if describe else "") for obj in objects],
        "explanation": explanation,
        "action": request.POST.get("action", ""),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "opts": opts,
        "cancel_url": reverse(
            f"admin:{opts.app_label}_{opts.model_name}_changelist", current_app=modeladmin.admin_site.name
        ),
        "media": modeladmin.media + form.media,
    }
    # A model may have its own page, as for Django's delete confirmation.
    templates = (
        [template]
        if template
        else [
            f"admin/{opts.app_label}/{opts.model_name}/action_form.html",
            f"admin/{opts.app_label}/action_form.html",
            "admin/vigie/action_form.html",
        ]
    )
    return TemplateResponse(request, templates, context)


def form_view(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    obj: Model,
    *,
    form_class: type[forms.Form],
    title: str,
    apply: Callable[..., Any],
    done_message: str,
    initial: dict[str, Any] | None = None,
    template: str = "admin/vigie/form_page.html",
    extra_context: dict[str, Any] | None = None,
    form_kwargs: dict[str, Any] | None = None,
) -> HttpResponse:
    """A button of `obj`'s change page: GET shows `form_class`; a valid POST runs `apply(**cleaned_data)`
    and goes back to the change page with `done_message`. A refusal puts the service's messages on the
    form's fields and in an error message, and shows the form again. `form_kwargs` go to the form's
    constructor (e.g. the user, for a form whose fields depend on what they may see).
    """
    opts = modeladmin.model._meta
    change_url = reverse(
        f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk], current_app=modeladmin.admin_site.name
    )
    if request.method == "POST":
        form = form_class(request.POST, request.FILES, **(form_kwargs or {}))  # a file field (a letter) gets it
        if form.is_valid():
            try:
                apply(**form.cleaned_data)
            except ValidationError as exc:
                attach_errors(form, exc)
                modeladmin.message_user(request, " ".join(exc.messages), messages.ERROR)
            else:
                modeladmin.message_user(request, str(done_message), messages.SUCCESS)
                return HttpResponseRedirect(change_url)
    else:
        form = form_class(initial=initial, **(form_kwargs or {}))
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "subtitle": str(obj),
        "opts": opts,
        "original": obj,
        "form": form,
        "change_url": change_url,
        "cancel_url": change_url,
        "media": modeladmin.media + form.media,
        **(extra_context or {}),
    }
    return TemplateResponse(request, template, context)


def save_through_services(
    obj: Model,
    form: forms.ModelForm,
    change: bool,
    *,
    create: Callable[..., Model],
    update: Callable[..., Any],
) -> None:
    """`ModelAdmin.save_model` for an admin whose writes are services: a new row is `create(**fields)` with
    the fields filled in (an empty one gets the service's default), then becomes `obj`; a change is
    `update(**changed fields)`, only when something changed."""
    data = form.cleaned_data
    if not change:
        adopt(obj, create(**{name: data[name] for name in form.fields if name in data and data[name] is not None}))
        return
    changes = {name: data[name] for name in form.changed_data if name in data}
    if changes:
        update(**changes)


def adopt(target: Model, saved: Model) -> None:
    """Make the admin's unsaved form instance the row a service created, so the admin's own steps after
    `save_model` (inlines, log entry, redirect) use it."""
    for field in saved._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db


# --- the transition buttons of a change page ---------------------------------------------------------------


def format_translated(text: str, **values: Any) -> SafeString:
    """`text % values` as {% blocktranslate %} makes it: the translated text as it is, the values escaped."""
    return mark_safe(text % {name: conditional_escape(value) for name, value in values.items()})


class TransitionButtonsMixin(AdminMixinBase):
    """The transitions of a row as buttons of its change page, each a small form (`form_view`) calling its
    service, at `<object_id>/do/<action>/` (URL name `<app>_<model>_transition`).

    `transitions` maps each action to (form, service, button title, done message); `allowed_actions(obj)`
    says which ones the row's status allows (the others are refused on GET with
    `transition_not_possible`, formatted with the action's title and the status; a POST is left to the
    service to refuse). `transition_url_dashes` writes `start_analysis` as `start-analysis` in the URL.
    An admin says how a service is called (`apply_transition`), what a form starts with
    (`transition_initial`) and is given (`transition_form_kwargs`, e.g. the user), what the page shows above the form (`transition_context`, e.g. its
    `transition_intro`, or per action `transition_action_context`) and, for a row without a `status`
    field, how its state is named in the refusal (`transition_state`).
    """

    transitions: ClassVar[dict[str, tuple[type[forms.Form], Any, Any, Any]]] = {}
    allowed_actions: Callable[[Any], Iterable[str]]
    transition_not_possible: Any = ""
    transition_url_dashes: bool = False
    transition_template: str = "admin/vigie/transition_form.html"
    change_form_template = "admin/vigie/change_form_with_transitions.html"

    def _transition_url_name(self, view: str) -> str:
        return f"admin:{self.opts.app_label}_{self.opts.model_name}_{view}"

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/do/<slug:action>/",
                self.admin_site.admin_view(self.transition_view),
                name="{}_{}_transition".format(*info),
            ),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and self.has_change_permission(request, obj):
            extra_context["transition_links"] = [
                (
                    self.transitions[name][2],
                    reverse(
                        self._transition_url_name("transition"),
                        args=[obj.pk, name.replace("_", "-") if self.transition_url_dashes else name],
                    ),
                )
                for name in self.allowed_transitions(request, obj)
            ]
        return super().change_view(request, object_id, form_url, extra_context)

    def transition_view(self, request: HttpRequest, object_id: str, action: str) -> HttpResponse:
        if self.transition_url_dashes:
            action = action.replace("-", "_")
        obj = self.get_object(request, unquote(object_id))
        if obj is None or action not in self.transitions:
            raise Http404
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        form_class, service, title, done = self.transitions[action]
        if request.method != "POST" and action not in self.allowed_transitions(request, obj):
            messages.error(
                request, str(self.transition_not_possible) % {"action": title, "status": self.transition_state(obj)}
            )
            return HttpResponseRedirect(reverse(self._transition_url_name("change"), args=[obj.pk]))

        def apply(**data: Any) -> None:
            self.apply_transition(request, obj, service, data)

        return form_view(
            self,
            request,
            obj,
            form_class=form_class,
            title=str(title),
            apply=apply,
            done_message=done,
            initial=self.transition_initial(action),
            template=self.transition_template,
            extra_context={**self.transition_context(obj), **self.transition_action_context(action, obj)},
            form_kwargs=self.transition_form_kwargs(request, action, obj),
        )

    def apply_transition(
        self, request: HttpRequest, obj: Any, service: Callable[..., Any], data: dict[str, Any]
    ) -> None:
        """Call the action's service with the form's cleaned data."""
        raise NotImplementedError

    def transition_initial(self, action: str) -> dict[str, Any]:
        """The initial values of the action's form."""
        return {}

    def allowed_transitions(self, request: HttpRequest, obj: Any) -> Iterable[str]:
        """The buttons `request.user` gets on `obj`'s page: `allowed_actions(obj)` unless an admin says more."""
        return self.allowed_actions(obj)

    def transition_form_kwargs(self, request: HttpRequest, action: str, obj: Any) -> dict[str, Any]:
        """More arguments for the action's form (its constructor's keywords)."""
        return {}

    def transition_context(self, obj: Any) -> dict[str, Any]:
        """More context for the action's page: `transition_intro` is the line above the form."""
        return {}

    def transition_action_context(self, action: str, obj: Any) -> dict[str, Any]:
        """Context for one action's page only (it wins over `transition_context`)."""
        return {}

    def transition_state(self, obj: Any) -> str:
        """The row's state as `transition_not_possible` names it: its status by default."""
        return str(obj.get_status_display())
