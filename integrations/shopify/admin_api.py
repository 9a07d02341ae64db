"""Shopify's Admin GraphQL API, as far as the reconciliation needs it: `abandonedCheckouts`, page by page.

`https://{shop_domain}/admin/api/{version}/graphql.json` with the store's `X-Shopify-Access-Token`, the version
pinned. Shopify limits each app and shop to a bucket of query-cost points (`extensions.cost.throttleStatus`): a
throttled request (HTTP 429, or a THROTTLED error) waits until the bucket holds the query's cost, and the client
paces itself between pages so that it is rarely throttled at all. Standard library only: one POST is all it does.
"""

from __future__ import annotations

import http.client
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.conf import settings

logger = logging.getLogger(__name__)

# Pinned: the query below is written against this version's schema (Customer.defaultEmailAddress and friends).
SHOPIFY_ADMIN_API_VERSION = "2026-10"
# A query may not ask for more than 1,000 points. Each checkout costs about 13 points plus 5 per line item asked
# for, so 10 checkouts of up to 15 line items ask for about 900. Line items beyond 15 are left out; the cart's
# value comes from the checkout's total, not from its lines.
PAGE_SIZE = 10
LINE_ITEMS_PER_CHECKOUT = 15
# A guard against an endpoint that never stops handing out cursors (100,000 checkouts), not a backlog limit.
MAX_PAGES = 10_000
REQUEST_TIMEOUT_SECONDS = 20
THROTTLE_RETRIES = 6
SERVER_ERROR_RETRIES = 2
MAX_WAIT_SECONDS = 30.0

ABANDONED_CHECKOUTS_QUERY = """
query AbandonedCheckoutsToReconcile($first: Int!, $after: String, $query: String, $lineItems: Int!) {
  abandonedCheckouts(first: $first, after: $after, query: $query) {
    edges {
      cursor
      node {
        id
        abandonedCheckoutUrl
        createdAt
        updatedAt
        completedAt
        discountCodes
        customAttributes { key value }
        totalPriceSet { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }
        customer {
          id firstName lastName locale numberOfOrders
          amountSpent { amount currencyCode }
          defaultEmailAddress { emailAddress }
          defaultPhoneNumber { phoneNumber }
        }
        billingAddress { firstName lastName phone countryCodeV2 provinceCode }
        shippingAddress { firstName lastName phone countryCodeV2 provinceCode }
        lineItems(first: $lineItems) {
          nodes {
            title sku variantTitle quantity
            originalUnitPriceSet { presentmentMoney { amount currencyCode } }
            product { id }
            variant { id }
          }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""


# The cheapest query there is (1 point): used only to learn whether Shopify still accepts the token.
SHOP_QUERY = "query ShopStillInstalled { shop { id } }"


class ShopifyAdminApiError(Exception):
    """The Admin API cannot be used (no token) or failed a request after the retries it deserves; the message
    names the shop and why, never the token."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect would carry the access token to wherever it points: treat it as an error instead."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class ShopifyAdminClient:
    """The Admin GraphQL API of one shop: `abandonedCheckouts`, page by page, within Shopify's rate limits."""

    def __init__(self, *, shop_domain: str, access_token: str, sleep: Callable[[float], None] = time.sleep):
        if not access_token:
            raise ShopifyAdminApiError(f"{shop_domain} has no Shopify Admin API access token")
        base = (settings.SHOPIFY_ADMIN_BASE_URL or f"https://{shop_domain}").rstrip("/")
        if urlsplit(base).scheme not in ("https", "http"):
            raise ShopifyAdminApiError(f"Shopify Admin API base URL must be http(s), got {base!r}")
        self.shop_domain = shop_domain
        self.endpoint = f"{base}/admin/api/{SHOPIFY_ADMIN_API_VERSION}/graphql.json"
        self._access_token = access_token
        self._sleep = sleep
        self._opener = urllib.request.build_opener(_NoRedirects)
        self._wait_before_next = 0.0

    def abandoned_checkouts(self, *, updated_from: datetime, updated_to: datetime) -> Iterator[dict]:
        """Every checkout updated in [updated_from, updated_to], following `pageInfo.endCursor`."""
        search = f"updated_at:>='{_search_time(updated_from)}' AND updated_at:<='{_search_time(updated_to)}'"
        variables = {"first": PAGE_SIZE, "after": None, "query": search, "lineItems": LINE_ITEMS_PER_CHECKOUT}
        for _page in range(MAX_PAGES):
            data = self.execute(ABANDONED_CHECKOUTS_QUERY, variables).get("data") or {}
            checkouts = data.get("abandonedCheckouts") or {}
            for edge in checkouts.get("edges") or []:
                yield edge.get("node") or {}
            page_info = checkouts.get("pageInfo") or {}
            if not page_info.get("hasNextPage"):
                return
            if not page_info.get("endCursor") or page_info["endCursor"] == variables["after"]:
                raise ShopifyAdminApiError(f"{self.shop_domain}: a next page without a new endCursor")
            variables = {**variables, "after": page_info["endCursor"]}
        raise ShopifyAdminApiError(f"{self.shop_domain}: more than {MAX_PAGES} pages of abandoned checkouts")

    def access_revoked(self) -> bool:
        """Whether Shopify refuses the store's access token (HTTP 401): it revokes the token the moment the app is
        uninstalled, so this is how an uninstall we heard nothing about is confirmed. False when Shopify answers
        the query; any other answer (a 5xx, no answer) raises `ShopifyAdminApiError`, since it proves nothing."""
        status, _headers, payload = self._post(json.dumps({"query": SHOP_QUERY, "variables": {}}).encode())
        if status == 401:
            return True
        if status == 200 and not payload.get("errors"):
            return False
        raise ShopifyAdminApiError(f"{self.shop_domain}: cannot tell whether the app is installed "
                                   f"(HTTP {status or 'none'}: {_error_text(payload)})")

    def execute(self, query: str, variables: dict) -> dict:
        """One GraphQL request: throttling (HTTP 429 or a THROTTLED error) waits for the bucket to refill and
        retries; a 5xx or a network failure is retried twice; anything else raises `ShopifyAdminApiError`."""
        body = json.dumps({"query": query, "variables": variables}).encode()
        throttled = failed = 0
        if self._wait_before_next:
            self._sleep(self._wait_before_next)
            self._wait_before_next = 0.0
        while True:
            status, headers, payload = self._post(body)
            if status == 429 or _throttled(payload):
                throttled += 1
                if throttled > THROTTLE_RETRIES:
                    raise ShopifyAdminApiError(f"{self.shop_domain}: still throttled after {THROTTLE_RETRIES} waits")
                self._sleep(_throttle_wait(headers, payload))
            elif status == 0 or status >= 500:
                failed += 1
                if failed > SERVER_ERROR_RETRIES:
                    raise ShopifyAdminApiError(f"{self.shop_domain}: Admin API unavailable (HTTP {status or 'none'})")
                self._sleep(float(2**failed))
            elif status != 200 or payload.get("errors"):
                raise ShopifyAdminApiError(f"{self.shop_domain}: HTTP {status}: {_error_text(payload)}")
            else:
                self._pace(payload)
                return payload

    def _post(self, body: bytes) -> tuple[int, dict[str, str], dict]:
        """(HTTP status, headers, JSON body); status 0 when no answer came (refused, timed out)."""
        request = urllib.request.Request(self.endpoint, data=body, method="POST", headers={
            "Content-Type": "application/json", "Accept": "application/json",
            "X-Shopify-Access-Token": self._access_token,
        })
        try:
            # B310: the scheme is checked to be http(s) in __init__; the host is the store's or the test stand-in's.
            with self._opener.open(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:  # nosec B310
                return response.status, dict(response.headers), _json(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers or {}), _json(exc.read())
        except (urllib.error.URLError, http.client.HTTPException, TimeoutError, ConnectionError) as exc:
            logger.warning("Shopify Admin API of %s did not answer: %s", self.shop_domain, exc)
            return 0, {}, {}

    def _pace(self, payload: dict) -> None:
        """Plan a wait before the next request when the bucket holds less than this query asked for, rather than
        being throttled (`extensions.cost.throttleStatus`)."""
        cost = (payload.get("extensions") or {}).get("cost") or {}
        status = cost.get("throttleStatus") or {}
        wanted, available = cost.get("requestedQueryCost"), status.get("currentlyAvailable")
        if wanted is not None and available is not None and available < wanted:
            self._wait_before_next = _refill_seconds(wanted - available, status.get("restoreRate"))


def _search_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json(raw: bytes) -> dict:
    try:
        decoded = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}


def _throttled(payload: dict) -> bool:
    return any((error.get("extensions") or {}).get("code") == "THROTTLED" for error in payload.get("errors") or []
               if isinstance(error, dict))


def _throttle_wait(headers: dict[str, str], payload: dict) -> float:
    """Seconds until the bucket holds the query's cost (from `extensions.cost`), else Retry-After, else 1 s."""
    cost = (payload.get("extensions") or {}).get("cost") or {}
    status = cost.get("throttleStatus") or {}
    wanted, available = cost.get("requestedQueryCost"), status.get("currentlyAvailable")
    if wanted is not None and available is not None:
        return _refill_seconds(max(wanted - available, 0), status.get("restoreRate"))
    retry_after = {name.lower(): value for name, value in headers.items()}.get("retry-after", "")
    try:
        return min(max(float(retry_after), 1.0), MAX_WAIT_SECONDS)
    except ValueError:
        return 1.0


def _refill_seconds(points: float, restore_rate: float | None) -> float:
    return min(max(points / (restore_rate or 50.0), 1.0), MAX_WAIT_SECONDS)


def _error_text(payload: dict) -> str:
    errors = payload.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("message", ""))[:200]
    return str(errors or "unexpected answer")[:200]
