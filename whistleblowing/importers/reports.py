"""`import_whistleblowing_reports`: reports received before Vigie (a former channel, a register kept by hand),
by `reference` (docs/interfaces.md, row `whistleblowing_reports`).

What a row carries is the report's public part (dates, category, admissibility) and three facts of its sealed
part (channel, anonymous, whether the author can be contacted) and its legal entity: never who wrote it nor
what it says. A report the import creates gets a content whose facts are a fixed line, `imported_facts()`
("Signalement importé : son contenu est tenu hors de Vigie."): the facts stay where they were kept; a referent
may complete them in Vigie.

A new report gets what the services would give it: the deadlines of the legal clock (`clock_columns`: the
acknowledgment due on the 7th working day after the Paris day of receipt, the feedback 3 months after the
earlier of the acknowledgment and that day; none for an anonymous author who left no means of contact; a web
report always has its follow-up space), a ledger row (DeadlineEvent) for each due date, and the status its
dates lead to through the workflow (`choices.TRANSITIONS`, asked through `transition_problem`). An inadmissible
report is closed (the author is told why): without a closing date, it is closed on the day of the decision.

A report already in Vigie (re-importing the same register is allowed: docs/interfaces.md, "Idempotent") is in
the workflow's hands, and the file never does what the workflow forbids. It only fills in, through the
services' own rules:
- an empty cell, or an absent column, leaves what Vigie holds (an acknowledgment, a decision, the anonymity,
  the channel, the contact, the entity are never erased by a file); a cell equal to what Vigie holds changes
  nothing (a row equal in all is "unchanged");
- a cell that differs from what Vigie recorded (the receipt's day, the category, the channel, the anonymity,
  a date or decision already recorded) rejects the row, naming the column and the recorded value;
- the file may record an acknowledgment, or an admissible decision, that Vigie does not hold yet, as the
  services would (`report_acknowledge`, `report_decide_admissibility`: an open report, the same transitions,
  the same date order, the feedback counted again from the acknowledgment); an inadmissible decision, feedback
  or closure is recorded in Vigie, where the services write the letter the author must receive: a file
  giving one of them rejects the row;
- whether the author can be contacted changes through `contact_set_locked` (its clock with it; refused when the
  author holds follow-up credentials), and the entity as `report_entity_set` allows.
An anonymised report takes no more writes (`services._locked`): its row is rejected, naming the reference.
Each batch locks the existing reports it touches; a row whose report changed in Vigie since the import started
is rejected (importing the file again applies it to what Vigie then holds).

Rejected with their reason: a receipt in the future; an acknowledgment before the receipt; any other date
before the receipt or in the future; dates out of the workflow's order (`date_order_problems`, the services'
own: a decision, feedback or closure before the acknowledgment, a closure before the decision or the feedback,
feedback before the decision); a step the workflow does not take from where the report is (feedback without an
admissible decision: `transition_problem`); an admissibility without its date (or a date without a decision);
an unknown category, channel or entity; a new report without a category.

Only the referents may run this import (`add_permission`: the sealed content's, core/roles.py `sealed_out`):
it writes content rows, and its rejected rows (raw lines: channel, anonymity, entity) are for them alone
(core/imports/registry.py `visible_kinds`), and its runs for the person who ran it (`runs_visible_to_runner_only`).
A person never touches a report whose content they may not read (`whistleblowing.selectors`): with referents per
entity, such a row is rejected with the same words whatever the report holds, and so is a row that files a report
under an entity the person is not a referent of. With referents per entity, a new report names its entity
(`check_record_entity`: one of the person's own), from the command line too: without one, every referent would
read it. The command line (the system user: shell access) is not limited otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core.dates import format_date, paris_date
from core.imports import Column, Importer, Row, RowError, register
from core.imports.parsers import Boolean, Choice, Date, DateTime, Text, max_length_of
from organization.importers import EntityCodes, entity_code_column

from ..choices import Admissibility, Category, Channel, DeadlineKind, Status
from ..models import DeadlineEvent, FollowUpAccess, ReferentAssignment, Report, ReportContent
from ..selectors import reports_with_content_for
from ..services.reports import (
    ENTITY_REQUIRED,
    FOLLOW_UP_IS_CONTACT,
    clock_columns,
    contact_set_locked,
    date_order_problems,
    transition_problem,
)

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
        # An empty cell is None: "not said" (a new report is not anonymous and can be contacted; a report in
        # Vigie keeps what it holds).
        Column("anonymous", Boolean(), default=None, aliases=("anonyme", "signalement anonyme")),
        Column(
            "contact_possible",
            Boolean(),
            default=None,
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

    #: The report's fields read before the rows are built, and checked again under lock when they are written.
    _snapshot = (
        "id",
        "received_at",
        "category",
        "status",
        "acknowledged_on",
        "admissibility",
        "admissibility_decided_on",
        "feedback_on",
        "closed_on",
        "meeting_requested_on",
        "meeting_held_on",
        "acknowledgment_due_on",
        "feedback_due_on",
        "anonymised_on",
    )

    def prepare(self) -> None:
        super().prepare()
        self.now = timezone.now()
        self.today = paris_date(self.now)
        self.stored: dict[str, dict[str, Any]] = {
            values["reference"]: values for values in Report.objects.values("reference", *self._snapshot)
        }
        self.contents: dict[str, dict[str, Any]] = {
            values.pop("report__reference"): values
            for values in ReportContent.objects.values("report__reference", "pk", *CONTENT_FIELDS)
        }
        self.with_follow_up: set[str] = set(FollowUpAccess.objects.values_list("report__reference", flat=True))
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
        #: reference → whether its author can be contacted, when the row changes it (`contact_set_locked`).
        self.contact_changes: dict[str, bool] = {}
        #: reference → the explanations of its deadlines (acknowledgment, feedback), for the ledger.
        self.explanations: dict[str, dict[str, str]] = {}

    def build(self, row: Row) -> dict[str, Any]:
        reference = row["reference"] or ""
        stored = self.stored.get(reference)
        if stored is not None:
            if self.readable is not None and reference not in self.readable:
                # The same words whatever the report holds: its reference is public, nothing else of it is told.
                raise RowError(_("you may not change this report"))
            if stored["anonymised_on"] is not None:
                raise RowError(
                    _(
                        "the report %(reference)s was anonymised on %(day)s: it can no longer be changed; "
                        "take this line out of the file"
                    )
                    % {"reference": reference, "day": format_date(stored["anonymised_on"])}
                )
        content = self.contents.get(reference) if stored is not None else None
        anonymous, contact_possible = self._content(row, reference, content)
        if stored is None:
            return self._new(row, anonymous=anonymous, contact_possible=contact_possible)
        return self._existing(row, stored, clock_ran=not (anonymous and not contact_possible) if content else True)

    # -- the sealed part's facts -------------------------------------------------------------------------------
    def _content(self, row: Row, reference: str, content: dict[str, Any] | None) -> tuple[bool, bool]:
        """The content values the row writes (`content_values`; a contact change in `contact_changes`), and the
        anonymity and contact the report has before the row's contact change."""
        channel = row.get("channel") or None
        anonymous, contact = row.get("anonymous"), row.get("contact_possible")
        wanted: dict[str, Any] = {}
        if content is not None:  # a report in Vigie: what it recorded stays
            for name, given in (("channel", channel), ("anonymous", anonymous)):
                if given is not None and given != content[name]:
                    row.error(name, self._recorded(name, content[name]))
            channel, anonymous = content["channel"], content["anonymous"]
        else:
            channel, anonymous = channel or Channel.OTHER, bool(anonymous)
            wanted.update(channel=channel, anonymous=anonymous)
        if contact is None:
            contact = content["contact_possible"] if content is not None else True
        if channel == Channel.WEB:
            contact = True  # a web report has its follow-up space: a means of contact (services/reports.py)
        if content is None:
            wanted["contact_possible"] = contact
        elif contact != content["contact_possible"]:
            if not contact and reference in self.with_follow_up:
                row.error("contact_possible", str(FOLLOW_UP_IS_CONTACT))
            else:
                self.contact_changes[reference] = contact
        self._entity(row, content, wanted)
        self.content_values[reference] = wanted
        if content is not None:
            return content["anonymous"], content["contact_possible"]
        return anonymous, contact

    def _entity(self, row: Row, content: dict[str, Any] | None, wanted: dict[str, Any]) -> None:
        given: dict[str, Any] = {}
        code = row.get("entity_code")
        if code:
            self.entities.put(row, given)
            if given.get("entity_id") is None:
                return  # an unknown code: the row's error already
        entity_id = given.get("entity_id")
        if content is not None:  # an empty cell leaves the entity (a report's entity is never removed by a file)
            if entity_id is None or entity_id == content["entity_id"]:
                return
        elif entity_id is None:
            if settings.VIGIE_WHISTLEBLOWING_REFERENTS_PER_ENTITY:
                row.error("entity_code", str(ENTITY_REQUIRED))
            wanted["entity_id"] = None
            return
        if self.own_entities is not None and entity_id not in self.own_entities:
            row.error("entity_code", _("you may only file a report under a legal entity you are a referent of"))
        wanted["entity_id"] = entity_id

    # -- a new report --------------------------------------------------------------------------------------------
    def _new(self, row: Row, *, anonymous: bool, contact_possible: bool) -> dict[str, Any]:
        reference, received_at = row["reference"], row["received_at"]
        values: dict[str, Any] = {"reference": reference, "received_at": received_at}
        if row.get("category"):
            values["category"] = row["category"]
        elif not ("category" in row and row["category"] is None):  # None: the parser said why already
            row.error("category", _("a report needs its category"))
        dates = {name: row.get(name) for name in self._dates}
        admissibility = row.get("admissibility") or ""
        self._check_days(row, received_at, dates)
        self._check_decision(row, admissibility, dates)
        for name, message in date_order_problems(dates).items():
            row.error(name, message)
        if admissibility == Admissibility.INADMISSIBLE and dates["closed_on"] is None:
            # The inadmissible report is closed when the author is told why (whistleblowing/services).
            dates["closed_on"] = dates["admissibility_decided_on"]
        # The workflow's steps, in order, from the receipt: the status they lead to.
        inadmissible = admissibility == Admissibility.INADMISSIBLE
        steps = [
            ("acknowledged_on", Status.ACKNOWLEDGED, _("acknowledgment"), dates["acknowledged_on"]),
            (
                "admissibility",
                Status.CLOSED if inadmissible else Status.ADMISSIBLE,
                _("inadmissibility") if inadmissible else _("admissibility"),
                admissibility,
            ),
            ("feedback_on", Status.FEEDBACK_GIVEN, _("feedback"), dates["feedback_on"]),
            ("closed_on", Status.CLOSED, _("closure"), dates["closed_on"] if not inadmissible else None),
        ]
        status = Status.RECEIVED
        for column, target, action, given in steps:
            if not given:
                continue
            problem = transition_problem(status, target, action)
            if problem is not None:
                row.error(column, problem)
                break
            status = target
        values.update(dates, admissibility=admissibility, status=status)
        # The legal clock: none due for an anonymous author who left no means of contact.
        values["acknowledgment_due_on"] = values["feedback_due_on"] = None
        explanations: dict[str, str] = {}
        if received_at is not None and not row.errors:
            clock = clock_columns(
                received_at=received_at,
                acknowledged_on=dates["acknowledged_on"],
                anonymous=anonymous,
                contact_possible=contact_possible,
            )
            values["acknowledgment_due_on"] = clock.acknowledgment_due_on
            values["feedback_due_on"] = clock.feedback_due_on
            explanations = {"ack": clock.acknowledgment_explanation, "feedback": clock.feedback_explanation}
        self.explanations[reference or ""] = explanations
        return values

    # -- a report already in Vigie: the file fills in, through the services' rules --------------------------------
    def _existing(self, row: Row, stored: dict[str, Any], *, clock_ran: bool) -> dict[str, Any]:
        reference = row["reference"]
        values: dict[str, Any] = {"reference": reference, "received_at": stored["received_at"]}
        received_at = row["received_at"]
        recorded_day = paris_date(stored["received_at"])
        if received_at is not None and paris_date(received_at) != recorded_day:
            row.error("received_at", self._recorded("received_at", recorded_day))
        if row.get("category") and row["category"] != stored["category"]:
            row.error("category", self._recorded("category", stored["category"]))
        dates = {name: stored[name] for name in self._dates}
        admissibility = stored["admissibility"]
        filled: list[str] = []
        for name in (*self._dates, "admissibility"):
            given = row.get(name) or None
            if given is None or given == stored[name]:
                continue
            if stored[name]:
                row.error(name, self._recorded(name, stored[name]))
            elif name == "admissibility":
                admissibility = given
                filled.append(name)
            else:
                dates[name] = given
                filled.append(name)
        self._check_decision(row, admissibility, dates)
        # What the services record with a letter to the author is recorded in Vigie, not by a file.
        by_letter = {"feedback_on", "closed_on"}
        if admissibility == Admissibility.INADMISSIBLE:
            by_letter.add("admissibility")
        for name in filled:
            if name in by_letter:
                row.error(name, _("a report already in Vigie takes this step in Vigie, which writes to its author"))
        self._check_days(row, stored["received_at"], {name: dates[name] for name in filled if name in dates})
        filled_dates = [name for name in filled if name in dates]
        if filled_dates:
            in_order = {**dates, "meeting_requested_on": stored["meeting_requested_on"]}
            in_order["meeting_held_on"] = stored["meeting_held_on"]
            for name, message in date_order_problems(in_order, about=filled_dates).items():
                row.error(name if name in filled_dates else filled_dates[0], message)
        status = stored["status"]
        if "acknowledged_on" in filled:  # report_acknowledge: an open report only
            if status == Status.CLOSED:
                row.error("acknowledged_on", transition_problem(status, Status.CLOSED, _("acknowledgment")) or "")
            elif status == Status.RECEIVED:
                status = Status.ACKNOWLEDGED
        if "admissibility" in filled and admissibility == Admissibility.ADMISSIBLE:
            problem = transition_problem(status, Status.ADMISSIBLE, _("admissibility"))
            if problem is not None:
                row.error("admissibility", problem)
            status = Status.ADMISSIBLE
        values.update(dates, admissibility=admissibility, status=status)
        explanations: dict[str, str] = {}
        if "acknowledged_on" in filled and not row.errors and stored["acknowledgment_due_on"] is not None and clock_ran:
            # As report_acknowledge: the feedback counted again from the earlier of the acknowledgment and the
            # 7th working day.
            clock = clock_columns(received_at=stored["received_at"], acknowledged_on=dates["acknowledged_on"])
            values["feedback_due_on"] = clock.feedback_due_on
            explanations["feedback"] = clock.feedback_explanation
        self.explanations[reference or ""] = explanations
        return values

    # -- checks ------------------------------------------------------------------------------------------------
    def _check_days(self, row: Row, received_at: dt.datetime | None, dates: dict[str, dt.date | None]) -> None:
        if received_at is None:
            return
        received = paris_date(received_at)
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

    @staticmethod
    def _check_decision(row: Row, admissibility: str, dates: dict[str, dt.date | None]) -> None:
        if bool(admissibility) != (dates["admissibility_decided_on"] is not None):
            row.error(
                "admissibility_decided_on" if admissibility else "admissibility",
                _("an admissibility decision needs its date, and a date its decision"),
            )

    @staticmethod
    def _recorded(name: str, value: Any) -> str:
        """The reason of a cell that differs from what Vigie recorded, with the recorded value."""
        if isinstance(value, dt.date):
            shown = format_date(value)
        elif isinstance(value, bool):
            shown = _("yes") if value else _("no")
        else:
            choices = {"category": Category, "channel": Channel, "admissibility": Admissibility}.get(name)
            shown = str(choices(value).label) if choices is not None else str(value)
        return _("Vigie recorded %(value)s: a file does not change it") % {"value": shown}

    # -- under lock, before the write ----------------------------------------------------------------------------
    def stages(self, rows: list[Row]) -> Iterator[list[Row]]:
        """The batch's reports locked until its transaction ends (the services wait, as they do for each other);
        a row whose report changed since the rows were built (a referent acted, a report was recorded under its
        reference) is rejected: the file is to be imported again, against what Vigie then holds."""
        references = [row.built["reference"] for row in rows if row.built is not None]
        current = {
            values["reference"]: values
            for values in Report.objects.select_for_update()
            .filter(reference__in=references)
            .values("reference", *self._snapshot)
        }
        contents = {
            values.pop("report__reference"): values
            for values in ReportContent.objects.filter(report__reference__in=references).values(
                "report__reference", "pk", *CONTENT_FIELDS
            )
        }
        follow_up = set(
            FollowUpAccess.objects.filter(report__reference__in=references).values_list("report__reference", flat=True)
        )
        for row in rows:
            reference = row.built["reference"] if row.built is not None else ""
            if (
                current.get(reference) != self.stored.get(reference)
                or contents.get(reference) != self.contents.get(reference)
                or (reference in follow_up) != (reference in self.with_follow_up)
            ):
                row.error(None, _("this report changed in Vigie while the file was imported: import the file again"))
        yield [row for row in rows if not row.errors]

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
                if f"{kind}_due_on" not in built:
                    continue  # a report in Vigie whose clock the row leaves as it is
                due_on = built[f"{kind}_due_on"]
                if old is not None and old.get(f"{kind}_due_on") == due_on:
                    continue
                events.append(
                    DeadlineEvent(
                        report_id=report_id,
                        deadline=kind,
                        actor=self.user,
                        due_on=due_on,
                        explanation=explanations.get(key, "") or self._none_due(),
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
        # Whether the author can be contacted, and the clock with it, as the services change it (the report is
        # locked since `stages`; its checks were made in `build`).
        rows = [row for row, _obj in created] + [row for row, _old in updated] + unchanged
        for row in rows:
            assert row.built is not None
            reference = row.built["reference"]
            if reference in self.contact_changes:
                locked = Report.objects.select_for_update().get(reference=reference)
                contact_set_locked(locked, actor=self.user, contact_possible=self.contact_changes[reference])

    def _content_changes(self, reference: str, stored: dict[str, Any]) -> dict[str, Any]:
        wanted = self.content_values.get(reference, {})
        return {name: value for name, value in wanted.items() if stored.get(name) != value}

    @staticmethod
    def _none_due() -> str:
        with translation.override(settings.LANGUAGE_CODE):
            return _("None due: the author is anonymous and left no means of contact.")
