"""The alert ledger keeps no personal data past its record's retention (core/retention.py).

An alert copies words of its record when it is created: the label and the title name an employee for
a training renewal, an action's title and owner for an action item. When a record is anonymised, the
alerts about it (and about its related rows) lose those texts, in the ledger and in its history; the
rule, threshold, dates, status and link to the record stay. Recipients and the person who
acknowledged an alert are staff addresses, kept.
"""

from __future__ import annotations

from core.retention import REDACT, Follower

FOLLOWERS = (
    Follower(
        "notifications.alert",
        content_type_field="content_type",
        object_id_field="object_id",
        fields={"object_label": REDACT, "title": REDACT, "explanation": REDACT},
    ),
)
