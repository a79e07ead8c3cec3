"""`aml.screening.run_screening`: what a run catches and not, idempotence, the three shapes of a run, coverage,
the tasks and the `screen_counterparties` command."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from aml import tasks
from aml.choices import BirthSignal, HitStatus, RunStatus, ScreeningTrigger
from aml.models import Hit, ScreeningList, ScreeningRun
from aml.screening import coverage, run_screening
from aml.services.screening import hit_review
from tests.aml.factories import ScreeningListFactory
from tests.aml.screening_world import change_entry, counterparty, entry, rename
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(dt.datetime(2025, 6, 2, 10, 0, tzinfo=dt.UTC), tick=True),
]


def pairs(run: ScreeningRun | None = None) -> set[tuple[str, str]]:
    hits = Hit.objects.all() if run is None else Hit.objects.filter(run=run)
    return {(hit.counterparty.name, hit.entry.list_id) for hit in hits.select_related("counterparty", "entry")}


@pytest.fixture
def listed():
    return {
        "dupont": entry("Jean-Pierre Dupont", list_id="GELS-1", birth_dates="1970-05-17"),
        "kovalenko": entry("Oleksandr Kovalenko", list_id="GELS-2", aliases=("Aleksandr Kovalenkov",)),
        "holding": entry("Société Générale d'Import Zéphyr", list_id="GELS-3", kind="company"),
    }


# --- what a run catches ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Jean-Pierre Dupond",  # misspelt
        "Dupont Jean-Pierre",  # reordered
        "JEAN PIERRE DUPONT",  # accent-free, upper case, hyphen as a space
        "Jean Pierre Dupont",
    ],
)
def test_a_full_run_catches_misspelt_reordered_and_accent_free_forms(listed, name):
    counterparty(name)
    run = run_screening(trigger=ScreeningTrigger.MANUAL)
    assert run.status == RunStatus.DONE
    assert pairs() == {(name, "GELS-1")}
    hit = Hit.objects.get()
    assert hit.status == HitStatus.PENDING and hit.run == run
    assert hit.entry_hash == listed["dupont"].content_hash
    assert 85 <= hit.score <= 100
    assert hit.review_due_on == dt.date(2025, 6, 4)  # the Paris day + VIGIE_AML_HIT_REVIEW_DAYS (2)
    assert hit.history.count() == 1  # raised with its history row
    assert run.hits_raised == 1


def test_an_alias_form_is_caught_with_the_alias_as_the_matched_name(listed):
    counterparty("Kovalenkov Aleksandr")
    run_screening(trigger=ScreeningTrigger.MANUAL)
    hit = Hit.objects.get()
    assert hit.entry == listed["kovalenko"]
    assert hit.matched_name == "Aleksandr Kovalenkov"


def test_a_company_name_without_accents_and_punctuation_is_caught(listed):
    counterparty("SOCIETE GENERALE D IMPORT ZEPHYR", kind="company")
    run_screening(trigger=ScreeningTrigger.MANUAL)
    assert pairs() == {("SOCIETE GENERALE D IMPORT ZEPHYR", "GELS-3")}


@pytest.mark.parametrize("name", ["Marie Curie", "Jean Martin", "Pierre Duval", "Olga Petrenko"])
def test_unrelated_names_are_not_raised(listed, name):
    counterparty(name)
    run = run_screening(trigger=ScreeningTrigger.MANUAL)
    assert not Hit.objects.exists()
    assert run.counterparties_screened == 1 and run.hits_raised == 0


def test_a_birth_date_far_from_the_listed_one_excludes_the_pair_and_the_same_supports_it(listed):
    counterparty("Jean-Pierre Dupont", birth_date=dt.date(1990, 1, 1), reference="FAR")
    counterparty("Jean-Pierre Dupont", birth_date=dt.date(1970, 5, 17), reference="SAME")
    counterparty("Jean-Pierre Dupont", reference="NONE")
    counterparty("Jean-Pierre Dupont", birth_date=dt.date(1971, 2, 1), reference="CLOSE")  # within the tolerance
    counterparty("Oleksandr Kovalenko", birth_date=dt.date(1990, 1, 1), reference="UNDATED-ENTRY")
    run_screening(trigger=ScreeningTrigger.MANUAL)
    signals = {hit.counterparty.reference: hit.birth_signal for hit in Hit.objects.select_related("counterparty")}
    assert signals == {
        "SAME": BirthSignal.SUPPORTS,
        "NONE": BirthSignal.ABSENT,
        "CLOSE": BirthSignal.NEUTRAL,
        "UNDATED-ENTRY": BirthSignal.ABSENT,
    }


def test_any_of_several_listed_birth_dates_supports_the_match():
    entry("Ahmed Benali", list_id="GELS-9", birth_dates="1960|1975-03-02")
    counterparty("Ahmed Benali", birth_date=dt.date(1975, 3, 2))
    run_screening(trigger=ScreeningTrigger.MANUAL)
    assert Hit.objects.get().birth_signal == BirthSignal.SUPPORTS


def test_a_person_is_not_compared_with_a_company_nor_with_a_delisted_entry_or_an_inactive_list(listed):
    counterparty("Jean-Pierre Dupont", kind="company", reference="CO")
    counterparty("Oleksandr Kovalenko", reference="KO")
    listed["kovalenko"].delisted_on = dt.date(2025, 5, 1)
    listed["kovalenko"].save()
    other = ScreeningListFactory(code="OLD", active=False)
    entry("Marie Curie", screening_list=other)
    counterparty("Marie Curie", reference="MC")
    run_screening(trigger=ScreeningTrigger.MANUAL)
    assert not Hit.objects.exists()


def test_an_ended_relationship_is_not_screened(listed):
    counterparty("Jean-Pierre Dupont", relationship_ended_on=dt.date(2025, 1, 1))
    assert run_screening(trigger=ScreeningTrigger.MANUAL).counterparties_screened == 0
    assert not Hit.objects.exists()


# --- idempotence ----------------------------------------------------------------------------------------------


def test_a_rerun_raises_nothing_new_and_a_reviewed_pair_stays_quiet(listed):
    counterparty("Jean-Pierre Dupond")
    counterparty("Dupont Jean Pierre")
    run_screening(trigger=ScreeningTrigger.MANUAL)
    assert Hit.objects.count() == 2
    again = run_screening(trigger=ScreeningTrigger.NIGHTLY)
    assert again.hits_raised == 0 and Hit.objects.count() == 2
    reviewer = UserFactory()
    for hit in Hit.objects.all():
        hit_review(actor=reviewer, hit=hit, status=HitStatus.FALSE_POSITIVE, reason="Other person: different ID")
    third = run_screening(trigger=ScreeningTrigger.NIGHTLY)
    assert third.hits_raised == 0 and third.hits_already_reviewed == 2
    assert set(Hit.objects.values_list("status", flat=True)) == {HitStatus.FALSE_POSITIVE}


def test_a_reviewed_pair_is_raised_again_when_its_entry_changed(listed):
    counterparty("Jean-Pierre Dupond")
    run_screening(trigger=ScreeningTrigger.MANUAL)
    first = Hit.objects.get()
    hit_review(actor=UserFactory(), hit=first, status=HitStatus.FALSE_POSITIVE, reason="Born elsewhere")
    change_entry(listed["dupont"], aliases="J.-P. Dupont")
    run = run_screening(trigger=ScreeningTrigger.NIGHTLY)
    assert run.hits_raised == 1
    second = Hit.objects.exclude(pk=first.pk).get()
    assert second.status == HitStatus.PENDING
    assert second.entry_hash == listed["dupont"].content_hash != first.entry_hash
    first.refresh_from_db()
    assert first.status == HitStatus.FALSE_POSITIVE  # the earlier review is kept


def test_a_pending_hit_is_brought_up_to_date_when_its_entry_changed(listed):
    counterparty("Jean-Pierre Dupond")
    run_screening(trigger=ScreeningTrigger.MANUAL)
    hit = Hit.objects.get()
    change_entry(listed["dupont"], aliases="Jean Pierre Dupond")
    run = run_screening(trigger=ScreeningTrigger.NIGHTLY)
    assert run.hits_raised == 1
    updated = Hit.objects.get()
    assert updated.pk == hit.pk
    assert updated.entry_hash == listed["dupont"].content_hash
    assert updated.matched_name == "Jean Pierre Dupond" and updated.score == 100
    assert updated.run == run and updated.review_due_on == hit.review_due_on
    assert updated.history.count() == 2


# --- the three shapes of a run ---------------------------------------------------------------------------------


def test_a_changed_entry_run_reads_only_the_counterparties_sharing_a_key(listed):
    counterparty("Jean-Pierre Dupond")
    counterparty("Oleksandr Kovalenko")
    for n in range(5):
        counterparty(f"Unrelated Person{n} Somebody")
    run = run_screening(trigger=ScreeningTrigger.LIST_IMPORT, entry_ids=[listed["dupont"].pk])
    assert pairs() == {("Jean-Pierre Dupond", "GELS-1")}
    assert run.counterparties_screened == 1 and run.entries_screened == 1


def test_a_changed_entry_run_catches_a_counterparty_named_like_its_new_alias(listed):
    counterparty("Zorro Vega")
    run_screening(trigger=ScreeningTrigger.MANUAL)
    assert not Hit.objects.exists()
    change_entry(listed["dupont"], aliases="Don Diego Vega\nZoro Vega")
    run = run_screening(trigger=ScreeningTrigger.LIST_IMPORT, entry_ids=[listed["dupont"].pk])
    assert pairs(run) == {("Zorro Vega", "GELS-1")}


def test_a_counterparty_run_screens_only_those_against_every_entry(listed):
    one = counterparty("Jean-Pierre Dupond")
    counterparty("Oleksandr Kovalenko")
    run = run_screening(trigger=ScreeningTrigger.COUNTERPARTY_CHANGE, counterparty_ids=[one.pk])
    assert pairs() == {("Jean-Pierre Dupond", "GELS-1")}
    assert run.counterparties_screened == 1 and run.entries_screened == 3
    one.refresh_from_db()
    assert one.screened_at == run.started_at


def test_a_run_restricted_to_a_list_reads_only_its_entries(listed):
    other = ScreeningListFactory(code="EU")
    entry("Marie Curiel", screening_list=other, list_id="EU-1")
    counterparty("Marie Curie")
    counterparty("Jean-Pierre Dupond")
    run = run_screening(trigger=ScreeningTrigger.MANUAL, lists=["EU"])
    assert pairs() == {("Marie Curie", "EU-1")}
    assert run.lists == "EU" and run.entries_screened == 1


def test_an_unknown_list_fails_the_run_with_its_message(listed):
    with pytest.raises(ValueError, match="NOPE"):
        run_screening(trigger=ScreeningTrigger.MANUAL, lists=["NOPE"])
    run = ScreeningRun.objects.get()
    assert run.status == RunStatus.FAILED and "NOPE" in run.message and run.finished_at


# --- coverage -------------------------------------------------------------------------------------------------


def test_coverage_follows_full_runs_list_loads_and_counterparty_changes(listed):
    one = counterparty("Jean-Pierre Dupond")
    counterparty("Marie Curie")
    assert coverage() == (0, 2)
    run = run_screening(trigger=ScreeningTrigger.NIGHTLY)
    assert (run.covered_counterparties, run.active_counterparties) == (2, 2)
    assert ScreeningList.objects.get(code="FR-GELS").covered_at == run.started_at
    rename(one, "Jean-Pierre Dupont-Aignan")
    assert coverage() == (1, 2)
    summary = tasks.screen_changed_counterparties()
    assert set(summary) == {"run", "status"}  # no count of hits in what ops read (Celery's log and results)
    assert coverage() == (2, 2)
    ScreeningList.objects.filter(code="FR-GELS").update(loaded_at=timezone.now())
    assert coverage() == (0, 2)  # a new version of the list: nobody is screened against it yet


def test_a_run_over_one_list_does_not_mark_counterparties_screened(listed):
    ScreeningListFactory(code="EU")
    one = counterparty("Marie Curie")
    run_screening(trigger=ScreeningTrigger.MANUAL, lists=["FR-GELS"])
    one.refresh_from_db()
    assert one.screened_at is None
    assert coverage() == (0, 1)  # EU was never screened
    run_screening(trigger=ScreeningTrigger.MANUAL, lists=["EU"])
    assert coverage() == (1, 1)  # each list covered by its own full run


# --- tasks and command ------------------------------------------------------------------------------------------


def test_screen_lists_screens_a_new_list_whole_then_only_its_changed_entries(listed):
    counterparty("Jean-Pierre Dupond")
    counterparty("Olexandr Kovalenko")
    tasks.screen_lists(["FR-GELS"])
    first = ScreeningRun.objects.get()
    assert first.trigger == ScreeningTrigger.LIST_IMPORT and first.entries_screened == 3
    assert Hit.objects.count() == 2
    change_entry(listed["kovalenko"], birth_dates="1980")
    tasks.screen_lists(["FR-GELS"])
    second = ScreeningRun.objects.exclude(pk=first.pk).get()
    assert second.entries_screened == 1 and second.hits_raised == 1  # the pending hit, on the new version


def test_screen_changed_counterparties_does_nothing_when_nothing_changed(listed):
    counterparty("Marie Curie")
    tasks.screen_nightly()
    assert tasks.screen_changed_counterparties() is None
    assert ScreeningRun.objects.count() == 1


def test_the_command_prints_the_counts_without_names(listed):
    counterparty("Jean-Pierre Dupond")
    out = StringIO()
    call_command("screen_counterparties", "--list", "FR-GELS", stdout=out)
    text = out.getvalue()
    assert "hits raised: 1" in text and "counterparties screened: 1" in text
    assert "Dupon" not in text
    assert ScreeningRun.objects.get().lists == "FR-GELS"


def test_the_nightly_run_is_scheduled_at_half_past_one():
    from config.celery import _beat_schedule

    entry = _beat_schedule()["aml-screening-nightly"]
    assert entry["task"] == "aml.tasks.screen_nightly"
    assert entry["schedule"].hour == {1} and entry["schedule"].minute == {30}


def test_scoring_forks_only_for_large_runs_outside_a_daemonic_process(monkeypatch):
    """A Celery prefork worker is a daemonic process: multiprocessing refuses it children."""
    import multiprocessing

    from aml import screening

    assert screening._workers(10) == 1
    assert screening._workers(screening.MIN_PARALLEL) == screening.WORKERS
    monkeypatch.setattr(multiprocessing.current_process(), "daemon", True, raising=False)
    assert screening._workers(screening.MIN_PARALLEL) == 1
