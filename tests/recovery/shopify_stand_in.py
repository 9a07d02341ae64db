"""A local stand-in for a shop's Admin GraphQL endpoint (the reconciliation's and the uninstall check's Shopify).

It answers `abandonedCheckouts` the way Shopify documents it: it checks the access token and the query, filters
its checkouts by the `updated_at` range of the search string, pages them with cursors (edges,
`pageInfo { hasNextPage endCursor }`) and reports the query's cost in `extensions.cost`; an unknown token gets
401, as a token Shopify revoked on uninstall does. Faults are scripted: a THROTTLED error, an HTTP 429 with
Retry-After, a 503.
"""

from __future__ import annotations

import base64
import json
import re
from collections import deque
from datetime import datetime

from recovery.services.shopify_reconciliation import SHOPIFY_ADMIN_API_VERSION

ACCESS_TOKEN = "shpat_test_0123456789abcdef0123456789abcdef"
SEARCH = re.compile(r"^updated_at:>='([^']+)' AND updated_at:<='([^']+)'$")


class ShopifyStandIn:
    """One fake Shopify for several shops, told apart by their access tokens."""

    def __init__(self):
        self.checkouts: dict[str, list[dict]] = {}  # access token -> its shop's checkouts
        self.faults: dict[str, deque[str]] = {}  # access token -> faults to answer first, in order
        self.page_size = 50
        self.requests: list[dict] = []

    def answer(self, path: str, headers, body: bytes) -> tuple[int, dict, dict]:
        token = headers.get("X-Shopify-Access-Token", "")
        request = json.loads(body)
        self.requests.append({"path": path, "token": token, **request})
        if path != f"/admin/api/{SHOPIFY_ADMIN_API_VERSION}/graphql.json":
            return 404, {}, {"errors": "Not Found"}
        if token not in self.checkouts:
            return 401, {}, {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
        fault = self.faults.get(token, deque()).popleft() if self.faults.get(token) else ""
        if fault == "throttled":
            return 200, {}, {"errors": [{"message": "Throttled", "extensions": {
                "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                "extensions": self._cost(available=100.0, actual=None)}
        if fault == "429":
            return 429, {"Retry-After": "2.0"}, {"errors": "Exceeded 2 calls per second for api client."}
        if fault == "503":
            return 503, {}, {"errors": "Service Unavailable"}
        return self._page(token, request)

    def _page(self, token: str, request: dict) -> tuple[int, dict, dict]:
        query, variables = request["query"], request["variables"]
        if query.startswith("query ShopStillInstalled"):  # the token still works: the app is installed
            return 200, {}, {"data": {"shop": {"id": "gid://shopify/Shop/954889"}}}
        match = SEARCH.match(variables.get("query") or "")
        if "abandonedCheckouts(" not in query or "pageInfo { hasNextPage endCursor }" not in query or not match:
            return 200, {}, {"errors": [{"message": "unexpected query", "extensions": {"code": "BAD_REQUEST"}}]}
        low, high = (datetime.fromisoformat(value.replace("Z", "+00:00")) for value in match.groups())
        found = [node for node in self.checkouts[token]
                 if low <= datetime.fromisoformat(node["updatedAt"].replace("Z", "+00:00")) <= high]
        start = int(base64.b64decode(variables["after"])) if variables.get("after") else 0
        page = found[start:start + min(variables["first"], self.page_size)]
        cursors = [base64.b64encode(str(start + index + 1).encode()).decode() for index in range(len(page))]
        return 200, {}, {
            "data": {"abandonedCheckouts": {
                "edges": [{"cursor": cursor, "node": node} for cursor, node in zip(cursors, page, strict=True)],
                "pageInfo": {"hasNextPage": start + len(page) < len(found),
                             "endCursor": cursors[-1] if cursors else None},
            }},
            "extensions": self._cost(available=1900.0, actual=12),
        }

    @staticmethod
    def _cost(*, available: float, actual: int | None) -> dict:
        return {"cost": {"requestedQueryCost": 902, "actualQueryCost": actual, "throttleStatus": {
            "maximumAvailable": 2000.0, "currentlyAvailable": available, "restoreRate": 100.0}}}
