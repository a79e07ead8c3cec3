"""Who may be chosen for a record: the user choosers of every form ("handler", "owner"...).

A user chooser offers the active users who may handle the record, that is who hold the change permission on
its model (through a group or directly; superusers included), by full name ("Prénom Nom", the login when the
user has no name), ordered by that name. The user already chosen stays offered, marked, even when they may no
longer handle the record: opening an old record and saving it never silently changes who handles it. Any
other posted user is refused like any invalid choice, whether it exists or not.

`UserChooserMixin` does it for every ModelAdmin (VigieAdminSite.register mixes it in), `user_choice_field` for
the plain forms that pick a user (transition forms), `users_who_may_change` is the queryset behind both and
behind the API's user fields (core/api/user_fields.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.apps import apps
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Case, Exists, Model, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Concat, Lower, Trim
from django.http import HttpRequest
from django.utils.translation import gettext

from .roles import seal_of, superusers_pass_seal

# The annotations of a chooser's queryset: the name shown (and ordered by) and whether the user may handle
# the record (False only for the kept current value).
LABEL = "vigie_chooser_label"
MAY_HANDLE = "vigie_may_handle"


def is_user_model(model: Any) -> bool:
    return model is get_user_model()


def user_label(user: Any) -> str:
    """A user as people name them: "Prénom Nom", or the login when the user has no name."""
    if user is None:
        return ""
    label = getattr(user, LABEL, None)
    if label:
        return str(label)
    return user.get_full_name().strip() or user.get_username()


def users_who_may_change(model: type[Model]) -> QuerySet[Any]:
    """The active users who hold the change permission on `model`, directly or through a group, and the
    active superusers: those who may handle its records. Subqueries, not joins: no duplicates, one query.
    For a model of a sealed app (core/roles.py `seal_of`), only the active members of the seal's role, and
    the superusers when the seal lets them in: a hand-given permission does not open a seal."""
    user_model = get_user_model()
    opts = model._meta
    seal = seal_of(model)
    if seal is not None:
        members = Q(groups__name=seal[0])
        if superusers_pass_seal(seal):
            members |= Q(is_superuser=True)
        return user_model._default_manager.filter(is_active=True).filter(
            pk__in=user_model._default_manager.filter(members).values("pk")
        )
    permission = Permission.objects.filter(
        content_type__app_label=opts.app_label, codename=f"change_{opts.model_name}"
    ).values("pk")
    groups_through = user_model.groups.through
    perms_through = user_model.user_permissions.through
    group_links = user_model.groups.field.m2m_reverse_field_name()  # "group"
    user_links = user_model.groups.field.m2m_field_name()
    by_group = groups_through.objects.filter(**{f"{group_links}__permissions__in": permission}).values(
        f"{user_links}_id"
    )
    by_hand = perms_through.objects.filter(permission__in=permission).values(
        f"{user_model.user_permissions.field.m2m_field_name()}_id"
    )
    return user_model._default_manager.filter(is_active=True).filter(
        Q(is_superuser=True) | Q(pk__in=by_group) | Q(pk__in=by_hand)
    )


def user_choices(model: type[Model], keep: Q | None = None) -> QuerySet[Any]:
    """The users offered to choose for a `model` record, by name, each annotated with its label and whether
    they may handle it; `keep` (a Q on the users) adds those already chosen, whoever they are."""
    user_model = get_user_model()
    eligible = users_who_may_change(model)
    offered = Q(pk__in=eligible.values("pk"))
    if keep is not None:
        offered |= keep
    full_name = Trim(Concat("first_name", Value(" "), "last_name"))
    return (
        user_model._default_manager.filter(offered)
        .annotate(
            **{
                LABEL: Case(When(first_name="", last_name="", then="username"), default=full_name),
                MAY_HANDLE: Exists(eligible.filter(pk=OuterRef("pk"))),
            }
        )
        .order_by(Lower(LABEL), "username")
    )


def _choice_label(user: Any) -> str:
    label = user_label(user)
    if getattr(user, MAY_HANDLE, True) is False:
        label = f"{label} {gettext('(may no longer handle this record)')}"
    return label


class UserChoiceField(forms.ModelChoiceField):
    """A user chooser for the records of `model` (see the module's docstring)."""

    def __init__(self, model: type[Model], *, current: Any = None, **kwargs: Any) -> None:
        self.record_model = model
        kwargs.setdefault("queryset", user_choices(model))
        super().__init__(**kwargs)
        if current is not None:
            self.keep(current)

    def keep(self, current: Any) -> None:
        """Offer `current` (a user or its id; None: nobody) too, marked when they may no longer handle the
        record. The choices are set again either way (a form's own __init__ may have narrowed them)."""
        pk = getattr(current, "pk", current)
        self.queryset = user_choices(self.record_model, keep=None if pk is None else Q(pk=pk))

    def label_from_instance(self, obj: Any) -> str:
        return _choice_label(obj)


class UserMultipleChoiceField(forms.ModelMultipleChoiceField):
    """The many-to-many version of `UserChoiceField`."""

    def __init__(self, model: type[Model], **kwargs: Any) -> None:
        self.record_model = model
        kwargs.setdefault("queryset", user_choices(model))
        super().__init__(**kwargs)

    def keep(self, current: QuerySet[Any] | Iterable[Any]) -> None:
        """Offer the users already chosen (a queryset, kept as a subquery, or users or ids)."""
        keep: Q
        if isinstance(current, QuerySet):
            keep = Q(pk__in=current.values("pk"))
        else:
            keep = Q(pk__in=[getattr(user, "pk", user) for user in current])
        self.queryset = user_choices(self.record_model, keep=keep)

    def label_from_instance(self, obj: Any) -> str:
        return _choice_label(obj)


def user_choice_field(model: type[Model], *, current: Any = None, **kwargs: Any) -> UserChoiceField:
    """A user chooser for a plain form acting on a `model` record (a transition form): the users who may
    handle it, and `current` (the record's user now) kept. `kwargs` go to the field (label, required...)."""
    return UserChoiceField(model, current=current, **kwargs)


def _keep_current_users(form: forms.BaseForm) -> None:
    instance = getattr(form, "instance", None)
    for name, field in form.fields.items():
        if isinstance(field, UserChoiceField):
            if instance is not None:
                field.keep(getattr(instance, f"{name}_id", None))
        elif isinstance(field, UserMultipleChoiceField) and instance is not None and instance.pk is not None:
            related = getattr(instance, name, None)
            if related is not None and hasattr(related, "all"):
                field.keep(related.all())


class UserChooserMixin:
    """For a ModelAdmin: each foreign key or many-to-many to the user model is a chooser of the users who may
    change the admin's model, by name, the record's current user kept (see the module's docstring). The admin's
    own select (Django's, or its theme's), never an autocomplete or a raw id: the users are few, and the
    autocomplete view answers only those who may view the user accounts, by login."""

    model: type[Model]

    def get_autocomplete_fields(self, request: HttpRequest) -> Any:
        # The admin's own select widget (Django's or its theme's) for the user fields, never an autocomplete.
        fields = super().get_autocomplete_fields(request)  # type: ignore[misc]  # a mixin of ModelAdmin
        return [name for name in fields if not _is_user_field(self.model, name)]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if is_user_model(db_field.remote_field.model) and "queryset" not in kwargs:
            if db_field.name in getattr(self, "raw_id_fields", ()):
                kwargs["widget"] = forms.Select
            kwargs["form_class"] = _user_field_class(self.model)
            kwargs["queryset"] = user_choices(self.model)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]  # a mixin of ModelAdmin

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if is_user_model(db_field.remote_field.model) and "queryset" not in kwargs:
            if db_field.name in getattr(self, "raw_id_fields", ()):
                kwargs["widget"] = forms.SelectMultiple
            kwargs["form_class"] = _user_multiple_field_class(self.model)
            kwargs["queryset"] = user_choices(self.model)
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]  # a mixin of ModelAdmin

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form_class = super().get_form(request, obj, change=change, **kwargs)  # type: ignore[misc]  # a mixin of ModelAdmin

        def __init__(form: forms.BaseForm, *args: Any, **init_kwargs: Any) -> None:
            form_class.__init__(form, *args, **init_kwargs)
            _keep_current_users(form)

        return type(form_class.__name__, (form_class,), {"__init__": __init__, "__module__": form_class.__module__})

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Any], search_term: str) -> Any:
        # The users' admin answering the autocomplete view for a user field of some record (a widget none of
        # Vigie's forms use, but the URL answers anyone who may view the users): the same users as the chooser.
        source = _autocomplete_source(request) if is_user_model(self.model) else None
        if source is not None:
            queryset = queryset.filter(pk__in=users_who_may_change(source).values("pk"))
        return super().get_search_results(request, queryset, search_term)  # type: ignore[misc]  # a mixin of ModelAdmin


def _is_user_field(model: type[Model], name: str) -> bool:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    remote = getattr(field, "remote_field", None)
    return remote is not None and is_user_model(remote.model)


def _autocomplete_source(request: HttpRequest) -> type[Model] | None:
    """The model whose user field the admin's autocomplete view is asked about, if it is that view."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.url_name != "autocomplete":
        return None
    try:
        model = apps.get_model(request.GET["app_label"], request.GET["model_name"])
        field = model._meta.get_field(request.GET["field_name"])
    except (KeyError, LookupError, FieldDoesNotExist):
        return None  # the view itself refuses such a request before it searches
    remote = getattr(field, "remote_field", None)
    return model if remote is not None and is_user_model(remote.model) else None


def _user_field_class(model: type[Model]) -> type[UserChoiceField]:
    # Model.formfield() calls form_class(queryset=..., ...) without the record's model: bind it.
    class _Field(UserChoiceField):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(model, **kwargs)

    return _Field


def _user_multiple_field_class(model: type[Model]) -> type[UserMultipleChoiceField]:
    class _Field(UserMultipleChoiceField):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(model, **kwargs)

    return _Field


__all__ = [
    "UserChoiceField",
    "UserChooserMixin",
    "UserMultipleChoiceField",
    "is_user_model",
    "user_choice_field",
    "user_choices",
    "user_label",
    "users_who_may_change",
]


def install() -> None:
    """A user shown in a record's read-only field is shown by name, without a link (core/apps.py).

    Django's admin (and django-unfold's, which draws its own read-only fields) links a read-only foreign key to
    the related record's page without asking whether the reader may open it: a user's page is an
    administrator's, so every other role would follow a link to a 403 (issue 16: no dead ends), and would read
    the login instead of the name.
    """
    from unfold.fields import UnfoldAdminReadonlyField

    for field_class in (helpers.AdminReadonlyField, UnfoldAdminReadonlyField):
        _users_by_name(field_class)


def _users_by_name(field_class: type[helpers.AdminReadonlyField]) -> None:
    original = field_class.get_admin_url
    if getattr(original, "vigie_users_by_name", False):
        return

    def get_admin_url(self: helpers.AdminReadonlyField, remote_field: Any, remote_obj: Any) -> Any:
        if is_user_model(remote_field.model):
            return user_label(remote_obj)
        return original(self, remote_field, remote_obj)

    get_admin_url.vigie_users_by_name = True  # type: ignore[attr-defined]  # marks the wrapper: installed once
    field_class.get_admin_url = get_admin_url  # type: ignore[method-assign]  # see install's docstring
