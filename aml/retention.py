"""How long the AML/CFT records keep their personal data (core/retention.py; settings.VIGIE_RETENTION).

Code monétaire et financier L.561-12: the documents on the customers and their transactions, and the written
report of an enhanced examination (L.561-10-2), are kept five years after the end of the business
relationship or after the transaction. So:

- a counterparty: five years after the end of its relationship (`relationship_ended_on`; a counterparty whose
  relationship lasts never expires). It loses its name, its reference in the operational systems (a customer
  number the lending system still maps to the person is not anonymous: "ANON-CP-<id>"), its birth date and
  registration number, the screening fingerprint of its name; its blocking keys (derived from the name) become
  meaningless tokens; its screening hits lose the name screened, the list name matched and the review's
  reasons. An anonymised counterparty is no longer active: it is not screened again.
- a vigilance alert: five years after `records_kept_from` (the later of its decision and the end of its
  counterparty's relationship, written by aml/services/alerts.py and moved when the relationship's end is
  recorded later; an undecided alert, or one whose counterparty's relationship lasts, never expires). Its
  texts (the reason it was raised, the reasons for the decision, the enhanced examination's report) are
  redacted and its files (the report's, the report sent to TRACFIN) deleted. What stays is what the
  indicators need: reference, dates, source, status, decision, the TRACFIN reference and date, the amount.

Screening list entries are published data (official asset-freeze registers): no policy. Only the LCB-FT role
views these records, and the retention reports show a policy only to who may view its model
(core/retention.py `as_seen_by`), so a report tells nobody else that AML records exist.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.retention import REDACT, Period, Policy, Related, Token

FIVE_YEARS_BASIS = "CMF L.561-12: five years after the end of the business relationship or the transaction"

POLICIES = (
    Policy(
        code="aml.counterparty",
        model="aml.counterparty",
        label=_("AML/CFT counterparties whose relationship ended"),
        start=("relationship_ended_on",),
        start_label=_("the end of the business relationship"),
        default=Period(years=5),
        basis=FIVE_YEARS_BASIS,
        fields={
            "reference": Token("ANON-CP-"),
            "name": REDACT,
            "name_normalised": "",
            "birth_date": None,
            "registration_number": "",
            "screening_hash": "",
        },
        related=(
            # Derived from the name (no history): tokens that match no name.
            Related("aml.counterpartykey", "counterparty", {"key": Token("~")}),
            Related(
                "aml.hit",
                "counterparty",
                {"counterparty_name": REDACT, "matched_name": REDACT, "review_reason": REDACT},
            ),
        ),
        reference="pk",
    ),
    Policy(
        code="aml.alert",
        model="aml.alert",
        label=_("AML/CFT vigilance alerts"),
        start=("records_kept_from",),
        start_label=_("the decision (or the end of the relationship, when later)"),
        default=Period(years=5),
        basis=FIVE_YEARS_BASIS + "; the enhanced examination's report: L.561-10-2 and L.561-12",
        fields={"reason": REDACT, "decision_reason": REDACT, "enhanced_report": REDACT},
        files=("enhanced_report_file", "tracfin_file"),
    ),
)
