"""Every admin URL that names a record answers a missing id without a server error (issue 20 fix500).

The walk knows no page by name: every pattern of the admin (Django's own pages, the apps' custom views from
`get_urls`, third-party admins such as django-otp's device QR code pages) is filled with an id that does
not exist and requested by a superuser. django-otp's `…/totpdevice/<pk>/config/` used to answer 500.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MISSING = "987654321"
ARGUMENT = re.compile(r"<(?:\w+:)?\w+>|\(\?P<\w+>(?P<body>[^)]*)\)|\((?!\?)[^)]*\)")


def _patterns(patterns: list, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def _value(match: re.Match[str]) -> str:
    body = match.group("body") or ""
    return body.split("|")[0] if "|" in body else MISSING  # an app label alternation: its first app


def missing_record_urls() -> list[str]:
    """The URL of every admin pattern that takes an argument, for a record that does not exist."""
    urls = []
    for route, pattern in _patterns(get_resolver().url_patterns):
        if not route.startswith("admin/") or not ARGUMENT.search(route):
            continue
        url = "/" + ARGUMENT.sub(_value, route).replace("^", "").replace("$", "").replace("\\.", ".")
        try:
            if resolve(url).func is not pattern.callback:  # the catch-all and alike: another pattern's URL
                continue
        except Resolver404:
            continue
        urls.append(url)
    return urls


def test_the_walk_finds_the_custom_admin_views():
    urls = missing_record_urls()
    assert len(urls) > 100
    assert f"/admin/otp_totp/totpdevice/{MISSING}/config/" in urls
    assert f"/admin/otp_totp/totpdevice/{MISSING}/qrcode/" in urls


def test_no_admin_page_answers_a_server_error_for_a_missing_record(roles):
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(username="missing-walker", is_superuser=True, is_staff=True))
    errors = []
    for url in missing_record_urls():
        status = client.get(url).status_code
        if status >= 500:
            errors.append(f"GET {url}: {status}")
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("page", ["config", "qrcode"])
def test_a_devices_qr_code_pages_answer_404_for_a_missing_device_and_403_without_permission(roles, page):
    owner = UserFactory(username="device-owner")
    device = TOTPDevice.objects.create(user=owner, name="phone", confirmed=True)
    superuser, staff = Client(), Client()
    superuser.force_login(UserFactory(username="device-admin", is_superuser=True, is_staff=True))
    staff.force_login(UserFactory(username="device-nobody", is_staff=True))
    assert superuser.get(f"/admin/otp_totp/totpdevice/{device.pk}/{page}/").status_code == 200
    assert superuser.get(f"/admin/otp_totp/totpdevice/{MISSING}/{page}/").status_code == 404
    assert staff.get(f"/admin/otp_totp/totpdevice/{device.pk}/{page}/").status_code == 403
    assert staff.get(f"/admin/otp_totp/totpdevice/{MISSING}/{page}/").status_code == 403
