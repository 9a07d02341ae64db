"""Helpers for the browser tests of the call console (their fixtures are in conftest.py): where the customers
live, a cart the queue hands out and the gate lets the agent call, signing in, waiting for a step."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from compliance.services import check_contact
from compliance.services.hours import calling_hours_check, recipient_locations
from recovery.models import Cart, CartLineItem
from tests.factories import CartFactory, CustomerFactory

PASSWORD = "console-e2e-pw"
CALL_PAGE = re.compile(r"/agent/calls/(\d+)/$")
# A test must stay inside calling hours from start to end (each takes well under a minute on the ticking clock).
HOURS_MARGIN = timedelta(minutes=10)

# Where the customers live: (country, region, two numbers).
NEW_YORK = ("US", "NY", "+12125550181", "+12125550182")


@dataclass(frozen=True)
class Place:
    country: str
    region: str
    phones: tuple[str, str]
    timezone: str  # the customer's zone as the console shows it


def place_in_calling_hours(now: datetime) -> Place:
    """New York, once both numbers are known to be callable from now until the margin has passed (the premise of
    every journey here: a frozen clock outside calling hours fails loudly instead of emptying the queue)."""
    country, region, *phones = NEW_YORK
    zones = set()
    for phone in phones:
        locations = recipient_locations(phone=phone, country=country, region=region)
        assert locations and all(calling_hours_check(locations=locations, at=at).allowed
                                 for at in (now, now + HOURS_MARGIN)), f"{phone} may not be called at {now:%c} UTC"
        zones.add(locations[0].timezone)
    (zone,) = zones
    return Place(country=country, region=region, phones=tuple(phones), timezone=zone)


def callable_cart(store, place: Place, *, phone: str, first_name: str, email: str, score: int,
                  item: str, price: str) -> Cart:
    now = timezone.now()
    customer = CustomerFactory(store=store, first_name=first_name, phone=phone, country=place.country,
                               region=place.region, email=email, accepts_sms_marketing=False)
    cart = CartFactory(store=store, customer=customer, route="call_first", priority_score=score,
                       priority_reason=f"Call first: ${price} cart, payment declined at checkout",
                       total_value=Decimal(price), payment_failed=True, abandoned_at=now - timedelta(minutes=5),
                       platform_created_at=now - timedelta(minutes=20),
                       checkout_url=f"https://demo-store.myshopify.com/checkouts/{first_name.lower()}/recover")
    CartLineItem.objects.create(cart=cart, title=item, quantity=1, unit_price=Decimal(price))
    decision = check_contact(channel="voice", store=store, phone=phone, customer=customer, cart=cart, audit=False)
    assert decision.allowed, decision.explanations
    return cart


def sign_in(page, username: str) -> None:
    page.goto("/agent/")
    page.wait_for_selector("h1:has-text('Log in')")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/agent/")
    page.wait_for_selector("#next-cart")


def wait_for_step(page, heading: str) -> None:
    page.wait_for_selector(f"#step h2:has-text('{heading}')")


def call_id(page) -> int:
    return int(CALL_PAGE.search(page.url).group(1))


def refusal(page, error_id: str, text: str) -> str:
    """Wait for the refusal `#<error_id>` to say `text` and return what it says."""
    page.wait_for_selector(f"#{error_id}")
    deadline = 50
    while text not in (said := page.locator(f"#{error_id}").inner_text()) and deadline:
        page.wait_for_timeout(100)
        deadline -= 1
    assert text in said, f"#{error_id} says {said!r}, not {text!r}"
    return said


def assert_refused_next_to(page, fields: str, error_id: str, text: str) -> None:
    """The refusal `#<error_id>` says `text` right below the field(s) `fields` (a group's fieldset, an input),
    and every input of them is marked invalid and described by it, so a screen reader reads it with the field."""
    refusal(page, error_id, text)
    assert page.locator(f"#{error_id}").get_attribute("role") == "alert"
    inputs = page.locator(f"{fields} input, {fields} textarea").all() or [page.locator(fields)]
    for field in inputs:
        assert field.get_attribute("aria-invalid") == "true", fields
        assert field.get_attribute("aria-describedby") == error_id, fields
    field_box, error_box = page.locator(fields).bounding_box(), page.locator(f"#{error_id}").bounding_box()
    gap = error_box["y"] - (field_box["y"] + field_box["height"])
    assert 0 <= gap <= 40, f"#{error_id} is {gap}px below {fields}, not next to it"


def evidence(page, folder, name: str, *, at: str | None = None, narrow: bool = False) -> None:
    """Save the screen at 1366x768 (and 800 px wide with `narrow`) as `<name>.png`, scrolled to `at`."""
    original = page.viewport_size
    sizes = [("", {"width": 1366, "height": 768})] + ([("_800", {"width": 800, "height": 900})] if narrow else [])
    for suffix, size in sizes:
        page.set_viewport_size(size)
        if at:
            page.locator(at).first.scroll_into_view_if_needed()
        page.screenshot(path=folder / f"{name}{suffix}.png")
    page.set_viewport_size(original)
