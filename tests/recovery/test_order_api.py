"""`POST /api/v1/orders/`: a custom store reports its orders; they recover carts as platform webhooks do."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from recovery.models import Cart
from tests.factories import CartFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cart(custom_store):
    customer = CustomerFactory(store=custom_store, email="pat@example.com", phone="+14155550123")
    return CartFactory(store=custom_store, customer=customer, external_id="cart-1001", checkout_token="",
                       abandoned_at=timezone.now() - timedelta(days=1), total_value=Decimal("849.50"))


def test_an_order_for_the_cart_recovers_it_once(api_client, cart):
    body = {"order_id": "A-77", "total": "899.50", "placed_at": timezone.now().isoformat(),
            "cart_external_id": "cart-1001"}
    first = api_client.post("/api/v1/orders/", body, format="json")
    again = api_client.post("/api/v1/orders/", body, format="json")

    assert first.status_code == 200 and first.json()["recovered_cart"]["id"] == cart.pk
    assert again.status_code == 200
    cart.refresh_from_db()
    assert (cart.status, cart.recovered_order_id, cart.upsell_value) == ("recovered", "A-77", Decimal("50.00"))
    assert cart.attribution == "self_recovered"


def test_an_order_by_the_same_customer_recovers_their_recent_cart(api_client, cart):
    body = {"order_id": "A-78", "total": "849.50", "placed_at": timezone.now().isoformat(),
            "phone": "(415) 555-0123", "country": "US"}
    assert api_client.post("/api/v1/orders/", body, format="json").json()["recovered_cart"]["id"] == cart.pk


def test_an_order_that_matches_nothing_says_so(api_client, cart):
    body = {"order_id": "A-79", "total": "10", "placed_at": timezone.now().isoformat(), "email": "x@example.com"}
    response = api_client.post("/api/v1/orders/", body, format="json")
    assert response.status_code == 200 and response.json() == {"recovered_cart": None}
    assert Cart.objects.get(pk=cart.pk).status == "open"


def test_an_order_without_cart_or_customer_is_refused_with_a_clear_error(api_client, cart):
    response = api_client.post("/api/v1/orders/", {"order_id": "A-80", "total": "1", "placed_at": "2026-11-20"},
                               format="json")
    assert response.status_code == 400
    assert "Give the cart" in str(response.json())


def test_orders_need_the_stores_token(client, cart):
    response = client.post("/api/v1/orders/", {"order_id": "A", "total": "1", "placed_at": "2026-11-20T10:00Z",
                                               "email": "pat@example.com"}, content_type="application/json")
    assert response.status_code == 401
