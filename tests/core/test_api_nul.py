"""A NUL character in what a client sends is refused with a 400 naming the field (PostgreSQL refuses NUL in
text, so it must never reach the database: before, a reference of a related record with one was a 500)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import LegalEntityFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]


@pytest.fixture
def api():
    client = APIClient()
    client.force_authenticate(UserFactory(is_superuser=True))
    return client


def test_a_nul_in_a_related_record_s_reference_is_a_400_on_that_field(api):
    LegalEntityFactory(code="ALS")
    response = api.post(
        "/api/organization/employees/",
        {"employee_id": "E1", "last_name": "Martin", "first_name": "Anne", "entity": "AL\x00S"},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["entity"]


@pytest.mark.parametrize("query", ["search=a%00b", "entity=AL%00S", "ordering=%00"])
def test_a_nul_in_a_query_is_never_a_server_error(api, query):
    assert api.get(f"/api/organization/employees/?{query}").status_code in (200, 400)
