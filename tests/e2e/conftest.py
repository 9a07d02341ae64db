"""Headless Debian Chromium driven by Playwright (never a downloaded browser), the clock the journeys that call
customers run on, and the folder screens are saved to for review."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import time_machine

from tests.e2e.helpers import CALLING_HOURS, assert_accessible

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing; `make test` installs it with `make e2e-browser`.")
        pytest.skip("Chromium is not installed (run `make e2e-browser`).")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls in the tests are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def calling_hours_clock():
    """The clock at CALLING_HOURS, ticking from there. The live server runs in a thread of this process and reads
    the same clock, so what the test builds and what the server decides agree whatever the real time is (the
    browser keeps its own clock: no screen reads it)."""
    with time_machine.travel(CALLING_HOURS, tick=True) as traveller:
        yield traveller


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    """Where the journeys save their screens for review: $E2E_SCREENSHOT_DIR when set, else a folder in pytest's
    temporary directory (`--basetemp` to choose it; pytest keeps the last three runs), never the checkout."""
    configured = os.environ.get("E2E_SCREENSHOT_DIR")
    folder = Path(configured) if configured else tmp_path_factory.mktemp("screenshots", numbered=False)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def accessible():
    """`accessible(page)` fails the test on any serious or critical axe-core violation on the page as it stands
    (helpers.assert_accessible); call it on each screen a journey reaches."""
    return assert_accessible
