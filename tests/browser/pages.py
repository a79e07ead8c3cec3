"""What the browser tests share: users who log in with a password, the login through the admin's own form,
a page's language."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from tests.factories import UserFactory

#: The password of the users the tests log in with.
PASSWORD = "correct-horse-battery-staple"


def user_with_password(username: str, group: str) -> Any:
    """A staff user of `group` (the `roles` fixture makes the groups) who logs in with PASSWORD."""
    user = UserFactory(username=username, groups=[group])
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def current_code(key: bytes, drift: int = 0) -> str:
    """The 6-digit code an authenticator app shows now for `key` (RFC 6238, as django-otp checks it);
    `drift` steps of 30 s ahead."""
    return f"{totp(key, drift=drift):06d}"


def next_code(device: Any) -> str:
    """A code the device accepts now: django-otp refuses a code of a time step already used (replay), so
    after a use in the same 30 s take the next step's, which it accepts as clock drift (tolerance 1)."""
    step = int((time.time() - device.t0) // device.step)
    return current_code(device.bin_key, drift=max(0, device.last_t + 1 - step))


def confirmed_device(username: str) -> Any:
    return TOTPDevice.objects.filter(user__username=username, confirmed=True).first()


def log_in(page: Page, username: str, password: str, shot: Callable[[Page, str], Any] | None = None) -> None:
    """Log in through the real admin login form, as a person does, and land on the admin index.

    The one place that knows how to log in. With two-factor on (VIGIE_ADMIN_OTP_REQUIRED), a user with a
    registered device types the code of the authenticator app (computed here from the device's key).
    """
    page.goto("/admin/login/?next=/admin/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    device = confirmed_device(username) if getattr(settings, "VIGIE_ADMIN_OTP_REQUIRED", False) else None
    if device is not None:
        page.locator("#id_otp_token").fill(next_code(device))
    if shot:
        shot(page, "login")
    page.locator("#login-form [type=submit]").click()
    page.wait_for_url("**/admin/")
    # The user tools (logout, in the user menu) are only there for a logged-in user; a refused login stays
    # on the form.
    expect(page.locator("#logout-form")).to_be_attached()
    if shot:
        shot(page, "index")


def language_of(page: Page) -> str | None:
    return page.locator("html").get_attribute("lang")
