"""Who an alert goes to: people first, then the settings' addresses, then the deputies of who is away.

For one item of a rule (notifications/registry.py), in this order, without duplicates:

1. the handler or owner of the record (`Item.recipients`);
2. the contacts of the record's entity for the rule's domain (`Item.entity_id`; None: the parent company),
   inherited from the nearest ancestor entity that has some (organization/contacts.py);
3. when 1 and 2 found nobody: every holder of the domain's role (core/roles.py);
4. the addresses of the rule's setting (DPO_EMAILS, COMPLIANCE_EMAILS, TRAINING_EMAILS), as extras;
5. the deputy of every address above whose person is away today (notifications.Absence covering today's
   Paris day), and the deputy of that deputy when they are away too, so that a breach does not wait for the
   DPO's holiday to end.

A person (1, 2, 3, 5) counts only when they are an active user who may view the rule's records
(`Rule.viewed_models()`: a superuser, or a user whose groups or own permissions give the view or the change
permission on each of those models): an alert tells the reference, the right, the deadline... of a record,
and nobody learns from an email what their role may not see. For a rule of a sealed app (aml, core/roles.py
`seal_of`) a person counts only as a member of the seal's role (LCB-FT), or as a superuser when the app's
setting lets superusers in. The extras (4) are the operator's settings and stay as they are.

An item may name its `audience` (`Item.audience`): then only those addresses may receive it, whoever finds
them (1 to 5): a whistleblowing report is read by the referents of its entity only, so its alert goes neither
to another referent standing in as a deputy nor to the role's other holders.

When every person found is away with no present deputy, the present holders of the domain's role who may view
are added; when nobody present remains at all (no extra either), the result is empty: the alert is "without
recipient" (Alert.unaddressed), never a silent one, and each later sweep resolves it again (someone is back).

`Resolver` reads everything it needs once (a fixed number of queries, whatever the number of items: the
contact map, the role holders, today's absences, who may view what); the sweep builds one per run and asks it
per distinct (handler, entity) of a rule (notifications/sweep.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import CharField, Q, Value
from django.utils import timezone

from core.roles import seal_of, superusers_pass_seal
from organization.contacts import ContactMap, contact_map
from organization.models import LegalEntity

from .models import Absence
from .registry import DOMAIN_ROLES, Item, Rule, get_rules


def _clean(address: str | None) -> str:
    return (address or "").strip().lower()


def _model_keys(label: str) -> tuple[str, str]:
    """The permissions that let a user view the records of "app_label.model": view or change."""
    app_label, _dot, model_name = label.lower().partition(".")
    return f"{app_label}.view_{model_name}", f"{app_label}.change_{model_name}"


class Resolver:
    """The recipients of alerts at `now` (see the module docstring). Built once per sweep: 6 queries."""

    def __init__(self, now: dt.datetime | None = None, rules: Iterable[Rule] | None = None) -> None:
        now = now or timezone.now()
        self.today = timezone.localtime(now, timezone.get_default_timezone()).date()
        self.contacts: ContactMap = contact_map()  # 2 queries
        parent = LegalEntity.objects.parent_company()  # 1 query
        self.parent_id: int | None = parent.pk if parent is not None else None
        self.role_holders: dict[str, tuple[str, ...]] = self._role_holders()  # 1 query
        self.away: frozenset[str] = frozenset()
        self.deputies: dict[str, tuple[str, ...]] = self._deputies()  # 1 query
        # Who may view what: every active user's view/change permissions on the rules' models (1 query).
        self._emails: dict[int, str] = {}
        self._superusers: set[int] = set()
        self._grants: dict[int, set[str]] = {}
        self._loaded: set[str] = set()
        self._viewers: dict[tuple[str, ...], frozenset[str]] = {}
        labels = {label for rule in (rules if rules is not None else get_rules()) for label in rule.viewed_models()}
        self._load(labels)

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

    def _deputies(self) -> dict[str, tuple[str, ...]]:
        """Who stands in for whom today: the away person's address → their active deputies' addresses; and
        who is away today (`self.away`, whether their deputy can stand in or not)."""
        rows = (
            Absence.objects.filter(starts_on__lte=self.today, ends_on__gte=self.today, user__is_active=True)
            .values_list("user__email", "deputy__email", "deputy__is_active")
            .order_by("pk")
        )
        away: set[str] = set()
        deputies: dict[str, dict[str, None]] = {}
        for away_email, deputy_email, deputy_active in rows:
            if not (away_address := _clean(away_email)):
                continue
            away.add(away_address)
            if deputy_active and (deputy_address := _clean(deputy_email)):
                deputies.setdefault(away_address, {}).setdefault(deputy_address, None)
        self.away = frozenset(away)
        return {person: tuple(addresses) for person, addresses in deputies.items()}

    def _load(self, labels: Iterable[str]) -> None:
        """Read, in one query, the superusers and the active users whose groups or own permissions give the
        view or change permission on the models `labels` ("app_label.model")."""
        labels = sorted(set(labels) - self._loaded)
        if not labels:
            return
        self._loaded.update(labels)
        self._viewers.clear()
        wanted = Q(pk__in=[])
        for label in labels:
            app_label, _dot, model_name = label.lower().partition(".")
            wanted |= Q(
                content_type__app_label=app_label,
                content_type__model=model_name,
                codename__in=[f"view_{model_name}", f"change_{model_name}"],
            )
        permissions = Permission.objects.filter(wanted).values("pk")
        users = get_user_model()._default_manager.filter(is_active=True).exclude(email="").order_by()
        blank = Value("", output_field=CharField())
        by_group = users.filter(groups__permissions__in=permissions).values_list(
            "pk", "email", "groups__permissions__content_type__app_label", "groups__permissions__codename"
        )
        own = users.filter(user_permissions__in=permissions).values_list(
            "pk", "email", "user_permissions__content_type__app_label", "user_permissions__codename"
        )
        superusers = users.filter(is_superuser=True).values_list("pk", "email", blank, blank)
        for user_id, email, app_label, codename in by_group.union(own, superusers, all=True):
            self._emails[user_id] = _clean(email)
            if app_label:
                self._grants.setdefault(user_id, set()).add(f"{app_label}.{codename}")
            else:
                self._superusers.add(user_id)

    def viewers(self, rule: Rule) -> frozenset[str]:
        """The addresses of the active users who may view the records of `rule` (and what its alerts reveal)."""
        models = rule.viewed_models()
        found = self._viewers.get(models)
        if found is None:
            self._load(models)  # a rule the constructor did not know: one query, once
            needed = [_model_keys(label) for label in models]
            found = self._viewers[models] = frozenset(
                email
                for user_id, email in self._emails.items()
                if email
                and (
                    user_id in self._superusers
                    or all(any(key in self._grants.get(user_id, ()) for key in keys) for keys in needed)
                )
            )
            for seal in {seal for label in models if (seal := seal_of(label)) is not None}:
                # A sealed app's records (aml) exist only for its role's members, and for the superusers when
                # its setting says so: permissions given by hand or another role's do not open the seal.
                allowed = set(self._members(seal[0]))
                if superusers_pass_seal(seal):
                    allowed |= {self._emails[user_id] for user_id in self._superusers}
                found = self._viewers[models] = found & frozenset(allowed)
        return found

    def _members(self, role: str) -> tuple[str, ...]:
        """The addresses of the active members of `role`'s group (read with the domains' roles when it is one)."""
        if role not in self.role_holders:
            memberships = get_user_model().groups.through.objects
            rows = memberships.filter(group__name=role, user__is_active=True).values_list("user__email", flat=True)
            self.role_holders[role] = tuple(sorted({address for email in rows if (address := _clean(email))}))
        return self.role_holders[role]

    def allowed(self, rule: Rule, audience: tuple[str, ...] | None = None) -> frozenset[str]:
        """Who may receive an alert of `rule`: who may view its records, and among them its `audience` when
        the item names one (`Item.audience`)."""
        viewers = self.viewers(rule)
        if audience is None:
            return viewers
        return viewers & frozenset(_clean(address) for address in audience)

    def people(
        self, rule: Rule, handlers: tuple[str, ...], entity_id: int | None, audience: tuple[str, ...] | None = None
    ) -> list[str]:
        """The people (not the settings' extras, not the deputies) an alert goes to: the handler, the
        entity's contacts, else the role holders; only those who may view the rule's records (and are in
        the item's `audience`, when it names one)."""
        viewers = self.allowed(rule, audience)
        found: dict[str, None] = {}
        for address in handlers:
            address = _clean(address)
            if address in viewers:
                found.setdefault(address, None)
        domain = rule.contact_domain()
        if domain is not None:
            entity = entity_id if entity_id is not None else self.parent_id
            for contact in self.contacts.get((entity, domain), ()) if entity is not None else ():
                if contact.email in viewers:
                    found.setdefault(contact.email, None)
            if not found:
                for address in self._holders(rule):
                    if address in viewers:
                        found.setdefault(address, None)
        return list(found)

    def _holders(self, rule: Rule) -> tuple[str, ...]:
        role = rule.role()
        return self.role_holders.get(role, ()) if role else ()

    def resolve(
        self,
        rule: Rule,
        handlers: tuple[str, ...] = (),
        entity_id: int | None = None,
        audience: tuple[str, ...] | None = None,
    ) -> list[str]:
        """Every recipient of an alert of `rule` about a record with these handlers in this entity, among its
        `audience` when one is named (empty: nobody present can receive it)."""
        viewers = self.allowed(rule, audience)
        people = self.people(rule, handlers, entity_id, audience)
        found = dict.fromkeys(people)
        extras: dict[str, None] = {}
        for address in rule.group():
            if (address := _clean(address)) and (audience is None or address in viewers):
                extras.setdefault(address, None)
                found.setdefault(address, None)
        # The deputies of who is away, and theirs when they are away too (`seen`: a loop of absences stops).
        seen: set[str] = set()
        todo = list(found)
        while todo:
            address = todo.pop(0)
            if address in seen:
                continue
            seen.add(address)
            if address not in self.away:
                continue
            for deputy in self.deputies.get(address, ()):
                if deputy in viewers:
                    found.setdefault(deputy, None)
                    todo.append(deputy)
        persons = [address for address in found if address not in extras or address in people]
        if persons and all(address in self.away for address in persons):
            # Everyone named is away without a present deputy: the present holders of the role answer.
            for address in self._holders(rule):
                if address in viewers and address not in self.away:
                    found.setdefault(address, None)
        if all(address in self.away for address in found):
            return []
        return list(found)

    def for_item(self, rule: Rule, item: Item) -> list[str]:
        return self.resolve(rule, item.recipients, item.entity_id, item.audience)
