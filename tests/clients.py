"""Clients logged in with a role, for the admin and API tests of every app, and what the admin told them.

The groups come from `manage.py setup_roles`: use the `roles` fixture (tests/conftest.py) with them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.contrib.messages import get_messages
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import UserFactory

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse


def _headers(language: str | None) -> dict[str, str]:
    # Without a language the site's own (French) is used, as for a browser that asks for none.
    return {"Accept-Language": language} if language else {}


def admin_client(*groups: str, language: str | None = None) -> Client:
    """A browser logged in as a staff user of `groups` (none: a user without any permission)."""
    client = Client(headers=_headers(language))
    client.force_login(UserFactory(groups=list(groups)))
    return client


def api_client(*groups: str, language: str | None = None) -> APIClient:
    """An API client authenticated as a user of `groups` (none: a user without any permission)."""
    client = APIClient(headers=_headers(language))
    client.force_authenticate(UserFactory(groups=list(groups)))
    return client


def messages_of(response: TestResponse) -> list[str]:
    """The admin messages (django.contrib.messages) a response left, as text."""
    return [str(message) for message in get_messages(response.wsgi_request)]


def list_cells(body: str, field: str) -> list[str]:
    """The texts of an admin list's column `field` (its `<td class="... field-<field> ...">` cells), in order:
    what the list shows whatever the look adds to the cells (classes, data-label)."""
    cells = re.findall(rf'<td class="[^"]*\bfield-{re.escape(field)}\b[^"]*"[^>]*>(.*?)</td>', body, re.S)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]


def logged_in(*groups: str, language: str | None = "en", **user_fields: object) -> tuple[Client, object]:
    """A browser logged in as a new staff user of `groups` (with `user_fields`), and that user."""
    user = UserFactory(groups=list(groups), **user_fields)
    client = Client(headers=_headers(language))
    client.force_login(user)
    return client, user


def page_of(response: TestResponse) -> str:
    """The page a response carries, which must be one (200)."""
    assert response.status_code == 200, response.status_code
    return response.content.decode()
