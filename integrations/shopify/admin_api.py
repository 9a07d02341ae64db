"""Shopify's Admin GraphQL API, as far as the reconciliation needs it: `abandonedCheckouts`, page by page.

`https://{shop_domain}/admin/api/{version}/graphql.json` with the store's `X-Shopify-Access-Token`, the version
pinned. Shopify limits each app and shop to a bucket of query-cost points (`extensions.cost.throttleStatus`): a
throttled request (HTTP 429, or a THROTTLED error) waits until the bucket holds the query's cost, and the client
paces itself between pages so that it is rarely throttled at all. httpx sends the POSTs (one connection kept for a
run's pages, redirects never followed); tenacity runs the retries, each kind with its own budget and wait.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from tenacity import RetryCallState, Retrying, retry_if_exception_type

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


class _Throttled(Exception):
    """Shopify throttled the request (HTTP 429 or THROTTLED): retried after `wait` seconds."""

    def __init__(self, wait: float):
        super().__init__(wait)
        self.wait = wait


class _Unavailable(Exception):
    """No answer, or a 5xx: retried after 2, then 4 seconds."""

    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


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
        self._http: httpx.Client | None = None
        self._wait_before_next = 0.0

    def close(self) -> None:
        """Close the connection kept between requests (the listing and the installed check close it themselves;
        a later request opens a new one)."""
        if self._http is not None:
            self._http.close()
            self._http = None

    def _connection(self) -> httpx.Client:
        if self._http is None:
            # A redirect would carry the access token to wherever it points: never followed, answered as an error.
            self._http = httpx.Client(timeout=REQUEST_TIMEOUT_SECONDS, follow_redirects=False, headers={
                "Content-Type": "application/json", "Accept": "application/json",
                "X-Shopify-Access-Token": self._access_token,
            })
        return self._http

    def abandoned_checkouts(self, *, updated_from: datetime, updated_to: datetime) -> Iterator[dict]:
        """Every checkout updated in [updated_from, updated_to], following `pageInfo.endCursor`."""
        search = f"updated_at:>='{_search_time(updated_from)}' AND updated_at:<='{_search_time(updated_to)}'"
        variables = {"first": PAGE_SIZE, "after": None, "query": search, "lineItems": LINE_ITEMS_PER_CHECKOUT}
        try:
            yield from self._pages(variables)
        finally:
            self.close()

    def _pages(self, variables: dict) -> Iterator[dict]:
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
        try:
            status, _headers, payload = self._post(json.dumps({"query": SHOP_QUERY, "variables": {}}).encode())
        finally:
            self.close()
        if status == 401:
            return True
        if status == 200 and not payload.get("errors"):
            return False
        raise ShopifyAdminApiError(f"{self.shop_domain}: cannot tell whether the app is installed "
                                   f"(HTTP {status or 'none'}: {_error_text(payload)})")

    def execute(self, query: str, variables: dict) -> dict:
        """One GraphQL request: throttling (HTTP 429 or a THROTTLED error) waits for the bucket to refill and
        retries (up to THROTTLE_RETRIES times); a 5xx or a network failure is retried twice, after 2 then 4
        seconds; anything else raises `ShopifyAdminApiError`."""
        body = json.dumps({"query": query, "variables": variables}).encode()
        if self._wait_before_next:
            self._sleep(self._wait_before_next)
            self._wait_before_next = 0.0
        failures: Counter[type[Exception]] = Counter()

        def attempt() -> dict:
            status, headers, payload = self._post(body)
            if status == 429 or _throttled(payload):
                failures[_Throttled] += 1
                raise _Throttled(_throttle_wait(headers, payload))
            if status == 0 or status >= 500:
                failures[_Unavailable] += 1
                raise _Unavailable(status)
            if status != 200 or payload.get("errors"):
                raise ShopifyAdminApiError(f"{self.shop_domain}: HTTP {status}: {_error_text(payload)}")
            return payload

        def out_of_retries(_state: RetryCallState) -> bool:
            return failures[_Throttled] > THROTTLE_RETRIES or failures[_Unavailable] > SERVER_ERROR_RETRIES

        def wait(state: RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            return error.wait if isinstance(error, _Throttled) else float(2 ** failures[_Unavailable])

        retrying = Retrying(retry=retry_if_exception_type((_Throttled, _Unavailable)), stop=out_of_retries,
                            wait=wait, sleep=self._sleep, reraise=True)
        try:
            payload = retrying(attempt)
        except _Throttled:
            raise ShopifyAdminApiError(f"{self.shop_domain}: still throttled after {THROTTLE_RETRIES} waits") from None
        except _Unavailable as exc:
            raise ShopifyAdminApiError(
                f"{self.shop_domain}: Admin API unavailable (HTTP {exc.status or 'none'})") from None
        self._pace(payload)
        return payload

    def _post(self, body: bytes) -> tuple[int, dict[str, str], dict]:
        """(HTTP status, headers, JSON body); status 0 when no answer came (refused, timed out)."""
        try:
            response = self._connection().post(self.endpoint, content=body)
        except httpx.TransportError as exc:
            logger.warning("Shopify Admin API of %s did not answer: %s", self.shop_domain, exc)
            return 0, {}, {}
        return response.status_code, dict(response.headers), _json(response.content)

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
