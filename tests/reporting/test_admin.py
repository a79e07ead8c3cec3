"""The reporting admin: the years (compute, differences, freeze, unfreeze, downloads), the indicator values
traced to their records, the manual values, and who may do what (compliance officer vs auditor)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
import types
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from reporting import catalogue, registry, services
from reporting.models import IndicatorValue, ManualValue, ReportingYear, ValueStatus
from tests.clients import admin_client, messages_of
from tests.factories import UserFactory
from tests.gdpr.factories import RightsRequestFactory
from tests.spreadsheet_checks import PAYLOADS, csv_fields, formula_fields

pytestmark = pytest.mark.django_db

OFFICER, AUDITOR = "Compliance officer", "Auditor"
YEAR = 2025
PARIS = timezone.get_default_timezone()


@pytest.fixture
def officer(roles):
    return admin_client(OFFICER, language="en")


@pytest.fixture
def auditor(roles):
    return admin_client(AUDITOR, language="en")


@pytest.fixture
def requests_2025(db):
    """Three rights requests received in 2025: E2_RIGHTS_REQUESTS counts them."""
    return [RightsRequestFactory(received_at=dt.datetime(YEAR, month, 10, 10, tzinfo=PARIS)) for month in (2, 5, 9)]


@pytest.fixture
def computed(requests_2025):
    services.year_compute(YEAR)
    return ReportingYear.objects.get(year=YEAR)


def url(name: str, *args: object) -> str:
    return reverse(f"admin:reporting_{name}", args=args)


def year_url(name: str, year: ReportingYear) -> str:
    return url(f"reportingyear_{name}", year.pk)


# --- pages render, buttons by role -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [OFFICER, AUDITOR, "DPO", "Training manager"])
def test_every_reporting_page_renders_for_the_roles_that_can_view(roles, computed, role):
    client = admin_client(role, language="en")
    value = IndicatorValue.objects.get(reporting_year=computed, code="E2_RIGHTS_REQUESTS")
    ManualValue.objects.create(
        year=YEAR,
        code="E6_COMPLAINTS_RECEIVED",
        value=Decimal(12),
        owner="Customer relations",
        source_reference="Complaints report 2025, p. 3",
    )
    manual = ManualValue.objects.get()
    pages = [
        url("reportingyear_changelist"),
        year_url("change", computed),
        year_url("history", computed),
        year_url("differences", computed),
        url("indicatorvalue_changelist"),
        url("indicatorvalue_change", value.pk),
        url("indicatorvalue_history", value.pk),
        url("manualvalue_changelist"),
        url("manualvalue_change", manual.pk),
        url("manualvalue_history", manual.pk),
        url("dashboard"),
        reverse("admin:app_list", args=["reporting"]),
    ]
    for page in pages:
        assert client.get(page).status_code == 200, page


def test_the_year_page_lists_its_values_with_label_status_and_records(officer, computed):
    body = officer.get(year_url("change", computed)).content.decode()
    value = IndicatorValue.objects.get(reporting_year=computed, code="E2_RIGHTS_REQUESTS")
    assert 'id="value-E2_RIGHTS_REQUESTS"' in body
    row = body[body.index('id="value-E2_RIGHTS_REQUESTS"') :]
    row = row[: row.index("</tr>")]
    assert "Data-subject rights requests received<" in row
    assert f'{url("indicatorvalue_change", value.pk)}#records">3</a>' in row
    assert "computed" in row
    assert body.count('id="value-') == len(registry.computations())


def test_the_year_page_is_in_french_by_default(roles, computed):
    body = admin_client(OFFICER).get(year_url("change", computed)).content.decode()
    assert (
        "Demandes d&#x27;exercice de droits reçues et traitées" in body
        or "Demandes d'exercice de droits reçues et traitées" in body
    )


def test_the_officer_has_the_buttons_and_the_auditor_none(officer, auditor, computed):
    officer_list = officer.get(url("reportingyear_changelist")).content.decode()
    auditor_list = auditor.get(url("reportingyear_changelist")).content.decode()
    assert 'id="compute-year-link"' in officer_list and 'name="action"' in officer_list
    assert 'id="compute-year-link"' not in auditor_list and 'name="action"' not in auditor_list
    assert 'id="download-form"' in auditor_list and 'id="dashboard-link"' in auditor_list

    officer_page = officer.get(year_url("change", computed)).content.decode()
    auditor_page = auditor.get(year_url("change", computed)).content.decode()
    assert 'id="compute-form"' in officer_page and 'id="freeze-link"' in officer_page
    for marker in ('id="compute-form"', 'id="freeze-link"', 'id="unfreeze-link"', 'name="_save"', "deletelink"):
        assert marker not in auditor_page, marker
    # Everyone who can view sees the differences and the downloads.
    assert 'id="differences-link"' in auditor_page and 'id="download-links"' in auditor_page
    # The snapshot itself is read-only, even for the officer.
    assert 'name="_save"' not in officer_page


def test_the_indicator_values_are_read_only_for_everyone(officer, computed):
    value = IndicatorValue.objects.get(reporting_year=computed, code="E2_RIGHTS_REQUESTS")
    assert officer.get(url("indicatorvalue_add")).status_code == 403
    assert officer.post(url("indicatorvalue_change", value.pk), {"code": "X"}).status_code == 403
    assert officer.post(url("indicatorvalue_delete", value.pk), {"post": "yes"}).status_code == 403
    listing = officer.get(url("indicatorvalue_changelist")).content.decode()
    assert f'href="{url("indicatorvalue_add")}"' not in listing and 'name="action"' not in listing
    value.refresh_from_db()
    assert value.code == "E2_RIGHTS_REQUESTS"


def test_the_auditor_cannot_compute_freeze_or_unfreeze(auditor, computed):
    before = ReportingYear.objects.get(pk=computed.pk).computed_at
    for name in ("compute", "freeze", "unfreeze"):
        assert auditor.post(year_url(name, computed), {"reason": "audit"}).status_code == 403, name
        assert auditor.get(year_url(name, computed)).status_code == 403, name
    assert auditor.get(url("reportingyear_add")).status_code == 403
    assert auditor.post(url("reportingyear_add"), {"year": 2024}).status_code == 403
    assert auditor.post(
        url("reportingyear_changelist"), {"action": "compute_selected", "_selected_action": [computed.pk]}
    ).status_code in (200, 302)
    computed.refresh_from_db()
    assert computed.computed_at == before and not computed.frozen
    assert not ReportingYear.objects.filter(year=2024).exists()


def test_anonymous_is_sent_to_the_login_and_a_user_without_permission_is_refused(roles, computed):
    from django.test import Client

    for page in (
        url("dashboard"),
        url("reportingyear_download") + "?year=2025&format=json",
        year_url("differences", computed),
    ):
        response = Client().get(page)
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login")), page
    nobody = admin_client(language="en")
    for page in (
        url("dashboard"),
        url("reportingyear_download") + "?year=2025&format=json",
        year_url("differences", computed),
        url("reportingyear_changelist"),
        url("indicatorvalue_changelist"),
    ):
        assert nobody.get(page).status_code == 403, page
    assert nobody.post(year_url("compute", computed)).status_code == 403


def test_the_roles_give_the_officer_the_writes_and_the_others_the_reads(roles):
    officer, auditor = UserFactory(groups=[OFFICER]), UserFactory(groups=[AUDITOR])
    for model in ("reportingyear", "indicatorvalue", "manualvalue"):
        assert {officer.has_perm(f"reporting.{action}_{model}") for action in ("add", "change", "view")} == {True}
        assert not officer.has_perm(f"reporting.delete_{model}")
        assert auditor.has_perm(f"reporting.view_{model}")
        assert not any(auditor.has_perm(f"reporting.{action}_{model}") for action in ("add", "change", "delete"))
    for role in ("DPO", "Training manager"):
        user = UserFactory(groups=[role])
        assert user.has_perm("reporting.view_reportingyear") and not user.has_perm("reporting.change_reportingyear")


# --- compute, freeze, unfreeze ---------------------------------------------------------------------------------


def test_computing_a_year_from_the_add_page_stores_and_lists_its_values(officer, requests_2025):
    response = officer.post(url("reportingyear_add"), {"year": YEAR})
    reporting_year = ReportingYear.objects.get(year=YEAR)
    assert response.status_code == 302 and response["Location"] == year_url("change", reporting_year)
    assert IndicatorValue.objects.filter(reporting_year=reporting_year).count() == len(registry.computations())
    assert IndicatorValue.objects.get(reporting_year=reporting_year, code="E2_RIGHTS_REQUESTS").value == 3
    assert any(m.startswith(f"{YEAR} computed:") for m in messages_of(response))
    body = officer.get(response["Location"]).content.decode()
    assert 'id="value-E2_RIGHTS_REQUESTS"' in body
    history = reporting_year.history.first()
    assert history.history_user is not None and history.history_change_reason == "computed"


def test_the_add_page_refuses_an_impossible_year_on_its_field(officer):
    response = officer.post(url("reportingyear_add"), {"year": 1900})
    assert response.status_code == 200
    assert "between 2000 and" in " ".join(response.context["form"].errors["year"])
    assert not ReportingYear.objects.exists()


def test_the_add_page_refuses_a_frozen_year_with_the_services_message(officer, computed, roles):
    services.year_freeze(YEAR, UserFactory())
    response = officer.post(url("reportingyear_add"), {"year": YEAR})
    assert response.status_code == 200
    assert "is frozen" in " ".join(response.context["form"].errors["year"])


def test_recompute_button_updates_the_values(officer, computed):
    RightsRequestFactory(received_at=dt.datetime(YEAR, 11, 3, 10, tzinfo=PARIS))
    response = officer.post(year_url("compute", computed))
    assert response.status_code == 302
    assert IndicatorValue.objects.get(reporting_year=computed, code="E2_RIGHTS_REQUESTS").value == 4
    assert any("1 changed" in m for m in messages_of(response))


def test_a_frozen_year_is_not_recomputed_and_the_refusal_is_said(officer, computed):
    response = officer.post(year_url("freeze", computed))
    computed.refresh_from_db()
    assert response.status_code == 302 and computed.frozen and computed.frozen_by is not None
    assert any("frozen" in m for m in messages_of(response))
    frozen_at = computed.computed_at

    RightsRequestFactory(received_at=dt.datetime(YEAR, 11, 3, 10, tzinfo=PARIS))
    response = officer.post(year_url("compute", computed), follow=True)
    assert any("is frozen: its indicators are not recomputed" in m for m in messages_of(response))
    computed.refresh_from_db()
    assert computed.computed_at == frozen_at
    assert IndicatorValue.objects.get(reporting_year=computed, code="E2_RIGHTS_REQUESTS").value == 3
    # The page of a frozen year offers unfreezing, not computing; the differences show the new request.
    page = response.content.decode()
    assert 'id="unfreeze-link"' in page and 'id="compute-form"' not in page
    differences = officer.get(year_url("differences", computed))
    row = differences.content.decode().split('id="difference-E2_RIGHTS_REQUESTS"')[1].split("</tr>")[0]
    assert '<td style="text-align:right" class="before">3</td>' in row
    assert '<td style="text-align:right" class="after">4</td>' in row
    assert '<td style="text-align:right" class="added">1</td>' in row


def test_the_auditor_sees_the_differences_read_only(auditor, computed):
    RightsRequestFactory(received_at=dt.datetime(YEAR, 11, 3, 10, tzinfo=PARIS))
    body = auditor.get(year_url("differences", computed)).content.decode()
    assert 'id="difference-E2_RIGHTS_REQUESTS"' in body
    assert "Recompute now" not in body
    assert IndicatorValue.objects.get(reporting_year=computed, code="E2_RIGHTS_REQUESTS").value == 3


def test_freezing_is_refused_while_an_indicator_failed_and_each_one_is_listed(officer, computed):
    IndicatorValue.objects.filter(reporting_year=computed, code__in=["E2_RIGHTS_REQUESTS", "E2_CNIL_REFERRALS"]).update(
        status=ValueStatus.ERROR, message="ZeroDivisionError: boom"
    )
    response = officer.post(year_url("freeze", computed))
    found = messages_of(response)
    assert any("cannot be frozen" in m for m in found)
    assert "E2_CNIL_REFERRALS: ZeroDivisionError: boom" in found
    assert "E2_RIGHTS_REQUESTS: ZeroDivisionError: boom" in found
    computed.refresh_from_db()
    assert not computed.frozen


def test_the_freeze_page_asks_for_confirmation_first(officer, computed):
    response = officer.get(year_url("freeze", computed))
    assert response.status_code == 200 and 'id="freeze-summary"' in response.content.decode()
    computed.refresh_from_db()
    assert not computed.frozen


def test_unfreezing_needs_a_reason_which_the_history_keeps(officer, computed, roles):
    services.year_freeze(YEAR, UserFactory())
    for reason in ("", "   "):
        response = officer.post(year_url("unfreeze", computed), {"reason": reason})
        assert response.status_code == 200 and response.context["form"].errors["reason"]
        computed.refresh_from_db()
        assert computed.frozen

    response = officer.post(year_url("unfreeze", computed), {"reason": "Late CNIL answer found in the archive"})
    assert response.status_code == 302
    computed.refresh_from_db()
    assert not computed.frozen and computed.unfreeze_reason == "Late CNIL answer found in the archive"
    assert computed.history.first().history_change_reason == "unfrozen: Late CNIL answer found in the archive"
    history = officer.get(year_url("history", computed)).content.decode()
    assert "Late CNIL answer found in the archive" in history


def test_unfreezing_an_open_year_is_refused(officer, computed):
    response = officer.get(year_url("unfreeze", computed))
    assert response.status_code == 302 and any("is not frozen" in m for m in messages_of(response))
    response = officer.post(year_url("unfreeze", computed), {"reason": "no reason to"})
    assert response.status_code == 200 and "is not frozen" in str(response.context["form"].non_field_errors())


def test_the_recompute_action_of_the_list_skips_frozen_years(officer, computed, roles):
    services.year_compute(2024)
    services.year_freeze(2024, UserFactory())
    RightsRequestFactory(received_at=dt.datetime(YEAR, 11, 3, 10, tzinfo=PARIS))
    response = officer.post(
        url("reportingyear_changelist"),
        {"action": "compute_selected", "_selected_action": list(ReportingYear.objects.values_list("pk", flat=True))},
    )
    assert response.status_code == 302
    found = messages_of(response)
    assert any("2024 is frozen" in m for m in found) and any(m.startswith("2025 computed") for m in found)
    assert IndicatorValue.objects.get(reporting_year=computed, code="E2_RIGHTS_REQUESTS").value == 4


def test_the_list_shows_the_state_and_the_counts_of_each_year(officer, computed, roles):
    services.year_freeze(YEAR, UserFactory(username="verifier"))
    IndicatorValue.objects.filter(reporting_year=computed, code="E2_CNIL_REFERRALS").update(status=ValueStatus.ERROR)
    response = officer.get(url("reportingyear_changelist"))
    row = response.context["cl"].result_list[0]
    assert (row.ok_values, row.error_values) == (
        IndicatorValue.objects.filter(reporting_year=computed, status=ValueStatus.OK).count(),
        1,
    )
    assert row.no_data_values == IndicatorValue.objects.filter(reporting_year=computed, status="no_data").count()
    assert "frozen on" in response.content.decode() and "verifier" in response.content.decode()


# --- downloads -----------------------------------------------------------------------------------------------


def download(client, year: int, fmt: str):
    return client.get(url("reportingyear_download"), {"year": year, "format": fmt})


@pytest.mark.parametrize("client_fixture", ["officer", "auditor"])
def test_the_downloads_have_their_content_type_and_a_parseable_body(request, computed, client_fixture):
    client = request.getfixturevalue(client_fixture)
    response = download(client, YEAR, "json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert f'filename="vigie-indicators-{YEAR}.json"' in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["year"] == YEAR
    assert next(i for i in data["indicators"] if i["code"] == "E2_RIGHTS_REQUESTS")["value"] == 3

    response = download(client, YEAR, "csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert next(r for r in rows if r["code"] == "E2_RIGHTS_REQUESTS")["value"] == "3"

    response = download(client, YEAR, "xlsx")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    cells = [cell.value for row in workbook.worksheets[0].iter_rows() for cell in row]
    assert "E2_RIGHTS_REQUESTS" in cells


def test_the_csv_downloads_in_the_machine_dialect_and_a_wrong_dialect_is_said(auditor, computed):
    params = {"year": YEAR, "format": "csv", "dialect": "machine"}
    response = auditor.get(url("reportingyear_download"), params)
    assert response.status_code == 200 and not response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    assert next(r for r in rows if r["code"] == "E2_RIGHTS_REQUESTS")["value"] == "3"
    french = download(auditor, YEAR, "csv").content.decode("utf-8-sig")
    assert [r["code"] for r in rows] == [r["code"] for r in csv.DictReader(io.StringIO(french), delimiter=";")]
    response = auditor.get(url("reportingyear_download"), {**params, "dialect": "bogus"})
    assert response.status_code == 302 and response["Location"] == url("reportingyear_changelist")
    assert any("machine" in message for message in messages_of(response))


def test_the_machine_auditor_pack_downloads_with_comma_separated_files(auditor, computed):
    response = auditor.get(url("reportingyear_download"), {"year": YEAR, "format": "zip", "dialect": "machine"})
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert json.loads(archive.read("manifest.json"))["csv_dialect"] == "machine"
        records = archive.read("records/E2_RIGHTS_REQUESTS.csv").decode("utf-8")
    assert records.startswith("model,id,")


def test_a_year_without_snapshot_is_downloaded_without_being_stored(auditor, requests_2025):
    response = download(auditor, YEAR, "json")
    assert response.status_code == 200
    data = json.loads(response.content)
    assert next(i for i in data["indicators"] if i["code"] == "E2_RIGHTS_REQUESTS")["value"] == 3
    assert not ReportingYear.objects.exists() and not IndicatorValue.objects.exists()


def test_a_wrong_download_request_is_said_not_a_server_error(auditor):
    for params in (
        {"year": "abc", "format": "json"},
        {"year": 1900, "format": "json"},
        {"year": 2025, "format": "pdf"},
        {},
    ):
        response = auditor.get(url("reportingyear_download"), params)
        assert response.status_code == 302 and response["Location"] == url("reportingyear_changelist"), params
        assert messages_of(response), params


def test_the_auditor_pack_is_built_by_its_module(auditor, monkeypatch, computed):
    module = types.ModuleType("reporting.auditor_pack")
    module.build_pack = lambda year, *, user, dialect: (
        b"PK\x05\x06" + b"\0" * 18 + str(year).encode()
    )  # made for its user
    module.pack_filename = lambda year: f"vigie-auditor-pack-{year}.zip"
    monkeypatch.setitem(sys.modules, "reporting.auditor_pack", module)
    response = download(auditor, YEAR, "zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert 'filename="vigie-auditor-pack-2025.zip"' in response["Content-Disposition"]
    assert response.content.endswith(b"2025")


def test_the_real_auditor_pack_downloads_as_a_zip(auditor, computed):
    pack = pytest.importorskip("reporting.auditor_pack")
    response = download(auditor, YEAR, "zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert f'filename="{pack.pack_filename(YEAR)}"' in response["Content-Disposition"]
    assert zipfile.ZipFile(io.BytesIO(response.content)).namelist()


def test_without_the_auditor_pack_module_the_download_is_refused_with_a_message(auditor, monkeypatch):
    monkeypatch.setitem(sys.modules, "reporting.auditor_pack", None)  # import fails
    response = download(auditor, YEAR, "zip")
    assert response.status_code == 302 and any("auditor pack" in m for m in messages_of(response))


# --- an indicator value and its records ------------------------------------------------------------------------


def test_a_value_page_shows_its_definition_method_parts_and_records(officer, computed, requests_2025):
    value = IndicatorValue.objects.get(reporting_year=computed, code="E2_RIGHTS_REQUESTS")
    response = officer.get(url("indicatorvalue_change", value.pk))
    body = response.content.decode()
    assert "Data-subject rights requests received<" in body
    assert "Rights requests received in the year, answered or not" in body
    [line] = response.context["records_lines"]
    assert (line["model"], line["count"]) == ("gdpr.rightsrequest", 3)
    ids = sorted(r.pk for r in requests_2025)
    assert line["link"] == reverse("admin:gdpr_rightsrequest_changelist") + "?id__in=" + ",".join(map(str, ids))
    # The link opens the requests' own list, filtered to exactly those.
    listing = officer.get(line["link"])
    assert listing.status_code == 200
    assert sorted(r.pk for r in listing.context["cl"].result_list) == ids

    csv_response = officer.get(line["csv"])
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows == [["model", "id"], *(["gdpr.rightsrequest", str(i)] for i in ids)]


def test_a_long_list_of_records_is_downloaded_not_linked(auditor, computed):
    value = IndicatorValue.objects.get(reporting_year=computed, code="E1_COI_SUSPICIONS")
    value.records = [
        {"model": "compliance.conflictofinterestcase", "ids": list(range(1, 251))},
        {"model": "gone.model", "ids": [1]},
    ]
    value.save()
    response = auditor.get(url("indicatorvalue_change", value.pk))
    long_line, unknown = response.context["records_lines"]
    assert long_line["count"] == 250 and long_line["link"] == ""
    assert unknown["link"] == "" and unknown["name"] == "gone.model"
    assert "More than 200" in response.content.decode()
    rows = list(csv.reader(io.StringIO(auditor.get(long_line["csv"]).content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 251 and rows[1] == ["compliance.conflictofinterestcase", "1"]
    every = list(
        csv.reader(
            io.StringIO(auditor.get(response.context["records_csv_url"]).content.decode("utf-8-sig")), delimiter=";"
        )
    )
    # The ids of a model the reader may not view (here one that no longer exists: nobody has its permission)
    # are not in it.
    assert len(every) == 251


def test_the_records_csv_writes_a_stored_model_name_as_text(admin_client, computed):
    # A superuser: a role sees no ids of a model it has no permission on (and nobody has one on this name).
    value = IndicatorValue.objects.get(reporting_year=computed, code="E1_COI_SUSPICIONS")
    value.records = [{"model": PAYLOADS[0], "ids": [1, 2]}]
    value.save()
    content = admin_client.get(url("indicatorvalue_records", value.pk)).content
    assert formula_fields(content) == []
    assert csv_fields(content)[2:4] == ["'" + PAYLOADS[0], "1"]


def test_the_records_csv_downloads_in_the_machine_dialect_and_a_wrong_dialect_is_said(admin_client, computed):
    value = IndicatorValue.objects.get(reporting_year=computed, code="E1_COI_SUSPICIONS")
    value.records = [{"model": "compliance.conflictofinterestcase", "ids": [1, 2]}]
    value.save()
    content = admin_client.get(url("indicatorvalue_records", value.pk), {"dialect": "machine"}).content
    assert content.decode("utf-8").splitlines() == [
        "model,id",
        "compliance.conflictofinterestcase,1",
        "compliance.conflictofinterestcase,2",
    ]
    response = admin_client.get(url("indicatorvalue_records", value.pk), {"dialect": "x"})
    assert response.status_code == 302 and response["Location"] == url("indicatorvalue_change", value.pk)
    assert any("french, machine" in message for message in messages_of(response))


def test_the_value_list_filters_by_year_status_and_issue_and_searches_codes(officer, computed, roles):
    services.year_compute(2024)
    listing = officer.get(url("indicatorvalue_changelist"), {"year": YEAR, "enjeu": "2"})
    codes = {v.code for v in listing.context["cl"].queryset}
    assert codes and all(code.startswith("E2_") for code in codes)
    assert {v.reporting_year.year for v in listing.context["cl"].queryset} == {YEAR}
    esrs = officer.get(url("indicatorvalue_changelist"), {"enjeu": "G1", "year": YEAR}).context["cl"].queryset
    assert {v.code for v in esrs} == {
        "G1_3_AT_RISK_TRAINED_RATE",
        "G1_4_CONFIRMED_INCIDENTS",
        "G1_4_DISCIPLINARY_ACTIONS",
        "G1_4_PARTNER_CONTRACTS_TERMINATED",
        "G1_4_CONVICTIONS",
        "G1_4_FINES_EUR",
        # The whistleblowing channel's figures (whistleblowing/indicators.py), ESRS G1-1.
        *(d.code for d in catalogue.DEFINITIONS if d.code.startswith("G1_WB_")),
    }
    ok = officer.get(url("indicatorvalue_changelist"), {"status": "ok", "year": YEAR}).context["cl"].queryset
    assert {v.code for v in ok} >= {"E2_RIGHTS_REQUESTS"} and all(v.status == "ok" for v in ok)
    found = officer.get(url("indicatorvalue_changelist"), {"q": "on_time_rate"}).context["cl"].queryset
    assert {v.code for v in found} == {
        "E2_RIGHTS_REQUESTS_ON_TIME_RATE",
        "E2_CNIL_REFERRALS_ON_TIME_RATE",
        "E2_CNIL_COMPLAINTS_ON_TIME_RATE",
    }
    assert found.count() == 6  # both years


def test_the_value_list_query_count_does_not_grow_with_the_values(
    officer, computed, django_assert_max_num_queries, roles
):
    with django_assert_max_num_queries(12):
        assert officer.get(url("indicatorvalue_changelist")).status_code == 200
    for year in (2022, 2023, 2024):
        services.year_compute(year)
    with django_assert_max_num_queries(12):
        assert officer.get(url("indicatorvalue_changelist")).status_code == 200


# --- manual values -------------------------------------------------------------------------------------------


def manual_form(**changes: object) -> dict[str, object]:
    data = {
        "year": YEAR,
        "code": "E6_COMPLAINTS_RECEIVED",
        "value": "9343",
        "owner": "Customer relations",
        "source_reference": "",
        "comment": "",
    }
    data.update(changes)
    return data


def test_a_manual_value_without_a_source_is_refused_on_its_field_and_nothing_is_written(officer):
    response = officer.post(url("manualvalue_add"), manual_form())
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "source_reference" in errors and "needs its source" in " ".join(errors["source_reference"])
    assert not ManualValue.objects.exists() and not ManualValue.history.exists()


def test_a_manual_value_with_its_source_is_saved_by_the_service_with_history(officer):
    response = officer.post(url("manualvalue_add"), manual_form(source_reference="Complaints report 2025, p. 3"))
    assert response.status_code == 302
    manual = ManualValue.objects.get()
    assert (manual.year, manual.code, manual.value) == (YEAR, "E6_COMPLAINTS_RECEIVED", Decimal("9343"))
    assert manual.entered_by is not None and manual.entered_by.groups.filter(name=OFFICER).exists()
    assert manual.history.first().history_change_reason == "entered"

    response = officer.post(
        url("manualvalue_change", manual.pk), manual_form(value="9400", source_reference="Complaints report 2025, p. 3")
    )
    assert response.status_code == 302
    manual.refresh_from_db()
    assert manual.value == Decimal("9400") and manual.history.count() == 2
    assert manual.history.first().history_change_reason == "changed"


def test_a_manual_value_with_an_uploaded_source_document_is_accepted(officer, isolated_media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    document = SimpleUploadedFile("beges-2025.pdf", b"%PDF-1.4 report", content_type="application/pdf")
    response = officer.post(
        url("manualvalue_add"), {**manual_form(code="E5_GHG_SCOPE_1_2", value="3011.9"), "source_document": document}
    )
    assert response.status_code == 302
    manual = ManualValue.objects.get()
    assert manual.source_document.name.endswith(".pdf") and manual.source_reference == ""
    assert "beges-2025" in officer.get(url("manualvalue_changelist")).content.decode()


def test_the_manual_form_offers_only_manual_indicators(officer):
    form = officer.get(url("manualvalue_add")).context["adminform"].form
    codes = {code for code, _label in form.fields["code"].choices if code}
    assert "E6_COMPLAINTS_RECEIVED" in codes and "E1_COI_SUSPICIONS" not in codes
    response = officer.post(url("manualvalue_add"), manual_form(code="E1_COI_SUSPICIONS", source_reference="x"))
    assert "code" in response.context["adminform"].form.errors
    assert not ManualValue.objects.exists()


def test_a_manual_value_of_a_frozen_year_is_refused_on_the_year(officer, computed, roles):
    services.year_freeze(YEAR, UserFactory())
    response = officer.post(url("manualvalue_add"), manual_form(source_reference="Complaints report 2025"))
    assert response.status_code == 200
    assert "is frozen" in " ".join(response.context["adminform"].form.errors["year"])
    assert not ManualValue.objects.exists()


def test_a_manual_value_of_a_frozen_year_is_read_only(officer, computed, roles):
    manual = services.manual_value_save(
        year=YEAR, code="E6_COMPLAINTS_RECEIVED", value=Decimal(1), owner="CR", actor=None, source_reference="report"
    )
    services.year_freeze(YEAR, UserFactory())
    page = officer.get(url("manualvalue_change", manual.pk)).content.decode()
    assert 'name="_save"' not in page
    assert (
        officer.post(
            url("manualvalue_change", manual.pk), manual_form(value="2", source_reference="report")
        ).status_code
        == 403
    )
    manual.refresh_from_db()
    assert manual.value == Decimal(1)


def test_the_auditor_cannot_enter_a_manual_value(auditor):
    assert auditor.get(url("manualvalue_add")).status_code == 403
    assert auditor.post(url("manualvalue_add"), manual_form(source_reference="x")).status_code == 403
    assert f'href="{url("manualvalue_add")}"' not in auditor.get(url("manualvalue_changelist")).content.decode()
    assert not ManualValue.objects.exists()


def test_the_history_of_a_year_and_of_a_value_is_one_click_away_for_the_auditor(auditor, computed):
    value = IndicatorValue.objects.get(reporting_year=computed, code="E2_RIGHTS_REQUESTS")
    RightsRequestFactory(received_at=dt.datetime(YEAR, 11, 3, 10, tzinfo=PARIS))
    services.year_compute(YEAR)
    history = auditor.get(url("indicatorvalue_history", value.pk))
    assert history.status_code == 200 and len(history.context["page_obj"].object_list) == 2
    assert (
        url("indicatorvalue_history", value.pk) in auditor.get(url("indicatorvalue_change", value.pk)).content.decode()
    )
    assert year_url("history", computed) in auditor.get(year_url("change", computed)).content.decode()
