"""The risk list shows which risks materialised in conflict-of-interest cases, and filters them by year."""

import datetime as dt

import pytest

from tests.clients import admin_client
from tests.compliance.factories import CaseFactory, RiskFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]
CHANGELIST = "/admin/compliance/risk/"


def test_risks_linked_to_a_case_of_the_year_are_the_materialised_ones():
    hit, missed, older = RiskFactory(code="HIT"), RiskFactory(code="MISSED"), RiskFactory(code="OLDER")
    CaseFactory(reported_on=dt.date(2023, 5, 2)).risks.add(hit)
    CaseFactory(reported_on=dt.date(2022, 5, 2)).risks.add(older)
    client = admin_client("Compliance officer")
    body = client.get(CHANGELIST, {"materialised": "2023"}).content.decode()
    assert ">HIT<" in body and ">MISSED<" not in body and ">OLDER<" not in body
    assert client.get(CHANGELIST).status_code == 200
    assert missed.cases.count() == 0
