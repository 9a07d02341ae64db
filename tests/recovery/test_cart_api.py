from __future__ import annotations

import pytest

from recovery.models import Cart, CartEvent
from tests.factories import CartFactory, StoreFactory
from tests.payloads import API_TOKEN, cart_body

pytestmark = pytest.mark.django_db


def test_post_creates_a_cart_then_is_idempotent_on_external_id(api_client, custom_store):
    created = api_client.post("/api/v1/carts/", cart_body(), format="json")
    repeated = api_client.post("/api/v1/carts/", cart_body(), format="json")

    assert created.status_code == 201, created.json()
    assert repeated.status_code == 200
    assert created.json()["id"] == repeated.json()["id"]
    assert Cart.objects.count() == 1
    cart = Cart.objects.get()
    assert cart.total_value == cart.total_value.__class__("849.50")
    assert cart.currency == "USD"
    assert cart.payment_failed is True
    assert str(cart.customer.phone) == "+14155550123"
    assert cart.customer.email == "pat@example.com"
    assert cart.events.filter(source=CartEvent.Source.API).count() == 1
    data = created.json()
    assert data["total"] == "849.50"
    assert [item["title"] for item in data["line_items"]] == ["4-Season Tent", "Stove"]
    assert data["customer"]["phone"] == "+14155550123"


def test_cart_declared_abandoned_by_the_store_is_open_at_once(api_client):
    response = api_client.post("/api/v1/carts/", cart_body(abandoned_at="2026-11-20T15:05:00Z"), format="json")

    assert response.json()["status"] == "open"


def test_older_update_is_refused_with_409(api_client):
    api_client.post("/api/v1/carts/", cart_body(updated_at="2026-11-20T15:00:00Z", total="10.00"), format="json")
    response = api_client.post("/api/v1/carts/", cart_body(updated_at="2026-11-20T14:00:00Z", total="99.00"),
                               format="json")

    assert response.status_code == 409
    assert "newer version" in response.json()["error"]
    assert str(Cart.objects.get().total_value) == "10.00"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"total": "-1"}, "total"),
        ({"total": "abc"}, "total"),
        ({"external_id": ""}, "external_id"),
        ({"currency": "dollars"}, "currency"),
        ({"line_items": [{"title": "x", "quantity": 0, "unit_price": "1.00"}]}, "line_items"),
        ({"customer": {"first_name": "No contact"}}, "customer"),
        ({"updated_at": "yesterday"}, "updated_at"),
    ],
)
def test_invalid_input_gets_field_errors(api_client, change, field):
    response = api_client.post("/api/v1/carts/", cart_body(**change), format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert Cart.objects.count() == 0


def test_malformed_json_is_a_clear_400(api_client):
    response = api_client.post("/api/v1/carts/", data='{"external_id": ', content_type="application/json")

    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


@pytest.mark.parametrize("depth", [65, 100_000])  # past the product's limit; past json.loads' recursion
@pytest.mark.parametrize("path", ["/api/v1/carts/", "/api/v1/orders/"])
def test_json_nested_too_deep_is_a_clear_400(api_client, path, depth):
    body = '{"external_id": "cart-1", "note": ' + "[" * depth + "]" * depth + "}"

    response = api_client.post(path, data=body, content_type="application/json")

    assert response.status_code == 400
    assert "nested deeper than 64 levels" in response.json()["detail"]
    assert Cart.objects.count() == 0


def test_nan_is_not_json_and_is_refused_with_400(api_client):
    response = api_client.post("/api/v1/carts/", data='{"external_id": "c", "total": NaN}',
                               content_type="application/json")

    assert response.status_code == 400 and "NaN is not valid JSON" in response.json()["detail"]


def test_a_limit_past_the_database_integer_reads_the_largest_page(api_client, custom_store):
    CartFactory(store=custom_store)

    response = api_client.get("/api/v1/carts/", {"limit": "9223372036854775808"})

    assert response.status_code == 200 and response.json()["count"] == 1 and len(response.json()["results"]) == 1


def test_pages_hold_at_most_200_carts(api_client, custom_store):
    CartFactory(store=custom_store)

    response = api_client.get("/api/v1/carts/", {"limit": "10000", "offset": "1000"})

    assert response.status_code == 200 and response.json()["results"] == []
    assert "limit=200&offset=800" in response.json()["previous"]  # the page it read was 200 carts long


@pytest.mark.parametrize(("query", "field"), [({"limit": "ten"}, "limit"), ({"limit": "0"}, "limit"),
                                              ({"limit": "-5"}, "limit"), ({"offset": "-1"}, "offset"),
                                              ({"offset": "1e3"}, "offset"), ({"limit": "\u0663"}, "limit")])
def test_a_limit_or_offset_that_is_not_a_whole_number_is_a_clear_400(api_client, custom_store, query, field):
    response = api_client.get("/api/v1/carts/", query)

    assert response.status_code == 400
    assert field in response.json()


def test_a_huge_offset_reads_an_empty_page(api_client, custom_store):
    CartFactory(store=custom_store)

    response = api_client.get("/api/v1/carts/", {"offset": "9" * 5000})

    assert response.status_code == 200 and response.json()["results"] == []


def test_form_body_is_refused_with_415(api_client):
    response = api_client.post("/api/v1/carts/", data="external_id=1", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 415


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", "Basic dXNlcjpwYXNz"])
def test_requests_without_a_valid_store_token_are_refused(client, custom_store, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.post("/api/v1/carts/", data=cart_body(), content_type="application/json", **extra)

    assert response.status_code == 401


def test_list_and_detail_only_show_the_store_own_carts(api_client, custom_store):
    mine = CartFactory(store=custom_store)
    other = CartFactory(store=StoreFactory())

    listing = api_client.get("/api/v1/carts/")
    detail = api_client.get(f"/api/v1/carts/{mine.pk}/")
    foreign = api_client.get(f"/api/v1/carts/{other.pk}/")

    assert listing.status_code == 200
    assert [cart["id"] for cart in listing.json()["results"]] == [mine.pk]
    assert detail.json()["id"] == mine.pk
    assert foreign.status_code == 404


def test_openapi_schema_and_docs_are_served_locally(client):
    schema = client.get("/api/schema/")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert b"/api/v1/carts/" in schema.content
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()
    assert b"/static/drf_spectacular_sidecar/" in docs.content


def test_token_is_accepted_with_token_keyword_too(client, custom_store):
    response = client.get("/api/v1/carts/", HTTP_AUTHORIZATION=f"Token {API_TOKEN}")

    assert response.status_code == 200


@pytest.mark.parametrize("link", ["javascript:alert(document.cookie)", "data:text/html,<script>alert(1)</script>",
                                  "ftp://shop.example.com/checkout/recover/cart-1001",
                                  "https://user:secret@shop.example.com/checkout/recover/cart-1001"])
def test_a_link_customers_may_not_be_sent_is_refused_with_400_and_nothing_stored(api_client, link):
    response = api_client.post("/api/v1/carts/", cart_body(checkout_url=link), format="json")

    assert response.status_code == 400
    assert response.json()["checkout_url"]
    assert Cart.objects.count() == 0


def test_the_api_refuses_an_ftp_link_with_the_shared_rule_s_reason(api_client):
    response = api_client.post("/api/v1/carts/", cart_body(checkout_url="ftp://shop.example.com/r"), format="json")

    assert response.json()["checkout_url"] == [
        "The recovery link's scheme ftp: is not allowed (only https:// or http:// links are)."]


def test_an_http_link_is_refused_unless_the_setting_allows_it(api_client, settings):
    settings.RECOVERY_LINK_ALLOW_HTTP = False
    refused = api_client.post("/api/v1/carts/", cart_body(checkout_url="http://shop.example.com/r"), format="json")
    settings.RECOVERY_LINK_ALLOW_HTTP = True
    accepted = api_client.post("/api/v1/carts/", cart_body(checkout_url="http://shop.example.com/r"), format="json")

    assert refused.status_code == 400 and "only https:// links are" in refused.json()["checkout_url"][0]
    assert accepted.status_code == 201 and Cart.objects.get().checkout_url == "http://shop.example.com/r"
