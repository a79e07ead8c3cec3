""" "My account" in a real browser (issue 19): reached from the user menu, an absence added through the form,
the calendar address made and shown once, and no serious or critical axe-core violation on the page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from notifications.models import Absence, CalendarFeed
from tests.browser.a11y import describe_violations, serious_violations
from tests.browser.pages import PASSWORD, log_in, user_with_password

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("roles")]


def test_a_person_records_an_absence_and_makes_their_calendar_address(open_page, shot):
    user = user_with_password("dpo-account", "DPO")
    deputy = user_with_password("dpo-deputy", "DPO")
    deputy.first_name, deputy.last_name = "Bruno", "Petit"
    deputy.save()
    page = open_page()
    log_in(page, "dpo-account", PASSWORD)
    page.goto("/admin/")
    link = page.locator('a[href="/admin/account/"]')
    expect(link).to_have_count(1)
    expect(link).to_have_text("Mon compte")
    page.goto("/admin/account/")
    shot(page, "account")
    violations = serious_violations(page)
    assert not violations, describe_violations(violations, page.url)

    first = timezone.localdate() + dt.timedelta(days=3)
    page.locator("#id_deputy").select_option(label="Bruno Petit")
    page.locator("#id_starts_on").fill(first.isoformat())
    page.locator("#id_ends_on").fill((first - dt.timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Ajouter l’absence").click()
    expect(page.locator(".field-ends_on")).to_contain_text("ne peut pas précéder le premier jour")
    shot(page, "refused")
    assert not Absence.objects.exists()
    page.locator("#id_ends_on").fill((first + dt.timedelta(days=4)).isoformat())
    page.get_by_role("button", name="Ajouter l’absence").click()
    expect(page.locator("#vigie-absences")).to_contain_text("Bruno Petit")
    assert Absence.objects.get(user=user).deputy == deputy

    page.get_by_role("button", name="Créer mon adresse d’agenda").click()
    address = page.locator("#vigie-feed-url")
    expect(address).to_have_value(re.compile(r"/calendrier/[^/]+\.ics$"))
    shot(page, "calendar-address")
    violations = serious_violations(page)
    assert not violations, describe_violations(violations, page.url)
    assert CalendarFeed.objects.filter(user=user).exists()
    page.goto("/admin/account/")
    expect(page.locator("#vigie-feed-url")).to_have_count(0)
