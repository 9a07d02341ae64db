"""A supervisor logs in, reads the headline numbers, filters carts with htmx and opens one; on the call script they
edit their store's value points and see what applies to every store read-only."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from agents.models import AgentProfile, FrictionReason, ValuePoint
from core.access import SUPERVISOR
from recovery.models import Cart
from tests.e2e.helpers import wait_until
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_supervisor_filters_carts_and_opens_one(page, screenshots):
    call_command("seed_demo", verbosity=0)

    page.goto("/")
    page.fill("input[name=username]", "supervisor")
    page.fill("input[name=password]", "demo-supervisor")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Abandoned carts")
    page.screenshot(path=screenshots / "home.png", full_page=True)

    page.click("nav >> text=Carts")
    page.wait_for_selector("#cart-table")
    page.select_option("select[name=status]", "recovered")
    page.wait_for_url("**/carts/?*status=recovered*")
    wait_until(page, "() => !document.querySelector('#cart-table .status-open')")
    shown = page.locator("#cart-table tbody tr .status").all_inner_texts()
    assert shown and set(shown) == {"Recovered"}
    page.screenshot(path=screenshots / "carts-recovered.png", full_page=True)

    page.locator("#cart-table tbody tr a").first.click()
    page.wait_for_selector("text=History")
    assert page.locator(".status-recovered").first.is_visible()
    page.screenshot(path=screenshots / "cart-detail.png", full_page=True)
    assert Cart.objects.filter(status="recovered").exists()


def test_agent_is_refused_the_cart_list(page):
    call_command("seed_demo", verbosity=0)

    page.goto("/login/")
    page.fill("input[name=username]", "agent1")
    page.fill("input[name=password]", "demo-agent-1")
    page.click("button[type=submit]")
    page.wait_for_selector("#console-home")  # an agent lands on the console
    assert page.locator("nav >> text=Carts").count() == 0

    response = page.goto("/carts/")
    assert response.status == 403


def test_a_supervisor_sees_the_shared_frictions_and_every_store_value_points_read_only(page, shopify_store):
    # given: a supervisor of one store, a point of that store and one for every store
    supervisor = UserFactory(username="jordan", role=SUPERVISOR)
    AgentProfile.objects.create(user=supervisor).stores.add(shopify_store)
    own = ValuePoint.objects.create(store=shopify_store, text="Free returns for 60 days")
    everywhere = ValuePoint.objects.create(store=None, text="Price match guarantee")

    # when they open the call script
    page.goto("/login/")
    page.fill("input[name=username]", "jordan")
    page.fill("input[name=password]", "pw")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Abandoned carts")
    page.goto("/agents/script/")

    # then the shared friction reasons show, without a way to change them (their store's own they may add)
    frictions = page.locator("#friction-reasons")
    assert frictions.locator("tbody tr:has-text('Price')").count() >= 1
    assert frictions.locator("a:has-text('Edit')").count() == 0
    assert "set by admins" in page.locator("#friction-read-only").inner_text()

    # and the every-store point is read-only while their store's point can be edited
    points = page.locator("#value-points")
    assert "set by admins" in points.locator(f"tr:has-text('{everywhere.text}')").inner_text()
    assert points.locator(f"tr:has-text('{everywhere.text}') a").count() == 0
    points.locator(f"tr:has-text('{own.text}') a:has-text('Edit')").click()
    page.wait_for_url(f"**/agents/script/value/{own.pk}/")

    # and asking for the every-store point's edit page directly is refused
    assert page.goto(f"/agents/script/value/{everywhere.pk}/").status == 403
    reason = FrictionReason.objects.get(code="price")
    assert page.goto(f"/agents/script/friction/{reason.pk}/").status == 403
