"""The "acknowledge" link of the alert emails: GET shows the alert and a button, POST marks it read.

No login: the signed, expiring token (notifications.sending.ack_token) is the credential, and all it
allows is acknowledging that one alert in the name of the recipient it was sent to. No CSRF token
either (there is no session to ride on; the token in the URL already is the secret). A tampered or
expired link gets a clear 400 page, never a 500.
"""

from __future__ import annotations

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .models import Alert
from .sending import format_due, read_ack_token
from .services import alert_acknowledge

TEMPLATE = "notifications/ack.html"


def _page(request: HttpRequest, status: int = 200, **context) -> HttpResponse:
    response = render(request, TEMPLATE, context, status=status)
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"  # the token must not leak to other sites
    return response


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def ack(request: HttpRequest, token: str) -> HttpResponse:
    try:
        alert_id, recipient = read_ack_token(token)
    except signing.SignatureExpired:
        return _page(
            request,
            400,
            heading=_("This link has expired"),
            message=_(
                "Acknowledge links are valid for a limited time. Open the alert from the administration instead."
            ),
        )
    except signing.BadSignature:
        return _page(
            request,
            400,
            heading=_("This link is not valid"),
            message=_("The link is incomplete or was altered. Copy the whole link from the email."),
        )
    alert = Alert.objects.filter(pk=alert_id).first()
    if alert is None:
        return _page(request, 404, heading=_("This alert no longer exists"))
    if request.method == "POST":
        # No user: the link's token is the credential; the history names the address it was sent to.
        done = alert_acknowledge(alert=alert, actor=None, by=recipient, reason=f"acknowledged by {recipient}")
        alert.refresh_from_db()
        heading = _("Alert acknowledged") if done else _("This alert was already acknowledged")
    else:
        heading = (
            _("Acknowledge this alert?") if alert.status != "acknowledged" else _("This alert was already acknowledged")
        )
    acknowledged_at = (
        date_format(timezone.localtime(alert.acknowledged_at), "SHORT_DATETIME_FORMAT") if alert.acknowledged_at else ""
    )
    return _page(
        request, heading=heading, alert=alert, due=format_due(alert.due_at), form=True, acknowledged_at=acknowledged_at
    )
