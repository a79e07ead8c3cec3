"""The stored files (CNIL letters, the source document of a figure, AML/CFT report files, rejected rows) are
reached through their address (`FieldFile.url`, the links of the admin) by who may view their record only, and
always as a download (core/downloads.py). No web server serves the media folder: before this view, every such
link was a 404, a DPO's letter and an auditor's evidence included."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.utils import timezone

from core.downloads import media_fields
from core.roles import AML_OFFICER, AUDITOR, COMPLIANCE_OFFICER, DPO, TRAINING_MANAGER, WHISTLEBLOWING_REFERENT
from gdpr.services.cnil import cnil_case_attach
from reporting.models import ManualValue
from tests.aml.factories import AlertFactory
from tests.clients import logged_in, page_of
from tests.factories import UserFactory
from tests.gdpr.factories import CnilCaseFactory
from tests.whistleblowing.factories import ReportFactory
from whistleblowing.models import Attachment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles", "isolated_media")]

LETTER = b"%PDF-1.4 the CNIL's letter about a complaint"


def assert_download(response, body: bytes) -> None:
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == body
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert {"private", "no-store"} <= {part.strip() for part in response["Cache-Control"].split(",")}


@pytest.fixture
def letter():
    case = CnilCaseFactory()
    return cnil_case_attach(actor=UserFactory(), case=case, file=ContentFile(LETTER, name="courrier-cnil.pdf"))


def test_the_dpo_follows_the_link_of_a_cnil_letter_on_its_case_page(letter):
    client, _dpo = logged_in(DPO)
    page = page_of(client.get(f"/admin/gdpr/cnilcase/{letter.case_id}/change/"))
    assert f'href="{letter.file.url}"' in page
    assert_download(client.get(letter.file.url), LETTER)
    auditor, _user = logged_in(AUDITOR)
    assert_download(auditor.get(letter.file.url), LETTER)


@pytest.mark.parametrize("role", [TRAINING_MANAGER, AML_OFFICER, WHISTLEBLOWING_REFERENT])
def test_a_role_that_may_not_view_the_case_gets_the_404_of_a_missing_file(letter, role):
    client, _user = logged_in(role)
    assert client.get(letter.file.url).status_code == 404
    assert client.get(letter.file.url + "x").status_code == 404


def test_without_a_session_the_file_asks_for_the_login_and_gives_nothing(letter, client):
    response = client.get(letter.file.url)
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert LETTER not in response.content


def test_a_name_no_record_holds_or_a_path_outside_the_media_folder_is_a_404(letter, settings):
    client, _dpo = logged_in(DPO)
    (settings.MEDIA_ROOT / "stray.pdf").write_bytes(b"not a record's file")
    for path in ("/media/stray.pdf", "/media/../config/settings/base.py", "/media/%2e%2e/manage.py"):
        assert client.get(path).status_code == 404, path


def test_the_source_document_of_a_figure_reaches_the_auditor(settings):
    value = ManualValue.objects.create(
        year=2023,
        code="E6_COMPLAINTS_RECEIVED",
        value=9343,
        owner="Customer relations",
        source_document=ContentFile(b"%PDF-1.4 complaints register 2023", name="register.pdf"),
        entered_by=UserFactory(),
        entered_at=timezone.now(),
    )
    auditor, _user = logged_in(AUDITOR)
    assert value.source_document.url in page_of(auditor.get("/admin/reporting/manualvalue/"))
    assert_download(auditor.get(value.source_document.url), b"%PDF-1.4 complaints register 2023")
    nobody, _user = logged_in()  # staff, without a role
    assert nobody.get(value.source_document.url).status_code == 404


def test_an_aml_report_file_stays_inside_the_aml_seal():
    alert = AlertFactory(tracfin_file=ContentFile(b"%PDF-1.4 declaration de soupcon", name="ds.pdf"))
    lcbft, _user = logged_in(AML_OFFICER)
    assert_download(lcbft.get(alert.tracfin_file.url), b"%PDF-1.4 declaration de soupcon")
    for outsider in (logged_in(COMPLIANCE_OFFICER)[0], logged_in(AUDITOR)[0]):
        assert outsider.get(alert.tracfin_file.url).status_code == 404


def test_a_whistleblowing_attachment_is_never_found_under_the_media_address(settings, tmp_path):
    settings.VIGIE_WHISTLEBLOWING_FILES_ROOT = tmp_path / "reports"
    attachment = Attachment.objects.create(
        report=ReportFactory(),
        file=ContentFile(b"%PDF-1.4 evidence", name="x.pdf"),
        name="evidence.pdf",
        content_type="application/pdf",
        size=17,
    )
    referent, _user = logged_in(WHISTLEBLOWING_REFERENT)
    assert referent.get(f"/media/{attachment.file.name}").status_code == 404


def test_every_file_field_of_the_media_storage_has_an_admin_that_decides_who_reads_it():
    """A new model with a file field and no admin (nor an inline) would have its files readable by nobody:
    this test names it, so that the model gets its admin or its own download view."""
    site = admin.site
    inlined = {inline.model for model_admin in site._registry.values() for inline in model_admin.inlines}
    orphans = [
        f"{model._meta.label}.{field}"
        for model, field in media_fields()
        if model not in site._registry and model not in inlined
    ]
    assert not orphans
    assert {f"{model._meta.label}.{field}" for model, field in media_fields()} >= {
        "gdpr.CnilCaseAttachment.file",
        "reporting.ManualValue.source_document",
        "aml.Alert.tracfin_file",
        "core.ImportRun.rejects_file",
    }
