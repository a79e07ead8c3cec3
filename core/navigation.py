"""The admin's sidebar (django-unfold's SIDEBAR["navigation"]): organised by what people do — "Mon bureau",
then one section per domain (RGPD, Conformité, Formation, Indicateurs), then "Administration" — and showing
each person only the pages their role may open.

The apps declare where they go, on their AppConfig (the floor imports no domain):

    navigation_order = 20            # the app is a section of its own, placed by this number;
    navigation_section = "desk"      # or: its lists go under "Mon bureau" (notifications' alerts);
    navigation_links = ((_("Dashboard"), "admin:reporting_dashboard", "reporting.view_reportingyear"),)
                                     # pages that are not a model's list, with the permission they need.

An app that declares nothing (core's imports and retention runs, the organisation, Django's users and
groups, the two-factor devices, the login attempts) goes under "Administration". A model is listed when
the site lists it for the user (Django's `get_app_list`: the view or change permission), so a link in the
sidebar never leads to a 403.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib import admin
from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from .roles import sealed_out

DESK = "desk"
ADMINISTRATION = "administration"
#: Where the two fixed sections stand among the apps' `navigation_order`.
DESK_ORDER = 0
ADMINISTRATION_ORDER = 1000


def _section_of(app_label: str) -> tuple[str, int, Any]:
    """(section key, order, title) of an app's lists."""
    try:
        config = apps.get_app_config(app_label)
    except LookupError:  # pragma: no cover - get_app_list names installed apps only
        return ADMINISTRATION, ADMINISTRATION_ORDER, _("Administration")
    section = getattr(config, "navigation_section", None)
    if section == DESK:
        return DESK, DESK_ORDER, _("My desk")
    order = getattr(config, "navigation_order", None)
    if order is None:
        return ADMINISTRATION, ADMINISTRATION_ORDER, _("Administration")
    return config.label, order, config.verbose_name


def _extra_links(request: HttpRequest) -> list[tuple[str, dict[str, Any]]]:
    """(app label, item) of the pages the apps declare that are not a model's list, for who may open them."""
    found = []
    for config in apps.get_app_configs():
        for title, url_name, permission in getattr(config, "navigation_links", ()):
            # A sealed app's links are not there for a user outside its seal (superusers pass has_perm).
            if sealed_out(request.user, permission) or not request.user.has_perm(permission):
                continue
            try:
                link = reverse(url_name)
            except NoReverseMatch:  # pragma: no cover - a declaration naming a missing page
                continue
            found.append((config.label, {"title": title, "link": link}))
    return found


def sidebar(request: HttpRequest) -> list[dict[str, Any]]:
    """The sidebar's sections for the signed-in user, in django-unfold's format."""
    sections: dict[str, dict[str, Any]] = {
        DESK: {
            "order": DESK_ORDER,
            "title": _("My desk"),
            "items": [{"title": _("What is due"), "icon": "home", "link": reverse("admin:index")}],
        }
    }

    def section(app_label: str) -> dict[str, Any]:
        key, order, title = _section_of(app_label)
        return sections.setdefault(key, {"order": order, "title": title, "items": []})

    for app in admin.site.get_app_list(request):
        for model in app["models"]:
            if model.get("admin_url") and (model["perms"].get("view") or model["perms"].get("change")):
                section(app["app_label"])["items"].append({"title": model["name"], "link": model["admin_url"]})
    for app_label, item in _extra_links(request):
        section(app_label)["items"].insert(0, item)
    ordered = sorted(sections.values(), key=lambda found: (found["order"], str(found["title"])))
    return [
        {"title": found["title"], "separator": index > 0, "collapsible": False, "items": found["items"]}
        for index, found in enumerate(ordered)
        if found["items"]
    ]


def stylesheet(request: HttpRequest) -> str:
    """Vigie's few rules over django-unfold's look (core/static/vigie/admin.css): lists that fit 1366 px."""
    return static("vigie/admin.css")


def script(request: HttpRequest) -> str:
    """The full text of a list cell cut by admin.css, on hover (core/static/vigie/admin.js)."""
    return static("vigie/admin.js")
