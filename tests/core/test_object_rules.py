"""Who sees what, across every channel (issue 8, item 1).

A whistleblower's identity is the most sensitive thing Vigie holds (loi Sapin II art. 9). For each role,
this crawls every place a conflict-of-interest case shows up — admin list (with a search for the name),
change page, history, API list and detail, the indicators export and the auditor pack — and checks the
reporter's names appear only for compliance officers. The other rules: the DPO and training managers do
not see the cases at all; compliance officers read GDPR records but cannot change them; auditors read
everything (history and exports included) and change nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.test import Client
from rest_framework.test import APIClient

from reporting.auditor_pack import build_pack
from tests.compliance.factories import CaseFactory
from tests.factories import EmployeeFactory, UserFactory
from tests.gdpr.factories import RightsRequestFactory

pytestmark = pytest.mark.django_db

SECRETS = ("Delacroix-Secret", "Jeanne Lanceuse")
CASES = "/admin/compliance/conflictofinterestcase/"
API_CASES = "/api/compliance/coi-cases/"


@pytest.fixture
def case(roles):
    from compliance.services import cases as services

    whistleblower = EmployeeFactory(last_name="Delacroix-Secret", first_name="Paul")
    case = CaseFactory(
        source="whistleblowing",
        reporter_employee=whistleblower,
        reporter_name="Jeanne Lanceuse",
        reported_on=dt.date(2024, 3, 4),
    )
    # A second version, so that the history has an old and a new value of the reporter.
    services.coi_case_update(actor=None, case=case, reporter_name="Jeanne Lanceuse-Alerte")
    return case


def clients(*groups: str) -> tuple[Client, APIClient]:
    user = UserFactory(groups=list(groups))
    browser, api = Client(), APIClient()
    browser.force_login(user)
    api.force_authenticate(user)
    return browser, api


def pages(browser: Client, api: APIClient, case) -> dict[str, tuple[int, str]]:
    seen = {}
    for name, client, url in [
        ("admin list", browser, CASES),
        ("admin search", browser, f"{CASES}?q=Lanceuse"),
        ("admin change", browser, f"{CASES}{case.pk}/change/"),
        ("admin history", browser, f"{CASES}{case.pk}/history/"),
        ("api list", api, API_CASES),
        ("api detail", api, f"{API_CASES}{case.pk}/"),
        ("export", api, "/api/reporting/indicators/?year=2024"),
    ]:
        response = client.get(url)
        seen[name] = (response.status_code, response.content.decode())
    return seen


def test_the_reporter_is_seen_by_compliance_officers_only(case):
    officer = pages(*clients("Compliance officer"), case)
    assert officer["admin change"][0] == 200
    assert "Jeanne Lanceuse-Alerte" in officer["admin change"][1]
    assert "Delacroix-Secret" in officer["admin change"][1]
    assert "Jeanne Lanceuse" in officer["admin history"][1]  # the old value too
    assert "Jeanne Lanceuse-Alerte" in officer["api detail"][1]

    auditor = pages(*clients("Auditor"), case)
    for name, (status, body) in auditor.items():
        assert status == 200, name
        assert not any(secret in body for secret in SECRETS), name
    # The case is there for the auditor, without its reporter; searching the name finds nothing.
    assert case.reference in auditor["admin list"][1]
    assert case.reference not in auditor["admin search"][1]
    assert case.reference in auditor["api detail"][1]


@pytest.mark.parametrize("group", ["DPO", "Training manager", None])
def test_other_roles_do_not_see_the_cases_at_all(case, group):
    browser, api = clients(*([group] if group else []))
    for name, (status, body) in pages(browser, api, case).items():
        if name == "export":
            continue
        assert status == 403, name
        assert not any(secret in body for secret in SECRETS), name


def test_the_auditor_pack_names_no_reporter(case):
    data = build_pack(2024)
    with zipfile.ZipFile(io.BytesIO(data)) as pack:
        names = pack.namelist()
        assert any(name.startswith("records/") for name in names)
        for name in names:
            text = pack.read(name).decode("utf-8", errors="replace")
            assert not any(secret in text for secret in SECRETS), name


def test_gdpr_records_are_the_dpo_s_and_compliance_officers_only_read_them(roles):
    request = RightsRequestFactory()
    change = f"/admin/gdpr/rightsrequest/{request.pk}/change/"
    dpo, dpo_api = clients("DPO")
    officer, officer_api = clients("Compliance officer")
    trainer, trainer_api = clients("Training manager")
    page = dpo.get(change).content.decode()
    assert 'name="_save"' in page
    page = officer.get(change).content.decode()
    assert officer.get(change).status_code == 200 and 'name="_save"' not in page
    assert officer.get("/admin/gdpr/rightsrequest/add/").status_code == 403
    assert officer_api.get("/api/gdpr/rights-requests/").status_code == 200
    assert officer_api.post("/api/gdpr/rights-requests/", {}, format="json").status_code == 403
    assert dpo_api.post("/api/gdpr/rights-requests/", {}, format="json").status_code == 400  # allowed, then validated
    assert trainer.get(change).status_code == 403
    assert trainer_api.get("/api/gdpr/rights-requests/").status_code == 403


def test_auditors_read_history_and_exports_but_change_nothing(case):
    browser, api = clients("Auditor")
    assert browser.get(f"{CASES}{case.pk}/history/").status_code == 200
    assert browser.get("/admin/gdpr/rightsrequest/").status_code == 200
    assert api.get("/api/reporting/indicators/?year=2024&format=csv").status_code in (200, 404)
    page = browser.get(f"{CASES}{case.pk}/change/").content.decode()
    assert 'name="_save"' not in page and "deletelink" not in page
    assert browser.post(f"{CASES}{case.pk}/change/", {"reporter_name": "x"}).status_code == 403
    assert browser.post(f"{CASES}{case.pk}/delete/", {"post": "yes"}).status_code == 403
    assert api.patch(f"{API_CASES}{case.pk}/", {"description": "x"}, format="json").status_code == 403
    assert api.delete(f"{API_CASES}{case.pk}/").status_code in (403, 405)
    case.refresh_from_db()
    assert case.reporter_name == "Jeanne Lanceuse-Alerte"


# --- side channels (found by the security review) ------------------------------------------------------


def test_nobody_but_an_officer_filters_cases_by_reporter_through_the_url(case):
    auditor, _api = clients("Auditor")
    for query in (
        "reporter_name__istartswith=Jeanne",
        f"reporter_employee={case.reporter_employee_id}",
        "reporter_employee__last_name__startswith=Delacroix",
    ):
        response = auditor.get(f"{CASES}?{query}", follow=True)
        body = response.content.decode()
        # Django refuses the lookup (the list comes back unfiltered with an error flag, or 400): it never
        # answers the question "did this person report this case?".
        assert response.status_code == 400 or "?e=1" in response.redirect_chain[-1][0], query
        assert not any(secret in body for secret in SECRETS)
    officer, _api = clients("Compliance officer")
    assert case.reference in officer.get(f"{CASES}?reporter_name__istartswith=Jeanne").content.decode()


@pytest.mark.parametrize("group", ["DPO", "Training manager"])
def test_employees_cannot_be_filtered_by_the_cases_they_are_concerned_by(case, group):
    concerned = EmployeeFactory(last_name="Concerned-Person")
    case.persons_concerned.add(concerned)
    browser, _api = clients(group)
    for query in ("coi_cases__isnull=False", f"coi_cases={case.pk}"):
        response = browser.get(f"/admin/organization/employee/?{query}", follow=True)
        assert response.status_code == 400 or "?e=1" in response.redirect_chain[-1][0], query


def test_import_runs_and_their_rejected_rows_only_for_who_may_view_the_records(case, tmp_path, settings):
    from django.core.files.base import ContentFile

    from core.models import ImportRun

    settings.MEDIA_ROOT = tmp_path
    run = ImportRun.objects.create(kind="coi_cases", file_name="cases.csv", status="completed_with_rejects")
    run.rejects_file.save("rejects.csv", ContentFile("line;reason\n3;Jeanne Lanceuse saw the bribe\n"))
    for group, sees in (("Compliance officer", True), ("Auditor", True), ("DPO", False), ("Training manager", False)):
        browser, api = clients(group)
        listed = browser.get("/admin/core/importrun/").content.decode()
        assert ("cases.csv" in listed) is sees, group
        assert (browser.get(f"/admin/core/importrun/{run.pk}/rejects/").status_code == 200) is sees, group
        assert (api.get(f"/api/imports/runs/{run.pk}/rejects/").status_code == 200) is sees, group
        assert (run.pk in [item["id"] for item in api.get("/api/imports/runs/").json()["results"]]) is sees, group


def test_alerts_about_cases_are_not_shown_to_the_dpo(case):
    import datetime as dt

    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from notifications.models import Alert

    now = timezone.now()
    alert = Alert.objects.create(
        rule="compliance.coi_case.analysis_overdue",
        threshold="-1",
        content_type=ContentType.objects.get_for_model(case),
        object_id=case.pk,
        object_label=case.reference,
        due_at=now - dt.timedelta(days=2),
        fires_at=now,
        urgency="overdue",
        title=f"{case.reference}: analysis overdue",
    )
    officer, _api = clients("Compliance officer")
    assert case.reference in officer.get("/admin/notifications/alert/").content.decode()
    dpo, _api = clients("DPO")
    assert case.reference not in dpo.get("/admin/notifications/alert/").content.decode()
    assert dpo.get(f"/admin/notifications/alert/{alert.pk}/change/", follow=True).status_code in (200, 404)
    assert case.reference not in dpo.get(f"/admin/notifications/alert/{alert.pk}/change/", follow=True).content.decode()
    dpo.post("/admin/notifications/alert/", {"action": "mark_acknowledged", "_selected_action": [alert.pk]})
    alert.refresh_from_db()
    assert alert.status != "acknowledged"


def test_retention_runs_show_references_only_to_who_may_view_them(case):
    import datetime as dt

    from core.models import RetentionRun

    run = RetentionRun.objects.create(
        reference_day=dt.date(2031, 1, 1),
        dry_run=True,
        status="completed",
        report=[
            {
                "code": "compliance.coi_case_proceedings",
                "label": "cases",
                "model": "compliance.conflictofinterestcase",
                "start": "closure",
                "count": 1,
                "references": ["COI-2020-777"],
                "period": {"years": 6, "months": 0, "days": 0},
                "period_text": "6 years",
                "cutoff": "2025-01-01",
            }
        ],
    )
    url = f"/admin/core/retentionrun/{run.pk}/change/"
    officer, _api = clients("Compliance officer")
    assert "COI-2020-777" in officer.get(url).content.decode()
    dpo, _api = clients("DPO")
    page = dpo.get(url)
    assert page.status_code == 200 and "COI-2020-777" not in page.content.decode()

    # Searching a reference tells the DPO nothing: the search box does not search the report for them.
    def found(client, term):
        return [row.pk for row in client.get(f"/admin/core/retentionrun/?q={term}").context["cl"].result_list]

    assert found(dpo, "COI-2020-777") == found(dpo, "NOTHING-LIKE-IT")
    assert found(officer, "COI-2020-777") == [run.pk] and found(officer, "NOTHING-LIKE-IT") == []


@pytest.mark.parametrize(
    "group, query",
    [
        ("DPO", "training_completions__isnull=False"),  # who has trained: the DPO does not see training records
        ("DPO", "training_attendances__isnull=False"),
        ("Training manager", "coi_cases__isnull=False"),
    ],
)
def test_no_list_is_filtered_through_a_relation_to_records_the_user_may_not_view(case, group, query):
    """Django allows a one-step lookup on any relation (`?reverse_name=…`): the admin site refuses, for every
    registered admin, a lookup that crosses into a model the user may not view (core/admin_site.py)."""
    browser, _api = clients(group)
    response = browser.get(f"/admin/organization/employee/?{query}", follow=True)
    assert response.status_code == 400 or "?e=1" in response.redirect_chain[-1][0], query
    # The refusal is the visibility rule's, not a refusal of every relation: a compliance officer may view
    # those records, and the rule lets the same lookup through for them. (Their page is not asserted here:
    # in one order of the whole PostgreSQL suite Django's own relational-lookup check refused it as well,
    # a stricter answer under investigation, see the notes of issue 14.)
    from core.admin_lookups import hidden_lookup
    from organization.models import Employee

    officer = UserFactory(groups=["Compliance officer"])
    lookup = query.split("=", 1)[0]
    assert not hidden_lookup(officer, Employee, lookup)
    assert hidden_lookup(UserFactory(groups=[group]), Employee, lookup)
