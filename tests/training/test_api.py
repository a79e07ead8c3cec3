"""`/api/training/modules/`: permissions, the writes through the services (reference modules keep their code
and are never deleted), and the completion rate, the people not trained and the trend, computed by
training.kpis on data built here: the boundaries of docs/rules.md (hired on D, left on D, completed on D, the
deployment day, a renewal's expiry), the scope and the breakdowns, and a 400 naming every bad parameter."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from organization.models import Department, Employee
from tests.clients import api_client
from tests.factories import DepartmentFactory, EmployeeFactory, LegalEntityFactory, UserFactory
from tests.training.factories import CompletionFactory, ModuleFactory, SessionFactory, paris
from training.models import Module

URL = "/api/training/modules/"
REFERENCE_CODES = [
    "ATELIER-DEONTO",
    "ATELIER-FRAUDE",
    "ATELIER-HANDICAP",
    "CYBER",
    "DEONTO",
    "HANDICAP",
    "LCBFT",
    "RGPD",
    "RSE",
]
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english_messages", "roles"),
    pytest.mark.time_machine(dt.datetime(2025, 6, 2, 10, 0, tzinfo=dt.UTC), tick=False),
]
client_for = partial(api_client, language="en")
MANAGER, OFFICER, AUDITOR = "Training manager", "Compliance officer", "Auditor"


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["code"] for row in response.json()["results"]]


def rate_of(module: Module | str, client: APIClient | None = None, **params):
    code = getattr(module, "code", module)
    return (client or client_for(AUDITOR)).get(f"{URL}{code}/completion-rate/", params)


# --- permissions --------------------------------------------------------------------------------------------

ENDPOINTS = [
    URL,
    f"{URL}RGPD/",
    f"{URL}RGPD/completion-rate/",
    f"{URL}RGPD/not-trained/",
    f"{URL}RGPD/trend/",
    "/api/training/completions/",
    "/api/training/sessions/",
    "/api/training/attendances/",
    "/api/training/phishing-campaigns/",
]


@pytest.mark.parametrize("url", ENDPOINTS)
def test_anonymous_is_refused(url):
    assert APIClient().get(url).status_code in (401, 403)


@pytest.mark.parametrize("url", ENDPOINTS)
def test_a_role_without_training_permission_is_refused(url):
    assert client_for("DPO").get(url).status_code == 403
    assert client_for().get(url).status_code == 403


@pytest.mark.parametrize("role", [AUDITOR, OFFICER, MANAGER])
@pytest.mark.parametrize("url", ENDPOINTS)
def test_training_readers_can_read_every_endpoint(url, role):
    assert client_for(role).get(url).status_code == 200


@pytest.mark.parametrize("role", [AUDITOR, OFFICER])
def test_readers_cannot_write_a_module(role):
    client = client_for(role)
    assert (
        client.post(URL, {"code": "NEW", "title": "New", "kind": "e_learning", "deployed_on": "2025-01-01"}).status_code
        == 403
    )
    assert client.patch(f"{URL}RGPD/", {"title": "Changed"}).status_code == 403
    assert client.delete(f"{URL}{ModuleFactory(code='T-DEL').code}/").status_code == 403
    assert not Module.objects.filter(code="NEW").exists()
    assert Module.objects.filter(code="T-DEL").exists()


def test_listing_the_people_not_trained_also_needs_the_permission_to_view_employees():
    user = UserFactory()
    user.user_permissions.add(Permission.objects.get(codename="view_module", content_type__app_label="training"))
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    assert client.get(f"{URL}RGPD/completion-rate/").status_code == 200
    response = client.get(f"{URL}RGPD/not-trained/")
    assert response.status_code == 403
    assert "permission to view employees" in response.json()["detail"]


def test_list_query_count_is_pinned(django_assert_max_num_queries):
    for index in range(20):
        module = ModuleFactory()
        module.audience_entities.set([LegalEntityFactory(code=f"E{index}")])
        module.audience_departments.set([DepartmentFactory()])
    client = client_for(AUDITOR)
    with django_assert_max_num_queries(6):
        assert client.get(URL).status_code == 200


# --- the modules --------------------------------------------------------------------------------------------


def test_the_reference_modules_are_listed_with_their_settings():
    assert codes(client_for(AUDITOR).get(URL)) == REFERENCE_CODES
    row = client_for(AUDITOR).get(f"{URL}RGPD/").json()
    assert (row["kind"], row["mandatory"], row["renewal_months"], row["deployed_on"], row["is_reference"]) == (
        "e_learning",
        True,
        24,
        "2022-04-11",
        True,
    )


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "in_person"}, ["ATELIER-DEONTO", "ATELIER-FRAUDE", "ATELIER-HANDICAP"]),
        ({"mandatory": "false"}, ["ATELIER-DEONTO", "ATELIER-FRAUDE", "ATELIER-HANDICAP", "T-OWN"]),
        ({"mandatory": "true", "kind": "e_learning"}, ["CYBER", "DEONTO", "HANDICAP", "LCBFT", "RGPD", "RSE"]),
        ({"audience": "managers"}, ["ATELIER-HANDICAP"]),
        ({"is_reference": "false"}, ["T-OWN"]),
    ],
)
def test_modules_filter_by_kind_mandatory_audience_and_reference(params, expected):
    ModuleFactory(code="T-OWN", mandatory=False, kind="virtual")
    assert codes(client_for(AUDITOR).get(URL, params)) == expected


@pytest.mark.parametrize("params", [{"kind": "podcast"}, {"mandatory": "maybe"}, {"audience": "everyone"}])
def test_unknown_filter_values_are_a_400(params):
    response = client_for(AUDITOR).get(URL, params)
    assert response.status_code == 400
    assert list(response.json()) == list(params)


def test_a_training_manager_creates_a_module_with_its_audience_by_entity_code():
    LegalEntityFactory(code="ALS")
    DepartmentFactory(name="Direction financière")
    response = client_for(MANAGER).post(
        URL,
        {
            "code": "T-NEW",
            "title": "Sanctions internationales",
            "kind": "e_learning",
            "mandatory": True,
            "audience": "all_staff",
            "audience_entities": ["ALS"],
            "audience_departments": ["Direction financière"],
            "deployed_on": "2025-03-01",
            "renewal_months": 12,
            "expected_minutes": 30,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["audience_entities"] == ["ALS"]
    assert response.json()["is_reference"] is False
    module = Module.objects.get(code="T-NEW")
    assert [e.code for e in module.audience_entities.all()] == ["ALS"]
    assert [d.name for d in module.audience_departments.all()] == ["Direction financière"]
    created = module.history.earliest("history_date")
    assert created.history_change_reason == "Module created"
    assert created.history_user.groups.get().name == MANAGER


def test_module_creation_refusals_name_the_field():
    client = client_for(MANAGER)
    base = {"title": "t", "kind": "e_learning", "deployed_on": "2025-03-01"}
    response = client.post(URL, {**base, "code": "RGPD"})
    assert response.status_code == 400
    assert response.json() == {"code": ["A module with code “RGPD” already exists."]}
    response = client.post(URL, {**base, "code": "T-X", "min_attendance_minutes": 45})
    assert response.status_code == 400
    assert list(response.json()) == ["min_attendance_minutes"]
    response = client.post(URL, {**base, "code": "T-X", "renewal_months": 0})
    assert response.status_code == 400 and list(response.json()) == ["renewal_months"]
    response = client.post(URL, {**base, "code": "T-X", "audience_entities": ["NOWHERE"]}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["audience_entities"]
    response = client.post(URL, {"code": "T-X"})
    assert response.status_code == 400 and {"title", "kind", "deployed_on"} <= set(response.json())
    assert not Module.objects.filter(code="T-X").exists()


def test_a_reference_module_keeps_its_code_but_its_other_fields_change():
    client = client_for(MANAGER)
    response = client.patch(f"{URL}RGPD/", {"code": "GDPR"})
    assert response.status_code == 400
    assert response.json() == {"code": ["The code of a reference module cannot change: indicators use it."]}
    response = client.patch(f"{URL}RGPD/", {"title": "RGPD 2025", "renewal_months": 36})
    assert response.status_code == 200, response.content
    assert (response.json()["title"], response.json()["renewal_months"]) == ("RGPD 2025", 36)
    assert Module.objects.get(code="RGPD").history.latest("history_id").history_change_reason == "Module changed"


def test_an_own_module_can_be_renamed_and_its_audience_replaced():
    ModuleFactory(code="T-OLD")
    LegalEntityFactory(code="ALI")
    response = client_for(MANAGER).patch(
        f"{URL}T-OLD/", {"code": "T-RENAMED", "audience_entities": ["ALI"]}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["audience_entities"] == ["ALI"]
    assert client_for(MANAGER).get(f"{URL}T-RENAMED/").status_code == 200


def test_moving_the_deployment_day_reflags_the_completions_through_the_service():
    module = ModuleFactory(code="T-DEP", deployed_on=dt.date(2024, 1, 10))
    completion = CompletionFactory(module=module, completed_at=paris(dt.date(2024, 2, 1)))
    response = client_for(MANAGER).patch(f"{URL}T-DEP/", {"deployed_on": "2024-03-01"})
    assert response.status_code == 200
    completion.refresh_from_db()
    assert completion.anomaly == "before_deployment"


def test_a_reference_module_is_never_deleted():
    response = client_for(MANAGER).delete(f"{URL}RGPD/")
    assert response.status_code == 403
    assert response.json() == {"detail": "RGPD is a reference module: a DPEF indicator uses it, it cannot be deleted."}
    assert Module.objects.filter(code="RGPD").exists()


def test_a_module_with_completions_or_sessions_is_not_deleted_and_an_unused_one_is():
    CompletionFactory(module=ModuleFactory(code="T-USED"))
    SessionFactory(module__code="T-WORKSHOP")
    ModuleFactory(code="T-FREE")
    client = client_for(MANAGER)
    for code in ("T-USED", "T-WORKSHOP"):
        response = client.delete(f"{URL}{code}/")
        assert response.status_code == 400
        assert response.json() == {"non_field_errors": [f"{code} has completions or sessions: it cannot be deleted."]}
    assert client.delete(f"{URL}T-FREE/").status_code == 204
    assert set(Module.objects.filter(code__startswith="T-").values_list("code", flat=True)) == {"T-USED", "T-WORKSHOP"}
    assert Module.history.filter(code="T-FREE", history_type="-").get().history_change_reason == "Module deleted"


def test_an_unknown_module_is_a_404():
    assert client_for(AUDITOR).get(f"{URL}NOPE/").status_code == 404
    assert rate_of("NOPE").status_code == 404


# --- the completion rate: docs/rules.md's boundaries -------------------------------------------------------------

D = dt.date(2024, 6, 30)
DEPLOYED = dt.date(2024, 1, 10)


@pytest.fixture
def boundaries() -> Module:
    """One module deployed on DEPLOYED; D is the reference day. Seven people present at D, three trained."""
    module = ModuleFactory(code="T-RATE", deployed_on=DEPLOYED, renewal_months=None)
    entity = LegalEntityFactory(code="ALS")

    def person(employee_id: str, **fields):
        return EmployeeFactory(employee_id=employee_id, entity=entity, **fields)

    def completed(employee, at: dt.datetime, **fields) -> None:
        CompletionFactory(employee=employee, module=module, completed_at=at, **fields)

    completed(person("HIRED-ON-D", hired_on=D), paris(D))  # present, completed on D: trained
    completed(person("LEFT-ON-D", left_on=D), paris(DEPLOYED, 9))  # present, deployment day: trained
    completed(person("LATE-ON-D"), dt.datetime(2024, 6, 30, 21, 30, tzinfo=dt.UTC))  # 23:30 Paris on D: trained
    completed(person("NEXT-DAY"), dt.datetime(2024, 6, 30, 22, 30, tzinfo=dt.UTC))  # 00:30 Paris on D+1: not
    completed(person("BEFORE-DEPLOY"), paris(DEPLOYED - dt.timedelta(days=1)))  # before deployment: not
    completed(person("FLAGGED"), paris(D - dt.timedelta(days=5)), anomaly="future")  # flagged: not counted
    person("NEVER")  # present, nothing: not
    completed(person("LEFT-BEFORE-D", left_on=D - dt.timedelta(days=1)), paris(DEPLOYED))  # not present
    completed(person("HIRED-AFTER-D", hired_on=D + dt.timedelta(days=1)), paris(D))  # not present
    return module


def test_the_rate_counts_the_boundaries_of_rules_md(boundaries):
    response = rate_of(boundaries, date="2024-06-30")
    assert response.status_code == 200, response.content
    body = response.json()
    assert {key: body[key] for key in ("module", "date", "numerator", "denominator", "not_trained", "value")} == {
        "module": "T-RATE",
        "date": "2024-06-30",
        "numerator": 3,
        "denominator": 7,
        "not_trained": 4,
        "value": 42.9,
    }
    assert body["scope"] == {"entities": [], "departments": []}
    assert "breakdown" not in body
    assert "divided by the employees present on the reference day" in body["method"]
    assert "30/06/2024" in body["method"]


def test_the_rate_the_day_after_and_the_day_before(boundaries):
    after = rate_of(boundaries, date="2024-07-01").json()
    # LEFT-ON-D is gone, HIRED-AFTER-D arrives trained, NEXT-DAY's completion now counts.
    assert (after["numerator"], after["denominator"]) == (4, 7)
    before = rate_of(boundaries, date="2024-06-29").json()
    # HIRED-ON-D not hired yet, LEFT-BEFORE-D still there (trained); the completions of D do not count yet.
    assert (before["numerator"], before["denominator"]) == (2, 7)


def test_on_the_deployment_day_only_that_days_completions_count(boundaries):
    body = rate_of(boundaries, date=DEPLOYED.isoformat()).json()
    # LEFT-ON-D and LEFT-BEFORE-D completed on the deployment day; BEFORE-DEPLOY the day before.
    assert (body["numerator"], body["denominator"]) == (2, 7)
    body = rate_of(boundaries, date=(DEPLOYED - dt.timedelta(days=1)).isoformat()).json()
    assert (body["numerator"], body["value"]) == (0, 0.0)


def test_the_date_defaults_to_today_in_paris(boundaries):
    body = rate_of(boundaries).json()
    assert body["date"] == "2025-06-02"
    assert (body["numerator"], body["denominator"]) == (4, 7)


@pytest.mark.time_machine(dt.datetime(2025, 6, 2, 22, 30, tzinfo=dt.UTC), tick=False)
def test_the_default_date_is_the_paris_day_not_the_utc_one(boundaries):
    assert rate_of(boundaries).json()["date"] == "2025-06-03"


def test_an_rgpd_completion_expires_24_months_later():
    rgpd = Module.objects.get(code="RGPD")
    expiring = EmployeeFactory(employee_id="EXPIRING")
    CompletionFactory(employee=expiring, module=rgpd, completed_at=paris(dt.date(2022, 6, 30)))
    CompletionFactory(
        employee=EmployeeFactory(employee_id="VALID"), module=rgpd, completed_at=paris(dt.date(2022, 7, 1))
    )
    assert (rate_of("RGPD", date="2024-06-29").json()["numerator"]) == 2
    body = rate_of("RGPD", date="2024-06-30").json()  # exactly 24 months after: expired
    assert (body["numerator"], body["denominator"], body["value"]) == (1, 2, 50.0)
    assert "less than 24 months before the reference day" in body["method"]
    assert rate_of("RGPD", date="2024-07-01").json()["numerator"] == 0
    # Renewed: counts again.
    CompletionFactory(employee=expiring, module=rgpd, completed_at=paris(dt.date(2024, 6, 30), 8))
    assert rate_of("RGPD", date="2024-06-30").json()["numerator"] == 2


def test_a_workshop_counts_attendance_longer_than_its_minimum_minutes():
    from tests.training.factories import AttendanceFactory

    session = SessionFactory(
        module__code="T-WS",
        module__deployed_on=dt.date(2023, 1, 1),
        module__min_attendance_minutes=45,
        held_on=dt.date(2023, 3, 14),
    )
    AttendanceFactory(session=session, minutes_attended=46)
    AttendanceFactory(session=session, minutes_attended=45)
    body = rate_of("T-WS", date="2023-03-14").json()
    assert (body["numerator"], body["denominator"]) == (1, 2)
    assert "attended for more than 45 minutes" in body["method"]


def test_nobody_in_the_audience_gives_a_null_value():
    body = rate_of(ModuleFactory(code="T-EMPTY"), date="2024-06-30").json()
    assert (body["numerator"], body["denominator"], body["value"]) == (0, 0, None)


# --- scope and breakdowns ------------------------------------------------------------------------------------


@pytest.fixture
def two_entities() -> Module:
    """ALS: 3 present (2 trained, one manager trained, women); ALI: 2 present (1 trained man)."""
    module = ModuleFactory(code="T-SCOPE", deployed_on=dt.date(2023, 1, 1))
    als, ali = LegalEntityFactory(code="ALS", name="Action Logement Services"), LegalEntityFactory(code="ALI")
    finance, hr = DepartmentFactory(name="Finance"), DepartmentFactory(name="Ressources humaines")
    day = paris(dt.date(2023, 5, 1))
    CompletionFactory(
        module=module,
        completed_at=day,
        employee=EmployeeFactory(employee_id="S1", entity=als, department=finance, is_manager=True, gender="F"),
    )
    CompletionFactory(
        module=module,
        completed_at=day,
        employee=EmployeeFactory(employee_id="S2", entity=als, department=hr, gender="F"),
    )
    EmployeeFactory(employee_id="S3", entity=als, department=finance, gender="F")
    CompletionFactory(
        module=module,
        completed_at=day,
        employee=EmployeeFactory(employee_id="I1", entity=ali, department=finance, gender="M"),
    )
    EmployeeFactory(employee_id="I2", entity=ali, department=None, gender="")
    return module


def test_the_scope_by_entity_is_repeatable(two_entities):
    body = rate_of(two_entities, date="2023-12-31", entity="ALS").json()
    assert (body["numerator"], body["denominator"], body["value"]) == (2, 3, 66.7)
    assert body["scope"] == {"entities": ["ALS"], "departments": []}
    body = rate_of(two_entities, date="2023-12-31", entity=["ALS", "ALI"]).json()
    assert (body["numerator"], body["denominator"]) == (3, 5)
    assert body["scope"]["entities"] == ["ALI", "ALS"]


def test_the_scope_by_department_name_or_id_and_with_an_entity(two_entities):
    finance = Department.objects.get(name="Finance")
    by_name = rate_of(two_entities, date="2023-12-31", department="Finance").json()
    by_id = rate_of(two_entities, date="2023-12-31", department=str(finance.pk)).json()
    assert (by_name["numerator"], by_name["denominator"]) == (by_id["numerator"], by_id["denominator"]) == (2, 3)
    assert by_id["scope"] == {"entities": [], "departments": ["Finance"]}
    both = rate_of(two_entities, date="2023-12-31", department="Finance", entity="ALI").json()
    assert (both["numerator"], both["denominator"]) == (1, 1)


def test_the_breakdown_by_entity(two_entities):
    body = rate_of(two_entities, date="2023-12-31", breakdown="entity").json()
    assert body["breakdown"] == [
        {"key": "ALI", "label": "ALI – Entity ALI", "numerator": 1, "denominator": 2, "value": 50.0},
        {"key": "ALS", "label": "ALS – Action Logement Services", "numerator": 2, "denominator": 3, "value": 66.7},
    ]
    assert (body["numerator"], body["denominator"]) == (3, 5)


def test_the_breakdowns_by_department_manager_and_gender(two_entities):
    def rows(by: str, **params) -> dict:
        body = rate_of(two_entities, date="2023-12-31", breakdown=by, **params).json()
        return {row["key"]: (row["label"], row["numerator"], row["denominator"]) for row in body["breakdown"]}

    assert rows("department") == {
        "Finance": ("Finance", 2, 3),
        "Ressources humaines": ("Ressources humaines", 1, 1),
        None: ("(no department)", 0, 1),
    }
    assert rows("manager") == {True: ("Managers", 1, 1), False: ("Non-managers", 2, 4)}
    assert rows("gender") == {"F": ("Female", 2, 3), "M": ("Male", 1, 1), "": ("(not given)", 0, 1)}
    assert rows("gender", entity="ALS") == {"F": ("Female", 2, 3)}


def test_the_people_not_trained_in_the_scope_with_their_details(two_entities):
    response = client_for(OFFICER).get(f"{URL}T-SCOPE/not-trained/", {"date": "2023-12-31"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 2
    # In the roster's order (last name, first name, employee ID).
    roster = Employee.objects.filter(employee_id__in=["I2", "S3"]).order_by("last_name", "first_name", "employee_id")
    assert [row["employee_id"] for row in body["results"]] == [e.employee_id for e in roster]
    row = next(row for row in body["results"] if row["employee_id"] == "S3")
    assert (row["entity"], row["department"], row["email"], row["is_manager"]) == (
        "ALS",
        "Finance",
        "s3@example.org",
        False,
    )
    assert {"first_name", "last_name", "last_completed_on"} <= set(row)
    response = client_for(OFFICER).get(f"{URL}T-SCOPE/not-trained/", {"date": "2023-12-31", "entity": "ALI"})
    assert [row["employee_id"] for row in response.json()["results"]] == ["I2"]


def test_the_people_not_trained_show_their_expired_completion():
    rgpd = Module.objects.get(code="RGPD")
    CompletionFactory(employee=EmployeeFactory(employee_id="OLD"), module=rgpd, completed_at=paris(dt.date(2022, 5, 2)))
    rows = client_for(AUDITOR).get(f"{URL}RGPD/not-trained/", {"date": "2024-12-31"}).json()["results"]
    assert [(r["employee_id"], r["last_completed_on"]) for r in rows] == [("OLD", "2022-05-02")]


def test_the_monthly_trend(two_entities):
    response = client_for(AUDITOR).get(f"{URL}T-SCOPE/trend/", {"until": "2023-06-15", "months": 3})
    assert response.status_code == 200, response.content
    assert response.json() == [
        {"date": "2023-04-30", "value": 0.0, "numerator": 0, "denominator": 5},
        {"date": "2023-05-31", "value": 60.0, "numerator": 3, "denominator": 5},
        {"date": "2023-06-15", "value": 60.0, "numerator": 3, "denominator": 5},
    ]
    scoped = client_for(AUDITOR).get(f"{URL}T-SCOPE/trend/", {"until": "2023-06-15", "months": 1, "entity": "ALI"})
    assert scoped.json() == [{"date": "2023-06-15", "value": 50.0, "numerator": 1, "denominator": 2}]


def test_the_trend_defaults_to_24_months_until_today():
    points = client_for(AUDITOR).get(f"{URL}DEONTO/trend/").json()
    assert len(points) == 24
    assert (points[0]["date"], points[-1]["date"]) == ("2023-07-31", "2025-06-02")


# --- bad parameters: a 400 naming the parameter, never a 500 --------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date": "31/12/2023"}, "Date has wrong format"),
        ({"date": "2023-02-30"}, "Date has wrong format"),
        ({"date": "0001-01-01"}, "Give a day between 1900-01-01 and 2199-12-31."),
        ({"date": "9999-12-31"}, "Give a day between 1900-01-01 and 2199-12-31."),
        ({"entity": "NOWHERE"}, "Unknown entity code “NOWHERE”."),
        ({"department": "Nowhere"}, "Unknown department “Nowhere” (give its name or its id)."),
        ({"department": "999999"}, "Unknown department “999999” (give its name or its id)."),
        ({"department": "99999999999999999999999"}, "Unknown department"),
        ({"breakdown": "age"}, "“age” is not a breakdown: use entity, department, manager or gender."),
    ],
)
def test_a_bad_parameter_of_the_completion_rate_is_a_400_naming_it(params, message):
    response = rate_of("RGPD", **params)
    assert response.status_code == 400
    body = response.json()
    assert list(body) == list(params)
    assert message in body[next(iter(params))][0]


def test_every_unknown_entity_is_named():
    LegalEntityFactory(code="ALS")
    response = rate_of("RGPD", entity=["ALS", "X1", "X2"])
    assert response.json() == {"entity": ["Unknown entity code “X1”.", "Unknown entity code “X2”."]}


@pytest.mark.parametrize(
    ("action", "params"),
    [
        ("not-trained", {"date": "2023-13-01"}),
        ("not-trained", {"entity": "NOWHERE"}),
        ("trend", {"until": "yesterday"}),
        ("trend", {"months": "0"}),
        ("trend", {"months": "121"}),
        ("trend", {"months": "many"}),
        ("trend", {"department": "Nowhere"}),
    ],
)
def test_a_bad_parameter_of_not_trained_or_trend_is_a_400_naming_it(action, params):
    response = client_for(AUDITOR).get(f"{URL}RGPD/{action}/", params)
    assert response.status_code == 400
    assert list(response.json()) == list(params)


# --- schema --------------------------------------------------------------------------------------------------


def test_the_openapi_schema_documents_the_training_endpoints_and_their_parameters():
    response = client_for(AUDITOR).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for path in (
        URL,
        f"{URL}{{code}}/",
        f"{URL}{{code}}/completion-rate/",
        f"{URL}{{code}}/not-trained/",
        f"{URL}{{code}}/trend/",
        "/api/training/completions/",
        "/api/training/sessions/",
        "/api/training/attendances/",
        "/api/training/phishing-campaigns/",
    ):
        assert path in paths, path
    parameters = {p["name"] for p in paths[f"{URL}{{code}}/completion-rate/"]["get"]["parameters"]}
    assert parameters == {"code", "date", "entity", "department", "breakdown"}
    rate = schema["components"]["schemas"]["CompletionRate"]["properties"]
    assert rate["value"]["type"] == "number" and rate["value"]["nullable"] is True
    assert {"module", "date", "scope", "numerator", "denominator", "not_trained", "method", "breakdown"} <= set(rate)
    trend_parameters = {p["name"] for p in paths[f"{URL}{{code}}/trend/"]["get"]["parameters"]}
    assert trend_parameters == {"code", "until", "months", "entity", "department"}
