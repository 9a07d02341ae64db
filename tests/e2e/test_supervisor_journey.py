"""A supervisor logs in, reads the headline numbers, filters carts with htmx and opens one."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

from recovery.models import Cart
from tests.e2e.conftest import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def test_supervisor_filters_carts_and_opens_one(page):
    call_command("seed_demo", verbosity=0)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    page.goto("/")
    page.fill("input[name=username]", "supervisor")
    page.fill("input[name=password]", "demo-supervisor")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Abandoned carts")
    page.screenshot(path=SCREENSHOTS / "home.png", full_page=True)

    page.click("nav >> text=Carts")
    page.wait_for_selector("#cart-table")
    page.select_option("select[name=status]", "recovered")
    page.wait_for_url("**/carts/?*status=recovered*")
    wait_until(page, "() => !document.querySelector('#cart-table .status-open')")
    shown = page.locator("#cart-table tbody tr .status").all_inner_texts()
    assert shown and set(shown) == {"Recovered"}
    page.screenshot(path=SCREENSHOTS / "carts-recovered.png", full_page=True)

    page.locator("#cart-table tbody tr a").first.click()
    page.wait_for_selector("text=History")
    assert page.locator(".status-recovered").first.is_visible()
    page.screenshot(path=SCREENSHOTS / "cart-detail.png", full_page=True)
    assert Cart.objects.filter(status="recovered").exists()


def test_agent_is_refused_the_cart_list(page):
    call_command("seed_demo", verbosity=0)

    page.goto("/login/")
    page.fill("input[name=username]", "agent1")
    page.fill("input[name=password]", "demo-agent-1")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Abandoned carts")
    assert page.locator("nav >> text=Carts").count() == 0

    response = page.goto("/carts/")
    assert response.status == 403
