"""An admin sees what the Shopify safety checks refused: a cart page saying why its recovery link was dropped, and
a shop/redact delivery that waited for the uninstall, replayed from the admin once it is known."""

from __future__ import annotations

import pytest
from celery.exceptions import Retry
from django.core.management import call_command
from django.test import Client

from recovery.models import Cart, Customer, Store, WebhookDelivery
from tests.helpers import process_inbox
from tests.payloads import post_shopify, shopify_checkout

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOP = "demo-store.myshopify.com"


def login(page, username: str, password: str) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Abandoned carts")


def deliver(payload: dict, *, topic: str, fails: bool = False) -> None:
    """Post a signed Shopify webhook through the real view, then process the inbox as a worker would."""
    response = post_shopify(Client(), payload, topic=topic)
    assert response.status_code == 200, response.content
    if fails:
        with pytest.raises(Retry):
            process_inbox()
    else:
        process_inbox()


def test_the_cart_page_says_why_a_javascript_link_was_dropped(page, screenshots):
    call_command("seed_demo", verbosity=0)
    deliver(shopify_checkout("e2e0000000000000000000000000link", abandoned_checkout_url="javascript:alert(1)"),
            topic="checkouts/create")
    cart = Cart.objects.get(checkout_token="e2e0000000000000000000000000link")
    login(page, "admin", "demo-admin")

    page.goto(f"/carts/{cart.pk}/")

    note = page.locator(".timeline .tag.warn")
    note.wait_for()
    assert note.inner_text().startswith("Recovery link dropped: the recovery link's scheme javascript: is not allowed")
    assert page.locator("a[href^='javascript:']").count() == 0
    assert page.locator("text=Checkout link").count() == 0
    page.screenshot(path=screenshots / "cart-link-dropped.png", full_page=True)


def test_a_shop_redact_waits_for_the_uninstall_and_is_replayed_from_the_admin(page, screenshots):
    call_command("seed_demo", verbosity=0)
    store = Store.objects.get(shop_domain=SHOP)
    customers = Customer.objects.filter(store=store).count()
    assert customers

    # a genuine shop/redact before any app/uninstalled: refused, nothing erased
    deliver({"shop_id": 954889, "shop_domain": SHOP}, topic="shop/redact", fails=True)
    redact = WebhookDelivery.objects.get(topic="shop/redact")
    assert Customer.objects.filter(store=store).count() == customers
    login(page, "admin", "demo-admin")
    page.goto("/admin/recovery/webhookdelivery/?topic=shop%2Fredact")
    row = page.locator(f"#result_list tr:has(input[value='{redact.pk}'])")
    row.wait_for()
    assert "store not known to be uninstalled: no app/uninstalled delivery received" in row.inner_text()
    page.screenshot(path=screenshots / "shop-redact-waiting.png", full_page=True)

    # then Shopify's app/uninstalled arrives, and the admin replays the shop/redact
    deliver({"id": 954889, "domain": "shop.example.com", "myshopify_domain": SHOP}, topic="app/uninstalled")
    page.reload()
    page.check(f"#result_list input[name=_selected_action][value='{redact.pk}']")
    page.select_option("select[name=action]", "replay")
    page.click("button[name=index]")
    page.wait_for_selector("text=Replayed: 1 processed.")
    row = page.locator(f"#result_list tr:has(input[value='{redact.pk}'])")
    assert "store erasure queued (app uninstalled at" in row.inner_text()
    assert not Customer.objects.filter(store=store).exists()
