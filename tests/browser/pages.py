"""What the browser tests share: users who log in with a password, the login through the admin's own form,
a page's language; the checks of a whole page (overflow, internal codes, links)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from tests.factories import UserFactory

#: The password of the users the tests log in with.
PASSWORD = "correct-horse-battery-staple"


def user_with_password(username: str, group: str) -> Any:
    """A staff user of `group` (the `roles` fixture makes the groups) who logs in with PASSWORD."""
    user = UserFactory(username=username, groups=[group])
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def current_code(key: bytes, drift: int = 0) -> str:
    """The 6-digit code an authenticator app shows now for `key` (RFC 6238, as django-otp checks it);
    `drift` steps of 30 s ahead."""
    return f"{totp(key, drift=drift):06d}"


def next_code(device: Any) -> str:
    """A code the device accepts now: django-otp refuses a code of a time step already used (replay), so
    after a use in the same 30 s take the next step's, which it accepts as clock drift (tolerance 1)."""
    step = int((time.time() - device.t0) // device.step)
    return current_code(device.bin_key, drift=max(0, device.last_t + 1 - step))


def confirmed_device(username: str) -> Any:
    return TOTPDevice.objects.filter(user__username=username, confirmed=True).first()


def log_in(page: Page, username: str, password: str, shot: Callable[[Page, str], Any] | None = None) -> None:
    """Log in through the real admin login form, as a person does, and land on the admin index.

    The one place that knows how to log in. With two-factor on (VIGIE_ADMIN_OTP_REQUIRED), a user with a
    registered device types the code of the authenticator app (computed here from the device's key).
    """
    page.goto("/admin/login/?next=/admin/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    device = confirmed_device(username) if getattr(settings, "VIGIE_ADMIN_OTP_REQUIRED", False) else None
    if device is not None:
        page.locator("#id_otp_token").fill(next_code(device))
    if shot:
        shot(page, "login")
    page.locator("#login-form [type=submit]").click()
    page.wait_for_url("**/admin/")
    # The logout form is only there for a logged-in user; a refused login stays on the form. In the page, not
    # necessarily visible: django-unfold keeps it in the account menu, folded until opened.
    expect(page.locator("#logout-form")).to_be_attached()
    if shot:
        shot(page, "index")


def language_of(page: Page) -> str | None:
    return page.locator("html").get_attribute("lang")


# --- Checks of a whole page (tests/browser/test_every_page.py) -------------------------------------------------
#
# They do not rely on the stock admin's CSS classes or ids (the admin is moving to django-unfold): an element is
# described by its tag, id, classes and data-* attributes only to name it in a failure message.

#: Describes an element for a failure message: `tag#id.class1.class2[data-x=...] "its text…"`.
_DESCRIBE_JS = """
const describe = (el) => {
    let name = el.tagName.toLowerCase();
    if (el.id) name += '#' + el.id;
    const classes = Array.from(el.classList).slice(0, 3);
    if (classes.length) name += '.' + classes.join('.');
    for (const attr of Array.from(el.attributes)) {
        if (attr.name.startsWith('data-')) name += `[${attr.name}=${JSON.stringify(attr.value.slice(0, 30))}]`;
    }
    const text = (el.innerText || '').replace(/\\s+/g, ' ').trim();
    return text ? `${name} "${text.slice(0, 50)}${text.length > 50 ? '…' : ''}"` : name;
};
"""

#: scrollWidth / clientWidth of the document, the boxes inside that scroll sideways or cut their content (`inner`)
#: and, when the document overflows, what sticks out past the viewport's right
#: edge: the outermost such elements (their parent fits) and, inside each, the innermost ones (no child of
#: theirs sticks out), which are usually the cause (a cell, a badge, a long word). An element inside a box that
#: scrolls or clips it (overflow-x other than visible) and itself fits does not count: it cannot widen the page.
OVERFLOW_JS = (
    "() => {"
    + _DESCRIBE_JS
    + r"""
    const doc = document.documentElement;
    const width = doc.clientWidth;
    const result = {scrollWidth: doc.scrollWidth, clientWidth: width, offenders: [], inner: []};
    // Inside the page: a box that scrolls sideways (a table wider than its frame), or that clips its content
    // without giving the full text on hover (a title), as a cut badge does. Form fields and boxes of a pixel or
    // two (text for screen readers only) are not looked at.
    for (const el of document.body.querySelectorAll('*')) {
        if (el.scrollWidth <= el.clientWidth + 1 || el.clientWidth <= 2) continue;
        if (el.closest('input, select, textarea, option, script, style, svg')) continue;
        const overflow = getComputedStyle(el).overflowX;
        if (overflow === 'visible' || !el.checkVisibility()) continue;
        const scrolls = overflow === 'auto' || overflow === 'scroll';
        if (!scrolls && el.closest('[title]')) continue;
        let line = `${scrolls ? 'scrolls sideways' : 'cuts its content'} by ${el.scrollWidth - el.clientWidth} px: ${describe(el)}`;
        // A table: its widest columns, to know what to narrow.
        const heads = Array.from(el.querySelectorAll('thead th'), (th) => [Math.round(th.getBoundingClientRect().width), (th.innerText || '').replace(/\s+/g, ' ').trim().slice(0, 30)]);
        if (heads.length) line += '; widest columns: ' + heads.sort((a, b) => b[0] - a[0]).slice(0, 4).map(([w, t]) => `"${t}" ${w} px`).join(', ');
        result.inner.push(line);
        if (result.inner.length >= 10) break;
    }
    if (doc.scrollWidth <= width) return result;
    const sticksOut = (el) => {
        const box = el.getBoundingClientRect();
        if (box.width === 0 || box.height === 0 || box.right <= width + 0.5) return false;
        for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
            const overflow = getComputedStyle(up).overflowX;
            if (overflow !== 'visible') return up.getBoundingClientRect().right > width + 0.5;
        }
        return true;
    };
    const all = Array.from(document.body.querySelectorAll('*')).filter(sticksOut);
    const out = new Set(all);
    const outermost = all.filter((el) => !out.has(el.parentElement));
    for (const top of outermost.slice(0, 5)) {
        const leaves = all.filter((el) => top.contains(el) && !Array.from(el.children).some((c) => out.has(c)));
        const right = Math.round(top.getBoundingClientRect().right);
        result.offenders.push({
            element: describe(top),
            right: right,
            causes: leaves.slice(0, 6).map((el) => `${describe(el)} (right edge ${Math.round(el.getBoundingClientRect().right)} px)`),
        });
    }
    return result;
}"""
)

#: The visible text of the page, text node by text node, with the element that holds it: not the content of
#: <script>, <style>, <template>, nor of form fields (a <select>'s options, a <textarea>), nor what is hidden
#: (display/visibility, a closed <details>). Nor what is marked as text to type as is (<code>, <kbd>, <samp>):
#: the column names an import file must have ("employee_id") are its format, not an internal code. Nor the
#: names of the look's icons ("chevron_right" in the icon font's element): the font draws them as pictures.
VISIBLE_TEXTS_JS = (
    "() => {"
    + _DESCRIBE_JS
    + """
    const found = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.data.replace(/\\s+/g, ' ').trim();
        const el = node.parentElement;
        if (!text || !el || el.closest('script, style, noscript, template, select, textarea, input, code, kbd, samp, .material-symbols-outlined')) continue;
        if (!el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) continue;
        found.push([describe(el), text]);
    }
    return found;
}"""
)

#: Every link of the page: its resolved URL, its href as written, its text.
LINKS_JS = """() => Array.from(document.querySelectorAll('a[href]'), (a) => [
    a.href, a.getAttribute('href'), (a.innerText || a.getAttribute('title') || a.getAttribute('aria-label') || '')
        .replace(/\\s+/g, ' ').trim().slice(0, 60)
])"""

#: What an internal code looks like on screen (issue 16): a dotted name (a rule, a module path), a threshold
#: ("d-30", "h+24"), a raw setting ("rollover=next_working_day").
CODE_PATTERNS = {
    "dotted name": re.compile(r"\b\w+\.\w+\.\w+\b"),
    "day threshold": re.compile(r"\bd-\d+\b"),
    "hour threshold": re.compile(r"\bh\+\d+\b"),
    "raw setting": re.compile(r"\b\w+=\w+"),
    # Not in the list, but the same thing: a snake_case value ("in_progress", "next_working_day") is a
    # code, never a French word.
    "snake_case name": re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b"),
}
#: A dotted name that is a number or a date (1.234.567, 06.12.2026, 127.0.0.1), not a code.
_NUMBERS = re.compile(r"^\d+(?:\.\d+)+$")
#: The last part of a dotted name that makes it a domain (cnil.gouv.fr, mail.example.org) or a file name
#: (registre.2023.xlsx) a person reads as such. Narrow on purpose: "py" or "html" are not in it, as a module
#: path or a template name on screen is an internal code.
_DOMAIN_ENDINGS = {"fr", "com", "org", "net", "eu", "io", "gouv", "info", "be", "ch", "de", "uk", "local", "test"}
_FILE_ENDINGS = {"csv", "xlsx", "xls", "ods", "odt", "pdf", "docx", "doc", "txt", "zip", "png", "jpg", "jpeg"}


def _is_not_a_code(kind: str, match: re.Match[str], text: str) -> bool:
    """The false positives of CODE_PATTERNS, excluded narrowly."""
    found = match.group(0)
    # The whitespace-separated word around the match: an e-mail address or a URL is not a code.
    start = text.rfind(" ", 0, match.start()) + 1
    end = text.find(" ", match.end())
    word = text[start : end if end != -1 else len(text)]
    if "@" in word or "://" in word or word.lower().startswith("www."):
        return True
    if kind == "snake_case name":  # a file name ("export_2023.csv") is read as one
        return word.rstrip(").,;:").rsplit(".", 1)[-1].lower() in _FILE_ENDINGS
    if kind != "dotted name":
        return False
    if _NUMBERS.match(found):
        return True
    return found.rsplit(".", 1)[-1].lower() in _DOMAIN_ENDINGS | _FILE_ENDINGS


def internal_codes(texts: list[list[str]]) -> list[str]:
    """`kind 'match' in element "…": "the text"` for each internal code in the page's visible texts (the same
    code in the same element and text once, with a count: a list repeats it on every row)."""
    found: dict[str, int] = {}
    for element, text in texts:
        reported: list[tuple[int, int]] = []  # a snake_case part of a dotted name or setting already reported
        for kind, pattern in CODE_PATTERNS.items():
            for match in pattern.finditer(text):
                if any(start <= match.start() and match.end() <= end for start, end in reported):
                    continue
                if not _is_not_a_code(kind, match, text):
                    reported.append(match.span())
                    snippet = text if len(text) <= 120 else text[max(0, match.start() - 50) : match.end() + 50]
                    line = f"{kind} {match.group(0)!r} in {element}: {snippet!r}"
                    found[line] = found.get(line, 0) + 1
    return [line if count == 1 else f"{line} (×{count})" for line, count in found.items()]
