"""A supervisor opens a worked cart and reads its whole history, as the agent's console shows it: the calls with
their outcomes and step times, the texts with their delivery, the emails, the notes, the callback and the gate's
refusal. On the dashboard, a filter that does not apply to a section says so."""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from agents.models import Call, Callback
from compliance.models import ContactAttempt, ContactDecision
from core.access import AGENT, SUPERVISOR
from dashboards.rollups import rollups_refresh
from recovery.models import Cart, RecoveryMessage
from tests.factories import CartFactory, CustomerFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PHONE = "+16175550131"


@pytest.fixture
def evidence(screenshots) -> Path:
    """The issue's evidence folder when $ISSUE_EVIDENCE_DIR names one, else the run's screenshots folder."""
    configured = os.environ.get("ISSUE_EVIDENCE_DIR")
    folder = Path(configured) if configured else screenshots
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _attempt(cart: Cart, channel: str, at, **fields) -> ContactAttempt:
    decision = ContactDecision.objects.create(at=at, requester="t", store=cart.store, phone=PHONE, channel=channel,
                                              allowed=True, basis="ebr_inquiry")
    return ContactAttempt.objects.create(decision=decision, store=cart.store, cart=cart, channel=channel, phone=PHONE,
                                         at=at, **fields)


@pytest.fixture
def worked_cart(shopify_store):
    """Liam's cart, two days into its follow-up: a text delivered, an email, an unanswered call, a call on which he
    asked for a callback tomorrow (with a note), and a call the gate refused outside his calling hours."""
    maya = UserFactory(username="maya", first_name="Maya", last_name="Lopez", role=AGENT)
    left = timezone.now() - timedelta(days=2)
    customer = CustomerFactory(store=shopify_store, first_name="Liam", last_name="Miller", phone=PHONE, region="MA",
                               email="liam.miller@example.com")
    cart = CartFactory(store=shopify_store, customer=customer, status="open", route="call_first",
                       total_value=Decimal("240.00"), abandoned_at=left, workable_since=left + timedelta(minutes=10),
                       first_attempt_at=left + timedelta(minutes=14), call_attempts=2)
    text = _attempt(cart, "sms", left + timedelta(hours=1), outcome="delivered", provider_status="delivered",
                    provider_id="SM" + "d" * 32)
    RecoveryMessage.objects.create(cart=cart, step=1, channel="sms", status="sent", attempt=text,
                                   sent_at=text.at, provider_id=text.provider_id)
    mail = _attempt(cart, "email", left + timedelta(days=1), outcome="sent", provider_status="sent")
    RecoveryMessage.objects.create(cart=cart, step=2, channel="email", status="sent", attempt=mail, sent_at=mail.at)
    first = left + timedelta(minutes=14)
    unanswered = _attempt(cart, "voice", first, agent=maya, outcome="no_answer", duration_seconds=25)
    Call.objects.create(cart=cart, agent=maya, attempt=unanswered, opened_at=first, step=Call.Step.DONE,
                        answer="no_answer", disposition="no_answer", wrapped_up_at=first + timedelta(minutes=1),
                        step_times={"1": first.isoformat(), "6": (first + timedelta(seconds=40)).isoformat()})
    second = left + timedelta(days=1, hours=3)
    reached = _attempt(cart, "voice", second, agent=maya, outcome="callback", duration_seconds=185)
    Call.objects.create(cart=cart, agent=maya, attempt=reached, opened_at=second, step=Call.Step.DONE,
                        answer="callback", disposition="callback", notes="Wants to check with his partner first.",
                        wrapped_up_at=second + timedelta(minutes=4),
                        step_times={"1": second.isoformat(), "5": (second + timedelta(seconds=95)).isoformat(),
                                    "6": (second + timedelta(seconds=190)).isoformat()})
    Callback.objects.create(cart=cart, agent=maya, due_at=timezone.now() + timedelta(days=1),
                            customer_timezone="America/New_York", local_time="2026-12-09 10:00")
    ContactDecision.objects.create(at=left + timedelta(days=1, hours=14), requester="agent:maya",
                                   store=shopify_store, phone=PHONE, channel="voice", allowed=False,
                                   reasons=["outside_calling_hours"],
                                   explanations=["It is 21:40 for the customer; calls are allowed 8:00 to 21:00."])
    return cart, maya


def sign_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Abandoned carts")


def test_the_supervisor_reads_the_whole_history_the_console_shows(page, worked_cart, shopify_store, evidence):
    # given
    cart, _ = worked_cart
    UserFactory(username="jordan", role=SUPERVISOR)
    sign_in(page, "jordan")

    # when
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"/carts/{cart.pk}/")

    # then: every kind of entry, each as the console words it
    history = page.locator("#history-panel")
    entries = history.locator("li").all_inner_texts()
    assert any("Call" in entry and "Maya Lopez: Asked for a callback → Callback scheduled, 185 s" in entry
               and "Completion +1 min 35 s" in entry for entry in entries)
    assert any("Maya Lopez: No answer → No answer, 25 s" in entry for entry in entries)
    assert any("Text" in entry and "First message (1 hour), sent · delivered" in entry for entry in entries)
    assert any("Email" in entry and "Reminder (24 hours), sent" in entry for entry in entries)
    assert any("Note" in entry and "Wants to check with his partner first." in entry for entry in entries)
    assert any("Callback" in entry and "Maya Lopez booked 2026-12-09 10:00 (America/New_York)" in entry
               for entry in entries)
    assert any("Gate" in entry and "call refused: It is 21:40 for the customer" in entry for entry in entries)
    assert page.locator(f"#cart-{cart.pk}-attempts").inner_text() == "4 contact attempts (2 calls, 1 text, 1 email)"
    assert "callback booked for 2026-12-09 10:00" in page.locator(f"#cart-{cart.pk}-cadence").inner_text()
    page.screenshot(path=evidence / "01_cart_history.png", full_page=True)
    page.set_viewport_size({"width": 800, "height": 900})
    page.screenshot(path=evidence / "02_cart_history_800.png", full_page=True)


def test_a_dashboard_filter_that_does_not_apply_to_a_section_says_so(page, worked_cart, evidence):
    # given: the roll-ups built, a supervisor, the agent who worked the cart
    _, maya = worked_cart
    UserFactory(username="jordan", role=SUPERVISOR)
    rollups_refresh(days=3)
    sign_in(page, "jordan")

    # when: they filter the dashboard by the agent
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/dashboards/")
    page.select_option("select[name=agent]", str(maya.pk))
    page.click("#dashboard-filters button[type=submit]")
    page.wait_for_url(f"**/dashboards/?*agent={maya.pk}*")

    # then: Lift says it ignores the agent, Recovery that it applies it
    assert "The agent filter does not apply here" in page.locator("#lift-filter-note").inner_text()
    recovery = page.locator("section:has(h2:text-is('Recovery'))")
    assert "The agent filter applies" in recovery.locator(".filter-note").inner_text()
    assert "Attempts per cart worked" in recovery.inner_text()
    page.locator("#lift").screenshot(path=evidence / "03_dashboard_agent_filter_lift.png")
    page.screenshot(path=evidence / "04_dashboard_agent_filter.png", full_page=True)
