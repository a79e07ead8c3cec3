"""The public whistleblowing channel in a real browser with JavaScript switched off (issue 21): a report sent
from the public page, the receipt code and passphrase read off the receipt, the follow-up space opened with
them, the referent's answer written in the admin (logged in with two-factor, in a browser of their own) read
by the author after a reload. The pages pass axe-core (run in a second context, with scripts, since axe is
one)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from core.roles import WHISTLEBLOWING_REFERENT
from tests.browser.a11y import describe_violations, serious_violations
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.pages import PASSWORD, log_in, user_with_password
from tests.whistleblowing.uploads import PDF
from whistleblowing.choices import Direction
from whistleblowing.models import Report

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("roles")]


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.VIGIE_WHISTLEBLOWING_FILES_ROOT = tmp_path / "whistleblowing"
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def no_script_page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        java_script_enabled=False,
        locale="fr-FR",
        timezone_id=settings.TIME_ZONE,
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def test_a_report_is_sent_and_followed_without_javascript(no_script_page, open_page, shot, tmp_path, settings):
    page = no_script_page
    page.goto("/signalement/")
    expect(page.locator("h1")).to_have_text("Signaler une atteinte, en toute confidentialité")
    shot(page, "home")
    # The language switch is a plain form: it works without scripts, and comes back to the same page.
    page.get_by_role("button", name="English").click()
    expect(page.locator("h1")).to_have_text("Report a breach, confidentially")
    page.get_by_role("button", name="Français").click()
    expect(page.locator("h1")).to_have_text("Signaler une atteinte, en toute confidentialité")
    page.get_by_role("link", name="Faire un signalement").first.click()

    # A first try without the facts: refused, the field named, what was typed kept.
    page.locator("#id_category").select_option("fraud")
    page.locator("#id_persons_concerned").fill("Le trésorier")
    page.get_by_role("button", name="Envoyer le signalement").click()
    expect(page.locator("#id_facts_errors")).to_have_text("Décrivez les faits : ce champ est obligatoire.")
    expect(page.locator("#id_persons_concerned")).to_have_value("Le trésorier")
    shot(page, "facts-missing")

    page.locator("#id_facts").fill("Des notes de frais fictives sont remboursées chaque mois.")
    page.locator("#id_anonymous").check()
    evidence = tmp_path / "notes.pdf"
    evidence.write_bytes(PDF)
    page.locator("#id_documents").set_input_files(str(evidence))
    page.get_by_role("button", name="Envoyer le signalement").click()
    expect(page.locator("h1")).to_have_text("Votre signalement a été reçu")
    code = page.locator("#wb-code").inner_text()
    passphrase = page.locator("#wb-passphrase").inner_text()
    assert code and passphrase
    assert code not in page.url and passphrase not in page.url
    shot(page, "receipt")

    report = Report.objects.get()
    assert report.content.anonymous and report.attachments.get().name == "notes.pdf"

    page.get_by_role("link", name="Aller à l’espace de suivi").click()
    page.locator("#id_code").fill(code)
    page.locator("#id_passphrase").fill(passphrase)
    page.get_by_role("button", name="Ouvrir l’espace de suivi").click()
    expect(page.locator("h1")).to_contain_text(report.reference)
    expect(page.locator("#wb-status")).to_have_text(report.get_status_display())
    expect(page.get_by_text("notes.pdf")).to_be_visible()
    page.locator("#id_body").fill("Les montants dépassent 2 000 € par mois.")
    page.get_by_role("button", name="Envoyer le message").click()
    expect(page.get_by_text("Votre message a été envoyé au référent.")).to_be_visible()
    assert report.messages.get().direction == Direction.FROM_AUTHOR
    shot(page, "author-wrote")

    # The referent answers in the admin, in a browser of their own, logged in with their two-factor code.
    settings.VIGIE_ADMIN_OTP_REQUIRED = True
    referent = user_with_password("referent-wb", WHISTLEBLOWING_REFERENT)
    TOTPDevice.objects.create(user=referent, name="phone", confirmed=True)
    admin = open_page()
    log_in(admin, "referent-wb", PASSWORD)
    admin.goto(f"/admin/whistleblowing/report/{report.pk}/change/")
    expect(admin.get_by_text("Des notes de frais fictives sont remboursées chaque mois.")).to_be_visible()
    expect(admin.get_by_text("Les montants dépassent 2 000 € par mois.")).to_be_visible()
    shot(admin, "referent-reads")
    admin.get_by_role("link", name="Écrire à l'auteur").click()
    admin.wait_for_url(f"**/admin/whistleblowing/report/{report.pk}/do/message/")
    admin.locator("#id_body").fill("Merci. Pouvez-vous indiquer depuis quand ?")
    admin.locator("input[type=submit][name=apply]").click()
    admin.wait_for_url(f"**/admin/whistleblowing/report/{report.pk}/change/")
    expect(admin.get_by_text("Message envoyé.")).to_be_visible()
    shot(admin, "referent-wrote")
    answer = report.messages.get(direction=Direction.TO_AUTHOR)
    assert (answer.sent_by, answer.body) == (referent, "Merci. Pouvez-vous indiquer depuis quand ?")

    page.reload()
    thread = page.locator("#wb-thread")
    expect(thread).to_contain_text("Les montants dépassent 2 000 € par mois.")
    expect(thread).to_contain_text("Merci. Pouvez-vous indiquer depuis quand ?")
    expect(thread.locator("li").last).to_contain_text("Le référent")
    shot(page, "referent-answered")

    page.get_by_role("button", name="Quitter l’espace de suivi").click()
    expect(page.locator("#id_passphrase")).to_be_visible()
    page.goto("/signalement/suivi/")
    expect(page.locator("#wb-thread")).to_have_count(0)


def test_the_public_pages_pass_axe_core_in_both_languages(open_page, shot):
    for locale, url in (
        ("fr-FR", "/signalement/"),
        ("fr-FR", "/signalement/nouveau/"),
        ("en-GB", "/signalement/suivi/"),
    ):
        page = open_page(locale)
        requested: list[str] = []
        page.on("request", lambda request, seen=requested: seen.append(request.url))
        page.goto(url)
        # The inline stylesheet is applied (its CSP hash matches) and the page fetched nothing else.
        assert page.evaluate("getComputedStyle(document.querySelector('.wb-header')).borderBottomStyle") == "solid"
        assert [address for address in requested if not address.startswith("data:")] == [page.url]
        shot(page, f"{locale}-{url.strip('/').replace('/', '-')}")
        violations = serious_violations(page)
        assert not violations, describe_violations(violations, page.url)
