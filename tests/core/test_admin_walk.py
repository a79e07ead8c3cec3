"""Every admin page of a real record, for every role (issue 14, item 10).

For each model of the admin registry, one record is made (by the factories of tests/**/factories.py, or by
the builders of tests/core/admin_records.py for the models no factory makes), then the superuser, each role's user and a staff user
without a group open its list, the record's change page (a read-only form for who may only view), its
history, one of its historical versions when it keeps them, and the add page. No page may answer a server
error; a role without the view permission gets a 403 on every page of the model, one without the add
permission a 403 on the add page; a user that the seal of a sealed app keeps out (aml, core/roles.py
`sealed_out`) gets the site's 404 on every page of its models, as for an app that is not installed.

Models come from `admin.site._registry` and their records from tests/core/admin_records.py (factories found
by their `Meta.model`): a new model is walked without anyone adding it here, and the walk fails, naming it,
when nothing can make its record.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.db.models import Model
from django.test import Client, RequestFactory
from django.urls import NoReverseMatch, reverse

from core.roles import ROLES, can_view, sealed_out
from tests.core.admin_records import make_record, registered_models
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

USERS = ["superuser", *(role.name for role in ROLES), "no group"]


@pytest.fixture
def users(roles) -> dict[str, Any]:
    result = {"superuser": UserFactory(username="walk-superuser", is_superuser=True)}
    for role in ROLES:
        result[role.name] = UserFactory(username=f"walk-{role.name.lower().replace(' ', '-')}", groups=[role.name])
    result["no group"] = UserFactory(username="walk-no-group")
    return result


def pages(model: type[Model], record: Model | None, pk: Any = None) -> dict[str, str]:
    """The pages of `record` (or of the id `pk`, for an id that does not exist)."""
    info = (model._meta.app_label, model._meta.model_name)
    pk = record.pk if record is not None else pk
    urls = {
        "list": reverse("admin:{}_{}_changelist".format(*info)),
        "change": reverse("admin:{}_{}_change".format(*info), args=[pk]),
        "history": reverse("admin:{}_{}_history".format(*info), args=[pk]),
        "add": reverse("admin:{}_{}_add".format(*info)),
    }
    history = getattr(record, "history", None)
    version = history.order_by("history_id").first() if history is not None else None
    if version is not None:
        try:
            urls["version"] = reverse("admin:{}_{}_simple_history".format(*info), args=[pk, version.history_id])
        except NoReverseMatch:  # an admin that does not show versions (a plain ModelAdmin)
            pass
    return urls


#: Pages refused on purpose to some roles that may view the model, with the reason.
REFUSED: dict[tuple[str, str], str] = {
    ("compliance.conflictofinterestcase", "version"): "a past version shows the reporter: compliance officers only",
    ("reporting.indicatorvalue", "version"): "a past value, for who may view every kind of record behind it "
    "(reporting/visibility.py)",
}


def hidden_from(user: Any, model: type[Model], record: Model) -> bool:
    """Whether the model's admin leaves `record` out of `user`'s queryset (an alert about a record they may
    not view): its pages must then answer as for an id that does not exist."""
    request = RequestFactory().get("/")
    request.user = user
    return admin.site._registry[model].get_object(request, str(record.pk)) is None


@pytest.mark.parametrize("model", registered_models(), ids=lambda model: model._meta.label_lower)
def test_every_admin_page_of_a_record_answers_every_role_without_error(users, model):
    record = make_record(model)
    label = model._meta.label_lower
    last = model._default_manager.order_by("-pk").values_list("pk", flat=True).first()
    missing = last + 1000 if isinstance(last, int) else "no-such-record"
    problems = []
    for name in USERS:
        user = users[name]
        client = Client()
        client.force_login(user)
        sealed = sealed_out(user, model)
        viewer = not sealed and (user.is_superuser or can_view(user, model))
        adder = user.has_perm(f"{model._meta.app_label}.add_{model._meta.model_name}")
        hidden = hidden_from(user, model, record)
        absent = pages(model, None, missing) if hidden else {}
        for page, url in pages(model, record).items():
            response = client.get(url)
            status = response.status_code
            if status >= 500:
                problems.append(f"{name}: {page} {url} answered {status}")
            elif sealed:
                if status != 404:
                    problems.append(f"{name}: {page} {url} answered {status}, not 404, to a user the seal keeps out")
            elif page in ("change", "history") and page in absent:
                twin = client.get(absent[page])
                if (status, response.get("Location")) != (twin.status_code, twin.get("Location")) or status == 200:
                    problems.append(
                        f"{name}: {page} {url} of a record hidden from them answered {status}, "
                        f"not as for an id that does not exist ({twin.status_code})"
                    )
            elif not viewer and status != 403:
                problems.append(f"{name}: {page} {url} answered {status}, not 403, to a role that may not view it")
            elif page == "add" and not adder and status != 403:
                problems.append(f"{name}: {page} {url} answered {status}, not 403, to a role that may not add")
            elif viewer and page != "add" and status != 200 and not (status == 403 and (label, page) in REFUSED):
                problems.append(f"{name}: {page} {url} answered {status} to a role that may view it")
    assert not problems, "\n".join(problems)
