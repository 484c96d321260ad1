"""The heartbeat format is stated once (`reports.HEARTBEAT_SCHEMA`): the hand parser accepts
exactly what that schema allows, and the API documents that schema (issue 19)."""

import json
import uuid
from datetime import timedelta

import jsonschema
import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.core.errors import AppError
from lms.learning import reports, rules

NOW = timezone.now()
SCHEMA = jsonschema.Draft202012Validator(
    reports.REPORT_SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)
# What the schema cannot say: a range that ends before it starts, and a report from the future.
BEYOND_THE_SCHEMA = {"invalid_range", "future_report"}

numbers = st.one_of(
    st.integers(min_value=-5, max_value=10**10),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=3),
    st.none(),
)
values = {
    "lecture": st.one_of(st.integers(min_value=-2, max_value=2**64), numbers),
    "session": st.one_of(st.uuids().map(str), st.text(max_size=40), numbers),
    "seq": st.one_of(st.integers(min_value=-2, max_value=2**32), numbers),
    "ranges": st.one_of(
        st.lists(st.lists(numbers, min_size=1, max_size=3), max_size=4),
        st.lists(
            st.tuples(st.floats(0, 1e4), st.floats(0, 1e4)).map(list),
            max_size=rules.MAX_RANGES_PER_REPORT + 2,
        ),
        numbers,
    ),
    "position": numbers,
    "rate": st.one_of(st.floats(0, 5), numbers),
    "sent_at": st.one_of(
        st.sampled_from(
            [
                NOW.isoformat(),
                (NOW - timedelta(minutes=5)).isoformat(),
                "2026-05-01T10:00:00Z",
                "2026-05-01T10:00:00",  # no zone
                "not a date",
            ]
        ),
        numbers,
    ),
}


def _valid() -> dict:
    return {
        "lecture": 12,
        "session": str(uuid.uuid4()),
        "seq": 3,
        "ranges": [[10.0, 40.0]],
        "position": 40.0,
        "rate": 1.0,
        "sent_at": NOW.isoformat(),
    }


@st.composite
def report_bodies(draw):
    body = _valid()
    for field in draw(st.sets(st.sampled_from(sorted(values)))):
        body[field] = draw(values[field])
    for field in draw(st.sets(st.sampled_from(sorted(values)), max_size=1)):
        del body[field]
    return body


def _parser_verdict(body) -> str:
    try:
        reports.report_parse(body, index=0, now=NOW)
    except AppError as error:
        return error.code
    return "ok"


@settings(max_examples=200, deadline=None)
@given(report_bodies())
def test_the_parser_accepts_exactly_what_the_schema_allows(body):
    # Through JSON, as the API receives it (no NaN: JSON has none; the parser refuses it too).
    body = json.loads(json.dumps(body, allow_nan=True).replace("NaN", "null"))
    allowed = SCHEMA.is_valid(body)
    verdict = _parser_verdict(body)
    if allowed:
        assert verdict == "ok" or verdict in BEYOND_THE_SCHEMA, (body, verdict)
    else:
        assert verdict != "ok", body


@pytest.mark.django_db
def test_the_api_documents_the_schema_the_parser_checks(client):
    schema = client.get("/api/schema/?format=json").json()
    body = schema["paths"]["/api/v1/progress/heartbeats"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == json.loads(
        json.dumps(reports.HEARTBEAT_SCHEMA)
    )
