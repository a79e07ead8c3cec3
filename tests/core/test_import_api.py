"""`POST /api/imports/<kind>/` and `GET /api/imports/runs/`."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from core.models import ImportRun
from organization.models import Employee
from tests.core.importers import FOUR_EMPLOYEES, roster_fails_after_line_3
from tests.factories import LegalEntityFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media")]
ROSTER = b"employee_id;entity_code;hired_on\nE1;ALS;2020-01-01\nE2;NOPE;2020-01-01\n"


@pytest.fixture(autouse=True)
def entity():
    return LegalEntityFactory(code="ALS")


def client_with(*codenames: str) -> APIClient:
    user = UserFactory()
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def post(client: APIClient, kind: str = "roster", content: bytes = ROSTER, name: str = "roster.csv", **data):
    upload = SimpleUploadedFile(name, content, "text/csv")
    return client.post(f"/api/imports/{kind}/", {"file": upload, **data}, format="multipart")


def test_an_upload_answers_201_with_the_counts_and_the_rejects_inline():
    response = post(client_with("add_employee"))
    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["file_name"], body["status"]) == ("roster", "roster.csv", "completed_with_rejects")
    assert (body["rows_read"], body["created"], body["rejected"]) == (2, 1, 1)
    assert body["rejects"] == [{"line": 3, "reason": "entity_code: unknown entity 'NOPE'"}]
    assert body["rejects_truncated"] is False
    assert Employee.objects.get().employee_id == "E1"


def test_a_dry_run_upload_counts_and_writes_nothing():
    response = post(client_with("add_employee"), dry_run="true")
    assert response.status_code == 201
    assert (response.json()["dry_run"], response.json()["created"]) == (True, 1)
    assert not Employee.objects.exists()


def test_a_strict_upload_with_a_rejected_row_is_rolled_back():
    response = post(client_with("add_employee"), strict="true")
    assert response.status_code == 201
    assert response.json()["status"] == "rolled_back"
    assert not Employee.objects.exists()


def test_a_refused_file_answers_400_with_the_reason():
    response = post(client_with("add_employee"), content=b"matricule;nom\nE1;Dupont\n")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("refused: missing required column(s): entity_code, hired_on")
    assert ImportRun.objects.get().status == ImportRun.Status.REFUSED


def test_a_database_failure_in_the_middle_answers_503_with_where_it_stopped(monkeypatch):
    roster_fails_after_line_3(monkeypatch)
    response = post(client_with("add_employee"), content=FOUR_EMPLOYEES.encode())
    assert response.status_code == 503
    run = ImportRun.objects.get()
    assert response.json() == {"detail": run.message, "run": run.pk}
    assert run.status == ImportRun.Status.FAILED and run.rejected == 0
    assert run.message.startswith("database error while writing lines 4 to 5: ")
    assert run.message.endswith("stopped after line 3 (batch 1); re-run the same file to complete it")
    assert sorted(Employee.objects.values_list("employee_id", flat=True)) == ["E1", "E2"]


def test_without_the_add_permission_of_the_model_the_answer_is_403():
    response = post(client_with("add_legalentity", "view_importrun"))
    assert response.status_code == 403
    assert not ImportRun.objects.exists()


def test_anonymous_uploads_are_refused():
    assert post(APIClient()).status_code in (401, 403)


def test_an_unknown_kind_is_404():
    assert post(client_with("add_employee"), kind="nope").status_code == 404


def test_a_file_over_the_size_limit_is_413(settings):
    settings.VIGIE_IMPORT_MAX_BYTES = 10
    response = post(client_with("add_employee"))
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]
    assert not ImportRun.objects.exists()


def test_a_body_far_over_the_size_limit_is_413_before_it_is_read(settings):
    settings.VIGIE_IMPORT_MAX_BYTES = 10
    response = post(client_with("add_employee"), content=b"x" * 100_000)
    assert response.status_code == 413
    assert not ImportRun.objects.exists()


def test_the_runs_list_needs_the_view_permission():
    post(client_with("add_employee"))
    assert client_with().get("/api/imports/runs/").status_code == 403
    # The runs of a kind are for who may view its records (rejected rows hold raw lines).
    assert client_with("view_importrun").get("/api/imports/runs/?kind=roster").json()["results"] == []
    response = client_with("view_importrun", "view_employee").get("/api/imports/runs/?kind=roster")
    assert response.status_code == 200
    [run] = response.json()["results"]
    assert (run["kind"], run["created"], run["rejected"]) == ("roster", 1, 1)


def test_the_rejects_csv_of_a_run_can_be_downloaded():
    run_id = post(client_with("add_employee")).json()["id"]
    assert client_with("view_importrun").get(f"/api/imports/runs/{run_id}/rejects/").status_code == 404
    response = client_with("view_importrun", "view_employee").get(f"/api/imports/runs/{run_id}/rejects/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).decode("utf-8-sig").splitlines()[1].startswith("3;entity_code")


def test_the_rejects_csv_downloads_in_the_machine_dialect_and_a_wrong_dialect_is_a_400():
    run_id = post(client_with("add_employee")).json()["id"]
    client = client_with("view_importrun", "view_employee")
    response = client.get(f"/api/imports/runs/{run_id}/rejects/", {"dialect": "machine"})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    content = b"".join(response.streaming_content)
    assert not content.startswith(b"\xef\xbb\xbf")
    assert content.decode("utf-8").splitlines() == [
        "line,reason,employee_id,entity_code,hired_on",
        "3,entity_code: unknown entity 'NOPE',E2,NOPE,2020-01-01",
    ]
    for wrong in ("bogus", "MACHINE"):
        response = client.get(f"/api/imports/runs/{run_id}/rejects/", {"dialect": wrong})
        assert response.status_code == 400
        assert "french, machine" in response.json()["dialect"][0]


def test_the_dialect_of_a_csv_download_is_declared_in_the_schema(admin_client):
    schema = admin_client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/imports/runs/{id}/rejects/"]["get"]
    [parameter] = [p for p in operation["parameters"] if p["name"] == "dialect"]
    assert (parameter["in"], parameter["schema"]["enum"], parameter["schema"]["default"]) == (
        "query",
        ["french", "machine"],
        "french",
    )
    assert {"200", "400"} <= set(operation["responses"])


def test_the_upload_is_in_the_openapi_schema(admin_client):
    schema = admin_client.get("/api/schema/").content.decode()
    assert "/api/imports/{kind}/" in schema and "/api/imports/runs/" in schema
    assert "multipart/form-data" in schema
