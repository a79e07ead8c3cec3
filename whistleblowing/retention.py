"""How long a whistleblowing report keeps what identifies its author and what it says (core/retention.py;
settings.VIGIE_RETENTION). CNIL, référentiel relatif aux dispositifs d'alertes professionnelles (2019, updated
2023), as docs/rules.md says it:

- a report found inadmissible (closed as such): anonymised without delay, at the first run after its closure;
- an admissible report (or one closed without a decision) that led to no proceedings: two months after the
  end of the verification, its closure;
- a report that led to disciplinary or judicial proceedings: kept while they are under way (no policy selects
  it), anonymised once they ended, at the end date the referent records.

Anonymising a report keeps its public part for the statistics (reference, dates, category, status,
deadlines, admissibility, the deadline ledger, the links to the records it led to) and removes the rest:
- its content loses the author's identity and means of contact, the facts and when they happened, the persons
  concerned, the reasons, the measures and the proceedings' note;
- every follow-up message loses its body;
- every attachment's file is deleted from the disk (every version's), and its row goes;
- the follow-up credentials (the receipt code's digest, the passphrase's hash) go;
- the history rows of all of these are rewritten the same way (core/retention.py), so no older version keeps
  what the live rows lost; the report gets `anonymised_on` and one history row saying so.
A run record lists the anonymised reports by reference (public) and never counts their messages or files
(sealed rows, core/retention.py).
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.retention import REDACT, Period, Policy, Related

from .choices import Admissibility, Proceedings, Status

CNIL_BASIS = "CNIL référentiel on whistleblowing schemes (2019, updated 2023), loi 2016-1691 art. 9"

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
    Related("whistleblowing.message", "report", {"body": REDACT}),
    Related("whistleblowing.attachment", "report", {"name": REDACT}, files=("file",), delete=True),
    Related("whistleblowing.followupaccess", "report", delete=True),
)

_CLOSED = Q(status=Status.CLOSED)

POLICIES = (
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
