"""Every admin page of a real record, for every role (issue 14, item 10).

For each model of the admin registry, one record is made (by the factories of tests/**/factories.py, or by
BUILDERS below for the models no factory makes), then the superuser, each role's user and a staff user
without a group open its list, the record's change page (a read-only form for who may only view), its
history, one of its historical versions when it keeps them, and the add page. No page may answer a server
error; a role without the view permission gets a 403 on every page of the model, one without the add
permission a 403 on the add page.

Models come from `admin.site._registry` and factories are found by their `Meta.model`: a new model is
walked without anyone adding it here, and the walk fails, naming it, when nothing can make its record.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import factory
import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db.models import Model
from django.test import Client, RequestFactory
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from core.roles import ROLES, can_view
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TESTS = Path(__file__).resolve().parent.parent
USERS = ["superuser", *(role.name for role in ROLES), "no group"]


def factories() -> dict[str, type[factory.django.DjangoModelFactory]]:
    """label_lower → the first factory of tests/**/factories.py that makes that model."""
    found: dict[str, type[factory.django.DjangoModelFactory]] = {}
    for path in sorted(TESTS.glob("**/factories.py")):
        module = importlib.import_module(".".join(("tests", *path.relative_to(TESTS).with_suffix("").parts)))
        members: list[tuple[str, Any]] = inspect.getmembers(module, inspect.isclass)
        for _name, value in members:
            if issubclass(value, factory.django.DjangoModelFactory) and value._meta.model is not None:
                found.setdefault(value._meta.model._meta.label_lower, value)
    return found


def _import_run() -> Model:
    from core.models import ImportRun

    return ImportRun.objects.create(kind="roster", file_name="roster.csv", status="completed", rows_read=1, created=1)


def _retention_run() -> Model:
    from core.models import RetentionRun

    return RetentionRun.objects.create(reference_day=dt.date(2030, 1, 1), dry_run=True, status="completed", report=[])


def _alert() -> Model:
    from django.contrib.contenttypes.models import ContentType

    from notifications.models import Alert, Delivery
    from tests.gdpr.factories import RightsRequestFactory

    request = RightsRequestFactory()
    now = timezone.now()
    alert = Alert.objects.create(
        rule="gdpr.rights_request.deadline",
        threshold="d-7",
        content_type=ContentType.objects.get_for_model(request),
        object_id=request.pk,
        object_label=request.reference,
        due_at=now,
        fires_at=now,
        urgency="soon",
        title=f"{request.reference}: due in 7 days",
        admin_path=f"/admin/gdpr/rightsrequest/{request.pk}/change/",
    )
    Delivery.objects.create(alert=alert, recipient="dpo@example.org")
    return alert


def _reporting_year() -> Any:
    from reporting.models import ReportingYear

    return ReportingYear.objects.create(year=2023, computed_at=timezone.now())


def _indicator_value() -> Model:
    from reporting.models import IndicatorValue

    return IndicatorValue.objects.create(
        reporting_year=_reporting_year(),
        code="E2_RIGHTS_REQUESTS",
        value=1,
        computed_at=timezone.now(),
        method="rights requests received in the year",
        records=[{"model": "gdpr.rightsrequest", "ids": [1]}],
        records_count=1,
    )


def _manual_value() -> Model:
    from reporting import catalogue
    from reporting.models import ManualValue

    code = next(d.code for d in catalogue.DEFINITIONS if not d.computed)
    return ManualValue.objects.create(year=2023, code=code, value=1, owner="HR", source_reference="DPEF 2023")


def _token() -> Model:
    from rest_framework.authtoken.models import Token, TokenProxy

    return TokenProxy.objects.get(pk=Token.objects.create(user=UserFactory(username="api-client")).pk)


def _totp_device() -> Model:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.create(user=UserFactory(username="with-a-phone"), name="phone")


def _axes(model_name: str) -> Callable[[], Model]:
    def build() -> Model:
        from django.apps import apps

        model = apps.get_model("axes", model_name)
        fields: dict[str, Any] = {
            "username": "someone",
            "ip_address": "192.0.2.1",
            "user_agent": "test",
            "http_accept": "*/*",
            "path_info": "/admin/login/",
        }
        names = {field.name for field in model._meta.get_fields()}
        if "failures_since_start" in names:
            fields.update(get_data="", post_data="", failures_since_start=1)
        if "locked_out" in names:
            fields["locked_out"] = False
        return model.objects.create(**{k: v for k, v in fields.items() if k in names})

    return build


#: The records of the registered models no factory makes.
BUILDERS: dict[str, Callable[[], Model]] = {
    "auth.group": lambda: Group.objects.get(name=ROLES[0].name),
    "authtoken.tokenproxy": _token,
    "axes.accessattempt": _axes("AccessAttempt"),
    "axes.accessfailurelog": _axes("AccessFailureLog"),
    "axes.accesslog": _axes("AccessLog"),
    "core.importrun": _import_run,
    "core.retentionrun": _retention_run,
    "notifications.alert": _alert,
    "otp_totp.totpdevice": _totp_device,
    "reporting.indicatorvalue": _indicator_value,
    "reporting.manualvalue": _manual_value,
    "reporting.reportingyear": _reporting_year,
}


def registered_models() -> list[type[Model]]:
    return sorted(admin.site._registry, key=lambda model: model._meta.label_lower)


def make_record(model: type[Model]) -> Model:
    label = model._meta.label_lower
    if label in BUILDERS:
        return BUILDERS[label]()
    made = factories().get(label)
    if made is None:
        pytest.fail(
            f"{label} is in the admin but nothing makes its record: add a factory to tests/<app>/factories.py "
            f"(or a builder to BUILDERS in {Path(__file__).name})"
        )
    return made()


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
        viewer = user.is_superuser or can_view(user, model)
        adder = user.has_perm(f"{model._meta.app_label}.add_{model._meta.model_name}")
        hidden = hidden_from(user, model, record)
        absent = pages(model, None, missing) if hidden else {}
        for page, url in pages(model, record).items():
            response = client.get(url)
            status = response.status_code
            if status >= 500:
                problems.append(f"{name}: {page} {url} answered {status}")
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
