"""The admins of records the retention task anonymises show it: a list filter and the date on the page."""

from __future__ import annotations

import datetime as dt

import pytest

from gdpr.models import RightsRequest
from tests.clients import admin_client
from tests.compliance.factories import CaseFactory
from tests.factories import EmployeeFactory
from tests.gdpr.factories import RightsRequestFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("group", "url", "make"),
    [
        ("DPO", "/admin/gdpr/rightsrequest/", RightsRequestFactory),
        ("Compliance officer", "/admin/compliance/conflictofinterestcase/", CaseFactory),
        ("Training manager", "/admin/organization/employee/", EmployeeFactory),
    ],
)
def test_anonymised_records_are_filtered_and_dated(roles, english_messages, group, url, make):
    kept, anonymised = make(), make()
    type(anonymised).objects.filter(pk=anonymised.pk).update(anonymised_on=dt.date(2031, 1, 15))
    client = admin_client(group, language="en")
    listed = client.get(f"{url}?anonymised_on__isempty=0")
    assert listed.status_code == 200
    assert [row.pk for row in listed.context["cl"].result_list] == [anonymised.pk]
    assert [row.pk for row in client.get(f"{url}?anonymised_on__isempty=1").context["cl"].result_list] == [kept.pk]
    page = client.get(f"{url}{anonymised.pk}/change/").content.decode()
    assert "Personal-data retention" in page and "Jan. 15, 2031" in page
    assert "Personal-data retention" not in client.get(f"{url}{kept.pk}/change/").content.decode()


def test_nobody_types_the_anonymisation_date(roles):
    request = RightsRequestFactory()
    RightsRequest.objects.filter(pk=request.pk).update(anonymised_on=dt.date(2031, 1, 15))
    page = admin_client("DPO").get(f"/admin/gdpr/rightsrequest/{request.pk}/change/").content.decode()
    assert 'name="anonymised_on"' not in page
