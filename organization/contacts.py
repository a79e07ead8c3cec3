"""Who answers for a domain (DPO, compliance, training) in each legal entity, inheritance included.

An entity's contacts for a domain are its own `EntityContact` rows; an entity without any for that domain
has those of its nearest ancestor that has some (a subsidiary without its own DPO has the parent
company's). Only active users with an email count: an inactive account or one without an address is no
contact (an entity whose only DPO left inherits its parent's).

`contact_map()` works this out for every entity and domain in two queries, whatever the number of
entities and contacts: the sweep resolves its recipients from it (notifications/recipients.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from .choices import ContactDomain
from .models import EntityContact, LegalEntity


@dataclass(frozen=True)
class Contact:
    user_id: int
    email: str


#: (entity id, domain) → the effective contacts, sorted by email.
ContactMap = dict[tuple[int, str], tuple[Contact, ...]]


def contact_map() -> ContactMap:
    """The effective contacts of every entity for every domain (inherited from the nearest ancestor with
    some), in two queries. An entity with nobody up to the top has no key for that domain."""
    parents, own = _read()
    result: ContactMap = {}
    for entity_id in parents:
        for domain in ContactDomain.values:
            _source, found = _nearest(entity_id, domain, parents, own)
            if found:
                result[entity_id, domain] = found
    return result


def sources_of(entity: LegalEntity | int) -> dict[str, tuple[int | None, tuple[Contact, ...]]]:
    """For each domain, the entity whose contacts answer for `entity` (itself, an ancestor, or None when no
    entity up to the top names an active person with an email) and those contacts: what the entity's admin
    page shows as inherited, by the rule the sweep follows."""
    entity_id = entity if isinstance(entity, int) else entity.pk
    parents, own = _read()
    return {domain: _nearest(entity_id, domain, parents, own) for domain in ContactDomain.values}


def _read() -> tuple[dict[int, int | None], dict[tuple[int, str], dict[int, Contact]]]:
    """The entities' parents, and each entity's own contacts per domain (active users with an email)."""
    parents: dict[int, int | None] = dict(LegalEntity.objects.values_list("pk", "parent_id"))
    own: dict[tuple[int, str], dict[int, Contact]] = {}
    rows = (
        EntityContact.objects.filter(user__is_active=True)
        .exclude(user__email="")
        .values_list("entity_id", "domain", "user_id", "user__email")
        .order_by("entity_id", "domain", "user__email")
    )
    for entity_id, domain, user_id, email in rows:
        email = (email or "").strip()
        if email:
            own.setdefault((entity_id, domain), {})[user_id] = Contact(user_id, email.lower())
    return parents, own


def _nearest(
    entity_id: int, domain: str, parents: dict[int, int | None], own: dict[tuple[int, str], dict[int, Contact]]
) -> tuple[int | None, tuple[Contact, ...]]:
    seen: set[int] = set()
    current: int | None = entity_id
    while current is not None and current not in seen:  # `seen`: a cycle in bad data stops, not loops
        seen.add(current)
        contacts = own.get((current, domain))
        if contacts:
            return current, tuple(sorted(contacts.values(), key=lambda c: c.email))
        current = parents.get(current)
    return None, ()
