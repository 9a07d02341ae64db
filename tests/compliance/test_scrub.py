"""Open carts are re-checked against the lists; the unreachable are suppressed, with reasons."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from compliance.models import DncList
from compliance.services.optouts import optout_record
from compliance.services.scrub import lists_changed_announce
from recovery.models import Cart
from tests.factories import CartFactory, CustomerFactory, add_entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def lists(shopify_store):
    fresh = timezone.now() - timedelta(days=1)
    return {
        "national": DncList.objects.create(name="national", kind="national", last_full_import_at=fresh),
        "internal": DncList.objects.create(name="internal", kind="internal"),
    }


def cart_for(store, *, phone="+12125550100", email="pat@example.com"):
    customer = CustomerFactory(store=store, phone=phone, email=email, region="NY")
    return CartFactory(store=store, customer=customer, platform_created_at=timezone.now() - timedelta(hours=3))


def test_cart_whose_number_is_listed_and_email_opted_out_is_suppressed_with_reasons(shopify_store, lists):
    cart = cart_for(shopify_store)
    add_entry(lists["national"], "+12125550100")
    optout_record(email="pat@example.com", scope="email", source="email_link")

    out = StringIO()
    call_command("scrub_carts", stdout=out)

    cart.refresh_from_db()
    assert cart.status == Cart.Status.SUPPRESSED
    assert "National registry" in cart.status_reason
    assert "Opted out of emails" in cart.status_reason
    event = cart.events.get(kind="status_changed")
    assert {"dnc_national", "opted_out_email"} <= set(event.detail["reasons"])
    assert "1 suppressed" in out.getvalue()


def test_listed_number_with_a_usable_email_stays_open(shopify_store, lists):
    cart = cart_for(shopify_store)
    add_entry(lists["internal"], "+12125550100")

    call_command("scrub_carts", verbosity=0)

    cart.refresh_from_db()
    assert cart.status == Cart.Status.OPEN


def test_time_of_day_never_suppresses(shopify_store, lists, time_machine):
    cart = cart_for(shopify_store, email="")
    time_machine.move_to(timezone.now().replace(hour=5, minute=0))  # 00:00 in New York

    call_command("scrub_carts", verbosity=0)

    cart.refresh_from_db()
    assert cart.status == Cart.Status.OPEN


def test_dry_run_changes_nothing(shopify_store, lists):
    cart = cart_for(shopify_store, email="")
    add_entry(lists["national"], "+12125550100")

    out = StringIO()
    call_command("scrub_carts", "--dry-run", stdout=out)

    cart.refresh_from_db()
    assert cart.status == Cart.Status.OPEN
    assert "1 would be suppressed" in out.getvalue()


def test_suppressed_cart_page_says_why(client, supervisor_user, shopify_store, lists):
    cart = cart_for(shopify_store, email="")
    add_entry(lists["national"], "+12125550100")
    call_command("scrub_carts", verbosity=0)
    client.force_login(supervisor_user)

    response = client.get(f"/carts/{cart.pk}/")

    assert b"Why suppressed:" in response.content
    assert b"National registry" in response.content



def test_a_changed_dnc_list_scrubs_the_open_carts(shopify_store, lists):
    # given: a cart whose only channel is a number just added to the national list
    cart = cart_for(shopify_store, email="")
    add_entry(lists["national"], "+12125550100")

    # when: compliance announces the change, as every finished import does (recovery's subscriber queues its scrub)
    lists_changed_announce()

    # then
    cart.refresh_from_db()
    assert cart.status == Cart.Status.SUPPRESSED
