"""The gdpr demo data: the Art. 30 register, rights requests, CNIL cases and breaches from 2022 on,
written through the services (so every deadline is computed and explained), such that the real
selectors give the reference DPEF's 2022 and 2023 figures:

- 670 rights requests received in 2022 and 344 in 2023, answered in under 30 days on average, a few
  extended, some paused for an identity check, a late answer or two;
- 4 CNIL referrals in 2023, all answered by the date of the CNIL's letter, and 2 complaints that
  reached the CNIL without a referral, both answered by the date a CNIL letter set (the DPEF: "auxquelles
  il a été répondu dans le délai prescrit (10 jours)");
- 2 breach notifications to the CNIL in 2023 (and breaches that were recorded but not notified);
- 313 activities in the register on 2023-12-31: 289 as controller, 24 as processor.

Seeded and idempotent: a record whose reference exists is left as it is. A few "live" records are
dated relative to the day of loading, so the admin shows due-soon and overdue items.
"""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from .choices import CnilCaseKind, Outcome, PauseReason, ProcessingRole, RefusalGround, Right, RiskLevel
from .models import Breach, CnilCase, ProcessingActivity, RightsRequest
from .services import (
    breaches as breach_services,
    cnil as cnil_services,
    register as register_services,
    rights as rights_services,
)

SEED = 2023
PARIS = timezone.get_default_timezone()
REQUESTS_PER_YEAR = {2022: 670, 2023: 344, 2024: 318, 2025: 296}
CONTROLLER_ACTIVITIES_2023, PROCESSOR_ACTIVITIES_2023 = 289, 24

PURPOSES = (
    "Instruction des demandes de prêt accession",
    "Gestion des prêts travaux",
    "Aide Mobili-Jeune",
    "Garantie Visale",
    "Attribution de logements sociaux",
    "Recouvrement amiable",
    "Recouvrement contentieux",
    "Gestion de la relation client",
    "Réclamations clients",
    "Prospection des entreprises assujetties",
    "Collecte de la PEEC",
    "Lutte contre le blanchiment et le financement du terrorisme",
    "Gestion des contrats de travail",
    "Paie",
    "Formation des collaborateurs",
    "Recrutement",
    "Gestion des habilitations informatiques",
    "Vidéoprotection des locaux",
    "Contrôle d'accès aux bâtiments",
    "Alertes professionnelles",
    "Gestion des conflits d'intérêts",
    "Enquêtes de satisfaction",
    "Aides aux salariés en difficulté",
    "Accompagnement social",
    "Gestion des partenariats locaux",
    "Archivage des dossiers de financement",
    "Téléphonie et enregistrement des appels",
    "Gestion des fournisseurs",
)
PROCESSOR_SERVICES = (
    "Gestion locative pour le compte de bailleurs",
    "Instruction déléguée pour Action Logement Groupe",
    "Traitement des aides pour le compte de l'État",
    "Hébergement de données pour les filiales",
)
RIGHTS_WEIGHTS = {
    Right.ACCESS: 45,
    Right.ERASURE: 20,
    Right.RECTIFICATION: 12,
    Right.OBJECTION: 12,
    Right.PORTABILITY: 3,
    Right.RESTRICTION: 3,
    Right.OTHER: 3,
    Right.POST_MORTEM: 1,
    Right.AUTOMATED_DECISION: 1,
}
FIRST_NAMES = (
    "Camille",
    "Lucas",
    "Manon",
    "Hugo",
    "Chloé",
    "Louis",
    "Sarah",
    "Nathan",
    "Julie",
    "Karim",
    "Inès",
    "Paul",
)
LAST_NAMES = ("Martin", "Bernard", "Petit", "Durand", "Leroy", "Moreau", "Fournier", "Girard", "Bonnet", "Benali")


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(rng.randint(8, 18), rng.choice((0, 15, 30, 45))), tzinfo=PARIS)


def _days_in(year: int) -> int:
    return (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days


# --- the Art. 30 register ----------------------------------------------------------------------------


def _activity_fields(rng: random.Random, role: str, index: int) -> dict:
    transfers = rng.random() < 0.05
    fields = {
        "purposes": PURPOSES[index % len(PURPOSES)],
        "legal_basis": rng.choice(("contrat", "obligation légale", "intérêt légitime", "mission d'intérêt public")),
        "data_subject_categories": rng.choice(("clients", "salariés", "prospects", "candidats", "clients, garants")),
        "data_categories": rng.choice(
            ("identité, coordonnées", "identité, situation financière", "vie professionnelle")
        ),
        "recipients": rng.choice(("services internes habilités", "services internes, prestataire informatique")),
        "retention": rng.choice(
            ("durée du contrat + 5 ans", "3 ans après le dernier contact", "10 ans (pièces comptables)")
        ),
        "security_measures": "habilitations, journalisation, chiffrement des flux, sauvegardes",
        "transfers_outside_eu": transfers,
        "transfer_safeguards": "clauses contractuelles types (décision 2021/914)" if transfers else "",
        "sensitive_data": rng.random() < 0.04,
        "last_reviewed_on": dt.date(2023, 1, 1) + dt.timedelta(days=rng.randint(0, 700)),
    }
    if fields["sensitive_data"]:
        fields["sensitive_data_details"] = "données de santé (art. 9-2-b) pour l'accompagnement social"
    if role == ProcessingRole.PROCESSOR:
        fields["controllers_served"] = "Action Logement Groupe ; bailleurs partenaires"
        fields["processing_categories"] = PROCESSOR_SERVICES[index % len(PROCESSOR_SERVICES)]
    return fields


def load_register(rng: random.Random, actor) -> int:
    existing = set(ProcessingActivity.objects.values_list("reference", flat=True))
    plan: list[tuple[str, str, dt.date, dt.date | None]] = []  # reference, role, registered_on, retired_on
    number = 0
    for planned_role, count in (
        (ProcessingRole.CONTROLLER, CONTROLLER_ACTIVITIES_2023),
        (ProcessingRole.PROCESSOR, PROCESSOR_ACTIVITIES_2023),
    ):
        for _ in range(count):
            number += 1
            plan.append(
                (f"TR-{number:04d}", planned_role, dt.date(2018, 5, 25) + dt.timedelta(days=rng.randint(0, 2000)), None)
            )
    # Retired before the end of 2023 (not counted), and entered after it.
    for retired in (dt.date(2022, 6, 30), dt.date(2023, 3, 31), dt.date(2023, 12, 31)):
        number += 1
        plan.append((f"TR-{number:04d}", ProcessingRole.CONTROLLER, dt.date(2019, 1, 15), retired))
    for registered in (dt.date(2024, 2, 1), dt.date(2024, 9, 16), dt.date(2025, 4, 7)):
        number += 1
        plan.append((f"TR-{number:04d}", ProcessingRole.CONTROLLER, registered, None))
    created = 0
    for index, (reference, role, registered_on, retired_on) in enumerate(plan):
        fields = _activity_fields(rng, role, index)
        if reference in existing:
            continue
        name = (
            f"{fields['purposes']} ({reference})"
            if role == ProcessingRole.CONTROLLER
            else (f"{fields['processing_categories']} ({reference})")
        )
        activity = register_services.processing_activity_create(
            actor=actor,
            reference=reference,
            name=name,
            role=role,
            registered_on=registered_on,
            reason="demo data",
            **fields,
        )
        if retired_on:
            register_services.processing_activity_retire(
                activity=activity, actor=actor, retired_on=retired_on, reason="traitement arrêté (démo)"
            )
        created += 1
    return created


# --- rights requests ---------------------------------------------------------------------------------


def _ascii(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text) if c.isascii() and c.isalnum()).lower()


def _requester(rng: random.Random) -> dict:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    return {
        "requester_name": f"{first} {last}",
        "requester_email": f"{_ascii(first)}.{_ascii(last)}{rng.randint(1, 999)}@example.net",
        "requester_category": rng.choices(("client", "employee", "prospect", "other"), weights=(75, 10, 10, 5))[0],
        "channel": rng.choices(("email", "web_form", "post", "in_person"), weights=(50, 35, 13, 2))[0],
    }


def _handle(request: RightsRequest, rng: random.Random, actor, today: dt.date) -> None:
    """Walk one request through its life with the services, as a DPO team would have."""
    received = timezone.localtime(request.received_at).date()
    roll = rng.random()
    if roll < 0.06:  # identity check: asked the next day, answered a few days later
        asked = received + dt.timedelta(days=1)
        answered = asked + dt.timedelta(days=rng.randint(2, 9))
        if answered >= today:
            return
        rights_services.rights_request_pause(request=request, actor=actor, asked_on=asked, reason=PauseReason.IDENTITY)
        rights_services.rights_request_resume(request=request, actor=actor, answered_on=answered)
    request.refresh_from_db()
    deadline = request.applicable_due_on
    assert deadline is not None  # the services compute it as they record the request
    if 0.06 <= roll < 0.09:  # complex request: extended, told 10 days before the first deadline
        told = _at(deadline - dt.timedelta(days=10), rng)
        if told.date() >= today:
            return
        rights_services.rights_request_extend(
            request=request,
            actor=actor,
            notified_at=told,
            reason="Demande portant sur plusieurs traitements et dix ans d'historique.",
        )
        request.refresh_from_db()
        assert request.extended_due_on is not None  # rights_request_extend has just set it
        answer_day = request.extended_due_on - dt.timedelta(days=rng.randint(3, 20))
    elif roll > 0.99:  # a late answer
        answer_day = deadline + dt.timedelta(days=rng.randint(1, 5))
    else:
        answer_day = received + dt.timedelta(days=min(rng.randint(1, 12) + rng.randint(0, 14), 28))
        answer_day = min(answer_day, deadline)
    if answer_day >= today:
        return
    answered_at = _at(answer_day, rng)
    if rng.random() < 0.01:
        rights_services.rights_request_refuse(
            request=request,
            actor=actor,
            ground=RefusalGround.EXCESSIVE,
            answered_at=answered_at,
            complaint_right_notified=True,
            channel="email",
        )
    else:
        outcome = rng.choices((Outcome.GRANTED, Outcome.PARTIALLY_GRANTED, Outcome.NO_DATA), weights=(80, 12, 8))[0]
        rights_services.rights_request_answer(
            request=request, actor=actor, answered_at=answered_at, outcome=outcome, channel="email"
        )
    if answer_day + dt.timedelta(days=30) < today:
        rights_services.rights_request_close(
            request=request, actor=actor, closed_at=answered_at + dt.timedelta(days=30)
        )


def load_rights_requests(rng: random.Random, actor, handler, today: dt.date) -> int:
    existing = set(RightsRequest.objects.values_list("reference", flat=True))
    rights, weights = list(RIGHTS_WEIGHTS), list(RIGHTS_WEIGHTS.values())
    created = 0
    for year, count in REQUESTS_PER_YEAR.items():
        days = sorted(rng.randrange(_days_in(year)) for _ in range(count))
        for n, offset in enumerate(days, start=1):
            reference = f"DSR-{year}-{n:05d}"
            requester = _requester(rng)
            right = rng.choices(rights, weights)[0]
            received_at = _at(dt.date(year, 1, 1) + dt.timedelta(days=offset), rng)
            if reference in existing or received_at.date() >= today:
                continue
            request = rights_services.rights_request_create(
                actor=actor, reference=reference, received_at=received_at, right=right, handler=handler, **requester
            )
            _handle(request, rng, actor, today)
            created += 1
    return created + _load_live_requests(rng, actor, handler, today, existing)


#: The live requests of the subsidiary ONV (the controller; its own DPO, organization/demo.py DEMO_CONTACTS):
#: number → handled by ONV's DPO (True) or nobody yet (False: the alerts find ONV's DPO by the entity).
ONV_LIVE_REQUESTS = {2: True, 5: False}
ONV = "ONV"


def _load_live_requests(rng: random.Random, actor, handler, today: dt.date, existing: set[str]) -> int:
    """Open requests dated from the day of loading: two overdue, some due this week, one paused; two of
    them are the subsidiary ONV's."""
    from organization.models import LegalEntity

    onv = LegalEntity.objects.filter(code=ONV).first()
    onv_dpo = get_user_model().objects.filter(username="dpo-onv").first()
    created = 0
    for n, age in enumerate((40, 33, 29, 26, 24, 20, 14, 9, 5, 2), start=1):
        reference = f"DSR-LIVE-{n:02d}"
        if reference in existing:
            continue
        received_at = _at(today - dt.timedelta(days=age), rng)
        theirs = onv is not None and n in ONV_LIVE_REQUESTS
        request = rights_services.rights_request_create(
            actor=actor,
            reference=reference,
            received_at=received_at,
            right=rng.choices(list(RIGHTS_WEIGHTS), list(RIGHTS_WEIGHTS.values()))[0],
            handler=(onv_dpo if ONV_LIVE_REQUESTS[n] else None) if theirs else handler,
            **_requester(rng),
        )
        if theirs:
            request.entity = onv
            request._change_reason = "demo data"  # type: ignore[attr-defined]  # django-simple-history
            request.save(update_fields=["entity"])
        if n == 7:
            rights_services.rights_request_pause(
                request=request,
                actor=actor,
                asked_on=received_at.date() + dt.timedelta(days=1),
                reason=PauseReason.IDENTITY,
                note="Copie d'une pièce d'identité demandée : homonymie dans le fichier clients.",
            )
        elif n % 2 == 0:
            rights_services.rights_request_start(request=request, actor=actor)
        created += 1
    return created


# --- CNIL cases and breaches -------------------------------------------------------------------------


CNIL_CASES = (
    # reference, kind, received_on, days given by the CNIL, days taken to answer
    ("CNIL-2022-001", CnilCaseKind.REFERRAL, dt.date(2022, 3, 14), 10, 7),
    ("CNIL-2022-002", CnilCaseKind.REFERRAL, dt.date(2022, 7, 4), 10, 9),
    ("CNIL-2022-003", CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL, dt.date(2022, 10, 17), None, None),
    ("CNIL-2023-001", CnilCaseKind.REFERRAL, dt.date(2023, 2, 6), 10, 8),
    # The 2023 complaints without referral: a CNIL letter set a reply date, met (the DPEF: "dans le délai
    # prescrit (10 jours)"); the 2022 one had none.
    ("CNIL-2023-002", CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL, dt.date(2023, 4, 12), 10, 7),
    ("CNIL-2023-003", CnilCaseKind.REFERRAL, dt.date(2023, 5, 22), 10, 10),
    ("CNIL-2023-004", CnilCaseKind.REFERRAL, dt.date(2023, 9, 11), 15, 9),
    ("CNIL-2023-005", CnilCaseKind.COMPLAINT_WITHOUT_REFERRAL, dt.date(2023, 10, 3), 10, 9),
    ("CNIL-2023-006", CnilCaseKind.REFERRAL, dt.date(2023, 11, 27), 10, 6),
    ("CNIL-2024-001", CnilCaseKind.REFERRAL, dt.date(2024, 6, 3), 10, 8),
    ("CNIL-2025-001", CnilCaseKind.REFERRAL, dt.date(2025, 2, 10), 10, 9),
)


def load_cnil_cases(actor, handler, today: dt.date) -> int:
    existing = set(CnilCase.objects.values_list("reference", flat=True))
    created = 0
    cases = list(CNIL_CASES) + [("CNIL-LIVE-01", CnilCaseKind.REFERRAL, today - dt.timedelta(days=4), 10, None)]
    for reference, kind, received_on, given, taken in cases:
        if reference in existing:
            continue
        case = cnil_services.cnil_case_create(
            actor=actor,
            reference=reference,
            kind=kind,
            received_on=received_on,
            handler=handler,
            due_on=received_on + dt.timedelta(days=given) if given else None,
            cnil_reference=f"PLT-{received_on:%y%m}{len(reference):02d}",
            subject="Plainte relative à une demande d'accès restée sans réponse selon le plaignant",
        )
        if taken is not None:
            cnil_services.cnil_case_answer(actor=actor, case=case, answered_on=received_on + dt.timedelta(days=taken))
        created += 1
    return created


BREACHES = (
    # reference, aware_at (Paris), hours to notify (None: not notified), risk, title
    ("BR-2022-001", dt.datetime(2022, 5, 9, 15, 0), 40, RiskLevel.RISK, "Courriels envoyés au mauvais destinataire"),
    ("BR-2022-002", dt.datetime(2022, 11, 3, 10, 0), None, RiskLevel.NONE, "Perte d'un ordinateur portable chiffré"),
    ("BR-2023-001", dt.datetime(2023, 3, 16, 9, 30), 52, RiskLevel.RISK, "Accès non autorisé à un espace client"),
    ("BR-2023-002", dt.datetime(2023, 6, 2, 11, 0), None, RiskLevel.NONE, "Dossier papier égaré puis retrouvé"),
    ("BR-2023-003", dt.datetime(2023, 10, 19, 17, 45), 66, RiskLevel.HIGH, "Hameçonnage d'une boîte aux lettres"),
    (
        "BR-2023-004",
        dt.datetime(2023, 12, 11, 14, 0),
        None,
        RiskLevel.NONE,
        "Pièce jointe envoyée à un collègue non habilité",
    ),
    ("BR-2024-001", dt.datetime(2024, 4, 5, 16, 0), 81, RiskLevel.RISK, "Erreur de publipostage"),
)


def load_breaches(actor, handler, now: dt.datetime) -> int:
    existing = set(Breach.objects.values_list("reference", flat=True))
    created = 0
    for reference, aware, hours, risk, title in BREACHES:
        if reference in existing:
            continue
        aware_at = aware.replace(tzinfo=PARIS)
        breach = breach_services.breach_create(
            actor=actor,
            reference=reference,
            aware_at=aware_at,
            title=title,
            handler=handler,
            subjects_count=12 if risk != RiskLevel.NONE else 1,
        )
        breach_services.breach_assess(
            actor=actor,
            breach=breach,
            risk_level=risk,
            reasoning="Analyse de la nature des données, du volume et de la facilité d'identification.",
        )
        if hours is None:
            breach_services.breach_decide(
                actor=actor,
                breach=breach,
                notification_required=False,
                reasoning="Risque improbable pour les droits et libertés : données non sensibles, "
                "destinataire de confiance ayant supprimé le message.",
            )
        else:
            breach_services.breach_decide(
                actor=actor,
                breach=breach,
                notification_required=True,
                reasoning="Risque pour les personnes : notification à la CNIL.",
            )
            sent_at = aware_at + dt.timedelta(hours=hours)
            breach_services.breach_notify(
                actor=actor,
                breach=breach,
                sent_at=sent_at,
                cnil_reference=f"NOTIF-{reference}",
                delay_reasons="Périmètre de la violation établi après l'analyse des journaux." if hours > 72 else "",
            )
        created += 1
    if "BR-LIVE-01" not in existing:  # the 72-hour clock running now
        breach_services.breach_create(
            actor=actor,
            reference="BR-LIVE-01",
            aware_at=now - dt.timedelta(hours=30),
            handler=handler,
            title="Fichier de prospects exposé sur un partage réseau",
        )
        created += 1
    return created


def load(user=None) -> str:
    rng = random.Random(SEED)
    handler = get_user_model().objects.filter(username="dpo").first()
    now = timezone.now()
    today = timezone.localdate()
    activities = load_register(rng, user)
    requests = load_rights_requests(rng, user, handler, today)
    cases = load_cnil_cases(user, handler, today)
    breaches = load_breaches(user, handler, now)
    return (
        f"gdpr: {activities} processing activities, {requests} rights requests, {cases} CNIL cases, "
        f"{breaches} breaches created"
    )
