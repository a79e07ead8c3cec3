"""An entity deleted after AML records named it (allowed: the AML entity FKs have no constraint, so deleting an
entity tells nothing about AML records): the AML write paths and the API still work, the entity reads as null."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from aml.choices import HitStatus
from aml.models import Alert
from aml.services.screening import hit_review
from core.roles import AML_OFFICER
from tests.aml.factories import CounterpartyFactory, HitFactory
from tests.factories import LegalEntityFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(roles):
    return UserFactory(username="officer", groups=[AML_OFFICER])


def test_a_hit_on_a_counterparty_of_a_deleted_entity_is_confirmed_and_opens_its_alert(officer):
    entity = LegalEntityFactory()
    hit = HitFactory(counterparty=CounterpartyFactory(entity=entity))
    entity_id = entity.pk
    entity.delete()
    hit_review(actor=officer, hit=hit, status=HitStatus.CONFIRMED, reason="same person")
    alert = Alert.objects.get(hit=hit)
    assert alert.entity_id == entity_id  # kept as it was: the record's own history


def test_the_api_raises_and_reads_an_alert_whose_entity_was_deleted(officer):
    entity = LegalEntityFactory()
    counterparty = CounterpartyFactory(entity=entity)
    entity.delete()
    client = APIClient()
    client.force_authenticate(officer)
    created = client.post(
        "/api/aml/alerts/", {"source": "loan", "reason": "x", "counterparty": counterparty.reference}, format="json"
    )
    assert created.status_code == 201, created.content[:300]
    assert created.json()["entity"] is None
    listed = client.get("/api/aml/alerts/")
    assert listed.status_code == 200 and listed.json()["results"][0]["entity"] is None
    detail = client.get(f"/api/aml/counterparties/{counterparty.pk}/")
    if detail.status_code == 404:  # looked up by reference
        detail = client.get(f"/api/aml/counterparties/{counterparty.reference}/")
    assert detail.status_code == 200 and detail.json()["entity"] is None
