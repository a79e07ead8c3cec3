"""Every user chooser offers the active users who may handle the record (the change permission on its model),
by full name, ordered by it, the current user kept and marked; anything else posted is refused (core/admin_choosers.py,
core/api/user_fields.py)."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteMixin, ForeignKeyRawIdWidget, ManyToManyRawIdWidget
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from compliance.models import ActionItem, ConflictOfInterestCase
from core.admin_choosers import UserChoiceField, UserMultipleChoiceField, user_choice_field, users_who_may_change
from core.roles import AUDITOR, COMPLIANCE_OFFICER, DPO, TRAINING_MANAGER
from gdpr.models import Breach, CnilCase, RightsRequest
from gdpr.services import rights as rights_services
from tests.compliance.factories import ActionItemFactory, CaseFactory
from tests.factories import UserFactory
from tests.gdpr.factories import BreachFactory, CnilCaseFactory, RightsRequestFactory

PARIS = ZoneInfo("Europe/Paris")
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]
MARK = "(may no longer handle this record)"


class SelectOptions(HTMLParser):
    """The options (label, value, selected) of the <select name=`name`> of a page."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name, self.inside, self.found = name, False, False
        self.options: list[list] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "select" and values.get("name") == self.name:
            self.inside = self.found = True
        elif tag == "option" and self.inside:
            self.options.append(["", values.get("value") or "", "selected" in values])

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.inside = False

    def handle_data(self, data: str) -> None:
        if self.inside and self.options:
            self.options[-1][0] += data.strip()


def options(response, name: str) -> list[list]:
    assert response.status_code == 200, response.content.decode()[:2000]
    parser = SelectOptions(name)
    parser.feed(response.content.decode())
    assert parser.found, f"no <select name={name}> on the page"
    return parser.options


def labels(response, name: str) -> list[str]:
    return [label for label, value, _selected in options(response, name) if value]


@pytest.fixture
def people():
    """One named user per role, a superuser without a name, and users who must never be offered."""
    return {
        "officer": UserFactory(
            username="officer", first_name="Camille", last_name="Durand", groups=[COMPLIANCE_OFFICER]
        ),
        "dpo": UserFactory(username="dpo", first_name="Dominique", last_name="Petit", groups=[DPO]),
        "dpo2": UserFactory(username="dpo2", groups=[DPO]),  # no name: shown by login
        "dpo3": UserFactory(username="dpo3", first_name="Anne", last_name="Zeller", groups=[DPO]),
        "trainer": UserFactory(username="trainer", first_name="Théo", last_name="Martin", groups=[TRAINING_MANAGER]),
        "auditor": UserFactory(username="auditor", first_name="Alice", last_name="Bernard", groups=[AUDITOR]),
        "root": UserFactory(username="root", is_superuser=True),
        "gone": UserFactory(username="gone", first_name="Gaston", last_name="Parti", groups=[DPO], is_active=False),
        "nobody": UserFactory(username="nobody", first_name="Noé", last_name="Rien"),
    }


def browser(user, language: str = "en") -> Client:
    client = Client(headers={"Accept-Language": language})
    client.force_login(user)
    return client


GDPR_OFFERED = ["Anne Zeller", "Dominique Petit", "dpo2", "root"]
COMPLIANCE_OFFERED = ["Camille Durand", "root"]


@pytest.mark.parametrize(
    ("url", "field", "who", "offered"),
    [
        ("/admin/gdpr/rightsrequest/add/", "handler", "dpo", GDPR_OFFERED),
        ("/admin/gdpr/breach/add/", "handler", "dpo", GDPR_OFFERED),
        ("/admin/gdpr/cnilcase/add/", "handler", "dpo", GDPR_OFFERED),
        ("/admin/compliance/conflictofinterestcase/add/", "handler", "officer", COMPLIANCE_OFFERED),
        ("/admin/compliance/actionitem/add/", "owner", "officer", COMPLIANCE_OFFERED),
    ],
)
def test_add_forms_offer_who_may_change_the_record_by_name(people, url, field, who, offered):
    # The compliance officer only views GDPR records and the DPO compliance ones: neither is offered there;
    # nor the auditor, the training manager, an inactive user or a user without the permission.
    assert labels(browser(people[who]).get(url), field) == offered


def test_a_permission_given_by_hand_counts_and_only_for_its_model(people):
    people["nobody"].user_permissions.add(Permission.objects.get(codename="change_breach"))
    assert "Noé Rien" in labels(browser(people["dpo"]).get("/admin/gdpr/breach/add/"), "handler")
    assert "Noé Rien" not in labels(browser(people["dpo"]).get("/admin/gdpr/cnilcase/add/"), "handler")


@pytest.mark.parametrize(
    ("make", "url", "field", "who", "kept"),
    [
        (
            lambda p: BreachFactory(handler=p["officer"]),
            "/admin/gdpr/breach/{}/change/",
            "handler",
            "dpo",
            "Camille Durand",
        ),
        (
            lambda p: CnilCaseFactory(handler=p["trainer"]),
            "/admin/gdpr/cnilcase/{}/change/",
            "handler",
            "dpo",
            "Théo Martin",
        ),
        (
            lambda p: CaseFactory(handler=p["dpo"]),
            "/admin/compliance/conflictofinterestcase/{}/change/",
            "handler",
            "officer",
            "Dominique Petit",
        ),
        (
            lambda p: RightsRequestFactory(handler=p["gone"]),
            "/admin/gdpr/rightsrequest/{}/change/",
            "handler",
            "dpo",
            "Gaston Parti",
        ),
    ],
)
def test_the_current_user_stays_offered_marked_and_selected(people, make, url, field, who, kept):
    record = make(people)
    found = options(browser(people[who]).get(url.format(record.pk)), field)
    marked = [option for option in found if option[0] == f"{kept} {MARK}"]
    assert marked == [[f"{kept} {MARK}", str(getattr(record, f"{field}_id")), True]]
    # Only the kept one is marked, and the others are the usual choices.
    assert [label for label, value, _sel in found if value and MARK not in label] != []
    assert sum(MARK in label for label, _value, _sel in found) == 1


def test_the_mark_is_in_french_by_default(people):
    breach = BreachFactory(handler=people["officer"])
    found = labels(browser(people["dpo"], language="fr").get(f"/admin/gdpr/breach/{breach.pk}/change/"), "handler")
    assert "Camille Durand (ne peut plus traiter ce dossier)" in found


def rights_request():
    return rights_services.rights_request_create(
        actor=UserFactory(username="intake", is_superuser=True),
        received_at=dt.datetime(2025, 6, 2, 9, tzinfo=PARIS),
        right="access",
        channel="email",
        requester_name="Jeanne",
        requester_category="client",
    )


def post_rights_request(client: Client, request: RightsRequest, handler: str):
    return client.post(
        f"/admin/gdpr/rightsrequest/{request.pk}/change/",
        {
            "right": "access",
            "channel": "email",
            "requester_name": "Jeanne",
            "requester_category": "client",
            "notes": "",
            "handler": handler,
            "received_at_0": "2025-06-02",
            "received_at_1": "09:00",
            "pauses-TOTAL_FORMS": "0",
            "pauses-INITIAL_FORMS": "0",
        },
    )


@pytest.mark.time_machine(dt.datetime(2025, 6, 10, 12, 0, tzinfo=PARIS), tick=False)
@pytest.mark.parametrize("who", ["auditor", "trainer", "officer", "gone", "nobody"])
def test_a_posted_user_who_may_not_handle_the_record_is_refused(people, who):
    request = rights_request()
    response = post_rights_request(browser(people["dpo"]), request, str(people[who].pk))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    request.refresh_from_db()
    assert request.handler is None


@pytest.mark.time_machine(dt.datetime(2025, 6, 10, 12, 0, tzinfo=PARIS), tick=False)
def test_a_posted_id_that_is_no_user_is_refused_without_error(people):
    request = rights_request()
    for value in ["999999", "abc"]:
        response = post_rights_request(browser(people["dpo"]), request, value)
        assert response.status_code == 200 and "Select a valid choice" in response.content.decode()


@pytest.mark.time_machine(dt.datetime(2025, 6, 10, 12, 0, tzinfo=PARIS), tick=False)
def test_an_eligible_user_is_saved_and_the_kept_one_survives_a_save(people):
    request = rights_request()
    response = post_rights_request(browser(people["dpo"]), request, str(people["dpo3"].pk))
    assert response.status_code == 302, response.content.decode()[:3000]
    request.refresh_from_db()
    assert request.handler == people["dpo3"]
    # The handler leaves the DPO group: the request, saved again as shown, keeps its handler.
    people["dpo3"].groups.clear()
    response = post_rights_request(browser(people["dpo"]), request, str(people["dpo3"].pk))
    assert response.status_code == 302, response.content.decode()[:3000]
    request.refresh_from_db()
    assert request.handler == people["dpo3"]
    # But another ex-DPO is not let in through that door.
    people["dpo"].groups.clear()
    people["root"].refresh_from_db()
    response = post_rights_request(browser(people["root"]), request, str(people["dpo"].pk))
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()


def test_every_admin_form_user_field_is_a_chooser_of_its_model(people):
    """Whatever admin holds a user field, now or later: the chooser of the users who may change its model."""
    request = RequestFactory().get("/")
    request.user = people["root"]
    user_model = get_user_model()
    seen = []
    for model, model_admin in admin.site._registry.items():
        form_class = model_admin.get_form(request)
        for name, field in form_class.base_fields.items():
            if isinstance(field, forms.ModelChoiceField) and field.queryset.model is user_model:
                assert isinstance(field, UserChoiceField | UserMultipleChoiceField), (model, name)
                assert field.record_model is model
                widget = field.widget.widget if hasattr(field.widget, "widget") else field.widget
                assert isinstance(widget, forms.Select), (model, name)
                assert not isinstance(widget, AutocompleteMixin | ForeignKeyRawIdWidget | ManyToManyRawIdWidget)
                seen.append((model, name))
    assert {(Breach, "handler"), (CnilCase, "handler"), (RightsRequest, "handler")} <= set(seen)
    assert {(ConflictOfInterestCase, "handler"), (ActionItem, "owner")} <= set(seen)


def test_the_form_page_asks_once_for_the_choices_whatever_their_number(people):
    breach = BreachFactory(handler=people["dpo"])
    client = browser(people["dpo"])
    url = f"/admin/gdpr/breach/{breach.pk}/change/"
    client.get(url)  # warm the caches (content types, session)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    few = count()
    for n in range(25):
        UserFactory(username=f"extra{n}", first_name=f"Extra{n}", groups=[DPO])
    assert count() == few
    assert len(labels(client.get(url), "handler")) == len(GDPR_OFFERED) + 25


def test_user_choice_field_for_plain_forms(people):
    field = user_choice_field(Breach, current=people["auditor"], required=False, label="Handler")
    offered = [label for value, label in field.choices if value]
    assert offered == [f"Alice Bernard {MARK}", *GDPR_OFFERED]
    assert field.clean(str(people["dpo"].pk)) == people["dpo"]
    assert field.clean(str(people["auditor"].pk)) == people["auditor"]  # the current one
    with pytest.raises(forms.ValidationError):
        field.clean(str(people["trainer"].pk))
    with pytest.raises(forms.ValidationError):
        user_choice_field(Breach).clean(str(people["auditor"].pk))


def test_users_who_may_change_is_one_query_without_duplicates(people, django_assert_num_queries):
    # A DPO also given the permission by hand and through a second group is listed once.
    people["dpo"].user_permissions.add(Permission.objects.get(codename="change_breach"))
    people["dpo"].groups.add(*people["officer"].groups.all())
    with django_assert_num_queries(1):
        usernames = sorted(users_who_may_change(Breach).values_list("username", flat=True))
    assert usernames == ["dpo", "dpo2", "dpo3", "root"]


def test_the_autocomplete_view_lists_only_who_may_handle_the_record(people):
    response = browser(people["root"]).get(
        "/admin/autocomplete/", {"app_label": "gdpr", "model_name": "breach", "field_name": "handler", "term": ""}
    )
    assert response.status_code == 200
    ids = {int(item["id"]) for item in response.json()["results"]}
    assert ids == {people[name].pk for name in ("dpo", "dpo2", "dpo3", "root")}


# --- the API --------------------------------------------------------------------------------------------


def api(user) -> APIClient:
    client = APIClient(headers={"Accept-Language": "en"})
    client.force_authenticate(user)
    return client


@pytest.mark.time_machine(dt.datetime(2025, 6, 10, 12, 0, tzinfo=PARIS), tick=False)
def test_the_api_refuses_a_handler_who_may_not_handle_the_request_as_it_refuses_an_unknown_login(people):
    request = rights_request()
    url = f"/api/gdpr/rights-requests/{request.pk}/"
    answers = {}
    for login in ["auditor", "officer", "trainer", "gone", "no-such-login"]:
        response = api(people["dpo"]).patch(url, {"handler": login}, format="json")
        assert response.status_code == 400, response.content
        answers[login] = response.json()
    # The same words whoever it is: the API tells no more than the admin's chooser.
    assert {str(answer).replace(login, "X") for login, answer in answers.items()} == {
        str(answers["auditor"]).replace("auditor", "X")
    }
    assert "is not one of the users who may handle this record" in str(answers["auditor"])
    request.refresh_from_db()
    assert request.handler is None


@pytest.mark.time_machine(dt.datetime(2025, 6, 10, 12, 0, tzinfo=PARIS), tick=False)
def test_the_api_sets_an_eligible_handler_shows_the_name_and_keeps_the_current_one(people):
    request = rights_request()
    url = f"/api/gdpr/rights-requests/{request.pk}/"
    response = api(people["dpo"]).patch(url, {"handler": "dpo3"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["handler"], response.json()["handler_display"]) == ("dpo3", "Anne Zeller")
    people["dpo3"].groups.clear()
    response = api(people["dpo"]).patch(url, {"handler": "dpo3", "notes": "kept"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["handler_display"] == "Anne Zeller"
    events = api(people["dpo"]).get(url).json()["deadline_events"]
    assert events and all(event["actor_display"] for event in events)


def test_the_api_shows_other_users_by_name(people):
    item = ActionItemFactory(owner=people["officer"], case__qualified_by=people["root"])
    case = api(people["officer"]).get(f"/api/compliance/coi-cases/{item.case.pk}/")
    assert case.status_code == 200, case.content
    body = case.json()
    assert body["qualified_by_display"] == "root"
    assert body["action_items"][0]["owner_display"] == "Camille Durand"


@pytest.mark.parametrize("model", [Breach, CnilCase, RightsRequest, ConflictOfInterestCase, ActionItem])
def test_users_who_may_change_agrees_with_has_perm(people, model):
    """The queryset answers as the permission check of the admin and the API does, user by user."""
    people["nobody"].user_permissions.add(Permission.objects.get(codename=f"change_{model._meta.model_name}"))
    perm = f"{model._meta.app_label}.change_{model._meta.model_name}"
    eligible = set(users_who_may_change(model))
    for user in get_user_model().objects.all():
        assert (user in eligible) == (user.is_active and user.has_perm(perm)), (user.username, perm)


@pytest.mark.parametrize("who", ["officer", "auditor"])
def test_a_user_in_a_read_only_field_is_a_name_without_a_link_to_the_users_admin(people, who):
    """Who may only read a record sees its handler by name, with no link to a page they may not open."""
    handler = UserFactory(username="hdl", first_name="Hélène", last_name="Dupont", groups=[DPO])
    breach = BreachFactory(handler=handler)
    body = browser(people[who]).get(f"/admin/gdpr/breach/{breach.pk}/change/").content.decode()
    assert "Hélène Dupont" in body
    assert f"/admin/auth/user/{handler.pk}/" not in body
