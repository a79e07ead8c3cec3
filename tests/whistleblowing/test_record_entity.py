"""review 22c #8: with referents per entity, a report a referent records (the admin's add page, the API, the import)
names one of their legal entities; only the public page's reports have none (every referent triages them)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from core.imports.testing import read_rejects, run_import_command
from core.roles import WHISTLEBLOWING_REFERENT
from tests.clients import logged_in
from tests.factories import LegalEntityFactory
from tests.whistleblowing.factories import ReferentAssignmentFactory
from whistleblowing.models import Report, ReportContent
from whistleblowing.services import reports as services

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("roles", "isolated_media"),
    pytest.mark.time_machine(dt.datetime(2026, 6, 3, 10, 0, tzinfo=dt.UTC), tick=False),
]
ADD = "/admin/whistleblowing/report/add/"


@pytest.fixture
def per_entity(settings):
    settings.VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY = True
    return LegalEntityFactory(code="E1"), LegalEntityFactory(code="E2")


def add_data(**overrides) -> dict:
    return {
        "reference": "",
        "received_at_0": "2026-06-01",
        "received_at_1": "09:30",
        "category": "harassment",
        "channel": "post",
        "contact_possible": "on",
        "author_name": "Jeanne Martin",
        "author_relation": "employee",
        "facts": "What the letter says.",
        **overrides,
    }


def test_the_add_page_requires_one_of_the_referent_s_entities(per_entity):
    e1, e2 = per_entity
    client, referent = logged_in(WHISTLEBLOWING_REFERENT, language="fr")
    ReferentAssignmentFactory(user=referent, entity=e2)
    response = client.post(ADD, add_data(entity=""))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["entity"]
    response = client.post(ADD, add_data(entity=str(e1.pk)))  # not theirs: the service refuses it
    assert response.status_code == 200
    assert "entité dont vous êtes référent" in " ".join(response.context["adminform"].form.errors["entity"])
    assert not Report.objects.exists()
    assert client.post(ADD, add_data(entity=str(e2.pk))).status_code == 302
    assert ReportContent.objects.get().entity == e2


def test_without_per_entity_referents_the_entity_stays_optional(settings):
    settings.VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY = False
    client, _referent = logged_in(WHISTLEBLOWING_REFERENT)
    assert client.post(ADD, add_data(entity="")).status_code == 302
    assert ReportContent.objects.get().entity is None


def test_a_public_report_still_has_no_entity(per_entity):
    report, _code, _passphrase = services.report_submit_public(category="fraud", facts="Des faits.", anonymous=True)
    assert ReportContent.objects.get(report=report).entity is None


def test_an_imported_new_report_names_its_entity_from_the_command_line_too(
    per_entity, tmp_path: Path, english_messages
):
    received = (timezone.localdate() - dt.timedelta(days=2)).strftime("%d/%m/%Y")
    path = tmp_path / "reports.csv"
    path.write_text(
        f"Référence;Reçu le;Catégorie;Entité\nSIG-NONE;{received};fraud;\nSIG-E1;{received};fraud;E1\n",
        encoding="utf-8",
    )
    result = run_import_command("whistleblowing_reports", path)
    assert result.exit_code == 1
    assert list(Report.objects.values_list("reference", flat=True)) == ["SIG-E1"]
    reasons = {row[2]: row[1] for row in read_rejects(tmp_path / "reports.rejects.csv")[1:]}
    assert "entity_code" in reasons["SIG-NONE"] and "one of your legal entities" in reasons["SIG-NONE"]
