"""Login protection: the client address for django-axes, two-factor (TOTP) login for the admin, and the
API's session authentication that honours it.

- `client_ip`: the address django-axes counts failures against. Behind `VIGIE_TRUSTED_PROXY_COUNT`
  reverse proxies it is read that many places from the right of X-Forwarded-For (what the proxies
  appended), never from the left (what the client wrote).
- `otp_required()`: the setting `VIGIE_ADMIN_OTP_REQUIRED` (on in production).
- `AdminLoginForm`: user name, password and, for a user with a confirmed TOTP device, the code. A wrong
  code counts as a failed login for django-axes (a password alone cannot be used to guess codes).
- `otp_setup_view`: a user without a device registers one at the first login (QR code, then a code to
  confirm it); the secret lives in that session only until confirmed. Once a device is confirmed, only an
  administrator can remove it (`manage.py otp_reset`).
- `VerifiedSessionAuthentication`: an admin session that has not passed the second factor is not an API
  login either, nor a company sign-on session past its renewal limit (core/oidc.py).
- With company sign-on on (`sign_on_enabled()`), the password form only lets in a superuser with a
  confirmed TOTP device (the break-glass administrator), always with the code.
"""

from __future__ import annotations

import base64
from io import BytesIO
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django_otp import login as otp_login, user_has_device
from django_otp.forms import OTPAuthenticationFormMixin
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex
from drf_spectacular.authentication import SessionScheme
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication, TokenAuthentication

DEVICE_NAME = "Vigie"


def sign_on_enabled() -> bool:
    """Company sign-on (OpenID Connect, core/oidc.py) is configured."""
    return bool(getattr(settings, "VIGIE_OIDC_ENABLED", False))


def otp_required() -> bool:
    # With company sign-on, a local password login is the break-glass administrator's: always with a code.
    return bool(getattr(settings, "VIGIE_ADMIN_OTP_REQUIRED", False)) or sign_on_enabled()


def is_verified(user: Any) -> bool:
    """The user passed the second factor in this session (always true when it is not required, and for a
    company sign-on session: strong authentication is the identity provider's job)."""
    if not otp_required() or getattr(user, "vigie_company_sign_on", False):
        return True
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def client_ip(request: HttpRequest) -> str:
    """The client's address: the connection's, or the one the trusted proxies put in X-Forwarded-For."""
    count = int(getattr(settings, "VIGIE_TRUSTED_PROXY_COUNT", 0) or 0)
    remote = request.META.get("REMOTE_ADDR", "") or ""
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    # Each trusted proxy appended the address it received the request from: the client's address is
    # the count-th from the right. Fewer entries than proxies: the request did not come through them.
    if len(forwarded) >= count:
        return forwarded[-count]
    return remote


class AdminLoginForm(OTPAuthenticationFormMixin, AdminAuthenticationForm):
    """The admin's login form: the code of the authenticator app is asked when two-factor is required
    and the user has registered a device (a user without one registers it right after logging in)."""

    otp_error_messages = dict(
        OTPAuthenticationFormMixin.otp_error_messages,
        token_required=_("Enter the 6-digit code shown by your authenticator app."),
        invalid_token=_("This code is not valid. Check your authenticator app and try again."),
    )
    error_messages = dict(
        AdminAuthenticationForm.error_messages,
        local_login_refused=_(
            "Sign in with the company account. A password sign-in here is only for an administrator "
            "(superuser) whose two-factor authentication is set up."
        ),
    )
    otp_device = forms.CharField(required=False, widget=forms.HiddenInput)
    otp_token = forms.CharField(
        label=_("Authentication code"),
        required=False,
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text=_("The 6-digit code of your authenticator app (when two-factor authentication is on)."),
    )
    otp_challenge = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, request: HttpRequest | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        if not otp_required():
            for name in ("otp_device", "otp_token", "otp_challenge"):
                del self.fields[name]

    def _chosen_device(self, user: Any) -> Any:
        # One device per user (otp_setup_view registers one): no device to choose on the form.
        device = super()._chosen_device(user)
        if device is None:
            device = (
                TOTPDevice.objects.devices_for_user(user, confirmed=True).select_for_update().order_by("pk").first()
            )
        return device

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        user = self.get_user()
        if sign_on_enabled() and user is not None and not (user.is_superuser and user_has_device(user)):
            # Company sign-on is on: the password form is only the break-glass administrator's way in.
            # Counted as a failed login, like a wrong password.
            user_login_failed.send(
                sender=__name__, credentials={"username": cleaned.get("username", "")}, request=self.request
            )
            raise forms.ValidationError(self.error_messages["local_login_refused"], code="local_login_refused")
        if otp_required() and user is not None and user_has_device(user):
            try:
                self.clean_otp(user)
            except forms.ValidationError:
                # A wrong code is a failed login: django-axes counts it like a wrong password.
                user_login_failed.send(
                    sender=__name__,
                    credentials={"username": cleaned.get("username", "")},
                    request=self.request,
                )
                raise
        return cleaned


class VerifiedSessionAuthentication(SessionAuthentication):
    """DRF's session authentication, refusing a session that has not passed the second factor."""

    def authenticate(self, request: Any) -> tuple[Any, None] | None:
        result = super().authenticate(request)
        if result is not None and not is_verified(result[0]):
            return None
        if result is not None and sign_on_enabled():
            from .oidc import session_is_stale

            # A company sign-on session past its renewal limit: the provider has not confirmed it lately.
            if session_is_stale(request._request):
                return None
        return result


class ConfirmationExpired(exceptions.AuthenticationFailed):
    """A 401 with `WWW-Authenticate: Token`. DRF would answer 403 (the first authentication class, the
    session's, names no scheme) and sets `status_code` on the exception to say so: that setting is ignored
    here, so that a client learns its token is refused, not that it lacks a permission."""

    auth_header = "Token"

    @property
    def status_code(self) -> int:
        return 401

    @status_code.setter
    def status_code(self, value: int) -> None:
        pass


class SignOnTokenAuthentication(TokenAuthentication):
    """DRF's token authentication; the token of a company sign-on user stops working (401) when the provider
    has not confirmed them for VIGIE_OIDC_CONFIRMATION_MAX_AGE_DAYS (core/oidc.py `confirmation_expired`):
    someone the provider dropped keeps no standing credential. Local users' tokens are as before."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        from .oidc import confirmation_expired

        user, token = super().authenticate_credentials(key)
        if confirmation_expired(user):
            raise ConfirmationExpired(
                _("Your company account has not been confirmed lately: sign in to Vigie again to use this token.")
            )
        return (user, token)


def _qr_data_uri(url: str) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


class DeviceConfirmForm(forms.Form):
    token = forms.CharField(
        label=_("Code"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        help_text=_("The 6-digit code your authenticator app shows for Vigie."),
    )

    def __init__(self, key: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key = key
        self.time_step: int | None = None

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].strip().replace(" ", "")
        totp = TOTP(bytes.fromhex(self.key))
        if not token.isdigit() or not totp.verify(int(token), tolerance=1):
            raise forms.ValidationError(_("This code is not valid. Check your authenticator app and try again."))
        self.time_step = totp.t()
        return token


#: The session key of the secret being registered: it lives in this session only, so that nobody else
#: (someone else who has the password, say) sees or keeps the secret the user is about to confirm.
PENDING_KEY = "vigie_otp_pending_key"


def otp_setup_view(request: HttpRequest, site: Any) -> HttpResponse:
    """Register the TOTP device of a user who has none yet (first login when two-factor is required).

    The secret is drawn for this session and shown once; the device is only written when the user
    confirms it with a code, and a new secret is drawn for every new session.
    """
    user = request.user
    if not user.is_authenticated or not user.is_active or not user.is_staff:
        return HttpResponseRedirect(reverse("admin:login", current_app=site.name))
    if user_has_device(user):
        if is_verified(user):
            return HttpResponseRedirect(reverse("admin:index", current_app=site.name))
        # A confirmed device is only replaced by an administrator: a password alone cannot do it.
        raise PermissionDenied
    key = request.session.get(PENDING_KEY)
    if not key:
        key = request.session[PENDING_KEY] = random_hex(20)
    form = DeviceConfirmForm(key, request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            # Nothing but this confirmed device: no secret drawn elsewhere stays usable.
            TOTPDevice.objects.filter(user=user).delete()
            device = TOTPDevice.objects.create(
                user=user, name=DEVICE_NAME, key=key, confirmed=True, last_t=form.time_step
            )
        del request.session[PENDING_KEY]
        otp_login(request, device)
        messages.success(request, _("Two-factor authentication is on for your account."))
        target = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = reverse("admin:index", current_app=site.name)
        return HttpResponseRedirect(target)
    preview = TOTPDevice(user=user, name=DEVICE_NAME, key=key)  # not saved: for its otpauth:// URL only
    secret = base64.b32encode(bytes.fromhex(key)).decode("ascii")
    context = {
        **site.each_context(request),
        "title": _("Set up two-factor authentication"),
        "form": form,
        "qr_code": _qr_data_uri(preview.config_url),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "issuer": settings.OTP_TOTP_ISSUER,
    }
    return TemplateResponse(request, "admin/vigie/otp_setup.html", context)


class VerifiedSessionScheme(SessionScheme):
    """The OpenAPI description of the session login: the same cookie as DRF's session authentication."""

    target_class = "core.security.VerifiedSessionAuthentication"
