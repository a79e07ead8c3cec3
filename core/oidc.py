"""Company sign-on with OpenID Connect (mozilla-django-oidc), when configured (docs/deployment.md).

- `VIGIE_OIDC_ROLE_MAP` (parsed in config/settings/base.py): IdP group values → role groups (core/roles.py).
- `CompanySignOnBackend`: finds the user by the provider's identity of the person (issuer and `sub`,
  core.SignOnIdentity, stored at the first login); the first time only, by email, and then only an account
  that no identity holds yet (else it creates one with an unusable password). It applies the roles EXACTLY
  from the groups claim at every login and every silent renewal: a person removed from an IdP group loses
  the role; groups that are not roles are left alone. Claims without an email, with an email the provider
  says is not verified (`email_verified: false`), or whose groups map to no role, give nobody access: no
  user is created, an existing one loses its roles and staff status (no role), and the browser gets the
  "no access" page. Another subject with the email of an account already linked is refused. A superuser is
  a local break-glass account, never opened by the company sign-on.
- Each login and renewal records the provider's confirmation (`SignOnIdentity.confirmed_at`): the calendar
  feed and the API tokens of a sign-on user stop working when it is older than
  `VIGIE_OIDC_CONFIRMATION_MAX_AGE_DAYS` (`confirmation_expired`).
- `CallbackView`: mozilla's callback, with the "no access" page and a logout on any failure (the IdP
  refused a silent renewal, say).
- `SessionRefresh`: mozilla's middleware (after `OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS` a page load goes back
  to the IdP with prompt=none). A session past that limit does not count for anything else either: a POST,
  or any request of the API, is anonymous until a page load has renewed it.
- An OIDC session counts as strongly authenticated (core/security.py `is_verified`): the second factor is
  the IdP's job.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

import jwt
import requests
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.models import AnonymousUser, Group
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from mozilla_django_oidc import views as oidc_views
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.middleware import SessionRefresh as MozillaSessionRefresh

logger = logging.getLogger(__name__)

BACKEND_PATH = "core.oidc.CompanySignOnBackend"
#: Set on a user object authenticated by the company sign-on (core/security.py `is_verified`).
SIGN_ON_ATTRIBUTE = "vigie_company_sign_on"
#: Why the backend refused a login, for the callback's page (a request attribute).
REFUSAL_ATTRIBUTE = "vigie_sign_on_refusal"

NO_EMAIL = "no_email"
NO_ROLE = "no_role"
INACTIVE = "inactive"
LOCAL_ADMINISTRATOR = "local_administrator"
AMBIGUOUS = "ambiguous"
UNVERIFIED_EMAIL = "unverified_email"
NO_SUBJECT = "no_subject"
LINKED_ELSEWHERE = "linked_elsewhere"

#: Default of VIGIE_OIDC_CONFIRMATION_MAX_AGE_DAYS.
DEFAULT_CONFIRMATION_MAX_AGE_DAYS = 30


def enabled() -> bool:
    return bool(getattr(settings, "VIGIE_OIDC_ENABLED", False))


def role_names() -> set[str]:
    from .roles import ROLES

    return {role.name for role in ROLES}


def check_role_map(role_map: Mapping[str, str]) -> None:
    unknown = sorted({role for role in role_map.values() if role not in role_names()})
    if unknown:
        raise ImproperlyConfigured(
            f"VIGIE_OIDC_ROLE_MAP names roles that do not exist: {', '.join(unknown)} "
            f"(the roles: {', '.join(sorted(role_names()))})."
        )


def claimed_groups(claims: Mapping[str, Any]) -> list[str]:
    """The values of the groups claim (a list, or one string)."""
    name = getattr(settings, "VIGIE_OIDC_GROUPS_CLAIM", "groups")
    value = claims.get(name)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    logger.warning("Company sign-on: the %r claim is neither a list nor a string; no role taken from it.", name)
    return []


def mapped_roles(groups: Iterable[str]) -> set[str]:
    """The role names the groups give; an unknown group value is logged, not fatal."""
    role_map: dict[str, str] = getattr(settings, "VIGIE_OIDC_ROLE_MAP", {})
    check_role_map(role_map)
    roles = set()
    for group in groups:
        role = role_map.get(group)
        if role is None:
            logger.warning("Company sign-on: group %r is not in VIGIE_OIDC_ROLE_MAP; ignored.", group)
        else:
            roles.add(role)
    return roles


def email_unverified(claims: Mapping[str, Any]) -> bool:
    """The provider says the email is not verified: `email_verified` present and false (a boolean, or the
    string "false" some providers send)."""
    if "email_verified" not in claims:
        return False
    value = claims["email_verified"]
    if isinstance(value, str):
        return value.strip().lower() != "true"
    return value is not True


def confirmation_max_age() -> dt.timedelta:
    days = getattr(settings, "VIGIE_OIDC_CONFIRMATION_MAX_AGE_DAYS", DEFAULT_CONFIRMATION_MAX_AGE_DAYS)
    return dt.timedelta(days=int(days))


def confirmation_expired(user: Any) -> bool:
    """Whether `user` is a company sign-on user (a SignOnIdentity) whose last confirmation by the provider is
    older than VIGIE_OIDC_CONFIRMATION_MAX_AGE_DAYS: their standing credentials (calendar feed, API token)
    then stop working until they log in again. Local users (no identity) are not concerned. Reads the
    identity from the user's cache when `select_related("sign_on_identity")` fetched it."""
    from .models import SignOnIdentity

    try:
        identity = user.sign_on_identity
    except SignOnIdentity.DoesNotExist:
        return False
    return identity.confirmed_at < timezone.now() - confirmation_max_age()


def names_from(claims: Mapping[str, Any]) -> tuple[str, str]:
    first, last = str(claims.get("given_name") or "").strip(), str(claims.get("family_name") or "").strip()
    if not first and not last:
        full = str(claims.get("name") or "").strip()
        first, _, last = full.partition(" ")
    return first[:150], last[:150]


class CompanySignOnBackend(OIDCAuthenticationBackend):
    """Users from the IdP's claims, their roles applied exactly from the groups claim at every login.

    Permissions are answered by ModelBackend (and refused first by core.roles.HiddenReferencesBackend):
    this backend only authenticates.
    """

    def refuse(self, reason: str, message: str, *args: Any) -> NoReturn:
        logger.warning("Company sign-on refused: " + message, *args)
        setattr(self.request, REFUSAL_ATTRIBUTE, reason)
        raise SuspiciousOperation(reason)

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> dict[str, Any]:
        # The groups may be in the ID token only (some IdPs), the profile in the user info only.
        return {**payload, **super().get_userinfo(access_token, id_token, payload)}

    def retrieve_matching_jwk(self, token: str) -> Any:
        # An ID token without a key id (some providers with a single key): mozilla-django-oidc would fail
        # with a KeyError (a 500); take the provider's only signing key for the algorithm instead.
        if "kid" in jwt.get_unverified_header(token):
            return super().retrieve_matching_jwk(token)
        response = requests.get(
            self.OIDC_OP_JWKS_ENDPOINT,
            verify=self.get_settings("OIDC_VERIFY_SSL", True),
            timeout=self.get_settings("OIDC_TIMEOUT", None),
            proxies=self.get_settings("OIDC_PROXY", None),
        )
        response.raise_for_status()
        keys = [
            key
            for key in response.json().get("keys", [])
            if key.get("use", "sig") == "sig" and key.get("alg", self.OIDC_RP_SIGN_ALGO) == self.OIDC_RP_SIGN_ALGO
        ]
        if len(keys) != 1:
            raise SuspiciousOperation("The ID token names no key and the provider has several.")
        return jwt.PyJWK(keys[0])

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return True  # checked in get_or_create_user, which knows the user to strip

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        email = str(claims.get("email") or "").strip()
        return self.UserModel.objects.filter(Q(email__iexact=email) | Q(username__iexact=email))

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        from .models import SignOnIdentity

        claims = self.get_userinfo(access_token, id_token, payload)
        # The person is the ID token's (signed) issuer and subject; the user info must name the same one.
        issuer, subject = str(payload.get("iss") or "").strip(), str(payload.get("sub") or "").strip()
        if not subject or str(claims.get("sub") or "").strip() != subject:
            self.refuse(NO_SUBJECT, "the ID token has no subject, or the user info names another one (%r).", subject)
        email = str(claims.get("email") or "").strip()
        if not email or "@" not in email:
            self.refuse(NO_EMAIL, "the claims of subject %r have no email.", subject)
        if email_unverified(claims):
            self.refuse(UNVERIFIED_EMAIL, "the email %r of subject %r is not verified by the provider.", email, subject)
        roles = mapped_roles(claimed_groups(claims))
        with transaction.atomic():
            identity = (
                SignOnIdentity.objects.select_for_update()
                .select_related("user")
                .filter(issuer=issuer, subject=subject)
                .first()
            )
            if identity is not None:
                users = [identity.user]
            else:
                # The first login: an account with this email, if no identity holds it already.
                users = list(self.filter_users_by_claims(claims).select_for_update())
            user = users[0] if len(users) == 1 else None
            if len(users) > 1:
                refusal: tuple[str, ...] | None = (AMBIGUOUS, "several users have the email or user name %r.", email)
            elif identity is None and user is not None and SignOnIdentity.objects.filter(user=user).exists():
                refusal = (
                    LINKED_ELSEWHERE,
                    "subject %r claims the email of %r, who signs on as another subject.",
                    subject,
                    user.get_username(),
                )
            elif user is not None and user.is_superuser:
                refusal = (LOCAL_ADMINISTRATOR, "%r is a superuser: a local account only.", user.get_username())
            elif user is not None and not user.is_active:
                refusal = (INACTIVE, "%r is deactivated in Vigie.", user.get_username())
            elif not roles:
                # Nobody keeps a role the IdP no longer gives (committed before the refusal).
                if user is not None:
                    self.apply_roles(user, set())
                refusal = (NO_ROLE, "the groups of %r map to no role of Vigie.", email)
            else:
                refusal = None
                if user is None:
                    user = self.UserModel(username=email[:150], email=email)
                    user.set_unusable_password()
                user.email = email
                user.first_name, user.last_name = names_from(claims)
                user.save()
                self.apply_roles(user, roles)
                if identity is None:
                    SignOnIdentity.objects.create(user=user, issuer=issuer, subject=subject)
                    logger.info("Company sign-on: %r linked to subject %r of %r.", user.get_username(), subject, issuer)
                else:
                    # The provider's confirmation: a timestamp, no history row at every login.
                    SignOnIdentity.objects.filter(pk=identity.pk).update(confirmed_at=timezone.now())
        if refusal is not None:
            self.refuse(*refusal)
        setattr(user, SIGN_ON_ATTRIBUTE, True)
        return user

    def apply_roles(self, user: Any, roles: set[str]) -> None:
        """The user's role groups become exactly `roles`; other groups are left as they are."""
        all_roles = role_names()
        current = set(user.groups.filter(name__in=all_roles).values_list("name", flat=True))
        missing = roles - set(Group.objects.filter(name__in=roles).values_list("name", flat=True))
        if missing:
            raise ImproperlyConfigured(
                f"The role groups {', '.join(sorted(missing))} do not exist: run `manage.py setup_roles`."
            )
        if current - roles:
            user.groups.remove(*Group.objects.filter(name__in=current - roles))
        if roles - current:
            user.groups.add(*Group.objects.filter(name__in=roles - current))
        staff = bool(roles)
        if user.is_staff != staff:
            user.is_staff = staff
            user.save(update_fields=["is_staff"])
        if current != roles:
            logger.info(
                "Company sign-on: roles of %r now %s (were %s).",
                user.get_username(),
                sorted(roles) or "none",
                sorted(current) or "none",
            )

    def get_user(self, user_id: Any) -> Any:
        user = super().get_user(user_id)
        if user is None or not user.is_active:
            return None
        setattr(user, SIGN_ON_ATTRIBUTE, True)
        return user

    # Authentication only: the permissions are ModelBackend's.
    def get_user_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()

    def get_group_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return False

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return False

    def with_perm(self, *args: Any, **kwargs: Any) -> Any:
        return self.UserModel._default_manager.none()


def signed_on(request: HttpRequest) -> bool:
    """The session was opened by the company sign-on."""
    session = getattr(request, "session", None)
    return session is not None and session.get(BACKEND_SESSION_KEY) == BACKEND_PATH


def session_is_stale(request: HttpRequest) -> bool:
    """A company sign-on session past its renewal limit (OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS)."""
    return signed_on(request) and request.session.get("oidc_id_token_expiration", 0) <= time.time()


class SessionRefresh(MozillaSessionRefresh):
    """Past the renewal limit, a page load goes back to the IdP (prompt=none); anything else (a POST,
    the API) is anonymous until then, so a session the IdP would no longer accept opens nothing."""

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        if not session_is_stale(request):
            return None
        if request.method == "GET" and not request.path.startswith("/api/"):
            response = super().process_request(request)
            if response is not None or not self.is_refreshable_url(request):
                return response
        request.user = AnonymousUser()
        return None


def support_contact() -> str:
    contact = str(getattr(settings, "VIGIE_SUPPORT_CONTACT", "") or "").strip()
    if contact:
        return contact
    return ", ".join(address for _name, address in getattr(settings, "ADMINS", [])) or ""


class CallbackView(oidc_views.OIDCAuthenticationCallbackView):
    """The IdP's answer: the user is logged in; a refusal logs out and says why."""

    @property
    def success_url(self) -> str:
        return self.request.session.get("oidc_login_next") or reverse("admin:index")

    @property
    def failure_url(self) -> str:
        return reverse("admin:login")

    def login_failure(self) -> HttpResponse:
        request = self.request
        if request.user.is_authenticated:
            auth.logout(request)
        reason = getattr(request, REFUSAL_ATTRIBUTE, None)
        if reason is None:
            return HttpResponseRedirect(self.failure_url)
        from django.contrib import admin

        context = {
            **admin.site.each_context(request),
            "title": "",
            "reason": reason,
            "contact": support_contact(),
        }
        return TemplateResponse(request, "admin/vigie/sign_on_refused.html", context, status=403)


class LogoutView(oidc_views.OIDCLogoutView):
    @property
    def redirect_url(self) -> str:
        return reverse("admin:login")


urlpatterns = [
    path("callback/", CallbackView.as_view(), name="oidc_authentication_callback"),
    path("authenticate/", oidc_views.OIDCAuthenticationRequestView.as_view(), name="oidc_authentication_init"),
    path("logout/", LogoutView.as_view(), name="oidc_logout"),
]


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """System check core.E402: the role map names roles of core/roles.py."""
    from django.core import checks

    if not enabled():
        return []
    try:
        check_role_map(getattr(settings, "VIGIE_OIDC_ROLE_MAP", {}))
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="core.E402")]
    return []


def axes_exempt(request: HttpRequest, credentials: Mapping[str, Any] | None = None) -> bool:
    """django-axes' AXES_WHITELIST_CALLABLE when company sign-on is on: the provider's answer is not a
    password guess (the provider authenticated the person and protects its own login), so a refusal there
    (no role) is not counted as a failed login, and it is not refused for the failures of the password form."""
    return "password" not in (credentials or {}) and request.path == reverse("oidc_authentication_callback")
