"""Headless Debian Chromium driven by Playwright (never a downloaded browser), the clock the journeys that call
customers run on, and the folder screens are saved to for review."""

from __future__ import annotations

import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from agents.models import AgentProfile
from compliance.models import DncList
from core.access import AGENT
from tests.e2e.console_helpers import PASSWORD, Place, place_in_calling_hours
from tests.e2e.helpers import CALLING_HOURS, assert_accessible
from tests.factories import UserFactory

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


@pytest.fixture
def still_calling_hours_clock():
    """The clock at CALLING_HOURS, standing still until the test moves it (`traveller.shift`): for journeys that
    drive the line themselves with status callbacks (`helpers.line_event`), so the offline backend's simulated
    customer, which answers after a few seconds of the server's clock, never answers on its own, and the talk and
    after-call seconds kept on each call are the ones the test chose."""
    with time_machine.travel(CALLING_HOURS, tick=False) as traveller:
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
def place(db, calling_hours_clock) -> Place:
    """Where the console's customers live, callable now (the clock is at calling hours), with the national DNC
    list freshly imported (the gate refuses every call while a list is stale)."""
    now = timezone.now()
    found = place_in_calling_hours(now)
    DncList.objects.create(name="national", kind="national", last_full_import_at=now - timedelta(days=1))
    return found


@pytest.fixture
def agent(db):
    """Maya, an agent who signs in with `console_helpers.PASSWORD`."""
    user = UserFactory(username="maya", first_name="Maya", last_name="Ortiz", role=AGENT)
    user.set_password(PASSWORD)
    user.save()
    AgentProfile.objects.create(user=user)
    return user


@pytest.fixture
def console(browser, live_server, settings):
    """A 1280x720 page on the live server; voice stays offline (simulated) whatever the environment says."""
    settings.TWILIO_ACCOUNT_SID = ""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 720})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def accessible():
    """`accessible(page)` fails the test on any serious or critical axe-core violation on the page as it stands
    (helpers.assert_accessible); call it on each screen a journey reaches."""
    return assert_accessible
