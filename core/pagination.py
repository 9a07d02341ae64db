"""The REST API's pages: `?limit=` and `?offset=` as DRF's LimitOffsetPagination reads them, with a maximum page
size and a 400 for a value that is not a whole number.

DRF's own class takes any limit when no maximum is set, and a limit past PostgreSQL's bigint reached the query
as a 500 ("bigint out of range"); a non-numeric value was silently read as the default.
"""

from __future__ import annotations

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50
_DIGITS_KEPT = 18  # a larger number is only ever "more than there is": past every count, within bigint


class ApiPagination(LimitOffsetPagination):
    """At most MAX_PAGE_SIZE rows a page (a larger limit reads MAX_PAGE_SIZE); limit and offset must be whole
    numbers, a limit at least 1, or the request is answered 400 naming the parameter."""

    default_limit = DEFAULT_PAGE_SIZE
    max_limit = MAX_PAGE_SIZE

    def get_limit(self, request) -> int:
        limit = _whole_number(request, self.limit_query_param, default=self.default_limit)
        if limit < 1:
            raise ValidationError({self.limit_query_param: [f"Give a limit from 1 to {self.max_limit}."]})
        return min(limit, self.max_limit)

    def get_offset(self, request) -> int:
        return _whole_number(request, self.offset_query_param, default=0)


def _whole_number(request, name: str, *, default: int) -> int:
    raw = request.query_params.get(name, "")
    if raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()):
        raise ValidationError({name: [f"{name} must be a whole number (0, 1, 2, ...), not {raw[:20]!r}."]})
    return int(raw) if len(raw) <= _DIGITS_KEPT else 10**_DIGITS_KEPT
