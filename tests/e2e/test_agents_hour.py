"""An agent's hour in headless Chromium at 1366x768: ten carts, every kind of outcome, and not one reload.

Reached and recovered (a payment by phone), no answer, an answering machine, busy, the customer hanging up at step
2, an opt-out, a callback, a link sent, a failed line and a pass. The line is driven as the real provider drives
it: each ring, answer, machine and hang-up is a status callback posted, signed, to the product's own webhook, and
the console follows by itself (the line's block polls; the wrap-up starts from what the line said). On each call
page the test marks the window: the mark still being there at the wrap-up proves the screen was never reloaded.

The clock stands still at 10:00 in New York (`still_calling_hours_clock`) and moves only when the test says how
long the customer talked and how long the wrap-up took, so each call's kept talk and after-call seconds, and the
leaderboard's handle time, are known exactly.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from agents.models import Call, Callback
from compliance.models import DncList, OptOut
from compliance.services import check_contact
from dashboards.breakdowns import leaderboard
from dashboards.metrics import Window
from dashboards.rollups import rollups_refresh
from recovery.models import Cart, CartLineItem
from tests.e2e.console_helpers import PASSWORD
from tests.e2e.helpers import line_event
from tests.factories import CartFactory, CustomerFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

VIEWPORT = {"width": 1366, "height": 768}
AUTH_TOKEN = "hour-e2e-twilio-auth-token"
CALL_PAGE = re.compile(r"/agent/calls/(\d+)/$")
NEW_YORK = "America/New_York"
# The ten customers, best score first (the order the queue hands them out): first name, phone, score.
CUSTOMERS = [("Ada", "+12125550101", 100), ("Ben", "+12125550102", 99), ("Cleo", "+12125550103", 98),
             ("Dev", "+12125550104", 97), ("Eva", "+12125550105", 96), ("Finn", "+12125550106", 95),
             ("Gus", "+12125550107", 94), ("Hana", "+12125550108", 93), ("Ivo", "+12125550109", 92),
             ("Juno", "+12125550110", 91)]


@pytest.fixture
def hour(db, still_calling_hours_clock, shopify_store):
    now = timezone.now()
    DncList.objects.create(name="national", kind="national", last_full_import_at=now - timedelta(days=1))
    carts = {}
    for first_name, phone, score in CUSTOMERS:
        customer = CustomerFactory(store=shopify_store, first_name=first_name, phone=phone, country="US", region="NY",
                                   email=f"{first_name.lower()}.hour@example.com", accepts_sms_marketing=False)
        cart = CartFactory(store=shopify_store, customer=customer, route="call_first", priority_score=score,
                           priority_reason="Call first: $240 cart, payment declined at checkout",
                           total_value=Decimal("240.00"), payment_failed=True,
                           abandoned_at=now - timedelta(minutes=5), platform_created_at=now - timedelta(minutes=20),
                           checkout_url=f"https://demo-store.myshopify.com/checkouts/{first_name.lower()}/recover")
        CartLineItem.objects.create(cart=cart, title="Burr Grinder", quantity=1, unit_price=Decimal("240.00"))
        decision = check_contact(channel="voice", store=shopify_store, phone=phone, customer=customer, cart=cart,
                                 audit=False)
        assert decision.allowed, decision.explanations
        carts[first_name] = cart
    return carts


@pytest.fixture
def console(browser, live_server, settings):
    """Voice offline (no API key: the line is simulated), with the account's auth token set so that the status
    webhook checks Twilio's signature on every line event."""
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC" + "0" * 32, AUTH_TOKEN
    settings.TWILIO_API_KEY, settings.PUBLIC_BASE_URL = "", ""
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def evidence(screenshots) -> Path:
    configured = os.environ.get("E2E_EVIDENCE_DIR")  # where a reviewer wants the numbered screens
    folder = Path(configured) if configured else screenshots / "hour"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Hour:
    """The agent's side of the hour: the page, the live server, the clock, and the numbered screens."""

    def __init__(self, page, live_server, clock, folder: Path):
        self.page, self.url, self.clock, self.folder, self.count = page, live_server.url, clock, folder, 0

    def shot(self, name: str) -> None:
        self.count += 1
        self.page.evaluate("window.scrollTo(0, 0)")
        self.page.screenshot(path=self.folder / f"{self.count:02d}_{name}.png")

    def narrow_shot(self, name: str) -> None:
        """The same screen 800 px wide, where the console's two columns fold into one."""
        self.page.set_viewport_size({"width": 800, "height": 1000})
        self.shot(f"{name}_800")
        self.page.set_viewport_size(VIEWPORT)

    def call(self) -> Call:
        return Call.objects.select_related("cart__customer").get(pk=int(CALL_PAGE.search(self.page.url).group(1)))

    def on_next_call(self, customer: str) -> Call:
        """The next cart's page is open (after "Save and take the next cart"): mark the window."""
        self.page.wait_for_url(CALL_PAGE)
        self.page.wait_for_selector("#step h2:has-text('1 · Opening')")
        call = self.call()
        assert call.cart.customer.first_name == customer
        self.page.evaluate("(id) => { window.hourMark = id; }", call.pk)
        return call

    def not_reloaded(self, call: Call) -> None:
        assert self.page.evaluate("window.hourMark") == call.pk, "the call page was reloaded"

    def dial(self) -> Call:
        self.page.keyboard.press("d")
        self.page.wait_for_selector("#line-state")
        call = self.call()
        assert call.provider_sid.startswith("CA")
        return call

    def line(self, call: Call, status: str, **extra: str) -> None:
        line_event(self.url, auth_token=AUTH_TOKEN, parent_sid=call.provider_sid, status=status, **extra)

    def connected(self, call: Call, answered_by: str = "human") -> None:
        self.line(call, "ringing")
        self.line(call, "in-progress", AnsweredBy=answered_by)
        self.page.wait_for_selector("#line-state:has-text('Connected')")

    def talk(self, call: Call, seconds: int) -> None:
        """The customer talks `seconds`, then hangs up: Twilio's completed callback with its duration."""
        self.clock.shift(timedelta(seconds=seconds))
        self.line(call, "completed", CallDuration=str(seconds))
        self.page.wait_for_selector("#line-state:has-text('Call ended (completed)')")

    def step(self, heading: str) -> None:
        self.page.wait_for_selector(f"#step h2:has-text('{heading}')")

    def disposition_checked(self) -> str:
        return self.page.locator("#step input[name=disposition]:checked").get_attribute("value")

    def save_and_next(self, call: Call, *, wrap_up_seconds: int) -> None:
        self.clock.shift(timedelta(seconds=wrap_up_seconds))
        self.not_reloaded(call)
        self.page.click("#wrap-up-next")


def test_an_agents_hour_ten_carts_every_outcome_no_reload(console, agent, hour, live_server,
                                                          still_calling_hours_clock, evidence):
    page, clock = console, still_calling_hours_clock
    me = Hour(page, live_server, clock, evidence)
    page.goto("/agent/")
    page.fill("input[name=username]", "maya")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#next-cart")
    page.click("#next-cart")

    # 1. Ada: reached and recovered, paid on the store's terminal; "Recovered" is preselected
    ada = me.on_next_call("Ada")
    ada = me.dial()
    me.connected(ada)
    me.shot("connected_talk_timer")
    assert page.locator("#talk-timer").is_visible()
    page.keyboard.press("1")
    page.keyboard.press("Control+Enter")
    me.step("2 · Friction")
    page.keyboard.press("1")
    page.keyboard.press("Control+Enter")
    me.step("3 · Objections")
    page.locator("#step input[name=offered]").first.check()
    page.check("#step input[name=resolved][value=yes]")
    page.click("#step-submit")
    me.step("4 · Value")
    page.keyboard.press("Control+Enter")
    me.step("5 · Completion")
    page.click("#step summary:has-text('Payment taken by phone')")
    page.fill("#step input[name=reference]", "TERM-88412")
    page.click("#record-payment")
    page.wait_for_selector("#step-notice:has-text('Payment recorded; the cart is recovered.')")
    me.step("Wrap-up")
    assert me.disposition_checked() == "recovered"
    me.talk(ada, 240)
    page.wait_for_selector("#wrap-up-timer")
    me.shot("recovered_wrap_up_timers")
    me.save_and_next(ada, wrap_up_seconds=30)

    # 2. Ben: rings out; the line says "no answer", the opening and the wrap-up start from it
    ben = me.on_next_call("Ben")
    ben = me.dial()
    me.line(ben, "ringing")
    me.line(ben, "no-answer", CallDuration="0")
    page.wait_for_selector("#line-state:has-text('Call ended (no-answer)')")
    page.keyboard.press("w")  # the agent ends the call: the wrap-up starts from what the line said
    me.step("Wrap-up")
    assert me.disposition_checked() == "no_answer"
    me.shot("no_answer_from_the_line")
    me.save_and_next(ben, wrap_up_seconds=5)

    # 3. Cleo: a machine answers (Twilio's AMD); the agent leaves a voicemail and ends the call
    cleo = me.on_next_call("Cleo")
    cleo = me.dial()
    me.connected(cleo, answered_by="machine_end_beep")
    assert "machine_end_beep" in page.locator("#line-state").inner_text()
    clock.shift(timedelta(seconds=20))
    page.keyboard.press("w")
    me.step("Wrap-up")
    assert me.disposition_checked() == "voicemail"
    page.wait_for_selector("#line-state:has-text('Call ended (completed)')")
    me.shot("machine_voicemail")
    me.save_and_next(cleo, wrap_up_seconds=10)

    # 4. Dev: busy
    dev = me.on_next_call("Dev")
    dev = me.dial()
    me.line(dev, "busy", CallDuration="0")
    page.wait_for_selector("#line-state:has-text('Call ended (busy)')")
    page.keyboard.press("w")
    me.step("Wrap-up")
    assert me.disposition_checked() == "busy"
    me.save_and_next(dev, wrap_up_seconds=5)

    # 5. Eva: reached, then hangs up at step 2; "Call ended → wrap-up" without inventing a friction or an offer
    eva = me.on_next_call("Eva")
    eva = me.dial()
    me.connected(eva)
    page.keyboard.press("1")
    page.keyboard.press("Control+Enter")
    me.step("2 · Friction")
    me.talk(eva, 35)
    me.shot("hung_up_at_step_2")
    me.narrow_shot("hung_up_at_step_2")
    page.keyboard.press("w")
    me.step("Wrap-up")
    assert page.locator("#ended-at-step").inner_text() == "The call ended at step 2 · Friction."
    page.click("#step label.option:has-text('Not interested')")
    me.shot("hung_up_at_step_2_wrap_up")
    me.save_and_next(eva, wrap_up_seconds=20)

    # 6. Finn: asks not to be called; the effect shows at once, permanent, and the compliance panel follows
    finn = me.on_next_call("Finn")
    assert "may be called now" in page.locator("#compliance-status").inner_text()
    finn = me.dial()
    me.connected(finn)
    page.click("#step label.option:has-text('Asked not to be called')")
    page.click("#step-submit")
    me.step("Wrap-up")
    page.wait_for_selector("#compliance-status:has-text('Do not contact: asked on the call, 18 Nov 15:')")
    assert "may be called now" not in page.locator("#compliance-status").inner_text()
    assert "This is permanent" in page.locator("#optout-effect").inner_text()
    assert me.disposition_checked() == "do_not_call"
    me.shot("opt_out_effect")
    me.narrow_shot("opt_out_effect")
    me.talk(finn, 15)
    me.save_and_next(finn, wrap_up_seconds=15)

    # 7. Gus: asks for a callback, booked in his zone from the list; "Callback scheduled" is preselected
    gus = me.on_next_call("Gus")
    gus = me.dial()
    me.connected(gus)
    page.click("#step label.option:has-text('Asked for a callback')")
    page.click("#step-submit")
    me.step("5 · Completion")
    assert page.locator("#step select[name=timezone]").input_value() == NEW_YORK
    tomorrow = (timezone.now().astimezone(ZoneInfo(NEW_YORK)) + timedelta(days=1)).date()
    page.fill("#step input[name=local_time]", f"{tomorrow:%Y-%m-%d}T11:00")
    me.shot("callback_time_zone_list")
    page.click("#book-callback")
    me.step("Wrap-up")
    assert me.disposition_checked() == "callback"
    me.talk(gus, 60)
    me.save_and_next(gus, wrap_up_seconds=25)

    # 8. Hana: reached, the link emailed; "Link sent" is preselected at the wrap-up
    hana = me.on_next_call("Hana")
    hana = me.dial()
    me.connected(hana)
    page.keyboard.press("1")
    page.keyboard.press("Control+Enter")
    me.step("2 · Friction")
    page.keyboard.press("1")
    page.keyboard.press("Control+Enter")
    me.step("3 · Objections")
    page.locator("#step input[name=offered]").first.check()
    page.check("#step input[name=resolved][value=yes]")
    page.click("#step-submit")
    me.step("4 · Value")
    page.keyboard.press("Control+Enter")
    me.step("5 · Completion")
    page.click("#send-link-email")
    page.wait_for_selector("#step-notice:has-text('Checkout link sent by email.')")
    me.talk(hana, 180)
    page.click("#step-submit:has-text('Go to wrap-up')")
    me.step("Wrap-up")
    assert me.disposition_checked() == "link_sent"
    me.shot("link_sent_preselected")
    me.save_and_next(hana, wrap_up_seconds=40)

    # 9. Ivo: the line fails
    ivo = me.on_next_call("Ivo")
    ivo = me.dial()
    me.line(ivo, "failed", CallDuration="0")
    page.wait_for_selector("#line-state:has-text('Call ended (failed)')")
    page.keyboard.press("w")
    me.step("Wrap-up")
    assert me.disposition_checked() == "failed"
    me.save_and_next(ivo, wrap_up_seconds=5)

    # 10. Juno: passed; "Not called" preselected, dialing closed, a reason from the list, and not handed back
    juno = me.on_next_call("Juno")
    page.click("#pass-cart")
    me.step("Wrap-up")
    page.wait_for_selector("#line-state:has-text('Passed: not to be dialed')")
    assert page.locator("#dial").count() == 0
    assert me.disposition_checked() == "not_called"
    page.click("#step label.option:has-text('Already ordered')")
    me.shot("pass_reason")
    me.narrow_shot("pass_reason")
    me.not_reloaded(juno)
    page.click("#wrap-up-home")
    page.wait_for_url("**/agent/")
    assert page.locator("#agent-status").inner_text() == "Away"  # "Save and stop": not flagged idle
    page.click("#status-available")
    page.click("#next-cart")
    page.wait_for_selector("text=No cart may be called right now")
    me.shot("home_nothing_handed_back")

    # then every call's outcome, end, and handle time are the line's
    calls = {call.cart.customer.first_name: call for call in Call.objects.select_related("cart__customer")}
    assert {name: call.disposition for name, call in calls.items()} == {
        "Ada": "recovered", "Ben": "no_answer", "Cleo": "voicemail", "Dev": "busy", "Eva": "not_interested",
        "Finn": "do_not_call", "Gus": "callback", "Hana": "link_sent", "Ivo": "failed", "Juno": "not_called"}
    assert all(call.wrapped_up_at for call in calls.values())
    dialed = {name: call for name, call in calls.items() if name != "Juno"}
    assert all(call.line_ended and call.ended_at for call in dialed.values())
    assert {name: (call.talk_seconds, call.after_call_seconds) for name, call in dialed.items()} == {
        "Ada": (240, 30), "Ben": (0, 5), "Cleo": (20, 10), "Dev": (0, 5), "Eva": (35, 20), "Finn": (15, 15),
        "Gus": (60, 25), "Hana": (180, 40), "Ivo": (0, 5)}
    assert calls["Eva"].ended_at_step == Call.Step.FRICTION and calls["Eva"].frictions.count() == 0
    assert calls["Juno"].pass_reason == "already_ordered" and calls["Juno"].attempt is None
    assert Cart.objects.get(pk=hour["Juno"].pk).passed_by_id == agent.pk
    assert Cart.objects.get(pk=hour["Ada"].pk).status == "recovered"
    assert OptOut.objects.filter(phone="+12125550106").exists() and Callback.objects.get().cart == hour["Gus"]

    rollups_refresh(now=timezone.now())
    (row,) = leaderboard(Window.last(1, now=timezone.now()))
    assert row.handle_minutes == pytest.approx((240 + 30 + 5 + 30 + 5 + 55 + 30 + 85 + 220 + 5) / 9 / 60)
