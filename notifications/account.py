""" "My account" (Mon compte): each staff user's own page in the admin, from the user menu.

- Their absences: the list, adding one (a deputy chosen among the other active users who share one of their
  roles, or a superuser; a date range),
  changing or deleting one that is not over yet; an absence that ended is the record of who stood in and
  stays as it is. Alerts for the person away go to their deputy as well during the range
  (notifications/recipients.py reads Absence).
- Their calendar feed (notifications/calendar.py): make or renew its secret URL, shown once on the page
  that made it (renewing revokes the old URL), or revoke it.

Every change is a history row naming who made it (django-simple-history's request middleware).
The pages are views of the admin site (VigieAdminSite reads `NotificationsConfig.admin_urls`), behind its
login and two-factor checks; each acts on the signed-in user's own rows only (another's absence: 404).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy
from django.views.decorators.http import require_POST
from unfold.widgets import INPUT_CLASSES, UnfoldAdminSelectWidget, UnfoldAdminTextInputWidget

from core.admin_choosers import user_label
from core.roles import ROLES

from .calendar import feed_renew, feed_revoke, feed_url
from .models import Absence, CalendarFeed

TEMPLATE = "notifications/account.html"
ABSENCE_TEMPLATE = "notifications/absence_form.html"


class DeputyField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return user_label(obj)


def deputies(user: Any) -> Any:
    """Who may stand in for `user`: the other active staff users who hold at least one of their roles (core/roles.py),
    or a superuser, by name. The deputy receives the alerts of the person away (notifications/recipients.py
    sends them only what the deputy may view): someone of another role only would receive nothing."""
    roles = user.groups.filter(name__in=[role.name for role in ROLES]).values("pk")
    return (
        get_user_model()
        ._default_manager.filter(Q(is_superuser=True) | Q(groups__in=roles), is_active=True, is_staff=True)
        .exclude(pk=user.pk)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


class DayInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(attrs={"class": " ".join(INPUT_CLASSES)}, format="%Y-%m-%d")


class AbsenceForm(forms.ModelForm):
    """An absence of `user` (never someone else's: the user is not a field)."""

    deputy = DeputyField(
        queryset=get_user_model()._default_manager.none(),
        label=gettext_lazy("deputy"),
        widget=UnfoldAdminSelectWidget,
        error_messages={
            "invalid_choice": gettext_lazy(
                "This person cannot stand in for you: choose an active user who holds one of your roles."
            )
        },
    )

    class Meta:
        model = Absence
        fields = ["deputy", "starts_on", "ends_on", "note"]
        widgets = {"starts_on": DayInput, "ends_on": DayInput, "note": UnfoldAdminTextInputWidget}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.user = user
        field = self.fields["deputy"]
        assert isinstance(field, DeputyField)
        field.queryset = deputies(user)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        starts, ends = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The last day away cannot be before the first day away."))
        elif ends and ends < timezone.localdate():
            self.add_error("ends_on", _("The last day away is already past: a past absence cannot be recorded."))
        return cleaned


def is_over(absence: Absence) -> bool:
    return absence.ends_on < timezone.localdate()


def _page(request: HttpRequest, site: Any, form: AbsenceForm, **extra: Any) -> TemplateResponse:
    user: Any = request.user
    today = timezone.localdate()
    absences = list(Absence.objects.filter(user=user).select_related("deputy").order_by("-starts_on", "pk"))
    for absence in absences:
        absence.is_over = absence.ends_on < today  # type: ignore[attr-defined]  # for the template
    context = {
        **site.each_context(request),
        "title": _("My account"),
        "form": form,
        "absences": absences,
        "deputising": Absence.objects.filter(deputy=user, ends_on__gte=today).select_related("user"),
        "feed": CalendarFeed.objects.filter(user=user).first(),
        **extra,
    }
    # No Referrer-Policy of its own: the new address is in the page, never in its URL (and "no-referrer" would
    # make the browser post its forms with "Origin: null", which the CSRF check refuses).
    return TemplateResponse(request, TEMPLATE, context)


def account(request: HttpRequest, site: Any) -> HttpResponse:
    """The page; POST adds an absence."""
    if request.method == "POST":
        form = AbsenceForm(request.POST, user=request.user)
        if form.is_valid():
            form.save()
            messages.success(request, _("Your absence was recorded."))
            return HttpResponseRedirect(reverse("admin:account", current_app=site.name))
    else:
        form = AbsenceForm(user=request.user)
    return _page(request, site, form)


def absence_change(request: HttpRequest, site: Any, pk: int) -> HttpResponse:
    absence = get_object_or_404(Absence, pk=pk, user=request.user)
    back = reverse("admin:account", current_app=site.name)
    if is_over(absence):
        messages.error(request, _("This absence is over: it stays as it was recorded."))
        return HttpResponseRedirect(back)
    form = AbsenceForm(request.POST if request.method == "POST" else None, instance=absence, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your absence was changed."))
        return HttpResponseRedirect(back)
    context = {
        **site.each_context(request),
        "title": _("Change an absence"),
        "form": form,
        "cancel_url": back,
    }
    return TemplateResponse(request, ABSENCE_TEMPLATE, context)


@require_POST
def absence_delete(request: HttpRequest, site: Any, pk: int) -> HttpResponse:
    absence = get_object_or_404(Absence, pk=pk, user=request.user)
    if is_over(absence):
        messages.error(request, _("This absence is over: it stays as it was recorded."))
    else:
        absence.delete()
        messages.success(request, _("Your absence was deleted."))
    return HttpResponseRedirect(reverse("admin:account", current_app=site.name))


@require_POST
def calendar(request: HttpRequest, site: Any) -> HttpResponse:
    """POST action=renew: a new secret URL, shown once on the page returned (the old one revoked);
    action=revoke: no feed any more."""
    action = request.POST.get("action")
    if action == "renew":
        token = feed_renew(request.user)
        return _page(request, site, AbsenceForm(user=request.user), new_feed_url=feed_url(token))
    if action == "revoke":
        if feed_revoke(request.user):
            messages.success(request, _("Your calendar feed was revoked: its address no longer works."))
        return HttpResponseRedirect(reverse("admin:account", current_app=site.name))
    raise Http404


def _bound(view: Callable[..., HttpResponse], site: Any) -> Callable[..., HttpResponse]:
    def bound(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return view(request, site, *args, **kwargs)

    bound.__name__ = view.__name__
    return site.admin_view(bound)


def admin_urls(site: Any) -> list:
    """The account pages, as URLs of the admin site `site` (core/admin_site.py)."""
    return [
        path("account/", _bound(account, site), name="account"),
        path("account/absences/<int:pk>/", _bound(absence_change, site), name="account_absence"),
        path("account/absences/<int:pk>/delete/", _bound(absence_delete, site), name="account_absence_delete"),
        path("account/calendar/", _bound(calendar, site), name="account_calendar"),
    ]
