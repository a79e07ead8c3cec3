"""Each person's deadlines in their calendar: a personal iCalendar feed at `/calendrier/<secret>.ics`.

What is in it: one event per open record with a deadline, for the deadline rules that declare
`calendar = True` (gdpr/alerts.py, compliance/alerts.py: rights requests' legal deadline, CNIL reply
dates, the breach's 72-hour notification deadline, conflict-of-interest analyses, action items) and
that the person may see (`Rule.visible_to`: the same as the alert ledger). The window is the rules' own
"open records" (`Rule.records`): every record still open, its deadline past (overdue) or to come; a
closed, answered or notified record leaves the feed at the next refresh. One query per rule, whatever the
number of records (`Rule.describe` reads its rows in one query).

An event says what kind of deadline it is (the rule's label) and the record's reference, nothing else:
no requester, no employee, no free text (an action item, which has no reference, is "n° <id>"). Its link
opens the record in the admin (`VIGIE_SITE_URL` + the admin path), behind the login. A day deadline is an
all-day event; the breach clock is an instant, an event timed in Europe/Paris.

The secret: 32 random bytes in the URL, stored as its SHA-256 digest only (CalendarFeed.token_digest).
The URL is shown once, when made; renewing replaces the digest (the old URL answers 404), revoking deletes
it. An unknown or revoked secret, or a person no longer active staff, gets the same 404. The secret is
never logged: the 404 and 429 answers are marked as logged for Django's request logger (which would
write the path), and nothing here writes the token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from icalendar import Alarm, Calendar, Event, Timezone

from core.oidc import confirmation_expired

from .models import CalendarFeed
from .registry import Item, Rule, get_rules, is_day_field

logger = logging.getLogger(__name__)

#: Requests a feed answers per window before 429 (calendar applications poll every 5 minutes to a day).
THROTTLE_REQUESTS = 60
THROTTLE_WINDOW_SECONDS = 600
#: A secret longer than this is not one of ours (token_urlsafe(32) is 43 characters).
MAX_TOKEN_LENGTH = 100
PARIS = "Europe/Paris"
#: When the alarm rings: the day before a day deadline (at 09:00, the deadline's day starting at 00:00),
#: 6 hours before the breach clock runs out.
DAY_ALARM = dt.timedelta(hours=-15)
INSTANT_ALARM = dt.timedelta(hours=-6)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_renew(user: Any) -> str:
    """Make `user`'s feed secret, or replace it (the old URL answers 404 from now on): the new secret, to
    be shown once. The history row names who did it (the request's user, HistoryRequestMiddleware)."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        feed = CalendarFeed.objects.select_for_update().filter(user=user).first()
        if feed is None:
            CalendarFeed.objects.create(user=user, token_digest=token_digest(token), renewed_at=timezone.now())
        else:
            feed.token_digest = token_digest(token)
            feed.renewed_at = timezone.now()
            feed.save(update_fields=["token_digest", "renewed_at"])
    return token


def feed_revoke(user: Any) -> bool:
    """Delete `user`'s feed secret (its URL answers 404); False when there was none."""
    feed = CalendarFeed.objects.filter(user=user).first()
    if feed is None:
        return False
    feed.delete()
    return True


def feed_path(token: str) -> str:
    from django.urls import reverse

    return reverse("calendar_feed", args=[token])


def feed_url(token: str) -> str:
    return settings.VIGIE_SITE_URL.rstrip("/") + feed_path(token)


def calendar_rules(user: Any) -> list[Rule]:
    """The deadline rules that feed calendars and whose alerts `user` may see."""
    return [rule for rule in get_rules() if getattr(rule, "calendar", False) and rule.visible_to(user)]


def _has_reference(rule: Rule) -> bool:
    """Whether the rule's records have a reference (an action item has none: its label is its free-text
    title)."""
    try:
        rule.model_class()._meta.get_field("reference")
    except FieldDoesNotExist:
        return False
    return True


def _reference(item: Item, *, has_reference: bool) -> str:
    """The record's reference, or its number for a record without one."""
    return item.label if has_reference else _("no. %(id)d") % {"id": item.object_id}


def _event(rule: Rule, item: Item, *, by_day: bool, has_reference: bool, stamp: dt.datetime, host: str) -> Event:
    paris = timezone.get_default_timezone()
    local = timezone.localtime(item.due_at, paris)
    summary = _("%(kind)s — %(reference)s") % {
        "kind": rule.label(),
        "reference": _reference(item, has_reference=has_reference),
    }
    variant = f".{item.variant}" if item.variant else ""
    event = Event()
    event.add("uid", f"{rule.code}.{item.object_id}{variant}.{item.due_at.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}@{host}")
    event.add("dtstamp", stamp)
    event.add("summary", summary)
    if by_day:
        event.add("dtstart", local.date())
        event.add("dtend", local.date() + dt.timedelta(days=1))
        event.add("transp", "TRANSPARENT")
    else:
        event.add("dtstart", local)
    if item.admin_path:
        url = settings.VIGIE_SITE_URL.rstrip("/") + item.admin_path
        event.add("url", url)
        event.add("description", url)  # most applications do not show URL
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", summary)
    alarm.add("trigger", DAY_ALARM if by_day else INSTANT_ALARM)
    event.add_component(alarm)
    return event


def feed_chunks(user: Any, now: dt.datetime) -> Iterator[bytes]:
    """The feed of `user` at `now`, as pieces of iCalendar text (the calendar's head, the time zone,
    one event after another, the end): one query per visible rule."""
    calendar = Calendar()
    calendar.add("prodid", "-//Vigie//Deadlines//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", _("Vigie deadlines"))
    calendar.add("x-wr-timezone", PARIS)
    calendar.add("x-published-ttl", "PT1H")
    head = calendar.to_ical()
    end = b"END:VCALENDAR\r\n"
    assert head.endswith(end)
    yield head[: -len(end)]
    rules = calendar_rules(user)
    by_day = {rule.code: is_day_field(rule.model_class(), rule.due_field) for rule in rules if rule.due_field}
    if not all(by_day.values()):
        yield Timezone.from_tzid(PARIS).to_ical()
    host = urlsplit(settings.VIGIE_SITE_URL).hostname or "vigie"
    stamp = now.astimezone(dt.UTC)
    for rule in rules:
        if rule.due_field is None:  # a deadline worked out in Python: not a calendar rule
            continue
        has_reference = _has_reference(rule)
        for item in rule.describe(rule.records(now)):
            yield _event(
                rule, item, by_day=by_day[rule.code], has_reference=has_reference, stamp=stamp, host=host
            ).to_ical()
    yield end


def _quiet(response: HttpResponse) -> HttpResponse:
    """Headers of every answer of the feed; not logged by Django (the path holds the secret)."""
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    response._has_been_logged = True  # type: ignore[attr-defined]  # django.utils.log.log_response reads it
    return response


def _not_found() -> HttpResponse:
    return _quiet(HttpResponse(b"Not found\n", status=404, content_type="text/plain; charset=utf-8"))


def _throttled(digest: str) -> bool:
    """Whether this feed was asked for more than THROTTLE_REQUESTS times in the current window. The cache
    down: not throttled (a calendar is not worth an error)."""
    key = f"vigie:calendar:{digest[:32]}"
    try:
        cache.add(key, 0, THROTTLE_WINDOW_SECONDS)
        return cache.incr(key) > THROTTLE_REQUESTS
    except Exception:  # noqa: BLE001 - the cache unreachable or the key just expired: serve the feed
        logger.warning("calendar feed: throttle cache unavailable", exc_info=False)
        return False


@never_cache
@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """`/calendrier/<secret>.ics`: the feed of the person the secret belongs to (no login: the secret is
    the credential, and all it gives is this read-only list)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return _not_found()
    digest = token_digest(token)
    # Looked up by its digest: the time the database takes tells nothing about the secret itself.
    feed = CalendarFeed.objects.select_related("user", "user__sign_on_identity").filter(token_digest=digest).first()
    if feed is None or not feed.user.is_active or not feed.user.is_staff:
        return _not_found()
    # A company sign-on user the provider has not confirmed lately (dropped there, perhaps): the same 404.
    if confirmation_expired(feed.user):
        return _not_found()
    if _throttled(digest):
        response = HttpResponse(b"Too many requests\n", status=429, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(THROTTLE_WINDOW_SECONDS)
        return _quiet(response)
    with translation.override(settings.LANGUAGE_CODE):
        body = b"".join(feed_chunks(feed.user, timezone.now()))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="vigie.ics"'
    return _quiet(response)
