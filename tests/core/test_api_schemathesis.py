"""Schemathesis against the API's OpenAPI schema (issue 8): no 500, and every answer documented and shaped as
documented (status code, media type, headers, body).

The schema is the one drf-spectacular generates in-process; `test_the_served_schema_is_the_one_fuzzed` proves
`/api/schema/` serves the same document. Each operation is called through Django's WSGI handler (the
production request path: middleware, authentication, throttling, parsers, exception handler), in a
transaction rolled back at the end, with a little data seeded by factories and services; a generated id or code of an object
route is replaced by a real one in most positive cases, so detail routes and transitions reach real rows.

Two identities:
- a token of a user in the four role groups. Not a superuser: a superuser skips the permission checks, so it
  would not exercise the role table deployments use; the union of the four groups holds every add, change,
  delete and view permission the API checks, so every write is reached.
- an auditor's token (read-only everywhere): a lighter pass where every write must be a 403, documented.

Every built-in response check of schemathesis runs (not_a_server_error, status_code_conformance,
content_type_conformance, response_headers_conformance, response_schema_conformance, negative_data_rejection,
positive_data_acceptance, missing_required_header, unsupported_method, ignored_auth, ...) except in three
narrow, documented places: `positive_data_acceptance` on writes (`checks_for`), DRF's documented type
conversions (`drf_coercion`) and unknown entity/department codes in a query (`unknown_reference`).

Bounded for CI (~1.5 min on two cores): 12 fuzzed cases per operation (4 for the auditor), the coverage
phase (every boundary value of every parameter) for reads only, `derandomize` (the same cases every run),
no deadline, no example database.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.db.models import Model
from django.test import Client, override_settings
from django.urls import resolve, reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from rest_framework.settings import api_settings
from rest_framework.test import APIClient, APIRequestFactory
from schemathesis.specs.openapi.checks import positive_data_acceptance

from core.imports.uploads import import_upload
from core.roles import AUDITOR, ROLES
from tests.factories import EmployeeFactory, LegalEntityFactory, UserFactory

PARIS = timezone.get_default_timezone()
APP = WSGIHandler()
OPENAPI = SchemaGenerator().get_schema(request=None, public=True)
# Authentication is the test's token, never a generated (hence invalid) cookie or token. The coverage phase
# (every boundary value of every parameter, every unexpected method) is ~10 times the requests of the rest:
# on for reads (their filters are where garbage used to pass), off for writes, whose bodies the fuzzing
# phase covers with positive and negative cases.
GENERATION = {"with-security-parameters": False, "deterministic": True}
schema = schemathesis.openapi.from_dict(
    OPENAPI,
    config=schemathesis.Config.from_dict(
        {
            "generation": GENERATION,
            "phases": {"coverage": {"enabled": False}},
            "operations": [{"include-method": "GET", "phases": {"coverage": {"enabled": True}}}],
        }
    ),
)
schema.app = APP
# The auditor's pass: schema-valid requests only (the negative ones are the first pass's business).
audit_schema = schemathesis.openapi.from_dict(
    OPENAPI,
    config=schemathesis.Config.from_dict(
        {"generation": {**GENERATION, "mode": "positive"}, "phases": {"coverage": {"enabled": False}}}
    ),
)
audit_schema.app = APP

FUZZ = settings(
    max_examples=12, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
AUDIT = settings(
    max_examples=4, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)


def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    return not (drf_coercion(failure, case) or unknown_reference(failure, response))


schema.hook(filter_failure)
audit_schema.hook(filter_failure)


#: What DRF's fields take besides their JSON type, on purpose: CharField a number (stored as its text),
#: BooleanField 1/0 and "true"/"false"-like strings, IntegerField/FloatField a numeric string.
DRF_BOOLEANS = {
    1,
    0,
    "1",
    "0",
    "true",
    "false",
    "True",
    "False",
    "TRUE",
    "FALSE",
    "yes",
    "no",
    "Yes",
    "No",
    "YES",
    "NO",
    "on",
    "off",
    "On",
    "Off",
    "ON",
    "OFF",
    "y",
    "n",
    "Y",
    "N",
    "t",
    "f",
    "T",
    "F",
}


def _body_property(case: Any, name: str) -> dict:
    operation = OPENAPI["paths"][case.operation.path][case.operation.method.lower()]
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in body:
        body = OPENAPI["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
    return body.get("properties", {}).get(name, {})


def drf_coercion(failure: Any, case: Any) -> bool:
    """A body property that DRF converts by design, accepted on purpose and not by accident: a number for a
    text (stored as its text), 1/0 or "true"-like strings for a boolean, a numeric string for a number, and
    text one character over its maximum length whose surrounding whitespace DRF trims. Only values DRF
    documents converting are let through."""
    if type(failure).__name__ != "AcceptedNegativeData" or not isinstance(case.body, dict):
        return False
    match = re.search(r"in body - (\w+): Incorrect type", failure.message) or re.search(
        r"violates `(type|maxLength)` at /properties/(\w+) ", failure.message
    )
    if match is None:
        return False
    assert match.lastindex is not None  # both patterns end with a group
    name = match.group(match.lastindex)
    if name not in case.body or isinstance(case.body[name], bool):
        return False
    value, expected = case.body[name], _body_property(case, name)
    if "maxLength" in match.group(0):
        return isinstance(value, str) and len(value.strip()) <= expected.get("maxLength", -1)
    if expected.get("type") == "string":
        return isinstance(value, (int, float))
    if expected.get("type") == "boolean":
        return isinstance(value, (str, int, float)) and value in DRF_BOOLEANS
    if expected.get("type") in ("integer", "number") and isinstance(value, str):
        return bool(re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", value.strip()))
    return False


#: Query parameters that name other records (an entity's code, a department's name): an unknown one is a 400
#: that says which, on purpose (a typo must not read as a 0 % completion rate). JSON Schema cannot list them.
REFERENCE_PARAMETERS = {"entity", "department"}


def unknown_reference(failure: Any, response: Any) -> bool:
    if type(failure).__name__ != "RejectedPositiveData" or response.status_code != 400:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and bool(body) and set(body) <= REFERENCE_PARAMETERS


def checks_for(case: Any) -> dict[str, list]:
    """`positive_data_acceptance` runs on reads only: for a write, schema-valid is not business-valid (a
    reference to a record that does not exist, an answer dated before the receipt, a transition the record's
    state forbids) and the 400 that names the field is the right answer. Reads must accept whatever the
    schema allows (filters, pages, bounds)."""
    return {"excluded_checks": [positive_data_acceptance]} if case.method.upper() != "GET" else {}


# --- the application and its data ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory) -> Any:
    """One or two rows of each kind the API serves, written as the services write them, once for the module:
    inside a transaction that the module's end rolls back (each test's own transaction nests in it).

    Django closes the connection at the end of each request it handles (`close_old_connections`), which
    would drop the transaction: it is disconnected meanwhile, as Django's test client does. Throttling stays
    on, far above what this module sends (tests/core/test_api_throttling.py tests the limits)."""
    _keep_the_connection()
    rates = {"anon": "100000/hour", "user": "100000/hour", "upload": "100000/hour"}
    with (
        django_db_blocker.unblock(),
        transaction.atomic(),
        override_settings(
            REST_FRAMEWORK={**django_settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates},
            MEDIA_ROOT=tmp_path_factory.mktemp("media"),
        ),
    ):
        call_command("setup_roles", verbosity=0)
        users = _seed()
        yield users
        transaction.set_rollback(True)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _seed() -> dict[str, Any]:
    from compliance.services import cases, corruption, riskmaps
    from gdpr.services import breaches, cnil, register, rights
    from tests.compliance.factories import MacroProcessFactory, RiskFactory
    from tests.training.factories import CompletionFactory, ModuleFactory, PhishingCampaignFactory, SessionFactory
    from training.services import attendance_record

    actor = UserFactory(groups=[role.name for role in ROLES])
    entity = LegalEntityFactory(code="ALS")
    employee = EmployeeFactory(entity=entity)
    activity = register.processing_activity_create(actor=actor, reference="PA-0001", name="Payroll")
    request = rights.rights_request_create(
        actor=actor,
        received_at=dt.datetime(2025, 3, 5, 10, tzinfo=PARIS),
        right="access",
        requester_name="Jeanne Martin",
        processing_activities=[activity],
    )
    cnil.cnil_case_create(
        actor=actor,
        kind="referral",
        received_on=dt.date(2025, 3, 10),
        due_on=dt.date(2025, 3, 20),
        rights_request=request,
    )
    breaches.breach_create(actor=actor, aware_at=dt.datetime(2025, 3, 28, 10, tzinfo=PARIS), title="Misdirected email")
    case = cases.coi_case_create(
        actor=actor,
        reported_on=dt.date(2025, 3, 3),
        entity=entity,
        persons_concerned=[employee],
        description="A relative's loan",
    )
    risk_map = riskmaps.risk_map_create(actor=actor, kind="conflict_of_interest", title="COI map")
    process = MacroProcessFactory(kind="conflict_of_interest")
    risk = RiskFactory(map=risk_map, macro_process=process)
    riskmaps.risk_interview_record(
        actor=actor,
        risk_map=risk_map,
        held_on=dt.date(2025, 1, 15),
        function="Credit",
        function_type="business",
        macro_process=process,
    )
    cases.action_item_create(actor=actor, title="Reassign the file", due_on=dt.date(2025, 6, 30), case=case)
    cases.action_item_create(actor=actor, title="Control", due_on=dt.date(2025, 6, 30), risk=risk)
    incident = corruption.corruption_incident_create(
        actor=actor, confirmed_on=dt.date(2025, 4, 1), entity=entity, nature="passive_corruption"
    )
    corruption.legal_proceeding_create(
        actor=actor, opened_on=dt.date(2025, 4, 15), defendant="undertaking", incident=incident
    )
    module = ModuleFactory()
    CompletionFactory(employee=employee, module=module)
    session = SessionFactory()
    attendance_record(actor=actor, session=session, employee=employee, minutes_attended=90)
    PhishingCampaignFactory()
    roster = SimpleUploadedFile(
        "roster.csv", b"employee_id;entity_code;hired_on\nE1;ALS;2020-01-01\nE2;NOPE;2020-01-01\n"
    )
    import_upload("roster", roster, user=actor)  # a run with a rejected row: its rejects CSV is served
    auditor = UserFactory(groups=[AUDITOR])
    return {"every_role": Token.objects.create(user=actor).key, "auditor": Token.objects.create(user=auditor).key}


def _keep_the_connection() -> None:
    # Django's test client reconnects `close_old_connections` after each of its requests: disconnect it again.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)


@pytest.fixture
def every_role_token(seeded, db) -> str:
    _keep_the_connection()
    return seeded["every_role"]


@pytest.fixture
def auditor_token(seeded, db) -> str:
    _keep_the_connection()
    return seeded["auditor"]


# --- real ids in object routes ---------------------------------------------------------------------------

_LOOKUPS: dict[str, tuple[type[Model], str] | None] = {}


def _lookup_of(path: str) -> tuple[type[Model], str] | None:
    """The model and lookup field behind an object route (`/api/gdpr/breaches/{id}/...`)."""
    if path not in _LOOKUPS:
        _LOOKUPS[path] = None
        match = resolve(re.sub(r"\{[^}]+\}", "1", path))
        view_class = getattr(match.func, "cls", None)
        if view_class is not None and hasattr(view_class, "get_queryset"):
            view = view_class()
            view.request = APIRequestFactory().get(path)
            view.action, view.args, view.kwargs, view.format_kwarg = "retrieve", (), {}, None
            queryset = getattr(view_class, "queryset", None)
            model = queryset.model if queryset is not None else view.get_queryset().model
            _LOOKUPS[path] = (model, getattr(view_class, "lookup_field", "pk"))
    return _LOOKUPS[path]


_SEEN: dict[str, int] = {}


def use_real_objects(case: Any) -> None:
    """In three positive cases of four, point the route at a row that exists (for an import, at a real kind);
    the fourth keeps its generated value, so the 404 of a missing object is tried too."""
    parameters = case.path_parameters or {}
    if not parameters or case.meta is None or not case.meta.generation.mode.is_positive:
        return
    label = case.operation.label
    _SEEN[label] = seen = _SEEN.get(label, 0) + 1
    if seen % 4 == 0:
        return
    for name in parameters:
        if name == "kind":
            from core.imports import importers

            kinds = list(importers())
            parameters[name] = kinds[seen % len(kinds)]
            continue
        lookup = _lookup_of(case.operation.path)
        if lookup is None:
            continue
        model, field = lookup
        values = list(model._default_manager.order_by("pk").values_list(field, flat=True)[:20])
        if values:
            parameters[name] = values[seen % len(values)]


# --- the tests -------------------------------------------------------------------------------------------


@schema.parametrize()
@FUZZ
def test_api_as_every_role(case, every_role_token):
    use_real_objects(case)
    case.call_and_validate(headers={"Authorization": f"Token {every_role_token}"}, **checks_for(case))


@audit_schema.parametrize()
@AUDIT
def test_api_as_auditor(case, auditor_token):
    use_real_objects(case)
    response = case.call_and_validate(headers={"Authorization": f"Token {auditor_token}"}, **checks_for(case))
    if (
        case.method.upper() in ("POST", "PUT", "PATCH", "DELETE")
        and case.method.upper() == case.operation.method.upper()
    ):
        # Read-only everywhere: a write is refused before its body is even looked at (a path that names
        # nothing may be a 404 first).
        assert response.status_code in (403, 404, 429), (case.method, case.formatted_path, response.status_code)


@pytest.mark.django_db
def test_the_served_schema_is_the_one_fuzzed():
    client = APIClient()
    client.force_authenticate(UserFactory())
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response.json() == OPENAPI


def test_the_fuzzed_schema_covers_the_documented_collections():
    """docs/interfaces.md's collections are in the schema, so the fuzzing reaches them (with their object routes)."""
    from tests.core.test_api_permission_matrix import DOCUMENTED

    paths = set(OPENAPI["paths"])
    assert all(path.startswith("/api/") for path in paths)
    assert DOCUMENTED <= paths, sorted(DOCUMENTED - paths)
    assert {"/api/gdpr/rights-requests/{id}/", "/api/imports/{kind}/", "/api/training/modules/{code}/"} <= paths
    assert api_settings.DEFAULT_SCHEMA_CLASS.__module__ == "core.api.schema"


# --- who may read the schema ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/schema/", "/api/schema/?format=json", "/api/docs/"])
def test_the_schema_and_its_ui_are_not_public(path):
    response = Client().get(path)
    if path.startswith("/api/docs/"):
        # A browser is sent to the login page, and back afterwards.
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('admin:login')}?next=/api/docs/"
    else:
        assert response.status_code == 403
        assert b"openapi" not in response.content and b"paths" not in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/"])
def test_any_logged_in_user_reads_the_schema_and_its_ui(roles, path):
    browser = Client()
    browser.force_login(UserFactory(groups=[AUDITOR]))
    response = browser.get(path)
    assert response.status_code == 200
    assert b"openapi" in response.content or b"swagger" in response.content.lower()


def test_a_url_under_api_that_matches_no_route_is_a_json_404(client):
    response = client.get("/api/gdpr/rights-requests/1.5/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Non trouvé."}
    # Elsewhere, Django's page.
    assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")
