"""The Art. 30 register: services (create, update, retire, review), `in_register_on`, review overdue."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from gdpr.choices import ProcessingRole
from gdpr.models import ProcessingActivity
from gdpr.models.register import review_cutoff
from gdpr.services.register import (
    processing_activity_create,
    processing_activity_retire,
    processing_activity_review,
    processing_activity_update,
)
from tests.gdpr.factories import ProcessingActivityFactory

PARIS = ZoneInfo("Europe/Paris")
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english_messages"),
    pytest.mark.time_machine(dt.datetime(2025, 3, 5, 10, 0, tzinfo=PARIS), tick=False),
]
TODAY = dt.date(2025, 3, 5)


def errors_of(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return excinfo.value.message_dict


# -- create -------------------------------------------------------------------------------------------
def test_create_enters_the_register_today_by_default_with_history_naming_the_actor(dpo):
    activity = processing_activity_create(
        actor=dpo, reference=" PA-001 ", name="Payroll", purposes="Pay staff", legal_basis="Legal obligation"
    )
    assert (activity.reference, activity.registered_on, activity.role) == ("PA-001", TODAY, ProcessingRole.CONTROLLER)
    record = activity.history.get()
    assert (record.history_user, record.history_change_reason) == (dpo, "Entered the register")


def test_create_refuses_a_processor_record_without_the_controllers_served(dpo):
    with pytest.raises(ValidationError) as excinfo:
        processing_activity_create(actor=dpo, reference="PA-1", name="Hosting", role=ProcessingRole.PROCESSOR)
    assert errors_of(excinfo) == {
        "controllers_served": ["A processor record must name the controllers it acts for (Art. 30(2)(a))."]
    }
    assert not ProcessingActivity.objects.exists()


def test_create_accepts_a_processor_record_naming_its_controllers(dpo):
    activity = processing_activity_create(
        actor=dpo,
        reference="PA-1",
        name="Hosting",
        role=ProcessingRole.PROCESSOR,
        controllers_served="Action Logement Services",
    )
    assert activity.role == ProcessingRole.PROCESSOR


def test_create_refuses_transfers_outside_the_eu_without_safeguards(dpo):
    with pytest.raises(ValidationError) as excinfo:
        processing_activity_create(
            actor=dpo, reference="PA-1", name="CRM", transfers_outside_eu=True, transfer_safeguards="   "
        )
    assert errors_of(excinfo) == {
        "transfer_safeguards": [
            "Transfers outside the EU need their countries and safeguards (Art. 30(1)(e), Art. 46)."
        ]
    }


def test_create_refuses_a_dpia_done_in_the_future(dpo):
    with pytest.raises(ValidationError) as excinfo:
        processing_activity_create(
            actor=dpo, reference="PA-1", name="CRM", dpia_required=True, dpia_done_on=TODAY + dt.timedelta(days=1)
        )
    assert errors_of(excinfo) == {"dpia_done_on": ["A DPIA cannot be done in the future."]}


def test_create_refuses_an_entry_in_the_register_in_the_future(dpo):
    with pytest.raises(ValidationError) as excinfo:
        processing_activity_create(actor=dpo, reference="PA-1", name="CRM", registered_on=dt.date(2025, 4, 1))
    assert errors_of(excinfo) == {"registered_on": ["An activity cannot enter the register in the future."]}


def test_create_refuses_a_reference_already_in_the_register(dpo):
    ProcessingActivityFactory(reference="PA-1")
    with pytest.raises(ValidationError) as excinfo:
        processing_activity_create(actor=dpo, reference="PA-1", name="Other")
    assert list(errors_of(excinfo)) == ["reference"]


def test_create_reports_every_problem_of_the_record_at_once(dpo):
    with pytest.raises(ValidationError) as excinfo:
        processing_activity_create(
            actor=dpo, reference="PA-1", name="", role=ProcessingRole.PROCESSOR, transfers_outside_eu=True
        )
    assert set(errors_of(excinfo)) == {"name", "controllers_served", "transfer_safeguards"}


# -- update -------------------------------------------------------------------------------------------
def test_update_writes_the_changed_fields_with_a_reason_naming_them(dpo):
    activity = ProcessingActivityFactory(reference="PA-1", retention="5 years")
    processing_activity_update(activity=activity, actor=dpo, data={"retention": "10 years", "name": activity.name})
    activity.refresh_from_db()
    assert activity.retention == "10 years"
    latest = activity.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (dpo, "Updated: retention")


def test_update_without_change_writes_no_history(dpo):
    activity = ProcessingActivityFactory(reference="PA-1")
    processing_activity_update(activity=activity, actor=dpo, data={"name": activity.name})
    assert activity.history.count() == 1


def test_update_refuses_to_make_a_processor_without_controllers_and_writes_nothing(dpo):
    activity = ProcessingActivityFactory(reference="PA-1", name="Before")
    with pytest.raises(ValidationError) as excinfo:
        processing_activity_update(
            activity=activity, actor=dpo, data={"role": ProcessingRole.PROCESSOR, "name": "After"}
        )
    assert list(errors_of(excinfo)) == ["controllers_served"]
    activity.refresh_from_db()
    assert (activity.role, activity.name) == (ProcessingRole.CONTROLLER, "Before")


def test_update_refuses_moving_the_entry_after_the_retirement(dpo):
    activity = ProcessingActivityFactory(registered_on=dt.date(2020, 1, 1), retired_on=dt.date(2022, 6, 30))
    with pytest.raises(ValidationError) as excinfo:
        processing_activity_update(activity=activity, actor=dpo, data={"registered_on": dt.date(2023, 1, 1)})
    assert errors_of(excinfo) == {
        "registered_on": ["The activity was retired on 30/06/2022: it cannot have entered the register after that."]
    }


def test_update_refuses_the_retirement_fields(dpo):
    activity = ProcessingActivityFactory()
    with pytest.raises(TypeError):
        processing_activity_update(activity=activity, actor=dpo, data={"retired_on": TODAY})


# -- retire -------------------------------------------------------------------------------------------
def test_retire_sets_the_date_and_reason_and_records_them_in_history(dpo):
    activity = ProcessingActivityFactory(reference="PA-1", registered_on=dt.date(2020, 1, 1))
    processing_activity_retire(activity=activity, actor=dpo, retired_on=dt.date(2025, 3, 1), reason="Replaced by PA-9")
    activity.refresh_from_db()
    assert (activity.retired_on, activity.retired_reason) == (dt.date(2025, 3, 1), "Replaced by PA-9")
    latest = activity.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (dpo, "Retired on 01/03/2025: Replaced by PA-9")


def test_retire_refuses_a_date_before_the_entry_in_the_register(dpo):
    activity = ProcessingActivityFactory(reference="PA-1", registered_on=dt.date(2024, 5, 2))
    with pytest.raises(ValidationError) as excinfo:
        processing_activity_retire(activity=activity, actor=dpo, retired_on=dt.date(2024, 5, 1), reason="Ended")
    assert errors_of(excinfo) == {"retired_on": ["PA-1 cannot be retired before it entered the register (02/05/2024)."]}
    activity.refresh_from_db()
    assert activity.retired_on is None


def test_retire_refuses_an_activity_already_retired(dpo):
    activity = ProcessingActivityFactory(reference="PA-1", retired_on=dt.date(2024, 1, 1), retired_reason="Ended")
    with pytest.raises(ValidationError) as excinfo:
        processing_activity_retire(activity=activity, actor=dpo, retired_on=TODAY, reason="Again")
    assert errors_of(excinfo) == {"retired_on": ["PA-1 is already retired (on 01/01/2024)."]}


def test_retire_requires_a_reason(dpo):
    activity = ProcessingActivityFactory()
    with pytest.raises(ValidationError) as excinfo:
        processing_activity_retire(activity=activity, actor=dpo, retired_on=TODAY, reason="  ")
    assert errors_of(excinfo) == {"reason": ["Say why the activity leaves the register."]}


def test_an_incomplete_imported_record_can_still_be_retired(dpo):
    activity = ProcessingActivityFactory(role=ProcessingRole.PROCESSOR, controllers_served="")
    processing_activity_retire(activity=activity, actor=dpo, retired_on=TODAY, reason="Contract ended")
    assert ProcessingActivity.objects.get().retired_on == TODAY


def test_retiring_on_the_entry_day_leaves_the_activity_out_of_every_dated_register(dpo):
    activity = ProcessingActivityFactory(registered_on=dt.date(2025, 3, 1))
    processing_activity_retire(activity=activity, actor=dpo, retired_on=dt.date(2025, 3, 1), reason="Entered twice")
    for day in (dt.date(2025, 2, 28), dt.date(2025, 3, 1), dt.date(2025, 3, 2)):
        assert not ProcessingActivity.objects.in_register_on(day).exists()


# -- review -------------------------------------------------------------------------------------------
def test_review_records_today_by_default_with_a_change_reason(dpo):
    activity = ProcessingActivityFactory(last_reviewed_on=dt.date(2023, 1, 1))
    processing_activity_review(activity=activity, actor=dpo, note="checked with IT")
    activity.refresh_from_db()
    assert activity.last_reviewed_on == TODAY
    assert activity.history.latest().history_change_reason == "Reviewed on 05/03/2025: checked with IT"


@pytest.mark.parametrize(
    ("reviewed_on", "message"),
    [
        (dt.date(2025, 3, 6), "A review cannot be dated in the future."),
        (dt.date(2019, 12, 31), "PA-1 cannot be reviewed before it entered the register (01/01/2020)."),
        (dt.date(2022, 12, 31), "PA-1 was already reviewed on 01/01/2023, a later date."),
    ],
)
def test_review_refuses_dates_that_contradict_the_record(dpo, reviewed_on, message):
    activity = ProcessingActivityFactory(reference="PA-1", last_reviewed_on=dt.date(2023, 1, 1))
    with pytest.raises(ValidationError) as excinfo:
        processing_activity_review(activity=activity, actor=dpo, reviewed_on=reviewed_on)
    assert errors_of(excinfo) == {"reviewed_on": [message]}


def test_review_refuses_a_retired_activity(dpo):
    activity = ProcessingActivityFactory(reference="PA-1", retired_on=dt.date(2024, 6, 30))
    with pytest.raises(ValidationError) as excinfo:
        processing_activity_review(activity=activity, actor=dpo)
    assert errors_of(excinfo) == {
        "reviewed_on": ["PA-1 was retired on 30/06/2024: a retired activity is not reviewed."]
    }


# -- the register on a date ---------------------------------------------------------------------------
def test_in_register_on_counts_the_entry_day_and_not_the_retirement_day():
    activity = ProcessingActivityFactory(registered_on=dt.date(2023, 3, 1), retired_on=dt.date(2023, 12, 31))
    in_register = ProcessingActivity.objects.in_register_on
    assert not in_register(dt.date(2023, 2, 28)).exists()
    assert list(in_register(dt.date(2023, 3, 1))) == [activity]
    assert list(in_register(dt.date(2023, 12, 30))) == [activity]
    assert not in_register(dt.date(2023, 12, 31)).exists()
    assert [
        activity.in_register_on(day)
        for day in (dt.date(2023, 2, 28), dt.date(2023, 3, 1), dt.date(2023, 12, 30), dt.date(2023, 12, 31))
    ] == [False, True, True, False]


def test_in_register_on_keeps_activities_that_are_never_retired():
    activity = ProcessingActivityFactory(registered_on=dt.date(2023, 3, 1))
    assert list(ProcessingActivity.objects.in_register_on(dt.date(2030, 1, 1))) == [activity]


# -- review overdue -----------------------------------------------------------------------------------
def test_review_is_overdue_twelve_months_after_the_last_review_or_the_entry():
    due_today = ProcessingActivityFactory(reference="A", last_reviewed_on=dt.date(2024, 3, 5))
    overdue = ProcessingActivityFactory(reference="B", last_reviewed_on=dt.date(2024, 3, 4))
    never_reviewed_old = ProcessingActivityFactory(reference="C", registered_on=dt.date(2024, 3, 4))
    never_reviewed_recent = ProcessingActivityFactory(reference="D", registered_on=dt.date(2024, 3, 5))
    retired = ProcessingActivityFactory(
        reference="E", registered_on=dt.date(2020, 1, 1), retired_on=dt.date(2024, 1, 1)
    )
    assert set(ProcessingActivity.objects.review_overdue()) == {overdue, never_reviewed_old}
    assert [a.review_overdue() for a in (due_today, overdue, never_reviewed_old, never_reviewed_recent, retired)] == [
        False,
        True,
        True,
        False,
        False,
    ]
    assert due_today.review_due_on == TODAY


def test_the_review_period_is_a_setting(settings):
    settings.VIGIE_GDPR_REGISTER_REVIEW_MONTHS = 24
    activity = ProcessingActivityFactory(last_reviewed_on=dt.date(2024, 1, 1))
    assert not ProcessingActivity.objects.review_overdue().exists()
    assert activity.review_due_on == dt.date(2026, 1, 1)


@pytest.mark.parametrize(
    ("today", "last_review", "overdue"),
    [
        # Reviewed 28/02/2023, due 28/02/2024: overdue on 29/02/2024 (a naive "today - 12 months" says no).
        (dt.date(2024, 2, 29), dt.date(2023, 2, 28), True),
        (dt.date(2024, 2, 29), dt.date(2023, 3, 1), False),
        # Reviewed 29/02/2024, due 28/02/2025.
        (dt.date(2025, 2, 28), dt.date(2024, 2, 29), False),
        (dt.date(2025, 3, 1), dt.date(2024, 2, 29), True),
    ],
)
def test_queryset_and_record_agree_on_review_overdue_at_month_ends(today, last_review, overdue):
    activity = ProcessingActivityFactory(registered_on=dt.date(2020, 1, 1), last_reviewed_on=last_review)
    assert activity.review_overdue(today) is overdue
    assert ProcessingActivity.objects.review_overdue(today).exists() is overdue
    assert (last_review < review_cutoff(today)) is overdue
