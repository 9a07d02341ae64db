"""Parsing JSON that comes from outside (webhook bodies, stored deliveries, the REST API): one place that turns
every way a body can be unusable into a clear refusal, never a server error.

`json.loads` raises RecursionError, not ValueError, on a body nested a few thousand levels deep (`[[[[...`),
which escaped every caller's `except ValueError` as a 500. A body nested less deeply than that still parses but
breaks whatever walks it next (the API's storability check, the database's JSON encoder), so nesting is capped
at MAX_DEPTH levels, far beyond any store's payload (a Shopify checkout nests about 5).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

MAX_DEPTH = 64
NESTED_TOO_DEEP = f"JSON nested deeper than {MAX_DEPTH} levels is refused."


class JsonInputError(ValueError):
    """The body is not JSON this product accepts; the message says why and is safe to show the sender."""


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def json_parse(data: bytes | str) -> object:
    """The parsed body, or JsonInputError when it is not JSON (NaN and Infinity included, which no database column
    takes) or is nested deeper than MAX_DEPTH."""
    try:
        value = json.loads(data, parse_constant=_no_constant)
    except RecursionError:
        raise JsonInputError(NESTED_TOO_DEEP) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise JsonInputError(f"malformed JSON: {exc}") from exc
    json_depth_check(value)
    return value


def json_depth_check(value: object) -> None:
    """Raise JsonInputError when `value` (parsed JSON) nests lists and objects deeper than MAX_DEPTH.

    Walks with its own stack, so checking a deep value cannot itself run out of recursion."""
    pending = [(value, 1)]
    children: Iterable[object]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > MAX_DEPTH:
            raise JsonInputError(NESTED_TOO_DEEP)
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
