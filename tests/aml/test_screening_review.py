"""The review of hits (`aml.services.screening.hit_review`), the screening admin pages and the API
(`/api/aml/counterparties/`, `/api/aml/screening-hits/`) for a member of the AML/CFT role."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pytest
from django.core.exceptions import ValidationError

from aml.choices import HitStatus, ScreeningTrigger
from aml.models import Hit
from aml.screening import run_screening
from aml.services.screening import hit_review
from core.roles import AML_OFFICER
from tests.aml.factories import HitFactory, ScreeningRunFactory
from tests.aml.screening_world import counterparty, entry
from tests.clients import admin_client, api_client, list_cells, messages_of
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("roles"),
    pytest.mark.time_machine(dt.datetime(2025, 6, 2, 10, 0, tzinfo=dt.UTC), tick=False),
]
HITS = "/admin/aml/hit/"
API_HITS = "/api/aml/screening-hits/"
admin_for = partial(admin_client, AML_OFFICER, language="en")
api_for = partial(api_client, AML_OFFICER, language="en")


@pytest.fixture
def hit() -> Hit:
    entry("Jean-Pierre Dupont", list_id="GELS-1")
    counterparty("Jean-Pierre Dupond", reference="CP-001")
    run_screening(trigger=ScreeningTrigger.MANUAL)
    return Hit.objects.get()


# --- the service ----------------------------------------------------------------------------------------------


def test_a_review_records_who_when_why_with_history(hit):
    reviewer = UserFactory()
    hit_review(actor=reviewer, hit=hit, status=HitStatus.FALSE_POSITIVE, reason="  Different birth place  ")
    assert hit.status == HitStatus.FALSE_POSITIVE  # the caller's instance is updated
    hit.refresh_from_db()
    assert (hit.reviewed_by, hit.review_reason) == (reviewer, "Different birth place")
    assert hit.reviewed_at is not None
    latest = hit.history.first()
    assert latest.history_user == reviewer and latest.status == HitStatus.FALSE_POSITIVE
    assert hit.history.count() == 2


@pytest.mark.parametrize(
    ("status", "reason", "field"),
    [(HitStatus.FALSE_POSITIVE, " ", "reason"), (HitStatus.PENDING, "x", "status"), ("maybe", "x", "status")],
)
def test_a_review_needs_a_verdict_and_a_reason(hit, status, reason, field):
    with pytest.raises(ValidationError) as raised:
        hit_review(actor=UserFactory(), hit=hit, status=status, reason=reason)
    assert field in raised.value.message_dict
    hit.refresh_from_db()
    assert hit.status == HitStatus.PENDING


def test_a_hit_is_reviewed_once(hit):
    hit_review(actor=UserFactory(), hit=hit, status=HitStatus.FALSE_POSITIVE, reason="Other person")
    with pytest.raises(ValidationError) as raised:
        hit_review(actor=UserFactory(), hit=hit, status=HitStatus.FALSE_POSITIVE, reason="Again")
    assert "status" in raised.value.message_dict


def test_a_confirmed_hit_on_an_active_counterparty_opens_a_screening_alert(hit):
    reviewer = UserFactory()
    hit_review(actor=reviewer, hit=hit, status=HitStatus.CONFIRMED, reason="Same passport number")
    alert = hit.alert
    assert alert.source == "screening" and alert.counterparty == hit.counterparty
    assert "GELS-1" in alert.reason


def test_a_confirmed_hit_on_an_ended_relationship_opens_no_alert(hit):
    from aml.models import Alert

    hit.counterparty.relationship_ended_on = dt.date(2025, 5, 1)
    hit.counterparty.save()
    hit_review(actor=UserFactory(), hit=hit, status=HitStatus.CONFIRMED, reason="Same person, former customer")
    assert not Alert.objects.exists()


# --- admin ----------------------------------------------------------------------------------------------------


def test_the_hits_list_shows_the_pair_and_filters_overdue_and_pending(hit):
    late = HitFactory(review_due_on=dt.date(2025, 5, 30))
    HitFactory(status=HitStatus.FALSE_POSITIVE, reviewed_at=dt.datetime(2025, 5, 1, tzinfo=dt.UTC), review_reason="x")
    client = admin_for()
    body = client.get(HITS).content.decode()
    assert "Jean-Pierre Dupond" in body and "FR-GELS GELS-1" in body
    assert len(list_cells(body, "score")) == 3
    overdue = client.get(f"{HITS}?due=overdue").content.decode()
    assert list_cells(overdue, "counterparty_reference") == [late.counterparty.reference]
    assert len(list_cells(client.get(f"{HITS}?due=pending").content.decode(), "score")) == 2
    assert set(Hit.objects.overdue()) == {late}


def test_the_hits_list_query_count_is_pinned(django_assert_max_num_queries):
    for _ in range(20):
        HitFactory()
    client = admin_for()
    with django_assert_max_num_queries(12):
        assert client.get(HITS).status_code == 200


def test_a_hit_is_dismissed_from_its_page_with_a_reason(hit):
    client = admin_for()
    page = client.get(f"{HITS}{hit.pk}/change/").content.decode()
    assert f"{hit.pk}/do/confirm/" in page and f"{hit.pk}/do/dismiss/" in page
    form = client.get(f"{HITS}{hit.pk}/do/dismiss/")
    assert form.status_code == 200 and "CP-001" in form.content.decode()
    refused = client.post(f"{HITS}{hit.pk}/do/dismiss/", {"reason": ""})
    assert refused.status_code == 200
    hit.refresh_from_db()
    assert hit.status == HitStatus.PENDING
    done = client.post(f"{HITS}{hit.pk}/do/dismiss/", {"reason": "Different birth date on the ID"}, follow=True)
    assert "Recorded as a false positive." in messages_of(done)
    hit.refresh_from_db()
    assert hit.status == HitStatus.FALSE_POSITIVE and hit.review_reason == "Different birth date on the ID"
    assert f"{hit.pk}/do/dismiss/" not in client.get(f"{HITS}{hit.pk}/change/").content.decode()


def test_the_counterparty_search_ignores_accents_and_shows_its_hits(hit):
    counterparty("Hélène Lefèvre", reference="CP-002")
    client = admin_for()
    body = client.get("/admin/aml/counterparty/?q=helene+lefevre").content.decode()
    assert list_cells(body, "name") == ["Hélène Lefèvre"]
    page = client.get(f"/admin/aml/counterparty/{hit.counterparty.pk}/change/").content.decode()
    assert "Jean-Pierre Dupont" in page  # the hit's matched name, in the inline


@pytest.mark.parametrize(
    "url",
    [
        "/admin/aml/counterparty/",
        "/admin/aml/screeninglist/",
        "/admin/aml/listentry/",
        "/admin/aml/listentry/?listed=delisted",
        "/admin/aml/screeningrun/",
        "/admin/aml/counterparty/?relationship=active&screened=never",
    ],
)
def test_the_screening_pages_answer_and_are_read_only(hit, url):
    ScreeningRunFactory()
    client = admin_for()
    assert client.get(url).status_code == 200
    for model in ("counterparty", "screeninglist", "listentry", "screeningrun", "hit"):
        assert client.get(f"/admin/aml/{model}/add/").status_code == 403


# --- API ------------------------------------------------------------------------------------------------------


def test_the_hits_api_gives_the_interface_fields(hit):
    response = api_for().get(API_HITS)
    assert response.status_code == 200
    row = response.json()["results"][0]
    assert {key: row[key] for key in ("counterparty_reference", "list", "list_id", "status")} == {
        "counterparty_reference": "CP-001",
        "list": "FR-GELS",
        "list_id": "GELS-1",
        "status": "pending",
    }
    assert 85 <= row["score"] <= 100 and row["matched_name"] == "Jean-Pierre Dupont"


def test_the_hits_api_filters(hit):
    HitFactory(review_due_on=dt.date(2025, 5, 30))
    client = api_for()
    assert client.get(API_HITS, {"overdue": "true"}).json()["count"] == 1
    assert client.get(API_HITS, {"counterparty_reference": "CP-001"}).json()["count"] == 1
    assert client.get(API_HITS, {"list": "FR-GELS"}).json()["count"] == 1
    assert client.get(API_HITS, {"status": "confirmed"}).json()["count"] == 0


def test_a_hit_is_reviewed_through_the_api(hit):
    client = api_for()
    refused = client.post(f"{API_HITS}{hit.pk}/review/", {"status": "false_positive", "reason": ""})
    assert refused.status_code == 400 and "reason" in refused.json()
    done = client.post(f"{API_HITS}{hit.pk}/review/", {"status": "false_positive", "reason": "Other person"})
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "false_positive" and done.json()["review_reason"] == "Other person"
    again = client.post(f"{API_HITS}{hit.pk}/review/", {"status": "confirmed", "reason": "Sure"})
    assert again.status_code == 400 and "status" in again.json()


def test_the_counterparties_api_reads_and_searches_names(hit):
    counterparty("Hélène Lefèvre", reference="CP-002")
    client = api_for()
    assert client.get("/api/aml/counterparties/").json()["count"] == 2
    found = client.get("/api/aml/counterparties/", {"name": "HELENE lefevre"}).json()["results"]
    assert [row["reference"] for row in found] == ["CP-002"]
    assert client.post("/api/aml/counterparties/", {"reference": "X"}).status_code == 405
