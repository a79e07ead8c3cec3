"""Nobody learns a confidential field's value by filtering, searching or sorting a list (issue 14).

The security review found an auditor could name a whistleblower through the admin URL: the case admin
refused `?reporter_employee=<id>` by comparing the lookup's first part with the field's name, but Django
also takes the column's name, `?reporter_employee_id=<id>` ("1 result" for the reporter, "0" for anyone
else), and its `__in`, ranges and `__isnull`. Here every declared confidential field (core/confidential.py,
discovered from the models: a new one is covered without editing this file) is probed in every lookup
form, from its own model's list and through the relations of every other registered admin, as every role:
for a role that may not read the field, the list answers the same to the right value and to a wrong
one (and refuses the lookup where it may open the list), while the readers' lists filter by it. The
same for the search box and the sort of a column, on an admin that offers them (a site built for the
test: no admin of Vigie offers them today), and for the API's filters.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.db import models
from django.db.models import Model
from django.test import Client, RequestFactory
from django.urls import reverse
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.test import APIRequestFactory, force_authenticate

from core.admin_site import VigieAdminSite
from core.confidential import declarations, hidden_field
from tests.core.admin_records import make_record
from tests.core.test_admin_walk import USERS, users  # noqa: F401 - a fixture
from tests.core.test_api_permission_matrix import COLLECTIONS

pytestmark = pytest.mark.django_db

SECRET, OTHER = "Zorglub-Secret", "Nobody-Else"


def _text_fields(model: type[Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if isinstance(f, (models.CharField, models.TextField))]


class Probe:
    """One confidential field of one record: its value, another value, and the lookups that ask about it."""

    def __init__(self, model: type[Model], field: models.Field) -> None:
        self.model = model
        self.field: Any = field  # a text or a relation, read by what it is
        if self.field.is_relation:
            related: Any = field.related_model
            self.value, self.other = make_record(related).pk, make_record(related).pk
        elif isinstance(field, (models.CharField, models.TextField)):
            self.value, self.other = SECRET, OTHER
        else:  # pragma: no cover - the day a confidential date or number is declared
            pytest.fail(f"teach {__name__} the values of a {type(field).__name__} ({model.__name__}.{field.name})")

    def set_on(self, record: Model) -> None:
        value = self.field.related_model.objects.get(pk=self.value) if self.field.is_relation else self.value
        type(record)._default_manager.filter(pk=record.pk).update(**{self.field.name: value})

    def lookups(self) -> Iterator[tuple[dict[str, str], dict[str, str], bool]]:
        """(a query naming the record's value, the same query with another value, whether Django lets a
        reader filter by it: a lookup through two relations or a range on a relation it refuses anyway)."""
        name, attname, value, other = self.field.name, self.field.attname, str(self.value), str(self.other)
        if self.field.is_relation:
            target = self.field.related_model._meta.pk.name
            for key in (
                name,
                attname,
                f"{name}__exact",
                f"{attname}__exact",
                f"{name}__in",
                f"{attname}__in",
                f"{name}__pk",
                f"{name}__{target}",
                f"{name}__{target}__in",
            ):
                yield {key: value}, {key: other}, True
            yield (
                {f"{attname}__gte": value, f"{attname}__lte": value},
                {f"{attname}__gte": other, f"{attname}__lte": other},
                True,
            )
            yield {f"{attname}__range": f"{value},{value}"}, {f"{attname}__range": f"{other},{other}"}, False
            yield {f"{name}__isnull": "False"}, {f"{name}__isnull": "True"}, True
            yield {f"{attname}__isnull": "False"}, {f"{attname}__isnull": "True"}, True
            for text in _text_fields(self.field.related_model)[:2]:
                current = str(getattr(self.field.related_model.objects.get(pk=self.value), text.name))
                key = f"{name}__{text.name}__startswith"
                yield {key: current[:3]}, {key: "~~~"}, False
        else:
            for key, (mine, theirs) in {
                name: (value, other),
                f"{name}__exact": (value, other),
                f"{name}__iexact": (value.upper(), other),
                f"{name}__startswith": (value[:4], other[:4]),
                f"{name}__istartswith": (value[:4].lower(), other[:4]),
                f"{name}__contains": (value[3:8], other[3:8]),
                f"{name}__icontains": (value[3:8].lower(), other[3:8]),
                f"{name}__endswith": (value[-4:], other[-4:]),
                f"{name}__in": (value, other),
                f"{name}__gt": (value[:-1], value),
                f"{name}__isnull": ("False", "True"),
            }.items():
                yield {key: mine}, {key: theirs}, True
            # Refused to everyone: a pattern the database cannot read was a server error.
            yield {f"{name}__regex": f"^{value[:4]}"}, {f"{name}__regex": f"^{other[:4]}"}, False
            yield {f"{name}__gte": value, f"{name}__lte": value}, {f"{name}__gte": other, f"{name}__lte": other}, True


#: "app_label.model.field" of every declared confidential field.
DECLARED = [f"{model._meta.label_lower}.{name}" for model, declared in declarations() for name in declared.fields]


def test_the_reporter_is_declared_confidential():
    assert {
        "compliance.conflictofinterestcase.reporter_employee",
        "compliance.conflictofinterestcase.reporter_name",
        "compliance.conflictofinterestcase.persons_concerned_identities",
    } <= set(DECLARED)


def relations_to(model: type[Model]) -> list[tuple[type[Model], str]]:
    """(registered model, the relation's query name) for every admin whose model has a relation to `model`."""
    return [
        (other, field.name)
        for other in admin.site._registry
        for field in other._meta.get_fields()
        if field.is_relation and field.related_model is model
    ]


def record_behind(probe: Probe, holder: type[Model], relation: str | None) -> Model:
    """A record of the declared model carrying the probe's value, linked to a record of `holder`."""
    record = make_record(probe.model)
    probe.set_on(record)
    if relation is None:
        return record
    listed = make_record(holder)
    field: Any = holder._meta.get_field(relation)  # a relation, either way
    if field.many_to_many or field.one_to_many:
        getattr(listed, relation).add(record) if field.many_to_many else record.__class__._default_manager.filter(
            pk=record.pk
        ).update(**{field.field.name: listed})
    else:
        holder._default_manager.filter(pk=listed.pk).update(**{relation: record})
    return listed


def answer(client: Client, url: str, query: dict[str, str]) -> tuple[Any, ...]:
    response = client.get(url, query)
    status = response.status_code
    rows = ()
    if status == 200 and response.context and "cl" in response.context:
        rows = tuple(row.pk for row in response.context["cl"].result_list)
    return status, response.get("Location", ""), rows


def refused(status: int, location: str) -> bool:
    return status in (400, 403) or (status == 302 and location.endswith("?e=1"))


@pytest.mark.parametrize("declared", DECLARED)
def test_no_list_tells_a_confidential_value_to_who_may_not_read_it(users, declared):
    label, _dot, field_name = declared.rpartition(".")
    model = apps.get_model(label)
    probe = Probe(model, model._meta.get_field(field_name))
    problems = []
    for holder, relation in [(probe.model, None), *relations_to(probe.model)]:
        listed = record_behind(probe, holder, relation)
        url = reverse(f"admin:{holder._meta.app_label}_{holder._meta.model_name}_changelist")
        prefix = f"{relation}__" if relation else ""
        for name in USERS:
            user = users[name]
            client = Client(raise_request_exception=False)
            client.force_login(user)
            reader = hidden_field(user, probe.model, probe.field.name) is None
            for mine, theirs, readers_filter in probe.lookups():
                mine = {prefix + key: value for key, value in mine.items()}
                theirs = {prefix + key: value for key, value in theirs.items()}
                right, wrong = answer(client, url, mine), answer(client, url, theirs)
                if right[0] >= 500 or wrong[0] >= 500:
                    problems.append(f"{name}: {url} {mine} answered {right[0]}, {theirs} {wrong[0]}")
                elif not reader and (right != wrong or not refused(*right[:2])):
                    problems.append(
                        f"{name} may not read {probe.field.name}: {url} {mine} answered {right}, "
                        f"{theirs} answered {wrong}"
                    )
                elif reader and readers_filter and relation is None and listed.pk not in right[2]:
                    problems.append(f"{name} reads {probe.field.name}: {url} {mine} answered {right}, not the record")
            if isinstance(probe.value, str):  # the search box: the value itself as the term
                right, wrong = answer(client, url, {"q": probe.value}), answer(client, url, {"q": probe.other})
                if not reader and right != wrong:
                    problems.append(
                        f"{name} may not read {probe.field.name}: {url} searching its value answered "
                        f"{right}, another value {wrong}"
                    )
    assert not problems, "\n".join(problems)


# --- an admin that offers the confidential fields in its search box, columns and sidebar -----------------


@pytest.fixture
def generous_site():
    """A site whose admins search, sort and filter by the reporter and the identities kept, as an admin
    written later might: the site, not each admin, must keep them from who may not read them."""
    from compliance.models import ConflictOfInterestCase
    from organization.models import Employee

    # Named as the real site: its pages link to the real site's URLs (the look reverses "<site>:app_list").
    site = VigieAdminSite(name="admin")

    class CaseAdmin(admin.ModelAdmin):
        list_display = ["reference", "reporter_name", "reporter_employee", "persons_concerned_identities"]
        list_filter = ["reporter_employee", "reporter_name", "status"]
        search_fields = [
            "reference",
            "reporter_name",
            "=reporter_employee__employee_id",
            "persons_concerned_identities",
        ]

    class EmployeeAdmin(admin.ModelAdmin):
        list_display = ["employee_id", "last_name"]
        list_filter = ["coi_cases__reporter_name"]
        search_fields = ["employee_id", "coi_cases__reporter_name"]

    site.register(ConflictOfInterestCase, CaseAdmin)
    site.register(Employee, EmployeeAdmin)
    return site


def changelist(site: VigieAdminSite, model: type[Model], user: Any, query: dict[str, str]) -> Any:
    request = RequestFactory().get("/", query)
    request.user = user
    response = site._registry[model].changelist_view(request)
    return response.render() if hasattr(response, "render") else response


@pytest.fixture
def two_cases():
    from tests.compliance.factories import CaseFactory
    from tests.factories import EmployeeFactory

    alice = EmployeeFactory(employee_id="ALICE-1", last_name="Aardvark")
    zoe = EmployeeFactory(employee_id="ZOE-9", last_name="Zzyzx")
    first = CaseFactory(
        reference="COI-B",
        reporter_name="Aaron Zorglub-Secret",
        reporter_employee=alice,
        persons_concerned_identities="Aaron Zorglub-Secret (A1)",
    )
    second = CaseFactory(
        reference="COI-A",
        reporter_name="Zachary Other",
        reporter_employee=zoe,
        persons_concerned_identities="Zachary Other (Z9)",
    )
    concerned = EmployeeFactory(employee_id="CONCERNED-1")
    first.persons_concerned.add(concerned)
    return first, second


def test_search_sort_and_sidebar_of_any_admin_keep_confidential_fields_from_who_may_not_read_them(
    users, generous_site, two_cases
):
    from compliance.models import ConflictOfInterestCase
    from organization.models import Employee

    first, second = two_cases
    problems = []
    for name in USERS:
        user = users[name]
        reader = hidden_field(user, ConflictOfInterestCase, "reporter_name") is None
        if not generous_site._registry[ConflictOfInterestCase].has_view_permission(_req(user)):
            continue
        for term in ("Zorglub", "ALICE-1", "A1)"):
            rows = [
                case.pk
                for case in changelist(generous_site, ConflictOfInterestCase, user, {"q": term})
                .context_data["cl"]
                .result_list
            ]
            if (first.pk in rows) is not reader or second.pk in rows:
                problems.append(f"{name}: searching {term!r} listed {rows}")
        people = [
            e.pk for e in changelist(generous_site, Employee, user, {"q": "Zorglub"}).context_data["cl"].result_list
        ]
        if bool(people) is not reader:
            problems.append(f"{name}: searching employees by a reporter's name listed {people}")
        # The columns of the reporter's name, the reporter and the identities kept: sorted by reference
        # (COI-A before COI-B) for who may not read them, by the reporter (Aaron before Zachary) for readers.
        unsorted = changelist(generous_site, ConflictOfInterestCase, user, {}).context_data["cl"]
        for column in ("reporter_name", "reporter_employee", "persons_concerned_identities"):
            for sign in ("", "-"):
                order = f"{sign}{unsorted.list_display.index(column)}"
                rows = [
                    case.pk
                    for case in changelist(generous_site, ConflictOfInterestCase, user, {"o": order})
                    .context_data["cl"]
                    .result_list
                ]
                by_reporter = [first.pk, second.pk] if not sign else [second.pk, first.pk]
                if reader and rows != by_reporter:
                    problems.append(f"{name}: ?o={order} ({column}) did not sort by it: {rows}")
                if not reader and rows != [case.pk for case in unsorted.result_list]:
                    problems.append(f"{name}: ?o={order} sorted by the confidential {column}: {rows}")
        body = changelist(generous_site, ConflictOfInterestCase, user, {}).content.decode()
        if not reader and (
            "Zorglub" in body.split('id="changelist-filter"')[-1] or "reporter_employee__id__exact" in body
        ):
            problems.append(f"{name}: the sidebar offers to filter by the reporter")
        sidebar = changelist(generous_site, Employee, user, {}).content.decode()
        if not reader and "Zorglub" in sidebar:
            problems.append(f"{name}: the employees' sidebar lists the reporters' names")
        try:
            filtered = changelist(generous_site, Employee, user, {"coi_cases__reporter_name": first.reporter_name})
        except DisallowedModelAdminLookup:  # a 400 through the middleware
            filtered = None
        if (filtered is not None and filtered.status_code == 200) is not reader:
            problems.append(f"{name}: employees filtered by a case's reporter: {filtered}")
    assert not problems, "\n".join(problems)


def _req(user: Any) -> Any:
    request = RequestFactory().get("/")
    request.user = user
    return request


# --- the API -------------------------------------------------------------------------------------------------


def _filter_paths(collection: Any) -> list[str]:
    view = collection.view()
    paths = []
    for backend in getattr(view, "filter_backends", ()):
        if issubclass(backend, SearchFilter):
            paths += [field.lstrip("^=@$") for field in getattr(view, "search_fields", ())]
        elif issubclass(backend, OrderingFilter):
            ordering = getattr(view, "ordering_fields", None)
            assert ordering not in (None, "__all__"), f"{collection}: OrderingFilter without explicit ordering_fields"
            paths += list(ordering)
        elif hasattr(backend, "get_filterset_class"):
            filterset_class = backend().get_filterset_class(view, collection.model._default_manager.all())
            if filterset_class is not None:
                paths += [f.field_name for f in filterset_class.base_filters.values() if not f.method]
    return paths


def test_no_api_filter_search_or_ordering_reaches_a_confidential_field():
    """The API's filters, search and ordering are declared per view: none may name a confidential field
    (a filter for readers only would need the guard of core/api/filters.py, tested below)."""
    from django.contrib.auth.models import AnonymousUser

    problems = [
        f"{collection}: {path}"
        for collection in COLLECTIONS
        for path in _filter_paths(collection)
        if hidden_field(AnonymousUser(), collection.model, path) is not None
    ]
    assert not problems, "API lookups reaching confidential fields: " + ", ".join(problems)


def test_an_api_filter_on_a_confidential_field_is_ignored_for_who_may_not_read_it(users, two_cases):
    """A viewset that would offer `?reporter_employee=` and `?reporter_name=`: the filter backend drops
    them for anyone but readers (an unknown parameter, as DRF ignores any)."""
    from compliance.api.cases import CaseFilter, CaseViewSet

    class GenerousFilter(CaseFilter):
        class Meta(CaseFilter.Meta):
            fields = [*CaseFilter.Meta.fields, "reporter_employee", "reporter_name", "persons_concerned_identities"]

    view = CaseViewSet.as_view({"get": "list"}, filterset_class=GenerousFilter)
    first, second = two_cases
    problems = []
    for name in USERS:
        user = users[name]
        reader = hidden_field(user, first.__class__, "reporter_name") is None
        for query in (
            {"reporter_employee": first.reporter_employee_id},
            {"reporter_name": first.reporter_name},
            {"persons_concerned_identities": first.persons_concerned_identities},
        ):
            request = APIRequestFactory().get("/api/compliance/coi-cases/", query)
            force_authenticate(request, user)
            response = view(request)
            if response.status_code != 200:
                continue  # a role that may not list the cases
            listed = {row["id"] for row in response.data["results"]}
            expected = {first.pk} if reader else {first.pk, second.pk}
            if listed != expected:
                problems.append(f"{name}: {query} listed {sorted(listed)}, expected {sorted(expected)}")
    assert not problems, "\n".join(problems)
