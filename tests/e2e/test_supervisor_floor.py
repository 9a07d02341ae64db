"""A supervisor acts on the live floor's alerts in headless Chromium while an agent works the console beside them.

The agent signs in and lands on the console; the supervisor sees her day so far and the alerts, sends her a notice
(which her console shows without a reload, and she dismisses), tries to hand her a waiting cart just after she went
to lunch (refused on screen), hands it once she is back (her console tells her; Next cart opens it), and is refused
on screen handing her a second cart, handing a cart the compliance gate refuses, and sending an empty notice.
Screens go to the screenshots folder (`E2E_SCREENSHOT_DIR`), numbered in the journey's order.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from agents.models import AgentProfile
from compliance.models import DncList
from core.access import AGENT, SUPERVISOR
from tests.e2e.helpers import wait_until
from tests.factories import CartFactory, CustomerFactory, UserFactory, add_entry

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDE, NARROW = {"width": 1366, "height": 768}, {"width": 800, "height": 900}
PASSWORD = "floor-e2e-pw"


def waiting_cart(store, phone: str, *, minutes: int):
    """A call-first cart of a New York customer, workable `minutes` ago and never called."""
    now = timezone.now()
    customer = CustomerFactory(store=store, first_name=f"Customer {phone[-2:]}", phone=phone, region="NY")
    return CartFactory(store=store, customer=customer, route="call_first", priority_score=80,
                       workable_since=now - timedelta(minutes=minutes), platform_created_at=now - timedelta(hours=1))


def sign_in(browser, live_server, username: str):
    context = browser.new_context(base_url=live_server.url, viewport=WIDE)
    page = context.new_page()
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def choose(select, value: str) -> None:
    """Pick an agent as a person does: the list has the focus while they choose, which holds the panel's refresh
    (static/js/live.js) until they are done, so the choice is not wiped before the click."""
    select.focus()
    select.select_option(value)


def act(page, button) -> None:
    """Click an alert's button, the last answer cleared first so the next one read is this click's."""
    page.evaluate("document.getElementById('live-result').replaceChildren()")
    button.click()


def refusal(page) -> str:
    page.wait_for_selector("#live-refused")
    return page.locator("#live-refused").inner_text()


def done(page) -> str:
    page.wait_for_selector("#live-done")
    return page.locator("#live-done").inner_text()


def test_a_supervisor_acts_on_the_floors_alerts(browser, live_server, calling_hours_clock, shopify_store,
                                               screenshots):
    folder = screenshots
    # given: a fresh national list, two waiting carts (the second one's number is on it), an agent and her lead
    national = DncList.objects.create(name="national", kind="national",
                                      last_full_import_at=timezone.now() - timedelta(days=1))
    first = waiting_cart(shopify_store, "+12125550171", minutes=12)
    listed = waiting_cart(shopify_store, "+12125550172", minutes=8)
    add_entry(national, "+12125550172")
    maya = UserFactory(username="maya", first_name="Maya", password=PASSWORD, role=AGENT)
    AgentProfile.objects.create(user=maya).stores.add(shopify_store)
    sam = UserFactory(username="sam", first_name="Sam", password=PASSWORD, role=AGENT)
    AgentProfile.objects.create(user=sam, status="available", status_since=timezone.now())
    lead = UserFactory(username="lee", first_name="Lee", password=PASSWORD, role=SUPERVISOR)
    AgentProfile.objects.create(user=lead).stores.add(shopify_store)

    # when the agent signs in, she lands on her console
    agent = sign_in(browser, live_server, "maya")
    assert agent.url.endswith("/agent/")
    calling_hours_clock.shift(timedelta(minutes=3))  # she has been available, without a call, for 3 minutes

    # and her lead opens the live floor
    floor = sign_in(browser, live_server, "lee")
    floor.goto("/dashboards/live/")
    maya_row = floor.locator(f"#live-agent-{maya.pk}")
    assert maya_row.locator("[data-figure=calls]").inner_text() == "0"
    assert "Idle agent" in floor.locator("#live-alerts").inner_text()
    floor.screenshot(path=folder / "01_floor_alerts.png", full_page=True)
    floor.set_viewport_size(NARROW)
    floor.screenshot(path=folder / "02_floor_alerts_800.png", full_page=True)
    floor.set_viewport_size(WIDE)

    # an empty notice is refused on screen
    idle_alert = floor.locator(f"#alert-idle_agent-{maya.pk}")
    act(floor, idle_alert.locator("button:has-text('Send notice')"))
    assert "Write the notice first." in refusal(floor)

    # a notice reaches her console without a reload, and she dismisses it
    floor.locator(f"#alert-idle_agent-{maya.pk} input[name=text]").fill("Please take the next cart, Maya")
    act(floor, floor.locator(f"#alert-idle_agent-{maya.pk} button:has-text('Send notice')"))
    assert "Notice sent to Maya" in done(floor)
    wait_until(agent, "() => document.querySelector('#console-notices').innerText.includes('Please take the next')")
    agent.screenshot(path=folder / "03_console_notice.png", full_page=True)
    agent.locator("#console-notices button:has-text('Dismiss')").click()
    wait_until(agent, "() => !document.querySelector('#console-notices').innerText.includes('Please take')")

    # she goes to lunch while her lead's screen still offers her: the hand-off is refused on screen
    floor.reload()
    hand_first = floor.locator(f"#alert-five_minute_rule-{first.pk}")
    hand_first.locator("select[name=agent]").focus()  # the floor waits while the supervisor is choosing
    choose(hand_first.locator("select[name=agent]"), str(maya.pk))
    agent.click("#away-lunch")
    agent.wait_for_selector("#agent-status:has-text('Away (lunch)')")
    act(floor, hand_first.locator("button:has-text('Hand over')"))
    assert "Maya has gone away (lunch): choose an available agent." in refusal(floor)
    assert "Lunch" in floor.locator(f"#live-agent-{maya.pk}").inner_text()
    floor.screenshot(path=folder / "04_floor_refused_away.png", full_page=True)

    # back from lunch, the cart is handed to her: her console tells her, and Next cart opens it
    agent.click("#status-available")
    agent.wait_for_selector("#agent-status:has-text('Available')")
    floor.reload()
    hand_first = floor.locator(f"#alert-five_minute_rule-{first.pk}")
    choose(hand_first.locator("select[name=agent]"), str(maya.pk))
    act(floor, hand_first.locator("button:has-text('Hand over')"))
    assert f"Cart {first.pk} handed to Maya" in done(floor)
    assert "held by Maya" in floor.locator(f"#alert-five_minute_rule-{first.pk}").inner_text()
    floor.screenshot(path=folder / "05_floor_handed.png", full_page=True)
    wait_until(agent, "() => document.querySelector('#console-notices').innerText.includes('handed you')")
    agent.screenshot(path=folder / "06_console_handed.png", full_page=True)

    # a second cart for her is refused: she holds one already
    hand_listed = floor.locator(f"#alert-five_minute_rule-{listed.pk}")
    choose(hand_listed.locator("select[name=agent]"), str(maya.pk))
    act(floor, hand_listed.locator("button:has-text('Hand over')"))
    assert "Maya already holds a cart" in refusal(floor)

    # and the gate refuses the listed customer, whoever would call
    choose(floor.locator(f"#alert-five_minute_rule-{listed.pk} select[name=agent]"), str(sam.pk))
    act(floor, floor.locator(f"#alert-five_minute_rule-{listed.pk} button:has-text('Hand over')"))
    assert "The compliance gate does not allow calling this customer now" in refusal(floor)
    floor.screenshot(path=folder / "07_floor_refused_gate.png", full_page=True)

    # she takes the handed cart
    agent.click("#next-cart")
    agent.wait_for_url(re.compile(r"/agent/calls/\d+/$"))
    assert "Customer 71" in agent.locator("h1").inner_text()
    agent.screenshot(path=folder / "08_console_call.png", full_page=True)
