"""Helpers for the browser tests (their fixtures are in conftest.py)."""

from __future__ import annotations

import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import cache
from pathlib import Path

from twilio.request_validator import RequestValidator

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


def line_event(base_url: str, *, auth_token: str, parent_sid: str, status: str, **extra: str) -> None:
    """Report one event of the dialed customer's leg as Twilio does: a status callback posted to the product's own
    signed webhook (`/webhooks/twilio/voice/status/`), signed with the account's auth token, in the payload Twilio
    documents (`CallStatus`; `CallDuration` once the call is over; `AnsweredBy` with machine detection). The
    offline backend's call id is the parent call (the browser's leg)."""
    path = "/webhooks/twilio/voice/status/"
    params = {"AccountSid": "AC" + "0" * 32, "CallSid": "CA" + "c" * 32, "ParentCallSid": parent_sid,
              "CallStatus": status, "Direction": "outbound-dial", "ApiVersion": "2010-04-01",
              "CallbackSource": "call-progress-events", "SequenceNumber": "0",
              "Timestamp": format_datetime(datetime.now(UTC), usegmt=True), **extra}
    signature = RequestValidator(auth_token).compute_signature(base_url + path, params)
    request = urllib.request.Request(base_url + path, data=urllib.parse.urlencode(params).encode(),
                                     headers={"X-Twilio-Signature": signature}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (the live test server)
        assert response.status == 204, response.status


AXE_SOURCE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"  # `make vendor`; no page references it
# What fails a screen: axe-core's two worst impacts (a screen-reader or keyboard user is blocked or badly hindered).
BLOCKING_IMPACTS = frozenset({"serious", "critical"})
AXE_RUN = """async () => {
    const results = await axe.run(document, {resultTypes: ['violations']});
    return results.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                         nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""


@cache
def _axe_source() -> str:
    # Evaluated as a script, the UMD bundle defines window.axe; the trailing expression is what evaluate returns.
    return AXE_SOURCE.read_text() + "\n;typeof window.axe"


def axe_violations(page, *, impacts: frozenset[str] = BLOCKING_IMPACTS) -> list[str]:
    """axe-core's violations on the page as it stands, of the given impacts, one line each. axe is evaluated
    through the DevTools protocol, like `wait_until`'s predicates: a <script> tag would need the
    Content-Security-Policy loosened, and no page of the product ever loads the file."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    return [f"{found['id']} ({found['impact']}): {found['help']} at {'; '.join(found['nodes'])}"
            for found in page.evaluate(AXE_RUN) if found["impact"] in impacts]


def assert_accessible(page, where: str = "") -> None:
    """Fail on any serious or critical accessibility violation on the page as it stands (call it after each
    screen, or after an htmx swap: axe reads the live document)."""
    problems = axe_violations(page)
    assert not problems, f"{where or page.url}: " + "\n  ".join(problems)
