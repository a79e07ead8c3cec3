"""Every list filter of every admin, with hostile values, for every role that may open the list (issue 14).

The security review found lists answering a server error to a bad filter value (`?year=0`, `?year=²`,
`?present_at_year_end=99999`, `?module=²`, a 30-digit id on SQLite...). Here the parameters are discovered,
not listed: for each model of `admin.site._registry`, the `parameter_name` of each SimpleListFilter, the
expected parameters of each field filter (and the field path itself, a lookup Django applies as it is),
the date hierarchy's year/month/day, and the search box. Each gets every hostile value, as the superuser
and as each role that may view the list: the answer is the list (the value ignored or applied), the list
without its filters (`?e=1`, Django's "wrong lookup parameters"), or a 400 for a lookup the role may not
use; never a server error. A new filter is covered without anyone adding it here.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin import FieldListFilter, SimpleListFilter
from django.contrib.admin.utils import get_fields_from_path
from django.db.models import Model
from django.test import Client, RequestFactory
from django.urls import NoReverseMatch, reverse

from core.roles import can_view
from tests.core.admin_records import make_record, registered_models
from tests.core.test_admin_walk import USERS, users  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

#: Out of range, negative, superscript and Arabic-Indic digits (str.isdigit() says True to '²'), text,
#: empty, beyond a 64-bit integer, a float, a leading space and a NUL byte (PostgreSQL refuses it in text).
HOSTILE = ["0", "-1", "99999", "²", "١٢", "abc", "", "1" * 30, "1e5", " 1", "1\x00"]


def _request(user: Any) -> Any:
    request = RequestFactory().get("/")
    request.user = user
    return request


def filter_parameters(model: type[Model], user: Any) -> list[dict[str, str]]:
    """The query strings to try on `model`'s list, each with the placeholder value "{v}"."""
    model_admin = admin.site._registry[model]
    request = _request(user)
    names: list[str] = []
    list_filters: list[Any] = list(model_admin.get_list_filter(request))  # names, classes or (name, class)
    for list_filter in list_filters:
        if isinstance(list_filter, type) and issubclass(list_filter, SimpleListFilter):
            names.append(str(list_filter.parameter_name))
            continue
        path, filter_class = (
            list_filter if isinstance(list_filter, (list, tuple)) else (list_filter, FieldListFilter.create)
        )
        field = get_fields_from_path(model, path)[-1]
        spec = filter_class(field, request, {}, model, model_admin, field_path=path)
        names += [path, *spec.expected_parameters()]
    queries = [{name: "{v}"} for name in dict.fromkeys(names)]
    queries.append({"q": "{v}"})
    if model_admin.date_hierarchy:
        hierarchy = model_admin.date_hierarchy
        queries += [
            {f"{hierarchy}__year": "{v}"},
            {f"{hierarchy}__year": "2020", f"{hierarchy}__month": "{v}"},
            {f"{hierarchy}__year": "2020", f"{hierarchy}__month": "2", f"{hierarchy}__day": "{v}"},
            # The last year a date holds: the end of the bound is in the year 10000.
            {f"{hierarchy}__year": "9999", f"{hierarchy}__month": "{v}"},
            {f"{hierarchy}__year": "9999", f"{hierarchy}__month": "12", f"{hierarchy}__day": "{v}"},
        ]
    return queries


def list_url(model: type[Model]) -> str | None:
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    except NoReverseMatch:
        return None


def test_the_walk_finds_the_filters_the_review_broke(users):
    """The discovery itself: the parameters of the server errors the review found are among those tried."""
    from compliance.models import ConflictOfInterestCase, Risk
    from organization.models import Employee
    from reporting.models import IndicatorValue
    from training.models import Attendance, Session

    superuser = users["superuser"]
    found = {
        model: {name for query in filter_parameters(model, superuser) for name in query}
        for model in (Employee, ConflictOfInterestCase, Risk, Session, Attendance, IndicatorValue)
    }
    assert {"present_at_year_end", "hired_on__year", "entity", "entity__id__exact", "q"} <= found[Employee]
    assert {"year", "entity", "entity__id__exact"} <= found[ConflictOfInterestCase]
    assert "materialised" in found[Risk]
    assert "module" in found[Session] and "module" in found[Attendance]
    assert {"year", "enjeu"} <= found[IndicatorValue]


@pytest.mark.parametrize("model", [m for m in registered_models() if list_url(m)], ids=lambda m: m._meta.label_lower)
def test_no_list_filter_value_makes_a_server_error(users, model):
    make_record(model)
    url = list_url(model)
    problems = []
    tried: set[tuple[str, ...]] = set()
    for name in USERS:
        user = users[name]
        if not (user.is_superuser or can_view(user, model)):
            continue
        client = Client(raise_request_exception=False)
        client.force_login(user)
        for query in filter_parameters(model, user):
            # A value is read the same way whoever sends it: each filter once, by the first role offered it
            # (the walk of every role took minutes; the roles' own filters are each still tried).
            if tuple(sorted(query)) in tried:
                continue
            tried.add(tuple(sorted(query)))
            for value in HOSTILE:
                data = {key: template.replace("{v}", value) for key, template in query.items()}
                response = client.get(url, data)
                status, location = response.status_code, response.get("Location", "")
                if status >= 500 or (status == 302 and not location.endswith("?e=1")) or status not in (200, 302, 400):
                    error = getattr(response, "exc_info", None)
                    why = f"{error[0].__name__}: {error[1]}" if error else location
                    problems.append(f"{name}: {url} {data!r} answered {status} {why}")
    assert not problems, "\n".join(problems)
