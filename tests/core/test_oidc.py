"""Company sign-on (issue 19): OpenID Connect against a real provider (oidc-provider-mock on a thread), the
roles applied exactly from the IdP's groups at every login, the "no access" page, the renewal limit of a
session (the admin and the API), and the break-glass local administrator."""

from __future__ import annotations

import base64
import datetime as dt
import importlib
import io
import logging
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import clear_url_caches
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from oidc_provider_mock import run_server_in_thread

from config.settings.base import parse_role_map
from core.oidc import check_settings
from tests.core.test_login_security import LOGIN, PASSWORD, code_for, logged_in, login
from tests.core.test_settings import production, run_manage
from tests.factories import UserFactory

User = get_user_model()
ROLE_MAP = {"vigie-dpo": "DPO", "vigie-compliance": "Compliance officer", "vigie-training": "Training manager"}
API = "/api/gdpr/rights-requests/"
REFUSED_FR = "Votre compte n’a accès à aucun espace de Vigie. Contactez support@corp.example."


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    with run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


def _reload_urls() -> None:
    import config.urls

    importlib.reload(config.urls)
    clear_url_caches()


@pytest.fixture
def sign_on(settings, provider, roles) -> Iterator[str]:
    """Company sign-on configured as config/settings/base.py does from the environment."""
    settings.OIDC_RP_CLIENT_ID = "vigie"
    settings.OIDC_RP_CLIENT_SECRET = "vigie-secret"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{provider}/oauth2/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{provider}/oauth2/token"
    settings.OIDC_OP_USER_ENDPOINT = f"{provider}/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{provider}/jwks"
    settings.VIGIE_OIDC_ROLE_MAP = ROLE_MAP
    settings.VIGIE_SUPPORT_CONTACT = "support@corp.example"
    settings.VIGIE_OIDC_ENABLED = True
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "core.oidc.CompanySignOnBackend"]
    settings.AXES_WHITELIST_CALLABLE = "core.oidc.axes_exempt"
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(middleware.index("django_otp.middleware.OTPMiddleware") + 1, "core.oidc.SessionRefresh")
    settings.MIDDLEWARE = middleware
    _reload_urls()
    yield provider
    settings.VIGIE_OIDC_ENABLED = False
    _reload_urls()


def set_claims(provider: str, sub: str, **claims: Any) -> None:
    requests.put(f"{provider}/users/{sub}", json=claims, timeout=10).raise_for_status()


def callback_path(location: str) -> str:
    parts = urlsplit(location)
    assert parts.path == "/oidc/callback/", location
    return f"{parts.path}?{parts.query}"


def sign_in(client: Client, sub: str, next_url: str = "/admin/"):
    """The browser's round trip: Vigie → the provider (the person signs in as `sub`) → Vigie's callback."""
    start = client.get("/oidc/authenticate/", {"next": next_url})
    assert start.status_code == 302
    answer = requests.post(start["Location"], data={"sub": sub}, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return client.get(callback_path(answer.headers["Location"]))


def confirm_renewal(location: str, sub: str) -> str:
    """The provider confirms the person on a renewal: a real IdP answers prompt=none silently while its own
    session lasts; the mock keeps no session (it answers login_required), so the person is posted to it
    without the prompt, with the same state, nonce and PKCE challenge."""
    parts = urlsplit(location)
    query = {key: values[0] for key, values in parse_qs(parts.query).items() if key != "prompt"}
    answer = requests.post(
        f"{parts.scheme}://{parts.netloc}{parts.path}",
        params=query,
        data={"sub": sub},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text
    return callback_path(answer.headers["Location"])


def role_groups(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


# --- first login, roles re-applied -------------------------------------------------------------------------


def test_first_login_creates_the_user_with_the_mapped_role(sign_on, client):
    set_claims(
        sign_on,
        "alice",
        email="Alice.Martin@corp.example",
        given_name="Alice",
        family_name="Martin",
        groups=["vigie-dpo"],
    )
    response = sign_in(client, "alice")
    assert response.status_code == 302 and response["Location"] == "/admin/"
    user = User.objects.get(email="Alice.Martin@corp.example")
    assert user.username == "Alice.Martin@corp.example"
    assert (user.first_name, user.last_name) == ("Alice", "Martin")
    assert user.is_staff and not user.is_superuser and not user.has_usable_password()
    assert role_groups(user) == {"DPO"}
    # Two-factor is required when company sign-on is on, and the IdP's session counts as strong: the
    # admin and the API's session login let the user in.
    assert client.get("/admin/").status_code == 200
    assert client.get(API).status_code == 200


def test_roles_follow_the_idp_groups_at_each_login(sign_on, client):
    newsletter = Group.objects.create(name="Newsletter")
    set_claims(sign_on, "bob", email="bob@corp.example", name="Bob Durand", groups=["vigie-dpo", "vigie-compliance"])
    sign_in(client, "bob")
    user = User.objects.get(email="bob@corp.example")
    assert (user.first_name, user.last_name) == ("Bob", "Durand")
    assert role_groups(user) == {"DPO", "Compliance officer"}
    user.groups.add(newsletter)  # not a role: the IdP does not manage it

    set_claims(sign_on, "bob", email="bob@corp.example", name="Bob Durand", groups=["vigie-compliance"])
    other = Client()
    assert sign_in(other, "bob").status_code == 302
    assert role_groups(user) == {"Compliance officer", "Newsletter"}
    assert User.objects.filter(email__iexact="bob@corp.example").count() == 1


def test_an_existing_local_user_is_found_by_email(sign_on, client):
    existing = UserFactory(username="cmartin", email="claire@corp.example", groups=["Training manager"])
    set_claims(sign_on, "claire", email="CLAIRE@corp.example", groups=["vigie-dpo"])
    sign_in(client, "claire")
    existing.refresh_from_db()
    assert role_groups(existing) == {"DPO"}
    assert User.objects.count() == 1


# --- bad input ------------------------------------------------------------------------------------------------


def test_claims_without_email_get_the_no_access_page_and_no_user(sign_on, client):
    set_claims(sign_on, "noemail", given_name="Nobody", groups=["vigie-dpo"])
    response = sign_in(client, "noemail")
    assert response.status_code == 403
    assert REFUSED_FR in response.content.decode()
    assert not User.objects.exists()
    assert client.get("/admin/").status_code == 302


def test_the_no_access_page_in_english(sign_on, client):
    set_claims(sign_on, "noemail-en", groups=["vigie-dpo"])
    client.cookies["django_language"] = "en"
    response = sign_in(client, "noemail-en")
    assert (
        "Your account has no access to any space of Vigie. Contact support@corp.example." in response.content.decode()
    )


def test_groups_without_a_role_create_no_user(sign_on, client, caplog):
    set_claims(sign_on, "dave", email="dave@corp.example", groups=["marketing"])
    with caplog.at_level(logging.WARNING, logger="core.oidc"):
        response = sign_in(client, "dave")
    assert response.status_code == 403
    assert REFUSED_FR in response.content.decode()
    assert not User.objects.filter(email="dave@corp.example").exists()
    assert "'marketing' is not in VIGIE_OIDC_ROLE_MAP" in caplog.text


def test_no_contact_setting_names_the_admins(sign_on, settings, client):
    settings.VIGIE_SUPPORT_CONTACT = ""
    settings.ADMINS = [("it@corp.example", "it@corp.example")]
    set_claims(sign_on, "erin", email="erin@corp.example", groups=[])
    response = sign_in(client, "erin")
    assert "Contactez it@corp.example." in response.content.decode()


def test_an_existing_user_whose_groups_give_no_role_loses_the_roles_and_cannot_enter(sign_on, client):
    set_claims(sign_on, "fanny", email="fanny@corp.example", groups=["vigie-training"])
    sign_in(client, "fanny")
    user = User.objects.get(email="fanny@corp.example")
    assert role_groups(user) == {"Training manager"}

    set_claims(sign_on, "fanny", email="fanny@corp.example", groups=["former-staff"])
    other = Client()
    response = sign_in(other, "fanny")
    assert response.status_code == 403 and REFUSED_FR in response.content.decode()
    user.refresh_from_db()
    assert role_groups(user) == set() and not user.is_staff
    assert other.get("/admin/").status_code == 302
    assert other.get(API).status_code in (401, 403)


def test_refusals_of_the_company_sign_on_do_not_lock_the_address(sign_on, settings, client):
    set_claims(sign_on, "kim", email="kim@corp.example", groups=["marketing"])
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        assert sign_in(Client(), "kim").status_code == 403
    set_claims(sign_on, "kim", email="kim@corp.example", groups=["vigie-dpo"])
    assert sign_in(client, "kim")["Location"] == "/admin/"
    assert logged_in(client)
    # The password form's own count is untouched: a local user is still refused after the limit.
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(Client(), "root", "wrong-password")
    UserFactory(username="root", is_superuser=True)
    assert login(Client(), "root").status_code != 302


def test_an_unknown_group_is_logged_not_fatal(sign_on, client, caplog):
    set_claims(sign_on, "gus", email="gus@corp.example", groups=["vigie-dpo", "vigie-unknown"])
    with caplog.at_level(logging.WARNING, logger="core.oidc"):
        response = sign_in(client, "gus")
    assert response.status_code == 302
    assert role_groups(User.objects.get(email="gus@corp.example")) == {"DPO"}
    assert "'vigie-unknown' is not in VIGIE_OIDC_ROLE_MAP" in caplog.text


def test_a_superuser_account_is_not_opened_by_the_company_sign_on(sign_on, client):
    admin = UserFactory(username="root", email="root@corp.example", is_superuser=True)
    set_claims(sign_on, "root", email="root@corp.example", groups=["vigie-dpo"])
    response = sign_in(client, "root")
    assert response.status_code == 403
    assert role_groups(admin) == set()
    assert client.get("/admin/").status_code == 302


def test_an_idp_refusal_at_login_goes_back_to_the_login_page(sign_on, client):
    start = client.get("/oidc/authenticate/", {"next": "/admin/"})
    denied = requests.post(start["Location"], data={"action": "deny"}, allow_redirects=False, timeout=10)
    assert "error=access_denied" in denied.headers["Location"]
    response = client.get(callback_path(denied.headers["Location"]))
    assert response.status_code == 302 and response["Location"] == "/admin/login/"
    assert not User.objects.exists()


# --- the renewal limit -------------------------------------------------------------------------------------------


def test_a_session_beyond_the_renewal_limit_is_refused_when_the_idp_no_longer_accepts(sign_on, settings, client):
    set_claims(sign_on, "hugo", email="hugo@corp.example", groups=["vigie-dpo"])
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as traveller:
        sign_in(client, "hugo")
        assert client.get("/admin/").status_code == 200
        assert client.get(API).status_code == 200

        traveller.shift(dt.timedelta(seconds=settings.OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS + 1))
        # The API and any non-GET request: the session counts for nothing until the IdP confirms it.
        assert client.get(API).status_code in (401, 403)
        assert client.post(API, {}, content_type="application/json").status_code in (401, 403)
        # A page load goes back to the IdP, silently (prompt=none).
        page = client.get("/admin/")
        assert page.status_code == 302
        renewal = urlsplit(page["Location"])
        assert f"{renewal.scheme}://{renewal.netloc}{renewal.path}" == settings.OIDC_OP_AUTHORIZATION_ENDPOINT
        assert parse_qs(renewal.query)["prompt"] == ["none"]

        # The IdP no longer accepts the person (here it refuses; the mock would also answer login_required,
        # as an IdP whose own session is over): its refusal logs them out.
        denied = requests.post(page["Location"], data={"action": "deny"}, allow_redirects=False, timeout=10)
        refused = client.get(callback_path(denied.headers["Location"]))
        assert refused.status_code == 302 and refused["Location"] == "/admin/login/"
        after = client.get("/admin/")
        assert after.status_code == 302 and after["Location"].startswith("/admin/login/")
        assert client.get(API).status_code in (401, 403)


def test_a_renewal_applies_the_roles_again(sign_on, settings, client):
    set_claims(sign_on, "iris", email="iris@corp.example", groups=["vigie-dpo"])
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as traveller:
        sign_in(client, "iris")
        traveller.shift(dt.timedelta(seconds=settings.OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS + 1))
        page = client.get("/admin/gdpr/")
        renewed = client.get(confirm_renewal(page["Location"], "iris"))
        assert renewed.status_code == 302 and renewed["Location"] == "/admin/gdpr/"
        assert client.get(API).status_code == 200

        # Removed from the IdP group meanwhile: the next renewal refuses and logs out.
        set_claims(sign_on, "iris", email="iris@corp.example", groups=[])
        traveller.shift(dt.timedelta(seconds=settings.OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS + 1))
        page = client.get("/admin/")
        refused = client.get(confirm_renewal(page["Location"], "iris"))
        assert refused.status_code == 403
        assert role_groups(User.objects.get(email="iris@corp.example")) == set()
        assert client.get("/admin/").status_code == 302
        assert client.get(API).status_code in (401, 403)


# --- the login page and the break-glass administrator -----------------------------------------------------------


def test_the_login_page_offers_the_company_sign_on(sign_on, client):
    page = client.get(LOGIN, {"next": "/admin/gdpr/"}).content.decode()
    assert "Se connecter avec le compte de l’entreprise" in page
    assert 'href="/oidc/authenticate/?next=%2Fadmin%2Fgdpr%2F"' in page


def test_local_login_is_refused_to_a_user_who_is_not_a_superuser(sign_on, client):
    UserFactory(username="dpo-local", groups=["DPO"])
    response = login(client, "dpo-local")
    assert response.status_code == 200
    assert "Connectez-vous avec le compte de l’entreprise" in response.content.decode()
    assert not logged_in(client)


def test_local_login_is_refused_to_a_superuser_without_two_factor(sign_on, client):
    UserFactory(username="root", is_superuser=True)
    response = login(client, "root")
    assert "Connectez-vous avec le compte de l’entreprise" in response.content.decode()
    assert not logged_in(client)


def test_the_break_glass_superuser_with_totp_gets_in(sign_on, client):
    root = UserFactory(username="root", is_superuser=True)
    device = TOTPDevice.objects.create(user=root, name="Vigie", confirmed=True)
    assert not logged_in(client) and login(client, "root").status_code == 200  # the code is asked
    assert not logged_in(client)
    response = login(client, "root", PASSWORD, otp_token=code_for(device))
    assert response.status_code == 302
    assert logged_in(client)
    assert client.get(API).status_code == 200


# --- off by default -----------------------------------------------------------------------------------------------


def test_off_by_default_no_urls_and_no_button(settings, client, roles):
    assert settings.VIGIE_OIDC_ENABLED is False
    for url in ("/oidc/authenticate/", "/oidc/callback/", "/oidc/logout/"):
        assert client.get(url).status_code == 404
    assert "compte de l’entreprise" not in client.get(LOGIN).content.decode()
    # A local user logs in with the password, as before.
    UserFactory(username="dpo-local", groups=["DPO"])
    assert login(client, "dpo-local").status_code == 302
    assert logged_in(client)


# --- settings -------------------------------------------------------------------------------------------------


def test_role_map_formats():
    assert parse_role_map("") == {}
    assert parse_role_map("vigie-dpo=DPO, vigie-compliance = Compliance officer,") == {
        "vigie-dpo": "DPO",
        "vigie-compliance": "Compliance officer",
    }
    assert parse_role_map('{"cn=vigie-dpo,ou=groups,dc=corp": "DPO"}') == {"cn=vigie-dpo,ou=groups,dc=corp": "DPO"}
    for wrong in ("vigie-dpo", "=DPO", '{"a": 1}', "{not json", '["DPO"]'):
        with pytest.raises(ImproperlyConfigured):
            parse_role_map(wrong)


def test_a_role_map_naming_an_unknown_role_fails_the_checks(settings):
    settings.VIGIE_OIDC_ENABLED = True
    settings.VIGIE_OIDC_ROLE_MAP = {"vigie-dpo": "DPO", "vigie-boss": "Boss"}
    assert [error.id for error in check_settings()] == ["core.E402"]
    settings.VIGIE_OIDC_ROLE_MAP = ROLE_MAP
    assert check_settings() == []


OIDC_ENV = {
    "OIDC_RP_CLIENT_ID": "vigie",
    "OIDC_RP_CLIENT_SECRET": "a-secret",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "https://idp.example.com/authorize",
    "OIDC_OP_TOKEN_ENDPOINT": "https://idp.example.com/token",
    "OIDC_OP_USER_ENDPOINT": "https://idp.example.com/userinfo",
    "OIDC_OP_JWKS_ENDPOINT": "https://idp.example.com/jwks",
    "VIGIE_OIDC_ROLE_MAP": "vigie-dpo=DPO",
}


def test_production_with_company_sign_on_passes_the_deploy_checks(tmp_path):
    result = run_manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **production(**OIDC_ENV))
    assert result.returncode == 0, result.stderr


def test_a_partly_configured_company_sign_on_refuses_to_start(tmp_path):
    result = run_manage(tmp_path, "check", **production(**{**OIDC_ENV, "OIDC_OP_TOKEN_ENDPOINT": None}))
    assert result.returncode != 0
    assert "OIDC_OP_TOKEN_ENDPOINT" in result.stderr


def test_the_break_glass_device_is_registered_from_the_command_line(sign_on, client, monkeypatch):
    UserFactory(username="root", is_superuser=True)
    shown = io.StringIO()
    monkeypatch.setattr("builtins.input", lambda prompt: "000000")
    with pytest.raises(CommandError):
        call_command("otp_register", "root", stdout=shown)
    assert not TOTPDevice.objects.exists()

    def code_from_shown_key(prompt: str) -> str:
        key = re.search(r"secret=([A-Z2-7]+)", shown.getvalue())
        assert key
        return f"{totp(base64.b32decode(key.group(1))):06d}"

    shown = io.StringIO()
    monkeypatch.setattr("builtins.input", code_from_shown_key)
    call_command("otp_register", "root", stdout=shown)
    device = TOTPDevice.objects.get(user__username="root", confirmed=True)
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=60), tick=False):
        assert login(client, "root", PASSWORD, otp_token=code_for(device)).status_code == 302
        assert logged_in(client)


def test_production_refuses_a_provider_over_plain_http(tmp_path):
    result = run_manage(
        tmp_path, "check", **production(**{**OIDC_ENV, "OIDC_OP_TOKEN_ENDPOINT": "http://idp.example.com/token"})
    )
    assert result.returncode != 0
    assert "an https:// address for OIDC_OP_TOKEN_ENDPOINT" in result.stderr


# --- the provider's identity of the person (issuer and subject) ---------------------------------------------


def identity_of(user) -> Any:
    from core.models import SignOnIdentity

    return SignOnIdentity.objects.filter(user=user).first()


def test_the_first_login_stores_the_identity_and_later_logins_find_the_account_by_it(sign_on, client):
    set_claims(sign_on, "olga-sub", email="olga@corp.example", email_verified=True, groups=["vigie-dpo"])
    sign_in(client, "olga-sub")
    olga = User.objects.get(email="olga@corp.example")
    identity = identity_of(olga)
    assert (identity.issuer, identity.subject) == (sign_on, "olga-sub")
    assert identity.history.count() == 1
    # Her address changes at the provider: the same account, by the subject.
    set_claims(sign_on, "olga-sub", email="olga.petit@corp.example", groups=["vigie-dpo"])
    other = Client()
    assert sign_in(other, "olga-sub")["Location"] == "/admin/"
    assert other.session["_auth_user_id"] == str(olga.pk)
    olga.refresh_from_db()
    assert olga.email == "olga.petit@corp.example"
    assert User.objects.count() == 1


def test_an_unverified_email_of_another_subject_does_not_open_an_existing_account(sign_on, client, caplog):
    """The review's attack ("nOAuth"): another subject at the provider claims, unverified, the address of an
    existing person."""
    victim = UserFactory(username="dpo-local", email="dpo@corp.example", groups=["DPO"])
    set_claims(sign_on, "attacker-sub", email="dpo@corp.example", email_verified=False, groups=["vigie-dpo"])
    with caplog.at_level(logging.WARNING, logger="core.oidc"):
        response = sign_in(client, "attacker-sub")
    assert response.status_code == 403 and REFUSED_FR in response.content.decode()
    assert client.session.get("_auth_user_id") is None
    assert "'dpo@corp.example' of subject 'attacker-sub' is not verified" in caplog.text
    assert role_groups(victim) == {"DPO"} and identity_of(victim) is None
    assert User.objects.count() == 1
    # The string "false" some providers send is not a verified address either.
    set_claims(sign_on, "attacker-sub", email="dpo@corp.example", email_verified="false", groups=["vigie-dpo"])
    assert sign_in(Client(), "attacker-sub").status_code == 403
    assert identity_of(victim) is None


def test_another_subject_with_the_email_of_a_linked_account_is_refused(sign_on, client, caplog):
    set_claims(sign_on, "paul-sub", email="paul@corp.example", email_verified=True, groups=["vigie-dpo"])
    sign_in(client, "paul-sub")
    paul = User.objects.get(email="paul@corp.example")
    set_claims(sign_on, "mallory-sub", email="PAUL@corp.example", email_verified=True, groups=["vigie-training"])
    intruder = Client()
    with caplog.at_level(logging.WARNING, logger="core.oidc"):
        response = sign_in(intruder, "mallory-sub")
    assert response.status_code == 403 and REFUSED_FR in response.content.decode()
    assert intruder.session.get("_auth_user_id") is None
    assert "subject 'mallory-sub' claims the email of 'paul@corp.example'" in caplog.text
    assert role_groups(paul) == {"DPO"} and identity_of(paul).subject == "paul-sub"
    assert User.objects.count() == 1
    # Paul himself still gets in.
    assert sign_in(Client(), "paul-sub")["Location"] == "/admin/"


def test_the_confirmation_is_recorded_at_each_login_and_renewal(sign_on, settings, client):
    set_claims(sign_on, "rita", email="rita@corp.example", groups=["vigie-dpo"])
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        sign_in(client, "rita")
        rita = User.objects.get(email="rita@corp.example")
        assert identity_of(rita).confirmed_at == start
        traveller.shift(dt.timedelta(seconds=settings.OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS + 1))
        page = client.get("/admin/")
        assert client.get(confirm_renewal(page["Location"], "rita")).status_code == 302
        renewed = start + dt.timedelta(seconds=settings.OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS + 1)
        assert identity_of(rita).confirmed_at == renewed
        traveller.shift(dt.timedelta(days=3))
        sign_in(Client(), "rita")
        assert identity_of(rita).confirmed_at == renewed + dt.timedelta(days=3)
        assert identity_of(rita).history.count() == 1  # a timestamp: no history row per login


def test_the_api_token_of_a_sign_on_user_not_confirmed_lately_is_refused(sign_on, settings):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    settings.VIGIE_OIDC_CONFIRMATION_MAX_AGE_DAYS = 30
    set_claims(sign_on, "sam", email="sam@corp.example", groups=["vigie-dpo"])
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        sign_in(Client(), "sam")
        sam = User.objects.get(email="sam@corp.example")
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=sam).key}")
        local = APIClient()
        local.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=UserFactory(groups=['DPO'])).key}")
        assert api.get(API).status_code == 200
        traveller.shift(dt.timedelta(days=29))
        assert api.get(API).status_code == 200
        traveller.shift(dt.timedelta(days=2))
        refused = api.get(API)
        assert refused.status_code == 401
        assert refused["WWW-Authenticate"] == "Token"
        assert refused.json()["detail"] == (
            "Votre compte de l’entreprise n’a pas été confirmé récemment : reconnectez-vous à Vigie pour utiliser "
            "ce jeton."
        )
        assert local.get(API).status_code == 200  # a local user's token is not concerned
        # Confirmed again by a login: the token works again.
        sign_in(Client(), "sam")
        assert api.get(API).status_code == 200
