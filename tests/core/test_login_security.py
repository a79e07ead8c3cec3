"""Login protection (issue 8): django-axes lockout, TOTP two-factor for the admin and the API's session
login, the client address behind proxies, the password rules and the production hardening."""

from __future__ import annotations

import base64
import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.security import client_ip
from tests.core.test_settings import production, run_manage
from tests.factories import UserFactory

PASSWORD = "correct-horse-battery"
LOGIN = "/admin/login/"


@pytest.fixture
def dpo(roles):
    return UserFactory(username="dpo-login", groups=["DPO"])


def login(client: Client, username: str, password: str = PASSWORD, ip: str = "10.0.0.1", **extra: str):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/", **extra}, REMOTE_ADDR=ip)


def logged_in(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


def code_for(device: TOTPDevice) -> str:
    """The code the user's app shows now (time-machine moves the clock totp() reads)."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def code_of(key: bytes) -> str:
    return f"{totp(key):06d}"


def secret_on(page: str) -> bytes:
    """The key the registration page shows for typing by hand (base32, in groups of four)."""
    found = re.search(r'id="otp-secret">([A-Z2-7 ]+)<', page)
    assert found, "no key on the registration page"
    return base64.b32decode(found.group(1).replace(" ", ""))


# --- django-axes ------------------------------------------------------------------------------------


def test_five_failures_lock_the_account_even_with_the_right_password(dpo, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = login(client, dpo.username, "wrong-password")
        assert response.status_code == 200  # the form again, with its error
    assert login(client, dpo.username, "wrong-password").status_code == 429  # the last one allowed
    response = login(client, dpo.username)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Connexion temporairement bloquée" in page
    assert "0:30:00" in page  # how long, from AXES_COOLOFF_TIME
    assert not logged_in(client)


def test_the_lock_ends_after_the_cool_off(dpo, settings):
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            login(client, dpo.username, "wrong-password")
        assert login(client, dpo.username).status_code == 429
    retried = start + settings.AXES_COOLOFF_TIME - dt.timedelta(minutes=1)
    with time_machine.travel(retried, tick=False):
        assert login(client, dpo.username).status_code == 429
    # An attempt during the lock starts the cool-off again (the page says: after the last attempt).
    with time_machine.travel(start + settings.AXES_COOLOFF_TIME + dt.timedelta(minutes=1), tick=False):
        assert login(client, dpo.username).status_code == 429
    with time_machine.travel(retried + dt.timedelta(minutes=2) + 2 * settings.AXES_COOLOFF_TIME, tick=False):
        response = login(client, dpo.username)
        assert response.status_code == 302
        assert logged_in(client)


def test_a_user_name_is_locked_whatever_the_address(dpo, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        login(Client(), dpo.username, "wrong-password", ip=f"10.0.1.{n}")
    assert login(Client(), dpo.username, ip="10.0.2.1").status_code == 429


def test_an_address_is_locked_whatever_the_user_name(dpo, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        login(Client(), f"nobody{n}", "wrong-password", ip="10.0.3.3")
    assert login(Client(), dpo.username, ip="10.0.3.3").status_code == 429
    assert login(Client(), dpo.username, ip="10.0.3.4").status_code == 302


def test_a_success_resets_the_count(dpo, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(Client(), dpo.username, "wrong-password")
    assert login(Client(), dpo.username).status_code == 302
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(Client(), dpo.username, "wrong-password")
    assert login(Client(), dpo.username).status_code == 302


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "192.0.2.1"),  # no trusted proxy: the header is the client's word, ignored
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # a forged left part is not believed
        (2, "6.6.6.6, 203.0.113.9, 198.51.100.7", "203.0.113.9"),
        (2, "203.0.113.9", "192.0.2.1"),  # fewer entries than proxies: not through them
    ],
)
def test_the_client_address_is_read_from_the_trusted_proxies_only(settings, proxies, forwarded, expected):
    settings.VIGIE_TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


# --- two-factor authentication -----------------------------------------------------------------------


@pytest.fixture
def otp_on(settings):
    settings.VIGIE_ADMIN_OTP_REQUIRED = True


def test_without_the_setting_the_password_is_enough(dpo):
    client = Client()
    response = login(client, dpo.username)
    assert response.status_code == 302
    assert logged_in(client)
    assert "otp_token" not in Client().get(LOGIN).content.decode()


def test_first_login_registers_a_device_then_the_code_is_always_asked(dpo, otp_on):
    client = Client()
    response = login(client, dpo.username)
    setup_url = reverse("admin:otp_setup")
    assert response.status_code == 302 and response["Location"].startswith(setup_url)
    # The password alone opens nothing: not the admin, not the API.
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/gdpr/rightsrequest/").status_code == 302
    assert client.get("/api/gdpr/rights-requests/").status_code in (401, 403)
    assert client.get(LOGIN).status_code == 302  # back to the registration

    page = client.get(setup_url)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="otp-qr"' in body
    key = secret_on(body)
    assert secret_on(client.get(setup_url).content.decode()) == key  # the same secret within the session
    assert not TOTPDevice.objects.filter(user=dpo).exists()  # nothing written before it is confirmed

    wrong = client.post(setup_url, {"token": "000000" if code_of(key) != "000000" else "111111"})
    assert wrong.status_code == 200
    assert "Ce code n’est pas valide" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=dpo).exists()

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        response = client.post(setup_url, {"token": code_of(key)})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    device = TOTPDevice.objects.get(user=dpo)
    assert device.confirmed and device.bin_key == key
    assert logged_in(client)
    assert client.get("/api/gdpr/rights-requests/").status_code == 200
    # The device is registered: a second registration is refused.
    assert client.get(setup_url).status_code == 302

    # Next login: password alone refused, a wrong code refused, the right code accepted.
    later = start + dt.timedelta(minutes=5)
    with time_machine.travel(later, tick=False):
        other = Client()
        page = login(other, dpo.username)
        assert page.status_code == 200 and not logged_in(other)
        assert "Saisissez le code à 6 chiffres" in page.content.decode()
        page = login(other, dpo.username, otp_token="000000" if code_for(device) != "000000" else "111111")
        assert page.status_code == 200 and not logged_in(other)
    with time_machine.travel(later + dt.timedelta(minutes=2), tick=False):
        response = login(other, dpo.username, otp_token=code_for(device))
        assert response.status_code == 302, re.findall(r'errornote">(.*?)</p>', response.content.decode(), re.S)
        assert logged_in(other)


def test_a_secret_shown_to_another_session_never_becomes_the_user_s(dpo, otp_on):
    """Someone with the password opens the registration first: the secret they see is theirs only, and
    the device the user then registers has another one."""
    intruder, user = Client(), Client()
    login(intruder, dpo.username, ip="10.0.5.5")
    stolen = secret_on(intruder.get(reverse("admin:otp_setup")).content.decode())
    login(user, dpo.username)
    key = secret_on(user.get(reverse("admin:otp_setup")).content.decode())
    assert key != stolen
    assert user.post(reverse("admin:otp_setup"), {"token": code_of(key)}).status_code == 302
    assert TOTPDevice.objects.get(user=dpo).bin_key == key
    # The intruder's secret opens nothing, and their session cannot register another device.
    assert intruder.post(reverse("admin:otp_setup"), {"token": code_of(stolen)}).status_code == 403
    assert login(Client(), dpo.username, otp_token=code_of(stolen), ip="10.0.5.5").status_code == 200
    assert TOTPDevice.objects.filter(user=dpo).count() == 1


def test_a_registered_device_cannot_be_replaced_with_the_password_alone(dpo, otp_on):
    TOTPDevice.objects.create(user=dpo, name="Vigie", confirmed=True)
    client = Client()
    client.force_login(dpo)  # a session that has the password but not the code
    assert client.get(reverse("admin:otp_setup")).status_code == 403
    assert not logged_in(client)


def test_wrong_codes_count_as_failed_logins(dpo, otp_on, settings):
    device = TOTPDevice.objects.create(user=dpo, name="Vigie", confirmed=True)
    wrong = "000000" if code_for(device) != "000000" else "111111"
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        page = login(Client(), dpo.username, otp_token=wrong)
        assert page.status_code == 200
        assert "Ce code n’est pas valide" in page.content.decode() or "désactivée" in page.content.decode()
    assert login(Client(), dpo.username, otp_token=wrong).status_code == 429
    assert login(Client(), dpo.username, otp_token=code_for(device)).status_code == 429


def test_api_tokens_are_not_affected_by_the_second_factor(dpo, otp_on):
    token = Token.objects.create(user=dpo)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/gdpr/rights-requests/").status_code == 200


def test_otp_reset_removes_the_devices(dpo, capsys):
    TOTPDevice.objects.create(user=dpo, name="Vigie", confirmed=True)
    call_command("otp_reset", dpo.username)
    assert not TOTPDevice.objects.filter(user=dpo).exists()
    assert "1 device(s) removed" in capsys.readouterr().out
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command("otp_reset", "ghost")


# --- passwords and production ------------------------------------------------------------------------


@pytest.mark.parametrize("weak", ["short1", "password1234", "123456789012", "dpo-login-2024"])
def test_weak_passwords_are_refused(dpo, weak):
    with pytest.raises(ValidationError):
        validate_password(weak, user=dpo)


def test_a_long_uncommon_password_is_accepted(dpo):
    validate_password("granite-ferry-9-lantern", user=dpo)


def test_production_turns_on_two_factor_and_secure_cookies(tmp_path):
    result = run_manage(
        tmp_path,
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings as s; print(s.VIGIE_ADMIN_OTP_REQUIRED, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_NAME, s.AXES_ENABLED, "
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS > 0)",
        **production(),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True", "True", "__Host-vigie_session", "True", "True", "True"]


def test_login_records_are_deleted_after_their_retention(dpo, settings):
    from axes.models import AccessAttempt, AccessLog

    from core.tasks import purge_login_records

    settings.VIGIE_LOGIN_RECORDS_DAYS = 365
    start = timezone.now()
    with time_machine.travel(start - dt.timedelta(days=400), tick=False):
        login(Client(), dpo.username)  # an old login: an access log
    with time_machine.travel(start - dt.timedelta(days=300), tick=False):
        login(Client(), dpo.username)  # within the year: kept
    login(Client(), "somebody-else", "wrong-password", ip="10.9.9.9")  # a failure today
    assert AccessLog.objects.count() == 2 and AccessAttempt.objects.count() == 1
    counts = purge_login_records.apply().get()
    assert counts["AccessLog"] == 1 and counts["AccessAttempt"] == 0
    assert list(AccessLog.objects.values_list("attempt_time", flat=True))[0] < start - dt.timedelta(days=299)
    assert AccessLog.objects.count() == 1 and AccessAttempt.objects.count() == 1
