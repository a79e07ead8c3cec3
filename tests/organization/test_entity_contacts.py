"""The contacts of a legal entity (DPO, compliance officer, training manager) in the entity's admin page:
named by superusers only, seen by every role, inherited from the parent entity where none is named."""

from __future__ import annotations

import pytest
from django.test import Client

from organization.admin import inherited_contacts
from organization.choices import ContactDomain
from organization.models import EntityContact
from tests.clients import admin_client
from tests.factories import LegalEntityFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles", "english_messages")]


@pytest.fixture
def entities():
    parent = LegalEntityFactory(code="AL", name="Action Logement")
    return {"parent": parent, "onv": LegalEntityFactory(code="ONV", name="ONV", parent=parent)}


def change_url(entity) -> str:
    return f"/admin/organization/legalentity/{entity.pk}/change/"


def superuser_client() -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(UserFactory(username="root", is_superuser=True))
    return client


def post_contacts(client: Client, entity, rows: list[dict[str, str]]):
    data = {
        "code": entity.code,
        "name": entity.name,
        "parent": entity.parent_id or "",
        "contacts-TOTAL_FORMS": str(len(rows)),
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"contacts-{index}-{name}": value for name, value in row.items()})
        data[f"contacts-{index}-entity"] = str(entity.pk)
    return client.post(change_url(entity), data)


def test_a_superuser_names_the_dpo_of_an_entity_with_history(entities):
    dpo = UserFactory(username="claire", first_name="Claire", last_name="Martin", groups=["DPO"])
    client = superuser_client()
    page = client.get(change_url(entities["onv"])).content.decode()
    assert "Claire Martin" in page  # the user chooser offers people by name
    response = post_contacts(client, entities["onv"], [{"domain": ContactDomain.DPO, "user": str(dpo.pk)}])
    assert response.status_code == 302, response.content.decode()[:3000]
    contact = EntityContact.objects.get()
    assert (contact.entity, contact.domain, contact.user) == (entities["onv"], ContactDomain.DPO, dpo)
    created = contact.history.get()
    assert created.history_type == "+" and created.history_user.username == "root"


def test_the_same_person_twice_for_a_domain_is_refused(entities):
    dpo = UserFactory(groups=["DPO"])
    rows = [{"domain": ContactDomain.DPO, "user": str(dpo.pk)}] * 2
    response = post_contacts(superuser_client(), entities["onv"], rows)
    assert response.status_code == 200
    assert not EntityContact.objects.exists()


def test_the_chooser_offers_staff_users_with_a_role_and_a_contact_must_hold_the_domains_role(entities):
    UserFactory(first_name="Claire", last_name="Martin", groups=["DPO"])
    trainer = UserFactory(first_name="Tom", last_name="Formateur", groups=["Training manager"])
    UserFactory(first_name="Nina", last_name="Sansrole")
    UserFactory(first_name="Olga", last_name="Dehors", groups=["DPO"], is_staff=False)
    UserFactory(first_name="Gaston", last_name="Parti", groups=["DPO"], is_active=False)
    client = superuser_client()
    page = client.get(change_url(entities["onv"])).content.decode()
    assert "Claire Martin" in page and "Tom Formateur" in page
    assert "Sansrole" not in page and "Dehors" not in page and "Gaston" not in page
    # A training manager offered (they hold a role) cannot be named the entity's DPO: refused, naming them.
    response = post_contacts(client, entities["onv"], [{"domain": ContactDomain.DPO, "user": str(trainer.pk)}])
    assert response.status_code == 200
    assert (
        "Tom Formateur does not hold the role “DPO”: they cannot answer for this domain." in response.content.decode()
    )
    assert not EntityContact.objects.exists()
    response = post_contacts(client, entities["onv"], [{"domain": ContactDomain.TRAINING, "user": str(trainer.pk)}])
    assert response.status_code == 302
    assert EntityContact.objects.get().user == trainer


def test_the_refusal_is_in_french_by_default(entities):
    from django.core.exceptions import ValidationError
    from django.utils import translation

    trainer = UserFactory(first_name="Tom", last_name="Formateur", groups=["Training manager"])
    contact = EntityContact(entity=entities["onv"], user=trainer, domain=ContactDomain.COMPLIANCE)
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        contact.full_clean()
    assert refused.value.message_dict["user"] == [
        "Tom Formateur n’a pas le rôle « Responsable conformité » : cette personne ne peut pas répondre de ce domaine."
    ]
    # Superusers may answer for any domain.
    EntityContact(entity=entities["onv"], user=UserFactory(is_superuser=True), domain=ContactDomain.DPO).full_clean()


def test_a_contact_who_lost_the_role_does_not_block_saving_the_entity(entities):
    named = UserFactory(first_name="Claire", last_name="Martin", groups=["DPO"])
    contact = EntityContact.objects.create(entity=entities["onv"], user=named, domain=ContactDomain.DPO)
    named.groups.clear()
    contact.full_clean()  # unchanged: not checked again (the sweep sends them nothing)
    contact.domain = ContactDomain.COMPLIANCE
    with pytest.raises(Exception, match="does not hold the role"):
        contact.full_clean()


@pytest.mark.parametrize("role", ["Training manager", "DPO", "Compliance officer", "Auditor"])
def test_the_roles_see_the_contacts_but_cannot_change_them(entities, role):
    named = UserFactory(first_name="Claire", last_name="Martin")
    EntityContact.objects.create(entity=entities["onv"], user=named, domain=ContactDomain.DPO)
    client = admin_client(role, language="en")
    page = client.get(change_url(entities["onv"]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Claire Martin" in body
    assert 'name="contacts-0-user"' not in body  # read-only: no chooser
    intruder = UserFactory()
    post_contacts(client, entities["onv"], [{"domain": ContactDomain.COMPLIANCE, "user": str(intruder.pk)}])
    assert list(EntityContact.objects.values_list("user", flat=True)) == [named.pk]


def test_an_entity_without_a_contact_for_a_domain_shows_its_parents_as_inherited(entities):
    dpo = UserFactory(first_name="Claire", last_name="Martin")
    officer = UserFactory(first_name="Paul", last_name="Durand")
    EntityContact.objects.create(entity=entities["parent"], user=dpo, domain=ContactDomain.DPO)
    EntityContact.objects.create(entity=entities["parent"], user=officer, domain=ContactDomain.COMPLIANCE)
    EntityContact.objects.create(entity=entities["onv"], user=officer, domain=ContactDomain.COMPLIANCE)
    found = {label: (users, parent) for label, users, parent in inherited_contacts(entities["onv"])}
    assert found == {
        str(ContactDomain.DPO.label): ([dpo], entities["parent"]),
        str(ContactDomain.TRAINING.label): ([], None),
    }
    body = superuser_client().get(change_url(entities["onv"])).content.decode()
    assert "Data protection officer: Claire Martin (inherited from AL – Action Logement)" in body
    assert "Training manager: nobody named, here or in a parent entity" in body


def test_the_inherited_contacts_are_in_french_by_default(entities):
    EntityContact.objects.create(
        entity=entities["parent"], user=UserFactory(first_name="Claire", last_name="Martin"), domain=ContactDomain.DPO
    )
    client = Client()
    client.force_login(UserFactory(is_superuser=True))
    body = client.get(change_url(entities["onv"])).content.decode()
    assert "hérité de AL – Action Logement" in body


def test_a_grandchild_inherits_from_the_nearest_entity_that_names_someone(entities):
    grandchild = LegalEntityFactory(code="SUB", parent=entities["onv"])
    top, middle = UserFactory(), UserFactory()
    EntityContact.objects.create(entity=entities["parent"], user=top, domain=ContactDomain.TRAINING)
    EntityContact.objects.create(entity=entities["onv"], user=middle, domain=ContactDomain.TRAINING)
    found = {label: (users, parent) for label, users, parent in inherited_contacts(grandchild)}
    assert found[str(ContactDomain.TRAINING.label)] == ([middle], entities["onv"])


def test_an_entity_whose_only_contact_left_shows_the_parents_as_the_sweep_uses_them(entities):
    """The page says who the alerts go to: a contact who left (inactive) does not answer for the entity."""
    parent_dpo, gone = UserFactory(), UserFactory(is_active=False)
    EntityContact.objects.create(entity=entities["parent"], user=parent_dpo, domain=ContactDomain.DPO)
    EntityContact.objects.create(entity=entities["onv"], user=gone, domain=ContactDomain.DPO)
    found = {label: (users, parent) for label, users, parent in inherited_contacts(entities["onv"])}
    assert found[str(ContactDomain.DPO.label)] == ([parent_dpo], entities["parent"])
