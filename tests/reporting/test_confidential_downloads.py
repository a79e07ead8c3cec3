"""Every download of the reporting admin holds only what its requester may view (issue 14, item 2).

The auditor pack gave a training manager 344 rights requests and a sanctioned conflict-of-interest case
(then under G1_4_DISCIPLINARY_ACTIONS; since G1-4 counts corruption incidents, the case is behind
E1_COI_CONFIRMED_REFUSAL_OR_SANCTION),
and the DPO the cases; a value's records.csv gave the case ids. Now the pack's records of an indicator are
left out, without their count, when its requester may not view every kind of record they come from; the
published figures (the indicators export of a frozen year) stay; the value pages and their CSV show only the
ids of records the reader may view.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from core.roles import AUDITOR, COMPLIANCE_OFFICER, DPO, TRAINING_MANAGER, sealed_out
from reporting import registry, services
from reporting.models import IndicatorValue
from tests.compliance.factories import CaseFactory, CaseMeasureFactory
from tests.factories import EmployeeFactory, UserFactory
from tests.gdpr.factories import PARIS, RightsRequestFactory
from tests.training.factories import CompletionFactory, paris

pytestmark = pytest.mark.django_db

YEAR = 2023
CASE_REFERENCE = "COI-SECRET-0001"
REQUEST_REFERENCE = "DSR-SECRET-00001"
#: what each role may not find in its downloads
HIDDEN = {
    TRAINING_MANAGER: ("compliance.conflictofinterestcase", CASE_REFERENCE, "gdpr.rightsrequest", REQUEST_REFERENCE),
    DPO: ("compliance.conflictofinterestcase", CASE_REFERENCE, "training.completion"),
    COMPLIANCE_OFFICER: (),
    AUDITOR: (),
}


@pytest.fixture
def year_data(roles):
    case = CaseFactory(
        reference=CASE_REFERENCE,
        reported_on=dt.date(YEAR, 4, 4),
        qualification="confirmed",
        qualified_on=dt.date(YEAR, 4, 20),
    )
    CaseMeasureFactory(case=case, kind="sanction")
    RightsRequestFactory(reference=REQUEST_REFERENCE, received_at=dt.datetime(YEAR, 3, 5, 10, tzinfo=PARIS))
    employee = EmployeeFactory(hired_on=dt.date(2020, 1, 1))
    from training.models import Module

    CompletionFactory(
        employee=employee, module=Module.objects.get(code="RGPD"), completed_at=paris(dt.date(YEAR, 6, 1))
    )
    services.year_compute(YEAR, actor=None)
    return case


def browser(role: str) -> Client:
    client = Client()
    client.force_login(UserFactory(groups=[role]))
    return client


def pack_of(client: Client) -> dict[str, str]:
    response = client.get(f"/admin/reporting/reportingyear/download/?year={YEAR}&format=zip")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as pack:
        return {name: pack.read(name).decode("utf-8", errors="replace") for name in pack.namelist()}


@pytest.mark.parametrize("role", [TRAINING_MANAGER, DPO, COMPLIANCE_OFFICER, AUDITOR])
def test_the_auditor_pack_holds_only_the_records_its_requester_may_view(year_data, role):
    client = browser(role)
    files = pack_of(client)
    records = {name: text for name, text in files.items() if name.startswith(("records/", "sample/"))}
    for name, text in records.items():
        for secret in HIDDEN[role]:
            assert secret not in text, (role, name, secret)
    manifest = json.loads(files["manifest.json"])
    withheld = {code for code, item in manifest["indicators"].items() if item.get("withheld")}
    if HIDDEN[role]:
        # Left out, and said so, with no count or fingerprint of what is left out.
        assert {"E1_COI_CONFIRMED_REFUSAL_OR_SANCTION", "E1_COI_SUSPICIONS"} <= withheld
        assert "records/E1_COI_CONFIRMED_REFUSAL_OR_SANCTION.csv" not in files
        for code in withheld:
            assert set(manifest["indicators"][code]) <= {"withheld", "status", "source"}, code
        assert "E1_COI_CONFIRMED_REFUSAL_OR_SANCTION" in files["README.txt"]
        methods = files["methods.md"].split("## E1_COI_CONFIRMED_REFUSAL_OR_SANCTION", 1)[1].split("## ", 1)[0]
        assert "records/E1_COI_CONFIRMED" not in methods
    else:
        # Only the indicators of a sealed app (AML/CFT) are left out of an open year for this role.
        user = get_user_model().objects.get(pk=client.session["_auth_user_id"])
        sealed = {
            code
            for code, computation in registry.computations().items()
            if any(sealed_out(user, label) for label in computation.models)
        }
        assert sealed and withheld == sealed
        assert CASE_REFERENCE in records["records/E1_COI_CONFIRMED_REFUSAL_OR_SANCTION.csv"]
    if role == TRAINING_MANAGER:
        assert "E2_RIGHTS_REQUESTS" in withheld and "records/E2_RIGHTS_REQUESTS.csv" not in files
    if role == DPO:
        assert REQUEST_REFERENCE in records["records/E2_RIGHTS_REQUESTS.csv"]
    # The year is not frozen: its figures are not published yet, and are counts of records the role may not
    # view (reporting/visibility.py, tests/reporting/test_unpublished_values.py); once frozen, they are there
    # for everyone, without their records.
    figures = json.loads(files[f"indicators-{YEAR}.json"])
    suspicions = next(item for item in figures["indicators"] if item["code"] == "E1_COI_SUSPICIONS")
    assert suspicions["value"] == (None if HIDDEN[role] else 1)
    services.year_freeze(YEAR, UserFactory(groups=[COMPLIANCE_OFFICER]))
    files = pack_of(browser(role))
    figures = json.loads(files[f"indicators-{YEAR}.json"])
    assert any(item["code"] == "E1_COI_SUSPICIONS" and item["value"] == 1 for item in figures["indicators"])
    assert ("records/E1_COI_CONFIRMED_REFUSAL_OR_SANCTION.csv" in files) is not HIDDEN[role]


@pytest.mark.parametrize("role", [TRAINING_MANAGER, DPO])
def test_a_value_s_page_and_its_csv_give_no_id_of_records_the_reader_may_not_view(year_data, role):
    value = IndicatorValue.objects.get(reporting_year__year=YEAR, code="E1_COI_CONFIRMED_REFUSAL_OR_SANCTION")
    client = browser(role)
    csv_text = client.get(f"/admin/reporting/indicatorvalue/{value.pk}/records.csv").content.decode()
    assert "compliance.conflictofinterestcase" not in csv_text and f";{year_data.pk}" not in csv_text
    one_model = client.get(
        f"/admin/reporting/indicatorvalue/{value.pk}/records.csv?model=compliance.conflictofinterestcase"
    ).content.decode()
    assert f";{year_data.pk}" not in one_model
    page = client.get(f"/admin/reporting/indicatorvalue/{value.pk}/change/")
    assert value.records_sha256 not in page.content.decode() and f"id__in={year_data.pk}" not in page.content.decode()
    shown_fields = [name for _title, options in page.context["adminform"].fieldsets for name in options["fields"]]
    assert (
        "records_count" not in shown_fields and "records_sha256" not in shown_fields and "value_display" in shown_fields
    )
    listing = client.get("/admin/reporting/indicatorvalue/?q=E1_COI_CONFIRMED_REFUSAL_OR_SANCTION")
    assert "records_link" not in listing.context["cl"].list_display
    officer = browser(AUDITOR)
    assert (
        f"compliance.conflictofinterestcase;{year_data.pk}"
        in officer.get(f"/admin/reporting/indicatorvalue/{value.pk}/records.csv").content.decode()
    )
    assert value.records_sha256 in officer.get(f"/admin/reporting/indicatorvalue/{value.pk}/change/").content.decode()


def test_the_differences_of_a_year_do_not_count_records_the_reader_may_not_view(year_data):
    """A case swapped for another leaves the figure unchanged: "+1 −1 records" would still tell it."""
    from reporting.models import ReportingYear

    year_data.reported_on = dt.date(YEAR - 1, 12, 1)
    year_data.save()
    CaseFactory(reported_on=dt.date(YEAR, 5, 5))
    url = f"/admin/reporting/reportingyear/{ReportingYear.objects.get(year=YEAR).pk}/differences/"
    page = browser(TRAINING_MANAGER).get(url).content.decode()
    assert 'class="added">1<' not in page and 'class="removed">1<' not in page
    assert 'class="added">1<' in browser(AUDITOR).get(url).content.decode()


@pytest.mark.parametrize(
    "role, trends, requests",
    [(TRAINING_MANAGER, True, False), (DPO, False, True), (AUDITOR, True, True), (COMPLIANCE_OFFICER, True, True)],
)
def test_the_dashboard_charts_only_the_records_the_reader_may_view(roles, role, trends, requests):
    """Monthly counts of rights requests (received, late) are not published figures: not for a training
    manager; the completion trends are not the DPO's."""
    RightsRequestFactory(received_at=dt.datetime.now(tz=PARIS) - dt.timedelta(days=40))
    page = browser(role).get("/admin/reporting/reportingyear/dashboard/").content.decode()
    assert ('id="trends-title"' in page) is trends
    assert ('id="requests-table"' in page) is requests
