""" "My account" (issue 19, items 4 and 5, the person's side): each staff user's absences and calendar feed.

A person records their own absences (a deputy among the other active staff users who share one of their roles; a range that ends before
it starts refused with a French message on the field; the database's check as the last guard; an absence
that is over stays as it was), and makes, renews (the old URL stops) or revokes their calendar address,
shown once. Every change is a history row naming who made it. Superusers see everyone's absences and the
feeds (never the secret's digest).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notifications.models import Absence, CalendarFeed
from tests.clients import messages_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
ACCOUNT = reverse("admin:account")
CALENDAR = reverse("admin:account_calendar")
TODAY = timezone.localdate
DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def setup(settings, roles):
    settings.VIGIE_SITE_URL = "https://vigie.example.org"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def day(offset: int) -> str:
    return (TODAY() + offset * DAY).isoformat()


def test_every_staff_user_reaches_my_account_from_the_user_menu():
    for group in ("DPO", "Compliance officer", "Training manager", "Auditor"):
        client = signed_in(UserFactory(groups=[group]))
        index = client.get(reverse("admin:index")).content.decode()
        assert f'href="{ACCOUNT}"' in index and "Mon compte" in index, group
        assert f'href="{reverse("admin:password_change")}"' in index, group  # still offered
        page = client.get(ACCOUNT)
        assert page.status_code == 200, group
        assert "Mes absences" in page.content.decode() and "Mon agenda" in page.content.decode()
    # Not a staff user: the admin's login, as for every admin page.
    outsider = signed_in(UserFactory(is_staff=False))
    assert outsider.get(ACCOUNT).status_code == 302


def test_an_absence_is_recorded_with_its_deputy_and_its_history_names_who():
    user = UserFactory(groups=["DPO"], first_name="Alice", last_name="Martin")
    deputy = UserFactory(groups=["DPO"], first_name="Bruno", last_name="Petit")
    client = signed_in(user)
    response = client.post(
        ACCOUNT, {"deputy": deputy.pk, "starts_on": day(2), "ends_on": day(9), "note": "Congés"}, follow=True
    )
    assert response.status_code == 200
    absence = Absence.objects.get(user=user)
    assert (absence.deputy, absence.starts_on, absence.ends_on) == (deputy, TODAY() + 2 * DAY, TODAY() + 9 * DAY)
    assert "Bruno Petit" in response.content.decode()
    assert messages_of(response) == ["Votre absence est enregistrée."]
    assert list(absence.history.values_list("history_type", "history_user")) == [("+", user.pk)]

    # The deputy sees whom they stand in for.
    assert "Alice Martin" in signed_in(deputy).get(ACCOUNT).content.decode()


def test_the_deputy_is_another_active_staff_user_who_shares_a_role():
    user = UserFactory(groups=["DPO"], username="me")
    UserFactory(username="colleague", first_name="Chloé", last_name="Durand", groups=["DPO", "Auditor"])
    UserFactory(username="root", first_name="Rémi", last_name="Racine", is_superuser=True)
    UserFactory(username="gone", first_name="Gaston", last_name="Parti", groups=["DPO"], is_active=False)
    UserFactory(username="outside", first_name="Octave", last_name="Dehors", groups=["DPO"], is_staff=False)
    trainer = UserFactory(username="trainer", first_name="Tom", last_name="Formateur", groups=["Training manager"])
    UserFactory(username="norole", first_name="Nina", last_name="Sansrôle")
    client = signed_in(user)
    form = client.get(ACCOUNT).context["form"]
    offered = [label for _value, label in form.fields["deputy"].choices if _value]
    # Once each (the colleague holds two roles), only who may view what the person's role sees.
    assert sorted(offered) == ["Chloé Durand", "Rémi Racine"]
    assert user.pk not in {value for value, _label in form.fields["deputy"].choices if value}

    response = client.post(ACCOUNT, {"deputy": user.pk, "starts_on": day(1), "ends_on": day(2)})
    assert response.status_code == 200 and "deputy" in response.context["form"].errors
    # A person of another role only is refused, in French: they would receive nothing of the alerts.
    response = client.post(ACCOUNT, {"deputy": trainer.pk, "starts_on": day(1), "ends_on": day(2)})
    assert response.status_code == 200
    assert response.context["form"].errors["deputy"] == [
        "Cette personne ne peut pas vous remplacer : choisissez un utilisateur actif qui a l’un de vos rôles."
    ]
    assert not Absence.objects.exists()


def test_a_range_ending_before_it_starts_is_refused_on_the_field_in_french():
    user = UserFactory(groups=["DPO"])
    deputy = UserFactory(groups=["DPO"])
    response = signed_in(user).post(ACCOUNT, {"deputy": deputy.pk, "starts_on": day(5), "ends_on": day(3)})
    assert response.status_code == 200
    assert response.context["form"].errors["ends_on"] == [
        "Le dernier jour d’absence ne peut pas précéder le premier jour d’absence."
    ]
    assert not Absence.objects.exists()
    # A range already over is refused too: an absence is for the days to come.
    response = signed_in(user).post(ACCOUNT, {"deputy": deputy.pk, "starts_on": day(-5), "ends_on": day(-3)})
    assert "ends_on" in response.context["form"].errors
    assert not Absence.objects.exists()


def test_the_database_refuses_a_range_ending_before_it_starts_and_a_self_deputy():
    user, deputy = UserFactory(), UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Absence.objects.create(user=user, deputy=deputy, starts_on=TODAY(), ends_on=TODAY() - DAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        Absence.objects.create(user=user, deputy=user, starts_on=TODAY(), ends_on=TODAY())


def test_a_coming_absence_can_be_changed_and_deleted_one_that_is_over_cannot():
    user = UserFactory(groups=["DPO"])
    deputy = UserFactory(groups=["DPO"])
    coming = Absence.objects.create(user=user, deputy=deputy, starts_on=TODAY() + DAY, ends_on=TODAY() + 3 * DAY)
    over = Absence.objects.create(user=user, deputy=deputy, starts_on=TODAY() - 9 * DAY, ends_on=TODAY() - DAY)
    client = signed_in(user)

    change = reverse("admin:account_absence", args=[coming.pk])
    assert client.get(change).status_code == 200
    response = client.post(change, {"deputy": deputy.pk, "starts_on": day(1), "ends_on": day(6)}, follow=True)
    coming.refresh_from_db()
    assert coming.ends_on == TODAY() + 6 * DAY
    assert messages_of(response) == ["Votre absence est modifiée."]

    for url, method in (
        (reverse("admin:account_absence", args=[over.pk]), client.get),
        (reverse("admin:account_absence", args=[over.pk]), client.post),
        (reverse("admin:account_absence_delete", args=[over.pk]), client.post),
    ):
        response = method(url, {"deputy": deputy.pk, "starts_on": day(1), "ends_on": day(2)}, follow=True)
        assert messages_of(response) == ["Cette absence est terminée : elle reste telle qu’elle a été enregistrée."]
    over.refresh_from_db()
    assert over.ends_on == TODAY() - DAY

    assert client.post(reverse("admin:account_absence_delete", args=[coming.pk])).status_code == 302
    assert not Absence.objects.filter(pk=coming.pk).exists()
    assert Absence.history.filter(id=coming.pk, history_type="-").get().history_user == user


def test_someone_else_s_absence_is_not_found():
    owner, other = UserFactory(groups=["DPO"]), UserFactory(groups=["DPO"])
    absence = Absence.objects.create(user=owner, deputy=other, starts_on=TODAY() + DAY, ends_on=TODAY() + 2 * DAY)
    client = signed_in(other)
    assert client.get(reverse("admin:account_absence", args=[absence.pk])).status_code == 404
    assert client.post(reverse("admin:account_absence_delete", args=[absence.pk])).status_code == 404
    assert Absence.objects.filter(pk=absence.pk).exists()


def feed_url_on(page: str) -> str:
    found = re.search(r'id="vigie-feed-url" value="([^"]+)"', page)
    assert found is not None
    return found[1]


def test_the_calendar_address_is_shown_once_renewing_revokes_the_old_one():
    user = UserFactory(groups=["DPO"])
    client = signed_in(user)
    assert "Créer mon adresse d’agenda" in client.get(ACCOUNT).content.decode()

    made = client.post(CALENDAR, {"action": "renew"})
    first = feed_url_on(made.content.decode())
    assert first.startswith("https://vigie.example.org/calendrier/") and first.endswith(".ics")
    assert "seule fois" in made.content.decode()  # the copy hint
    path = first.removeprefix("https://vigie.example.org")
    assert Client().get(path).status_code == 200
    # Shown once: not on the page afterwards.
    later = client.get(ACCOUNT).content.decode()
    token = path.removeprefix("/calendrier/").removesuffix(".ics")
    assert token not in later and "vigie-feed-url" not in later

    second = feed_url_on(client.post(CALENDAR, {"action": "renew"}).content.decode())
    assert second != first
    assert Client().get(path).status_code == 404
    assert Client().get(second.removeprefix("https://vigie.example.org")).status_code == 200

    response = client.post(CALENDAR, {"action": "revoke"}, follow=True)
    assert messages_of(response) == ["L’adresse de votre agenda est révoquée : elle ne fonctionne plus."]
    assert Client().get(second.removeprefix("https://vigie.example.org")).status_code == 404
    assert not CalendarFeed.objects.exists()
    history = CalendarFeed.history.order_by("history_date")
    assert [row.history_type for row in history] == ["+", "~", "-"]
    assert {row.history_user for row in history} == {user}
    assert not hasattr(history.first(), "token_digest")  # the digest is not kept in the history


def test_the_calendar_form_only_answers_post_with_a_known_action():
    client = signed_in(UserFactory(groups=["DPO"]))
    assert client.get(CALENDAR).status_code == 405
    assert client.post(CALENDAR, {"action": "other"}).status_code == 404
    assert not CalendarFeed.objects.exists()


def test_superusers_see_everyone_s_absences_and_the_feeds_without_their_digest():
    superuser = UserFactory(is_superuser=True)
    user, deputy = UserFactory(groups=["DPO"], first_name="Alice"), UserFactory(first_name="Bruno")
    Absence.objects.create(user=user, deputy=deputy, starts_on=TODAY(), ends_on=TODAY() + DAY)
    signed_in(user).post(CALENDAR, {"action": "renew"})
    feed = CalendarFeed.objects.get()

    admin = signed_in(superuser)
    assert admin.get(reverse("admin:notifications_absence_changelist")).status_code == 200
    add = admin.get(reverse("admin:notifications_absence_add"))
    offered = {label for _value, label in add.context["adminform"].form.fields["deputy"].choices}
    assert "Bruno" in {label.split()[0] for label in offered if label}
    over = Absence.objects.create(user=user, deputy=deputy, starts_on=TODAY() - 5 * DAY, ends_on=TODAY() - DAY)
    assert admin.post(reverse("admin:notifications_absence_delete", args=[over.pk]), {"post": "yes"}).status_code == 403
    assert Absence.objects.filter(pk=over.pk).exists()
    page = admin.get(reverse("admin:notifications_calendarfeed_change", args=[feed.pk]))
    assert page.status_code == 200
    assert feed.token_digest not in page.content.decode()
    assert admin.get(reverse("admin:notifications_calendarfeed_add")).status_code == 403

    dpo = signed_in(user)
    assert dpo.get(reverse("admin:notifications_absence_changelist")).status_code == 403
    assert dpo.get(reverse("admin:notifications_calendarfeed_changelist")).status_code == 403


def test_the_login_page_still_opens_with_the_account_links():
    response = Client().get(reverse("admin:login"))
    assert response.status_code == 200
    assert f'href="{ACCOUNT}"' not in response.content.decode()


def test_no_role_holds_a_permission_on_everyone_s_absences_or_feeds():
    from django.contrib.auth.models import Group

    from core.roles import ROLES

    for role in ROLES:
        held = Group.objects.get(name=role.name).permissions.filter(
            content_type__app_label="notifications",
            content_type__model__in=["absence", "historicalabsence", "calendarfeed", "historicalcalendarfeed"],
        )
        assert not held.exists(), role.name
    # The rest of the app is as declared: the DPO still handles the alerts.
    assert UserFactory(groups=["DPO"]).has_perm("notifications.change_alert")
