"""Redis down: the web keeps working. The admin, the API and the health page answer (the health page says
the cache and the broker are down); nothing a page does needs the cache or the broker. (That the sweeps missed while
Redis was down catch up at the next one: tests/notifications/test_e2e.py.)"""

import socket

import pytest
from django.test import override_settings

from tests.clients import admin_client, api_client
from tests.gdpr.factories import RightsRequestFactory

pytestmark = pytest.mark.django_db


def _dead_redis_url() -> str:
    with socket.socket() as sock:  # a port nobody listens on (bound, then released)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


@pytest.fixture
def redis_down():
    url = _dead_redis_url()
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }
    with override_settings(CACHES=caches, REDIS_URL=url, CELERY_BROKER_URL=url, CELERY_RESULT_BACKEND=url):
        from django.core.cache import cache

        with pytest.raises(Exception, match="(?i)connect|refused"):
            cache.get("anything")  # Redis really is unreachable
        yield url


def test_the_admin_and_the_api_work_with_redis_down(redis_down, roles):
    request = RightsRequestFactory()
    browser = admin_client("DPO")
    for path in (
        "/admin/",
        "/admin/gdpr/rightsrequest/",
        f"/admin/gdpr/rightsrequest/{request.pk}/change/",
        "/admin/notifications/alert/",
    ):
        assert browser.get(path).status_code == 200, path
    response = api_client("DPO").get("/api/gdpr/rights-requests/")
    assert response.status_code == 200
    assert [row["reference"] for row in response.json()["results"]] == [request.reference]


def test_the_health_page_reports_the_cache_and_the_broker_down_instead_of_failing(redis_down, client, settings):
    settings.VIGIE_HEALTH_TOKEN = "a-long-random-token-for-the-health-page"
    response = client.get("/health/", HTTP_AUTHORIZATION="Bearer a-long-random-token-for-the-health-page")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok" and body["cache"] == "down" and body["scheduler"] == "unknown"
    # Checked live, not the name of the configured transport: Redis does not answer.
    assert body["broker"] == "down" and body["status"] == "degraded"
    assert client.get("/health/").json() == {"status": "degraded"}
