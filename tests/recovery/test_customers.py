"""Which stored customer a checkout names: external id, else email (any case), else phone; the oldest wins."""

from __future__ import annotations

import pytest

from recovery.models import Customer
from recovery.services import CustomerData, customer_upsert
from tests.factories import CustomerFactory, StoreFactory

pytestmark = pytest.mark.django_db

PHONE = "+12125550142"


def upsert(store, **fields) -> Customer:
    return customer_upsert(store=store, data=CustomerData(country="US", **fields))


def test_the_external_id_wins_over_an_older_customer_with_the_same_email_and_phone(shopify_store):
    # given
    CustomerFactory(store=shopify_store, email="sam@example.com", phone=PHONE)
    known = CustomerFactory(store=shopify_store, external_id="42", email="other@example.com", phone="+12125550100")

    # when
    found = upsert(shopify_store, external_id="42", email="sam@example.com", phone_raw=PHONE)

    # then
    assert found.pk == known.pk
    assert Customer.objects.count() == 2


def test_email_matches_in_any_case_before_phone_and_the_oldest_wins(shopify_store):
    # given
    by_phone = CustomerFactory(store=shopify_store, email="", phone=PHONE)
    oldest = CustomerFactory(store=shopify_store, email="Sam@Example.com", phone="+12125550100")
    CustomerFactory(store=shopify_store, email="sam@example.com", phone="+12125550101")

    # when
    found = upsert(shopify_store, email="sam@example.com", phone_raw=PHONE)

    # then
    assert found.pk == oldest.pk != by_phone.pk


def test_phone_matches_when_nothing_else_does(shopify_store):
    # given
    by_phone = CustomerFactory(store=shopify_store, email="", phone=PHONE)

    # when
    found = upsert(shopify_store, email="new@example.com", phone_raw="(212) 555-0142")

    # then
    assert found.pk == by_phone.pk


def test_a_checkout_with_an_external_id_never_takes_over_a_customer_who_has_another(shopify_store):
    # given
    CustomerFactory(store=shopify_store, external_id="7", email="sam@example.com", phone=PHONE)
    without_id = CustomerFactory(store=shopify_store, email="", phone=PHONE)

    # when
    found = upsert(shopify_store, external_id="8", email="sam@example.com", phone_raw=PHONE)

    # then: not the customer with id 7 (whose email matches), but the one without an id (whose phone does)
    assert found.pk == without_id.pk
    assert found.external_id == "8"


def test_a_checkout_without_an_external_id_matches_customers_who_have_one(shopify_store):
    # given
    known = CustomerFactory(store=shopify_store, external_id="7", email="sam@example.com")

    # when
    found = upsert(shopify_store, email="SAM@example.com")

    # then
    assert found.pk == known.pk


def test_customers_of_other_stores_and_unmatched_checkouts_make_new_customers(shopify_store):
    # given
    CustomerFactory(store=StoreFactory(), external_id="42", email="sam@example.com", phone=PHONE)

    # when
    found = upsert(shopify_store, external_id="42", email="sam@example.com", phone_raw=PHONE)
    unnamed = upsert(shopify_store, first_name="Nobody")

    # then
    assert found.store == shopify_store
    assert Customer.objects.filter(store=shopify_store).count() == 1
    assert unnamed is None
