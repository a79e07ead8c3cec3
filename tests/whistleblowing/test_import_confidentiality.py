"""review 21b #1 and #4: the import never lets a referent touch a report whose content they may not read, nor
file one under an entity they are not a referent of; the services the admin and the API call say the same; an
import run of this kind (and its rejected raw lines) is its runner's only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core import retention
from core.models import ImportRun
from core.roles import WHISTLEBLOWING_REFERENT
from tests.factories import LegalEntityFactory, UserFactory
from tests.whistleblowing.factories import ReportContentFactory, ReportFactory
from whistleblowing.models import ReferentAssignment, Report, ReportContent
from whistleblowing.selectors import content_visible_to
from whistleblowing.services import reports as services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media", "roles")]

URL = "/api/imports/whistleblowing_reports/"
HEADER = "Référence;Reçu le;Catégorie;Entité\n"
REFUSED = "vous ne pouvez pas modifier ce signalement"


@pytest.fixture
def world(settings):
    settings.VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY = True
    e1, e2 = LegalEntityFactory(code="E1"), LegalEntityFactory(code="E2")
    received = timezone.now() - dt.timedelta(days=3)
    report = ReportFactory(reference="SIG-2026-0007", received_at=received)
    ReportContentFactory(report=report, entity=e1, author_name="Anselme SECRET", facts="the evidence of E1")
    outsider = UserFactory(username="ref-e2", groups=[WHISTLEBLOWING_REFERENT])
    ReferentAssignment.objects.create(user=outsider, entity=e2)
    insider = UserFactory(username="ref-e1", groups=[WHISTLEBLOWING_REFERENT])
    ReferentAssignment.objects.create(user=insider, entity=e1)
    assert not content_visible_to(outsider, report)
    return {"e1": e1, "e2": e2, "report": report, "received": received, "outsider": outsider, "insider": insider}


def upload(client, text: str, name: str = "r.csv"):
    return client.post(URL, {"file": SimpleUploadedFile(name, text.encode(), content_type="text/csv")})


def rejects_of(client, response) -> str:
    run = response.json()["id"]
    return b"".join(client.get(f"/api/imports/runs/{run}/rejects/").streaming_content).decode()


def test_an_unassigned_referent_cannot_move_a_report_into_their_entity(world, client):
    client.force_login(world["outsider"])
    line = f"SIG-2026-0007;{timezone.localtime(world['received']).strftime('%d/%m/%Y %H:%M')};fraud;E2\n"
    response = upload(client, HEADER + line)
    assert response.status_code == 201
    assert ReportContent.objects.get(report=world["report"]).entity.code == "E1"
    assert not content_visible_to(world["outsider"], world["report"])
    page = client.get(f"/admin/whistleblowing/report/{world['report'].pk}/change/").content.decode()
    assert "Anselme SECRET" not in page
    rejects = rejects_of(client, response)
    assert REFUSED in rejects
    assert "E1" not in rejects.replace(line.strip(), "")  # the reason names nothing of the report


def test_an_unassigned_referent_cannot_close_a_report_and_get_it_wiped(world, client):
    client.force_login(world["outsider"])
    day = timezone.localdate().strftime("%d/%m/%Y")
    text = (
        "Référence;Reçu le;Catégorie;Recevabilité;Date de recevabilité\n"
        f"SIG-2026-0007;{timezone.localtime(world['received']).strftime('%d/%m/%Y %H:%M')};fraud;irrecevable;{day}\n"
    )
    response = upload(client, text)
    assert response.status_code == 201
    report = Report.objects.get(pk=world["report"].pk)
    assert (report.status, report.admissibility) == (world["report"].status, world["report"].admissibility)
    retention.run(today=timezone.localdate(), only=["whistleblowing.inadmissible"])
    assert ReportContent.objects.get(report=report).facts == "the evidence of E1"


def test_the_refusal_reads_the_same_whether_the_row_says_more_or_less(world, client):
    """Anonymity and channel columns of an unreadable report are refused with the same words, and nothing moves."""
    client.force_login(world["outsider"])
    text = (
        "Référence;Reçu le;Catégorie;Anonyme;Contact possible\n"
        f"SIG-2026-0007;{timezone.localtime(world['received']).strftime('%d/%m/%Y %H:%M')};fraud;oui;non\n"
    )
    rejects = rejects_of(client, upload(client, text))
    assert REFUSED in rejects
    content = ReportContent.objects.get(report=world["report"])
    assert (content.anonymous, content.contact_possible) == (False, True)


def test_a_referent_files_only_under_their_own_entities(world, client):
    client.force_login(world["insider"])
    received = timezone.localtime(world["received"]).strftime("%d/%m/%Y %H:%M")
    text = HEADER + (
        f"SIG-NEW-1;{received};fraud;E2\n"  # a new report under another entity
        f"SIG-NEW-2;{received};fraud;E1\n"  # under their own: fine
        f"SIG-NEW-3;{received};fraud;\n"  # under none: every referent would read it (review 22c #8)
        f"SIG-2026-0007;{received};fraud;\n"  # an empty cell leaves the entity of a report they read
    )
    response = upload(client, text)
    rejects = rejects_of(client, response)
    assert set(Report.objects.values_list("reference", flat=True)) == {"SIG-2026-0007", "SIG-NEW-2"}
    assert "vous ne pouvez rattacher un signalement qu'à une entité dont vous êtes référent" in rejects
    assert "un signalement que vous enregistrez est rattaché à une de vos entités juridiques" in rejects
    assert response.json()["unchanged"] == 1
    assert ReportContent.objects.get(report=world["report"]).entity == world["e1"]
    # Their own report, in their own entity: its acknowledgment filled in.
    day = timezone.localdate().strftime("%d/%m/%Y")
    text = "Référence;Reçu le;Catégorie;Entité;Accusé de réception\n" + f"SIG-2026-0007;{received};fraud;E1;{day}\n"
    assert upload(client, text, "again.csv").status_code == 201
    assert Report.objects.get(pk=world["report"].pk).acknowledged_on == timezone.localdate()


def test_without_per_entity_referents_every_referent_imports_every_report(world, client, settings):
    settings.VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY = False
    client.force_login(world["outsider"])
    line = f"SIG-2026-0007;{timezone.localtime(world['received']).strftime('%d/%m/%Y %H:%M')};fraud;E2\n"
    assert upload(client, HEADER + line).status_code == 201
    assert ReportContent.objects.get(report=world["report"]).entity == world["e2"]


# --- the services the admin and the API call ------------------------------------------------------------------------


def test_the_entity_service_moves_only_readable_reports_into_the_actor_s_entities(world):
    report, outsider, insider = world["report"], world["outsider"], world["insider"]
    with pytest.raises(ValidationError) as excinfo:
        services.report_entity_set(actor=outsider, report=report, entity=world["e2"])
    assert list(excinfo.value.message_dict) == ["report"]
    with pytest.raises(ValidationError) as excinfo:  # its current entity: refused the same, nothing told
        services.report_entity_set(actor=outsider, report=report, entity=world["e1"])
    assert list(excinfo.value.message_dict) == ["report"]
    with pytest.raises(ValidationError) as excinfo:
        services.report_entity_set(actor=insider, report=report, entity=world["e2"])
    assert list(excinfo.value.message_dict) == ["entity"]
    with pytest.raises(ValidationError) as excinfo:
        services.report_entity_set(actor=insider, report=report, entity=None)
    assert list(excinfo.value.message_dict) == ["entity"]
    assert ReportContent.objects.get(report=report).entity == world["e1"]
    ReferentAssignment.objects.create(user=insider, entity=world["e2"])
    services.report_entity_set(actor=insider, report=report, entity=world["e2"])
    assert ReportContent.objects.get(report=report).entity == world["e2"]
    services.report_entity_set(actor=insider, report=report, entity=world["e2"])  # unchanged: nothing to check


def test_a_recorded_report_is_filed_under_one_of_the_actor_s_entities(world, settings):
    values = {"received_at": timezone.now(), "channel": "email", "category": "fraud", "facts": "x"}
    with pytest.raises(ValidationError) as excinfo:
        services.report_record(actor=world["insider"], entity=world["e2"], **values)
    assert list(excinfo.value.message_dict) == ["entity"]
    assert services.report_record(actor=world["insider"], entity=world["e1"], **values).content.entity == world["e1"]
    with pytest.raises(ValidationError) as excinfo:  # every referent would read it (review 22c #8)
        services.report_record(actor=world["insider"], entity=None, **values)
    assert list(excinfo.value.message_dict) == ["entity"]
    settings.VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY = False
    assert services.report_record(actor=world["insider"], entity=None, **values).content.entity is None


# --- the runs (review 21b #4) ----------------------------------------------------------------------------------------


def test_the_runs_of_this_kind_are_their_runner_s_only(world, client, settings):
    text = (
        "Référence;Reçu le;Canal;Anonyme;Catégorie;Accusé de réception;Entité\n"
        "SIG-X1;01/01/2026;courrier;oui;fraud;31/12/2025;E1\n"  # rejected: acknowledged before its receipt
    )
    client.force_login(world["insider"])
    upload(client, text, "e1-reports.csv")
    run = ImportRun.objects.get()
    assert client.get(f"/api/imports/runs/{run.pk}/rejects/").status_code == 200
    for per_entity in (True, False):
        settings.VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY = per_entity
        client.force_login(world["outsider"])
        assert client.get(f"/api/imports/runs/{run.pk}/rejects/").status_code == 404
        assert client.get(f"/api/imports/runs/{run.pk}/").status_code == 404
        assert client.get("/api/imports/runs/").json()["count"] == 0
        assert client.get(f"/admin/core/importrun/{run.pk}/rejects/").status_code in (302, 404)
        assert "e1-reports.csv" not in client.get("/admin/core/importrun/").content.decode()
    assert list(ImportRun.objects.visible_to(world["insider"])) == [run]
    assert not ImportRun.objects.visible_to(world["outsider"]).exists()
