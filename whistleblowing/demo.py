"""The whistleblowing demo data (every person, place and fact is invented), written through the services so that
the deadlines, the ledger and the history are what the application itself writes:

- a dozen reports across the categories, received by every channel, dated relative to today: two waiting for
  their acknowledgment (one due in a few days, one overdue), one whose feedback is due within a fortnight, one
  whose feedback is overdue, a meeting requested by its author, an anonymous web report with follow-up
  messages both ways, an anonymous letter that leaves no means of contact (no deadline), one found
  inadmissible (closed, the author told why), and closed ones of last year (one with proceedings under way,
  one whose proceedings ended) for the indicators;
- one report linked to a conflict-of-interest case of the compliance demo (nothing of the report copied);
- handled by the demo referent (core/demo.py DEMO_USERS "referent", role "Référent alertes").

Idempotent: reports are found by their reference (SIG-DEMO-NN) and a report that exists is left as it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from core.services import save_with_history
from organization.models import LegalEntity

from .choices import Admissibility, Category, Channel, MessageKind, Proceedings
from .models import ReferentAssignment, Report

PREFIX = "SIG-DEMO-"


def _referent(user: Any) -> Any:
    """The referent of the demo (core/demo.py DEMO_USERS "referent"), else the given user."""
    return get_user_model().objects.filter(username="referent").first() or user


@dataclass
class Plan:
    """One demo report: how it was received, then what happened to it (steps run in order, each given the
    report, the referent and the dates)."""

    number: int
    received: dt.date
    channel: str
    category: str
    facts: str
    anonymous: bool = False
    contact_possible: bool = True
    author: dict[str, str] = field(default_factory=dict)
    persons_concerned: str = ""
    entity: str = ""
    steps: tuple[Callable[..., Any], ...] = ()

    @property
    def reference(self) -> str:
        return f"{PREFIX}{self.number:02d}"


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9, 30), tzinfo=timezone.get_default_timezone())


# -- the steps ------------------------------------------------------------------------------------------------
def acknowledge(after: int):
    def step(report: Report, actor: Any) -> None:
        from .services.reports import report_acknowledge

        report_acknowledge(
            actor=actor,
            report=report,
            acknowledged_on=timezone.localdate(report.received_at) + dt.timedelta(days=after),
            message="Nous accusons réception de votre signalement, qui sera examiné par le référent alertes.",
        )

    return step


def admissible(after: int, measures: str = ""):
    def step(report: Report, actor: Any) -> None:
        from .services.reports import report_decide_admissibility, report_start_investigation

        report_decide_admissibility(
            actor=actor,
            report=report,
            admissibility=Admissibility.ADMISSIBLE,
            decided_on=timezone.localdate(report.received_at) + dt.timedelta(days=after),
            reasons="Les faits relèvent du dispositif (art. 6 et 8 de la loi 2016-1691).",
        )
        report_start_investigation(actor=actor, report=report, measures=measures)

    return step


def inadmissible(after: int):
    def step(report: Report, actor: Any) -> None:
        from .services.reports import report_decide_admissibility

        report_decide_admissibility(
            actor=actor,
            report=report,
            admissibility=Admissibility.INADMISSIBLE,
            decided_on=timezone.localdate(report.received_at) + dt.timedelta(days=after),
            reasons=(
                "Le signalement porte sur un différend commercial avec un client, sans manquement à la loi ni au "
                "code de conduite : il ne relève pas du dispositif. Vous pouvez vous adresser au service client."
            ),
        )

    return step


def feedback(after: int, close_after: int | None = None):
    def step(report: Report, actor: Any) -> None:
        from .services.reports import report_close, report_give_feedback

        day = timezone.localdate(report.received_at) + dt.timedelta(days=after)
        report_give_feedback(
            actor=actor,
            report=report,
            feedback_on=day,
            measures="Audit des achats du site concerné ; rappel des règles du code de conduite.",
            message="Les vérifications ont confirmé une partie des faits ; des mesures ont été prises.",
        )
        if close_after is not None:
            report_close(
                actor=actor,
                report=report,
                closed_on=timezone.localdate(report.received_at) + dt.timedelta(days=close_after),
                message="Le traitement de votre signalement est terminé. Merci de votre confiance.",
            )

    return step


def proceedings(state: str, ended_after: int | None = None):
    def step(report: Report, actor: Any) -> None:
        from .services.reports import report_set_proceedings

        ended = (
            timezone.localdate(report.received_at) + dt.timedelta(days=ended_after) if ended_after is not None else None
        )
        report_set_proceedings(
            actor=actor,
            report=report,
            proceedings=state,
            ended_on=ended,
            note="Procédure disciplinaire engagée à l'encontre de la personne visée.",
        )

    return step


def meeting(after: int):
    def step(report: Report, actor: Any) -> None:
        from .services.reports import report_request_meeting

        report_request_meeting(
            report=report, requested_on=timezone.localdate(report.received_at) + dt.timedelta(days=after)
        )

    return step


def link_coi_case(report: Report, actor: Any) -> None:
    """The report that led to a conflict-of-interest case of the compliance demo (the first one), linked by a
    referent who may view the cases (core/demo.py DEMO_EXTRA_GROUPS); nothing is linked otherwise."""
    from compliance.models import ConflictOfInterestCase

    from .selectors import linkable_kinds
    from .services.reports import report_link

    case = ConflictOfInterestCase.objects.order_by("pk").first()
    if case is not None and "coi_case" in linkable_kinds(actor):
        report_link(actor=actor, report=report, record=case)


def follow_up_both_ways(report: Report, actor: Any) -> None:
    """The anonymous author and the referent write to each other in the follow-up space."""
    from .services.reports import follow_up_issue, message_from_author, message_to_author

    follow_up_issue(actor=actor, report=report)
    message_from_author(report=report, body="J'ajoute que les factures concernées datent du premier trimestre.")
    message_to_author(
        actor=actor,
        report=report,
        body="Nous accusons réception de votre signalement. Pouvez-vous préciser le service concerné ?",
        kind=MessageKind.ACKNOWLEDGMENT,
    )
    message_from_author(report=report, body="Il s'agit du service des achats du siège.")
    message_to_author(actor=actor, report=report, body="Merci, la vérification est en cours.")


def minutes(report: Report, actor: Any) -> None:
    from .services.reports import message_to_author

    message_to_author(
        actor=actor,
        report=report,
        body="Compte rendu de l'appel : l'auteur décrit des remarques répétées sur son origine lors des réunions "
        "d'équipe. Merci de vérifier ce compte rendu et de nous dire s'il doit être corrigé.",
        kind=MessageKind.MINUTES,
    )


# -- the reports --------------------------------------------------------------------------------------------------
def plans(today: dt.date) -> list[Plan]:
    days = dt.timedelta(days=1)
    last_year = dt.date(today.year - 1, 3, 6)
    # Feedback due in about ten days: acknowledged two days after a receipt three months ago.
    feedback_soon = today + 10 * days - relativedelta(months=3) - 2 * days
    return [
        Plan(
            1,
            today - 3 * days,
            Channel.WEB,
            Category.FRAUD,
            "Des factures de prestations jamais réalisées seraient payées chaque trimestre à une société de conseil.",
            anonymous=True,
            persons_concerned="Un acheteur du service des achats (nom non communiqué)",
            steps=(follow_up_both_ways,),
        ),
        Plan(
            2,
            today - 5 * days,
            Channel.EMAIL,
            Category.CORRUPTION,
            "Un fournisseur de travaux aurait offert un séjour à un chef de projet avant l'attribution d'un marché.",
            author={"author_name": "Camille Ondine", "author_email": "camille.ondine@example.org"},
            persons_concerned="Bastien Ferrandier, chef de projet",
            entity="ONV",
        ),
        Plan(
            3,
            today - 14 * days,
            Channel.POST,
            Category.HARASSMENT,
            "Des propos humiliants seraient tenus régulièrement par un responsable d'équipe envers une salariée.",
            author={"author_name": "Joris Valmont", "author_relation": "employee"},
            persons_concerned="Un responsable d'équipe de l'agence de Lille",
        ),
        Plan(
            4,
            feedback_soon,
            Channel.PHONE,
            Category.DISCRIMINATION,
            "Des candidatures seraient écartées en raison du lieu de résidence des candidats.",
            author={"author_name": "Inès Palomar", "author_phone": "06 00 00 00 01", "author_relation": "candidate"},
            steps=(minutes, acknowledge(2), admissible(10, "Entretiens avec le service recrutement.")),
        ),
        Plan(
            5,
            today - 20 * days,
            Channel.EMAIL,
            Category.CONFLICT_OF_INTEREST,
            "Une responsable d'agence instruirait les dossiers de prêt déposés par la société de son conjoint.",
            author={"author_name": "Octave Brunel", "author_email": "octave.brunel@example.org"},
            persons_concerned="La responsable de l'agence de Rouen",
            steps=(acknowledge(1), admissible(6), meeting(12), link_coi_case),
        ),
        Plan(
            6,
            today - 40 * days,
            Channel.WEB,
            Category.OTHER,
            "Un client se plaint des délais de traitement de son dossier de prêt.",
            author={"author_name": "Lucien Marchal"},
            steps=(acknowledge(1), inadmissible(5)),
        ),
        Plan(
            7,
            today - 200 * days,
            Channel.EMAIL,
            Category.AML_CFT,
            "Des remboursements anticipés en espèces d'un même emprunteur paraîtraient incohérents avec ses revenus.",
            author={"author_name": "Nora Delcourt", "author_relation": "employee"},
            steps=(acknowledge(3), admissible(10), feedback(60, close_after=75)),
        ),
        Plan(
            8,
            last_year,
            Channel.MEETING,
            Category.PERSONAL_DATA,
            "Un salarié consulterait sans raison les dossiers de locataires de son entourage.",
            author={"author_name": "Hugo Lassalle", "author_relation": "employee"},
            steps=(acknowledge(2), admissible(9), feedback(50, close_after=70), proceedings(Proceedings.PENDING)),
        ),
        Plan(
            9,
            today - 6 * days,
            Channel.POST,
            Category.FRAUD,
            "Lettre anonyme : des notes de frais seraient gonflées au service commercial.",
            anonymous=True,
            contact_possible=False,
        ),
        Plan(
            10,
            dt.date(today.year - 1, 1, 16),
            Channel.EMAIL,
            Category.CORRUPTION,
            "Un élu local aurait demandé un avantage pour faciliter un permis de construire.",
            author={"author_name": "Solène Aubertin", "author_relation": "contractor"},
            steps=(acknowledge(1), admissible(5), feedback(40, close_after=60), proceedings(Proceedings.ENDED, 300)),
        ),
        Plan(
            11,
            today - 110 * days,
            Channel.EMAIL,
            Category.HARASSMENT,
            "Une salariée intérimaire ferait l'objet de remarques à caractère sexuel sur un chantier.",
            author={"author_name": "Thibault Rénier", "author_relation": "external_staff"},
            entity="ALS",
            steps=(acknowledge(3), admissible(12, "Enquête interne confiée aux ressources humaines.")),
        ),
        Plan(
            12,
            today - 1 * days,
            Channel.EMAIL,
            Category.PERSONAL_DATA,
            "Des listes de locataires auraient été envoyées à un prestataire sans contrat.",
            author={"author_name": "Maëlle Garnier", "author_email": "maelle.garnier@example.org"},
        ),
    ]


def load(user=None) -> str:
    from .services.reports import report_record

    referent = _referent(user)
    today = timezone.localdate()
    entities = {entity.code: entity for entity in LegalEntity.objects.all()}
    default_entity = None
    if settings.VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY:
        # Referents per entity: the demo referent is the referent of every entity, and a report recorded by a
        # referent names one (services/reports.py), the parent company when the plan names none.
        for entity in entities.values():
            if not ReferentAssignment.objects.filter(user=referent, entity=entity).exists():
                save_with_history(
                    ReferentAssignment(user=referent, entity=entity),
                    actor=user,
                    reason="demo: referent of every entity",
                )
        default_entity = LegalEntity.objects.filter(parent__isnull=True).order_by("pk").first()
    existing = set(Report.objects.filter(reference__startswith=PREFIX).values_list("reference", flat=True))
    created = 0
    for plan in plans(today):
        if plan.reference in existing:
            continue
        report = report_record(
            actor=referent,
            received_at=_at(plan.received),
            channel=plan.channel,
            category=plan.category,
            facts=plan.facts,
            anonymous=plan.anonymous,
            contact_possible=plan.contact_possible,
            reference=plan.reference,
            entity=entities.get(plan.entity) or default_entity,
            persons_concerned=plan.persons_concerned,
            **plan.author,
        )
        for step in plan.steps:
            step(report, referent)
            report.refresh_from_db()
        created += 1
    total = Report.objects.filter(reference__startswith=PREFIX).count()
    return f"whistleblowing: {created} reports created ({total} demo reports), referent {referent.username}"
