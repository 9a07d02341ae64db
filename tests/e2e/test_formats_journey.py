"""A supervisor in Los Angeles reads the decision log, the live floor and a cart: numbers in their national format
(E.164 on hover and when copied), money with its currency and grouping, times in the browser's zone with the
customer's own time beside them where it matters; and finds a number in the log typed as people type it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from agents.models import Callback
from compliance.models import ContactDecision
from core.access import ADMIN
from recovery.models import CartLineItem
from tests.e2e.helpers import wait_until
from tests.factories import CartFactory, CustomerFactory, StoreFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

VIEWER_ZONE = "America/Los_Angeles"


@pytest.fixture
def viewer(browser, live_server):
    """A page whose browser runs in Los Angeles (the clock is CALLING_HOURS: 07:00 PST, 10:00 EST)."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 768},
                                  timezone_id=VIEWER_ZONE)
    yield context.new_page()
    context.close()


@pytest.fixture
def floor(calling_hours_clock):
    """A New York customer's cart with a callback due, two decisions about numbers, and an admin."""
    now = timezone.now()
    store = StoreFactory(name="Demo E-Bikes", shop_domain="ebikes.myshopify.com", timezone="America/New_York")
    customer = CustomerFactory(store=store, first_name="Liam", last_name="Miller", phone="+14155550101")
    cart = CartFactory(store=store, customer=customer, total_value=Decimal("2697.00"),
                       abandoned_at=now - timedelta(hours=2))
    CartLineItem.objects.create(cart=cart, title="Trail e-bike", quantity=1, unit_price=Decimal("2499.00"))
    CartLineItem.objects.create(cart=cart, title="Helmet", quantity=1, unit_price=Decimal("198.00"))
    admin = UserFactory(username="alex", first_name="Alex", role=ADMIN)
    Callback.objects.create(cart=cart, agent=admin, due_at=now + timedelta(minutes=5),
                            customer_timezone="America/New_York", local_time="2026-11-18 10:05")
    ContactDecision.objects.create(
        at=now - timedelta(minutes=3), channel="voice", store=store, phone="+14155550101", allowed=True,
        requester="agent:maya", basis="ebr_inquiry", recipient_timezones=["America/New_York"])
    ContactDecision.objects.create(
        at=now - timedelta(minutes=2), channel="voice", store=store, phone="+442079460958", allowed=False,
        requester="agent:maya", reasons=["dnc_uk_tps"], explanations=["The number is on the UK TPS (tps, v1)."],
        recipient_timezones=["Europe/London"])
    return cart


def log_in(page) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", "alex")
    page.fill("input[name=password]", "pw")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Abandoned carts")


def copied(page, selector: str) -> str:
    """What copying the text of `selector` puts on the clipboard (a copy event, as the browser sends one)."""
    return page.evaluate("""(selector) => {
        const range = document.createRange();
        range.selectNodeContents(document.querySelector(selector));
        document.getSelection().removeAllRanges();
        document.getSelection().addRange(range);
        const event = new ClipboardEvent("copy", {clipboardData: new DataTransfer(), bubbles: true, cancelable: true});
        document.querySelector(selector).dispatchEvent(event);
        document.getSelection().removeAllRanges();
        return event.clipboardData.getData("text/plain");
    }""", selector)


def test_the_decision_log_shows_numbers_words_and_times_as_people_read_them(viewer, floor, screenshots):
    page = viewer
    log_in(page)

    page.goto("/compliance/decisions/")
    table = page.locator("#decision-table")
    us_row, uk_row = table.locator("tbody tr").nth(1), table.locator("tbody tr").nth(0)
    # the browser's zone is the viewer's; the recipient's own time beside it
    assert us_row.locator("td").nth(0).inner_text().startswith("Nov 18, 06:57 PST")
    assert "Nov 18, 09:57 EST in New York" in us_row.locator("td").nth(0).inner_text()
    assert "14:58 GMT in London" in uk_row.locator("td").nth(0).inner_text()
    # numbers in their country's national format, E.164 on hover and when copied
    assert us_row.locator(".phone").inner_text() == "(415) 555-0101"
    assert us_row.locator(".phone").get_attribute("title") == "+14155550101"
    assert uk_row.locator(".phone").inner_text() == "020 7946 0958"
    assert copied(page, "#decision-table tbody tr:nth-child(2) .phone") == "+14155550101"
    # codes in words
    assert us_row.locator(".basis").inner_text() == "Established business relationship (inquiry)"
    assert "On the UK TPS list" in uk_row.inner_text()
    page.screenshot(path=screenshots / "01_decision_log.png", full_page=True)

    # a number typed as people type it finds its E.164 form, while it is being typed
    page.fill("input[name=q]", "(415) 555-0101")
    wait_until(page, "() => document.querySelectorAll('#decision-table tbody tr').length === 1")
    assert page.locator("#decision-table tbody tr .phone").inner_text() == "(415) 555-0101"
    assert "q=(415)%20555-0101" in page.url  # the search is in the address, to share or reload
    page.screenshot(path=screenshots / "02_decision_log_search.png", full_page=True)
    page.set_viewport_size({"width": 800, "height": 768})
    page.screenshot(path=screenshots / "03_decision_log_800.png", full_page=True)


def test_the_live_floor_and_a_cart_show_money_numbers_and_local_times(viewer, floor, screenshots):
    page = viewer
    log_in(page)

    page.goto("/dashboards/live/")
    updated = page.locator("#live-updated").inner_text()
    assert updated.startswith("Updated 07:") and updated.endswith("PST")
    callback = page.locator("#live-callbacks li").first.inner_text()
    assert callback.startswith("Nov 18, 07:05 PST") and "Nov 18, 10:05 EST in New York" in callback
    page.screenshot(path=screenshots / "04_live_floor.png", full_page=True)

    page.goto(f"/carts/{floor.pk}/")
    details = page.locator("dl").first.inner_text()
    assert "$2,697.00" in details
    assert "Nov 18, 05:00 PST" in details  # abandoned two hours ago, in the viewer's zone
    assert page.locator("td.num", has_text="$2,499.00").count() == 1
    assert page.locator("td.num", has_text="$198.00").count() == 1
    assert page.locator(".phone").first.inner_text() == "(415) 555-0101"
    assert copied(page, ".phone") == "+14155550101"
    page.screenshot(path=screenshots / "05_cart_detail.png", full_page=True)

    page.goto("/carts/")
    row = page.locator(f"#cart-{floor.pk}").inner_text()
    assert "$2,697.00" in row and "USD" not in row
    page.screenshot(path=screenshots / "06_cart_list.png", full_page=True)
