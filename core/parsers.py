"""The REST API's request parser."""

from __future__ import annotations

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from core.json_input import JsonInputError, json_parse


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser through the product's one parse of untrusted JSON (core.json_input): a body nested too
    deep, or holding NaN, is a 400 with the reason like any malformed body, never a RecursionError's 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            return json_parse(stream.read().decode(encoding))
        except (JsonInputError, UnicodeDecodeError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
