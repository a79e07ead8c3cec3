"""The number of queries of every admin list does not grow with its records (issue 17, item 4).

For each model of `admin.site._registry` (its records made by tests/core/admin_records.py: a new model is
guarded without anyone adding it here), the list is opened with a few records and again with several times
more, as the superuser and as each role that may view it: the list itself, its search, and its first
filter's first choice. Each page must ask the same number of queries at both sizes; the failure names the
model, the user, the page and the queries the larger list added (an N+1: a related object or a count read
for each row). The API collections (each `*-list` route: test_api_permission_matrix.py discovers them) the
same way, first page, as the superuser and each role that may view them. The timings are the benchmark's
(bench/admin_pages.py), not this test's.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from django.contrib import admin
from django.db import connection
from django.db.models import Model
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from core.roles import ROLES, can_view
from tests.core.admin_records import make_record, registered_models
from tests.core.test_admin_walk import users  # noqa: F401 - a fixture
from tests.core.test_api_permission_matrix import COLLECTIONS, Collection, granted

pytestmark = pytest.mark.django_db

#: Records at the small and the large size: enough rows for a query per row to show.
SMALL, LARGE = 2, 7

#: Lists known to ask a query per row, each until its admin is fixed (strict: a fixed one fails here, to be
#: removed from this list).
KNOWN: dict[str, str] = {}


def _shape(sql: str) -> str:
    """A query without its values (ids, dates, texts), to tell which kind of query was added."""
    return re.sub(r"\?(, \?)+", "?...", re.sub(r"'[^']*'|\b\d+\b", "?", sql))


class Page:
    def __init__(self, name: str, url: str) -> None:
        self.name, self.url = name, url

    def queries(self, client: Client) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(self.url)
        assert response.status_code == 200, (self.url, response.status_code)
        return [query["sql"] for query in captured.captured_queries]


def list_pages(model: type[Model], client: Client) -> list[Page]:
    """The list, its search (when it has one) and its first filter's first choice (when it has one)."""
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    found = [Page("list", url)]
    if admin.site._registry[model].search_fields:
        found.append(Page("search", f"{url}?q=a"))
    changelist = response.context["cl"]
    for spec in changelist.filter_specs:
        choices = [choice for choice in spec.choices(changelist) if not choice.get("selected")]
        if choices and choices[0].get("query_string", "?") != "?":
            found.append(Page(f"filter {spec.title}", url + choices[0]["query_string"]))
            break
    return found


def viewers(model: type[Model], users: dict[str, Any]) -> dict[str, Any]:
    return {name: user for name, user in users.items() if user.is_superuser or can_view(user, model)}


@pytest.mark.parametrize(
    "model",
    [
        pytest.param(
            model,
            id=model._meta.label_lower,
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN[model._meta.label_lower])]
            if model._meta.label_lower in KNOWN
            else [],
        )
        for model in registered_models()
    ],
)
def test_the_number_of_queries_of_a_list_does_not_grow_with_its_records(users, model):
    for n in range(SMALL):
        make_record(model, n)
    clients = {}
    for name, user in viewers(model, users).items():
        client = Client()
        client.force_login(user)
        clients[name] = (client, list_pages(model, client))  # also a first visit, which fills the caches
    assert clients, f"{model._meta.label_lower}: nobody may view its list"
    small = {(name, page.name): page.queries(client) for name, (client, pages) in clients.items() for page in pages}
    for n in range(SMALL, LARGE):
        make_record(model, n)
    problems = []
    for name, (client, pages) in clients.items():
        for page in pages:
            before, after = small[name, page.name], page.queries(client)
            if len(after) != len(before):
                problems.append(
                    f"{model._meta.label_lower}, {name}, {page.name} ({page.url}): {len(before)} queries with "
                    f"{SMALL} records, {len(after)} with {LARGE}; added:" + _added(before, after)
                )
    assert not problems, "\n".join(problems)


def _added(before: list[str], after: list[str]) -> str:
    added = Counter(map(_shape, after)) - Counter(map(_shape, before))
    return "".join(f"\n    {count}× {sql[:300]}" for sql, count in added.items())


@pytest.mark.parametrize("collection", COLLECTIONS, ids=str)
def test_the_number_of_queries_of_an_api_collection_does_not_grow_with_its_records(users, collection: Collection):
    model = collection.model
    for n in range(SMALL):
        make_record(model, n)
    readers = {"superuser": users["superuser"]}
    readers.update({role.name: users[role.name] for role in ROLES if granted(role, "view", model)})
    clients = {}
    for name, user in readers.items():
        client = APIClient()
        client.force_authenticate(user)
        assert client.get(collection.url).status_code == 200, (name, collection.url)  # fills the caches
        clients[name] = client

    def queries(client: APIClient) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(collection.url)
        assert response.status_code == 200, (collection.url, response.status_code)
        return [query["sql"] for query in captured.captured_queries]

    small = {name: queries(client) for name, client in clients.items()}
    for n in range(SMALL, LARGE):
        make_record(model, n)
    problems = []
    for name, client in clients.items():
        after = queries(client)
        if len(after) != len(small[name]):
            problems.append(
                f"{collection.url} ({model._meta.label_lower}), {name}: {len(small[name])} queries with {SMALL} "
                f"records, {len(after)} with {LARGE}; added:" + _added(small[name], after)
            )
    assert not problems, "\n".join(problems)
