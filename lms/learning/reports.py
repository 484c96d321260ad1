"""Heartbeat reports: parse and check what a player sent, before anything is stored.

A report is a JSON object:

    {"lecture": 12, "session": "<uuid>", "seq": 7, "ranges": [[30.0, 40.2]],
     "position": 40.2, "rate": 1.0, "sent_at": "2026-05-01T10:00:00Z"}

`ranges` are the media ranges played since the previous report of the session, in seconds;
`seq` increases within a session; `sent_at` is the device clock (ISO 8601 with a zone).

The format is stated once, as the JSON Schema `REPORT_SCHEMA` (the API's documentation shows
it as it is); `report_parse` checks it by hand, because it runs on every heartbeat and a
serializer costs some forty times more (tests/lms/learning/test_reports_schema.py holds the two
to each other). Beyond the schema it refuses a range that ends before it starts and a report
dated in the future; checks that need the lecture (its duration) are in `report_check_bounds`.
"""

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from lms.core.errors import AppError

from . import rules

MAX_NUMBER = 1e9  # seconds: no lecture, position or range is anywhere near

REPORT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "One report: what the player played since its previous report.",
    "properties": {
        "lecture": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
        "session": {
            "type": "string",
            "format": "uuid",
            "description": "Random id the player makes per page load.",
        },
        "seq": {
            "type": "integer",
            "minimum": 0,
            "maximum": rules.MAX_SEQ,
            "description": "Increases with each report.",
        },
        "ranges": {
            "type": "array",
            "maxItems": rules.MAX_RANGES_PER_REPORT,
            "items": {
                "type": "array",
                "minItems": 2,
                "maxItems": 2,
                "items": {"type": "number", "minimum": 0, "maximum": MAX_NUMBER},
            },
            "description": (
                "Media ranges [start, end] in seconds played since the previous report; end "
                "not before start. Ends up to "
                f"{rules.RANGE_END_TOLERANCE_SECONDS:g} s past the lecture's end are clipped; "
                "further out is refused (400)."
            ),
        },
        "position": {
            "type": "number",
            "minimum": 0,
            "maximum": MAX_NUMBER,
            "description": "Playback position, seconds.",
        },
        "rate": {"type": "number", "minimum": rules.MIN_RATE, "maximum": rules.MAX_RATE},
        "sent_at": {
            "type": "string",
            "format": "date-time",
            # RFC 3339: a zone is required (the pattern says so to readers without a format
            # checker).
            "pattern": (
                r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?"
                r"([Zz]|[+-]\d{2}:?\d{2})$"
            ),
            "maxLength": 40,
            "description": (
                "Device clock, ISO 8601 with a zone; more than a minute ahead is refused."
            ),
        },
    },
    "required": ["lecture", "session", "seq", "ranges", "position", "rate", "sent_at"],
}
BATCH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "reports": {
            "type": "array",
            "minItems": 1,
            "maxItems": rules.MAX_REPORTS_PER_REQUEST,
            "items": REPORT_SCHEMA,
        }
    },
    "required": ["reports"],
}
#: A heartbeat body: one report, or a batch of them.
HEARTBEAT_SCHEMA: dict[str, Any] = {"oneOf": [REPORT_SCHEMA, BATCH_SCHEMA]}
REPORT_FIELDS: tuple[str, ...] = tuple(REPORT_SCHEMA["required"])


@dataclass(frozen=True)
class HeartbeatReport:
    index: int
    lecture_id: int
    session: uuid.UUID
    seq: int
    ranges: tuple[tuple[float, float], ...]
    position: float
    rate: float
    sent_at: datetime


def _invalid(index: int, field: str, message: str, code: str = "invalid_report") -> AppError:
    return AppError(
        _("Report %(index)s, “%(field)s”: %(message)s")
        % {"index": index, "field": field, "message": message},
        code=code,
        extra={"index": index, "field": field},
    )


def _number(value: Any, index: int, field: str) -> float:
    # bool is an int in Python; JSON true is not a number. NaN and infinities are refused even
    # if a lenient parser let them through.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid(index, field, _("a number is required."))
    if isinstance(value, float) and not math.isfinite(value):
        raise _invalid(index, field, _("the number must be finite."))
    if abs(value) > MAX_NUMBER:
        raise _invalid(index, field, _("the number is out of range."))
    return float(value)


def _integer(value: Any, index: int, field: str, *, low: int, high: int) -> int:
    # JSON has one number type: 12.0 is the whole number 12, as JSON Schema's "integer" says.
    if isinstance(value, float) and value.is_integer() and abs(value) <= 2**63:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(index, field, _("a whole number is required."))
    if not low <= value <= high:
        raise _invalid(
            index,
            field,
            _("must be between %(low)s and %(high)s.") % {"low": low, "high": high},
        )
    return value


def report_parse(data: Any, *, index: int, now: datetime) -> HeartbeatReport:
    """Check the shape, types and limits of one report. Raises AppError (400) with the index
    and field of the first problem."""
    if not isinstance(data, Mapping):
        raise AppError(
            _("Report %(index)s must be a JSON object.") % {"index": index},
            code="invalid_report",
            extra={"index": index},
        )
    missing = [f for f in REPORT_FIELDS if f not in data]
    if missing:
        raise AppError(
            _("Report %(index)s is missing: %(fields)s.")
            % {"index": index, "fields": ", ".join(missing)},
            code="invalid_report",
            extra={"index": index, "missing": missing},
        )
    lecture_id = _integer(data["lecture"], index, "lecture", low=1, high=2**63 - 1)
    session_raw = data["session"]
    try:
        if not isinstance(session_raw, str):
            raise ValueError
        session = uuid.UUID(session_raw)
    except ValueError:
        raise _invalid(index, "session", _("a UUID is required.")) from None
    seq = _integer(data["seq"], index, "seq", low=0, high=rules.MAX_SEQ)

    raw_ranges = data["ranges"]
    if not isinstance(raw_ranges, list):
        raise _invalid(index, "ranges", _("a list of [start, end] pairs is required."))
    if len(raw_ranges) > rules.MAX_RANGES_PER_REPORT:
        raise _invalid(
            index,
            "ranges",
            _("at most %(limit)s ranges per report.") % {"limit": rules.MAX_RANGES_PER_REPORT},
            code="too_many_ranges",
        )
    ranges = []
    for pair in raw_ranges:
        if not isinstance(pair, list) or len(pair) != 2:
            raise _invalid(index, "ranges", _("each range must be a [start, end] pair."))
        start = _number(pair[0], index, "ranges")
        end = _number(pair[1], index, "ranges")
        if start < 0:
            raise _invalid(index, "ranges", _("a range cannot start before 0."), "invalid_range")
        if end < start:
            raise _invalid(
                index,
                "ranges",
                _("the range [%(start)s, %(end)s] ends before it starts.")
                % {"start": start, "end": end},
                "invalid_range",
            )
        ranges.append((start, end))

    position = _number(data["position"], index, "position")
    if position < 0:
        raise _invalid(index, "position", _("the position cannot be negative."))
    rate = _number(data["rate"], index, "rate")
    if not rules.MIN_RATE <= rate <= rules.MAX_RATE:
        raise _invalid(
            index,
            "rate",
            _("the playback rate must be between %(low)s and %(high)s.")
            % {"low": rules.MIN_RATE, "high": rules.MAX_RATE},
            "invalid_rate",
        )

    sent_raw = data["sent_at"]
    sent_at = None
    if isinstance(sent_raw, str) and len(sent_raw) <= 40:
        try:
            sent_at = parse_datetime(sent_raw)
        except ValueError:
            sent_at = None
    if sent_at is None or sent_at.tzinfo is None:
        raise _invalid(index, "sent_at", _("an ISO 8601 date-time with a time zone is required."))
    if sent_at > now + rules.MAX_FUTURE_SKEW:
        raise _invalid(
            index,
            "sent_at",
            _("the report is dated in the future; check the device clock."),
            "future_report",
        )
    return HeartbeatReport(
        index=index,
        lecture_id=lecture_id,
        session=session,
        seq=seq,
        ranges=tuple(ranges),
        position=position,
        rate=rate,
        sent_at=sent_at,
    )


def report_check_bounds(report: HeartbeatReport, *, duration_seconds: float) -> HeartbeatReport:
    """Ranges and position against the lecture's duration: a little past the end is clipped
    (players disagree on the last frame), further out is refused."""
    limit = duration_seconds + rules.RANGE_END_TOLERANCE_SECONDS
    for start, end in report.ranges:
        if end > limit:
            raise _invalid(
                report.index,
                "ranges",
                _("the range [%(start)s, %(end)s] lies past the end of the lecture (%(d)s s).")
                % {"start": start, "end": end, "d": duration_seconds},
                "range_out_of_bounds",
            )
    if report.position > limit:
        raise _invalid(
            report.index,
            "position",
            _("the position lies past the end of the lecture (%(d)s s).") % {"d": duration_seconds},
            "range_out_of_bounds",
        )
    if report.position <= duration_seconds:
        return report
    return replace(report, position=float(duration_seconds))
