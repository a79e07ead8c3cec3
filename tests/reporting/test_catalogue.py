"""The catalogue against the published reference (tests/fixtures/reference/dpef-indicators.csv): every code, its
enjeu, unit, kind (computed or manual) and, in French, the label the company published."""

import csv
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from reporting import catalogue

REFERENCE = Path(settings.BASE_DIR) / "tests" / "fixtures" / "reference" / "dpef-indicators.csv"


@pytest.fixture(scope="module")
def published() -> dict[str, dict]:
    if not REFERENCE.exists():
        pytest.fail(
            f"reference indicators not found at {REFERENCE}: the repository carries them; restore the file",
            pytrace=False,
        )
    with REFERENCE.open(encoding="utf-8") as handle:
        return {row["code"]: row for row in csv.DictReader(handle)}


def test_the_dpef_catalogue_has_the_published_codes_and_the_additions_it_declares(published):
    dpef = catalogue.definitions(catalogue.DPEF)
    assert sorted(d.code for d in dpef if not d.added) == sorted(published)
    added = [d.code for d in dpef if d.added]
    assert added and not set(added) & set(published)


def test_each_indicator_has_the_published_enjeu_unit_and_kind(published):
    for code, row in published.items():
        definition = catalogue.get(code)
        assert definition.enjeu == int(row["enjeu"]), code
        assert definition.unit == row["unit"], code
        assert definition.computed == (row["computed_by_service"] == "yes"), code


def test_the_french_labels_are_the_published_ones(published):
    """Except where the published label misdescribes the figure: the definition keeps it as
    `published_label`, and its own label says what it counts."""
    with translation.override("fr"):
        for code, row in published.items():
            definition = catalogue.get(code)
            if definition.published_label is None:
                assert str(definition.label) == row["label_fr"], code
            else:
                assert str(definition.published_label) == row["label_fr"], code
                assert str(definition.label) != row["label_fr"], code


def test_rights_requests_received_is_labelled_received_and_answered_ones_carry_the_dpef_wording(published):
    """Issue 14, item 19: the published "reçues et traitées" counted every request received in the year,
    the open ones at 31/12 included. E2_RIGHTS_REQUESTS keeps its method (the contract) and says
    "received"; E2_RIGHTS_REQUESTS_ANSWERED counts those answered."""
    received, answered = catalogue.get("E2_RIGHTS_REQUESTS"), catalogue.get("E2_RIGHTS_REQUESTS_ANSWERED")
    with translation.override("fr"):
        assert str(received.label) == "Demandes d'exercice de droits reçues"
        assert str(answered.label) == published["E2_RIGHTS_REQUESTS"]["label_fr"]
        assert "E2_RIGHTS_REQUESTS_ANSWERED" in str(received.method)
    with translation.override("en"):
        assert str(received.label) == "Data-subject rights requests received"
        assert "answered" in str(answered.method) and "withdraw" in str(answered.method)
    assert (answered.enjeu, answered.unit, answered.computed, answered.added) == (2, "count", True, True)


def test_every_indicator_has_an_english_label_a_method_and_a_known_unit_and_enjeu():
    with translation.override("en"):
        for definition in catalogue.DEFINITIONS:
            assert str(definition.label) and len(str(definition.method)) > 20, definition.code
            assert definition.unit in catalogue.UNITS and definition.enjeu in catalogue.ENJEUX, definition.code
    assert len(catalogue.BY_CODE) == len(catalogue.DEFINITIONS)  # no code twice


@pytest.mark.django_db
def test_the_admin_index_links_the_dashboard_for_readers_of_the_indicators(roles):
    from tests.clients import admin_client

    page = admin_client("Auditor").get("/admin/").content.decode()
    assert "/admin/reporting/reportingyear/dashboard/" in page
    assert "/admin/reporting/reportingyear/dashboard/" not in admin_client().get("/admin/").content.decode()
