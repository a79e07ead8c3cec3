"""The channels of the floor that do not go through a page: who an AML alert's email may go to, the health
counts, the OpenAPI schema, the user choosers (core/roles.py `sealed_out`, notifications/recipients.py)."""

from __future__ import annotations

from typing import ClassVar

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from rest_framework.test import APIClient

from aml.models import Alert
from core.admin_choosers import users_who_may_change
from core.health import OPERATOR
from core.roles import AML_OFFICER, AUDITOR, COMPLIANCE_OFFICER
from notifications.health import unaddressed_alerts
from notifications.models import Alert as LedgerAlert
from notifications.recipients import Resolver
from notifications.registry import DOMAIN_ROLES, Rule
from tests.aml.factories import AlertFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class AmlRule(Rule):
    """A rule about AML alerts (the aml app declares its own; this one is never registered)."""

    code: ClassVar[str] = "test.aml.seal"
    model: ClassVar[str] = "aml.alert"
    recipients_setting: ClassVar[str] = "AML_EMAILS"


@pytest.fixture
def people(roles):
    officer = UserFactory(username="officer", groups=[AML_OFFICER])
    superuser = UserFactory(username="root", is_superuser=True)
    by_hand = UserFactory(username="hand")
    by_hand.user_permissions.set(Permission.objects.filter(content_type__app_label="aml"))
    auditor = UserFactory(username="audit", groups=[AUDITOR])
    compliance = UserFactory(username="coi", groups=[COMPLIANCE_OFFICER])
    return {"officer": officer, "superuser": superuser, "by hand": by_hand, "auditor": auditor, "coi": compliance}


def test_the_aml_domain_answers_through_the_lcb_ft_role():
    assert DOMAIN_ROLES["aml"] == AML_OFFICER
    assert AmlRule().role() == AML_OFFICER


@pytest.mark.parametrize("visible", [True, False])
def test_an_aml_alert_email_goes_to_the_role_and_superusers_by_setting_only(people, settings, visible):
    settings.VIGIE_AML_VISIBLE_TO_SUPERUSERS = visible
    settings.AML_EMAILS = []
    rule = AmlRule()
    viewers = Resolver(rules=[rule]).viewers(rule)
    expected = {"officer@example.org"} | ({"root@example.org"} if visible else set())
    assert viewers == expected
    # Nobody named, nobody in the entity: the role's holders, never a hand-given permission's holder.
    assert set(Resolver(rules=[rule]).resolve(rule, handlers=("hand@example.org", "coi@example.org"))) == {
        "officer@example.org"
    }


@pytest.mark.parametrize("visible", [True, False])
def test_the_user_choosers_of_an_aml_record_offer_the_role_only(people, settings, visible):
    settings.VIGIE_AML_VISIBLE_TO_SUPERUSERS = visible
    offered = set(users_who_may_change(Alert).values_list("username", flat=True))
    assert offered == {"officer"} | ({"root"} if visible else set())


@pytest.mark.parametrize("visible", [True, False])
def test_the_health_page_counts_no_aml_alert_outside_the_seal(people, settings, visible):
    settings.VIGIE_AML_VISIBLE_TO_SUPERUSERS = visible
    alert = AlertFactory()
    LedgerAlert.objects.create(
        rule="test.aml.unregistered",
        threshold="d-7",
        content_type=ContentType.objects.get_for_model(Alert),
        object_id=alert.pk,
        object_label=alert.reference,
        due_at=timezone.now(),
        fires_at=timezone.now(),
        urgency="overdue",
        title=alert.reference,
        unaddressed=True,
    )
    assert unaddressed_alerts(OPERATOR) == {"alerts_without_recipient": {"status": "ok", "unaddressed": 0}}
    seen = unaddressed_alerts(people["superuser"])
    assert seen is not None
    assert seen["alerts_without_recipient"]["unaddressed"] == (1 if visible else 0)


@pytest.mark.parametrize("visible", [True, False])
def test_the_openapi_schema_has_no_aml_path_component_or_tag_outside_the_seal(people, settings, visible):
    settings.VIGIE_AML_VISIBLE_TO_SUPERUSERS = visible
    schemas = {}
    for name in ("officer", "superuser", "by hand", "auditor"):
        client = APIClient()
        client.force_authenticate(people[name])
        response = client.get("/api/schema/", {"format": "json"})
        assert response.status_code == 200, name
        schemas[name] = response.json()
    let_in = {"officer"} | ({"superuser"} if visible else set())
    full = schemas["officer"]
    aml_paths = {path for path in full["paths"] if path.startswith("/api/aml/")}
    for name, schema in schemas.items():
        if name in let_in:
            assert {path for path in schema["paths"] if path.startswith("/api/aml/")} == aml_paths, name
            continue
        assert not [path for path in schema["paths"] if path.startswith("/api/aml/")], name
        text = str(schema)
        assert "aml" not in {
            tag
            for operations in schema["paths"].values()
            for o in operations.values()
            if isinstance(o, dict)
            for tag in o.get("tags", ())
        }
        # What only the AML paths used is gone with them.
        if aml_paths:
            assert len(schema["components"]["schemas"]) < len(full["components"]["schemas"]), name
            assert "/api/aml/" not in text
