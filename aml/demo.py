"""The AML/CFT demo data (every name is invented), written through the real imports and services:

- a screening list `DEMO-GELS` (40 persons and companies, with aliases, full birth dates or years only),
  imported twice: the second version no longer has one entry, which is delisted with its date;
- about 3,000 counterparties (the `counterparties` import, seeded), spread over the legal entities, among
  them true variants of listed names (a typo, the order reversed, accents dropped, a hyphen, initials, an
  alias) and near misses that a different birth date excludes;
- a screening run: pending hits; some reviewed false positive with the reason, one confirmed, which opens a
  vigilance alert;
- vigilance alerts at each stage: open, under analysis (assigned to the AML/CFT officer), overdue, closed
  with reasons, an enhanced examination with its report, reports to TRACFIN with their date, reference
  and file (2022 and 2023 for the indicators, the others around today for the desk).

Idempotent: an import of the same bytes is not run again, reviewed hits stay reviewed, alerts are found by
reference.
"""

from __future__ import annotations

import datetime as dt
import random
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone

from core.imports import run_import
from core.imports.readers import file_sha256
from core.models import ImportRun
from core.spreadsheets import FRENCH, CsvWriter
from organization.models import LegalEntity

from .choices import AlertSource, Decision, HitStatus, ScreeningTrigger
from .models import Alert, Counterparty, Hit, ScreeningList

SEED = 20
LIST_CODE = "DEMO-GELS"
LIST_HEADER = ["list", "list_id", "kind", "name", "aliases", "birth_date", "country", "listed_on"]
COUNTERPARTY_HEADER = [
    "reference",
    "kind",
    "name",
    "birth_date",
    "country",
    "registration_number",
    "entity_code",
    "relationship_ended_on",
]
#: The entry the second version of the list no longer has (delisted).
DELISTED = "DG-040"

# list_id → (kind, name, aliases, birth date as listed, country)
ENTRIES: dict[str, tuple[str, str, str, str, str]] = {
    "DG-001": ("person", "Oleandro VASKEVITCH", "Oleandr Vaskevych|O. Vaskevitch", "1968-04-12", "XZ"),
    "DG-002": ("person", "Zéphyrine OKSANADZE", "Zefirina Oksanadze", "1975", "XZ"),
    "DG-003": ("person", "Barnabé KRESTOVINE", "", "1959-11-03", "XY"),
    "DG-004": ("person", "Hélios MARDANIAN-TCHOUK", "Helios Mardanian", "1981-07-21", "XY"),
    "DG-005": ("person", "Ilyanna VORDESKAÏA", "Iliana Vordeskaya", "1990", "XZ"),
    "DG-006": ("person", "Casimir OULDABRI", "Kazimir Ouldabri", "1972-02-29", "XW"),
    "DG-007": ("person", "Nadejda FROLIKOVA", "", "1964-09-09", "XZ"),
    "DG-008": ("person", "Théodule BRASKANE", "Teodul Braskan", "1956", "XW"),
    "DG-009": ("person", "Amaury ZELINSKOV", "", "1985-12-01", "XY"),
    "DG-010": ("person", "Oriane DESKEVOÏ", "Oriana Deskevoi", "1979-05-30", "XZ"),
    "DG-011": ("person", "Lazare KHOUMBARIAN", "", "1962", "XW"),
    "DG-012": ("person", "Eudoxie PARVANESCU", "Evdokia Parvanescu", "1970-03-15", "XY"),
    "DG-013": ("person", "Gaspard TCHERNOVALD", "", "1983-08-08", "XZ"),
    "DG-014": ("person", "Solange MIRKOVITZ", "S. Mirkovitz", "1967-10-10", "XW"),
    "DG-015": ("person", "Aristide VOLNAREK", "", "1958", "XY"),
    "DG-016": ("person", "Clémence ZOURABOVA", "Klemens Zourabova", "1988-01-19", "XZ"),
    "DG-017": ("person", "Évariste KOLDANOV", "", "1961-06-06", "XW"),
    "DG-018": ("person", "Philomène DRAGUSKA", "", "1974", "XY"),
    "DG-019": ("person", "Sévérin BALTAKIAN", "Severin Baltakyan", "1969-02-02", "XZ"),
    "DG-020": ("person", "Honorine ZALESKAÏA", "", "1992-09-17", "XW"),
    "DG-021": ("person", "Maximin OUBRAKOV", "", "1955-04-04", "XY"),
    "DG-022": ("person", "Ludivine KASPAROVA", "Lioudmila Kasparova", "1980", "XZ"),
    "DG-023": ("person", "Anatole VRESKINE", "", "1963-12-24", "XW"),
    "DG-024": ("person", "Bérénice TOLMACHEV", "", "1977-07-07", "XY"),
    "DG-025": ("person", "Cyprien ZAGORIAN", "", "1966", "XZ"),
    "DG-026": ("person", "Firmin KOVALSKIR", "", "1987-03-03", "XW"),
    "DG-027": ("person", "Gudule MARKOVINA", "", "1971-11-11", "XY"),
    "DG-028": ("person", "Hippolyte DRAVINSKI", "H. Dravinski", "1960-01-01", "XZ"),
    "DG-029": ("person", "Isaure TCHEKALINE", "", "1984", "XW"),
    "DG-030": ("person", "Jocelyn BORZAKOV", "", "1973-05-05", "XY"),
    "DG-031": ("company", "Transvolga Négoce International", "Transvolga Trading", "", "XZ"),
    "DG-032": ("company", "Krasnaïa Holding", "Krasnaya Holding Ltd", "", "XY"),
    "DG-033": ("company", "Société Oural Ciment", "", "", "XW"),
    "DG-034": ("company", "Baltik Import Export", "", "", "XZ"),
    "DG-035": ("company", "Zolotoï Investissements", "Zolotoy Invest", "", "XY"),
    "DG-036": ("company", "Armavir Logistique", "", "", "XW"),
    "DG-037": ("company", "Nordkama Finance", "", "", "XZ"),
    "DG-038": ("company", "Tavrida Partenaires", "", "", "XY"),
    "DG-039": ("company", "Severstal Courtage Fictif", "", "", "XW"),
    "DG-040": ("company", "Orlovka Consultants", "", "", "XZ"),
}

# Counterparties that are the listed people under another spelling: (reference, kind, name, birth date).
VARIANTS = (
    ("CP-V01", "person", "Oleandro Vaskevich", "1968-04-12"),  # a typo
    ("CP-V02", "person", "VASKEVITCH Oleandro", ""),  # reversed, no birth date
    ("CP-V03", "person", "Zephyrine Oksanadze", "1975-06-02"),  # accents dropped; the listed year matches
    ("CP-V04", "person", "Helios Mardanian Tchouk", "1981-07-21"),  # hyphen as a space
    ("CP-V05", "person", "I. Vordeskaia", "1990-03-08"),  # an initial
    ("CP-V06", "person", "Kazimir Ouldabri", "1972-02-29"),  # the alias
    ("CP-V07", "person", "Nadejda Frolikova", "1964-09-09"),
    ("CP-V08", "person", "Braskane Théodule", ""),
    ("CP-V09", "person", "Eudoxie Parvanesku", "1970-03-15"),
    ("CP-V10", "person", "Solange Mirkowitz", "1967-10-10"),
    ("CP-V11", "person", "Clemence Zourabova", ""),
    ("CP-V12", "person", "Severin Baltakyan", "1969-02-02"),
    ("CP-V13", "person", "Lioudmila Kasparova", "1980-10-10"),
    ("CP-V14", "company", "Transvolga Negoce International", ""),
    ("CP-V15", "company", "Krasnaya Holding", ""),
)
# The same names with a birth date decades apart: excluded by the birth date, never raised.
NEAR_MISSES = (
    ("CP-N01", "person", "Barnabé Krestovine", "1994-05-14"),
    ("CP-N02", "person", "Amaury Zelinskov", "1951-02-10"),
    ("CP-N03", "person", "Gaspard Tchernovald", "2001-09-30"),
    ("CP-N04", "person", "Anatole Vreskine", "1998-12-24"),
    ("CP-N05", "person", "Jocelyn Borzakov", "1949-05-05"),
)
#: Hits reviewed false positive in the demo (reference → reason); CONFIRMED is confirmed.
FALSE_POSITIVES = {
    "CP-V02": "Homonyme : date de naissance connue du service de prêts (1991), adresse différente.",
    "CP-V11": "Homonyme : pièce d'identité vérifiée, nationalité et date de naissance différentes.",
}
CONFIRMED = ("CP-V01", "Même personne : date de naissance, pays et variante d'orthographe concordent.")

FIRST_NAMES = (
    "Adélaïde Anselme Apolline Arsène Aubin Aurèle Bastien Blandine Capucine Célestin Colombe Corentin "
    "Daphné Donatien Edmée Elouan Eulalie Faustin Flavie Gatien Gervaise Gustavine Hermance Ignace Isidore "
    "Jacinthe Josselin Léandre Léonie Lucien Marcelline Mathurin Modeste Noémie Octave Ombeline Pacôme "
    "Perrine Prosper Quentine Romaric Roseline Sabin Salomé Tancrède Tiphaine Urbain Valérien Victorine"
).split()
LAST_NAMES = (
    "Aubertin Barrière Beaufils Bellanger Bonnefoy Boucheron Carrel Chabanel Chauvière Courtade Delorme "
    "Desmarais Dufresnoy Estienne Fauvel Ferrandin Fontanel Garnier Gaudry Giraudeau Guérineau Hamelin "
    "Herbelin Jacquemart Joubert Lachaume Lagarde Lambertin Lemercier Lestrade Maillefer Marchadier Mercadier "
    "Montagnac Morvan Noblet Paillard Péricard Poitevin Quéméner Rabuteau Ravenel Rigaudière Roussillon "
    "Sauvageot Sergent Tessereau Thévenet Vallerand Vasseur Verdelet"
).split()
COMPANY_WORDS = (
    "Habitat Bâtiment Rénovation Travaux Conseil Services Logistique Immobilier Énergie Menuiserie "
    "Couverture Plomberie Électricité Peinture Maçonnerie Paysage Transports Nettoyage Sécurité Diagnostic"
).split()
PLACES = (
    "Armorique Beauce Cévennes Dauphiné Forez Gâtinais Hurepoix Jura Limousin Morvan Perche Quercy Sologne "
    "Vexin Vivarais"
).split()
COMPANY_FORMS = ("SARL", "SAS", "SA", "EURL", "SCI")
PEOPLE, COMPANIES = 2400, 600


def _write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = CsvWriter(stream, FRENCH)
        writer.writerow(header)
        writer.writerows(rows)


def _import_once(kind: str, path: Path, user) -> ImportRun:
    """Import the generated file unless these very bytes were imported to the end already."""
    done = ImportRun.objects.last_complete(kind, file_sha256(path))
    return done if done is not None else run_import(kind, path, user=user).run


def list_rows(*, second_version: bool) -> list[list[Any]]:
    rows = []
    for list_id, (kind, name, aliases, birth, country) in ENTRIES.items():
        if second_version and list_id == DELISTED:
            continue
        rows.append([LIST_CODE, list_id, kind, name, aliases, birth, country, "2021-03-01"])
    return rows


def counterparty_rows(entity_codes: list[str]) -> list[list[Any]]:
    """The generated counterparties (seeded: the same rows at every load), then the variants and near misses."""
    rng = random.Random(SEED)
    rows: list[list[Any]] = []
    for n in range(PEOPLE):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(365 * 65))
        ended = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(365 * 4)) if rng.random() < 0.05 else ""
        rows.append(
            [
                f"CP-{n + 1:05d}",
                "person",
                f"{first} {last}",
                born.isoformat(),
                "FR",
                "",
                rng.choice(entity_codes),
                ended,
            ]
        )
    for n in range(COMPANIES):
        name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(PLACES)} {rng.choice(LAST_NAMES)} {rng.choice(COMPANY_FORMS)}"
        siren = f"{rng.randrange(10**8, 10**9)}"
        rows.append([f"CP-{PEOPLE + n + 1:05d}", "company", name, "", "FR", siren, rng.choice(entity_codes), ""])
    for reference, kind, name, birth in VARIANTS + NEAR_MISSES:
        rows.append([reference, kind, name, birth, "FR", "", entity_codes[0], ""])
    return rows


def _officer(user):
    """The AML/CFT officer of the demo (core/demo.py DEMO_USERS "lcbft"), else the given user."""
    return get_user_model().objects.filter(username="lcbft").first() or user


def _screen_and_review(officer) -> tuple[int, int]:
    from .screening import run_screening
    from .services.screening import hit_review

    run_screening(trigger=ScreeningTrigger.MANUAL, actor=officer)
    reviewed = 0
    pending = Hit.objects.pending().select_related("counterparty")
    for hit in pending.filter(counterparty__reference__in=[*FALSE_POSITIVES, CONFIRMED[0]]).order_by("pk"):
        reference = hit.counterparty.reference
        if reference == CONFIRMED[0]:
            if Hit.objects.filter(counterparty=hit.counterparty, status=HitStatus.CONFIRMED).exists():
                continue
            hit_review(actor=officer, hit=hit, status=HitStatus.CONFIRMED, reason=CONFIRMED[1])
        else:
            hit_review(actor=officer, hit=hit, status=HitStatus.FALSE_POSITIVE, reason=FALSE_POSITIVES[reference])
        reviewed += 1
    return Hit.objects.pending().count(), reviewed


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_default_timezone())


def _alerts(officer, entities: dict[str, LegalEntity]) -> int:
    """Vigilance alerts at each stage, by reference (an existing one is left as it is)."""
    from .services import alerts as services

    today = timezone.localdate()
    counterparties = {c.reference: c for c in Counterparty.objects.filter(reference__startswith="CP-0")[:20]}
    parties = list(counterparties.values())
    entity_list = list(entities.values())
    created = 0

    def raise_(reference: str, raised: dt.date, source: str, reason: str, n: int, amount: str | None) -> Alert | None:
        nonlocal created
        if Alert.objects.filter(reference=reference).exists():
            return None
        created += 1
        counterparty = parties[n % len(parties)] if parties else None
        return services.alert_raise(
            actor=officer,
            source=source,
            reason=reason,
            counterparty=counterparty,
            raised_at=_at(raised),
            amount_eur=Decimal(amount) if amount else None,
            entity=entity_list[n % len(entity_list)] if entity_list else None,
            reference=reference,
        )

    # 2022 and 2023: decided, for the indicators.
    history = (
        ("LCB-2022-001", dt.date(2022, 3, 14), AlertSource.LOAN, "Remboursement anticipé inhabituel", "85000"),
        ("LCB-2022-002", dt.date(2022, 9, 2), AlertSource.SUBSIDY, "Justificatifs incohérents", "12000"),
        ("LCB-2023-001", dt.date(2023, 2, 6), AlertSource.LOAN, "Apport en espèces non justifié", "42000"),
        ("LCB-2023-002", dt.date(2023, 5, 22), AlertSource.HOUSING_ALLOCATION, "Identité douteuse", None),
        ("LCB-2023-003", dt.date(2023, 9, 11), AlertSource.LOAN, "Fonds venant d'un pays tiers à risque", "150000"),
        ("LCB-2023-004", dt.date(2023, 11, 30), AlertSource.SUBSIDY, "Bénéficiaire effectif inconnu", "8000"),
    )
    outcomes = {
        "LCB-2022-001": ("closed", 20),
        "LCB-2022-002": ("tracfin", 25),
        "LCB-2023-001": ("closed", 12),
        "LCB-2023-002": ("enhanced", 28),
        "LCB-2023-003": ("tracfin", 35),  # decided after its 30 days: late
        "LCB-2023-004": ("enhanced_closed", 18),
    }
    for n, (reference, raised, source, reason, amount) in enumerate(history):
        alert = raise_(reference, raised, source, reason, n, amount)
        if alert is None:
            continue
        outcome, days = outcomes[reference]
        decided = raised + dt.timedelta(days=days)
        if outcome == "closed":
            services.alert_decide(
                actor=officer,
                alert=alert,
                decision=Decision.CLOSED,
                decided_on=decided,
                reason="Opération expliquée par les pièces fournies (acte de vente, relevés).",
            )
        elif outcome == "tracfin":
            services.alert_decide(
                actor=officer,
                alert=alert,
                decision=Decision.TRACFIN_REPORT,
                decided_on=decided,
                reason="Soupçon non levé après analyse : déclaration de soupçon.",
                tracfin_reported_on=decided,
                tracfin_reference=f"DS-{decided:%Y}-{n + 1:04d}",
                tracfin_file=ContentFile(
                    f"Déclaration de soupçon {reference} (démonstration)\n".encode(), name=f"{reference}-tracfin.txt"
                ),
            )
        else:
            services.alert_decide(
                actor=officer,
                alert=alert,
                decision=Decision.ENHANCED_EXAMINATION,
                decided_on=decided,
                reason="Examen renforcé : origine des fonds à établir.",
            )
            services.alert_write_enhanced_report(
                actor=officer,
                alert=alert,
                report="Origine des fonds établie par l'acte notarié ; bénéficiaire identifié.",
                written_on=decided + dt.timedelta(days=5),
                file=ContentFile(f"Rapport d'examen renforcé {reference}\n".encode(), name=f"{reference}-examen.txt"),
            )
            if outcome == "enhanced_closed":
                services.alert_decide(
                    actor=officer,
                    alert=alert,
                    decision=Decision.CLOSED,
                    decided_on=decided + dt.timedelta(days=6),
                    reason="Examen renforcé concluant : pas de soupçon.",
                )

    # Around today: for the desk and the ledger.
    current = (
        ("LCB-DEMO-OPEN", today - dt.timedelta(days=3), AlertSource.LOAN, "Prêt demandé par un tiers payeur", None),
        ("LCB-DEMO-ANALYSING", today - dt.timedelta(days=10), AlertSource.SUBSIDY, "Montage en cascade", "23000"),
        ("LCB-DEMO-OVERDUE", today - dt.timedelta(days=40), AlertSource.LOAN, "Virements fractionnés", "60000"),
        ("LCB-DEMO-WEEK", today - dt.timedelta(days=26), AlertSource.HOUSING_ALLOCATION, "Dossier incohérent", None),
    )
    for n, (reference, raised, source, reason, amount) in enumerate(current, start=len(history)):
        alert = raise_(reference, raised, source, reason, n, amount)
        if alert is not None and reference in ("LCB-DEMO-ANALYSING", "LCB-DEMO-OVERDUE"):
            services.alert_assign(actor=officer, alert=alert, analyst=officer)
    return created


def load(user=None) -> str:
    officer = _officer(user)
    entities = {e.code: e for e in LegalEntity.objects.order_by("code")}
    codes = list(entities) or [""]
    with tempfile.TemporaryDirectory(prefix="vigie-demo-aml-") as folder:
        first = Path(folder) / "gel-des-avoirs-v1.csv"
        _write_csv(first, LIST_HEADER, list_rows(second_version=False))
        second = Path(folder) / "gel-des-avoirs-v2.csv"
        _write_csv(second, LIST_HEADER, list_rows(second_version=True))
        people = Path(folder) / "contreparties.csv"
        _write_csv(people, COUNTERPARTY_HEADER, counterparty_rows(codes))
        if not ScreeningList.objects.filter(code=LIST_CODE, entries__delisted_on__isnull=False).exists():
            _import_once("screening_list", first, officer)
        lists = _import_once("screening_list", second, officer)
        counterparties = _import_once("counterparties", people, officer)
    pending, reviewed = _screen_and_review(officer)
    alerts = _alerts(officer, entities)
    return (
        f"aml: list {LIST_CODE} import run {lists.pk}, counterparties import run {counterparties.pk} "
        f"({counterparties.created} created), {pending} hits pending, {reviewed} reviewed, {alerts} alerts"
    )
