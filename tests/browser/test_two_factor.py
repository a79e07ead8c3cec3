"""Two-factor login in a real browser (VIGIE_ADMIN_OTP_REQUIRED, on in production): at the first login the
DPO registers an authenticator app from the QR page (its key read off the page, as a person would type
it), then every login asks for the code, and a wrong code is refused."""

from __future__ import annotations

import base64

import pytest
from playwright.sync_api import expect

from tests.browser.pages import PASSWORD, confirmed_device, current_code, log_in, user_with_password

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("roles")]


@pytest.fixture
def two_factor(settings):
    settings.VIGIE_ADMIN_OTP_REQUIRED = True


def test_the_dpo_registers_an_authenticator_then_logs_in_with_its_code(two_factor, open_page, shot):
    user_with_password("dpo-2fa", "DPO")
    page = open_page()
    page.goto("/admin/login/?next=/admin/")
    page.locator("#id_username").fill("dpo-2fa")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()
    # The password alone leads to the registration page, not to the admin.
    page.wait_for_url("**/admin/otp/setup/**")
    expect(page.locator("#otp-qr")).to_be_visible()
    shot(page, "setup")
    key = base64.b32decode(page.locator("#otp-secret").inner_text().replace(" ", ""))
    # Nothing else opens before the device is registered: back to the registration, which then goes on
    # to the page asked for.
    page.goto("/admin/gdpr/rightsrequest/")
    assert "/admin/otp/setup/" in page.url
    page.locator("#id_token").fill(current_code(key))
    page.locator("input[type=submit].default").click()
    page.wait_for_url("**/admin/gdpr/rightsrequest/")
    expect(page.locator("#logout-form")).to_be_attached()
    shot(page, "registered")
    assert confirmed_device("dpo-2fa").bin_key == key

    # A new browser: the login form asks for the code; a wrong one is refused, the right one opens.
    other = open_page()
    other.goto("/admin/login/?next=/admin/")
    other.locator("#id_username").fill("dpo-2fa")
    other.locator("#id_password").fill(PASSWORD)
    right = current_code(key)
    other.locator("#id_otp_token").fill("000000" if right != "000000" else "111111")
    other.locator("#login-form [type=submit]").click()
    expect(other.locator(".errornote, .errorlist").first).to_be_visible()
    assert "/admin/login/" in other.url
    shot(other, "wrong-code")
    # django-otp makes the device wait after a wrong code (1 s, doubling): a person retries after it.
    other.wait_for_timeout(1500)
    log_in(other, "dpo-2fa", PASSWORD, shot)
