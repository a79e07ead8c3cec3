"""The indicators Vigie reports: the DPEF table (codes of tests/fixtures/reference/dpef-indicators.csv) and the
ESRS G1 disclosures that succeed it under the CSRD.

Each definition has its code, its enjeu (the DPEF's numbered issue), its unit, its label and its method
(docs/rules.md, "Indicator methods"). Labels and methods are written in English and translated: the French
label of a DPEF indicator is the one the company published (tests/reporting/test_catalogue.py compares
them with the reference file), unless the published label does not say what the figure counts: then the
definition keeps it as `published_label` and its own label says what it counts. Indicators Vigie adds
to the DPEF table, beyond the codes of the reference file, are marked `added` (docs/interfaces.md: codes are
added, never renamed or dropped). Whether an indicator is computed is not stated here: it is computed when
a domain app declares its computation (`<app>/indicators.py`, reporting/registry.py), manual otherwise,
and a system check fails when the two disagree with `computed` below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise, StrPromise

DPEF = "dpef"
ESRS = "esrs"

#: The DPEF's enjeux (issues), numbered as in the company's statement.
ENJEUX: dict[int, StrPromise] = {
    1: _("Fight corruption, money laundering and terrorist financing"),
    2: _("Protect personal data"),
    3: _("Fight territorial divides"),
    4: _("Prevent and fight employee insecurity and poor housing"),
    5: _("Make the company aware of the environment and contribute to the ecological transition"),
    6: _("Customer satisfaction: quality of our services, listening to our customers, complaint handling"),
    7: _("Maintain the quality of social dialogue within the company"),
    8: _("Ensure quality of life and working conditions"),
    9: _("Guarantee diversity and equal opportunities with regard to disability"),
    10: _("Ensure equality between women and men"),
}

#: Units, as the export writes them (docs/interfaces.md), and their label in the XLSX.
UNITS: dict[str, StrPromise] = {
    "percent": _("%"),
    "count": _("number"),
    "days": _("days"),
    "hours": _("hours"),
    "tCO2e": _("tCO2e"),
    "points": _("points"),
    "eur": _("euros"),
}


@dataclass(frozen=True)
class Definition:
    code: str
    enjeu: int
    unit: str
    label: StrPromise
    method: StrPromise
    computed: bool
    framework: str = DPEF
    #: Not a code of the reference file: an indicator Vigie adds beside the published ones.
    added: bool = False
    #: The label the company published, when it misdescribes what the figure counts (`label` says it).
    published_label: StrPromise | None = None

    @property
    def enjeu_label(self) -> StrOrPromise:
        return ENJEUX.get(self.enjeu, "")

    @property
    def is_rate(self) -> bool:
        return self.unit == "percent"


def _d(
    code: str,
    enjeu: int,
    unit: str,
    label: StrPromise,
    method: StrPromise,
    *,
    computed: bool = True,
    framework: str = DPEF,
    added: bool = False,
    published_label: StrPromise | None = None,
) -> Definition:
    return Definition(code, enjeu, unit, label, method, computed, framework, added, published_label)


_RATE_METHOD = _(
    "Completion rate of the module at 31/12 of the year, all entities (ALS and subsidiaries); "
    "the numerator and the denominator are exact."
)

DEFINITIONS: tuple[Definition, ...] = (
    # Enjeu 1: ethics, conflicts of interest, corruption, AML/CFT
    _d("E1_AML_ELEARNING_RATE", 1, "percent", _("Employees trained (e-learning) in AML/CFT"), _RATE_METHOD),
    _d(
        "E1_COI_SUSPICIONS",
        1,
        "count",
        _("Suspected conflicts of interest identified"),
        _("Conflict-of-interest cases reported in the year."),
    ),
    _d(
        "E1_COI_CONFIRMED_REFUSAL_OR_SANCTION",
        1,
        "count",
        _("Confirmed cases that led to a dossier refusal or sanctions"),
        _("Cases reported in the year, qualified confirmed, whose measures include a dossier refused or a sanction."),
    ),
    _d(
        "E1_COI_QUALIFIED_WITH_ACTION_PLAN",
        1,
        "count",
        _("Qualified cases (potential or confirmed) that were the subject of an action plan"),
        _("Cases reported in the year, qualified potential or confirmed, whose measures include an action plan."),
    ),
    _d(
        "E1_COI_RISK_MAP_RISKS",
        1,
        "count",
        _("Risks identified in the conflict-of-interest risk map"),
        _("Risks of the latest version of the conflict-of-interest map approved on or before 31/12 of the year."),
    ),
    _d(
        "E1_COI_RISK_MAP_MACRO_PROCESSES",
        1,
        "count",
        _("Macro-processes covered by the conflict-of-interest risk map"),
        _("Distinct macro-processes among the risks of the conflict-of-interest map in force at 31/12 of the year."),
    ),
    _d(
        "E1_CORRUPTION_RISK_MAP_RISKS",
        1,
        "count",
        _("Risks identified in the corruption risk map"),
        _("Risks of the latest version of the corruption map approved on or before 31/12 of the year."),
    ),
    _d(
        "E1_CORRUPTION_RISK_MAP_INTERVIEWS",
        1,
        "count",
        _("Interviews held for the corruption risk map"),
        _("Interviews recorded for the version of the corruption map in force at 31/12 of the year."),
    ),
    _d(
        "E1_ETHICS_WORKSHOP_TRAINED",
        1,
        "count",
        _("Employees trained (in person/interactive) in conflicts of interest and corruption"),
        _(
            "Distinct employees who attended the ethics workshop in the year for more than its minimum duration "
            "(more than 45 minutes: exactly 45 minutes does not count): participants, organisers and "
            "facilitator."
        ),
    ),
    _d(
        "E1_FRAUD_WORKSHOP_TRAINED",
        1,
        "count",
        _("Employees trained in fighting document fraud and scam attempts"),
        _(
            "Distinct employees who attended the fraud workshop in the year for more than its minimum duration "
            "(any attendance when it has none)."
        ),
    ),
    _d(
        "E1_ETHICS_ELEARNING_RATE",
        1,
        "percent",
        _("Completion rate of the ethics and conflict-of-interest prevention e-learning module"),
        _RATE_METHOD,
    ),
    # AML/CFT (aml/indicators.py): aggregates only, for the whole company (no tipping off).
    _d(
        "E1_AML_ALERTS",
        1,
        "count",
        _("AML/CFT vigilance alerts"),
        _("Vigilance alerts raised in the year (Paris time), whatever their source and outcome."),
        added=True,
    ),
    _d(
        "E1_AML_ALERTS_DECIDED_ON_TIME",
        1,
        "percent",
        _("AML/CFT vigilance alerts decided within the analysis target"),
        _(
            "Alerts raised in the year decided (closed, enhanced examination or report to TRACFIN) on or before "
            "their analysis due date (the raised day plus the analysis target), divided by the alerts raised in "
            "the year that are decided or past that date."
        ),
        added=True,
    ),
    _d(
        "E1_AML_TRACFIN_REPORTS",
        1,
        "count",
        _("Suspicious transaction reports to TRACFIN"),
        _("Reports to TRACFIN sent in the year (the date of sending recorded on the alert)."),
        added=True,
    ),
    _d(
        "E1_AML_SCREENING_COVERAGE",
        1,
        "percent",
        _("Counterparties screened against the current asset-freeze lists"),
        _(
            "Active counterparties screened, since their last change, against the current version of every "
            "active screening list, divided by the active counterparties: now for the current year; for a past "
            "year, as the last screening run finished in that year stored it."
        ),
        added=True,
    ),
    _d(
        "E1_AML_HITS_REVIEWED_ON_TIME",
        1,
        "percent",
        _("Asset-freeze screening hits reviewed within the target"),
        _(
            "Screening hits raised in the year reviewed (confirmed or false positive) on or before their review "
            "due date, divided by the hits raised in the year that are reviewed or past that date."
        ),
        added=True,
    ),
    # Enjeu 2: personal data
    _d("E2_GDPR_ELEARNING_RATE", 2, "percent", _("Employees who took the GDPR e-learning module"), _RATE_METHOD),
    _d(
        "E2_CYBER_ELEARNING_RATE",
        2,
        "percent",
        _("Employees who took the Cybersecurity e-learning module"),
        _RATE_METHOD,
    ),
    _d(
        "E2_BREACH_NOTIFICATIONS",
        2,
        "count",
        _("Security breach notifications to the CNIL"),
        _("Breaches whose initial notification to the CNIL is dated in the year."),
    ),
    # Published as "reçues et traitées", the figure counted every request received in the year, the ones
    # still open at 31/12 included: its label says "received" (its method is the contract), and the
    # requests answered are counted beside it (issue 14).
    _d(
        "E2_RIGHTS_REQUESTS",
        2,
        "count",
        _("Data-subject rights requests received"),
        _(
            "Rights requests received in the year, answered or not (those still open at 31/12 included). "
            "Published in the 2023 DPEF as received and processed: the requests answered are "
            "E2_RIGHTS_REQUESTS_ANSWERED."
        ),
        published_label=_("Data-subject rights requests received and processed"),
    ),
    _d(
        "E2_RIGHTS_REQUESTS_ANSWERED",
        2,
        "count",
        _("Data-subject rights requests received and processed"),
        _(
            "Rights requests received in the year and answered (an answer or a refusal; a withdrawn request is "
            "not answered) by the time the year's figures are computed: a frozen year keeps the figure of its "
            "computation."
        ),
        added=True,
    ),
    _d(
        "E2_RIGHTS_REQUEST_MEAN_DAYS",
        2,
        "days",
        _("Average processing time of a data-subject rights request"),
        _(
            "Mean of (answer date − receipt date) in calendar days, Paris dates, over the requests received in "
            "the year and answered (withdrawals excluded), to one decimal."
        ),
    ),
    _d(
        "E2_RIGHTS_REQUESTS_ON_TIME_RATE",
        2,
        "percent",
        _("Data-subject rights requests processed within the legal deadline"),
        _(
            "Requests received in the year answered on or before their applicable deadline (the extended one "
            "when validly extended, pauses included; for a refusal, the one-month deadline), divided by the "
            "requests received in the year that are answered or whose applicable deadline has passed "
            "(withdrawals excluded)."
        ),
    ),
    _d("E2_CNIL_REFERRALS", 2, "count", _("Referrals from the CNIL"), _("CNIL referrals received in the year.")),
    _d(
        "E2_CNIL_REFERRALS_ON_TIME_RATE",
        2,
        "percent",
        _("CNIL referrals answered within the prescribed time"),
        _(
            "Referrals received in the year answered on or before their due date, divided by the referrals "
            "received in the year that are answered or past due."
        ),
    ),
    _d(
        "E2_CNIL_COMPLAINTS_WITHOUT_REFERRAL",
        2,
        "count",
        _("Complaints by requesters to the CNIL without a referral by the CNIL to the company"),
        _("Complaints without referral received in the year."),
    ),
    _d(
        "E2_CNIL_COMPLAINTS_ON_TIME_RATE",
        2,
        "percent",
        _("Complaints to the CNIL without referral answered within the time the CNIL set"),
        _(
            "Complaints without referral received in the year on which a CNIL letter set a reply date, answered "
            "on or before that date, divided by those answered or past that date (a complaint without a reply "
            "date is not counted: it cannot be late)."
        ),
        added=True,
    ),
    _d(
        "E2_PROCESSING_ACTIVITIES",
        2,
        "count",
        _("Processing activities in the register (GDPR Art. 30)"),
        _("Processing activities in the register on 31/12 of the year."),
    ),
    _d(
        "E2_PROCESSING_AS_CONTROLLER",
        2,
        "count",
        _("Processing activities as controller"),
        _("Processing activities in the register on 31/12 of the year, as controller."),
    ),
    _d(
        "E2_PROCESSING_AS_PROCESSOR",
        2,
        "count",
        _("Processing activities as processor"),
        _("Processing activities in the register on 31/12 of the year, as processor."),
    ),
    _d(
        "E2_PHISHING_TESTS",
        2,
        "count",
        _("Simulated phishing campaigns run"),
        _("Phishing campaigns sent in the year."),
    ),
    _d(
        "E2_BREACH_NOTIFIED_WITHIN_72H_RATE",
        2,
        "percent",
        _("Breaches notified to the CNIL within 72 hours"),
        _(
            "Of the breaches whose initial notification is dated in the year, those notified within 72 hours "
            "of awareness."
        ),
    ),
    # Enjeu 5: environment
    _d("E5_CSR_ELEARNING_RATE", 5, "percent", _("Staff who completed the CSR e-learning"), _RATE_METHOD),
    _d(
        "E5_GHG_SCOPE_1_2",
        5,
        "tCO2e",
        _("Direct and indirect energy-related emissions"),
        _("Entered by its owner from the greenhouse gas assessment (BEGES, ADEME categories 1 and 2)."),
        computed=False,
    ),
    # Enjeu 6: customers
    _d(
        "E6_COMPLAINTS_RECEIVED",
        6,
        "count",
        _("Customer complaints received"),
        _("Entered by its owner from the complaint-handling system."),
        computed=False,
    ),
    _d(
        "E6_COMPLAINTS_PROCESSED_RATE",
        6,
        "percent",
        _("Share of admissible complaints processed within the year"),
        _("Entered by its owner from the complaint-handling system."),
        computed=False,
    ),
    # Enjeu 7: social dialogue
    _d(
        "E7_AGREEMENT_ACCEPTANCE_RATE",
        7,
        "percent",
        _("Agreement acceptance rate"),
        _("Entered by its owner: agreements signed out of agreements negotiated in the year."),
        computed=False,
    ),
    # Enjeu 8: quality of life at work
    _d(
        "E8_TRAINED_AT_LEAST_ONCE_RATE",
        8,
        "percent",
        _("Employees who received at least one training"),
        _(
            "Employees present at 31/12 of the year with a counted completion or a qualifying attendance in "
            "the year, divided by the employees present at 31/12 (ALS and subsidiaries)."
        ),
    ),
    _d(
        "E8_TRAINING_HOURS",
        8,
        "hours",
        _("Training hours"),
        _(
            "Sum of the durations of the completions counted in the year and of the minutes attended at "
            "sessions held in the year, in hours (rounded to the unit)."
        ),
    ),
    _d(
        "E8_TRAINING_HOURS_ELEARNING",
        8,
        "hours",
        _("E-learning training hours"),
        _("Training hours of e-learning modules (method of E8_TRAINING_HOURS)."),
    ),
    _d(
        "E8_TRAINING_HOURS_VIRTUAL",
        8,
        "hours",
        _("Virtual classroom training hours"),
        _("Training hours of virtual classroom modules (method of E8_TRAINING_HOURS)."),
    ),
    _d(
        "E8_TRAINING_HOURS_IN_PERSON",
        8,
        "hours",
        _("In-person training hours"),
        _("Training hours of in-person modules (method of E8_TRAINING_HOURS)."),
    ),
    # Enjeu 9: disability
    _d(
        "E9_DISABILITY_ELEARNING_TRAINED",
        9,
        "count",
        _("Employees trained in the module « Promoting the inclusion of people with disabilities »"),
        _(
            "Numerator of E9_DISABILITY_ELEARNING_RATE: employees present at 31/12 of the year, in the "
            "module's audience, who completed it."
        ),
    ),
    _d("E9_DISABILITY_ELEARNING_RATE", 9, "percent", _("Completion rate of the disability module"), _RATE_METHOD),
    _d(
        "E9_MANAGERS_TRAINED_DISABILITY",
        9,
        "count",
        _("Managers trained (in person) in disability inclusion"),
        _(
            "Distinct employees who attended the disability workshop for managers in the year for more than its "
            "minimum duration (any attendance when it has none)."
        ),
    ),
    _d(
        "E9_DISABILITY_EMPLOYMENT_RATE",
        9,
        "percent",
        _("Direct employment rate of disabled workers"),
        _("Entered by its owner from the annual employment declaration of disabled workers (DOETH)."),
        computed=False,
    ),
    # Enjeu 10: gender equality
    _d(
        "E10_WOMEN_SHARE_OF_TRAINEES",
        10,
        "percent",
        _("Share of women among training beneficiaries"),
        _(
            "Share of women among the distinct employees trained in the year (a counted completion or a "
            "qualifying attendance)."
        ),
    ),
    _d(
        "E10_GENDER_EQUALITY_INDEX",
        10,
        "points",
        _("Women-Men equality index (UES)"),
        _("Entered by its owner from the gender equality index declared for the year."),
        computed=False,
    ),
    # ESRS G1 (business conduct), the DPEF's successor under the CSRD
    _d(
        "G1_3_AT_RISK_TRAINED_RATE",
        1,
        "percent",
        _("Functions at risk covered by anti-corruption training (ESRS G1-3 §21 b)"),
        _(
            "Employees present at 31/12 of the year in a function at risk (their department's flag, or their "
            "own), trained at that date in at least one anti-corruption module, divided by the employees "
            "present at 31/12 in a function at risk; counted by headcount."
        ),
        framework=ESRS,
    ),
    # ESRS G1-4 counts incidents of corruption or bribery, not conflicts of interest: a confirmed
    # conflict-of-interest case counts only once qualified as corruption (issue 14).
    _d(
        "G1_4_CONFIRMED_INCIDENTS",
        1,
        "count",
        _("Confirmed incidents of corruption or bribery (ESRS G1-4)"),
        _(
            "Incidents of corruption or bribery (active or passive corruption, influence peddling) confirmed in the "
            "year: the conflict-of-interest cases qualified as corruption and the incidents found otherwise (an "
            "audit, a report, a prosecution). A conflict of interest alone is not counted."
        ),
        framework=ESRS,
    ),
    _d(
        "G1_4_DISCIPLINARY_ACTIONS",
        1,
        "count",
        _("Confirmed incidents in which own workers were dismissed or disciplined (ESRS G1-4)"),
        _(
            "Of the incidents of corruption confirmed in the year, those in which own workers were dismissed or "
            "disciplined (a disciplinary sanction on the linked case, or recorded on the incident)."
        ),
        framework=ESRS,
    ),
    _d(
        "G1_4_PARTNER_CONTRACTS_TERMINATED",
        1,
        "count",
        _("Confirmed incidents in which contracts with business partners were terminated or not renewed (ESRS G1-4)"),
        _(
            "Of the incidents of corruption confirmed in the year, those in which a contract with a business partner "
            "was terminated or not renewed because of the violation."
        ),
        framework=ESRS,
    ),
    _d(
        "G1_4_CONVICTIONS",
        1,
        "count",
        _("Convictions for violation of anti-corruption and anti-bribery laws (ESRS G1-4)"),
        _(
            "Convictions of the company or of an entity of the group for corruption or influence peddling decided in "
            "the year. A judicial public-interest agreement (CJIP) is not a conviction; the cases against own "
            "workers are recorded (details of public legal cases) and not counted here."
        ),
        framework=ESRS,
    ),
    _d(
        "G1_4_FINES_EUR",
        1,
        "eur",
        _("Amount of fines for violation of anti-corruption and anti-bribery laws (ESRS G1-4)"),
        _(
            "Sum, in euros, of the fines of those convictions and of the public-interest fines of the CJIPs decided "
            "in the year against the company or an entity of the group; 0 when there is none."
        ),
        framework=ESRS,
    ),
)

#: The categories of a whistleblowing report (whistleblowing.choices.Category; reporting/ imports no domain
#: app, tests/whistleblowing/test_indicators.py checks the two lists agree): code suffix → label.
WHISTLEBLOWING_CATEGORIES: tuple[tuple[str, StrPromise], ...] = (
    ("CORRUPTION", _("corruption or influence peddling")),
    ("CONFLICT_OF_INTEREST", _("conflict of interest")),
    ("FRAUD", _("fraud")),
    ("HARASSMENT", _("harassment")),
    ("DISCRIMINATION", _("discrimination")),
    ("AML_CFT", _("money laundering or terrorist financing")),
    ("PERSONAL_DATA", _("personal data")),
    ("OTHER", _("other breach of the law or of the code of conduct")),
)

# The internal whistleblowing channel (loi Sapin II art. 8, décret 2022-1284; whistleblowing/indicators.py):
# not in the DPEF 2023, expected by the AFA and by ESRS G1-1 (the mechanisms to report concerns). Whole company
# only: per legal entity, a small number of reports could point at their author.
DEFINITIONS += (
    _d(
        "G1_WB_RECEIVED",
        1,
        "count",
        _("Whistleblowing reports received"),
        _("Reports received in the year (the Paris day of receipt), whatever their channel, category and outcome."),
        framework=ESRS,
        added=True,
    ),
    *(
        _d(
            f"G1_WB_RECEIVED_{suffix}",
            1,
            "count",
            format_lazy(_("Whistleblowing reports received: {category}"), category=category),
            format_lazy(
                _("Reports received in the year (the Paris day of receipt) whose category is {category}."),
                category=category,
            ),
            framework=ESRS,
            added=True,
        )
        for suffix, category in WHISTLEBLOWING_CATEGORIES
    ),
    _d(
        "G1_WB_ADMISSIBLE",
        1,
        "count",
        _("Whistleblowing reports found admissible"),
        _("Reports whose admissibility was decided in the year (the decision's date) and found admissible."),
        framework=ESRS,
        added=True,
    ),
    _d(
        "G1_WB_ACK_RATE",
        1,
        "percent",
        _("Whistleblowing reports acknowledged within 7 working days"),
        _(
            "Reports whose acknowledgment was due in the year (the 7th working day after the receipt; none is due "
            "for an anonymous author who left no means of contact), acknowledged on or before that day, divided "
            "by those acknowledged or past that day on the day of the computation. A letter of inadmissibility, "
            "feedback or closure sent first is the acknowledgment. Each report counts in one year only, that of "
            "its due date."
        ),
        framework=ESRS,
        added=True,
    ),
    _d(
        "G1_WB_FEEDBACK_RATE",
        1,
        "percent",
        _("Whistleblowing reports given feedback within 3 months"),
        _(
            "Reports not found inadmissible whose feedback was due in the year (3 months after the acknowledgment "
            "or the end of its 7 working days, the earlier), given feedback on or before that day, divided by "
            "those given feedback or past that day on the day of the computation. A closure letter sent first is "
            "the feedback. Each report counts in one year only, that of its due date."
        ),
        framework=ESRS,
        added=True,
    ),
)

BY_CODE: dict[str, Definition] = {d.code: d for d in DEFINITIONS}


def definitions(framework: str | None = None) -> list[Definition]:
    return [d for d in DEFINITIONS if framework is None or d.framework == framework]


def get(code: str) -> Definition:
    return BY_CODE[code]
