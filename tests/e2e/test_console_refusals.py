"""Every refusal the call console can give, walked in headless Chromium: each shows on screen next to the field
it is about (or beside the buttons it concerns), marked `aria-invalid` and pointed to by `aria-describedby`,
with what the agent typed kept, except a card number, which is cleared. And the keys: Ctrl+Enter continues (on
step 5 to the wrap-up, never "Text the link"), options past the ninth and "Resolved" have keys of their own.

The refusals, by where they show:
- opening: no answer chosen; an answer before the customer was dialed;
- friction: no reason picked;
- objections: "did it resolve?" unanswered; nothing offered (no suggestion ticked, "Something else" empty);
- completion: the invoice's amount missing, not an amount, not above zero; the payment's amount and reference
  missing, a card number as the reference; the callback's time missing, in the past, one the clocks skip, an
  unknown zone; the link the gate does not let out;
- wrap-up: no disposition; a negative or unreadable upsell value; a pass without a reason;
- the line: the gate's no to a dial, a call dialed already, a cart passed, calls that go through the browser
  phone, a call wrapped up; a pass after the call was dialed;
- a screen left open: going back to a step not yet done, acting on a call wrapped up since.

Screens are saved as `NN_name.png` in the screenshots folder (`E2E_SCREENSHOT_DIR`).
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from agents.models import Call, Callback, DraftOrder, FrictionReason
from compliance.models import ContactAttempt, OptOut
from compliance.models.choices import OptOutScope
from compliance.services.consent import consent_record
from compliance.services.optouts import optout_record
from recovery.models import Customer, RecoveryMessage
from tests.e2e.console_helpers import (
    CALL_PAGE,
    assert_refused_next_to,
    call_id,
    callable_cart,
    evidence,
    refusal,
    sign_in,
    wait_for_step,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CARD = "4111 1111 1111 1111"  # a test card number: passes the Luhn check
ANSWERS = "#step fieldset:has(input[name=answer])"
FRICTIONS = "#step fieldset:has(input[name=friction])"
RESOLVED = "#step fieldset:has(input[name=resolved])"
DISPOSITIONS = "#step fieldset:has(input[name=disposition])"


@pytest.fixture
def cart(place, shopify_store):
    return callable_cart(shopify_store, place, phone=place.phones[0], first_name="Jane",
                         email="jane.e2e@example.com", score=90, item="Trail Runner GTX", price="640.00")


def open_call(page) -> Call:
    sign_in(page, "maya")
    page.click("#next-cart")
    page.wait_for_url(CALL_PAGE)
    return Call.objects.get(pk=call_id(page))


def dial(page) -> None:
    page.keyboard.press("d")
    page.wait_for_selector("#line-state:has-text('Connected')")


def to_completion(page) -> None:
    """From a connected opening to step 5, by keyboard: reached, a reason, an offer resolved, no value point."""
    page.keyboard.press("1")
    page.keyboard.press("Control+Enter")
    wait_for_step(page, "2 · Friction")
    page.keyboard.press("2")
    page.keyboard.press("Control+Enter")
    wait_for_step(page, "3 · Objections")
    page.keyboard.press("1")
    page.keyboard.press("r")
    page.keyboard.press("Control+Enter")
    wait_for_step(page, "4 · Value")
    page.keyboard.press("Control+Enter")
    wait_for_step(page, "5 · Completion")


def focused(page, name: str) -> bool:
    """Whether the field named `name` has the focus, within a second (htmx settles the swap a moment after)."""
    for _ in range(20):
        if page.evaluate("document.activeElement && document.activeElement.name") == name:
            return True
        page.wait_for_timeout(50)
    return False


def test_the_first_three_steps_say_each_refusal_next_to_its_field_and_keep_what_was_typed(
        console, agent, cart, screenshots):
    page = console
    call = open_call(page)

    # opening, no answer chosen: said next to the answers (the browser's own check does not swallow it)
    page.click("#step-submit")
    assert_refused_next_to(page, ANSWERS, "step-answer-error", "Choose how the call went.")
    assert focused(page, "answer")
    evidence(page, screenshots, "01_opening_no_answer", at="#step-answer-error", narrow=True)

    # an answer before dialing: said beside the Continue button it concerns, the answer kept
    page.keyboard.press("1")
    page.keyboard.press("Control+Enter")
    refusal(page, "step-errors", "Dial the customer first")
    assert page.locator("#step-submit").get_attribute("aria-describedby") == "step-errors"
    assert page.locator("#step input[name=answer][value=reached]").is_checked()
    evidence(page, screenshots, "02_opening_not_dialed", at="#step-errors")

    # friction, no reason picked: said under the reasons, the note kept
    dial(page)
    page.keyboard.press("Control+Enter")
    wait_for_step(page, "2 · Friction")
    page.fill("#step textarea[name=notes]", "Card declined twice")
    page.keyboard.press("Control+Enter")
    assert_refused_next_to(page, FRICTIONS, "step-friction-error", "Pick at least one reason")
    assert page.locator(FRICTIONS).get_attribute("aria-describedby") == "step-friction-error"
    assert page.locator("#step textarea[name=notes]").input_value() == "Card declined twice"
    evidence(page, screenshots, "03_friction_empty_submit", at="#step-friction-error", narrow=True)

    # the tenth and eleventh reasons have keys too: 0 and A
    reasons = page.locator("#step input[name=friction]")
    assert reasons.count() == FrictionReason.objects.filter(is_active=True).count() > 10
    labels = page.locator("#step label.option kbd").all_inner_texts()
    assert labels[9:11] == ["0", "A"]
    page.keyboard.press("0")
    page.keyboard.press("a")
    tenth, eleventh = reasons.nth(9), reasons.nth(10)
    assert tenth.is_checked() and eleventh.is_checked()
    picked = sorted([tenth.get_attribute("value"), eleventh.get_attribute("value")])
    page.keyboard.press("Control+Enter")
    wait_for_step(page, "3 · Objections")
    assert sorted(Call.objects.get(pk=call.pk).frictions.values_list("code", flat=True)) == picked

    # objections, "did it resolve?" unanswered: said under that choice
    page.keyboard.press("Control+Enter")
    assert_refused_next_to(page, RESOLVED, "step-resolved-error", "Say whether the objection was resolved.")

    # R picks "Resolved"; nothing offered: said under "Something else", where the cursor now is
    assert page.locator(f"{RESOLVED} kbd").all_inner_texts() == ["R", "P", "U"]
    page.keyboard.press("r")
    assert page.locator("#step input[name=resolved][value=yes]").is_checked()
    page.keyboard.press("Control+Enter")
    assert_refused_next_to(page, "#step input[name=other_offer]", "step-other_offer-error",
                           "Note what you offered")
    assert page.locator("#step input[name=resolved][value=yes]").is_checked()
    assert focused(page, "other_offer")
    evidence(page, screenshots, "04_objections_nothing_offered", at="#step-other_offer-error", narrow=True)
    page.keyboard.type("Free delivery on the second pair")
    page.keyboard.press("Control+Enter")
    wait_for_step(page, "4 · Value")
    call.refresh_from_db()
    assert (call.offered, call.resolved) == (["Free delivery on the second pair"], "yes")


def test_step_five_says_each_refusal_next_to_its_field_and_clears_a_card_number(console, agent, cart, screenshots):
    page = console
    call = open_call(page)
    dial(page)
    to_completion(page)

    # the invoice: an amount missing, not an amount, not above zero
    page.click("#step summary:has-text('Create an invoice')")
    amount = "#step form[action$='/invoice/'] input[name=amount]"
    for typed, said in (("", "The invoice needs an amount above zero."), ("abc", "“abc” is not an amount."),
                        ("0", "The invoice needs an amount above zero.")):
        page.fill(amount, typed)
        page.click("#create-invoice")
        assert_refused_next_to(page, amount, "invoice-amount-error", said)
        assert page.locator(amount).input_value() == typed
    assert not DraftOrder.objects.exists()

    # the payment taken by phone: amount and reference missing, then no amount, then a card number
    page.click("#step summary:has-text('Payment taken by phone')")
    paid_amount, reference = "#step form[action$='/paid/'] input[name=amount]", "#step input[name=reference]"
    page.fill(paid_amount, "")
    page.click("#record-payment")
    assert_refused_next_to(page, paid_amount, "paid-amount-error", "Enter the amount taken.")
    assert_refused_next_to(page, reference, "paid-reference-error", "Enter the payment terminal's reference.")
    page.fill(paid_amount, "0")
    page.fill(reference, "TXN-1")
    page.click("#record-payment")
    page.wait_for_selector("#paid-reference-error", state="detached")
    assert_refused_next_to(page, paid_amount, "paid-amount-error", "Enter the amount taken.")
    assert page.locator(reference).input_value() == "TXN-1"
    page.fill(paid_amount, "640.00")
    page.fill(reference, CARD)
    page.click("#record-payment")
    assert_refused_next_to(page, reference, "paid-reference-error", "That looks like a card number")
    assert page.locator(reference).input_value() == "" and page.locator(paid_amount).input_value() == "640.00"
    assert CARD not in page.content()
    evidence(page, screenshots, "05_card_number_refused", at="#paid-reference-error", narrow=True)
    call.refresh_from_db()
    assert call.payment_reference == "" and call.step == Call.Step.COMPLETION

    # the callback: no time, a time past, a time the clocks skip, a zone nobody lives in
    page.click("#step summary:has-text('Schedule a callback')")
    when, zone = "#step input[name=local_time]", "#step select[name=timezone]"
    yesterday = (timezone.now().astimezone(ZoneInfo("America/New_York")) - timedelta(days=1)).date()
    for typed, said in (("", "Give the callback's date and time."),
                        (f"{yesterday:%Y-%m-%d}T17:30", "A callback must be in the future."),
                        ("2027-03-14T02:30", "does not exist or happens twice in America/New_York")):
        page.fill(when, typed)
        page.click("#book-callback")
        assert_refused_next_to(page, when, "callback-local_time-error", said)
        assert page.locator(when).input_value() == typed
        if typed.endswith("17:30"):
            evidence(page, screenshots, "06_callback_in_the_past", at="#callback-local_time-error")
    page.fill(when, "2027-03-15T10:00")
    # the zone is a list; a value off it (a page tampered with, or a list changed since) is refused all the same
    page.locator(zone).evaluate("select => select.add(new Option('Mars/Olympus', 'Mars/Olympus'))")
    page.select_option(zone, "Mars/Olympus")
    page.click("#book-callback")
    assert_refused_next_to(page, zone, "callback-timezone-error", "Choose the customer's time zone from the list.")
    assert page.locator(when).input_value() == "2027-03-15T10:00"
    assert not Callback.objects.exists()

    # the link the gate does not let out: said beside the link's buttons
    optout_record(email=cart.customer.email, scope=OptOutScope.ALL, source=OptOut.Source.ADMIN, store=cart.store)
    page.click("#send-link-email")
    said = refusal(page, "send_link-errors", "The link was not sent by email:")
    assert len(said) > len("The link was not sent by email: ")
    assert page.locator("#send-link-email").get_attribute("aria-describedby") == "send_link-errors"
    evidence(page, screenshots, "07_link_refused_by_the_gate", at="#send_link-errors")
    assert not RecoveryMessage.objects.exists() and Call.objects.get(pk=call.pk).link_sent_by == ""


def test_ctrl_enter_on_step_five_goes_to_the_wrap_up_and_texts_nobody(console, agent, cart, place, screenshots):
    # given a customer who may be texted: "Text the link" is the first button of step 5
    page = console
    Customer.objects.filter(pk=cart.customer_id).update(accepts_sms_marketing=True)
    consent_record(store=cart.store, channel="sms", granted=True, source="shopify_checkout",
                   phone=place.phones[0], customer=cart.customer, at=timezone.now() - timedelta(minutes=30))
    call = open_call(page)
    dial(page)
    to_completion(page)
    assert page.locator("#send-link-sms").is_enabled()

    # when the agent presses Ctrl+Enter ("continue"), from the page and from the invoice's amount
    page.click("#step summary:has-text('Create an invoice')")
    page.focus("#step form[action$='/invoice/'] input[name=amount]")
    page.keyboard.press("Control+Enter")

    # then the call goes to the wrap-up, and no text (nor anything else) went to the customer
    wait_for_step(page, "Wrap-up")
    assert not ContactAttempt.objects.filter(cart=cart).exclude(channel="voice").exists()
    assert not RecoveryMessage.objects.exists() and not DraftOrder.objects.exists()
    call.refresh_from_db()
    assert call.step == Call.Step.WRAP_UP and call.link_sent_by == ""

    # the wrap-up: no disposition, then an upsell value below zero or unreadable
    page.keyboard.press("Control+Enter")
    assert_refused_next_to(page, DISPOSITIONS, "step-disposition-error",
                           "Choose a disposition before taking the next cart.")
    evidence(page, screenshots, "09_wrap_up_no_disposition", at="#step-disposition-error")
    page.click("#step label.option:has-text('Not interested')")
    upsell = "#step input[name=upsell_value]"
    for typed, said in (("-5", "The upsell value cannot be negative."), ("lots", "“lots” is not an amount.")):
        page.fill(upsell, typed)
        page.click("#wrap-up-home")
        assert_refused_next_to(page, upsell, "step-upsell_value-error", said)
        assert page.locator("#step input[name=disposition][value=not_interested]").is_checked()
    page.fill(upsell, "")
    page.click("#wrap-up-home")
    page.wait_for_url("**/agent/")
    assert Call.objects.get(pk=call.pk).disposition == "not_interested"


def test_a_passed_cart_needs_a_reason_and_is_not_dialed_from_a_screen_left_open(console, agent, cart, screenshots):
    page = console
    call = open_call(page)
    stale, later = page.context.new_page(), page.context.new_page()  # the same call, open in two more tabs
    stale.goto(f"/agent/calls/{call.pk}/")
    later.goto(f"/agent/calls/{call.pk}/")

    # the gate's no: the customer asked not to be called since the screen opened
    optout_record(phone=str(cart.customer.phone), scope=OptOutScope.ALL, source=OptOut.Source.ADMIN,
                  store=cart.store)
    page.keyboard.press("d")
    said = refusal(page, "line-error", "Not allowed now:")
    assert len(said) > len("Not allowed now: ")
    evidence(page, screenshots, "08_dial_refused_by_the_gate", at="#line-error")
    assert not ContactAttempt.objects.filter(cart=cart).exists()

    # when the agent passes the cart: the line stops offering to dial, and the wrap-up asks why
    page.click("#pass-cart")
    wait_for_step(page, "Wrap-up")
    page.wait_for_selector("#line-state:has-text('Passed: not to be dialed')")
    assert page.locator("#dial").count() == 0 and page.locator("#pass-cart").count() == 0
    page.keyboard.press("1")  # "Not called (passed)", the one disposition of a call not dialed
    page.keyboard.press("Control+Enter")
    assert_refused_next_to(page, "#pass-reasons", "step-pass_reason-error", "Pick why you pass this cart.")
    evidence(page, screenshots, "10_pass_without_a_reason", at="#step-pass_reason-error")
    # "Other" needs its note
    page.click("#pass-reasons label.option:has-text('Other (note why)')")
    page.keyboard.press("Control+Enter")
    assert_refused_next_to(page, "#step textarea[name=notes]", "step-notes-error",
                           "Say in a note why you pass this cart")

    # then D on the tab left open dials nobody, and says why
    stale.bring_to_front()
    stale.keyboard.press("d")
    refusal(stale, "line-error", "You passed this cart: it is not dialed")
    assert "Passed: not to be dialed" in stale.locator("#line-state").inner_text()
    assert stale.locator("#dial").count() == 0
    evidence(stale, screenshots, "11_dial_a_passed_cart", at="#line-error")
    assert not ContactAttempt.objects.filter(cart=cart).exists()

    # and once wrapped up, a tab left open is told so, whether it dials or moves the script on
    page.bring_to_front()
    page.fill("#step textarea[name=notes]", "Customer already ordered by phone")
    page.click("#wrap-up-home")
    page.wait_for_url("**/agent/")
    later.bring_to_front()
    later.keyboard.press("d")
    refusal(later, "line-error", "This call is already wrapped up.")
    later.click("#step-submit")
    later.wait_for_url("**/agent/")
    later.wait_for_selector(".messages li:has-text('That call is already wrapped up.')")
    assert Call.objects.get(pk=call.pk).disposition == "not_called"


def test_the_line_says_why_a_dial_was_refused(console, agent, cart, settings, screenshots):
    page = console
    call = open_call(page)
    stale = page.context.new_page()  # the same call, open in a second tab
    stale.goto(f"/agent/calls/{call.pk}/")

    # calls that go through the browser phone (its credentials were set since the screen opened)
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC" + "0" * 32, "token"
    settings.TWILIO_API_KEY, settings.TWILIO_API_SECRET, settings.TWILIO_TWIML_APP_SID = "SK1", "secret", "AP1"
    page.keyboard.press("d")
    refusal(page, "line-error", "Calls go through the browser phone; reload the page.")
    settings.TWILIO_ACCOUNT_SID = ""
    page.reload()  # as the refusal says

    # dialed here: the tab left open is told the call was dialed already
    dial(page)
    stale.bring_to_front()
    stale.keyboard.press("d")
    refusal(stale, "line-error", "This call has been dialed already.")
    evidence(stale, screenshots, "12_dialed_already", at="#line-error")
    assert ContactAttempt.objects.filter(cart=cart, channel="voice").count() == 1


def test_a_pass_or_a_step_back_from_a_screen_left_open_is_refused_on_screen(console, agent, cart, screenshots):
    page = console
    call = open_call(page)
    stale = page.context.new_page()
    stale.goto(f"/agent/calls/{call.pk}/")

    # dialed and walked to the objections here
    dial(page)
    page.keyboard.press("1")
    page.keyboard.press("Control+Enter")
    wait_for_step(page, "2 · Friction")
    page.keyboard.press("1")
    page.keyboard.press("Control+Enter")
    wait_for_step(page, "3 · Objections")

    # the tab left open still shows "Pass": passing a dialed call is refused, and its line is redrawn
    stale.bring_to_front()
    stale.click("#pass-cart")
    refusal(stale, "step-error", "This call was dialed: go through the wrap-up.")
    stale.wait_for_selector("#line #hang-up, #line-state")
    assert stale.locator("#pass-cart").count() == 0
    evidence(stale, screenshots, "13_pass_after_dial_refused", at="#step-error")
    assert Call.objects.get(pk=call.pk).step == Call.Step.RESOLUTION

    # going back, from a screen left at the objections, to a step the call is not past any more
    stale.click(".back button")  # now showing the objections; back to the friction
    wait_for_step(stale, "2 · Friction")
    page.bring_to_front()
    page.click(".back button")  # this tab still thinks the call is at the objections
    refusal(page, "step-error", "You can only go back to a step you have done.")
    wait_for_step(page, "2 · Friction")
    assert Call.objects.get(pk=call.pk).step == Call.Step.FRICTION
