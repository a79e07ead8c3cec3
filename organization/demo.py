"""The demo organisation: a parent company, four subsidiaries, headquarters and 13 regional
directorates, and a roster whose head-count at 2023-12-31 is the reference DPEF's (2,639 present).

Deterministic (seeded) so that the other apps' demo data can rely on it, and idempotent: missing
records are created, existing ones are left as they are.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from simple_history.utils import bulk_create_with_history

from .choices import ContactDomain
from .models import Department, Employee, EntityContact, LegalEntity

SEED = 2023
REFERENCE_DAY = dt.date(2023, 12, 31)

PARENT = ("ALS", "Action Logement Services")
SUBSIDIARIES = (
    ("ONV", "Opérateur National de Vente"),
    ("SOLENDI", "Solendi Expansion"),
    ("ASTRIA", "Astria Foncier"),
    # In liquidation: its whole staff leaves in 2024 (the DPEF's "cessation d'activité").
    ("MNV", "Ma Nouvelle Ville"),
)
# Present at 2023-12-31, per entity: 2,639 in all, as the DPEF's ethics e-learning denominator.
PRESENT_AT_REFERENCE = {"ALS": 2480, "ONV": 52, "SOLENDI": 20, "ASTRIA": 14, "MNV": 73}
MNV_CLOSURE = dt.date(2024, 6, 30)
#: Who answers for what (entity code, domain, demo username: core/demo.py DEMO_USERS): the parent company's
#: contacts, which the subsidiaries inherit, and ONV's own DPO (the DPEF: a DPO appointed for the
#: subsidiaries). Every alert of a sweep on the demo reaches someone (notifications/recipients.py).
DEMO_CONTACTS = (
    ("ALS", ContactDomain.DPO, "dpo"),
    ("ALS", ContactDomain.COMPLIANCE, "conformite"),
    ("ALS", ContactDomain.TRAINING, "formation"),
    ("ONV", ContactDomain.DPO, "dpo-onv"),
)

HEADQUARTERS = "Siège"
REGIONAL_DIRECTORATES = (
    "DR Auvergne-Rhône-Alpes",
    "DR Bourgogne-Franche-Comté",
    "DR Bretagne",
    "DR Centre-Val de Loire",
    "DR Grand Est",
    "DR Hauts-de-France",
    "DR Île-de-France",
    "DR Normandie",
    "DR Nouvelle-Aquitaine",
    "DR Occitanie",
    "DR Pays de la Loire",
    "DR Provence-Alpes-Côte d'Azur",
    "DR Outre-mer",
)
# Shares of the present staff: 80.25% women, 34.8% executives, about 300 managers (DPEF 2023).
WOMEN_SHARE = 0.8025
EXECUTIVE_SHARE = 0.348
MANAGERS = 300

FIRST_NAMES_F = (
    "Marie",
    "Nathalie",
    "Isabelle",
    "Sylvie",
    "Catherine",
    "Sophie",
    "Valérie",
    "Christine",
    "Sandrine",
    "Céline",
    "Stéphanie",
    "Véronique",
    "Aurélie",
    "Émilie",
    "Julie",
    "Camille",
    "Laure",
    "Hélène",
    "Claire",
    "Anne",
    "Élodie",
    "Karine",
    "Nadia",
    "Fatima",
    "Inès",
    "Léa",
)
FIRST_NAMES_M = (
    "Jean",
    "Philippe",
    "Nicolas",
    "Christophe",
    "Stéphane",
    "Laurent",
    "Frédéric",
    "Olivier",
    "Éric",
    "Julien",
    "Thomas",
    "Mathieu",
    "Karim",
    "Antoine",
    "Sébastien",
    "Pierre",
    "Hugo",
)
LAST_NAMES = (
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Lefebvre",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guérin",
    "Muller",
    "Henry",
    "Roussel",
    "Nicolas",
    "Perrin",
    "Morin",
    "Mathieu",
    "Clément",
    "Gauthier",
    "Dumont",
    "Lopez",
    "Fontaine",
    "Chevalier",
    "Robin",
    "Masson",
    "Benali",
    "Nguyen",
)


@dataclass
class _Person:
    entity: str
    hired_on: dt.date
    left_on: dt.date | None = None


def _day_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def _people(rng: random.Random) -> list[_Person]:
    people: list[_Person] = []
    # 1. The staff present at 2023-12-31.
    for code, count in PRESENT_AT_REFERENCE.items():
        for _ in range(count):
            people.append(_Person(code, _day_between(rng, dt.date(1992, 1, 1), dt.date(2022, 12, 31))))
    present = list(range(len(people)))
    rng.shuffle(present)
    # 230 of them hired during 2023, one on the very last day (a boundary the rates must include).
    for i in present[:230]:
        people[i].hired_on = _day_between(rng, dt.date(2023, 1, 1), dt.date(2023, 12, 30))
    people[present[0]].hired_on = REFERENCE_DAY
    # Leaving after the reference day (three on it exactly: still present that day).
    for i in present[230:380]:
        if people[i].entity != "MNV":
            people[i].left_on = _day_between(rng, dt.date(2024, 1, 1), dt.date(2025, 9, 30))
    for i in present[380:383]:
        if people[i].entity != "MNV":
            people[i].left_on = REFERENCE_DAY
    for person in people:
        if person.entity == "MNV":
            person.left_on = MNV_CLOSURE
    # 2. Leavers before the reference day, by year of departure.
    for year, count in ((2023, 260), (2022, 240), (2021, 200), (2020, 120), (2019, 100), (2018, 80)):
        for _ in range(count):
            left_on = _day_between(rng, dt.date(year, 1, 1), dt.date(year, 12, 30 if year == 2023 else 31))
            hired_on = _day_between(rng, dt.date(1992, 1, 1), min(left_on, dt.date(year - 1, 12, 31)))
            entity = "ALS" if rng.random() < 0.95 else rng.choice(("ONV", "SOLENDI", "ASTRIA"))
            people.append(_Person(entity, hired_on, left_on))
    # 3. Hired after the reference day.
    for _ in range(140):
        people.append(_Person("ALS", _day_between(rng, dt.date(2024, 1, 1), dt.date(2024, 10, 31))))
    return people


def _exact_flags(rng: random.Random, size: int, share: float) -> list[bool]:
    count = round(size * share)
    flags = [True] * count + [False] * (size - count)
    rng.shuffle(flags)
    return flags


def ensure_entities() -> dict[str, LegalEntity]:
    parent, _ = LegalEntity.objects.get_or_create(code=PARENT[0], defaults={"name": PARENT[1]})
    entities = {parent.code: parent}
    for code, name in SUBSIDIARIES:
        entities[code], _ = LegalEntity.objects.get_or_create(code=code, defaults={"name": name, "parent": parent})
    return entities


def ensure_departments() -> dict[str, Department]:
    return {name: Department.objects.get_or_create(name=name)[0] for name in (HEADQUARTERS, *REGIONAL_DIRECTORATES)}


def demo_employees() -> list[Employee]:
    """The whole demo roster as unsaved Employee objects (entities and departments must exist)."""
    rng = random.Random(SEED)
    entities = ensure_entities()
    departments = ensure_departments()
    people = _people(rng)
    women = _exact_flags(rng, len(people), WOMEN_SHARE)
    executives = _exact_flags(rng, len(people), EXECUTIVE_SHARE)
    present_executives = [
        i
        for i, p in enumerate(people)
        if executives[i] and p.hired_on <= REFERENCE_DAY and (p.left_on or REFERENCE_DAY) >= REFERENCE_DAY
    ]
    managers = set(rng.sample(present_executives, MANAGERS))
    regional_weights = [rng.uniform(0.6, 1.4) for _ in REGIONAL_DIRECTORATES]
    employees = []
    for i, person in enumerate(people):
        female = women[i]
        first = rng.choice(FIRST_NAMES_F if female else FIRST_NAMES_M)
        last = rng.choice(LAST_NAMES)
        if person.entity == "ALS" and rng.random() >= 0.32:
            department = departments[rng.choices(REGIONAL_DIRECTORATES, weights=regional_weights)[0]]
        else:
            department = departments[HEADQUARTERS]
        employee_id = f"E{i + 1:06d}"
        employees.append(
            Employee(
                employee_id=employee_id,
                last_name=last,
                first_name=first,
                email=f"{_ascii(first)}.{_ascii(last)}.{i + 1}@example.org",
                entity=entities[person.entity],
                department=department,
                hired_on=person.hired_on,
                left_on=person.left_on,
                is_manager=i in managers,
                is_executive=executives[i],
                gender="F" if female else "M",
            )
        )
    return employees


def _ascii(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text) if c.isalnum() and c.isascii()).lower()


def load(user=None) -> str:
    """Create what is missing of the demo organisation."""
    employees = demo_employees()
    existing = set(Employee.objects.values_list("employee_id", flat=True))
    missing = [e for e in employees if e.employee_id not in existing]
    bulk_create_with_history(missing, Employee, batch_size=1000, default_user=user, default_change_reason="demo data")
    present = Employee.objects.present_on(REFERENCE_DAY).count()
    contacts = load_contacts()
    return (
        f"roster: {len(missing)} employees created, {len(employees)} in the demo, {present} present at "
        f"{REFERENCE_DAY}; {contacts} entity contacts created"
    )


def load_contacts() -> int:
    """The entities' contacts (DEMO_CONTACTS) among the demo users that exist; existing ones are kept."""
    from django.contrib.auth import get_user_model

    entities = ensure_entities()
    users = {u.username: u for u in get_user_model().objects.filter(username__in=[c[2] for c in DEMO_CONTACTS])}
    created = 0
    for code, domain, username in DEMO_CONTACTS:
        if username in users:
            _contact, new = EntityContact.objects.get_or_create(
                entity=entities[code], domain=domain, user=users[username]
            )
            created += new
    return created
