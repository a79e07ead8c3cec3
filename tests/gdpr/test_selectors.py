"""The gdpr indicator selectors (docs/rules.md, "Indicator methods"), at their boundaries."""

import datetime as dt
from decimal import Decimal

import pytest

from core.figures import percent
from gdpr import selectors
from gdpr.choices import CnilCaseKind, ProcessingRole
from tests.gdpr.factories import (
    PARIS,
    BreachFactory,
    CnilCaseFactory,
    ProcessingActivityFactory,
    RightsRequestFactory,
)

pytestmark = pytest.mark.django_db


def at(y, m, d, hh=12, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=PARIS)


def test_percent_rounds_half_up_to_one_decimal():
    assert percent(1, 8) == Decimal("12.5")
    assert percent(2, 3) == Decimal("66.7")
    assert percent(1, 16) == Decimal("6.3")  # 6.25 → 6.3, not banker's 6.2
    assert percent(0, 0) is None


def test_requests_received_in_a_year_use_paris_dates():
    inside = RightsRequestFactory(received_at=dt.datetime(2023, 12, 31, 22, 30, tzinfo=dt.UTC))  # 23:30 Paris
    RightsRequestFactory(received_at=dt.datetime(2023, 12, 31, 23, 30, tzinfo=dt.UTC))  # 00:30 on 1 Jan in Paris
    RightsRequestFactory(received_at=dt.datetime(2022, 12, 31, 23, 30, tzinfo=dt.UTC))  # 00:30 on 1 Jan 2023
    figure = selectors.rights_requests_received(2023)
    assert figure.value == 2
    assert inside.pk in figure.record_ids


def test_mean_processing_days_counts_calendar_days_between_paris_dates():
    RightsRequestFactory(received_at=at(2023, 3, 1, 23, 50), answered_at=at(2023, 3, 11, 0, 10))  # 10 days
    RightsRequestFactory(received_at=at(2023, 5, 2), answered_at=at(2023, 5, 27))  # 25 days
    RightsRequestFactory(received_at=at(2023, 6, 1))  # not answered: not counted
    figure = selectors.rights_request_mean_days(2023)
    assert (figure.value, figure.numerator, figure.denominator) == (Decimal("17.5"), 35, 2)


def test_on_time_rate_counts_open_overdue_requests_as_late_and_ignores_open_ones_still_in_time():
    RightsRequestFactory(received_at=at(2023, 3, 5), due_on=dt.date(2023, 4, 5), answered_at=at(2023, 4, 5, 23, 0))
    RightsRequestFactory(  # validly extended: judged against the extended deadline
        received_at=at(2023, 1, 31),
        due_on=dt.date(2023, 2, 28),
        extended_due_on=dt.date(2023, 4, 28),
        extension_reason="complexity",
        answered_at=at(2023, 4, 20),
    )
    RightsRequestFactory(received_at=at(2023, 6, 1), due_on=dt.date(2023, 7, 3), answered_at=at(2023, 7, 4))  # late
    RightsRequestFactory(received_at=at(2023, 11, 2), due_on=dt.date(2023, 12, 4))  # open, overdue: late
    RightsRequestFactory(received_at=at(2023, 12, 20), due_on=dt.date(2024, 1, 22))  # open, still in time
    figure = selectors.rights_requests_on_time_rate(2023, today=dt.date(2024, 1, 10))
    assert (figure.numerator, figure.denominator, figure.value) == (2, 4, Decimal("50.0"))
    assert len(figure.record_ids) == 4


def test_cnil_referrals_and_complaints_are_counted_apart_and_on_time_against_the_letter_date():
    CnilCaseFactory(received_on=dt.date(2023, 2, 1), due_on=dt.date(2023, 2, 11), answered_on=dt.date(2023, 2, 11))
    CnilCaseFactory(received_on=dt.date(2023, 5, 1), due_on=dt.date(2023, 5, 11), answered_on=dt.date(2023, 5, 12))
    CnilCaseFactory(received_on=dt.date(2023, 12, 28), due_on=dt.date(2024, 1, 8))  # open, not yet due
    CnilCaseFactory(kind=CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL, received_on=dt.date(2023, 7, 1))
    assert selectors.cnil_referrals_received(2023).value == 3
    assert selectors.cnil_complaints_without_referral(2023).value == 1
    rate = selectors.cnil_referrals_on_time_rate(2023, today=dt.date(2024, 1, 5))
    assert (rate.numerator, rate.denominator, rate.value) == (1, 2, Decimal("50.0"))


def test_complaints_answered_in_time_are_judged_against_the_reply_date_a_cnil_letter_set():
    """E2_CNIL_COMPLAINTS_ON_TIME_RATE: the DPEF says both complaints without referral were answered within
    the prescribed 10 days. Only a complaint with a reply date can be judged; referrals are not counted."""
    complaint = CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL
    in_time = CnilCaseFactory(
        kind=complaint, received_on=dt.date(2023, 3, 1), due_on=dt.date(2023, 3, 11), answered_on=dt.date(2023, 3, 11)
    )
    late = CnilCaseFactory(
        kind=complaint, received_on=dt.date(2023, 6, 1), due_on=dt.date(2023, 6, 11), answered_on=dt.date(2023, 6, 12)
    )
    overdue = CnilCaseFactory(kind=complaint, received_on=dt.date(2023, 9, 1), due_on=dt.date(2023, 9, 11))
    CnilCaseFactory(kind=complaint, received_on=dt.date(2023, 12, 28), due_on=dt.date(2024, 1, 8))  # not yet due
    CnilCaseFactory(kind=complaint, received_on=dt.date(2023, 4, 1), answered_on=dt.date(2023, 4, 2))  # no date
    CnilCaseFactory(received_on=dt.date(2023, 2, 1), due_on=dt.date(2023, 2, 11), answered_on=dt.date(2023, 2, 20))
    rate = selectors.cnil_complaints_on_time_rate(2023, today=dt.date(2024, 1, 5))
    assert (rate.numerator, rate.denominator, rate.value) == (1, 3, Decimal("33.3"))
    assert set(rate.record_ids) == {in_time.pk, late.pk, overdue.pk}
    assert selectors.cnil_complaints_without_referral(2023).value == 5


def test_breach_notifications_are_counted_by_the_year_of_the_initial_notification():
    BreachFactory(aware_at=at(2022, 12, 30), notified_at=at(2023, 1, 2, 9))  # 2023, within 72 h? 69 h: yes
    BreachFactory(aware_at=at(2023, 6, 1, 10), notified_at=at(2023, 6, 4, 10, 1), delay_reasons="weekend")  # late
    BreachFactory(aware_at=at(2023, 8, 1))  # not notified
    assert selectors.breach_notifications(2023).value == 2
    rate = selectors.breach_notified_within_72h_rate(2023)
    assert (rate.numerator, rate.denominator) == (1, 2)


def test_register_counts_activities_present_on_31_december_by_role():
    ProcessingActivityFactory(registered_on=dt.date(2023, 12, 31))
    ProcessingActivityFactory(registered_on=dt.date(2020, 1, 1), retired_on=dt.date(2023, 12, 31))  # retired that day
    ProcessingActivityFactory(registered_on=dt.date(2020, 1, 1), retired_on=dt.date(2024, 1, 1))
    ProcessingActivityFactory(registered_on=dt.date(2021, 1, 1), role=ProcessingRole.PROCESSOR)
    ProcessingActivityFactory(registered_on=dt.date(2024, 1, 1))
    assert selectors.processing_activities(2023).value == 3
    assert selectors.processing_activities_as_controller(2023).value == 2
    assert selectors.processing_activities_as_processor(2023).value == 1


def test_a_withdrawal_is_not_an_answer_in_the_mean_days_nor_in_the_on_time_rate():
    from gdpr.choices import Outcome

    RightsRequestFactory(received_at=at(2023, 3, 1), due_on=dt.date(2023, 4, 3), answered_at=at(2023, 3, 11))
    RightsRequestFactory(
        received_at=at(2023, 5, 1), due_on=dt.date(2023, 6, 1), answered_at=at(2023, 11, 17), outcome=Outcome.WITHDRAWN
    )
    mean = selectors.rights_request_mean_days(2023)
    assert (mean.value, mean.numerator, mean.denominator) == (Decimal("10.0"), 10, 1)
    rate = selectors.rights_requests_on_time_rate(2023, today=dt.date(2024, 1, 10))
    assert (rate.numerator, rate.denominator) == (1, 1)


def test_a_refusal_is_due_within_the_first_month_even_after_an_extension():
    from gdpr.services import rights as rights_services

    refused_late = rights_services.rights_request_create(
        actor=None, received_at=at(2023, 3, 6), right="access", requester_name="A"
    )
    answered = rights_services.rights_request_create(
        actor=None, received_at=at(2023, 3, 6), right="access", requester_name="B"
    )
    for request in (refused_late, answered):
        rights_services.rights_request_extend(
            request=request, actor=None, notified_at=at(2023, 3, 20), reason="Complex request"
        )
    # 6 March: first deadline 6 April, extended to 6 June. Both end on 15 May.
    refused_late.refresh_from_db()
    rights_services.rights_request_refuse(
        request=refused_late, actor=None, answered_at=at(2023, 5, 15), ground="excessive", complaint_right_notified=True
    )
    answered.refresh_from_db()
    rights_services.rights_request_answer(
        request=answered, actor=None, answered_at=at(2023, 5, 15), channel="email", outcome="granted"
    )
    figure = selectors.rights_requests_on_time_rate(2023, today=dt.date(2024, 1, 10))
    assert (figure.numerator, figure.denominator) == (1, 2)


def test_requests_received_count_the_open_ones_and_answered_count_only_those_answered_by_the_computation():
    """E2_RIGHTS_REQUESTS is the contract (received in Y); the DPEF's "reçues et traitées" is checked by
    E2_RIGHTS_REQUESTS_ANSWERED: received in Y and answered (a refusal is an answer, a withdrawal is not)
    by the time it is computed."""
    import time_machine

    from gdpr.choices import Outcome

    answered = RightsRequestFactory(received_at=at(2023, 3, 1), answered_at=at(2023, 3, 20))
    refused = RightsRequestFactory(received_at=at(2023, 6, 1), answered_at=at(2023, 6, 15), outcome=Outcome.REFUSED)
    answered_in_january = RightsRequestFactory(received_at=at(2023, 12, 20), answered_at=at(2024, 1, 8))
    RightsRequestFactory(received_at=at(2023, 12, 28))  # still open at 31/12 and now
    RightsRequestFactory(received_at=at(2023, 5, 1), answered_at=at(2023, 5, 9), outcome=Outcome.WITHDRAWN)
    RightsRequestFactory(received_at=at(2022, 12, 1), answered_at=at(2023, 1, 5))  # received in 2022
    assert selectors.rights_requests_received(2023).value == 5
    figure = selectors.rights_requests_answered(2023)
    assert figure.value == 3
    assert set(figure.record_ids) == {answered.pk, refused.pk, answered_in_january.pk}
    # Computed on 5 January 2024, the request answered on 8 January was not answered yet.
    with time_machine.travel(at(2024, 1, 5), tick=False):
        assert selectors.rights_requests_answered(2023).value == 2
