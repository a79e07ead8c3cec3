"""Admin of the Art. 30 register: the DPO's list, filters, the form through the services, the actions
(retire with its intermediate form, mark reviewed, export) and the register export at a date."""

from __future__ import annotations

import datetime as dt
import re
from functools import partial
from io import BytesIO
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from gdpr.choices import ProcessingRole
from gdpr.exports.register import CONTENT_TYPE, OVERVIEW_TITLE
from gdpr.models import ProcessingActivity
from tests.clients import admin_client, messages_of as texts
from tests.gdpr.factories import ProcessingActivityFactory

PARIS = ZoneInfo("Europe/Paris")
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english_messages", "roles"),
    pytest.mark.time_machine(dt.datetime(2025, 3, 5, 10, 0, tzinfo=PARIS), tick=False),
]
TODAY = dt.date(2025, 3, 5)
CHANGELIST = reverse("admin:gdpr_processingactivity_changelist")
EXPORT = reverse("admin:gdpr_processingactivity_export")
client_for = partial(admin_client, language="en")


@pytest.fixture
def dpo_client():
    return client_for("DPO")


def test_the_dpo_changelist_shows_the_register_in_a_fixed_number_of_queries(dpo_client, django_assert_max_num_queries):
    for n in range(30):
        ProcessingActivityFactory(
            reference=f"PA-{n:03d}",
            last_reviewed_on=dt.date(2023, 1, 1) if n % 2 else None,
            dpia_required=n % 3 == 0,
            retired_on=dt.date(2024, 1, 1) if n % 5 == 0 else None,
        )
    # 8: the filter by legal entity lists the entities (one query, whatever the number of activities).
    with django_assert_max_num_queries(
        9
    ):  # +1: the user's groups, read once a request by the seal (core.roles.sealed_out)
        response = dpo_client.get(CHANGELIST)
    assert response.status_code == 200
    content = response.content.decode()
    assert "PA-029" in content
    assert "required, not done" in content
    assert "overdue by" in content
    assert "Export the register (XLSX)" in content


def test_the_status_column_tells_active_from_retired(dpo_client):
    ProcessingActivityFactory(reference="PA-ACTIVE")
    ProcessingActivityFactory(reference="PA-OLD", retired_on=dt.date(2024, 6, 30))
    content = dpo_client.get(CHANGELIST).content.decode()
    assert ">active<" in content
    assert "retired 30/06/2024" in content


def test_a_review_within_30_days_or_overdue_gets_a_badge_a_recent_one_does_not(dpo_client):
    ProcessingActivityFactory(reference="PA-OVERDUE", last_reviewed_on=dt.date(2024, 3, 1))
    ProcessingActivityFactory(reference="PA-SOON", last_reviewed_on=dt.date(2024, 3, 10))
    ProcessingActivityFactory(reference="PA-FRESH", last_reviewed_on=dt.date(2025, 1, 10))
    content = dpo_client.get(CHANGELIST).content.decode()
    assert "01/03/2024</span><br><span" in content and "overdue by 4 days" in content  # the badge under the date
    assert "10/03/2024</span><br><span" in content and "5 days left" in content
    assert "10/01/2025</td>" in content


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=active", ["PA-ACTIVE", "PA-PROC", "PA-STALE"]),
        ("status=retired", ["PA-RETIRED"]),
        ("role__exact=processor", ["PA-PROC"]),
        ("sensitive_data__exact=1", ["PA-ACTIVE"]),
        ("transfers_outside_eu__exact=1", ["PA-PROC"]),
        ("dpia=missing", ["PA-STALE"]),
        ("review=overdue", ["PA-STALE"]),
        ("q=salaires", ["PA-ACTIVE"]),
    ],
)
def test_filters_and_search(dpo_client, query, expected):
    ProcessingActivityFactory(
        reference="PA-ACTIVE", sensitive_data=True, purposes="Verser les salaires", last_reviewed_on=dt.date(2025, 1, 1)
    )
    ProcessingActivityFactory(
        reference="PA-PROC",
        role=ProcessingRole.PROCESSOR,
        controllers_served="X",
        transfers_outside_eu=True,
        transfer_safeguards="CCT",
        last_reviewed_on=dt.date(2025, 1, 1),
    )
    ProcessingActivityFactory(reference="PA-STALE", dpia_required=True, registered_on=dt.date(2022, 1, 1))
    ProcessingActivityFactory(
        reference="PA-RETIRED", retired_on=dt.date(2024, 1, 1), last_reviewed_on=dt.date(2023, 1, 1)
    )
    response = dpo_client.get(f"{CHANGELIST}?{query}")
    assert response.status_code == 200
    assert sorted(a.reference for a in response.context["cl"].result_list) == expected


def test_adding_an_activity_goes_through_the_service_with_the_user_in_history(dpo_client):
    response = dpo_client.post(
        reverse("admin:gdpr_processingactivity_add"),
        {
            "reference": "PA-NEW",
            "name": "Vidéoprotection",
            "role": "controller",
            "purposes": "Sécurité des locaux",
            "registered_on": "2025-03-01",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    activity = ProcessingActivity.objects.get(reference="PA-NEW")
    assert activity.registered_on == dt.date(2025, 3, 1)
    assert activity.history.get().history_change_reason == "Entered the register"
    assert activity.history.get().history_user.groups.filter(name="DPO").exists()


def test_the_form_shows_the_service_rules_on_their_fields(dpo_client):
    activity = ProcessingActivityFactory(reference="PA-1")
    response = dpo_client.post(
        reverse("admin:gdpr_processingactivity_change", args=[activity.pk]),
        {
            "reference": "PA-1",
            "name": "CRM",
            "role": "processor",
            "transfers_outside_eu": "on",
            "registered_on": "2020-01-01",
            "dpia_done_on": "2025-04-01",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["controllers_served"] == ["A processor record must name the controllers it acts for (Art. 30(2)(a))."]
    assert "transfer_safeguards" in errors and errors["dpia_done_on"] == ["A DPIA cannot be done in the future."]
    assert ProcessingActivity.objects.get().role == ProcessingRole.CONTROLLER


def test_moving_the_entry_date_after_the_retirement_is_an_error_on_the_form_not_a_crash(dpo_client):
    activity = ProcessingActivityFactory(reference="PA-1", retired_on=dt.date(2022, 1, 1))
    response = dpo_client.post(
        reverse("admin:gdpr_processingactivity_change", args=[activity.pk]),
        {
            "reference": "PA-1",
            "name": "CRM",
            "role": "controller",
            "registered_on": "2023-01-01",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["registered_on"] == [
        "The activity was retired on 01/01/2022: it cannot have entered the register after that."
    ]


def test_an_edit_writes_a_history_row_naming_the_changed_fields(dpo_client):
    activity = ProcessingActivityFactory(reference="PA-1", name="CRM", registered_on=dt.date(2020, 1, 1))
    response = dpo_client.post(
        reverse("admin:gdpr_processingactivity_change", args=[activity.pk]),
        {
            "reference": "PA-1",
            "name": "CRM",
            "role": "controller",
            "registered_on": "2020-01-01",
            "purposes": activity.purposes,
            "legal_basis": activity.legal_basis,
            "retention": "3 ans",
        },
    )
    assert response.status_code == 302
    assert activity.history.latest().history_change_reason == "Updated: retention"


def test_retire_action_asks_for_a_date_and_a_reason_first(dpo_client):
    activity = ProcessingActivityFactory(reference="PA-1")
    response = dpo_client.post(CHANGELIST, {"action": "retire_selected", ACTION_CHECKBOX_NAME: [activity.pk]})
    assert response.status_code == 200
    assert "admin/gdpr/processingactivity/retire.html" in [t.name for t in response.templates]
    assert response.context["form"].initial["retired_on"] == TODAY
    assert ProcessingActivity.objects.get().retired_on is None


def test_retire_action_retires_through_the_service_and_reports_refusals(dpo_client):
    ok = ProcessingActivityFactory(reference="PA-1", registered_on=dt.date(2020, 1, 1))
    too_early = ProcessingActivityFactory(reference="PA-2", registered_on=dt.date(2025, 3, 3))
    response = dpo_client.post(
        CHANGELIST,
        {
            "action": "retire_selected",
            ACTION_CHECKBOX_NAME: [ok.pk, too_early.pk],
            "apply": "1",
            "retired_on": "2025-03-01",
            "reason": "Application decommissioned",
        },
    )
    assert response.status_code == 302
    ok.refresh_from_db()
    too_early.refresh_from_db()
    assert (ok.retired_on, ok.retired_reason) == (dt.date(2025, 3, 1), "Application decommissioned")
    assert too_early.retired_on is None
    assert texts(response) == [
        "PA-2 cannot be retired before it entered the register (03/03/2025).",
        "1 activity retired from the register.",
    ]
    assert ok.history.latest().history_change_reason == "Retired on 01/03/2025: Application decommissioned"


def test_retire_action_without_a_reason_shows_the_form_again(dpo_client):
    activity = ProcessingActivityFactory(reference="PA-1")
    response = dpo_client.post(
        CHANGELIST,
        {
            "action": "retire_selected",
            ACTION_CHECKBOX_NAME: [activity.pk],
            "apply": "1",
            "retired_on": "2025-03-01",
            "reason": "",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["reason"] == ["This field is required."]
    assert ProcessingActivity.objects.get().retired_on is None


def test_mark_reviewed_today_action(dpo_client):
    stale = ProcessingActivityFactory(reference="PA-1", last_reviewed_on=dt.date(2023, 1, 1))
    retired = ProcessingActivityFactory(reference="PA-2", retired_on=dt.date(2024, 1, 1))
    response = dpo_client.post(
        CHANGELIST, {"action": "mark_reviewed_today", ACTION_CHECKBOX_NAME: [stale.pk, retired.pk]}
    )
    assert response.status_code == 302
    stale.refresh_from_db()
    assert stale.last_reviewed_on == TODAY
    assert texts(response) == [
        "PA-2 was retired on 01/01/2024: a retired activity is not reviewed.",
        "1 activity marked reviewed today.",
    ]


def test_export_selected_action_downloads_those_activities(dpo_client):
    chosen = ProcessingActivityFactory(reference="PA-1")
    ProcessingActivityFactory(reference="PA-2")
    response = dpo_client.post(CHANGELIST, {"action": "export_selected_xlsx", ACTION_CHECKBOX_NAME: [chosen.pk]})
    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPE
    assert "registre-traitements-extrait-2025-03-05.xlsx" in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(BytesIO(response.content))
    assert [row[0] for row in workbook[OVERVIEW_TITLE].iter_rows(min_row=2, values_only=True)] == ["PA-1"]


def test_the_register_export_at_a_date(dpo_client):
    ProcessingActivityFactory(reference="PA-1", registered_on=dt.date(2022, 1, 1))
    ProcessingActivityFactory(reference="PA-2", registered_on=dt.date(2024, 1, 1))
    response = dpo_client.get(EXPORT, {"date": "2023-12-31"})
    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPE
    assert 'filename="registre-traitements-2023-12-31.xlsx"' in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(BytesIO(response.content))
    assert [row[0] for row in workbook[OVERVIEW_TITLE].iter_rows(min_row=2, values_only=True)] == ["PA-1"]


def test_the_register_export_defaults_to_today(dpo_client):
    ProcessingActivityFactory(reference="PA-1")
    response = dpo_client.get(EXPORT)
    assert 'filename="registre-traitements-2025-03-05.xlsx"' in response["Content-Disposition"]


@pytest.mark.parametrize("value", ["31/12/2023", "2023-02-30", "soon"])
def test_the_register_export_refuses_a_bad_date_with_a_message(dpo_client, value):
    response = dpo_client.get(EXPORT, {"date": value})
    assert response.status_code == 302
    assert texts(response) == [f"'{value}' is not a date (expected YYYY-MM-DD)."]


def test_a_compliance_officer_can_export_but_not_retire():
    officer = client_for("Compliance officer")
    activity = ProcessingActivityFactory(reference="PA-1")
    assert officer.get(EXPORT).status_code == 200
    response = officer.get(CHANGELIST)
    assert response.status_code == 200
    actions = [name for name, _label in response.context["action_form"].fields["action"].choices]
    assert "export_selected_xlsx" in actions and "retire_selected" not in actions
    officer.post(
        CHANGELIST,
        {
            "action": "retire_selected",
            ACTION_CHECKBOX_NAME: [activity.pk],
            "apply": "1",
            "retired_on": "2025-03-01",
            "reason": "x",
        },
    )
    assert ProcessingActivity.objects.get().retired_on is None


def test_a_user_without_gdpr_permission_cannot_export():
    client = admin_client("Training manager")
    assert client.get(EXPORT).status_code == 403


def test_entries_are_retired_never_deleted(dpo_client):
    activity = ProcessingActivityFactory()
    assert dpo_client.get(reverse("admin:gdpr_processingactivity_delete", args=[activity.pk])).status_code == 403


def test_the_change_page_shows_the_fiche_sections_status_and_next_review(dpo_client):
    activity = ProcessingActivityFactory(
        reference="PA-1",
        last_reviewed_on=dt.date(2024, 3, 1),
        retired_on=dt.date(2025, 6, 30),
        retired_reason="Migration",
    )
    response = dpo_client.get(reverse("admin:gdpr_processingactivity_change", args=[activity.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    for section in (
        "Controller",
        "Purposes &amp; legal basis",
        "People &amp; data",
        "Recipients &amp; transfers",
        "Retention &amp; security",
        "Processor",
        "DPIA &amp; review",
    ):
        assert re.search(rf">\s*{re.escape(section)}\s*<", content), section  # a section heading
    assert "active, retiring 30/06/2025" in content
    assert "01/03/2025" in content and "overdue by 4 days" in content
    assert "Migration" in content


def test_the_add_page_proposes_today_as_the_entry_date(dpo_client):
    response = dpo_client.get(reverse("admin:gdpr_processingactivity_add"))
    assert response.status_code == 200
    assert response.context["adminform"].form["registered_on"].value() == TODAY


def test_the_history_page_lists_the_changes(dpo_client):
    activity = ProcessingActivityFactory(reference="PA-1")
    response = dpo_client.get(reverse("admin:gdpr_processingactivity_history", args=[activity.pk]))
    assert response.status_code == 200
