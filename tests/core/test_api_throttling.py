"""API throttling (core/api/throttling.py): per user with a login, per client address without one (and for a
wrong token), a stricter `upload` rate for the imports, a 429 that says when to come back, and an API that
keeps answering when the cache holding the counters is down."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from rest_framework.test import APIClient

from core.api import throttling
from tests.clients import api_client
from tests.core.test_redis_down import _dead_redis_url
from tests.factories import LegalEntityFactory

pytestmark = pytest.mark.django_db

LIST = "/api/organization/entities/"
RATES = {"anon": "3/minute", "user": "5/minute", "upload": "2/minute"}


@pytest.fixture
def low_rates(settings):
    """Rates low enough to reach in a test; counters start empty and are dropped afterwards."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": RATES}
    cache.clear()
    yield RATES
    cache.clear()


def hit(client: APIClient, times: int, path: str = LIST, **extra: Any) -> list[int]:
    return [client.get(path, **extra).status_code for _ in range(times)]


def test_a_user_past_the_rate_gets_429_with_retry_after(roles, low_rates):
    client = api_client("Training manager")
    assert hit(client, 5) == [200] * 5
    response = client.get(LIST)
    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 60
    # French by default, naming the limit and the wait.
    assert response.json() == {
        "detail": f"Trop de requêtes : au plus 5 par minute. Réessayez dans {retry_after} secondes."
    }


def test_the_message_follows_the_request_language(roles, low_rates):
    client = api_client("Training manager", language="en")
    hit(client, 5)
    response = client.get(LIST)
    assert response.status_code == 429
    assert response.json()["detail"].startswith("Too many requests: at most 5 per minute. Try again in ")


def test_the_limit_is_per_user(roles, low_rates):
    first, second = api_client("Training manager"), api_client("Training manager")
    assert hit(first, 6)[-1] == 429
    assert hit(second, 5) == [200] * 5
    assert first.get(LIST).status_code == 429


def test_anonymous_requests_are_counted_per_address(low_rates):
    client = APIClient()
    assert hit(client, 3, REMOTE_ADDR="10.0.0.1") == [403] * 3
    response = client.get(LIST, REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    assert "au plus 3 par minute" in response.json()["detail"]
    # Another address has its own count.
    assert client.get(LIST, REMOTE_ADDR="10.0.0.2").status_code == 403
    # Without trusted proxies (VIGIE_TRUSTED_PROXY_COUNT=0) an X-Forwarded-For written by the client changes
    # nothing: the connection's address is counted.
    assert client.get(LIST, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.7").status_code == 429


def test_a_wrong_token_is_counted_as_anonymous(low_rates):
    client = APIClient(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    assert hit(client, 3, REMOTE_ADDR="10.0.0.3") == [403] * 3
    assert client.get(LIST, REMOTE_ADDR="10.0.0.3").status_code == 429


def test_behind_trusted_proxies_the_forwarded_address_is_counted(low_rates, settings):
    settings.VIGIE_TRUSTED_PROXY_COUNT = 1
    client = APIClient()
    assert hit(client, 4, REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="198.51.100.1")[-1] == 429
    # Same proxy, another client behind it.
    assert client.get(LIST, REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 403


def test_uploads_have_a_stricter_rate_than_the_other_requests(roles, low_rates, isolated_media):
    LegalEntityFactory(code="ALS")
    client = api_client("Training manager")

    def upload() -> int:
        file = SimpleUploadedFile("entities.csv", b"code;name\nALS;Alsace\n", "text/csv")
        return client.post("/api/imports/entities/", {"file": file}, format="multipart").status_code

    assert [upload(), upload()] == [201, 201]
    response_code = upload()
    assert response_code == 429
    # The user's other requests are still under the `user` rate (2 uploads + 1 refused so far of its 5).
    assert client.get(LIST).status_code == 200


def test_a_rate_can_be_switched_off(roles, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**RATES, "user": None}}
    cache.clear()
    assert hit(api_client("Training manager"), 8) == [200] * 8
    cache.clear()


def test_the_api_answers_unthrottled_when_the_cache_is_down(roles, low_rates, caplog, monkeypatch):
    monkeypatch.setattr(throttling, "_last_warning", -1e9)  # the once-a-minute warning is due
    url = _dead_redis_url()
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }
    client = api_client("Training manager")
    with override_settings(CACHES=caches), caplog.at_level(logging.WARNING, logger="core.api.throttling"):
        # More requests than the rate allows: nothing counts them, nothing refuses them.
        assert hit(client, 7) == [200] * 7
        assert APIClient().get(LIST).status_code == 403  # anonymous: refused, not throttled, not a 500
    warnings = [record for record in caplog.records if record.name == "core.api.throttling"]
    assert len(warnings) == 1, "one warning, not one per request"
    assert "cache cannot be reached" in warnings[0].getMessage()


def test_a_failing_cache_backend_of_any_kind_fails_open(roles, low_rates, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(throttling.UserThrottle, "cache", type("Broken", (), {"get": broken, "set": broken})())
    assert hit(api_client("Training manager"), 7) == [200] * 7


def test_a_programming_error_is_not_taken_for_a_cache_failure(roles, low_rates, monkeypatch):
    def bug(*args, **kwargs):
        raise TypeError("a bug, not an outage")

    monkeypatch.setattr(throttling.UserThrottle, "cache", type("Buggy", (), {"get": bug, "set": bug})())
    with pytest.raises(TypeError, match="a bug"):
        api_client("Training manager").get(LIST)


def test_the_throttles_are_the_api_defaults():
    from rest_framework.settings import api_settings

    assert {cls.__name__ for cls in api_settings.DEFAULT_THROTTLE_CLASSES} == {
        "AnonThrottle",
        "UserThrottle",
        "ScopedThrottle",
    }
    assert set(api_settings.DEFAULT_THROTTLE_RATES) == {"anon", "user", "upload"}


def test_the_429_is_documented_with_its_retry_after():
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    for path, item in paths.items():
        for method, operation in item.items():
            response = operation["responses"].get("429")
            assert response, f"{method.upper()} {path}: 429 not documented"
            assert response["headers"]["Retry-After"]["required"] is True
