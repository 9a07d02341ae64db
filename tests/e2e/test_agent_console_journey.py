"""An agent works the call console in headless Chromium at 1280x720, by keyboard and mouse.

Path one: sign in, take the next cart, dial, walk the five steps, email the checkout link, hang up, wrap up and
land on the next cart. Path two: the customer asks for a callback, booked in their time zone, listed at home.
Each screen is saved for review in console/ of the screenshots folder (see the `screenshots` fixture).

The customers live in New York, and the clock is frozen at 10:00 there on a weekday, ticking from then
(`calling_hours_clock`): the compliance gate would otherwise keep every cart out of the queue at night.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from agents.models import AgentProfile, Call, Callback
from compliance.models import ContactAttempt
from compliance.services.consent import consent_record
from recovery.models import Customer
from tests.e2e.console_helpers import CALL_PAGE, call_id, callable_cart, sign_in, wait_for_step

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

VIEWPORT = {"width": 1280, "height": 720}


@dataclass
class Screens:
    """Viewport screenshots named `<test>-<nn>-<step>.png`, and which main buttons fall below 1280x720."""

    folder: ClassVar[Path]  # console/ of this run's screenshots folder, set by the `_screens_folder` fixture
    test: str
    count: int = 0
    below_the_fold: list[str] = field(default_factory=list)

    def take(self, page, step: str, *, main: str | None = None) -> None:
        page.evaluate("window.scrollTo(0, 0)")
        self.count += 1
        page.screenshot(path=self.folder / f"{self.test}-{self.count:02d}-{step}.png")
        if main is not None:
            box = page.locator(main).bounding_box()
            fits = box is not None and box["y"] >= 0 and box["y"] + box["height"] <= VIEWPORT["height"] \
                and box["x"] + box["width"] <= VIEWPORT["width"]
            if not fits:
                self.below_the_fold.append(f"{step} ({main} at {box})")

    def report(self) -> None:
        if self.below_the_fold:
            warnings.warn(f"{self.test}: main button not visible at 1280x720 without scrolling: "
                          + "; ".join(self.below_the_fold), stacklevel=2)


@pytest.fixture(autouse=True)
def _screens_folder(screenshots):
    Screens.folder = screenshots / "console"
    Screens.folder.mkdir(exist_ok=True)


def test_an_agent_walks_five_steps_emails_the_link_wraps_up_and_takes_the_next_cart(
        console, agent, place, shopify_store, mailoutbox):
    page, screens = console, Screens("link")
    first = callable_cart(shopify_store, place, phone=place.phones[0], first_name="Jane",
                          email="jane.e2e@example.com", score=90, item="Trail Runner GTX", price="640.00")
    second = callable_cart(shopify_store, place, phone=place.phones[1], first_name="Ravi",
                           email="ravi.e2e@example.com", score=60, item="Summit Jacket", price="310.00")

    # given an agent signed in through the login form
    sign_in(page, "maya")
    assert page.locator("#agent-status").inner_text() == "Available"
    screens.take(page, "home", main="#next-cart")

    # when "Next cart" is clicked (the N key is tested on its own below)
    page.click("#next-cart")
    page.wait_for_url(CALL_PAGE)
    call = Call.objects.get(pk=call_id(page))
    assert call.cart_id == first.pk and call.agent_id == agent.pk
    greeting = page.locator("#step blockquote.say").inner_text()
    assert "Hi Jane, this is Maya from Demo Store" in greeting and "the Trail Runner GTX" in greeting
    assert place.timezone in page.locator("#customer-local-time").inner_text()
    assert "may be called now" in page.locator("#compliance-status").inner_text()
    screens.take(page, "cart", main="#dial")

    # D dials; the simulated line rings, then the customer answers
    page.keyboard.press("d")
    page.wait_for_selector("#line-state:has-text('Connected')")
    screens.take(page, "1-opening-connected", main="#step-submit")

    # step 1: 1 picks "Reached", Ctrl+Enter continues
    page.keyboard.press("1")
    assert page.locator("#step input[name=answer][value=reached]").is_checked()
    page.keyboard.press("Control+Enter")
    wait_for_step(page, "2 · Friction")
    assert page.locator(".stepper li.current").inner_text() == "2. Friction"

    # step 2: one reason by key, one by mouse, a note, then Ctrl+Enter from the note
    page.keyboard.press("2")
    page.click("#step label.option:has-text('Unexpected shipping or taxes')")
    assert page.locator("#step input[value=payment_failed]").is_checked()
    assert page.locator("#step input[value=shipping_costs]").is_checked()
    page.fill("#step textarea[name=notes]", "Card declined twice")
    screens.take(page, "2-friction", main="#step-submit")
    page.focus("#step textarea[name=notes]")
    page.keyboard.press("Control+Enter")
    wait_for_step(page, "3 · Objections")

    # step 3: an offered resolution and "Resolved", by mouse
    assert page.locator("#step label.option:has-text('Suggest another card or a wallet')").is_visible()
    page.click("#step label.option:has-text('Offer a payment link by email or text')")
    page.check("#step input[name=resolved][value=yes]")
    screens.take(page, "3-objections", main="#step-submit")
    page.click("#step-submit")
    wait_for_step(page, "4 · Value")

    # step 4: a value point by key
    page.keyboard.press("1")
    assert page.locator("#step input[name=used]").first.is_checked()
    screens.take(page, "4-value", main="#step-submit")
    page.keyboard.press("Control+Enter")
    wait_for_step(page, "5 · Completion")
    screens.take(page, "5-completion", main="#send-link-email")

    # step 5: email the checkout link
    page.click("#send-link-email")
    page.wait_for_selector("#step-notice:has-text('Checkout link sent by email')")
    assert page.locator("#step .tag.ok").inner_text() == "sent by email"
    (email,) = mailoutbox
    assert email.to == ["jane.e2e@example.com"] and first.checkout_url in email.body
    screens.take(page, "5-link-sent", main="#step-submit")

    # H hangs up, W goes to the wrap-up
    page.keyboard.press("h")
    page.wait_for_selector("#line-state:has-text('Call ended (completed)')")
    page.keyboard.press("w")
    wait_for_step(page, "Wrap-up")
    page.click("#step label.option:has-text('Link sent: customer will complete')")
    page.fill("#step input[name=upsell_value]", "25")
    page.fill("#step textarea[name=notes]", "Will pay tonight")
    screens.take(page, "6-wrap-up", main="#wrap-up-next")

    # then "Save and take the next cart" opens the next cart's call page
    page.click("#wrap-up-next")
    page.wait_for_url(lambda url: (found := CALL_PAGE.search(url)) is not None and int(found.group(1)) != call.pk)
    page.wait_for_selector("#step h2:has-text('1 · Opening')")
    assert "Hi Ravi, this is Maya from Demo Store" in page.locator("#step blockquote.say").inner_text()
    screens.take(page, "next-cart", main="#dial")

    call.refresh_from_db()
    assert call.wrapped_up_at is not None and call.disposition == "link_sent" and call.answer == "reached"
    assert set(call.step_times) == {"1", "2", "3", "4", "5", "6", "7"}
    assert sorted(call.frictions.values_list("code", flat=True)) == ["payment_failed", "shipping_costs"]
    assert call.friction_notes == "Card declined twice" and call.resolved == "yes"
    assert call.offered == ["Offer a payment link by email or text"]
    assert call.value_points_used == ["Free returns within 30 days"]
    assert call.link_sent_by == "email" and call.upsell_value == Decimal("25") and call.notes == "Will pay tonight"
    assert call.line_status == "completed" and call.answered_by == "human" and call.duration_seconds is not None
    attempts = {attempt.channel: attempt for attempt in ContactAttempt.objects.filter(cart=first)}
    assert set(attempts) == {"voice", "email"} and attempts["voice"] == call.attempt
    assert attempts["voice"].outcome == "link_sent" and attempts["voice"].provider_status == "completed"
    assert attempts["email"].outcome == "link_sent" and attempts["email"].agent_id == agent.pk
    first.refresh_from_db()
    assert first.reserved_by is None and first.call_attempts == 1 and first.next_call_at is not None
    following = Call.objects.get(agent=agent, wrapped_up_at__isnull=True)
    assert following.cart_id == second.pk and following.step == Call.Step.OPENING and following.attempt is None
    assert AgentProfile.objects.get(user=agent).status == "on_call"
    screens.report()


def test_n_on_the_agent_home_takes_the_next_cart(console, agent, place, shopify_store):
    cart = callable_cart(shopify_store, place, phone=place.phones[0], first_name="Jane",
                         email="jane.e2e@example.com", score=90, item="Trail Runner GTX", price="640.00")
    sign_in(console, "maya")
    console.keyboard.press("n")
    console.wait_for_url(CALL_PAGE, timeout=3_000)
    assert Call.objects.get(pk=call_id(console)).cart_id == cart.pk


def test_a_customer_asks_for_a_callback_booked_in_their_time_zone(console, agent, place, shopify_store):
    page, screens = console, Screens("callback")
    cart = callable_cart(shopify_store, place, phone=place.phones[0], first_name="Lena",
                         email="lena.e2e@example.com", score=80, item="Espresso Grinder", price="420.00")

    # given an agent on a connected call (mouse only this time)
    sign_in(page, "maya")
    page.click("#next-cart")
    page.wait_for_url(CALL_PAGE)
    call = Call.objects.get(pk=call_id(page))
    assert call.cart_id == cart.pk
    page.click("#dial")
    page.wait_for_selector("#line-state:has-text('Connected')")

    # when the customer asks for a callback
    page.click("#step label.option:has-text('Asked for a callback')")
    screens.take(page, "1-opening-callback", main="#step-submit")
    page.click("#step-submit")
    wait_for_step(page, "5 · Completion")

    # then step 5 opens the callback form in the customer's time zone
    assert page.locator("#step details[open] #book-callback").is_visible()
    assert page.locator("#step select[name=timezone]").input_value() == place.timezone
    assert page.locator("#send-link-email").count() == 0
    screens.take(page, "5-callback-form", main="#book-callback")

    tomorrow = (timezone.now().astimezone(ZoneInfo(place.timezone)) + timedelta(days=1)).date()
    yesterday = tomorrow - timedelta(days=2)
    local_time = f"{tomorrow:%Y-%m-%d} 17:30"
    page.fill("#step input[name=local_time]", f"{yesterday:%Y-%m-%d}T17:30")  # a time gone by is refused on screen
    page.click("#book-callback")
    page.wait_for_selector("#callback-local_time-error:has-text('A callback must be in the future.')")
    assert page.locator("#step input[name=local_time]").input_value() == f"{yesterday:%Y-%m-%d}T17:30"
    assert Callback.objects.count() == 0
    page.fill("#step input[name=local_time]", f"{tomorrow:%Y-%m-%d}T17:30")
    page.click("#book-callback")
    page.wait_for_selector(f"#step-notice:has-text('Callback booked for {local_time} ({place.timezone})')")
    wait_for_step(page, "Wrap-up")
    assert page.locator("#step input[name=disposition][value=callback]").is_checked()
    assert "Callback scheduled" in page.locator("#step label.option:has(input:checked)").inner_text()
    screens.take(page, "6-wrap-up", main="#wrap-up-home")

    page.keyboard.press("h")
    page.wait_for_selector("#line-state:has-text('Call ended (completed)')")
    page.click("#wrap-up-home")
    page.wait_for_url("**/agent/")

    # and "My callbacks" lists it
    row = page.locator("#my-callbacks tbody tr")
    assert row.count() == 1
    # at the customer's time, as agreed, in their zone's words
    assert f"{tomorrow:%b} {tomorrow.day}, 17:30" in row.inner_text() and "Lena" in row.inner_text()
    assert "Demo Store" in row.inner_text()
    screens.take(page, "home-my-callbacks", main="#next-cart")

    callback = Callback.objects.get()
    due = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 17, 30, tzinfo=ZoneInfo(place.timezone))
    assert callback.due_at == due and callback.agent_id == agent.pk and callback.cart_id == cart.pk
    assert (callback.status, callback.customer_timezone, callback.local_time) == ("scheduled", place.timezone,
                                                                                 local_time)
    call.refresh_from_db()
    assert call.disposition == "callback" and call.answer == "callback" and call.wrapped_up_at is not None
    assert set(call.step_times) == {"1", "5", "6", "7"}
    assert call.attempt.outcome == "callback" and call.line_status == "completed"
    assert AgentProfile.objects.get(user=agent).status == "away"  # "Save and stop": the floor won't flag her idle
    screens.report()


def test_where_calls_may_not_be_simulated_dialing_is_refused_on_screen(console, agent, place, shopify_store, settings):
    # given production without voice credentials and without VOICE_BACKEND=offline
    settings.VOICE_OFFLINE_SIMULATION = False
    page, screens = console, Screens("unconfigured-voice")
    cart = callable_cart(shopify_store, place, phone=place.phones[0], first_name="Jane",
                         email="jane.e2e@example.com", score=90, item="Trail Runner GTX", price="640.00")
    sign_in(page, "maya")
    page.click("#next-cart")
    page.wait_for_url(CALL_PAGE)
    assert "calling is not configured" in page.locator("#line").inner_text()

    # when the agent presses D
    page.keyboard.press("d")

    # then the line says why no one was dialed, and nothing was recorded as a call
    page.wait_for_selector("#line p.error:has-text('Calling is not configured: no one can be dialed.')")
    screens.take(page, "dial-refused", main="#dial")
    call = Call.objects.get(pk=call_id(page))
    assert call.cart_id == cart.pk and call.attempt_id is None
    assert not ContactAttempt.objects.filter(cart=cart).exists()
    assert page.locator("#line-state").count() == 0


def test_without_an_sms_provider_texting_the_link_is_refused_on_screen(console, agent, place, shopify_store,
                                                                     settings):
    # given production without Twilio credentials and without SMS_BACKEND=local, and a customer who may be texted
    settings.SMS_BACKEND = "recovery.messaging.backends.UnconfiguredSmsBackend"
    page = console
    cart = callable_cart(shopify_store, place, phone=place.phones[0], first_name="Jane",
                         email="jane.e2e@example.com", score=90, item="Trail Runner GTX", price="640.00")
    Customer.objects.filter(pk=cart.customer_id).update(accepts_sms_marketing=True)
    consent_record(store=shopify_store, channel="sms", granted=True, source="shopify_checkout",
                   phone=place.phones[0], customer=cart.customer, at=timezone.now() - timedelta(minutes=30))
    sign_in(page, "maya")
    page.click("#next-cart")
    page.wait_for_url(CALL_PAGE)
    page.keyboard.press("d")
    page.wait_for_selector("#line-state:has-text('Connected')")
    page.keyboard.press("1")
    page.keyboard.press("Control+Enter")
    wait_for_step(page, "2 · Friction")
    page.keyboard.press("2")
    page.keyboard.press("Control+Enter")
    wait_for_step(page, "3 · Objections")
    page.click("#step label.option:has-text('Offer a payment link by email or text')")
    page.check("#step input[name=resolved][value=yes]")
    page.click("#step-submit")
    wait_for_step(page, "4 · Value")
    page.keyboard.press("1")
    page.keyboard.press("Control+Enter")
    wait_for_step(page, "5 · Completion")

    # when the agent texts the checkout link
    page.click("#send-link-sms")

    # then the step says it was not sent and why, and the record says so too
    page.wait_for_selector("#send_link-errors:has-text('The link was not sent by text')")
    assert "no SMS provider is configured" in page.locator("#send_link-errors").inner_text()
    Screens("unconfigured-sms").take(page, "link-refused", main="#send-link-sms")
    text = ContactAttempt.objects.get(cart=cart, channel="sms")
    assert (text.outcome, text.provider_status) == ("not_sent", "failed")
    assert Call.objects.get(cart=cart).link_sent_by == ""


def test_a_card_number_given_as_the_payment_reference_is_refused_and_cleared_on_screen(console, agent, place,
                                                                                     shopify_store):
    page = console
    cart = callable_cart(shopify_store, place, phone=place.phones[0], first_name="Jane",
                         email="jane.e2e@example.com", score=90, item="Trail Runner GTX", price="640.00")
    # given an agent at step 5 of a connected call
    sign_in(page, "maya")
    page.click("#next-cart")
    page.wait_for_url(CALL_PAGE)
    page.keyboard.press("d")
    page.wait_for_selector("#line-state:has-text('Connected')")
    page.keyboard.press("1")
    page.keyboard.press("Control+Enter")
    wait_for_step(page, "2 · Friction")
    page.keyboard.press("2")
    page.keyboard.press("Control+Enter")
    wait_for_step(page, "3 · Objections")
    page.click("#step label.option:has-text('Offer a payment link by email or text')")
    page.check("#step input[name=resolved][value=yes]")
    page.click("#step-submit")
    wait_for_step(page, "4 · Value")
    page.keyboard.press("Control+Enter")
    wait_for_step(page, "5 · Completion")

    # when the customer's card number is typed as the terminal's reference
    page.click("#step summary:has-text('Payment taken by phone')")
    page.fill("#step input[name=reference]", "4111 1111 1111 1111")
    page.click("#record-payment")

    # then it is refused on screen, the form stays open with the amount kept and the card number gone
    page.wait_for_selector("#paid-reference-error:has-text('That looks like a card number')")
    assert page.locator("#step details[open] #record-payment").is_visible()
    assert page.locator("#step input[name=reference]").input_value() == ""
    assert page.locator("#step input[name=amount]").last.input_value() == "640.00"
    Screens("card-number").take(page, "payment-refused", main="#record-payment")
    assert Call.objects.get(cart=cart).payment_reference == ""

    # and the terminal's reference is accepted
    page.fill("#step input[name=reference]", "TXN-88213")
    page.click("#record-payment")
    page.wait_for_selector("#step-notice:has-text('Payment recorded; the cart is recovered.')")
    wait_for_step(page, "Wrap-up")
    cart.refresh_from_db()
    assert (cart.status, cart.recovered_order_id) == ("recovered", "phone:TXN-88213")
