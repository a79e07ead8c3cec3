"""The records of the models of the admin registry, for the tests that walk every model (test_admin_walk.py,
test_admin_queries.py): made by the factories of tests/**/factories.py, found by their `Meta.model`, or by
BUILDERS below for the models no factory makes. A new model is walked without anyone adding it, and the walk
fails, naming it, when nothing can make its record.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import factory
import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db.models import Model
from django.utils import timezone

from core.roles import ROLES
from tests.factories import UserFactory

TESTS = Path(__file__).resolve().parent.parent


@cache
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


# Each builder makes the `n`-th record of its model (n = 0, 1, ...): several may live side by side.


def _import_run(n: int) -> Model:
    from core.models import ImportRun

    return ImportRun.objects.create(kind="roster", file_name="roster.csv", status="completed", rows_read=1, created=1)


def _retention_run(n: int) -> Model:
    from core.models import RetentionRun

    return RetentionRun.objects.create(
        reference_day=dt.date(2030, 1, 1) + dt.timedelta(days=n), dry_run=True, status="completed", report=[]
    )


def _alert(n: int) -> Model:
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


def _reporting_year(n: int) -> Any:
    from reporting.models import ReportingYear

    return ReportingYear.objects.create(year=2023 - n, computed_at=timezone.now())


def _indicator_value(n: int) -> Model:
    from reporting.models import IndicatorValue

    return IndicatorValue.objects.create(
        reporting_year=_reporting_year(n),
        code="E2_RIGHTS_REQUESTS",
        value=1,
        computed_at=timezone.now(),
        method="rights requests received in the year",
        records=[{"model": "gdpr.rightsrequest", "ids": [1]}],
        records_count=1,
    )


def _manual_value(n: int) -> Model:
    from reporting import catalogue
    from reporting.models import ManualValue

    code = next(d.code for d in catalogue.DEFINITIONS if not d.computed)
    return ManualValue.objects.create(year=2023 - n, code=code, value=1, owner="HR", source_reference="DPEF 2023")


def _token(n: int) -> Model:
    from rest_framework.authtoken.models import Token, TokenProxy

    return TokenProxy.objects.get(pk=Token.objects.create(user=UserFactory(username=f"api-client-{n}")).pk)


def _totp_device(n: int) -> Model:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.create(user=UserFactory(username=f"with-a-phone-{n}"), name="phone")


def _group(n: int) -> Model:
    return Group.objects.get(name=ROLES[0].name) if n == 0 else Group.objects.create(name=f"Group {n}")


def _axes(model_name: str) -> Callable[[int], Model]:
    def build(n: int) -> Model:
        from django.apps import apps

        model = apps.get_model("axes", model_name)
        fields: dict[str, Any] = {
            "username": f"someone-{n}",
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
BUILDERS: dict[str, Callable[[int], Model]] = {
    "auth.group": _group,
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


def make_record(model: type[Model], n: int = 0) -> Model:
    """The `n`-th record of `model` (a factory's records differ anyway; a builder's by `n`)."""
    label = model._meta.label_lower
    if label in BUILDERS:
        return BUILDERS[label](n)
    made = factories().get(label)
    if made is None:
        pytest.fail(
            f"{label} is in the admin but nothing makes its record: add a factory to tests/<app>/factories.py "
            f"(or a builder to BUILDERS in tests/core/{Path(__file__).name})"
        )
    return made()
