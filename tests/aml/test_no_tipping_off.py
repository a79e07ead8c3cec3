"""No tipping off, proved by walking every URL of the URL resolver as each kind of user (issue 20, item 2).

A world of AML records carrying MARKERS (names, references, list ids...) is made with the factories, with
an alert of the floor's ledger and an import run about them. Then, for every user the seal of the aml app
keeps out (core/roles.py `sealed_out`: the superuser when VIGIE_AML_VISIBLE_TO_SUPERUSERS is False, each
role but LCB-FT, a staff user with no group, a user given every aml permission by hand, a visitor), every
pattern of `get_resolver()` is filled from the world and requested:

1. no response (body, headers, redirect target) holds a marker;
2. every path of a sealed app (`/admin/aml/...`, `/api/aml/...`) answers exactly what the same path under
   an app that does not exist answers (`/admin/amx/...`, `/api/amx/...`): status, body, content type, no
   `Allow` header; GET, HEAD, OPTIONS and an empty POST; existing and missing ids alike;
3. the differential: every other URL answers the same with and without the AML world (a count, a filter
   option, a desk line, a schema component would differ).

Positive controls: the LCB-FT member and the superuser with the setting True are let in (and, once the aml
admins are registered, find the markers on the pages of their records).

The walk knows no URL by name: patterns added later (the aml admins and API, any other app) are walked
without editing this file. A URL argument the walker cannot fill fails the test by name; `UNFILLABLE` lists,
with a reason each, the only patterns left out.
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.files.base import ContentFile
from django.db.models import Model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.utils import timezone
from rest_framework.test import APIClient

from aml.choices import AlertStatus, Decision
from core.downloads import media_fields
from core.imports import importers
from core.models import ImportRun
from core.roles import AML_OFFICER, ROLES, sealed_apps, sealed_out
from notifications.jobs import run_sending, run_sweep
from notifications.models import Alert as LedgerAlert
from tests.aml.factories import AlertFactory, CounterpartyFactory, HitFactory, ListEntryFactory, ScreeningListFactory
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.slow, pytest.mark.usefixtures("isolated_media")]

SEALED_APP = "aml"
SIBLING = "amx"  # an app label that does not exist: what a sealed path must answer like
MISSING_ID = 987654321

#: Strings of the AML world that no sealed-out user may read anywhere.
MARKERS = (
    "Zéphyrine OKSANA-SECRET",
    "OKSANA-SECRET",
    "Kazimir ALIAS-SECRET",
    "LISTID-SECRET-7",
    "AML-SECRET-001",
    "TRACFIN-SECRET-42",
    "SCREENLIST-SECRET",
    "aml-secret-file.csv",
    "AML-SECRET-002",
    "AML-SECRET-003",
    "tracfin-SECRET",
)

#: Patterns the walker does not fill, by route, with the reason. Nothing else may be left out.
UNFILLABLE: dict[str, str] = {
    "admin/(?P<url>.*)$": "the admin's catch-all: it is the 'missing sibling' every sealed path is compared with",
}

#: Values tried, in order, for URL arguments that name no record.
GENERIC = {
    "format": ("json", ".json"),
    "token": ("no-such-token",),
    "action": ("no-such-action",),
    "which": ("enhanced-report", "tracfin", "no-such-file"),
    "attachment_id": (str(MISSING_ID),),  # a whistleblowing report's attachment (tests/whistleblowing)
}


# --- the world --------------------------------------------------------------------------------------------


def make_aml_world(owner: Any) -> list[Model]:
    """The AML records, the floor's ledger alert and the import run about them; returns what to delete."""
    screening_list = ScreeningListFactory(code="SCREENLIST-SECRET", name="SCREENLIST-SECRET list")
    entry = ListEntryFactory(
        screening_list=screening_list, list_id="LISTID-SECRET-7", name="OKSANA-SECRET", aliases="Kazimir ALIAS-SECRET"
    )
    counterparty = CounterpartyFactory(name="Zéphyrine OKSANA-SECRET", reference="CP-OKSANA-SECRET")
    hit = HitFactory(counterparty=counterparty, entry=entry)
    alert = AlertFactory(reference="AML-SECRET-001", counterparty=counterparty, reason="OKSANA-SECRET repayment")
    today = timezone.localdate()
    reported = AlertFactory(
        reference="AML-SECRET-002",
        counterparty=counterparty,
        raised_at=timezone.now() - dt.timedelta(days=60),
        analysis_due_on=today - dt.timedelta(days=30),
        status=AlertStatus.DECIDED,
        decision=Decision.TRACFIN_REPORT,
        decided_on=today,
        decision_reason="OKSANA-SECRET suspicious",
        tracfin_reported_on=today,
        tracfin_reference="TRACFIN-SECRET-42",
        tracfin_file=ContentFile(b"%PDF-1.4 OKSANA-SECRET", name="tracfin-SECRET.pdf"),
    )
    overdue = AlertFactory(  # overdue and unassigned: the real rules raise it in the ledger, and email the role
        reference="AML-SECRET-003",
        counterparty=counterparty,
        raised_at=timezone.now() - dt.timedelta(days=40),
        analysis_due_on=today - dt.timedelta(days=10),
    )
    created: list[Model] = [hit, reported, overdue, alert, counterparty, entry, screening_list]
    ledger = LedgerAlert.objects.create(
        rule="aml-alert-analysis",
        threshold="d-7",
        content_type=ContentType.objects.get_for_model(alert),
        object_id=alert.pk,
        object_label="AML-SECRET-001",
        due_at=alert.raised_at,
        fires_at=alert.raised_at,
        urgency="overdue",
        title="AML-SECRET-001 TRACFIN-SECRET-42 overdue",
        admin_path=f"/admin/aml/alert/{alert.pk}/change/",
        unaddressed=True,
    )
    run = ImportRun.objects.create(
        kind="counterparties",
        file_name="aml-secret-file.csv",
        status=ImportRun.Status.COMPLETED,
        message="OKSANA-SECRET",
        user=owner,
    )
    # The real rules' sweep and sending: ledger rows, deliveries and emails about the AML records.
    now = timezone.now()
    run_sweep("daily", now)
    run_sending(now, digests=True)
    return [ledger, run, *created]


def drop_aml_world(created: list[Model]) -> None:
    LedgerAlert.objects.filter(content_type__app_label=SEALED_APP).delete()
    for record in created:
        type(record)._default_manager.filter(pk=record.pk).delete()
    for model in apps.get_app_config(SEALED_APP).get_models():
        model._default_manager.all().delete()


# --- the users --------------------------------------------------------------------------------------------

#: name → how to make the user (None: a visitor) and the setting VIGIE_AML_VISIBLE_TO_SUPERUSERS.
SEALED_OUT = {
    "superuser (setting False)": ({"is_superuser": True}, False),
    **{role.name: ({"groups": [role.name]}, True) for role in ROLES if role.name != AML_OFFICER},
    "staff without group": ({}, True),
    "aml permissions by hand": ({"aml_by_hand": True}, True),
    "visitor": (None, True),
}
LET_IN = {
    AML_OFFICER: ({"groups": [AML_OFFICER]}, False),
    "superuser (setting True)": ({"is_superuser": True}, True),
}


def make_user(name: str, spec: dict[str, Any] | None) -> Any:
    if spec is None:
        return None
    from django.contrib.auth.models import Permission

    spec = dict(spec)
    by_hand = spec.pop("aml_by_hand", False)
    user = UserFactory(username="walk-" + re.sub(r"\W+", "-", name.lower()).strip("-"), **spec)
    if by_hand:
        user.user_permissions.set(Permission.objects.filter(content_type__app_label=SEALED_APP))
    return type(user)._default_manager.get(pk=user.pk)


def clients_for(user: Any) -> tuple[Client, APIClient]:
    web, api = Client(raise_request_exception=False), APIClient(raise_request_exception=False)
    if user is not None:
        web.force_login(user)
        api.force_authenticate(user)
    return web, api


# --- the walk ---------------------------------------------------------------------------------------------


def _patterns(patterns: list, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


ARGUMENT = re.compile(
    r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>|\(\?P<(?P<rname>\w+)>(?P<body>[^)]*)\)|(?P<unnamed>\((?!\?)[^)]*\))"
)
#: Unnamed regex groups, by position (simple-history's past version: the record, then the version).
UNNAMED = ("object_id", "history_id")


def _model_of(route: str, pattern: URLPattern) -> type[Model] | None:
    """The model a URL is about: an admin route's registered model, an API view's queryset model."""
    match = re.match(r"admin/(\w+)/(\w+)/", route)
    if match:
        try:
            model = apps.get_model(match.group(1), match.group(2))
        except LookupError:
            model = None
        if model is not None and model in admin.site._registry:
            return model
    view_class = getattr(pattern.callback, "cls", None)
    queryset = getattr(view_class, "queryset", None)
    if queryset is None and view_class is not None and hasattr(view_class, "get_queryset"):
        try:
            view = view_class()
            view.kwargs, view.args, view.action, view.format_kwarg = {}, (), "list", None
            view.request = None
            queryset = view.get_queryset()
        except Exception:  # noqa: BLE001 - a view that needs its request: no model
            queryset = None
    return getattr(queryset, "model", None)


def _record(model: type[Model] | None) -> Model | None:
    return None if model is None else model._default_manager.order_by("pk").first()


def _candidates(name: str, body: str, model: type[Model] | None, pattern: URLPattern) -> list[str]:
    """The values to try for the URL argument `name` (several: an existing and a missing record)."""
    record = _record(model)
    lookup = getattr(getattr(pattern.callback, "cls", None), "lookup_field", "pk")
    if name in ("object_id", "pk", "id") or name == lookup:
        field = lookup if name == lookup else "pk"
        return [*([str(getattr(record, field))] if record is not None else []), str(MISSING_ID)]
    if name == "history_id":
        history = getattr(record, "history", None)
        version = history.order_by("history_id").first() if history is not None else None
        return [str(version.history_id)] if version is not None else [str(MISSING_ID)]
    if name == "app_label" and "|" in body:
        return body.split("|")
    if name == "kind":
        return [*importers(), "no-such-kind"]
    if name == "content_type_id":
        sealed = [
            str(ContentType.objects.get_for_model(model).pk)
            for model in apps.get_models()
            if model._meta.app_label in sealed_apps()
        ]
        return sealed or [str(MISSING_ID)]
    if name == "name" and pattern.callback.__name__ == "media_download":
        # Every stored file of the media folder (the AML/CFT report files among them), and one no record holds.
        stored = [
            getattr(record, field).name
            for media_model, field in media_fields()
            for record in media_model._default_manager.exclude(**{field: ""})
        ]
        return [*stored, "no-such-file.pdf"]
    return list(GENERIC.get(name, ()))


def _fill(route: str, pattern: URLPattern) -> list[str] | None:
    """Every URL of the pattern the world fills (None: an argument with nothing to fill it)."""
    model = _model_of(route, pattern)
    urls = [route]
    unnamed = iter(UNNAMED)
    for match in ARGUMENT.finditer(route):
        name = match.group("name") or match.group("rname") or next(unnamed, "unnamed")
        values = _candidates(name, match.group("body") or "", model, pattern)
        if name == "object_id" and "content_type_id" in route:  # view on site: a record of a sealed model
            sealed = [m for m in apps.get_models() if m._meta.app_label in sealed_apps()]
            values = [str(record.pk) for m in sealed if (record := _record(m)) is not None] + [str(MISSING_ID)]
        if not values:
            return None
        urls = [url.replace(match.group(0), value, 1) for url in urls for value in values]
    found = []
    for url in urls:
        url = "/" + url.replace("^", "").replace("$", "").replace("/?", "").replace("\\.", ".")
        try:
            resolved = resolve(url.partition("?")[0])
        except Resolver404:
            continue
        if resolved.func is pattern.callback:  # filled right: not another pattern's (the catch-all's) URL
            found.append(url)
    return found or None


@dataclass
class Walk:
    urls: list[str]
    unfillable: list[str]


def walk() -> Walk:
    urls: dict[str, None] = {}
    unfillable = []
    for route, pattern in _patterns(get_resolver().url_patterns):
        if route in UNFILLABLE:
            continue
        filled = _fill(route, pattern)
        if filled is None:
            unfillable.append(route)
            continue
        for url in filled:
            urls.setdefault(url, None)
            if _is_sealed_path(url) and _is_list(url):
                for marker in MARKERS[:2]:
                    urls.setdefault(f"{url}?q={marker}", None)
    return Walk(list(urls), unfillable)


def _is_sealed_path(url: str) -> bool:
    return any(url.startswith(f"/{area}/{label}/") for area in ("admin", "api") for label in sealed_apps())


def _is_list(url: str) -> bool:
    return url.rstrip("/").count("/") == 3


def _sibling(url: str) -> str:
    for label in sealed_apps():
        for area in ("admin", "api"):
            if url.startswith(f"/{area}/{label}/"):
                return f"/{area}/{SIBLING}/" + url.removeprefix(f"/{area}/{label}/")
    return url


# --- reading the answers ----------------------------------------------------------------------------------

TOKEN = re.compile(r"[A-Za-z0-9]{32,}")
CLOCK = re.compile(r"\d{1,2}[:h]\d{2}(:\d{2})?(\.\d+)?")
HEADERS = ("Content-Type", "Location", "Allow", "Content-Disposition", "Vary")


def _text(body: bytes) -> str:
    """A body as text; a ZIP (a spreadsheet, the auditor pack) as its members' names and contents."""
    if body.startswith(b"PK"):
        try:
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                return "\n".join(f"{member}\n{_text(archive.read(member))}" for member in sorted(archive.namelist()))
        except zipfile.BadZipFile:
            pass
    return body.decode(errors="replace")


def answer(client: Any, method: str, url: str) -> dict[str, Any]:
    # Each answer on its own: no message left by the request before ("… does not exist") shows in it.
    client.cookies.pop("messages", None)
    response = getattr(client, method)(url)
    body = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    return {
        "status": response.status_code,
        "body": _text(body),
        **{header: response.get(header) for header in HEADERS},
    }


def normalised(found: dict[str, Any]) -> dict[str, Any]:
    """An answer without what changes from one request to the next (CSRF tokens, session ids, clocks)."""
    return {
        key: CLOCK.sub("T", TOKEN.sub("X", value)) if isinstance(value, str) else value for key, value in found.items()
    }


def client_for(url: str, web: Client, api: APIClient) -> Any:
    return api if url.startswith("/api/") else web


def leaks(found: dict[str, Any], url: str) -> list[str]:
    """The markers in an answer, but those the request itself carried (a login redirect's "next")."""
    text = " ".join(str(value) for value in found.values())
    asked = unquote(url)
    return [marker for marker in MARKERS if marker in unquote(text) and marker not in asked]


# --- the tests --------------------------------------------------------------------------------------------


def test_every_pattern_of_the_resolver_is_filled():
    found = walk()
    assert not found.unfillable, "URL patterns the walker cannot fill (give them a value or a reason): " + ", ".join(
        found.unfillable
    )
    assert len(found.urls) > 100


@pytest.mark.parametrize("name", list(SEALED_OUT))
def test_a_user_outside_the_seal_learns_nothing_of_the_aml_records(roles, settings, name):
    spec, visible = SEALED_OUT[name]
    settings.VIGIE_AML_VISIBLE_TO_SUPERUSERS = visible
    owner = UserFactory(username="walk-importer")
    user = make_user(name, spec)
    assert sealed_out(user, f"{SEALED_APP}.alert")
    web, api = clients_for(user)

    mail.outbox.clear()
    created = make_aml_world(owner)
    found = walk()
    problems: list[str] = []
    for message in mail.outbox:  # emails: none reaches this user, and none carries a marker to anyone outside
        if user is not None and user.email in message.to + message.cc + message.bcc:
            problems.append(f"email to {user.email}: {message.subject}")
        if leaked := [m for m in MARKERS if m in message.subject + message.body]:
            problems.append(f"email {message.subject!r} carries {leaked}")
    with_world: dict[str, dict[str, Any]] = {}
    for url in found.urls:
        client = client_for(url, web, api)
        got = answer(client, "get", url)
        if got["status"] >= 500:  # on every path, sealed or not: no page may fail for these users
            problems.append(f"GET {url}: {got['status']}")
        if leaked := leaks(got, url):
            problems.append(f"GET {url} shows {leaked}")
        if _is_sealed_path(url):
            for method in ("get", "head", "options", "post"):
                mine = got if method == "get" else answer(client, method, url)
                twin = answer(client, method, _sibling(url))
                # The sibling's own path, where it names it (the login page's "next"), read as the sealed one.
                twin = {
                    k: v.replace(f"/{SIBLING}/", f"/{SEALED_APP}/").replace(f"%2F{SIBLING}%2F", f"%2F{SEALED_APP}%2F")
                    if isinstance(v, str)
                    else v
                    for k, v in twin.items()
                }
                if mine["Allow"] or normalised(mine) != normalised(twin):
                    problems.append(
                        f"{method.upper()} {url} answers {mine['status']} (Allow {mine['Allow']!r}), not as "
                        f"{_sibling(url)} ({twin['status']})"
                    )
        else:
            with_world[url] = normalised(got)
    # The differential: every other page, without the AML world.
    drop_aml_world(created)
    for url, before in with_world.items():
        after = normalised(answer(client_for(url, web, api), "get", url))
        if after != before:
            changed = [key for key in before if before[key] != after[key]]
            diff = difflib.unified_diff(before["body"].splitlines(), after["body"].splitlines(), lineterm="", n=0)
            lines = [line[:200] for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")][:6]
            problems.append(f"GET {url} changes with the AML world ({', '.join(changed)}): {lines}")
    assert not problems, f"{name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("name", list(LET_IN))
def test_the_lcb_ft_role_and_superusers_by_setting_see_the_aml_records(roles, settings, name):
    """The positive control: the walk above would pass by seeing nothing if nobody could see the records."""
    spec, visible = LET_IN[name]
    settings.VIGIE_AML_VISIBLE_TO_SUPERUSERS = visible
    user = make_user(name, spec)
    assert not sealed_out(user, f"{SEALED_APP}.alert")
    mail.outbox.clear()
    make_aml_world(UserFactory(username="walk-importer"))
    if not user.is_superuser:  # the role's members get the overdue alert's email (superusers are not a role)
        assert any(user.email in m.to and "AML-SECRET-003" in m.subject + m.body for m in mail.outbox), [
            (m.to, m.subject) for m in mail.outbox
        ]
    web, api = clients_for(user)
    registered = [model for model in admin.site._registry if model._meta.app_label == SEALED_APP]
    for model in registered:
        opts = model._meta
        response = web.get(f"/admin/{opts.app_label}/{opts.model_name}/")
        assert response.status_code == 200, (name, opts.label)
        record = _record(model)
        if record is not None and opts.model_name == "alert":
            page = web.get(f"/admin/{opts.app_label}/{opts.model_name}/{record.pk}/change/")
            assert "AML-SECRET-001" in page.content.decode()
    for url in walk().urls:
        if url.startswith(f"/api/{SEALED_APP}/") and _is_list(url) and "?" not in url:
            response = api.get(url)
            assert response.status_code == 200, (name, url)
    if registered:
        assert SEALED_APP in web.get("/admin/").content.decode()
