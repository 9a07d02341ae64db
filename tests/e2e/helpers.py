"""Helpers for the browser tests (their fixtures are in conftest.py)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

# Wednesday 2026-11-18, 15:00 UTC: 10:00 in New York, inside calling hours there (and no holiday anywhere).
CALLING_HOURS = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)


def wait_until(page, expression: str, arg=None, *, timeout: float = 15.0) -> None:
    """Wait until `expression` is true in the page. Playwright's wait_for_function compiles its predicate with eval,
    which the Content-Security-Policy forbids (as it should); page.evaluate goes through the DevTools protocol and
    is not subject to it."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        page.wait_for_timeout(50)
