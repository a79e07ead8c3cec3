"""Accessibility of a page, checked by axe-core (issue 18, item 5).

axe-core is Deque's engine, the one browsers' accessibility audits use; its JavaScript comes with the
`axe-playwright-python` package (a dev dependency; axe-core itself is MPL-2.0, the package MIT), injected into
the page and run there. The rules are WCAG 2.0 and 2.1, levels A and AA, plus axe's best practices; a page
fails on every violation of impact "serious" or "critical" (contrast, a field without a label, duplicate ids,
...), listed rule by rule with the elements concerned, a bit of their HTML and the page's URL.
"""

from __future__ import annotations

from typing import Any

from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Page

#: What axe checks: WCAG 2.0 and 2.1 A and AA, and its best practices (landmarks, headings, ...).
AXE_OPTIONS: dict[str, Any] = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    "resultTypes": ["violations"],
}
#: The impacts that fail a page; "moderate" and "minor" ones are reported by axe but not failed on.
FAILING_IMPACTS = ("serious", "critical")
#: How many elements of one rule the message names (the rest are counted).
NODES_SHOWN = 8


def axe_violations(page: Page, context: Any = None) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (`context`: a selector or axe context to limit the
    check to part of the page; the whole document by default)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT)
    results = page.evaluate("([context, options]) => axe.run(context || document, options)", [context, AXE_OPTIONS])
    return list(results["violations"])


def describe_violations(violations: list[dict[str, Any]], where: str) -> str:
    """A readable report: per rule its id, impact, help and link; per element its selector and HTML."""
    lines = []
    for violation in violations:
        nodes = violation["nodes"]
        lines.append(
            f"{violation['id']} ({violation['impact']}), {len(nodes)} element(s) on {where}: "
            f"{violation['help']} <{violation['helpUrl'].split('?')[0]}>"
        )
        for node in nodes[:NODES_SHOWN]:
            target = " ".join(str(part) for part in node["target"])
            html = " ".join(node["html"].split())
            lines.append(f"    {target}\n        {html[:160]}{'…' if len(html) > 160 else ''}")
            summary = " ".join((node.get("failureSummary") or "").split())
            if summary:
                lines.append(f"        {summary[:240]}")
        if len(nodes) > NODES_SHOWN:
            lines.append(f"    … and {len(nodes) - NODES_SHOWN} more")
    return "\n".join(lines)


def serious_violations(page: Page, context: Any = None) -> list[dict[str, Any]]:
    return [v for v in axe_violations(page, context) if v["impact"] in FAILING_IMPACTS]


def assert_accessible(page: Page, context: Any = None, label: str = "") -> None:
    """Fail, listing them, on axe-core's serious and critical violations of the page (or of `context`)."""
    violations = serious_violations(page, context)
    where = f"{label} ({page.url})" if label else page.url
    assert not violations, f"{len(violations)} serious or critical accessibility violation(s):\n" + (
        describe_violations(violations, where)
    )
