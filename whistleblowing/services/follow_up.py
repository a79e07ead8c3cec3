"""The follow-up credentials of a report: a receipt code and a passphrase, shown once to the author, that open
the follow-up space (/signalement/suivi/) without an account.

* The receipt code is 16 characters of Crockford's base 32 (80 random bits), shown in groups of four
  (``7K3M-Q9TB-...``). It finds the report, so it is stored as its SHA-256 digest (an 80-bit random value
  needs no salt or slow hash: it cannot be guessed, only stolen, and the digest gives nothing away).
* The passphrase is 24 characters of the same alphabet (120 random bits), also grouped, hashed with Django's
  password hasher (`make_password`). Random characters rather than six words: the project ships no vetted
  French word list, a home-made one would be short and full of accents people type differently, and the
  same forgiving input rules then serve both secrets.
* Input is normalised before any comparison: case, spaces and dashes do not matter, and the letters people
  confuse with digits (O, I, L) are read as 0 and 1, as Crockford's alphabet intends.
* ``follow_up_open`` costs the same and answers the same (None) whether the code or the passphrase is wrong:
  it always runs one password check, against a dummy hash when the code is unknown.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from typing import Any

from django.contrib.auth.hashers import check_password, get_hasher, make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import FollowUpAccess, Report

__all__ = [
    "ALPHABET",
    "CODE_LENGTH",
    "PASSPHRASE_LENGTH",
    "code_digest",
    "follow_up_issue",
    "follow_up_open",
    "grouped",
    "issue_credentials",
    "normalise",
]

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O, U
CODE_LENGTH = 16
PASSPHRASE_LENGTH = 24
GROUP = 4
# Longer input is not a credential; cut before hashing so a huge paste costs no more than a wrong guess.
_MAX_INPUT = 200
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = str.maketrans("", "", "-‐‑‒–—_.")
_ATTEMPTS = 5


def normalise(text: str) -> str:
    """What was typed, as stored: no spaces or dashes, upper case, O read as 0, I and L as 1."""
    return "".join(str(text or "")[:_MAX_INPUT].split()).translate(_SEPARATORS).upper().translate(_CONFUSABLE)


def grouped(text: str) -> str:
    """``XXXX-XXXX-XXXX-XXXX``: how a code or passphrase is shown (and may be typed back)."""
    return "-".join(text[i : i + GROUP] for i in range(0, len(text), GROUP))


def code_digest(code: str) -> str:
    return hashlib.sha256(normalise(code).encode("ascii", "replace")).hexdigest()


def _random(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _n in range(length))


@functools.lru_cache(maxsize=4)
def _dummy_hash(algorithm: str) -> str:
    """A hash of nothing anyone knows, made with the current hasher, so an unknown code costs one real check."""
    return make_password(secrets.token_hex(16), hasher=algorithm)


def issue_credentials(report: Report) -> tuple[str, str]:
    """New credentials for `report` (the previous ones stop working): (code, passphrase), grouped, to be shown
    once. Only their digest and hash are stored. The caller holds the report's row lock."""
    for _attempt in range(_ATTEMPTS):
        code = _random(CODE_LENGTH)
        digest = code_digest(code)
        if not FollowUpAccess.objects.filter(code_digest=digest).exists():
            break
    else:  # pragma: no cover - 80 random bits do not collide five times
        raise RuntimeError("no free receipt code after several attempts")
    passphrase = _random(PASSPHRASE_LENGTH)
    FollowUpAccess.objects.filter(report=report).delete()
    FollowUpAccess.objects.create(
        report=report, code_digest=digest, passphrase_hash=make_password(normalise(passphrase))
    )
    return grouped(code), grouped(passphrase)


@transaction.atomic
def follow_up_issue(*, actor: Any, report: Report) -> tuple[str, str]:
    """Give the author of `report` new follow-up credentials (a report received by email or post, or a lost
    passphrase): (code, passphrase), shown once to the referent who passes them on. The follow-up space is a
    means of contact: a report that had none becomes contactable, and its clock starts, counted from the
    receipt (reports.contact_set_locked)."""
    from .reports import contact_set_locked  # reports imports this module

    locked = Report.objects.select_for_update().get(pk=report.pk)
    if locked.anonymised_on is not None:
        raise ValidationError({"report": _("This report was anonymised: it has no follow-up any more.")})
    contact_set_locked(locked, actor=actor, contact_possible=True)
    credentials = issue_credentials(locked)
    # The caller's instance shows the clock that may have started (its cached content is read again).
    report.acknowledgment_due_on, report.feedback_due_on = locked.acknowledgment_due_on, locked.feedback_due_on
    report._state.fields_cache.pop("content", None)
    return credentials


def follow_up_open(code: str, passphrase: str) -> Report | None:
    """The report these credentials open, or None: the same answer, after the same work (one lookup, one
    password check), whether the code is unknown or the passphrase wrong. The caller rate-limits."""
    access = FollowUpAccess.objects.select_related("report").filter(code_digest=code_digest(code)).first()
    stored = access.passphrase_hash if access is not None else _dummy_hash(get_hasher().algorithm)
    matches = check_password(normalise(passphrase), stored)
    if access is None or not matches:
        return None
    # An anonymised report still opens while its codes exist: the reading period of the letters that say how
    # it ended (retention.py, "whistleblowing.notice").
    return access.report
