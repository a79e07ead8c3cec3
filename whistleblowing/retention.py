"""How long a whistleblowing report keeps what identifies its author and what it says (core/retention.py;
settings.VIGIE_RETENTION). CNIL, référentiel relatif aux dispositifs d'alertes professionnelles (2019, updated
2023), as docs/rules.md says it:

- a report found inadmissible (closed as such): anonymised without delay, at the first run after its closure;
- an admissible report (or one closed without a decision) that led to no proceedings: two months after the
  end of the verification, its closure;
- a report that led to disciplinary or judicial proceedings: kept while they are under way (no policy selects
  it), anonymised once they ended, at the end date the referent records.

Anonymising a report keeps its public part for the statistics (reference, dates, category, status,
deadlines, admissibility, the deadline ledger) and removes the rest:
- its content loses the author's identity and means of contact, the facts and when they happened, the persons
  concerned, the reasons, the measures and the proceedings' note;
- every follow-up message loses its body, except the letters to the author that say how the report ended (the
  admissibility decision, the feedback, the closure: `LETTERS`);
- every attachment's file is deleted from the disk (every version's), and its row goes;
- the links to the records it led to go (a conflict-of-interest case names the persons concerned: a link
  would tie the anonymised report back to them);
- the history rows of all of these are rewritten the same way (core/retention.py), so no older version keeps
  what the live rows lost; the report gets `anonymised_on` and one history row saying so.

The author must be told in writing why an inadmissible report is closed, and an anonymous author has no other
way to read it than the follow-up space. So the follow-up codes (a digest and a password hash: nothing
personal) and those letters stay for a reading period after the anonymisation (policy "whistleblowing.notice",
30 days by default), during which the author still opens the space of the anonymised report; then they go too.
A run record lists the anonymised reports by reference (public) and never counts their messages or files
(sealed rows, core/retention.py).
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.retention import REDACT, Period, Policy, Related

from .choices import Admissibility, Direction, MessageKind, Proceedings, Status

CNIL_BASIS = "CNIL référentiel on whistleblowing schemes (2019, updated 2023), loi 2016-1691 art. 9"

#: The letters to the author that say how the report ended: kept for the reading period (`NOTICE`).
LETTERS = Q(
    direction=Direction.TO_AUTHOR, kind__in=[MessageKind.ADMISSIBILITY, MessageKind.FEEDBACK, MessageKind.CLOSURE]
)

#: What a report's sealed part becomes (the same for the three record types).
CONTENT = (
    Related(
        "whistleblowing.reportcontent",
        "report",
        {
            "author_name": "",
            "author_email": "",
            "author_phone": "",
            "author_relation": "",
            "author_contact": "",
            "facts": REDACT,
            "facts_period": REDACT,
            "persons_concerned": REDACT,
            "admissibility_reasons": REDACT,
            "measures": REDACT,
            "proceedings_note": REDACT,
        },
    ),
    Related("whistleblowing.message", "report", {"body": REDACT}, only=~LETTERS),
    Related("whistleblowing.attachment", "report", {"name": REDACT}, files=("file",), delete=True),
    Related("whistleblowing.reportlink", "report", {"coi_case": None, "aml_alert": None, "breach": None}, delete=True),
)

_CLOSED = Q(status=Status.CLOSED)

POLICIES = (
    # First: a report anonymised by this run starts its reading period now, not at once (and a dry run counts the same).
    Policy(
        code="whistleblowing.notice",
        model="whistleblowing.report",
        label=_("letters to the author of anonymised whistleblowing reports"),
        start=("anonymised_on",),
        start_label=_("the anonymisation"),
        default=Period(days=30),
        basis=CNIL_BASIS
        + ": the author is told in writing why the report was closed; the letters and the follow-up codes stay for "
        "a reading period once the rest is anonymised, then go",
        fields={},
        related=(
            Related("whistleblowing.message", "report", {"body": REDACT}, only=LETTERS),
            Related("whistleblowing.followupaccess", "report", delete=True),
        ),
        only=_CLOSED & Q(anonymised_on__isnull=False),
        marker="letters_erased_on",
    ),
    Policy(
        code="whistleblowing.inadmissible",
        model="whistleblowing.report",
        label=_("whistleblowing reports found inadmissible"),
        start=("closed_on",),
        start_label=_("the closure"),
        default=Period(),
        basis=CNIL_BASIS + ": a report outside the scheme is destroyed or anonymised without delay",
        fields={},
        related=CONTENT,
        only=_CLOSED & Q(admissibility=Admissibility.INADMISSIBLE, proceedings=Proceedings.NONE),
    ),
    Policy(
        code="whistleblowing.verified",
        model="whistleblowing.report",
        label=_("whistleblowing reports verified without proceedings"),
        start=("closed_on",),
        start_label=_("the end of the verification (the closure)"),
        default=Period(months=2),
        basis=CNIL_BASIS + ": without proceedings, within two months after the end of the verification",
        fields={},
        related=CONTENT,
        only=_CLOSED & Q(proceedings=Proceedings.NONE) & ~Q(admissibility=Admissibility.INADMISSIBLE),
    ),
    Policy(
        code="whistleblowing.proceedings_ended",
        model="whistleblowing.report",
        label=_("whistleblowing reports whose proceedings ended"),
        start=("proceedings_ended_on",),
        start_label=_("the end of the proceedings"),
        default=Period(),
        basis=CNIL_BASIS + ": with disciplinary or judicial proceedings, kept until they end",
        fields={},
        related=CONTENT,
        only=_CLOSED & Q(proceedings=Proceedings.ENDED),
    ),
)
