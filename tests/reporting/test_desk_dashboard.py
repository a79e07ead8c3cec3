"""The reporting dashboard opens on the latest year with figures, and links only to pages its reader may open."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from reporting import services
from reporting.admin.dashboard import default_year
from reporting.models import ReportingYear
from tests.clients import admin_client
from tests.gdpr.factories import RightsRequestFactory
from tests.training.factories import CompletionFactory, paris
from training.models import Module

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=timezone.get_default_timezone())
DASHBOARD = "admin:reporting_dashboard"


@pytest.fixture(autouse=True)
def on_7_december_2026():
    with time_machine.travel(NOW, tick=False):
        yield


def test_without_any_figures_the_dashboard_opens_on_this_year(roles):
    response = admin_client("Auditor", language="en").get(reverse(DASHBOARD))
    assert response.context["year"] == 2026 == default_year(2026)


def test_it_opens_on_the_latest_year_with_figures_rather_than_an_empty_current_year(roles):
    services.year_compute(2023)
    ReportingYear.objects.create(year=2025)  # created, never computed: no figures
    client = admin_client("Auditor", language="en")
    assert client.get(reverse(DASHBOARD)).context["year"] == 2023
    services.year_compute(2024)
    assert client.get(reverse(DASHBOARD)).context["year"] == 2024
    # Another year is still one choice away, and a year asked for is the one shown.
    assert client.get(reverse(DASHBOARD), {"year": 2026}).context["year"] == 2026


def test_a_year_to_come_is_not_the_default(roles):
    services.year_compute(2023)
    ReportingYear.objects.create(year=2027, computed_at=NOW)
    assert default_year(2026) == 2023


@pytest.mark.parametrize("role", ["DPO", "Training manager", "Compliance officer", "Auditor"])
def test_every_link_of_the_dashboard_opens_for_its_reader(roles, role):
    rgpd = Module.objects.get(code="RGPD")
    CompletionFactory(module=rgpd, completed_at=paris(dt.date(2025, 1, 10)))
    RightsRequestFactory()
    services.year_compute(2026)
    client = admin_client(role, language="en")
    body = client.get(reverse(DASHBOARD)).content.decode()
    links = sorted({link.replace("&amp;", "&") for link in re.findall(r'href="(/admin/[^"#]*)"', body)})
    assert links
    refused = [link for link in links if client.get(link).status_code == 403]
    assert refused == [], refused
