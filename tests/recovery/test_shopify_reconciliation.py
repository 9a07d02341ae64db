"""The Shopify reconciliation against a local stand-in for a shop's Admin GraphQL endpoint (`shopify_api`, in
this folder's conftest)."""

from __future__ import annotations

import base64
import logging
from collections import deque
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import psycopg
import pytest
from django.contrib.admin.sites import site
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from recovery.admin import StoreAdmin
from recovery.models import Cart, CartEvent, Platform, Store
from recovery.services.shopify_reconciliation import (
    COMPLETED,
    CREATED,
    INVALID,
    KNOWN,
    UPDATED,
    WINDOW_OVERLAP,
    ShopifyAdminApiError,
    store_reconcile,
)
from recovery.tasks import reconcile_shopify_stores_task
from tests.factories import StoreFactory
from tests.helpers import process_inbox
from tests.payloads import graphql_checkout, post_shopify, shopify_checkout, shopify_time
from tests.recovery.shopify_stand_in import ACCESS_TOKEN, SEARCH

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(shopify_store, shopify_api):
    shopify_store.shopify_admin_access_token = ACCESS_TOKEN
    shopify_store.save()
    shopify_api.checkouts[ACCESS_TOKEN] = []
    return shopify_store


@pytest.fixture
def waits():
    """The backoff's waits, recorded instead of slept."""
    return []


def test_missing_checkouts_are_ingested_once_as_the_webhooks_would(store, shopify_api, waits):
    # given: two checkouts no webhook brought, quiet for longer than the abandonment delay
    an_hour_ago = timezone.now() - timedelta(hours=1)
    shopify_api.checkouts[ACCESS_TOKEN] = [graphql_checkout(1001, updated_at=an_hour_ago),
                                           graphql_checkout(1002, updated_at=an_hour_ago)]

    # when
    first = store_reconcile(store=store, sleep=waits.append)
    second = store_reconcile(store=store, since=an_hour_ago - timedelta(minutes=1), sleep=waits.append)

    # then
    assert first.outcomes == {CREATED: 2}
    assert second.outcomes == {KNOWN: 2}
    assert Cart.objects.count() == 2
    cart = Cart.objects.get(external_id="1001")
    assert cart.checkout_token == f"{1001:032x}"  # from the recovery URL: a late webhook finds this cart
    assert cart.status == Cart.Status.OPEN
    assert cart.total_value == Decimal("3107.93")
    assert cart.payment_failed is True
    assert cart.error_text == "Card declined"
    assert cart.discount_code_tried == "WELCOME10"
    assert cart.raw_payload["id"] == "gid://shopify/AbandonedCheckout/1001"
    assert [(item.title, item.quantity, item.unit_price, item.product_id) for item in cart.line_items.all()] == [
        ("Trailhead E-Bike 500W", 1, Decimal("2499.00"), "7513594216618")]
    assert (cart.customer.email, str(cart.customer.phone), cart.customer.external_id) == (
        "jane.doe@example.com", "+12125550142", "6939212513450")
    assert cart.customer.orders_count == 2
    assert list(cart.events.values_list("kind", "source")) == [
        (CartEvent.Kind.CREATED, CartEvent.Source.SHOPIFY), (CartEvent.Kind.ABANDONED, CartEvent.Source.SYSTEM)]
    assert shopify_api.requests[0]["token"] == ACCESS_TOKEN
    assert waits == []


def test_a_checkout_a_webhook_brought_is_not_duplicated_nor_rolled_back(client, store, shopify_api, waits):
    # given: the webhook stored the checkout at its newest update
    updated = (timezone.now() - timedelta(minutes=30)).replace(microsecond=0)  # Shopify times are to the second
    token = "c1a2b3d4e5f60718293a4b5c6d7e8f90"
    post_shopify(client, shopify_checkout(token, updated_at=updated.isoformat()))
    process_inbox()
    stored = Cart.objects.get()
    # ...and Shopify's search still lists it as it was five minutes earlier, and at that same update
    shopify_api.checkouts[ACCESS_TOKEN] = [
        graphql_checkout(35237611749546, token=token, updated_at=updated - timedelta(minutes=5), total="10.00")]

    # when
    older = store_reconcile(store=store, sleep=waits.append)
    shopify_api.checkouts[ACCESS_TOKEN] = [graphql_checkout(35237611749546, token=token, updated_at=updated,
                                                            total="10.00")]
    same = store_reconcile(store=store, since=updated - timedelta(hours=1), sleep=waits.append)

    # then
    assert older.outcomes == same.outcomes == {KNOWN: 1}
    cart = Cart.objects.get()
    assert cart.pk == stored.pk
    assert cart.total_value == Decimal("3107.93")
    assert cart.raw_payload["token"] == token  # still the webhook's payload
    assert cart.reached_payment_step is True


def test_a_newer_snapshot_than_the_webhooks_updates_the_same_cart_matched_by_recovery_url(
        client, store, shopify_api, waits):
    # given: the webhook brought the first version; its update was lost. The URL's path is not the documented
    # token shape, so only the recovery URL ties the two together.
    updated = (timezone.now() - timedelta(minutes=40)).replace(microsecond=0)  # Shopify times are to the second
    url = "https://demo-store.myshopify.com/12345/checkouts/ac/Z2NwLXVz/recover?key=abc"
    post_shopify(client, shopify_checkout("c1a2b3d4e5f60718293a4b5c6d7e8f90", updated_at=updated.isoformat(),
                                          abandoned_checkout_url=url))
    process_inbox()
    node = graphql_checkout(35237611749546, updated_at=updated + timedelta(minutes=5), total="2600.00")
    shopify_api.checkouts[ACCESS_TOKEN] = [{**node, "abandonedCheckoutUrl": url}]

    # when
    result = store_reconcile(store=store, sleep=waits.append)

    # then
    assert result.outcomes == {UPDATED: 1}
    cart = Cart.objects.get()
    assert (cart.checkout_token, cart.external_id) == ("c1a2b3d4e5f60718293a4b5c6d7e8f90", "35237611749546")
    assert cart.total_value == Decimal("2600.00")


def test_a_webhook_arriving_after_the_reconciliation_finds_its_cart(client, store, shopify_api, waits):
    # given: the reconciliation brought the checkout first
    updated = (timezone.now() - timedelta(minutes=30)).replace(microsecond=0)  # Shopify times are to the second
    token = "c1a2b3d4e5f60718293a4b5c6d7e8f90"
    shopify_api.checkouts[ACCESS_TOKEN] = [graphql_checkout(35237611749546, token=token, updated_at=updated)]
    store_reconcile(store=store, sleep=waits.append)

    # when: Shopify's retry of the same update finally gets through
    post_shopify(client, shopify_checkout(token, updated_at=updated.isoformat()))
    process_inbox()

    # then
    cart = Cart.objects.get()
    assert cart.external_id == "35237611749546"
    assert cart.raw_payload["token"] == token  # the webhook's richer payload replaced the snapshot
    assert cart.reached_payment_step is True


def test_a_webhook_finds_by_recovery_url_the_cart_the_reconciliation_stored_without_a_token(
        client, store, shopify_api, waits):
    # given: the reconciliation brought the checkout first, and its recovery URL does not show the token
    updated = (timezone.now() - timedelta(minutes=30)).replace(microsecond=0)  # Shopify times are to the second
    url = "https://demo-store.myshopify.com/12345/checkouts/ac/Z2NwLXVz/recover?key=abc"
    node = graphql_checkout(35237611749546, updated_at=updated)
    shopify_api.checkouts[ACCESS_TOKEN] = [{**node, "abandonedCheckoutUrl": url}]
    store_reconcile(store=store, sleep=waits.append)
    assert Cart.objects.get().checkout_token == ""

    # when: the webhook, which names the checkout by its token only, gets through at last
    token = "c1a2b3d4e5f60718293a4b5c6d7e8f90"
    post_shopify(client, shopify_checkout(token, updated_at=(updated + timedelta(minutes=1)).isoformat(),
                                          abandoned_checkout_url=url))
    process_inbox()

    # then: one cart, now known by both
    cart = Cart.objects.get()
    assert (cart.checkout_token, cart.external_id) == (token, "35237611749546")


def test_completed_checkouts_are_not_abandoned_carts(store, shopify_api, waits):
    # given
    an_hour_ago = timezone.now() - timedelta(hours=1)
    shopify_api.checkouts[ACCESS_TOKEN] = [
        graphql_checkout(2001, updated_at=an_hour_ago, completed_at=an_hour_ago),
        graphql_checkout(2002, updated_at=an_hour_ago),
    ]

    # when
    result = store_reconcile(store=store, sleep=waits.append)

    # then
    assert result.outcomes == {COMPLETED: 1, CREATED: 1}
    assert list(Cart.objects.values_list("external_id", flat=True)) == ["2002"]


def test_a_checkout_the_database_refuses_is_skipped_and_the_run_goes_on(store, shopify_api, waits):
    # given: a checkout with a NUL in the customer's name (PostgreSQL cannot store it), then a good one
    an_hour_ago = timezone.now() - timedelta(hours=1)
    unstorable = graphql_checkout(2101, updated_at=an_hour_ago)
    unstorable["customer"]["firstName"] = "Ja\x00ne"
    shopify_api.checkouts[ACCESS_TOKEN] = [unstorable, graphql_checkout(2102, updated_at=an_hour_ago)]

    # when
    result = store_reconcile(store=store, sleep=waits.append)

    # then: the good one is stored and the watermark moves, so the next run does not stop at the same checkout
    assert result.outcomes == {INVALID: 1, CREATED: 1}
    assert list(Cart.objects.values_list("external_id", flat=True)) == ["2102"]
    assert result.watermark_advanced


def test_paging_follows_the_end_cursor(store, shopify_api, waits):
    # given: five checkouts, served two per page
    shopify_api.page_size = 2
    an_hour_ago = timezone.now() - timedelta(hours=1)
    shopify_api.checkouts[ACCESS_TOKEN] = [graphql_checkout(3000 + n, updated_at=an_hour_ago) for n in range(5)]

    # when
    result = store_reconcile(store=store, sleep=waits.append)

    # then
    assert result.outcomes == {CREATED: 5}
    afters = [request["variables"]["after"] for request in shopify_api.requests]
    assert afters == [None, base64.b64encode(b"2").decode(), base64.b64encode(b"4").decode()]
    assert {request["variables"]["query"] for request in shopify_api.requests} == {
        shopify_api.requests[0]["variables"]["query"]}


def test_throttling_waits_for_the_bucket_then_retries(store, shopify_api, waits):
    # given
    shopify_api.checkouts[ACCESS_TOKEN] = [graphql_checkout(4001, updated_at=timezone.now() - timedelta(hours=1))]
    shopify_api.faults[ACCESS_TOKEN] = deque(["throttled", "429"])

    # when
    result = store_reconcile(store=store, sleep=waits.append)

    # then: (902 requested - 100 available) / 100 per second, then the Retry-After
    assert result.outcomes == {CREATED: 1}
    assert waits == [pytest.approx(8.02), 2.0]
    assert len(shopify_api.requests) == 3
    assert result.watermark_advanced


def test_a_server_error_is_retried_and_the_watermark_advances_only_on_success(store, shopify_api, waits):
    # given: Shopify answers 503 three times in a row, then recovers
    shopify_api.checkouts[ACCESS_TOKEN] = [graphql_checkout(5001, updated_at=timezone.now() - timedelta(hours=1))]
    shopify_api.faults[ACCESS_TOKEN] = deque(["503", "503", "503"])

    # when
    with pytest.raises(ShopifyAdminApiError, match="HTTP 503"):
        store_reconcile(store=store, sleep=waits.append)

    # then
    store.refresh_from_db()
    assert store.shopify_reconciled_through is None
    assert waits == [2.0, 4.0]
    assert not Cart.objects.exists()

    # when: the next run
    result = store_reconcile(store=store, sleep=waits.append)

    # then
    store.refresh_from_db()
    assert result.outcomes == {CREATED: 1}
    assert store.shopify_reconciled_through == result.until


def test_each_scheduled_window_starts_at_the_watermark_less_the_overlap(store, shopify_api, waits):
    # given
    first = store_reconcile(store=store, sleep=waits.append)

    # when
    second = store_reconcile(store=store, sleep=waits.append)

    # then
    assert first.until - first.since == timedelta(hours=24)
    assert second.since == first.until - WINDOW_OVERLAP
    since, until = SEARCH.match(shopify_api.requests[-1]["variables"]["query"]).groups()
    assert (since, until) == (shopify_time(second.since), shopify_time(second.until))
    store.refresh_from_db()
    assert store.shopify_reconciled_through == second.until


def test_an_operators_window_after_the_watermark_does_not_move_it(store, shopify_api, waits):
    # given
    watermark = timezone.now() - timedelta(hours=5)
    Store.objects.filter(pk=store.pk).update(shopify_reconciled_through=watermark)
    store.refresh_from_db()

    # when: the hours between the watermark and `since` are not read
    result = store_reconcile(store=store, since=timezone.now() - timedelta(hours=1), sleep=waits.append)

    # then
    store.refresh_from_db()
    assert not result.watermark_advanced
    assert store.shopify_reconciled_through == watermark


def test_a_store_already_being_reconciled_is_left_to_that_run(store, shopify_api, waits):
    # given: another worker (or an operator's command) is reconciling the store
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(hashtext(%s))", [f"shopify-reconcile:{store.pk}"])

        # when
        result = store_reconcile(store=store, sleep=waits.append)

    # then
    assert result.busy
    assert shopify_api.requests == []
    store.refresh_from_db()
    assert store.shopify_reconciled_through is None


def test_a_wrong_token_fails_without_naming_it(store, shopify_api, waits):
    # given
    Store.objects.filter(pk=store.pk).update(shopify_admin_access_token="shpat_revoked_token")
    store.refresh_from_db()

    # when
    with pytest.raises(ShopifyAdminApiError) as failure:
        store_reconcile(store=store, sleep=waits.append)

    # then
    assert "HTTP 401" in str(failure.value)
    assert "shpat_" not in str(failure.value)
    assert len(shopify_api.requests) == 1


def test_a_store_without_credentials_cannot_be_reconciled(shopify_store, shopify_api):
    with pytest.raises(ShopifyAdminApiError, match="no Shopify Admin API access token"):
        store_reconcile(store=shopify_store)
    assert shopify_api.requests == []


def test_the_task_reconciles_each_store_on_its_own(store, shopify_api, caplog):
    # given: a healthy store, one whose token Shopify refuses (the app was uninstalled), one without
    # credentials, and a WooCommerce store
    shopify_api.checkouts[ACCESS_TOKEN] = [graphql_checkout(6001, updated_at=timezone.now() - timedelta(hours=1))]
    broken = StoreFactory(shop_domain="broken-shop.myshopify.com", shopify_admin_access_token="shpat_broken")
    StoreFactory(shop_domain="no-token.myshopify.com")
    StoreFactory(shop_domain="coffee.example.com", platform=Platform.WOOCOMMERCE, shopify_admin_access_token="x")

    # when
    with caplog.at_level(logging.ERROR, logger="recovery.tasks"):
        queued = reconcile_shopify_stores_task.apply().get()

    # then
    assert queued == 2
    assert Cart.objects.filter(store=store).count() == 1
    store.refresh_from_db()
    broken.refresh_from_db()
    assert store.shopify_reconciled_through is not None
    assert broken.shopify_reconciled_through is None
    assert "broken-shop.myshopify.com" in caplog.text
    assert "shpat_" not in caplog.text
    assert {request["token"] for request in shopify_api.requests} == {ACCESS_TOKEN, "shpat_broken"}


def test_the_command_reconciles_one_store_from_a_given_time(store, shopify_api):
    # given
    shopify_api.checkouts[ACCESS_TOKEN] = [graphql_checkout(7001, updated_at=timezone.now() - timedelta(hours=30))]
    since = shopify_time(timezone.now() - timedelta(hours=36))
    dry, out = StringIO(), StringIO()

    # when
    call_command("reconcile_shopify", "--store", store.shop_domain, "--since", since, "--dry-run", stdout=dry)
    stored_after_dry_run = Cart.objects.count()
    call_command("reconcile_shopify", "--store", store.shop_domain, "--since", since, stdout=out)

    # then
    assert stored_after_dry_run == 0
    assert "1 would create" in dry.getvalue()
    assert "dry run" in dry.getvalue()
    assert "1 created" in out.getvalue()
    assert Cart.objects.get().external_id == "7001"


@pytest.mark.parametrize(("arguments", "message"), [
    (["--store", "unknown.myshopify.com"], "No Shopify store"),
    (["--store", "demo-store.myshopify.com"], "no Shopify Admin API access token"),
    (["--since", "2026-11-20 08:00"], "with an offset"),
])
def test_the_command_refuses_what_it_cannot_do(shopify_store, shopify_api, arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("reconcile_shopify", *arguments, stdout=StringIO())


def test_the_admin_never_shows_the_access_token_and_keeps_it_when_left_blank(admin_client, store, rf, admin_user):
    # when
    page = admin_client.get(f"/admin/recovery/store/{store.pk}/change/").content.decode()

    # then
    assert ACCESS_TOKEN not in page
    assert "…cdef (set)" in page
    assert admin_client.get("/admin/recovery/store/add/").status_code == 200

    # given: the change form submitted with the token field left blank
    request = rf.post("/")
    request.user = admin_user
    form_class = StoreAdmin(Store, site).get_form(request, obj=store)
    initial = form_class(instance=store).initial
    data = {name: value for name, value in initial.items() if value is not None}
    form = form_class(data={**data, "shopify_admin_access_token": ""}, instance=store)

    # when
    assert form.is_valid(), form.errors
    kept = form.save(commit=False).shopify_admin_access_token
    form = form_class(data={**data, "remove_shopify_admin_access_token": "on"}, instance=store)
    assert form.is_valid(), form.errors
    removed = form.save(commit=False).shopify_admin_access_token

    # then
    assert (kept, removed) == (ACCESS_TOKEN, "")
