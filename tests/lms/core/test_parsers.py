import json

import pytest
from rest_framework import exceptions

from lms.core.parsers import (
    MAX_JSON_BODY_BYTES,
    MAX_JSON_DEPTH,
    PayloadTooLarge,
    json_body_parse,
    json_nests_deeper_than,
)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_json_at_the_depth_limit_is_parsed():
    assert json_body_parse(nested(MAX_JSON_DEPTH).encode()) == json.loads(nested(MAX_JSON_DEPTH))


@pytest.mark.parametrize(
    "body",
    [
        nested(MAX_JSON_DEPTH + 1),
        "[" * 100_000,
        '{"a":' * 50_000,
        "[" * 100_000 + "]" * 100_000,
    ],
)
def test_json_nested_past_the_limit_is_a_parse_error_not_a_recursion_error(body):
    with pytest.raises(exceptions.ParseError) as raised:
        json_body_parse(body.encode())

    assert raised.value.get_codes() == "too_deep"


def test_brackets_inside_strings_do_not_count_as_nesting():
    text = json.dumps({"note": "[" * 1000 + '\\"{' * 100, "ranges": [[0, 1]]})

    assert not json_nests_deeper_than(text, MAX_JSON_DEPTH)
    assert json_body_parse(text.encode())["ranges"] == [[0, 1]]


def test_a_body_over_the_size_limit_is_refused_unparsed():
    with pytest.raises(PayloadTooLarge):
        json_body_parse(b" " * (MAX_JSON_BODY_BYTES + 1))


@pytest.mark.parametrize(
    ("body", "code"),
    [(b"[NaN]", "parse_error"), (b'{"a": Infinity}', "parse_error"), (b"\xff\xfe", "parse_error")],
)
def test_nan_infinity_and_bytes_that_are_not_utf8_are_parse_errors(body, code):
    with pytest.raises(exceptions.ParseError) as raised:
        json_body_parse(body)

    assert raised.value.get_codes() == code
