"""What the schema fuzzing found, kept as plain regression tests: each answered 500 (or an HTML page) before."""

from __future__ import annotations

import json

import pytest

from recovery.models import Cart

pytestmark = pytest.mark.django_db


def cart_body(**overrides) -> dict:
    body = {"external_id": "cart-1", "total": "10.00", "customer": {"email": "pat@example.com"}}
    body.update(overrides)
    return body


@pytest.mark.parametrize("raw", [
    '{"note": "a\\u0000b"}',  # PostgreSQL's jsonb refuses NUL: "unsupported Unicode escape sequence"
    '{"a\\u0000": 1}',
    '{"note": ["\\ud800"]}',  # a lone surrogate cannot be encoded for the database at all
])
def test_a_cart_whose_extra_fields_cannot_be_stored_is_refused_with_400(api_client, raw):
    body = {**cart_body(), **json.loads(raw)}

    response = api_client.post("/api/v1/carts/", json.dumps(body), content_type="application/json")

    assert response.status_code == 400
    assert "NUL character" in response.json()["error"]
    assert not Cart.objects.exists()


@pytest.mark.parametrize(("path", "body"), [
    ("/api/v1/orders/", {"order_id": "6", "total": "0", "placed_at": "0001-01-01T00:00:00Z", "email": "a@b.org"}),
    ("/api/v1/carts/", cart_body(updated_at="9999-12-31T23:59:59Z")),
    ("/api/v1/carts/", cart_body(abandoned_at="1531-02-13T17:01:39Z")),
])
def test_times_outside_2000_to_2100_are_refused_with_400(api_client, path, body):
    response = api_client.post(path, body, format="json")

    assert response.status_code == 400
    assert "between 2000 and 2100" in json.dumps(response.json())


def test_a_quantity_the_database_cannot_hold_is_refused_with_400(api_client):
    body = cart_body(line_items=[{"title": "Tent", "quantity": 2**31, "unit_price": "1.00"}])

    response = api_client.post("/api/v1/carts/", body, format="json")

    assert response.status_code == 400 and "line_items" in response.json()


@pytest.mark.parametrize("path", ["/api/v1/carts/abc/", "/api/v1/carts/%C2%8C%0A/", "/api/v1/carts/1%2F2/",
                                  "/api/v1/carts/%D9%A3/"])
def test_a_malformed_cart_id_is_a_json_404(api_client, path):
    response = api_client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_an_api_address_without_its_slash_is_still_redirected(api_client):
    assert api_client.get("/api/v1/carts").status_code == 301
