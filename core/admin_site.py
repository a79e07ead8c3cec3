"""Vigie's admin site: Django's, plus two-factor authentication when `VIGIE_ADMIN_OTP_REQUIRED` is on, and
the checks of core/admin_lookups.py on what every admin list is asked through its URL.

Installed as the default site (core/admin_config.py `VigieAdminConfig` in INSTALLED_APPS), so every `admin.site.register` and
`@admin.register` of the apps use it. When two-factor is required, a user who has only given the password
has no admin permission: with a registered device the login form asks for its code; without one the
user is sent to register it (core/security.py).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.apps import apps
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, path, reverse
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django_otp import user_has_device
from unfold.admin import ModelAdmin as UnfoldModelAdmin
from unfold.sites import UnfoldAdminSite

from .admin_choosers import UserChooserMixin
from .admin_lookups import VisibleLookupsMixin
from .admin_seal import SealedAdminMixin
from .roles import seal_of
from .security import AdminLoginForm, is_verified, otp_required, otp_setup_view, sign_on_enabled


class VigieAdminSite(UnfoldAdminSite):
    login_form = AdminLoginForm
    login_template = "admin/vigie/login.html"

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        # Every admin, those of apps added later included, refuses lookups through models the user may not
        # view or to fields they may not read, and wrong filter values (core/admin_lookups.py).
        # Every user chooser offers the users who may handle the record, by name (core/admin_choosers.py).
        admin_class = admin_class or admin.ModelAdmin
        # The admins of a sealed app (aml) do not exist for a user outside its seal (core/admin_seal.py).
        models = [model_or_iterable] if isinstance(model_or_iterable, type) else list(model_or_iterable)
        if any(seal_of(model) for model in models) and not issubclass(admin_class, SealedAdminMixin):
            admin_class = type(
                admin_class.__name__, (SealedAdminMixin, admin_class), {"__module__": admin_class.__module__}
            )
        # Every admin has django-unfold's look (its ModelAdmin after the app's own class, so the app's own
        # choices win).
        mixins = tuple(mixin for mixin in (VisibleLookupsMixin, UserChooserMixin) if not issubclass(admin_class, mixin))
        look = () if issubclass(admin_class, UnfoldModelAdmin) else (UnfoldModelAdmin,)
        if mixins or look:
            admin_class = type(
                admin_class.__name__, (*mixins, admin_class, *look), {"__module__": admin_class.__module__}
            )
        super().register(models, admin_class, **options)

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and is_verified(request.user)

    def get_urls(self) -> list:
        return [path("otp/setup/", self.otp_setup, name="otp_setup"), *self.app_urls(), *super().get_urls()]

    def app_urls(self) -> list:
        """The admin pages the apps declare that are not a model's (an AppConfig's `admin_urls`: the dotted
        path of a function that takes the site and returns its URL patterns, e.g. notifications' "My
        account"): the floor reads the declaration and imports no app."""
        found: list = []
        for config in apps.get_app_configs():
            dotted = getattr(config, "admin_urls", None)
            if dotted:
                found.extend(import_string(dotted)(self))
        return found

    def otp_setup(self, request: HttpRequest) -> HttpResponse:
        return never_cache(csrf_protect(otp_setup_view))(request, self)

    def _needs_device(self, request: HttpRequest) -> bool:
        user = request.user
        return (
            otp_required()
            and user.is_authenticated
            and user.is_active
            and user.is_staff
            and not is_verified(user)
            and not user_has_device(user)
        )

    def _setup_redirect(self, request: HttpRequest) -> HttpResponseRedirect:
        url = reverse("admin:otp_setup", current_app=self.name)
        target = request.POST.get("next") or request.GET.get("next")
        return HttpResponseRedirect(f"{url}?{urlencode({'next': target})}" if target else url)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if self._needs_device(request):
            return self._setup_redirect(request)
        if sign_on_enabled():
            # "Sign in with the company account" on the login page (core/oidc.py).
            url = reverse("oidc_authentication_init")
            target = request.GET.get("next")
            extra_context = {
                **(extra_context or {}),
                "sign_on_url": f"{url}?{urlencode({'next': target})}" if target else url,
            }
        response = super().login(request, extra_context)
        # The password was right and the user has no device yet: register one before going anywhere.
        if request.method == "POST" and self._needs_device(request):
            return self._setup_redirect(request)
        return response


def account_links(request: HttpRequest) -> list[dict[str, Any]]:
    """The user menu's links (django-unfold's UNFOLD["ACCOUNT"]["navigation"]): "My account" (notifications'
    absences and calendar feed, when installed) and, for a user with a password, "Change password" (which
    django-unfold shows only when no link is configured)."""
    links: list[dict[str, Any]] = []
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:  # the login page
        return links
    try:
        links.append({"title": _("My account"), "link": reverse("admin:account")})
    except NoReverseMatch:  # pragma: no cover - notifications not installed
        pass
    if user.has_usable_password():
        links.append({"title": _("Change password"), "link": reverse("admin:password_change")})
    return links
