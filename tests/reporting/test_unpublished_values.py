"""An indicator value is shown to a user when its year is frozen (the verified, published figures) or when
the user may view every kind of record it is computed from; otherwise every channel withholds it with the
same neutral mark, whatever the value (security review, finding 4).

The values of a year not yet frozen are counts of records: the number of conflict-of-interest cases so far
this year told the DPO and training managers, who may not view cases, that a case had just been recorded
("5 → 6 +1" on the differences page), on the dashboard ("computed from 5 records"), the API, the value
list, its history, the downloads and the auditor pack. Here each channel is read by the role at 0, 1 and 5
cases (and rights requests, for the training manager) and must answer the same bytes each time (the clock
is stopped, so the timestamps are equal too); once the year is frozen the figures are shown to them; the
auditor and the compliance officer see everything all along.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from core.roles import AUDITOR, COMPLIANCE_OFFICER, DPO, TRAINING_MANAGER, sealed_out
from reporting import registry, services, visibility
from reporting.models import IndicatorValue, ManualValue, ReportingYear
from tests.clients import admin_client
from tests.compliance.factories import CaseFactory, CaseMeasureFactory
from tests.factories import EmployeeFactory, UserFactory
from tests.gdpr.factories import PARIS, RightsRequestFactory

pytestmark = pytest.mark.django_db

YEAR = 2026  # the current year, stored and not frozen
LIVE_YEAR = 2025  # never stored: the exports compute it on the fly, the dashboard says it is not computed
NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=PARIS)
CASE_CODES = ("E1_COI_SUSPICIONS", "E1_COI_CONFIRMED_REFUSAL_OR_SANCTION", "G1_4_CONFIRMED_INCIDENTS")
REQUESTS = "E2_RIGHTS_REQUESTS"
RESTRICTED = (TRAINING_MANAGER, DPO)
DOWNLOAD = "/admin/reporting/reportingyear/download/"
VALUES = "/admin/reporting/indicatorvalue/"
YEARS = "/admin/reporting/reportingyear/"


@pytest.fixture
def clock(english_messages):
    """The clock stopped: every computation, page and download carries the same time (and the method texts
    are stored in the language of the pages, English: a method text changed would be a difference)."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def officer_user(roles):
    return UserFactory(groups=[COMPLIANCE_OFFICER])


def add_records(count: int, *, requests: bool) -> None:
    """`count` confirmed and sanctioned cases (and rights requests) in YEAR and in LIVE_YEAR each."""
    for year in (YEAR, LIVE_YEAR):
        for _ in range(count):
            case = CaseFactory(
                reported_on=dt.date(year, 3, 3), qualification="confirmed", qualified_on=dt.date(year, 3, 20)
            )
            CaseMeasureFactory(case=case, kind="sanction")
            if requests:
                RightsRequestFactory(received_at=dt.datetime(year, 2, 10, 10, tzinfo=PARIS))


def browser(role: str) -> Client:
    return admin_client(role, language="en")


def _normalised(content: bytes) -> bytes:
    # The CSRF token is masked anew on each page: it says nothing about the records.
    return re.sub(rb'(name="csrfmiddlewaretoken" value=")[^"]+', rb"\1", content)


def _unpacked(content: bytes) -> dict[str, object]:
    """A ZIP (an XLSX, the auditor pack) file by file. openpyxl stamps a workbook's sheets with the time of
    the file system, which the stopped clock does not reach: the XLSX files are compared entry by entry, and
    their checksums in the pack's manifests are left out (a timestamp, not a figure)."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        raw = {name: archive.read(name) for name in archive.namelist()}
    files: dict[str, object] = dict(raw)
    for name, data in raw.items():
        if name.endswith(".xlsx"):
            files[name] = _unpacked(data)
    if "manifest.json" in raw:
        manifest = json.loads(raw["manifest.json"])
        for entry in manifest["files"]:
            if entry["path"].endswith(".xlsx"):
                entry.pop("sha256")
        files["manifest.json"] = manifest
    if "manifest.sha256" in raw:
        files["manifest.sha256"] = [
            line
            for line in raw["manifest.sha256"].decode().splitlines()
            if not line.endswith((".xlsx", "manifest.json"))
        ]
    return files


def differences_page(client: Client) -> tuple[int, bytes]:
    year = ReportingYear.objects.get(year=YEAR)
    response = client.get(f"{YEARS}{year.pk}/differences/")
    return response.status_code, _normalised(response.content)


def channels(client: Client) -> dict[str, tuple[int, object]]:
    """Every place a reporting user reads an indicator value, as that client gets it."""
    year = ReportingYear.objects.get(year=YEAR)
    values = dict(IndicatorValue.objects.filter(reporting_year=year).values_list("code", "pk"))
    urls = {
        "dashboard": f"{YEARS}dashboard/?year={YEAR}",
        "dashboard of the year after (N-1 open)": f"{YEARS}dashboard/?year={YEAR + 1}",
        "dashboard of a year never stored": f"{YEARS}dashboard/?year={LIVE_YEAR}",
        "api": f"/api/reporting/indicators/?year={YEAR}",
        "api, year never stored": f"/api/reporting/indicators/?year={LIVE_YEAR}",
        "value list": f"{VALUES}?year={YEAR}",
        "value list sorted by value": f"{VALUES}?year={YEAR}&o=4",
        "value list sorted by value, descending": f"{VALUES}?year={YEAR}&o=-4",
        "value list sorted by status": f"{VALUES}?year={YEAR}&o=6",
        "value list of the no-data values": f"{VALUES}?year={YEAR}&status=no_data",
        "value list with its filters' counts": f"{VALUES}?year={YEAR}&_facets=True",
        "year list with its filters' counts": f"{YEARS}?_facets=True",
        "value list of the computed values": f"{VALUES}?year={YEAR}&status=ok",
        "value list filtered by value": f"{VALUES}?value__gte=1",
        "value list filtered by records": f"{VALUES}?records_count__gt=0",
        "value list filtered through its year": f"{VALUES}?reporting_year__values__value__gte=1",
        "value list filtered by status": f"{VALUES}?status__exact=ok",
        "value list filtered by numerator": f"{VALUES}?numerator__isnull=True",
        "year list": YEARS,
        "year list sorted by the no-data count": f"{YEARS}?o=5",
        "year list filtered by a value's status": f"{YEARS}?values__status=no_data&values__code=E1_COI_SUSPICIONS",
        "year page": f"{YEARS}{year.pk}/change/",
        # (The year's history lists its computations and freezings: one more at each computation, whatever
        # the records; it holds no value.)
        **{f"download {fmt}": f"{DOWNLOAD}?year={YEAR}&format={fmt}" for fmt in ("json", "csv", "xlsx", "zip")},
        **{
            f"download {fmt}, year never stored": f"{DOWNLOAD}?year={LIVE_YEAR}&format={fmt}"
            for fmt in ("json", "csv", "xlsx", "zip")
        },
    }
    for code in (*CASE_CODES, REQUESTS):
        urls[f"{code} page"] = f"{VALUES}{values[code]}/change/"
        urls[f"{code} history"] = f"{VALUES}{values[code]}/history/"
        urls[f"{code} records"] = f"{VALUES}{values[code]}/records.csv"
    seen: dict[str, tuple[int, object]] = {}
    for name, url in urls.items():
        response = client.get(url, follow=True)
        zipped = response.status_code == 200 and name.startswith(("download xlsx", "download zip"))
        seen[name] = (response.status_code, _unpacked(response.content) if zipped else _normalised(response.content))
    # A past version of the value: its id differs from one state to the next, its answer must not.
    for code in CASE_CODES:
        value = IndicatorValue.objects.get(pk=values[code])
        version = value.history.order_by("-history_id").first().history_id
        response = client.get(f"{VALUES}{value.pk}/history/{version}/")
        seen[f"{code} latest version"] = (response.status_code, _normalised(response.content))
    return seen


def api_item(client: Client, year: int, code: str) -> dict:
    data = client.get(f"/api/reporting/indicators/?year={year}").json()
    return next(item for item in data["indicators"] + data["esrs"] if item["code"] == code)


def dashboard_row(client: Client, code: str, year: int = YEAR) -> str:
    page = client.get(f"{YEARS}dashboard/?year={year}").content.decode()
    row = page[page.index(f'id="indicator-{code}"') :]
    return row[: row.index("</tr>")]


def dashboard_value(client: Client, code: str, year: int = YEAR) -> str:
    """The text of the year's value cell (its link, its parts) in the dashboard's row of `code`."""
    cell = dashboard_row(client, code, year).split('<td class="num value">', 1)[1].split("</td>", 1)[0]
    return re.sub(r"<[^>]+>", " ", cell).strip()


@pytest.mark.parametrize("role", RESTRICTED)
def test_no_channel_tells_a_role_the_values_of_records_it_may_not_view_before_the_year_is_frozen(roles, clock, role):
    client = browser(role)
    requests = role == TRAINING_MANAGER
    services.year_compute(YEAR)
    states = []
    for added in (0, 1, 4):  # 0, then 1, then 5 cases (and requests)
        add_records(added, requests=requests)
        differences = differences_page(client)  # stored values beside a computation now
        services.year_compute(YEAR)
        states.append({"differences": differences, **channels(client)})
    assert {name: status for name, (status, _body) in states[0].items() if status not in (200, 400, 403, 404)} == {}
    assert [name for name in states[0] if not states[0][name] == states[1][name] == states[2][name]] == []
    # The values are there, for who may see them: the three states did differ.
    auditor = browser(AUDITOR)
    assert api_item(auditor, YEAR, "E1_COI_SUSPICIONS")["value"] == 5
    for code in CASE_CODES + ((REQUESTS,) if requests else ()):
        for year in (YEAR, LIVE_YEAR):
            item = api_item(client, year, code)
            assert item["status"] == "withheld", (code, year)
            assert item["value"] is item["numerator"] is item["denominator"] is item["previous_value"] is None
    assert dashboard_value(client, "E1_COI_SUSPICIONS") == "–"
    assert dashboard_value(auditor, "E1_COI_SUSPICIONS") == "5"


@pytest.mark.parametrize("role", RESTRICTED)
def test_once_the_year_is_frozen_its_figures_are_shown_to_every_role(roles, clock, officer_user, role):
    add_records(5, requests=True)
    services.year_compute(YEAR)
    services.year_freeze(YEAR, officer_user)
    client = browser(role)
    item = api_item(client, YEAR, "E1_COI_SUSPICIONS")
    assert (item["value"], item["status"]) == (5, "computed")
    assert api_item(client, YEAR + 1, "E1_COI_SUSPICIONS")["previous_value"] == 5  # the frozen year as N-1
    assert api_item(client, LIVE_YEAR, "E1_COI_SUSPICIONS")["status"] == "withheld"  # never frozen
    downloaded = json.loads(client.get(f"{DOWNLOAD}?year={YEAR}&format=json").content)
    assert next(item for item in downloaded["indicators"] if item["code"] == "E1_COI_SUSPICIONS")["value"] == 5
    assert dashboard_value(client, "E1_COI_SUSPICIONS") == "5"
    row = dashboard_row(client, "E1_COI_SUSPICIONS")
    # The published figure, not how many records it stands on (the value's page does not say it either).
    assert "computed from 5 records" not in row and "computed from the records" in row
    value = IndicatorValue.objects.get(reporting_year__year=YEAR, code="E1_COI_SUSPICIONS")
    assert ">5<" in client.get(f"{VALUES}{value.pk}/change/").content.decode()
    listing = client.get(f"{VALUES}?year={YEAR}&q=E1_COI_SUSPICIONS").content.decode()
    assert ">5<" in listing
    # A recomputation now is not a published figure: a case recorded after the freeze is not told.
    add_records(1, requests=True)
    differences = differences_page(client)[1].decode()
    assert 'id="difference-E1_COI_SUSPICIONS"' not in differences
    assert 'id="difference-E1_COI_SUSPICIONS"' in differences_page(browser(AUDITOR))[1].decode()


@pytest.mark.parametrize(
    "role, sees_cases, sees_requests",
    [
        (TRAINING_MANAGER, False, False),
        (DPO, False, True),
        (AUDITOR, True, True),
        (COMPLIANCE_OFFICER, True, True),
        ("superuser", True, True),
    ],
)
def test_who_reads_the_values_of_an_open_year(roles, clock, role, sees_cases, sees_requests):
    """Superusers, auditors and compliance officers may view every kind of record: they read every value, with
    its record count, history and differences; the others read those of their own records and the manual
    values (entered by a person, from no record)."""
    user = UserFactory(is_superuser=True) if role == "superuser" else UserFactory(groups=[role])
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    add_records(5, requests=True)
    ManualValue.objects.create(
        year=YEAR,
        code="E6_COMPLAINTS_RECEIVED",
        value=Decimal(12),
        owner="Customer relations",
        source_reference="Complaints report, p. 3",
    )
    services.year_compute(YEAR)
    add_records(1, requests=True)
    assert api_item(client, YEAR, "E6_COMPLAINTS_RECEIVED")["value"] == 12
    for code, sees in (("E1_COI_SUSPICIONS", sees_cases), (REQUESTS, sees_requests)):
        # The API computes from the records (the year is not frozen); the dashboard shows the stored figure.
        item = api_item(client, YEAR, code)
        assert (item["value"], item["status"]) == ((6, "computed") if sees else (None, "withheld")), code
        assert api_item(client, LIVE_YEAR, code)["value"] == (6 if sees else None), code
        assert api_item(client, YEAR + 1, code)["previous_value"] == (6 if sees else None), code
        assert ("computed from 5 records" in dashboard_row(client, code)) is sees, code
        value = IndicatorValue.objects.get(reporting_year__year=YEAR, code=code)
        assert (">5<" in client.get(f"{VALUES}{value.pk}/change/").content.decode()) is sees, code
        history = client.get(f"{VALUES}{value.pk}/history/").context["page_obj"].paginator.count
        assert history == (1 if sees else 0), code
        differences = differences_page(client)[1].decode()
        assert (f'id="difference-{code}"' in differences) is sees, code
        if sees:
            row = differences[differences.index(f'id="difference-{code}"') :]
            assert ">5<" in row and ">6<" in row
    hidden = [code for code in registry.computations() if not visibility.Reader.of(user).reads(code)]
    # Filtering by value needs every value readable; the indicators of a sealed app (AML/CFT) are unreadable to
    # every role here, so nobody filters an open year's values by value.
    assert (client.get(f"{VALUES}?value__gte=1", follow=True).status_code == 200) is (not hidden)
    # The year's list counts the states of the values shown, and the others apart, all alike.
    year = client.get(YEARS).context["cl"].result_list[0]
    sealed = {
        code
        for code, computation in registry.computations().items()
        if any(sealed_out(user, label) for label in computation.models)
    }
    assert sealed <= set(hidden)
    assert bool(set(hidden) - sealed) is not (sees_cases and sees_requests)
    assert year.withheld_values == len(hidden)
    states = year.ok_values + year.no_data_values + year.error_values + year.withheld_values
    assert states == len(registry.computations())


def test_the_api_schema_documents_the_withheld_values(roles):
    client = browser(AUDITOR)
    schema = client.get("/api/schema/?format=json").json()
    indicator = schema["components"]["schemas"]["ExportedIndicator"]
    status = indicator["properties"]["status"]
    status = status["allOf"][0] if "allOf" in status else status  # a $ref beside the field's title
    if "$ref" in status:
        status = schema["components"]["schemas"][status["$ref"].rsplit("/", 1)[1]]
    assert "withheld" in status["enum"]
    assert "frozen" in indicator["properties"]["value"]["description"]


@pytest.mark.parametrize("role", RESTRICTED)
def test_a_frozen_year_publishes_its_figures_not_the_records_behind_them(roles, clock, officer_user, role):
    """The DPEF publishes a figure, not the records it is counted from: once the year is frozen, a role that may
    not view every kind of record behind a value reads the value, and no more than before of its records (the
    auditor pack already left them out; a value's page listed the kinds of record behind it and gave the ids
    of those of them the role may view, employees behind a training rate for the DPO)."""
    add_records(2, requests=True)
    for _ in range(3):
        EmployeeFactory(hired_on=dt.date(YEAR - 3, 1, 1))
    services.year_compute(YEAR)
    services.year_freeze(YEAR, officer_user)
    user = UserFactory(groups=[role])
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    reader = visibility.Reader.of(user)
    withheld = [
        value
        for value in IndicatorValue.objects.filter(reporting_year__year=YEAR)
        if not reader.reads(value.code) and any(entry["ids"] for entry in value.records)
    ]
    assert withheld
    # Among them, records of a kind the role may view (employees): the per-model rule alone let them through.
    assert role != DPO or any(
        entry["model"] == "organization.employee" and entry["ids"] for value in withheld for entry in value.records
    )
    for value in withheld:
        page = client.get(f"{VALUES}{value.pk}/change/").content.decode()
        assert 'id="records-withheld"' in page and 'class="records-model"' not in page, value.code
        csv_lines = client.get(f"{VALUES}{value.pk}/records.csv").content.decode("utf-8-sig").splitlines()
        assert csv_lines == ["model;id"], value.code
    # Who may view them still gets them.
    auditor = browser(AUDITOR)
    value = withheld[0]
    assert 'class="records-model"' in auditor.get(f"{VALUES}{value.pk}/change/").content.decode()
    assert len(auditor.get(f"{VALUES}{value.pk}/records.csv").content.decode("utf-8-sig").splitlines()) > 1


def test_recomputing_a_year_tells_its_operator_nothing_of_the_values_it_may_not_read(roles, clock):
    """ "3 changed" after a recomputation told who computes the year that records changed: the messages count and
    list only the values the operator may read (a permission given one by one: the operators' role reads all)."""
    from django.contrib.auth.models import Group
    from django.urls import reverse

    user = UserFactory()
    user.user_permissions.set(
        Group.objects.get(name=COMPLIANCE_OFFICER).permissions.exclude(content_type__app_label="gdpr")
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    services.year_compute(YEAR)
    url = reverse("admin:reporting_reportingyear_compute", args=[ReportingYear.objects.get(year=YEAR).pk])
    said = []
    for added in (0, 1):
        for _ in range(added):
            RightsRequestFactory(received_at=dt.datetime(YEAR, 2, 10, 10, tzinfo=PARIS))
        response = client.post(url, follow=True)
        assert response.status_code == 200
        said.append([str(message) for message in response.context["messages"]])
    assert any(f"{YEAR} computed" in message for message in said[0]), said[0]
    assert said[0] == said[1]
    # The request did change a value, which an operator who reads it is told.
    RightsRequestFactory(received_at=dt.datetime(YEAR, 2, 11, 10, tzinfo=PARIS))
    officer = Client(HTTP_ACCEPT_LANGUAGE="en")
    officer.force_login(UserFactory(groups=[COMPLIANCE_OFFICER]))
    messages = [str(message) for message in officer.post(url, follow=True).context["messages"]]
    computed = next(message for message in messages if f"{YEAR} computed" in message)
    assert ", 0 changed," not in computed, computed
