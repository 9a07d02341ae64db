"""The one parse of untrusted JSON: too deep a body or a non-JSON constant is a clear refusal, never a 500."""

from __future__ import annotations

import pytest

from core.json_input import MAX_DEPTH, NESTED_TOO_DEEP, JsonInputError, json_parse


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_json_within_the_depth_limit_is_parsed():
    assert json_parse(b'{"a": [1, {"b": null}]}') == {"a": [1, {"b": None}]}
    assert json_parse(nested(MAX_DEPTH)) is not None


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 900, 100_000])  # 100,000 levels: json.loads' RecursionError
def test_json_nested_deeper_than_the_limit_is_refused(depth):
    with pytest.raises(JsonInputError, match=NESTED_TOO_DEEP):
        json_parse(nested(depth))


def test_deep_objects_are_counted_like_deep_lists():
    body = '{"a": ' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1)
    with pytest.raises(JsonInputError, match="nested deeper"):
        json_parse(body)


@pytest.mark.parametrize(("body", "reason"), [(b"{", "malformed JSON"), (b"\xff\xfe{", "malformed JSON"),
                                             (b'{"total": NaN}', "NaN is not valid JSON"),
                                             (b"[Infinity]", "Infinity is not valid JSON")])
def test_malformed_json_is_refused_with_the_reason(body, reason):
    with pytest.raises(JsonInputError, match=reason):
        json_parse(body)
