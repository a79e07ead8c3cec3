"""Words for people: every rule has a label and every threshold its words, in French and English, and no
rule code or threshold code shows on the alert list, an alert's page, the preview or in an email.

The registry is iterated: a rule added without a label, or a threshold code the words do not know, fails here.
"""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from html.parser import HTMLParser

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from notifications.admin import TITLE_CHARS
from notifications.models import Alert, Delivery, Urgency
from notifications.registry import Rule, get_rules, rule_label, threshold_words
from notifications.sending import digest_message, immediate_message
from notifications.thresholds import day_threshold, hour_thresholds
from tests.factories import UserFactory

#: What a person must never read: a rule code, a threshold code, a raw setting.
CODE_PATTERNS = (r"\w+\.\w+\.\w+", r"\bd-\d+", r"h\+\d+", r"\w+=\w+")
VARIANT = "CYBER"  # a module code: the variant of the training renewal's thresholds


def codes_in(text: str) -> list[str]:
    text = re.sub(r"https?://\S+", "", text)  # links are not read; their text is checked where it is shown
    return [found for pattern in CODE_PATTERNS for found in re.findall(pattern, text)]


class _Text(HTMLParser):
    """What a reader sees of a page: its text and the tooltips (title attributes), not scripts or styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        self.parts.extend(value for name, value in attrs if name == "title" and value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def threshold_codes(rule: Rule) -> list[str]:
    codes = [threshold.code for threshold in rule.thresholds]
    return codes + [f"{code}:{VARIANT}" for code in codes]


ALL = [(rule.code, code) for rule in get_rules() for code in threshold_codes(rule)]


# --- the words themselves -------------------------------------------------------------------------------


def test_every_rule_is_registered_here() -> None:
    assert {rule.code for rule in get_rules()} >= {
        "gdpr.rights_request.deadline",
        "gdpr.rights_request.extension_decision",
        "gdpr.cnil_referral.deadline",
        "gdpr.breach.notification",
        "compliance.coi_case.analysis_overdue",
        "compliance.action_item.due",
        "training.renewal.due",
    }


@pytest.mark.parametrize("rule", get_rules(), ids=lambda rule: rule.code)
def test_every_rule_has_a_label_in_french_and_english(rule: Rule) -> None:
    with translation.override("fr"):
        french = rule.label()
    with translation.override("en"):
        english = rule.label()
    assert french and english and french != english, "the label is missing or not translated"
    assert codes_in(french) == codes_in(english) == []
    assert rule_label(rule.code) == rule.label()


def test_a_rule_without_a_label_fails() -> None:
    class Unlabelled(Rule):
        code = "test.unlabelled.rule"

    with pytest.raises(NotImplementedError, match="test.unlabelled.rule"):
        Unlabelled().label()


def test_an_unknown_rule_or_threshold_is_never_shown_by_its_code() -> None:
    with translation.override("fr"):
        assert rule_label("gdpr.gone.rule") == "Alerte d’échéance"
        assert threshold_words("w-3") == "autre seuil"


@pytest.mark.parametrize(
    ("code", "french", "english"),
    [
        ("d-7", "7 jours avant l’échéance", "7 days before the deadline"),
        ("d-1", "1 jour avant l’échéance", "1 day before the deadline"),
        ("d-0", "le jour de l’échéance", "on the deadline day"),
        ("d-30:CYBER", "30 jours avant l’échéance — CYBER", "30 days before the deadline — CYBER"),
        ("overdue", "en retard", "overdue"),
        ("overdue+2d", "en retard de 3 jours", "overdue by 3 days"),
        ("h+24", "24 h après le début du délai", "24 h after the clock started"),
    ],
)
def test_thresholds_in_words(code: str, french: str, english: str) -> None:
    with translation.override("fr"):
        assert threshold_words(code) == french
    with translation.override("en"):
        assert threshold_words(code) == english


def test_every_threshold_a_setting_can_make_has_its_words() -> None:
    """VIGIE_ALERT_THRESHOLDS may give any days before or after a deadline, any hours of a clock."""
    codes = [day_threshold(days).code for days in range(-40, 400)]
    codes += [t.code for t in hour_thresholds("any", range(1, 200), period=dt.timedelta(hours=72))]
    with translation.override("fr"):
        unknown = threshold_words("no-such-code")
        for code in codes:
            words = threshold_words(code)
            assert words != unknown and codes_in(words) == [], code


@pytest.mark.parametrize(("rule", "code"), ALL)
def test_every_threshold_of_every_rule_has_words_in_french_and_english(rule: str, code: str) -> None:
    with translation.override("fr"):
        french = threshold_words(code)
        assert french != threshold_words("no-such-code")
    with translation.override("en"):
        english = threshold_words(code)
    assert french != english
    assert codes_in(french) == codes_in(english) == []


# --- where people read them -----------------------------------------------------------------------------

LONG_TITLE = (
    "Demande d’exercice de droits DSR-2026-00042 (droit d’accès aux données personnelles du demandeur) : "
    "réponse due le 22/12/2026, après la suspension pour vérification d’identité"
)


@pytest.fixture
def ledger(db, settings) -> list[Alert]:
    """One alert of every rule at every threshold (with and without a variant), each with two deliveries."""
    settings.VIGIE_SITE_URL = "https://vigie.example.org"
    now = timezone.now()
    alerts = []
    for index, (code, threshold) in enumerate(ALL):
        rule = next(rule for rule in get_rules() if rule.code == code)
        alert = Alert.objects.create(
            rule=code,
            threshold=threshold,
            content_type=ContentType.objects.get_for_model(rule.model_class()),
            object_id=index + 1,
            object_label=f"REF-{index}",
            due_at=now + dt.timedelta(days=3),
            fires_at=now,
            urgency=Urgency.OVERDUE if threshold.startswith("overdue") else Urgency.URGENT,
            immediate=True,
            title=LONG_TITLE if index == 0 else f"Dossier REF-{index} : réponse due bientôt",
            explanation="Reçue le 05/03/2025 : un mois, reporté au jour ouvré suivant.",
            admin_path="/admin/",
        )
        Delivery.objects.create(alert=alert, recipient="dpo@example.org")
        Delivery.objects.create(alert=alert, recipient="long-address-of-the-compliance-officer@example.org")
        alerts.append(alert)
    return alerts


@pytest.fixture
def reader(roles) -> Client:
    client = Client()  # the site's language, French
    # A superuser who is also a whistleblowing referent: a superuser alone does not see the referents' alerts.
    client.force_login(UserFactory(is_superuser=True, groups=["Référent alertes"]))
    return client


def test_the_alert_list_shows_labels_and_words_and_cuts_long_texts(ledger: list[Alert], reader: Client) -> None:
    url = reverse("admin:notifications_alert_changelist")
    html = reader.get(url, {"all": ""}).content.decode()
    text = visible_text(html)
    assert codes_in(text) == []
    assert "30 jours avant l’échéance — CYBER" in text and "en retard" in text
    # The long title is cut in the list, whole on hover.
    cells = re.findall(
        r'<t[hd] class="[^"]*\bfield-short_title\b[^"]*"[^>]*>\s*(?:<a [^>]*>)?\s*(.*?)\s*(?:</a>)?\s*</t[hd]>',
        html,
        re.S,
    )
    assert len(cells) == len(ledger)
    cut = [re.fullmatch(r'<span title="([^"]*)">([^<]*)</span>', cell) for cell in cells]
    [(tooltip, shown)] = [(unescape(m[1]), unescape(m[2])) for m in cut if m is not None]
    assert tooltip == LONG_TITLE and shown.endswith("…") and len(shown) == TITLE_CHARS
    assert all(len(unescape(cell)) <= TITLE_CHARS for cell, m in zip(cells, cut, strict=True) if m is None)
    # The rule filter offers labels; its values stay the codes.
    for rule in get_rules():
        with translation.override("fr"):
            assert rule.label() in text
        assert f"rule={rule.code}" in html


def test_the_rule_filter_filters_by_code(ledger: list[Alert], reader: Client) -> None:
    url = reverse("admin:notifications_alert_changelist")
    page = reader.get(url, {"rule": "training.renewal.due"})
    assert page.status_code == 200
    shown = {alert.pk for alert in page.context["cl"].result_list}
    assert shown == {alert.pk for alert in ledger if alert.rule == "training.renewal.due"}


def test_an_alerts_page_shows_its_rule_and_threshold_in_words(ledger: list[Alert], reader: Client) -> None:
    for alert in ledger:
        html = reader.get(reverse("admin:notifications_alert_change", args=[alert.pk])).content.decode()
        text = visible_text(html)
        assert codes_in(text) == [], (alert.rule, alert.threshold)
        with translation.override("fr"):
            assert alert.rule_display() in text and alert.threshold_display() in text


def test_the_preview_shows_labels_and_words(ledger: list[Alert], reader: Client) -> None:
    html = reader.get(reverse("admin:notifications_alert_preview")).content.decode()
    text = visible_text(html)
    assert codes_in(text) == []
    assert "24 h après le début du délai" in text


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_emails_show_labels_and_words(ledger: list[Alert], language: str) -> None:
    with translation.override(language):
        messages = [immediate_message(alert.deliveries.order_by("pk")[0]) for alert in ledger]
        messages.append(digest_message(_digest(), ledger, timezone.now()))
        for message in messages:
            html = message.alternatives[0][0]
            for part in (str(message.subject), str(message.body), visible_text(str(html))):
                assert codes_in(part) == [], part
        for alert, message in zip(ledger, messages, strict=False):
            assert alert.rule_display() in message.body and alert.threshold_display() in message.body


def _digest():
    from notifications.models import Digest

    return Digest.objects.create(recipient="dpo@example.org", day=timezone.localdate())
