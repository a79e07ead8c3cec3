"""The gdpr lists fit a 1366 px screen: a long text is cut with its whole text on hover, references, dates and
badges stay on one line, and the buttons of a list do not sit over its title. (The browser tests measure
the pages; these check what the server sends.)"""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from zoneinfo import ZoneInfo

import pytest

from gdpr.services.rights import rights_request_create
from tests.clients import admin_client
from tests.factories import UserFactory
from tests.gdpr.factories import BreachFactory, CnilCaseFactory, ProcessingActivityFactory

PARIS = ZoneInfo("Europe/Paris")
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("roles"),
    pytest.mark.time_machine(dt.datetime(2025, 3, 30, 12, 0, tzinfo=PARIS), tick=False),
]
LONG = "Fichier de prospects exposé sur un partage réseau ouvert à tous les prestataires pendant trois semaines"


def body_of(url: str) -> str:
    response = admin_client("DPO", language="en").get(url)
    assert response.status_code == 200
    return response.content.decode()


def cut_with_hover(body: str, text: str) -> bool:
    """`text` is in a span cut by the browser (ellipsis) whose title holds it whole."""
    for match in re.finditer(r'<span class="vigie-truncate" title="([^"]*)" style="([^"]*)">', body):
        if unescape(match.group(1)) == text:
            style = match.group(2)
            return "text-overflow:ellipsis" in style and "white-space:nowrap" in style and "max-width" in style
    return False


def test_the_breach_list_cuts_a_long_title_and_keeps_the_clock_whole():
    handler = UserFactory(first_name="Denise", last_name="Protection-Des-Données-Personnelles")
    BreachFactory(
        reference="BR-2025-001", title=LONG, aware_at=dt.datetime(2025, 3, 28, 10, tzinfo=PARIS), handler=handler
    )
    body = body_of("/admin/gdpr/breach/")
    assert cut_with_hover(body, LONG)
    assert cut_with_hover(body, "Denise Protection-Des-Données-Personnelles")  # the handler by full name
    assert '<span style="white-space:nowrap">BR-2025-001</span>' in body
    assert '<span style="white-space:nowrap">31/03/2025 11:00</span><br>' in body  # the deadline above its badge
    badge = re.search(r'<span class="vigie-badge[^"]*" style="([^"]*)">23 h left</span>', body)
    assert badge and "white-space:nowrap" in badge.group(1)
    assert 'title="aware 28/03/2025 10:00, notification due 31/03/2025 11:00"' in body
    # Six columns (and the checkbox): what fits beside the navigation at 1366 px.
    columns = re.findall(r"<th\b[^>]*\bcolumn-(\w+)", body)
    assert columns == ["ref", "short_title", "due", "risk", "cnil", "handler_name"]


def test_the_cnil_list_cuts_a_long_subject_and_shows_the_reply_date_over_its_badge():
    CnilCaseFactory(reference="CNIL-2025-001", subject=LONG, received_on=dt.date(2025, 3, 20), cnil_reference="ABC")
    body = body_of("/admin/gdpr/cnilcase/")
    assert cut_with_hover(body, LONG)
    assert '<span style="white-space:nowrap">30/03/2025</span><br>' in body
    assert "due today" in body
    assert 'title="CNIL reference: ABC"' in body


def test_the_rights_list_cuts_a_long_name_and_keeps_the_deadline_over_its_badge():
    name = "Marie-Christine de La Tour d'Auvergne-Lauraguais"
    rights_request_create(
        actor=None, received_at=dt.datetime(2025, 3, 3, 9, tzinfo=PARIS), right="access", requester_name=name
    )
    body = body_of("/admin/gdpr/rightsrequest/")
    assert cut_with_hover(body, name)
    assert '<span style="white-space:nowrap">03/04/2025</span><br>' in body and "4 days left" in body


def test_the_register_cuts_a_long_name_and_gathers_the_points_of_attention():
    ProcessingActivityFactory(name=LONG, sensitive_data=True, transfers_outside_eu=True)
    body = body_of("/admin/gdpr/processingactivity/")
    assert cut_with_hover(body, LONG)
    assert "sensitive data</span> <span" in body and "outside the EU" in body
