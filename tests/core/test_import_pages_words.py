"""The import pages in words (issue 16): accepted values by their French labels, labels without a double
colon, a run's result as a readable summary with the technical details folded away, times in Paris time."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from core.imports.parsers import Choice, ChoiceList
from core.models import ImportRun
from organization.choices import Gender
from tests.factories import LegalEntityFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media")]
ROSTER = (
    "employee_id;entity_code;hired_on;gender\nE1;ALS;2020-01-01;Femme\nE2;NOPE;2020-01-01;F\nE3;ALS;2020-01-01;zz\n"
)


@pytest.fixture(autouse=True)
def entity():
    return LegalEntityFactory(code="ALS")


def upload(client) -> ImportRun:
    file = SimpleUploadedFile("roster.csv", ROSTER.encode(), "text/csv")
    client.post(reverse("admin:core_importrun_upload"), {"kind": "roster", "file": file})
    return ImportRun.objects.get()


def test_a_coded_column_lists_its_french_labels(admin_client):
    body = admin_client.get(reverse("admin:core_importrun_upload")).content.decode()
    assert "Femme, Homme, Autre" in body
    assert "F, M, X" not in body
    assert "AAAA-MM-JJ ou JJ/MM/AAAA" in body


def test_choice_labels_follow_the_language_and_are_read_in_both():
    choice = Choice(Gender)
    with translation.override("en"):
        assert choice.accepted == "Female, Male, Other"
    with translation.override("fr"):
        assert choice.accepted == "Femme, Homme, Autre"
        assert ChoiceList(choice).accepted == "Femme, Homme, Autre, séparés par |"
    assert choice("femme") == choice("Female") == choice("F") == "F"


def test_the_upload_form_labels_have_one_colon_at_most(admin_client):
    body = admin_client.get(reverse("admin:core_importrun_upload")).content.decode()
    labels = re.findall(r"<label[^>]*>(.*?)</label>", body, flags=re.S)
    assert any("Simulation" in label for label in labels)
    assert all(label.count(":") <= 1 for label in labels), labels
    assert "(roster)" not in body  # the kind by its name, not its code


def test_the_run_page_is_a_readable_summary_with_the_details_folded_away(admin_client):
    run = upload(admin_client)
    run.host, run.pid = "vm-builder", 424242
    run.save()
    body = admin_client.get(reverse("admin:core_importrun_change", args=[run.pk])).content.decode()
    # The page's own content (the look's navigation and scripts before it are not the run's).
    summary, _sep, folded = body[body.index('id="content-main"') :].partition("<details")
    assert folded, "the technical details are in a <details> element"
    # Counts and rejected rows in tables: row number, column, reason.
    assert "Lignes lues" in summary and "Rejetées" in summary
    assert re.search(r"<td>3</td><td>entity_code</td><td>[^<]*NOPE", summary)
    assert re.search(r"<td>4</td><td>gender</td><td>", summary)
    # Nothing technical outside the folded details: no raw JSON, machine or process id.
    assert "424242" not in summary and "vm-builder" not in summary
    assert '"encoding"' not in summary and "{&#x27;" not in summary and "{'" not in summary
    assert "424242" in folded and "vm-builder" in folded


def test_every_time_of_the_run_page_is_in_paris_time_and_labelled_once(admin_client):
    run = upload(admin_client)
    ImportRun.objects.filter(pk=run.pk).update(
        started_at=dt.datetime(2026, 1, 15, 23, 30, tzinfo=dt.UTC),
        finished_at=dt.datetime(2026, 1, 15, 23, 31, tzinfo=dt.UTC),
    )
    body = admin_client.get(reverse("admin:core_importrun_change", args=[run.pk])).content.decode()
    title = re.search(r"<title>(.*?)</title>", body, flags=re.S).group(1)
    assert "16/01/2026 00:30" in title
    assert "2026-01-15 23:30" not in body and "23:30" not in body and "23:31" not in body
    assert "16/01/2026 00:31" in body
    assert body.count("heure de Paris") == 1
