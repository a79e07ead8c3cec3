"""Every route of the API answers its format-suffix twin (`….json`) without a server error (issue 20 fix500).

DRF's DefaultRouter adds a `.json` twin to every route, which passes a `format` keyword to the handler; an
`@action` method that does not take it used to answer 500 (TypeError). The walk below knows no route by
name: any viewset or action added later is requested too, by a superuser, with GET, HEAD, OPTIONS and an
empty POST, for a record that does not exist (the handler is called before the record is looked up).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MISSING = "987654321"
GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)|<(?:\w+:)?(?P<pname>\w+)>")


def _patterns(patterns: list, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def format_suffix_urls() -> list[str]:
    """The `.json` URL of every API pattern that takes a format suffix (the record asked for is missing)."""
    urls = []
    for route, pattern in _patterns(get_resolver().url_patterns):
        if not route.startswith("api/") or "<format>" not in route:
            continue
        url = GROUP.sub(lambda m: "json" if (m.group("name") or m.group("pname")) == "format" else MISSING, route)
        url = "/" + url.replace("^", "").replace("$", "").replace("/?", "/").replace("\\.", ".")
        url = url.rstrip("/") if url.endswith(".json/") else url
        try:
            assert resolve(url).func is pattern.callback, url
        except Resolver404:  # pragma: no cover - a pattern this fill does not fit: named so it gets fixed
            pytest.fail(f"{route} filled as {url} does not resolve")
        urls.append(url)
    return urls


def test_the_walk_finds_the_actions_format_twins():
    urls = format_suffix_urls()
    assert len(urls) > 50
    assert f"/api/training/modules/{MISSING}/trend.json" in urls
    assert "/api/gdpr/processing-activities/export.json" in urls


@pytest.mark.parametrize("method", ["get", "head", "options", "post"])
def test_no_api_route_answers_a_server_error_in_json_suffix_form(roles, settings, method):
    settings.VIGIE_AML_VISIBLE_TO_SUPERUSERS = True
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(UserFactory(username="suffix-walker", is_superuser=True, is_staff=True))
    errors = []
    for url in format_suffix_urls():
        response = getattr(client, method)(url)
        if response.status_code >= 500:
            errors.append(f"{method.upper()} {url}: {response.status_code}")
    assert not errors, "\n".join(errors)


def test_an_actions_json_twin_answers_what_the_action_answers(roles):
    from tests.training.factories import ModuleFactory

    module = ModuleFactory()
    client = APIClient()
    client.force_authenticate(UserFactory(username="suffix-reader", is_superuser=True, is_staff=True))
    plain = client.get(f"/api/training/modules/{module.code}/completion-rate/")
    twin = client.get(f"/api/training/modules/{module.code}/completion-rate.json")
    assert plain.status_code == twin.status_code == 200
    assert twin["Content-Type"] == "application/json"
    assert twin.json() == plain.json()
