"""Who an alert goes to: people first, then the settings' addresses, then the deputies of who is away.

For one item of a rule (notifications/registry.py), in this order, without duplicates:

1. the handler or owner of the record (`Item.recipients`; an address that belongs to an inactive account
   is dropped: that person has left);
2. the contacts of the record's entity for the rule's domain (`Item.entity_id`; None: the parent company),
   inherited from the nearest ancestor entity that has some (organization/contacts.py);
3. when 1 and 2 found nobody: every active user holding the domain's role (core/roles.py);
4. the addresses of the rule's setting (DPO_EMAILS, COMPLIANCE_EMAILS, TRAINING_EMAILS), as extras;
5. the deputy of every person above who is away today (notifications.Absence covering today's Paris day),
   so that a breach does not wait for the DPO's holiday to end.

An empty result is an alert "without recipient" (Alert.unaddressed), never a silent one.

`Resolver` reads everything it needs once (a fixed number of queries, whatever the number of items: the
contact map, the role holders, today's absences, the accounts by email); the sweep builds one per run
and asks it per distinct (handler, entity) of a rule (notifications/sweep.py).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from organization.contacts import ContactMap, contact_map
from organization.models import LegalEntity

from .models import Absence
from .registry import DOMAIN_ROLES, Item, Rule


def _clean(address: str | None) -> str:
    return (address or "").strip().lower()


class Resolver:
    """The recipients of alerts at `now` (see the module docstring). Built once per sweep: 5 queries."""

    def __init__(self, now: dt.datetime | None = None) -> None:
        now = now or timezone.now()
        self.today = timezone.localtime(now, timezone.get_default_timezone()).date()
        self.contacts: ContactMap = contact_map()  # 2 queries
        parent = LegalEntity.objects.parent_company()  # 1 query
        self.parent_id: int | None = parent.pk if parent is not None else None
        self.role_holders: dict[str, tuple[str, ...]] = self._role_holders()  # 1 query
        self.inactive: frozenset[str] = self._inactive_addresses()  # 1 query
        self.deputies: dict[str, tuple[str, ...]] = self._deputies()  # 1 query

    @staticmethod
    def _role_holders() -> dict[str, tuple[str, ...]]:
        holders: dict[str, dict[str, None]] = {role: {} for role in DOMAIN_ROLES.values()}
        # From the user–group table: an `exclude` across Group's many users would drop a whole group as soon
        # as one of its members has no email.
        memberships = get_user_model().groups.through.objects
        rows = (
            memberships.filter(group__name__in=list(holders), user__is_active=True)
            .exclude(user__email="")
            .values_list("group__name", "user__email")
            .order_by("group__name", "user__email")
        )
        for name, email in rows:
            if address := _clean(email):
                holders[name].setdefault(address, None)
        return {name: tuple(addresses) for name, addresses in holders.items()}

    @staticmethod
    def _inactive_addresses() -> frozenset[str]:
        """The addresses of inactive accounts only (an address shared with an active account stays)."""
        users = get_user_model().objects.exclude(email="").values_list("email", "is_active")
        active: set[str] = set()
        inactive: set[str] = set()
        for email, is_active in users:
            (active if is_active else inactive).add(_clean(email))
        return frozenset(inactive - active)

    def _deputies(self) -> dict[str, tuple[str, ...]]:
        """Who stands in for whom today: the away person's address → their deputies' addresses."""
        rows = (
            Absence.objects.filter(
                starts_on__lte=self.today, ends_on__gte=self.today, user__is_active=True, deputy__is_active=True
            )
            .exclude(deputy__email="")
            .values_list("user__email", "deputy__email")
            .order_by("pk")
        )
        deputies: dict[str, dict[str, None]] = {}
        for away, deputy in rows:
            if (away_address := _clean(away)) and (deputy_address := _clean(deputy)):
                deputies.setdefault(away_address, {}).setdefault(deputy_address, None)
        return {away: tuple(addresses) for away, addresses in deputies.items()}

    def people(self, rule: Rule, handlers: tuple[str, ...], entity_id: int | None) -> list[str]:
        """The people (not the settings' extras, not the deputies) an alert goes to: the handler, the
        entity's contacts, else the role holders."""
        found: dict[str, None] = {}
        for address in handlers:
            address = _clean(address)
            if address and address not in self.inactive:
                found.setdefault(address, None)
        domain = rule.contact_domain()
        if domain is not None:
            entity = entity_id if entity_id is not None else self.parent_id
            for contact in self.contacts.get((entity, domain), ()) if entity is not None else ():
                found.setdefault(contact.email, None)
            if not found:
                role = rule.role()
                for address in self.role_holders.get(role, ()) if role else ():
                    found.setdefault(address, None)
        return list(found)

    def resolve(self, rule: Rule, handlers: tuple[str, ...] = (), entity_id: int | None = None) -> list[str]:
        """Every recipient of an alert of `rule` about a record with these handlers in this entity."""
        found = dict.fromkeys(self.people(rule, handlers, entity_id))
        for address in rule.group():
            if address := _clean(address):
                found.setdefault(address, None)
        for person in list(found):
            for deputy in self.deputies.get(person, ()):
                found.setdefault(deputy, None)
        return list(found)

    def for_item(self, rule: Rule, item: Item) -> list[str]:
        return self.resolve(rule, item.recipients, item.entity_id)
