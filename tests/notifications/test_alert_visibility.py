"""An alert is shown to who may view what it reveals, not only the record it links to (issue 14).

The security review found the DPO read training records through the alerts: the training renewal rule's
alerts are about employees (the DPO may view the roster), but they say who was trained on what and when
("Bernard Hugo (E002066): CYBER to renew... Last trained on 25/12/2024"). A rule declares the models its
alerts need the view permission of (notifications/registry.py `Rule.reveals`, with its own model), and the
ledger list, an alert's page, the preview, the health page's and the admin index's counts follow it.
"""

from __future__ import annotations

import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta
from django.contrib.contenttypes.models import ContentType
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from core.roles import ROLES, can_view
from notifications.admin import preview
from notifications.models import Alert, Delivery
from notifications.registry import get_rules
from notifications.sweep import sweep
from tests.clients import admin_client
from tests.factories import EmployeeFactory, UserFactory
from tests.training.factories import CompletionFactory, ModuleFactory, paris

pytestmark = pytest.mark.django_db
RENEWAL = "training.renewal.due"
CHANGELIST = reverse("admin:notifications_alert_changelist")
PREVIEW = reverse("admin:notifications_alert_preview")


@pytest.fixture(autouse=True)
def setup(settings, roles):
    settings.TRAINING_EMAILS = ["formation@example.org"]
    settings.DPO_EMAILS = ["dpo@example.org"]


def due_for_renewal(last_name: str):
    """An employee whose CYBER-like training stops counting in about ten days."""
    module = ModuleFactory(code="T-CYBER", deployed_on=dt.date(2020, 1, 1), renewal_months=24)
    employee = EmployeeFactory(last_name=last_name)
    completed = timezone.localdate() - relativedelta(months=24) + dt.timedelta(days=10)
    CompletionFactory(employee=employee, module=module, completed_at=paris(completed))
    return employee


def test_the_dpo_sees_no_training_renewal_anywhere_the_training_manager_does():
    due_for_renewal("Swept-Renewal")
    assert sweep(timezone.now()).created == 1
    alert = Alert.objects.get(rule=RENEWAL)
    assert "Swept-Renewal" in alert.title
    Delivery.objects.filter(alert=alert).update(attempts=8, escalated_at=timezone.now(), last_error="refused")
    due_for_renewal("Planned-Renewal")  # not swept yet: the preview plans it

    pages = {
        "list": CHANGELIST,
        "list filtered by rule": f"{CHANGELIST}?rule={RENEWAL}",
        "change": reverse("admin:notifications_alert_change", args=[alert.pk]),
        "preview": PREVIEW,
        "index": reverse("admin:index"),
    }
    for group, sees in (("DPO", False), ("Training manager", True), ("Compliance officer", True), ("Auditor", True)):
        client = admin_client(group, language="en")
        seen = {name: client.get(url, follow=True) for name, url in pages.items()}
        for name in ("list", "list filtered by rule", "change"):
            assert ("Swept-Renewal" in seen[name].content.decode()) is sees, (group, name)
        assert ("Planned-Renewal" in seen["preview"].content.decode()) is sees, group
        assert ("Swept-Renewal" in seen["preview"].content.decode()) is sees, group
        assert (RENEWAL in seen["list"].content.decode()) is sees, (group, "the rule offered in the sidebar")
        assert ("vigie-undelivered-alerts" in seen["index"].content.decode()) is sees, group
        assert client.get("/health/").json()["alerts"]["undelivered"] == (1 if sees else 0), group
        if not sees:
            assert seen["change"].redirect_chain or seen["change"].status_code == 404, group


def test_each_rule_s_alerts_are_visible_exactly_to_the_roles_that_may_view_what_it_reveals():
    """Walks every registered rule: an alert of the rule is in a role's ledger, preview (pending), health
    and index counts exactly when the role may view every model the rule declares."""
    users = {role.name: UserFactory(groups=[role.name]) for role in ROLES}
    users["superuser"] = UserFactory(is_superuser=True)
    now = timezone.now()
    problems = []
    for rule in get_rules():
        Alert.objects.all().delete()
        content_type = ContentType.objects.get_by_natural_key(*rule.model.split("."))
        alert = Alert.objects.create(
            rule=rule.code,
            threshold="d-1",
            content_type=content_type,
            object_id=1,
            object_label="RECORD-1",
            due_at=now,
            fires_at=now,
            urgency="urgent",
            title=f"Alert of {rule.code}",
        )
        Delivery.objects.create(alert=alert, recipient="someone@example.org", attempts=8, escalated_at=now)
        for name, user in users.items():
            expected = all(can_view(user, label) for label in rule.viewed_models())
            request = RequestFactory().get("/")
            request.user = user
            seen = {
                "ledger": Alert.objects.visible_to(user).filter(pk=alert.pk).exists(),
                "deliveries": Delivery.objects.escalated().visible_to(user).exists(),
                "preview": any(
                    item["title"] == alert.title
                    for _recipient, group in preview(now, user)["groups"]
                    for item in group["pending"]
                ),
                "rule": rule.visible_to(user),
            }
            for channel, shown in seen.items():
                if shown is not expected:
                    problems.append(
                        f"{rule.code} ({', '.join(rule.viewed_models())}) {channel}: {name} "
                        f"{'sees' if shown else 'does not see'} it"
                    )
    assert not problems, "\n".join(problems)


def test_the_rules_declare_what_their_alerts_reveal():
    """Each rule's alerts need its own model; the training renewal also names the training done and when
    (a completion, or a workshop attendance)."""
    rules = {rule.code: rule for rule in get_rules()}
    assert set(rules[RENEWAL].viewed_models()) == {
        "organization.employee",
        "training.completion",
        "training.attendance",
    }
    for rule in rules.values():
        assert rule.model in rule.viewed_models(), rule.code
