"""Who an alert goes to (notifications/recipients.py, issue 19): the handler, the contacts of the record's
entity (inherited from the nearest ancestor), else the holders of the domain's role; the settings' addresses
as extras; the deputy of who is away today. An alert that reaches nobody is flagged, shown, warned about, and
resolved again at the next sweep."""

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.health import OPERATOR
from gdpr.models import RightsRequest
from gdpr.services import rights as rights_services
from notifications.admin import preview
from notifications.health import unaddressed_alerts
from notifications.models import Absence, Alert
from notifications.recipients import Resolver
from notifications.registry import get_rule
from notifications.sweep import sweep
from organization.choices import ContactDomain
from organization.contacts import contact_map
from organization.models import EntityContact
from tests.factories import EmployeeFactory, LegalEntityFactory, UserFactory

PARIS = ZoneInfo("Europe/Paris")
DEADLINE = "gdpr.rights_request.deadline"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_extras(settings):
    settings.DPO_EMAILS = []
    settings.COMPLIANCE_EMAILS = []
    settings.TRAINING_EMAILS = []


@pytest.fixture
def group(roles):
    """The parent company, a subsidiary and the subsidiary's own subsidiary."""
    parent = LegalEntityFactory(code="AAA-PARENT")
    child = LegalEntityFactory(code="CHILD", parent=parent)
    grandchild = LegalEntityFactory(code="GRANDCHILD", parent=child)
    return parent, child, grandchild


#: The role of each domain's contacts: a recipient must be able to view the rule's records.
ROLE = {
    ContactDomain.DPO: "DPO",
    ContactDomain.COMPLIANCE: "Compliance officer",
    ContactDomain.TRAINING: "Training manager",
}


def dpo(username, **user):
    """A user holding the DPO role (who may view rights requests)."""
    return UserFactory(username=username, groups=["DPO"], **user)


def contact(entity, username, domain=ContactDomain.DPO, **user):
    user.setdefault("groups", [ROLE[domain]])
    person = UserFactory(username=username, **user)
    EntityContact.objects.create(entity=entity, user=person, domain=domain)
    return person


def at(year, month, day, hour=10):
    return dt.datetime(year, month, day, hour, tzinfo=PARIS)


def resolve(handlers=(), entity=None, now=None, rule=DEADLINE):
    return Resolver(now or at(2025, 4, 8)).resolve(get_rule(rule), handlers, entity.pk if entity else None)


# --- the people ----------------------------------------------------------------------------------------------


def test_the_handler_and_the_contacts_of_the_records_entity(group):
    parent, child, _grandchild = group
    contact(parent, "dpo-parent")
    contact(child, "dpo-child")
    contact(child, "co-child", ContactDomain.COMPLIANCE)
    dpo("juriste")
    assert resolve(("Juriste@Example.org",), child) == ["juriste@example.org", "dpo-child@example.org"]
    # No entity: the parent company's.
    assert resolve((), None) == ["dpo-parent@example.org"]


def test_an_entity_without_contacts_has_those_of_its_nearest_ancestor(group):
    parent, child, grandchild = group
    contact(parent, "dpo-parent")
    assert resolve((), grandchild) == ["dpo-parent@example.org"]
    contact(child, "dpo-child")
    assert resolve((), grandchild) == ["dpo-child@example.org"]
    assert contact_map()[grandchild.pk, "dpo"] == contact_map()[child.pk, "dpo"]
    assert (grandchild.pk, "training") not in contact_map()


def test_nobody_named_falls_back_to_every_active_holder_of_the_role(roles, group):
    parent, child, _grandchild = group
    UserFactory(username="dpo-a", groups=["DPO"])
    UserFactory(username="dpo-b", groups=["DPO"])
    UserFactory(username="dpo-gone", groups=["DPO"], is_active=False)
    UserFactory(username="dpo-mute", groups=["DPO"], email="")
    UserFactory(username="officer", groups=["Compliance officer"])
    assert resolve((), child) == ["dpo-a@example.org", "dpo-b@example.org"]
    assert resolve((), child, rule="compliance.action_item.due") == ["officer@example.org"]
    # A handler or a contact found: the role's holders are not added.
    dpo("juriste")
    assert resolve(("juriste@example.org",), child) == ["juriste@example.org"]
    contact(parent, "dpo-parent")
    assert resolve((), child) == ["dpo-parent@example.org"]


def test_inactive_users_and_users_without_email_are_no_recipients(group):
    parent, child, _grandchild = group
    contact(child, "dpo-gone", is_active=False)
    contact(child, "dpo-mute", email="")
    contact(parent, "dpo-parent")
    UserFactory(username="left", is_active=False)
    # The child's only contacts cannot receive: it has its parent's; a handler who left is dropped.
    assert resolve(("left@example.org",), child) == ["dpo-parent@example.org"]


def test_the_settings_addresses_are_extras(settings, group):
    parent, _child, _grandchild = group
    contact(parent, "dpo-parent")
    dpo("juriste")
    settings.DPO_EMAILS = ["Registre@example.org", " ", "dpo-parent@example.org"]
    assert resolve(("juriste@example.org",)) == [
        "juriste@example.org",
        "dpo-parent@example.org",
        "registre@example.org",
    ]


@pytest.mark.parametrize(
    ("now", "deputised"),
    [
        (dt.datetime(2025, 7, 31, 21, 59, tzinfo=dt.UTC), False),  # 23:59 in Paris, the day before
        (dt.datetime(2025, 7, 31, 22, 0, tzinfo=dt.UTC), True),  # midnight in Paris, the first day away
        (at(2025, 8, 10), True),
        (at(2025, 8, 15, 23), True),  # the last day away
        (at(2025, 8, 16, 0), False),  # the day after
    ],
)
def test_the_deputy_of_who_is_away_gets_it_during_the_absence_only(group, now, deputised):
    parent, _child, _grandchild = group
    away = contact(parent, "dpo-parent")
    deputy = dpo("deputy")
    Absence.objects.create(user=away, deputy=deputy, starts_on=dt.date(2025, 8, 1), ends_on=dt.date(2025, 8, 15))
    expected = ["dpo-parent@example.org", "deputy@example.org"] if deputised else ["dpo-parent@example.org"]
    assert resolve(now=now) == expected


def test_a_handler_away_has_their_deputy_and_an_inactive_deputy_is_nobody(group):
    handler, deputy, gone = dpo("juriste"), dpo("deputy"), dpo("x")
    gone.is_active = False
    gone.save()
    for stand_in in (deputy, gone):
        Absence.objects.create(
            user=handler, deputy=stand_in, starts_on=dt.date(2025, 4, 1), ends_on=dt.date(2025, 4, 30)
        )
    assert resolve(("juriste@example.org",)) == ["juriste@example.org", "deputy@example.org"]


# --- only people who may view the records (review of issue 19, findings 1 and 5) ---------------------------


def test_a_deputy_who_may_not_view_the_records_gets_nothing(group):
    parent, _child, _grandchild = group
    away = contact(parent, "dpo-parent")
    trainer = UserFactory(username="trainer", groups=["Training manager"])
    Absence.objects.create(user=away, deputy=trainer, starts_on=dt.date(2025, 4, 1), ends_on=dt.date(2025, 4, 30))
    assert not get_rule(DEADLINE).visible_to(trainer)
    # The DPO is away and their deputy may not view rights requests: nobody present may receive it.
    assert resolve() == []
    dpo("dpo-present")
    assert resolve() == ["dpo-parent@example.org", "dpo-present@example.org"]


def test_an_entity_contact_without_the_domains_role_gets_nothing(group):
    parent, _child, _grandchild = group
    contact(parent, "trainer", groups=["Training manager"])
    assert resolve() == []
    dpo("dpo-a")
    assert resolve() == ["dpo-a@example.org"]  # no contact who may view: the role's holders


def test_a_handler_stripped_of_every_role_gets_nothing(group):
    parent, _child, _grandchild = group
    contact(parent, "dpo-parent")
    UserFactory(username="gone", groups=[], is_staff=False)
    assert resolve(("gone@example.org", "nobody@example.org")) == ["dpo-parent@example.org"]


def test_a_superuser_or_a_permission_of_ones_own_is_enough(group):
    UserFactory(username="root", is_superuser=True)
    own = UserFactory(username="own")
    own.user_permissions.add(Permission.objects.get(codename="change_rightsrequest"))
    auditor = UserFactory(username="auditor", groups=["Auditor"])
    assert resolve(("root@example.org", "own@example.org", auditor.email)) == [
        "root@example.org",
        "own@example.org",
        "auditor@example.org",
    ]
    # A training renewal also reveals the employee and their training: a view of only one is not enough.
    assert Resolver(at(2025, 4, 8)).resolve(get_rule("training.renewal.due"), ("own@example.org",), None) == []


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # 23:59 in Paris, the day before the second absence: the first deputy is present.
        (dt.datetime(2025, 7, 31, 21, 59, tzinfo=dt.UTC), ["dpo-parent@example.org", "first@example.org"]),
        # Midnight in Paris: the first deputy is away too, their own deputy stands in.
        (
            dt.datetime(2025, 7, 31, 22, 0, tzinfo=dt.UTC),
            ["dpo-parent@example.org", "first@example.org", "second@example.org"],
        ),
        (at(2025, 8, 15, 23), ["dpo-parent@example.org", "first@example.org", "second@example.org"]),
        (at(2025, 8, 16, 0), ["dpo-parent@example.org", "first@example.org"]),
    ],
)
def test_the_deputy_of_an_away_deputy_stands_in(group, now, expected):
    parent, _child, _grandchild = group
    away = contact(parent, "dpo-parent")
    first, second = dpo("first"), dpo("second")
    Absence.objects.create(user=away, deputy=first, starts_on=dt.date(2025, 7, 1), ends_on=dt.date(2025, 8, 31))
    Absence.objects.create(user=first, deputy=second, starts_on=dt.date(2025, 8, 1), ends_on=dt.date(2025, 8, 15))
    # A loop of absences stops (the second named the DPO as their deputy).
    Absence.objects.create(user=second, deputy=away, starts_on=dt.date(2025, 9, 1), ends_on=dt.date(2025, 9, 2))
    assert resolve(now=now) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (dt.datetime(2025, 7, 31, 21, 59, tzinfo=dt.UTC), ["dpo-parent@example.org"]),  # the day before
        (dt.datetime(2025, 7, 31, 22, 0, tzinfo=dt.UTC), ["dpo-parent@example.org", "dpo-present@example.org"]),
    ],
)
def test_everyone_away_without_a_present_deputy_goes_to_the_present_role_holders(group, now, expected):
    parent, _child, _grandchild = group
    away = contact(parent, "dpo-parent")
    gone = dpo("gone")
    gone.is_active = False
    gone.save()
    Absence.objects.create(user=away, deputy=gone, starts_on=dt.date(2025, 8, 1), ends_on=dt.date(2025, 8, 15))
    dpo("dpo-present")
    assert resolve(now=now) == expected


def test_everyone_away_and_no_present_holder_is_an_alert_without_recipient(group):
    parent, _child, _grandchild = group
    away = contact(parent, "dpo-parent")
    deputy = dpo("dpo-deputy")
    Absence.objects.create(user=away, deputy=deputy, starts_on=dt.date(2025, 4, 1), ends_on=dt.date(2025, 4, 8))
    Absence.objects.create(user=deputy, deputy=away, starts_on=dt.date(2025, 4, 1), ends_on=dt.date(2025, 4, 8))
    req = request(at(2025, 3, 5))
    report = sweep(at(2025, 4, 8, 6))
    alert = Alert.objects.get(rule=DEADLINE, object_id=req.pk)
    assert report.unaddressed == 1 and alert.unaddressed and not alert.deliveries.exists()
    # Back the next day (Paris): the next sweep sends it.
    sweep(at(2025, 4, 9, 0))
    alert.refresh_from_db()
    assert not alert.unaddressed and recipients_of(alert) == ["dpo-parent@example.org"]


# --- the rules give the record's entity ----------------------------------------------------------------------


def request(received_at, handler=None, entity=None):
    created = rights_services.rights_request_create(
        actor=UserFactory(username="dpo-actor"),
        received_at=received_at,
        right="access",
        requester_name="Jeanne Test",
        handler=handler,
    )
    if entity is not None:
        RightsRequest.objects.filter(pk=created.pk).update(entity=entity)
    return created


def recipients_of(alert):
    return sorted(alert.deliveries.values_list("recipient", flat=True))


def test_a_subsidiarys_request_goes_to_its_dpo_not_the_parents(group):
    parent, child, _grandchild = group
    contact(parent, "dpo-parent")
    contact(child, "dpo-child")
    ours, theirs = request(at(2025, 3, 5)), request(at(2025, 3, 5), entity=child)
    sweep(at(2025, 4, 8, 6))
    assert recipients_of(Alert.objects.get(rule=DEADLINE, object_id=ours.pk)) == ["dpo-parent@example.org"]
    assert recipients_of(Alert.objects.get(rule=DEADLINE, object_id=theirs.pk)) == ["dpo-child@example.org"]


def test_an_action_without_owner_goes_to_its_cases_handler_and_entity():
    from compliance.alerts import ActionItemDue
    from tests.compliance.factories import ActionItemFactory

    child = LegalEntityFactory(code="CHILD2")
    handler = UserFactory(username="case-handler")
    action = ActionItemFactory(owner=None, case__handler=handler, case__entity=child, due_on=dt.date(2025, 6, 30))
    rule = ActionItemDue()
    (item,) = list(rule.describe(rule.records(at(2025, 7, 2)).filter(pk=action.pk)))
    assert item.recipients == ("case-handler@example.org",) and item.entity_id == child.pk


def test_a_training_renewal_goes_to_the_training_manager_of_the_employees_entity(group):
    from tests.training.factories import CompletionFactory, ModuleFactory, paris

    parent, child, _grandchild = group
    contact(parent, "formation-parent", ContactDomain.TRAINING)
    contact(child, "formation-child", ContactDomain.TRAINING)
    contact(child, "dpo-child")  # another domain: not a recipient
    module = ModuleFactory(code="T-A", deployed_on=dt.date(2020, 1, 1), renewal_months=24)
    employee = EmployeeFactory(entity=child)
    CompletionFactory(employee=employee, module=module, completed_at=paris(dt.date(2023, 3, 31)))
    sweep(dt.datetime(2025, 2, 28, tzinfo=PARIS))
    assert recipients_of(Alert.objects.get(rule="training.renewal.due")) == ["formation-child@example.org"]


# --- without recipient ---------------------------------------------------------------------------------------


def test_an_alert_nobody_can_receive_is_flagged_then_sent_once_someone_is_named(group):
    parent, _child, _grandchild = group
    req = request(at(2025, 3, 5))
    report = sweep(at(2025, 4, 8, 6))
    alert = Alert.objects.get(rule=DEADLINE, object_id=req.pk)
    assert report.unaddressed == 1 and alert.unaddressed and not alert.deliveries.exists()
    assert Alert.objects.without_recipient().get() == alert
    # Still nobody: still flagged, nothing written.
    assert sweep(at(2025, 4, 8, 7)).still_unaddressed == 1
    contact(parent, "dpo-parent")
    report = sweep(at(2025, 4, 8, 8))
    alert.refresh_from_db()
    assert report.readdressed == 1 and report.still_unaddressed == 0
    assert not alert.unaddressed and recipients_of(alert) == ["dpo-parent@example.org"]
    assert [h.unaddressed for h in alert.history.order_by("history_date")] == [True, False]
    assert not Alert.objects.without_recipient().exists()
    assert sweep(at(2025, 4, 8, 9)).readdressed == 0


def test_an_unaddressed_alert_of_a_closed_record_is_not_sent_and_no_longer_flagged(group):
    parent, child, _grandchild = group
    req = request(at(2025, 3, 5), entity=child)
    sweep(at(2025, 4, 8, 6))
    alert = Alert.objects.get(rule=DEADLINE, object_id=req.pk)
    assert alert.unaddressed
    # The request is answered (no longer open), then the parent company names its DPO.
    RightsRequest.objects.filter(pk=req.pk).update(answered_at=at(2025, 4, 8, 7), status="answered", outcome="granted")
    contact(parent, "dpo-parent")
    assert sweep(at(2025, 4, 8, 8), dry_run=True).closed_unsent == 1
    assert Alert.objects.without_recipient().exists()  # a dry run writes nothing
    report = sweep(at(2025, 4, 8, 8))
    alert.refresh_from_db()
    assert report.closed_unsent == 1 and report.readdressed == 0 and report.still_unaddressed == 0
    assert not alert.deliveries.exists() and not alert.unaddressed
    assert alert.history.latest("history_date").history_change_reason == "record closed: not sent"
    assert unaddressed_alerts(OPERATOR) == {"alerts_without_recipient": {"status": "ok", "unaddressed": 0}}


def test_a_dry_run_says_how_many_would_go_to_nobody_and_lists_them_in_the_preview(roles, group):
    parent, child, _grandchild = group
    # Views rights requests by a permission of their own, holds no role: nobody answers for the parent company.
    own = contact(child, "dpo-child", groups=[])
    own.user_permissions.add(Permission.objects.get(codename="view_rightsrequest"))
    request(at(2025, 3, 5), entity=child)
    request(at(2025, 3, 5))  # the parent company has no DPO, nobody holds the role
    out = StringIO()
    with time_machine.travel(at(2025, 4, 8, 6), tick=False):
        call_command("run_sweeps", "--dry-run", stdout=out)
        shown = preview(at(2025, 4, 8, 6), UserFactory(username="root", is_superuser=True))
    text = out.getvalue()
    assert "total: would create 2 alert(s)" in text
    assert "would go to dpo-child@example.org: 1 alert(s)" in text and "without recipient: 1 alert(s)" in text
    assert shown["new_count"] == 2 and shown["nobody_count"] == 1
    assert [recipient for recipient, _group in shown["groups"]] == ["dpo-child@example.org"]


def test_health_warns_the_operator_and_administrators_not_the_roles(roles):
    request(at(2025, 3, 5))
    assert unaddressed_alerts(OPERATOR) == {"alerts_without_recipient": {"status": "ok", "unaddressed": 0}}
    sweep(at(2025, 4, 8, 6))
    warning = {"alerts_without_recipient": {"status": "warning", "unaddressed": 1}}
    assert unaddressed_alerts(OPERATOR) == warning
    assert unaddressed_alerts(UserFactory(username="root", is_superuser=True)) == warning
    assert unaddressed_alerts(UserFactory(username="dpo", groups=["DPO"])) is None


def test_the_ledger_shows_a_no_recipient_badge_and_filters_them(roles):
    from django.test import Client

    req = request(at(2025, 3, 5))
    sweep(at(2025, 4, 8, 6))
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(UserFactory(username="root", is_superuser=True))
    listing = client.get("/admin/notifications/alert/?undelivered=nobody")
    assert [alert.object_id for alert in listing.context["cl"].queryset] == [req.pk]
    assert "No recipient" in listing.content.decode()
    alert = Alert.objects.get()
    assert "No recipient" in client.get(f"/admin/notifications/alert/{alert.pk}/change/").content.decode()


# --- a flat number of queries ---------------------------------------------------------------------------------


def _sweep_queries(n: int, parent, child) -> int:
    handlers = [dpo(f"h{n}-{i}") for i in range(3)]
    for i in range(n):
        request(at(2025, 3, 5), handler=handlers[i % 3], entity=(child if i % 2 else parent))
    with CaptureQueriesContext(connection) as queries:
        sweep(at(2025, 4, 8, 6), dry_run=True)
    RightsRequest.objects.all().delete()
    return len(queries)


def test_resolving_the_recipients_asks_nothing_per_item(group):
    parent, child, _grandchild = group
    contact(parent, "dpo-parent")
    contact(child, "dpo-child")
    away = contact(child, "dpo-away")
    Absence.objects.create(user=away, deputy=dpo("deputy"), starts_on=dt.date(2025, 4, 1), ends_on=dt.date(2025, 4, 30))
    assert _sweep_queries(5, parent, child) == _sweep_queries(50, parent, child)


# --- the digest lists each record once ----------------------------------------------------------------------


def test_the_digest_lists_a_request_once_with_both_reasons(settings, smtp_server, group):
    parent, _child, _grandchild = group
    contact(parent, "dpo-parent")
    handler, port = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    settings.VIGIE_SITE_URL = "https://vigie.example.org"
    req, other = request(at(2025, 3, 5)), request(at(2025, 3, 6))
    now = at(2025, 3, 31, 8)  # 7 days before both deadlines: the deadline and the extension decision of each
    from notifications.sending import send_pending

    sweep(now)
    assert Alert.objects.filter(object_id=req.pk).count() == 2
    send_pending(now)
    (message,) = handler.messages
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert message["To"] == "dpo-parent@example.org"
    # In the site's language (French): two records, not four alerts.
    assert "2 échéances" in message["Subject"] and "2 échéances demandent votre attention" in text
    for body in (text, html):
        # Each request once (its link), with both rules as its reasons.
        for record in (req, other):
            assert body.count(f"/admin/gdpr/rightsrequest/{record.pk}/change/") == 1
        assert body.count("exercice de droits : délai légal") == 2
        assert body.count("exercice de droits : décider d") == 2
    assert text.count("Marquer comme lu :") == 4
