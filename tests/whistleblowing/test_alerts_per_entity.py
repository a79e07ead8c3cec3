"""Per-entity referents (review22d #5): a referent's desk counts, and its links list, only the reports they may
read (selectors.content_condition); and no alert of a report reaches a referent who may not read it, neither as
the deputy of an absent assigned referent nor through the "everyone away" fallback; a report whose entity has
no assigned referent alerts nobody (written "without recipient") rather than every referent."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from notifications.models import Absence, Alert as LedgerAlert
from notifications.sweep import sweep
from organization.models import LegalEntity
from reporting import desk, home
from tests.clients import admin_client
from tests.factories import UserFactory
from tests.whistleblowing.factories import ReportContentFactory, ReportFactory
from whistleblowing.models import ReferentAssignment
from whistleblowing.selectors import content_visible_to

PARIS = ZoneInfo("Europe/Paris")
REF = "Référent alertes"
TODAY = dt.date(2025, 6, 16)
NOW = dt.datetime(2025, 6, 16, 9, tzinfo=PARIS)
SWEEP = dt.datetime(2025, 6, 16, 0, 15, tzinfo=PARIS)

pytestmark = pytest.mark.django_db


def report_in(entity, **fields):
    fields.setdefault("acknowledgment_due_on", TODAY - dt.timedelta(days=2))
    report = ReportFactory(received_at=NOW - dt.timedelta(days=14), **fields)
    ReportContentFactory(report=report, entity=entity)
    return report


@pytest.fixture
def world(roles, settings):
    settings.VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY = True
    e1 = LegalEntity.objects.create(code="E1", name="Filiale Sud")
    e2 = LegalEntity.objects.create(code="E2", name="Filiale Nord")
    r1 = UserFactory(username="ref1", email="ref1@example.org", groups=[REF])
    r2 = UserFactory(username="ref2", email="ref2@example.org", groups=[REF])
    ReferentAssignment.objects.create(user=r1, entity=e1)
    ReferentAssignment.objects.create(user=r2, entity=e2)
    return e1, e2, r1, r2


def wb_items():
    return dict(desk.desks())["whistleblowing"].items


def recipients_of(report) -> list[str]:
    return sorted(LedgerAlert.objects.get(object_id=report.pk).deliveries.values_list("recipient", flat=True))


def test_the_desk_counts_and_links_only_the_reports_the_referent_may_read(world):
    e1, e2, r1, r2 = world
    in_e1 = {report_in(e1).pk for _ in range(3)}
    in_e2 = {report_in(e2).pk}
    shared = {report_in(None).pk}  # no entity: every referent reads it
    for user, expected in ((r1, in_e1 | shared), (r2, in_e2 | shared)):
        moment = desk.Moment(TODAY, NOW, user)
        client = admin_client()
        client.force_login(user)
        with time_machine.travel(NOW, tick=False):
            for key in ("wb_to_acknowledge", "wb_acknowledgments"):
                (item,) = [i for i in wb_items() if i.key == key]
                assert set(item.records(moment).values_list("pk", flat=True)) == expected, (user, key)
                listing = client.get(item.url(moment))
                assert listing.status_code == 200 and "e=1" not in listing.get("Location", "")
                assert {o.pk for o in listing.context["cl"].queryset} == expected, (user, key)
                assert all(content_visible_to(user, o) for o in listing.context["cl"].queryset)
            page = home.home(user)
        counts = {e.key: e.count for s in page.sections for g in s.groups for e in g.entries}
        assert counts["wb_acknowledgments"] == len(expected)


def test_without_the_setting_the_desk_links_carry_no_filter(roles, settings):
    settings.VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY = False
    referent = UserFactory(groups=[REF])
    moment = desk.Moment(TODAY, NOW, referent)
    assert all("readable" not in item.url(moment) for item in wb_items())


def test_the_deputy_of_an_absent_assigned_referent_gets_the_alert_only_if_they_may_read_it(world):
    e1, e2, r1, r2 = world
    r3 = UserFactory(username="ref3", email="ref3@example.org", groups=[REF])
    ReferentAssignment.objects.create(user=r3, entity=e1)
    Absence.objects.create(
        user=r1, deputy=r2, starts_on=TODAY - dt.timedelta(days=3), ends_on=TODAY + dt.timedelta(days=3)
    )
    report = report_in(e1)
    sweep(SWEEP)
    assert not content_visible_to(r2, report)
    assert recipients_of(report) == ["ref1@example.org", "ref3@example.org"]  # not ref2, the deputy


def test_everyone_assigned_away_does_not_fall_back_on_the_other_referents(world):
    e1, e2, r1, r2 = world
    gone = UserFactory(username="gone", email="gone@example.org", groups=[REF], is_active=False)
    # r1's deputy left the company: nobody stands in, the fallback of the role's present holders applies.
    Absence.objects.create(
        user=r1, deputy=gone, starts_on=TODAY - dt.timedelta(days=3), ends_on=TODAY + dt.timedelta(days=3)
    )
    report = report_in(e1)
    sweep(SWEEP)
    # Nobody present may read it: written without recipient (resolved again at each sweep), not sent to ref2.
    assert recipients_of(report) == []
    assert LedgerAlert.objects.get(object_id=report.pk).unaddressed
    Absence.objects.all().delete()
    sweep(SWEEP + dt.timedelta(hours=1))
    assert recipients_of(report) == ["ref1@example.org"]


def test_a_deputy_assigned_to_the_entity_stands_in(world):
    e1, e2, r1, r2 = world
    r3 = UserFactory(username="ref3", email="ref3@example.org", groups=[REF])
    ReferentAssignment.objects.create(user=r3, entity=e1)
    Absence.objects.create(
        user=r1, deputy=r3, starts_on=TODAY - dt.timedelta(days=3), ends_on=TODAY + dt.timedelta(days=3)
    )
    report = report_in(e1)
    sweep(SWEEP)
    assert recipients_of(report) == ["ref1@example.org", "ref3@example.org"]


def test_an_entity_without_referent_and_a_report_without_entity_alert_every_referent(world):
    """No report is left without a referent (whistleblowing/selectors.py `staffed_entities`): until the company
    designates the referents of a new subsidiary, every referent reads its reports and gets their alerts."""
    e1, e2, r1, r2 = world
    e3 = LegalEntity.objects.create(code="E3", name="Filiale Est")
    orphan = report_in(e3)
    nowhere = report_in(None)
    sweep(SWEEP)
    assert content_visible_to(r1, orphan) and content_visible_to(r2, orphan)
    assert recipients_of(orphan) == ["ref1@example.org", "ref2@example.org"]
    assert recipients_of(nowhere) == ["ref1@example.org", "ref2@example.org"]
    # Once a referent is assigned, the entity's reports are theirs alone.
    ReferentAssignment.objects.create(user=r2, entity=e3)
    assert content_visible_to(r2, orphan) and not content_visible_to(r1, orphan)


def test_the_deputy_rule_is_unchanged_for_the_other_domains(world):
    """The audience is the whistleblowing items' own: a DPO's deputy still gets the DPO's alerts (the generic
    rule of notifications/recipients.py, tests/notifications cover it); here: an item without audience."""
    from notifications.recipients import Resolver
    from whistleblowing.alerts import AcknowledgmentDue

    e1, e2, r1, r2 = world
    Absence.objects.create(
        user=r1, deputy=r2, starts_on=TODAY - dt.timedelta(days=3), ends_on=TODAY + dt.timedelta(days=3)
    )
    resolver = Resolver(SWEEP)
    rule = AcknowledgmentDue()
    assert resolver.resolve(rule, ("ref1@example.org",)) == ["ref1@example.org", "ref2@example.org"]
    assert resolver.resolve(rule, ("ref1@example.org",), audience=("ref1@example.org",)) == []
