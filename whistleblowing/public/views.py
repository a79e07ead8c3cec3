"""The public channel: the information page, the report form, and the author's follow-up space. No login,
no JavaScript, no third-party asset; nothing about the visitor (address, browser) is kept: the rate limits
count HMACs that expire with their hour (ratelimit.py), and the logs of these paths carry no client address
(core/logs.py `ForgetVisitors`).

The follow-up space is opened with the receipt code and the passphrase (POST). The requests that follow carry
a random token in a cookie of their own (`FOLLOW_UP_COOKIE`: path /signalement/, HttpOnly, SameSite=Strict,
Secure like the session cookie, no expiry date so the browser forgets it when it closes). Django's cache maps
a digest of the token to the report's pk for 30 minutes from the sign-in, then forgets it by itself; "leave"
forgets it at once. Nothing of the report goes into Django's session (a row that outlives the visit and sits
next to a Vigie login of the same browser), a URL or the browser's history. CSRF protection stays on.

Whoever is logged in to Vigie in the same browser is not known to these pages (`public_page`): no history row
written from them can name an account.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import check_for_language, gettext as _
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from simple_history.models import HistoricalRecords

from core.dates import format_date, format_datetime, paris_date
from core.retention import periods

from ..choices import Direction, MessageKind, Status
from ..models import Attachment, Report
from ..retention import LETTERS
from ..services import reports as report_services
from ..services.attachments import attachment_response
from . import ratelimit
from .forms import AuthorMessageForm, FollowUpSignInForm, ReportForm
from .ratelimit import CACHE_ERRORS

#: The pages' stylesheet, inlined in base.html (`{% include %}`): a public page makes the browser fetch
#: nothing else (no stylesheet, no /favicon.ico: the icon is `data:,`), so no request outside /signalement/
#: (whose log lines are anonymous) ever tells that a visitor opened the channel.
STYLE_TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "whistleblowing" / "public" / "style.css"
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE_TEMPLATE.read_bytes()).digest()).decode("ascii")

#: What every public page allows: its own inline stylesheet (by its hash), forms posting to this site; no
#: script, no frame, no request for anything else.
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; img-src data:; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
#: The follow-up cookie: a random token, mapped in the cache to the report's pk for SESSION_MAX_AGE seconds.
FOLLOW_UP_COOKIE = "vigie_wb_follow_up"
FOLLOW_UP_COOKIE_PATH = "/signalement/"
SESSION_MAX_AGE = 30 * 60

View = Callable[..., HttpResponseBase]


#: No page address sent to another site. Not "no-referrer": with it, browsers send `Origin: null` on a form's
#: POST, which Django's CSRF check refuses (tests/browser/test_whistleblowing_public.py shows it); the
#: referrer is only ever sent to this site, which already knows where the visitor is.
REFERRER_POLICY = "same-origin"


def body_limit() -> int:
    """The largest request body a public form may send: every file it may carry at the largest size, and 1 MB
    for the text fields and the multipart framing."""
    return (settings.VIGIE_WHISTLEBLOWING_MAX_FILES * settings.VIGIE_WHISTLEBLOWING_MAX_FILE_MB + 1) * 1024 * 1024


def _body_too_large(request: HttpRequest) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:  # Django refuses a malformed length itself
        return False
    return length > body_limit()


def public_page(view: View) -> View:
    """No cache anywhere (the pages may show a report's messages or its secrets), no referrer sent to another
    site, a strict CSP; the posted fields never appear in an error report.

    A body larger than `body_limit()` is refused (413) before it is read: Django would otherwise spool every
    file to disk, whatever its size, before any check. CSRF's middleware reads the body too, so the CSRF check
    runs here, after the size check (`csrf_protect`), instead of in the middleware (`csrf_exempt`)."""
    protected = csrf_protect(view)

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # A Vigie account logged in in the same browser is not the author: nothing written from here (history
        # rows, simple-history's middleware reads the request's user) may name it.
        request.user = AnonymousUser()
        HistoricalRecords.context.request = None
        if _body_too_large(request):
            response: HttpResponseBase = too_large(request)
        else:
            response = protected(request, *args, **kwargs)
        add_never_cache_headers(response)
        response["Referrer-Policy"] = REFERRER_POLICY
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response

    wrapped.csrf_exempt = True  # type: ignore[attr-defined]  # checked by `protected`, once the size is known
    return sensitive_post_parameters()(wrapped)


def too_large(request: HttpRequest) -> HttpResponse:
    """What was sent is larger than any form of the channel accepts; it was not read, nothing was kept."""
    return render(
        request,
        "whistleblowing/public/too_large.html",
        {
            "max_files": settings.VIGIE_WHISTLEBLOWING_MAX_FILES,
            "max_file_mb": settings.VIGIE_WHISTLEBLOWING_MAX_FILE_MB,
        },
        status=413,
    )


def unavailable(request: HttpRequest) -> HttpResponse:
    """The follow-up space cannot open now (the cache that holds its sign-in does not answer): said plainly,
    with the way to report meanwhile, rather than an error page. Submitting a report still works."""
    return render(request, "whistleblowing/public/unavailable.html", status=503)


def too_many(request: HttpRequest) -> HttpResponse:
    """The same page whatever was over the limit (the address, the code): nothing to learn from it."""
    return render(request, "whistleblowing/public/too_many.html", status=429)


def _channel_path(value: str) -> str:
    """`value` when it is a page of the channel (a path, no scheme nor host, that resolves to one of its
    views), else the channel's home: the language switch never leads out of /signalement/."""
    home = reverse("whistleblowing_public:home")
    parts = urlsplit(value or "")
    if parts.scheme or parts.netloc or "\\" in value or not parts.path.startswith(home):
        return home
    try:
        match = resolve(parts.path)
    except Resolver404:
        return home
    return parts.path if match.namespace == "whistleblowing_public" else home


@public_page
@require_POST
def language(request: HttpRequest) -> HttpResponse:
    """The language switch of the public pages, under /signalement/ (Django's /i18n/setlang/ would put a
    request outside the channel, with the page's Referer, in the access log): sets the language cookie as
    Django's view does, back to the page it was used on."""
    response = HttpResponseRedirect(_channel_path(request.POST.get("next", "")), status=303)
    code = request.POST.get("language", "")
    if code and check_for_language(code):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response


@public_page
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "whistleblowing/public/home.html")


#: The services' names of the fields the forms call otherwise.
SERVICE_FIELDS = {"files": "documents"}


def _apply_service_errors(form: Any, error: ValidationError) -> None:
    """A service's refusal on the field it names (on the form as a whole when the form has no such field)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            field = SERVICE_FIELDS.get(field, field)
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@public_page
@require_http_methods(["GET", "POST"])
@sensitive_variables()
def submit(request: HttpRequest) -> HttpResponse:
    form = ReportForm()
    if request.method == "POST":
        reservation = ratelimit.submission_attempt(request)
        if reservation is None:
            return too_many(request)
        form = ReportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                report, code, passphrase = report_services.report_submit_public(
                    category=data["category"],
                    facts=data["facts"],
                    anonymous=data["anonymous"],
                    facts_period=data["facts_period"],
                    persons_concerned=data["persons_concerned"],
                    author_name=data["author_name"],
                    author_email=data["author_email"],
                    author_phone=data["author_phone"],
                    author_relation=data["author_relation"],
                    author_contact=data["author_contact"],
                    files=data["documents"],
                )
            except ValidationError as error:
                _apply_service_errors(form, error)
            else:
                # The secrets are shown in this response only: no redirect, nothing in a URL, no cache.
                return render(
                    request,
                    "whistleblowing/public/receipt.html",
                    {"reference": report.reference, "code": code, "passphrase": passphrase},
                )
        reservation.release()  # only the submissions that go through count
    return render(
        request,
        "whistleblowing/public/submit.html",
        {"form": form, "files_to_choose_again": request.method == "POST" and bool(request.FILES)},
    )


def _cache_key(token: str) -> str:
    """The cache keeps a digest of the token, not the token: a look at the cache opens no follow-up space."""
    return "vigie:wb:follow_up:" + hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _signed_in_report(request: HttpRequest) -> Report | None:
    token = request.COOKIES.get(FOLLOW_UP_COOKIE)
    if not token:
        return None
    try:
        pk = cache.get(_cache_key(token))
    except CACHE_ERRORS:  # the sign-in page then says the space is unavailable for now
        return None
    if pk is None:  # expired, left, or never issued
        return None
    return Report.objects.filter(pk=pk).first()


def _forget(request: HttpRequest) -> None:
    token = request.COOKIES.get(FOLLOW_UP_COOKIE)
    if token:
        try:
            cache.delete(_cache_key(token))
        except CACHE_ERRORS:  # the token dies with the cache entry's TTL
            pass


def _sign_in(request: HttpRequest, response: HttpResponseBase, report: Report) -> None:
    _forget(request)  # a new token at each sign-in
    token = secrets.token_urlsafe(32)
    cache.set(_cache_key(token), report.pk, timeout=SESSION_MAX_AGE)  # CACHE_ERRORS: the caller's to answer
    response.set_cookie(
        FOLLOW_UP_COOKIE,
        token,
        path=FOLLOW_UP_COOKIE_PATH,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )


def _sign_out(request: HttpRequest, response: HttpResponseBase) -> None:
    _forget(request)
    response.delete_cookie(FOLLOW_UP_COOKIE, path=FOLLOW_UP_COOKIE_PATH, samesite="Strict")


def _letters_until(report: Report) -> dt.date | None:
    """The last day the letters of an anonymised report stay readable (None: no end is set)."""
    period = periods().get("whistleblowing.notice")
    if report.anonymised_on is None or period is None:
        return None
    # The night run of the day the period ends erases them (core/retention.py): the day before is the last.
    return max(period.ends_on(report.anonymised_on) - dt.timedelta(days=1), report.anonymised_on)


def _follow_up_url() -> str:
    return reverse("whistleblowing_public:follow_up")


def _space(
    request: HttpRequest, report: Report, message_form: AuthorMessageForm | None = None, status: int = 200
) -> HttpResponse:
    """The follow-up space: the public dates and status, the messages both ways, the author's files. Once the
    report is anonymised, only the letters that say how it ended, until the end of their reading period."""
    shown = report.messages.all()
    if report.anonymised_on is not None:
        shown = shown.filter(LETTERS)
    thread = list(
        shown.order_by("sent_at", "pk").prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.order_by("uploaded_at", "pk"))
        )
    )
    entries = [
        {
            "from_author": message.direction == Direction.FROM_AUTHOR,
            "kind": message.get_kind_display() if message.kind != MessageKind.MESSAGE else "",
            "sent_at": format_datetime(message.sent_at),
            "body": message.body,
            "files": [
                {"name": file.name, "pk": file.pk, "downloadable": not file.from_author}
                for file in message.attachments.all()
            ],
        }
        for message in thread
    ]
    open_report = report.status != Status.CLOSED
    context = {
        "report": report,
        "status": report.get_status_display(),
        "received_at": format_datetime(report.received_at),
        "acknowledged_on": format_date(report.acknowledged_on, missing=""),
        "acknowledgment_due_on": format_date(report.acknowledgment_due_on, missing=""),
        "feedback_on": format_date(report.feedback_on, missing=""),
        "feedback_due_on": format_date(report.feedback_due_on, missing=""),
        "meeting_requested_on": format_date(report.meeting_requested_on, missing=""),
        "meeting_due_on": format_date(report.meeting_due_on, missing=""),
        "meeting_held_on": format_date(report.meeting_held_on, missing=""),
        "closed_on": format_date(report.closed_on, missing=""),
        "anonymised_on": format_date(report.anonymised_on, missing=""),
        "letters_until": format_date(_letters_until(report), missing=""),
        "thread": entries,
        "own_files": list(
            report.attachments.filter(from_author=True, message__isnull=True).order_by("uploaded_at", "pk")
        ),
        "referent_files": list(
            report.attachments.filter(from_author=False, message__isnull=True).order_by("uploaded_at", "pk")
        ),
        "can_write": open_report,
        "can_ask_meeting": open_report and (report.meeting_requested_on is None or report.meeting_held_on is not None),
        "message_form": message_form or AuthorMessageForm(),
        "session_minutes": SESSION_MAX_AGE // 60,
        "files_to_choose_again": message_form is not None and bool(request.FILES),
    }
    return render(request, "whistleblowing/public/follow_up.html", context, status=status)


@public_page
@require_http_methods(["GET", "POST"])
@sensitive_variables()
def follow_up(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        report = _signed_in_report(request)
        if report is not None:
            return _space(request, report)
        return render(request, "whistleblowing/public/sign_in.html", {"form": FollowUpSignInForm()})
    form = FollowUpSignInForm(request.POST)
    reservation = ratelimit.follow_up_attempt(request, request.POST.get("code", ""))
    if reservation is None:
        return too_many(request)
    if form.is_valid():
        report = report_services.follow_up_open(form.cleaned_data["code"], form.cleaned_data["passphrase"])
        if report is not None:
            reservation.release()  # only the failed attempts count
            response = HttpResponseRedirect(_follow_up_url(), status=303)
            try:
                _sign_in(request, response, report)
            except CACHE_ERRORS:
                return unavailable(request)
            return response
        # One message whether the code is unknown or the passphrase wrong: nothing to tell them apart.
        form.add_error(None, _("This receipt code and passphrase do not open a report. Check both and try again."))
    return render(request, "whistleblowing/public/sign_in.html", {"form": form})


def _expired(request: HttpRequest) -> HttpResponse:
    messages.warning(request, _("Your follow-up session has ended: enter your receipt code and passphrase again."))
    response = HttpResponseRedirect(_follow_up_url(), status=303)
    _sign_out(request, response)
    return response


@public_page
@require_POST
@sensitive_variables()
def follow_up_message(request: HttpRequest) -> HttpResponse:
    report = _signed_in_report(request)
    if report is None:
        return _expired(request)
    reservation = ratelimit.message_attempt(report.pk)
    if reservation is None:
        return too_many(request)
    form = AuthorMessageForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            report_services.message_from_author(
                report=report, body=form.cleaned_data["body"], files=form.cleaned_data["documents"]
            )
        except ValidationError as error:
            _apply_service_errors(form, error)
        else:
            messages.success(request, _("Your message was sent to the referent."))
            return HttpResponseRedirect(_follow_up_url(), status=303)
    reservation.release()  # only the messages sent count
    return _space(request, report, message_form=form)


@public_page
@require_POST
def follow_up_meeting(request: HttpRequest) -> HttpResponse:
    report = _signed_in_report(request)
    if report is None:
        return _expired(request)
    try:
        report_services.report_request_meeting(report=report, requested_on=paris_date(timezone.now()))
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(
            request,
            _("Your request for a meeting was recorded: the referent will propose one, by video or in person."),
        )
    return HttpResponseRedirect(_follow_up_url(), status=303)


@public_page
@require_POST
def follow_up_leave(request: HttpRequest) -> HttpResponse:
    messages.info(request, _("You left the follow-up space."))
    response = HttpResponseRedirect(_follow_up_url(), status=303)
    _sign_out(request, response)
    return response


@public_page
@require_GET
def follow_up_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A file the referent sent to the author, as a download (the author's own files are listed by name)."""
    report = _signed_in_report(request)
    if report is None:
        raise Http404
    attachment = Attachment.objects.filter(pk=pk, report=report, from_author=False).first()
    if attachment is None:
        raise Http404
    return attachment_response(attachment)
