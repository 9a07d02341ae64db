"""The JSON endpoints (`/api/`, `/webhooks/`) answer Django's own refusals in JSON with the right status; every other
page keeps Django's HTML."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.payloads import post_shopify, woocommerce_headers

pytestmark = pytest.mark.django_db
ELEVEN_MB = b'{"note": "' + b"x" * (11 * 1024 * 1024) + b'"}'
TWO_THOUSAND_FIELDS = urlencode({f"field{number}": "x" for number in range(2000)})


@pytest.mark.parametrize("path", ["/api/v1/carts/", "/api/v1/orders/"])
def test_an_api_body_over_the_limit_is_a_json_413(api_client, path):
    response = api_client.post(path, data=ELEVEN_MB, content_type="application/json")

    assert response.status_code == 413 and response["Content-Type"] == "application/json"
    assert "larger than the 10.0 MB" in response.json()["error"]


def test_a_webhook_body_over_the_limit_is_a_json_413(client, shopify_store, woo_store):
    shopify = post_shopify(client, ELEVEN_MB)
    woocommerce = client.post("/webhooks/woocommerce/", data=ELEVEN_MB, content_type="application/json",
                              **woocommerce_headers(ELEVEN_MB))

    for response in (shopify, woocommerce):
        assert response.status_code == 413 and response["Content-Type"] == "application/json"


def test_a_form_with_too_many_fields_is_a_json_400(client, settings):
    # given: Twilio's signed webhooks read the form to check the signature
    settings.TWILIO_AUTH_TOKEN = "token"

    # when
    response = client.post("/webhooks/twilio/sms/", data=TWO_THOUSAND_FIELDS,
                           content_type="application/x-www-form-urlencoded", HTTP_X_TWILIO_SIGNATURE="x")

    # then
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert "More than the 1000 form fields" in response.json()["error"]


def test_an_api_address_that_does_not_exist_is_a_json_404(api_client):
    response = api_client.get("/api/v2/carts/")

    assert response.status_code == 404 and response.json() == {"error": "Not found."}


def test_pages_for_people_keep_their_html_errors(client, admin_user):
    client.force_login(admin_user)

    missing = client.get("/no-such-page/")
    too_many = client.post("/agents/script/", data=TWO_THOUSAND_FIELDS,
                           content_type="application/x-www-form-urlencoded")

    assert missing.status_code == 404 and missing["Content-Type"].startswith("text/html")
    assert too_many.status_code == 400 and too_many["Content-Type"].startswith("text/html")


def test_a_server_error_on_a_json_endpoint_is_json(client, monkeypatch):
    # given: a webhook whose store lookup breaks
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("recovery.webhooks.selectors.webhook_store", broken)
    client.raise_request_exception = False

    # when
    response = client.post("/webhooks/shopify/", data=b"{}", content_type="application/json")

    # then
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    assert "error" in response.json()
