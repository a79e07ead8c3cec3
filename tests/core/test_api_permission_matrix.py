"""The API permission matrix: every collection × every role, derived from core/roles.py.

In the style of NetBox's API test mixins, but table-driven: the collections are discovered from the
URL resolver (every route under `api/` named `*-list`, plus the reporting export), so a collection
added later is covered without editing this file. The expected answer of each (collection, group)
comes from the role table (core/roles.py) and the model behind the endpoint's queryset, never from
a hand-written list:

- anonymous GET → 401/403; authenticated user without any group → 403;
- GET by a group → 200 if its role grants `view` on the model's app, else 403;
- POST with an empty body by the auditor, or by any group without `add` → 403 (the permission check
  comes before validation: never 201, 400 or 405);
- POST with an empty body by a group with `add` → not refused (neither 401 nor 403) and no 500;
- a collection of a sealed app (aml, core/roles.py `seal_of`) answers 404 to anyone but its role's members
  (anonymous, no group, every other role), GET and POST alike: for them the path does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db.models import Model
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet

from core.roles import AUDITOR, ROLES, Role, seal_of
from tests.clients import api_client

# Endpoints whose list route is not a router's `*-list` (path, query string).
EXPLICIT = {"/api/reporting/indicators/": "?year=2023"}

# The collections docs/interfaces.md promises: discovery must find at least these.
DOCUMENTED = {
    "/api/organization/employees/",
    "/api/gdpr/rights-requests/",
    "/api/gdpr/cnil-cases/",
    "/api/gdpr/breaches/",
    "/api/gdpr/processing-activities/",
    "/api/compliance/coi-cases/",
    "/api/compliance/risk-maps/",
    "/api/training/modules/",
    "/api/training/completions/",
    "/api/reporting/indicators/",
}


@dataclass(frozen=True)
class Collection:
    path: str
    query: str
    view: type[APIView]
    model: type[Model]

    @property
    def url(self) -> str:
        return self.path + self.query

    def __str__(self) -> str:
        return self.path.removeprefix("/api/").rstrip("/")


def _walk(patterns: list, prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def _model_of(view_class: type[APIView], path: str) -> type[Model]:
    """The model the view's permission check uses: `queryset.model`, else `get_queryset().model`."""
    queryset = getattr(view_class, "queryset", None)
    if queryset is None:
        # Only a viewset works its queryset out (get_queryset, which may read the action) without a class one.
        assert issubclass(view_class, GenericViewSet), view_class
        view = view_class()
        view.request = Request(APIRequestFactory().get(path))
        view.action, view.args, view.kwargs, view.format_kwarg = "list", (), {}, None
        queryset = view.get_queryset()
    return queryset.model


def discover() -> list[Collection]:
    """Every list route under `api/` (router `*-list` without URL arguments) and the explicit ones."""
    found: dict[str, Collection] = {}
    for route, pattern in _walk(get_resolver().url_patterns):
        if not route.startswith("api/"):
            continue
        view_class = getattr(pattern.callback, "cls", None)
        if view_class is None:
            continue
        path = "/" + route.replace("^", "").replace("$", "")
        is_list = (pattern.name or "").endswith("-list") and pattern.pattern.regex.groups == 0
        if is_list or path in EXPLICIT:
            found.setdefault(path, Collection(path, EXPLICIT.get(path, ""), view_class, _model_of(view_class, path)))
    return sorted(found.values(), key=lambda c: c.path)


COLLECTIONS = discover()


def sealed(role: Role | None, model: type[Model]) -> bool:
    """Whether the seal of the model's app keeps a member of `role` (None: no group, anonymous) out."""
    seal = seal_of(model)
    return seal is not None and (role is None or role.name != seal[0])


def refused(role: Role | None, model: type[Model], otherwise: int | tuple[int, ...]) -> tuple[int, ...]:
    """The statuses of a refusal: 404 when sealed out, else `otherwise`."""
    if sealed(role, model):
        return (404,)
    return otherwise if isinstance(otherwise, tuple) else (otherwise,)


def granted(role: Role, action: str, model: type[Model]) -> bool:
    """Whether core/roles.py gives `role` the `action` permission on `model`."""
    return action in role.apps.get(model._meta.app_label, ())


def matrix(action: str, *, selected=lambda role, collection: True) -> list:
    return [
        pytest.param(collection, role, id=f"{collection}-{role.name}")
        for collection in COLLECTIONS
        for role in ROLES
        if selected(role, collection)
    ]


def test_discovery_finds_every_documented_collection():
    paths = {c.path for c in COLLECTIONS}
    assert paths, "no API collection discovered"
    assert DOCUMENTED <= paths, f"not discovered: {sorted(DOCUMENTED - paths)}"
    assert {c.model._meta.label for c in COLLECTIONS if c.path == "/api/reporting/indicators/"} == {
        "reporting.IndicatorValue"
    }


def test_the_matrix_has_both_outcomes():
    """The role table must allow and refuse somewhere, or the matrix would test nothing."""
    outcomes = {granted(role, "view", c.model) for c in COLLECTIONS for role in ROLES}
    assert outcomes == {True, False}


@pytest.mark.django_db
@pytest.mark.parametrize("collection", COLLECTIONS, ids=str)
def test_anonymous_is_refused(collection):
    expected = refused(None, collection.model, (401, 403))
    response = APIClient().get(collection.url)
    assert response.status_code in expected, (collection.url, response.status_code)
    response = APIClient().post(collection.path, {}, format="json")
    assert response.status_code in expected, (collection.path, response.status_code)


@pytest.mark.parametrize("collection", COLLECTIONS, ids=str)
def test_user_without_group_is_refused(roles, collection):
    client = api_client()
    expected = refused(None, collection.model, 403)
    assert client.get(collection.url).status_code in expected
    assert client.post(collection.path, {}, format="json").status_code in expected


@pytest.mark.parametrize(("collection", "role"), matrix("view"))
def test_get_follows_the_view_permission(roles, collection, role):
    expected = 200 if granted(role, "view", collection.model) else refused(role, collection.model, 403)[0]
    response = api_client(role.name).get(collection.url)
    assert response.status_code == expected, (
        f"GET {collection.url} as {role.name} (model {collection.model._meta.label}): "
        f"expected {expected}, got {response.status_code}"
    )


@pytest.mark.parametrize(
    ("collection", "role"),
    matrix("add", selected=lambda role, c: role.name == AUDITOR or not granted(role, "add", c.model)),
)
def test_post_without_add_is_refused(roles, collection, role):
    expected = refused(role, collection.model, 403)[0]
    response = api_client(role.name).post(collection.path, {}, format="json")
    assert response.status_code == expected, (
        f"POST {collection.path} as {role.name} (model {collection.model._meta.label}): "
        f"expected {expected}, got {response.status_code}"
    )


@pytest.mark.parametrize(
    ("collection", "role"),
    matrix("add", selected=lambda role, c: role.name != AUDITOR and granted(role, "add", c.model)),
)
def test_post_with_add_passes_the_permission_check(roles, collection, role):
    response = api_client(role.name).post(collection.path, {}, format="json")
    assert response.status_code not in (401, 403) and response.status_code < 500, (
        f"POST {collection.path} as {role.name} (model {collection.model._meta.label}): "
        f"expected the permission check to pass, got {response.status_code}"
    )
