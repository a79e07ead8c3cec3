"""The import runs in the admin (read-only) and the "Import a file" upload page."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.imports import run_import
from core.models import ImportRun
from organization.models import Employee
from tests.core.importers import FOUR_EMPLOYEES, roster_fails_after_line_3
from tests.factories import LegalEntityFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media")]
ROSTER = "employee_id;entity_code;hired_on\nE1;ALS;2020-01-01\nE2;NOPE;2020-01-01\n"


@pytest.fixture(autouse=True)
def entity():
    return LegalEntityFactory(code="ALS")


@pytest.fixture
def client_en(admin_client):
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return admin_client


def upload(name: str = "roster.csv", content: str | bytes = ROSTER) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode() if isinstance(content, str) else content, "text/csv")


def test_the_changelist_links_to_the_upload_page_and_shows_the_counts(client_en, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    run_import("roster", path)
    response = client_en.get(reverse("admin:core_importrun_changelist"))
    assert response.status_code == 200
    assert reverse("admin:core_importrun_upload").encode() in response.content
    assert b"roster.csv" in response.content
    assert b"1 rejected row" in response.content
    assert reverse("admin:core_importrun_rejects", args=[ImportRun.objects.get().pk]).encode() in response.content


def test_the_changelist_query_count_does_not_grow_with_the_runs(client_en, tmp_path, django_assert_max_num_queries):
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    for _ in range(5):
        run_import("roster", path, user=UserFactory())
    with django_assert_max_num_queries(8):
        assert client_en.get(reverse("admin:core_importrun_changelist")).status_code == 200


def test_import_runs_cannot_be_added_changed_or_deleted(client_en, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    run = run_import("roster", path).run
    assert client_en.get(reverse("admin:core_importrun_add")).status_code == 403
    response = client_en.get(reverse("admin:core_importrun_change", args=[run.pk]))
    assert response.status_code == 200 and b'name="_save"' not in response.content
    assert client_en.post(reverse("admin:core_importrun_delete", args=[run.pk]), {"post": "yes"}).status_code == 403


def test_the_upload_page_offers_the_kinds_and_documents_their_columns(client_en):
    response = client_en.get(reverse("admin:core_importrun_upload"))
    assert response.status_code == 200
    assert b'value="roster"' in response.content and b'value="entities"' in response.content
    assert b"employee_id" in response.content and b"matricule" in response.content
    assert b"YYYY-MM-DD or DD/MM/YYYY" in response.content


def test_uploading_a_file_imports_it_and_reports_the_summary(client_en):
    response = client_en.post(reverse("admin:core_importrun_upload"), {"kind": "roster", "file": upload()}, follow=True)
    run = ImportRun.objects.get()
    assert response.redirect_chain[-1][0] == reverse("admin:core_importrun_change", args=[run.pk])
    assert (run.kind, run.file_name, run.user.username, run.created, run.rejected) == (
        "roster",
        "roster.csv",
        "admin",
        1,
        1,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert any("created 1" in m and "rejected 1" in m for m in messages)
    assert any(m.startswith("line 3: entity_code: unknown entity 'NOPE'") for m in messages)
    assert Employee.objects.get().employee_id == "E1"
    assert Employee.history.get(employee_id="E1").history_user.username == "admin"


def test_the_rejected_rows_of_an_upload_can_be_downloaded(client_en):
    client_en.post(reverse("admin:core_importrun_upload"), {"kind": "roster", "file": upload()})
    response = client_en.get(reverse("admin:core_importrun_rejects", args=[ImportRun.objects.get().pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="roster.rejects')
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    assert content.splitlines()[1] == "3;entity_code: unknown entity 'NOPE';E2;NOPE;2020-01-01"
    response = client_en.get(
        reverse("admin:core_importrun_rejects", args=[ImportRun.objects.get().pk]), {"dialect": "machine"}
    )
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.splitlines()[1] == "3,entity_code: unknown entity 'NOPE',E2,NOPE,2020-01-01"
    response = client_en.get(
        reverse("admin:core_importrun_rejects", args=[ImportRun.objects.get().pk]), {"dialect": "bogus"}
    )
    assert response.status_code == 302
    assert "french, machine" in client_en.get(response["Location"]).content.decode()


def test_a_dry_run_upload_writes_nothing(client_en):
    client_en.post(reverse("admin:core_importrun_upload"), {"kind": "roster", "file": upload(), "dry_run": "on"})
    assert not Employee.objects.exists()
    assert ImportRun.objects.get().dry_run


def test_a_refused_upload_says_why(client_en):
    response = client_en.post(
        reverse("admin:core_importrun_upload"),
        {"kind": "roster", "file": upload("roster.csv", b"%PDF-1.4\n\x00\x01")},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["refused: the file is not a CSV text file: it looks like a PDF document"]
    assert ImportRun.objects.get().status == ImportRun.Status.REFUSED


def test_a_file_over_the_size_limit_is_refused_by_the_form(client_en, settings):
    settings.VIGIE_IMPORT_MAX_BYTES = 10
    response = client_en.post(reverse("admin:core_importrun_upload"), {"kind": "roster", "file": upload()})
    assert response.status_code == 200
    assert b"too large" in response.content
    assert not ImportRun.objects.exists()


def test_the_upload_page_needs_the_add_permission_of_the_imported_model(client):
    user = UserFactory(is_staff=True)
    client.force_login(user)
    assert client.get(reverse("admin:core_importrun_upload")).status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="add_legalentity"))
    response = client.get(reverse("admin:core_importrun_upload"))
    assert response.status_code == 200
    assert b'value="entities"' in response.content and b'value="roster"' not in response.content
    client.post(reverse("admin:core_importrun_upload"), {"kind": "roster", "file": upload()})
    assert not ImportRun.objects.exists()


def test_a_database_failure_in_the_middle_of_an_upload_is_shown_with_where_it_stopped(client_en, monkeypatch):
    roster_fails_after_line_3(monkeypatch)
    response = client_en.post(
        reverse("admin:core_importrun_upload"), {"kind": "roster", "file": upload(content=FOUR_EMPLOYEES)}, follow=True
    )
    run = ImportRun.objects.get()
    assert response.redirect_chain[-1][0] == reverse("admin:core_importrun_change", args=[run.pk])
    assert run.status == ImportRun.Status.FAILED and run.rejected == 0
    errors = [str(m) for m in response.context["messages"] if m.level_tag == "error"]
    assert len(errors) == 1 and run.message in errors[0] and "failed" in errors[0]
    assert "stopped after line 3 (batch 1); re-run the same file to complete it" in response.content.decode()
    assert sorted(Employee.objects.values_list("employee_id", flat=True)) == ["E1", "E2"]
