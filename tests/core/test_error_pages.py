"""The 403 and 404 pages (core/errors.py, issue 16): the admin's look for who may use the admin, a plain
page otherwise, in French, with a way back; their status codes kept; a 403 logged as one INFO line without
a traceback; JSON under /api/."""

from __future__ import annotations

import logging
import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.clients import admin_client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
UPLOAD = "/admin/core/importrun/upload/"  # PermissionDenied for a user who may import nothing


def test_a_refused_admin_page_is_in_the_admin_look_in_french_with_a_way_back(roles):
    client = admin_client()  # staff, no permission
    response = client.get(UPLOAD, headers={"Referer": "http://testserver/admin/"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "Accès refusé" in body and "Votre rôle ne donne pas accès à cette page" in body
    assert 'id="header"' in body or 'id="site-name"' in body  # the admin's own frame
    assert f'href="{reverse("admin:index")}"' in body and "Revenir à mon bureau" in body
    assert 'href="http://testserver/admin/">Revenir à la page précédente' in body
    assert "403 Forbidden" not in body and "Forbidden" not in body


def test_a_previous_page_elsewhere_is_not_offered(roles):
    response = admin_client().get(UPLOAD, headers={"Referer": "https://evil.example/phish"})
    assert response.status_code == 403
    assert "evil.example" not in response.content.decode()


def test_a_missing_admin_page_is_a_404_in_the_admin_look(roles):
    response = admin_client("DPO").get("/admin/no-such-page/here/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Page introuvable" in body and "Revenir à mon bureau" in body


def test_someone_who_may_not_use_the_admin_gets_a_plain_page():
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Page introuvable" in body and "Revenir à l’accueil" in body
    assert 'id="nav-sidebar"' not in body and "site-name" not in body


def test_a_non_staff_user_gets_the_plain_page_too():
    client = Client()
    client.force_login(UserFactory(is_staff=False))
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "nav-sidebar" not in response.content.decode()


def test_the_api_keeps_answering_json():
    response = Client().get("/api/no-such-endpoint/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json" and set(response.json()) == {"detail"}


def test_a_403_is_logged_as_one_info_line_without_a_traceback(roles, caplog):
    client = admin_client()
    with caplog.at_level(logging.DEBUG, logger="django.request"):
        assert client.get(UPLOAD).status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1
    (record,) = records
    assert record.levelno == logging.INFO
    assert record.exc_info is None and record.exc_text is None
    assert UPLOAD in record.getMessage()
    assert "Traceback" not in caplog.text


def test_a_404_is_logged_without_a_traceback(caplog):
    with caplog.at_level(logging.DEBUG, logger="django.request"):
        assert Client().get("/admin/no-such-page/").status_code in (302, 404)
        assert Client().get("/no-such-page/").status_code == 404
    records = [r for r in caplog.records if r.name == "django.request" and getattr(r, "status_code", 0) == 404]
    assert records and all(r.exc_info is None for r in records)
    assert "Traceback" not in caplog.text


def test_the_page_is_the_same_whichever_url_was_refused(roles):
    client = admin_client()
    first = client.get("/admin/no-such-page/1/").content.decode()
    second = client.get("/admin/no-such-page/2/").content.decode()
    token = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+')
    assert token.sub(r"\1", first) == token.sub(r"\1", second)
    assert "no-such-page" not in first
