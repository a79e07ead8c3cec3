"""`import_whistleblowing_reports`: reports received before Vigie (a former channel, a register kept by hand),
by `reference` (docs/interfaces.md, row `whistleblowing_reports`).

What a row carries is the report's public part (dates, category, admissibility) and three facts of its sealed
part (channel, anonymous, whether the author can be contacted) and its legal entity: never who wrote it nor
what it says. A report the import creates gets a content whose facts are a fixed line, `imported_facts()`
("Signalement importé : son contenu est tenu hors de Vigie."): the facts stay where they were kept; a referent
may complete them in Vigie. A report that exists keeps its content's facts and author; the file updates its
dates, and its channel, anonymity, contact and entity when the file has those columns.

Each row gets what the services would give it: the deadlines of the legal clock (whistleblowing/deadlines.py:
the acknowledgment due on the 7th working day after the Paris day of receipt, the feedback 3 months after
the earlier of the acknowledgment and that day; none for an anonymous author who left no means of contact),
a ledger row (DeadlineEvent) each time a due date is computed or changes, and a status derived from its dates
(closed, feedback given, admissible, acknowledged, received). An inadmissible report is closed (the author is
told why): without a closing date, it is closed on the day of the decision.

Rejected with their reason: a receipt in the future; an acknowledgment before the receipt; feedback before the
acknowledgment; any other date before the receipt or in the future; an admissibility without its date (or a
date without a decision); an unknown category, channel or entity; a new report without a category.

Only the referents may run this import (`add_permission`: the sealed content's, core/roles.py `sealed_out`):
it writes content rows, and its rejected rows (raw lines: channel, anonymity, entity) are for them alone
(core/imports/registry.py `visible_kinds`), and its runs for the person who ran it (`runs_visible_to_runner_only`).
A person never touches a report whose content they may not read (`whistleblowing.selectors`): with referents per
entity, such a row is rejected with the same words whatever the report holds, and so is a row that files a report
under an entity the person is not a referent of, or removes its entity (every referent would read it then). The
command line (the system user: shell access) is not limited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core.dates import paris_date
from core.imports import Column, Importer, Row, RowError, register
from core.imports.parsers import Boolean, Choice, Date, DateTime, Text, max_length_of
from organization.importers import EntityCodes, entity_code_column

from ..choices import Admissibility, Category, Channel, DeadlineKind, Status
from ..models import DeadlineEvent, ReferentAssignment, Report, ReportContent
from ..selectors import reports_with_content_for

CHANNEL = Choice(
    Channel,
    aliases={
        "formulaire": Channel.WEB,
        "formulaire web": Channel.WEB,
        "plateforme": Channel.WEB,
        "internet": Channel.WEB,
        "courriel": Channel.EMAIL,
        "mail": Channel.EMAIL,
        "e-mail": Channel.EMAIL,
        "courrier": Channel.POST,
        "lettre": Channel.POST,
        "téléphone": Channel.PHONE,
        "appel": Channel.PHONE,
        "entretien": Channel.MEETING,
        "rendez-vous": Channel.MEETING,
        "réunion": Channel.MEETING,
        "autre": Channel.OTHER,
    },
)
CATEGORY = Choice(
    Category,
    aliases={
        "corruption": Category.CORRUPTION,
        "trafic d'influence": Category.CORRUPTION,
        "conflit d'intérêts": Category.CONFLICT_OF_INTEREST,
        "conflit d'intérêt": Category.CONFLICT_OF_INTEREST,
        "harcèlement": Category.HARASSMENT,
        "lcb-ft": Category.AML_CFT,
        "blanchiment": Category.AML_CFT,
        "données personnelles": Category.PERSONAL_DATA,
        "rgpd": Category.PERSONAL_DATA,
        "autre": Category.OTHER,
    },
)
ADMISSIBILITY = Choice(
    Admissibility,
    aliases={"recevable": Admissibility.ADMISSIBLE, "irrecevable": Admissibility.INADMISSIBLE},
)
#: The content's fields the file may set (when it has their column).
CONTENT_FIELDS = ("channel", "anonymous", "contact_possible", "entity_id")


def imported_facts() -> str:
    """The facts of a report the import creates, in the installation's language (stored data)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("Imported report: its content is kept outside Vigie.")


@register
class WhistleblowingReportImporter(Importer):
    """Reports by `reference`. An optional column absent from the file leaves its field as it is."""

    kind = "whistleblowing_reports"
    model = Report
    natural_key = ("reference",)
    columns = (
        Column(
            "reference",
            Text(max_length_of(Report, "reference")),
            required=True,
            aliases=("référence", "réf", "réf.", "n° signalement", "numéro", "référence du signalement"),
        ),
        Column(
            "received_at",
            DateTime(),
            required=True,
            aliases=("reçu le", "date de réception", "date du signalement", "réception", "date de l'alerte"),
        ),
        Column("channel", CHANNEL, aliases=("canal", "canal de réception", "mode de réception")),
        Column("anonymous", Boolean(), aliases=("anonyme", "signalement anonyme")),
        Column(
            "contact_possible",
            Boolean(),
            default=True,
            aliases=("contact possible", "auteur joignable", "joignable"),
        ),
        Column("category", CATEGORY, aliases=("catégorie", "nature", "type de signalement", "domaine")),
        Column(
            "acknowledged_on",
            Date(),
            aliases=("accusé de réception", "date de l'accusé de réception", "accusé le", "date ar"),
        ),
        Column("admissibility", ADMISSIBILITY, aliases=("recevabilité",)),
        Column(
            "admissibility_decided_on",
            Date(),
            aliases=("date de recevabilité", "recevabilité décidée le", "date de la décision de recevabilité"),
        ),
        Column("feedback_on", Date(), aliases=("retour le", "date du retour", "retour à l'auteur", "date de retour")),
        Column("closed_on", Date(), aliases=("clôturé le", "date de clôture", "clôture")),
        entity_code_column(),
    )
    #: With referents per entity, another referent's rejected rows would tell them the channel, anonymity and
    #: entity of reports they may not read (review 21b #4): each run is its runner's only.
    runs_visible_to_runner_only = True
    _dates = ("acknowledged_on", "admissibility_decided_on", "feedback_on", "closed_on")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.entities = EntityCodes()
        self.lookups = (self.entities,)

    @classmethod
    def add_permission(cls) -> str:
        """Adding a report's sealed content: the referents only, superusers not let in (core/roles.py)."""
        return "whistleblowing.add_reportcontent"

    def prepare(self) -> None:
        super().prepare()
        self.now = timezone.now()
        self.today = paris_date(self.now)
        fields = ("category", "status", *self._dates, "admissibility")
        self.stored: dict[str, dict[str, Any]] = {
            values["reference"]: values for values in Report.objects.values("reference", *fields)
        }
        self.contents: dict[str, dict[str, Any]] = {
            values.pop("report__reference"): values
            for values in ReportContent.objects.values("report__reference", "pk", *CONTENT_FIELDS)
        }
        # What a person (not the system user of the command line) may touch (review 21b #1): the reports whose
        # content they may read, and, with referents per entity, only their own entities. None: no limit.
        self.readable: set[str] | None = None
        self.own_entities: set[int] | None = None
        if self.user is not None and self.user.get_username() != settings.VIGIE_SYSTEM_USERNAME:
            self.readable = set(reports_with_content_for(self.user).values_list("reference", flat=True))
            if settings.VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY:
                self.own_entities = set(
                    ReferentAssignment.objects.filter(user_id=self.user.pk).values_list("entity_id", flat=True)
                )
        #: reference → the content values of its row (written after the report, `after_write`).
        self.content_values: dict[str, dict[str, Any]] = {}
        #: reference → the explanations of its deadlines (acknowledgment, feedback), for the ledger.
        self.explanations: dict[str, dict[str, str]] = {}

    def build(self, row: Row) -> dict[str, Any]:
        from ..deadlines import acknowledgment_deadline, feedback_deadline

        reference, received_at = row["reference"], row["received_at"]
        if self.readable is not None and reference in self.stored and reference not in self.readable:
            # The same words whatever the report holds: its reference is public, nothing else of it is told.
            raise RowError(_("you may not change this report"))
        stored = self.stored.get(reference or "", {})
        values: dict[str, Any] = {"reference": reference, "received_at": received_at}
        for name in self._dates:
            if name in row:
                values[name] = row[name]
        if "admissibility" in row:
            values["admissibility"] = row["admissibility"] or ""
        category = row.get("category") or stored.get("category")
        if category:
            values["category"] = category
        elif not ("category" in row and row["category"] is None):  # None: the parser said why already
            row.error("category", _("a report needs its category"))

        dates = {name: values.get(name, stored.get(name)) for name in self._dates}
        admissibility = values.get("admissibility", stored.get("admissibility", "")) or ""
        received = paris_date(received_at) if received_at is not None else None
        if received is not None:
            if received_at > self.now:
                row.error("received_at", _("the receipt cannot be in the future"))
            for name, day in dates.items():
                if day is None:
                    continue
                if day > self.today:
                    row.error(name, _("cannot be in the future"))
                elif day < received:
                    if name == "acknowledged_on":
                        row.error(name, _("the acknowledgment precedes the receipt"))
                    else:
                        row.error(name, _("precedes the receipt (%(day)s)") % {"day": received.strftime("%d/%m/%Y")})
        acknowledged, feedback = dates["acknowledged_on"], dates["feedback_on"]
        if acknowledged is not None and feedback is not None and feedback < acknowledged:
            row.error("feedback_on", _("the feedback precedes the acknowledgment"))
        if bool(admissibility) != (dates["admissibility_decided_on"] is not None):
            row.error(
                "admissibility_decided_on" if admissibility else "admissibility",
                _("an admissibility decision needs its date, and a date its decision"),
            )
        if admissibility == Admissibility.INADMISSIBLE and dates["closed_on"] is None:
            # The inadmissible report is closed when the author is told why (whistleblowing/services).
            dates["closed_on"] = values["closed_on"] = dates["admissibility_decided_on"]

        # The content's facts the file gives (the author and the facts are never in a file).
        content = self.contents.get(reference or "", {})
        wanted: dict[str, Any] = {}
        if "channel" in row:
            wanted["channel"] = row["channel"] or Channel.OTHER
        if "anonymous" in row:
            wanted["anonymous"] = row["anonymous"]
        if "contact_possible" in row:
            wanted["contact_possible"] = row["contact_possible"]
        entity: dict[str, Any] = {}
        self.entities.put(row, entity)
        if self.own_entities is not None and "entity_id" in entity:
            if entity["entity_id"] is not None and entity["entity_id"] not in self.own_entities:
                row.error("entity_code", _("you may only file a report under a legal entity you are a referent of"))
            elif not row.get("entity_code") and content.get("entity_id") is not None:
                row.error("entity_code", _("with referents per entity, a report's legal entity cannot be removed"))
        wanted.update(entity)
        self.content_values[reference or ""] = wanted
        anonymous = wanted.get("anonymous", content.get("anonymous", False))
        contact_possible = wanted.get("contact_possible", content.get("contact_possible", True))
        if wanted.get("channel", content.get("channel")) == Channel.WEB and not contact_possible:
            # A web report has its follow-up space: a means of contact (whistleblowing/services/reports.py).
            contact_possible = wanted["contact_possible"] = True

        # The legal clock: none due for an anonymous author who left no means of contact.
        values["acknowledgment_due_on"] = values["feedback_due_on"] = None
        explanations: dict[str, str] = {}
        if received_at is not None and not row.errors and (contact_possible or not anonymous):
            with translation.override(settings.LANGUAGE_CODE):
                ack = acknowledgment_deadline(received_at)
                feedback_due = feedback_deadline(received_at, acknowledged_on=acknowledged)
                explanations = {"ack": str(ack.explanation), "feedback": str(feedback_due.explanation)}
            values["acknowledgment_due_on"] = ack.due_on
            values["feedback_due_on"] = feedback_due.due_on
        self.explanations[reference or ""] = explanations
        status = self._status(dates, admissibility)
        if status == Status.ADMISSIBLE and stored.get("status") == Status.INVESTIGATING:
            status = Status.INVESTIGATING  # a referent started the investigation: the file does not undo it
        values["status"] = status
        return values

    @staticmethod
    def _status(dates: dict[str, dt.date | None], admissibility: str) -> str:
        if dates["closed_on"] is not None:
            return Status.CLOSED
        if dates["feedback_on"] is not None:
            return Status.FEEDBACK_GIVEN
        if admissibility == Admissibility.ADMISSIBLE:
            return Status.ADMISSIBLE
        if dates["acknowledged_on"] is not None:
            return Status.ACKNOWLEDGED
        return Status.RECEIVED

    # -- after the reports are written: their content and the ledger -------------------------------------------
    def after_write(
        self,
        *,
        created: list[tuple[Row, models.Model]],
        updated: list[tuple[Row, dict[str, Any]]],
        unchanged: list[Row],
    ) -> None:
        history = {"default_user": self.user, "default_change_reason": self.change_reason}
        facts = imported_facts()
        new_contents: list[ReportContent] = []
        changed: dict[int, dict[str, Any]] = {}  # content pk → the fields the file changes
        events: list[DeadlineEvent] = []
        written: list[tuple[Row, int | None, dict[str, Any] | None]] = [(row, obj.pk, None) for row, obj in created]
        written += [(row, old["id"], old) for row, old in updated]
        for row in unchanged:
            assert row.built is not None
            stored = self.contents.get(row.built["reference"])
            if stored is None or self._content_changes(row.built["reference"], stored):
                written.append((row, None, {}))  # the report is as it was, its content is not
        for row, pk, old in written:
            built = row.built
            assert built is not None
            reference = built["reference"]
            stored = self.contents.get(reference)
            report_id = pk if pk is not None else Report.objects.values_list("pk", flat=True).get(reference=reference)
            if stored is None:
                wanted = {"channel": Channel.OTHER, **self.content_values.get(reference, {})}
                new_contents.append(ReportContent(report_id=report_id, facts=facts, **wanted))
            elif changes := self._content_changes(reference, stored):
                changed[stored["pk"]] = changes
            if old == {}:
                continue  # the report itself did not change: nor did its deadlines
            explanations = self.explanations.get(reference, {})
            for kind, key in ((DeadlineKind.ACKNOWLEDGMENT, "ack"), (DeadlineKind.FEEDBACK, "feedback")):
                due_on = built[f"{kind}_due_on"]
                if old is not None and old.get(f"{kind}_due_on") == due_on:
                    continue
                events.append(
                    DeadlineEvent(
                        report_id=report_id,
                        deadline=kind,
                        actor=self.user,
                        due_on=due_on,
                        explanation=explanations.get(key, "") if due_on else self._none_due(),
                        reason=self.change_reason,
                    )
                )
        if new_contents:
            bulk_create_with_history(new_contents, ReportContent, **history)
        if changed:
            # Only the fields the file gives: the facts and the author a referent wrote stay.
            contents = list(ReportContent.objects.filter(pk__in=changed).order_by("pk"))
            for content in contents:
                for name, value in changed[content.pk].items():
                    setattr(content, name, value)
            names = sorted({name for changes in changed.values() for name in changes})
            bulk_update_with_history(contents, ReportContent, names, **history)
        if events:
            DeadlineEvent.objects.bulk_create(events)

    def _content_changes(self, reference: str, stored: dict[str, Any]) -> dict[str, Any]:
        wanted = self.content_values.get(reference, {})
        return {name: value for name, value in wanted.items() if stored.get(name) != value}

    @staticmethod
    def _none_due() -> str:
        with translation.override(settings.LANGUAGE_CODE):
            return _("None due: the author is anonymous and left no means of contact.")
