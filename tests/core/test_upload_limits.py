"""Size limits of what the API and the admin accept (issue 8): an import file over VIGIE_IMPORT_MAX_BYTES is
refused with its size and the limit, through the API (413) and the admin form (a form error), with nothing
written: no run, no stored file, no temporary file left, and the file is not even stored whole while it is
received. A non-file body over DATA_UPLOAD_MAX_MEMORY_SIZE is a 413 naming both sizes, never a 500."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.test import Client, RequestFactory
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.imports.uploads import OversizedUpload, SizeLimitUploadHandler, UploadTooLarge, import_upload
from core.models import ImportRun
from organization.models import LegalEntity
from tests.clients import admin_client, api_client
from tests.factories import LegalEntityFactory, UserFactory

pytestmark = pytest.mark.django_db

LIMIT = 1000
HEADER = b"employee_id;entity_code;hired_on\n"


def roster(size: int, name: str = "roster.csv") -> SimpleUploadedFile:
    """A valid roster CSV of `size` bytes."""
    rows: list[bytes] = []
    line = 0
    while len(HEADER) + sum(map(len, rows)) < size:
        line += 1
        rows.append(f"E{line:07d};ALS;2020-01-01\n".encode())
    content = (HEADER + b"".join(rows))[:size]
    return SimpleUploadedFile(name, content, "text/csv")


@pytest.fixture
def limits(settings, tmp_path, roles):
    """A small import limit, temporary upload files in a folder of the test's (and always on disk, not in
    memory, so that a file kept whole would show), stored files in another."""
    LegalEntityFactory(code="ALS")
    settings.VIGIE_IMPORT_MAX_BYTES = LIMIT
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploads")
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "uploads").mkdir()
    return tmp_path


def nothing_written(tmp_path) -> bool:
    return (
        not ImportRun.objects.exists()
        and not list((tmp_path / "uploads").iterdir())
        and not (tmp_path / "media").exists()
    )


# --- the API --------------------------------------------------------------------------------------------


def token_client() -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=UserFactory(groups=['Training manager'])).key}"
    )
    return client


def test_an_api_upload_over_the_limit_is_413_with_its_size_and_the_limit(limits):
    response = token_client().post("/api/imports/roster/", {"file": roster(5000)}, format="multipart")
    assert response.status_code == 413
    assert response.json() == {
        "detail": "The file “roster.csv” is too large: 4.9\xa0KB (5000 bytes); the limit is 1000\xa0bytes."
    }
    assert nothing_written(limits)


def test_a_session_upload_over_the_limit_is_refused_too(limits):
    # A session login's CSRF check reads the body during authentication, before the view: the limit is in
    # place by then.
    client = api_client("Training manager", language="en")
    response = client.post("/api/imports/roster/", {"file": roster(20_000)}, format="multipart")
    assert response.status_code == 413
    assert "“roster.csv” is too large" in response.json()["detail"] and "20000 bytes" in response.json()["detail"]
    assert nothing_written(limits)


def test_a_request_far_over_the_limit_is_413_before_its_body_is_read(limits):
    response = token_client().post("/api/imports/roster/", {"file": roster(200_000)}, format="multipart")
    assert response.status_code == 413
    detail = response.json()["detail"]
    assert detail.startswith("The request is too large: 195.") and detail.endswith(
        "the limit for a file is 1000\xa0bytes."
    )
    assert nothing_written(limits)


def test_an_upload_at_the_limit_is_imported(limits):
    response = token_client().post("/api/imports/roster/", {"file": roster(LIMIT)}, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["size"] == LIMIT
    assert not list((limits / "uploads").iterdir())  # the temporary upload is gone once answered


def test_a_json_body_over_the_request_limit_is_413(roles, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    body = json.dumps({"code": "BIG", "name": "x" * 5000})
    response = api_client("Training manager", language="en").post(
        "/api/organization/entities/", body, content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json() == {
        "detail": f"The request body is too large: 4.9\xa0KB ({len(body.encode())} bytes); the limit is 1000\xa0bytes."
    }
    assert not LegalEntity.objects.filter(code="BIG").exists()


def test_a_form_encoded_body_over_the_request_limit_is_413(roles, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    response = api_client("Training manager", language="en").post(
        "/api/organization/entities/",
        urlencode({"code": "BIG", "name": "x" * 5000}),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert not LegalEntity.objects.filter(code="BIG").exists()


def test_multipart_fields_over_the_request_limit_are_413_not_500(limits, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    response = token_client().post(
        "/api/imports/roster/", {"file": roster(100), "note": "x" * 5000}, format="multipart"
    )
    assert response.status_code == 413
    assert "the limit is 1000\xa0bytes besides the files" in response.json()["detail"]
    assert nothing_written(limits)


def test_a_body_within_the_limit_is_read_as_before(roles, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    response = api_client("Training manager").post(
        "/api/organization/entities/", {"code": "SMALL", "name": "Small"}, format="json"
    )
    assert response.status_code == 201


# --- the admin ------------------------------------------------------------------------------------------


def test_an_admin_upload_over_the_limit_is_a_form_error(limits):
    browser = admin_client("Training manager", language="en")
    response = browser.post(reverse("admin:core_importrun_upload"), {"kind": "roster", "file": roster(20_000)})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "file": ["The file “roster.csv” is too large: 19.5\xa0KB (20000 bytes); the limit is 1000\xa0bytes."]
    }
    assert nothing_written(limits)


def test_the_admin_upload_form_still_checks_the_csrf_token(limits):
    # The view reads its body only once the size limit is in place, so it does its CSRF check itself.
    user = UserFactory(groups=["Training manager"])
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    response = browser.post(reverse("admin:core_importrun_upload"), {"kind": "roster", "file": roster(100)})
    assert response.status_code == 403
    assert not ImportRun.objects.exists()
    page = browser.get(reverse("admin:core_importrun_upload"))
    token = page.cookies["csrftoken"].value
    response = browser.post(
        reverse("admin:core_importrun_upload"), {"kind": "roster", "file": roster(100), "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert ImportRun.objects.get().file_name == "roster.csv"


# --- while the file is received ---------------------------------------------------------------------------


class CountingTemporaryHandler(TemporaryFileUploadHandler):
    """Django's temporary-file handler, counting what it was given."""

    received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        CountingTemporaryHandler.received += len(raw_data)
        return super().receive_data_chunk(raw_data, start)


def test_past_the_limit_a_file_is_counted_not_stored(settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    CountingTemporaryHandler.received = 0
    size, chunk = 1_000_000, 64 * 1024
    request = RequestFactory().post("/", {"file": SimpleUploadedFile("big.csv", b"x" * size)})
    request.upload_handlers = [SizeLimitUploadHandler(request, limit=100_000), CountingTemporaryHandler(request)]
    upload = request.FILES["file"]
    assert isinstance(upload, OversizedUpload)
    assert (upload.name, upload.size, upload.read()) == ("big.csv", size, b"")
    # The temporary handler got at most the limit (in whole chunks), and its file is already deleted.
    assert CountingTemporaryHandler.received <= 100_000
    assert CountingTemporaryHandler.received >= 100_000 - chunk
    assert not list(tmp_path.iterdir())


def test_import_upload_refuses_an_oversized_file_before_anything(limits, english_messages):
    with pytest.raises(UploadTooLarge, match="“roster.csv” is too large: 1001\xa0bytes; the limit is 1000\xa0bytes"):
        import_upload("roster", roster(LIMIT + 1), user=UserFactory())
    assert nothing_written(limits)


def test_the_messages_are_french_by_default(limits):
    client = token_client()
    client.defaults.pop("HTTP_ACCEPT_LANGUAGE")
    response = client.post("/api/imports/roster/", {"file": roster(5000)}, format="multipart")
    assert response.json() == {
        "detail": "Le fichier « roster.csv » est trop volumineux : 4,9\xa0Kio (5000 octets) ; la "
        "limite est de 1000\xa0octets."
    }
