"""Browser tests: Playwright for Python driving Debian's Chromium against pytest-django's live server.

The browser is the system's (`apt-get install chromium`, /usr/bin/chromium or $VIGIE_CHROMIUM): Playwright
never downloads one. Without it the tests skip locally and fail in CI (tests/conftest.py require_service).
Each page a test visits is kept as a full-page screenshot under var/screenshots/browser/ (a CI artifact;
$VIGIE_SCREENSHOT_DIR to put them elsewhere).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import require_service

CHROMIUM = os.environ.get("VIGIE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
#: How long a step may wait for the page (ms): a local server answers in far less; fail fast otherwise.
TIMEOUT_MS = 10_000


def pytest_configure(config: pytest.Config) -> None:
    # Also declared in pyproject.toml; repeated here so `--strict-markers` accepts it either way.
    config.addinivalue_line("markers", "browser: drives a real browser (Chromium, through Playwright)")


def screenshot_dir() -> Path:
    """var/screenshots/browser/, or $VIGIE_SCREENSHOT_DIR (e.g. one folder per CI run)."""
    folder = os.environ.get("VIGIE_SCREENSHOT_DIR")
    return Path(folder) if folder else Path(settings.VAR_DIR) / "screenshots" / "browser"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Chromium, one per test module.

    Playwright's sync API runs an asyncio event loop in this thread; Django then refuses the ORM calls the
    tests make between two browser steps unless DJANGO_ALLOW_ASYNC_UNSAFE is set. It is set only while the
    browser runs (the module's tests), and Playwright stops before the next module.
    """
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        require_service(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set VIGIE_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - a dependency of the project
        require_service(f"the playwright package is not installed: {exc}")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                yield chromium
            finally:
                chromium.close()


@pytest.fixture
def open_page(browser, live_server) -> Iterator[Callable[..., object]]:
    """`open_page(locale="fr-FR")`: a page in a fresh browser context (its own cookies) on the live server,
    in Paris time, with a browser asking for `locale`."""
    contexts = []

    def make(locale: str = "fr-FR"):
        context = browser.new_context(
            base_url=live_server.url,
            locale=locale,
            timezone_id=settings.TIME_ZONE,
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[object, str], Path]:
    """`shot(page, step)`: a full-page screenshot, var/screenshots/browser/<test>-<NN>-<step>.png.

    The test's screenshots of a previous run are removed first, so the folder shows this run only.
    """
    folder = screenshot_dir()
    folder.mkdir(parents=True, exist_ok=True)
    test = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    for old in folder.glob(f"{test}-*.png"):
        old.unlink()
    count = 0

    def take(page, step: str) -> Path:
        nonlocal count
        count += 1
        path = folder / f"{test}-{count:02d}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', step)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
