"""Every admin page a person can open answers without a server error, for every role; the pages of a sealed
app (aml) answer 404 to whoever its seal keeps out (core/roles.py `sealed_out`)."""

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from core import roles
from core.roles import sealed_out
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
ROLES = [None, *(role.name for role in roles.ROLES)]


def registered_models():
    return sorted(
        (model for model in admin.site._registry if model._meta.app_label not in {"auth", "authtoken"}),
        key=lambda m: m._meta.label,
    )


@pytest.fixture
def clients():
    call_command("setup_roles", verbosity=0)
    result = {}
    for role in ROLES:
        user = UserFactory(is_superuser=role is None, groups=[role] if role else [])
        client = Client()
        client.force_login(user)
        client.vigie_user = user
        result[role or "superuser"] = client
    return result


@pytest.mark.parametrize("model", registered_models(), ids=lambda m: m._meta.label_lower)
def test_changelist_search_and_add_pages_never_fail(clients, model):
    info = (model._meta.app_label, model._meta.model_name)
    changelist = reverse("admin:{}_{}_changelist".format(*info))
    add = reverse("admin:{}_{}_add".format(*info))
    for role, client in clients.items():
        for url, params in ((changelist, {}), (changelist, {"q": "a'b"}), (add, {})):
            status = client.get(url, params).status_code
            allowed = (404,) if sealed_out(client.vigie_user, model) else (200, 302, 403)
            assert status in allowed, (role, url, params, status)
    assert clients["superuser"].get(changelist).status_code == 200


def test_admin_index_lists_the_apps_in_french(clients):
    """The sidebar's sections, by what people do, in French."""
    body = clients["superuser"].get(reverse("admin:index")).content.decode()
    for section in ("Mon bureau", "RGPD", "Conformité", "Formation", "Indicateurs", "Administration"):
        assert section in body, section
