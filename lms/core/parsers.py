"""The one JSON reader for request bodies: a size limit, a nesting limit, no NaN or Infinity.

DRF reads the request stream itself, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE does not apply to
API bodies, and `json.loads` recurses once per nesting level: a body of 100,000 `[` is a
RecursionError. The depth is measured first, by a scan that does not recurse.
"""

import json
import re
from itertools import accumulate
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.parsers import BaseParser

# The largest body an API takes: the heartbeat's batch of 50 reports of up to 500 ranges each
# fits well within it; no other endpoint comes near.
MAX_JSON_BODY_BYTES = 512 * 1024
# Deeper than any body the API documents (the heartbeat's ranges are four levels down).
MAX_JSON_DEPTH = 32

# A JSON string, escapes included (unrolled so that the regex engine does not backtrack).
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "Request body too large."
    default_code = "payload_too_large"


def json_nests_deeper_than(text: str, limit: int) -> bool:
    """Whether arrays and objects in `text` nest more than `limit` levels deep (brackets
    inside strings do not count); one linear scan, no recursion."""
    if text.count("[") + text.count("{") <= limit:
        return False  # the common case, at the speed of str.count
    brackets = _NOT_A_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(_STEP[c] for c in brackets), default=0) > limit


def json_body_parse(raw: bytes) -> Any:
    """The JSON value of a request body `raw` (already read, at most one byte past
    MAX_JSON_BODY_BYTES). Raises PayloadTooLarge (413) or ParseError (400), with a message a
    person can act on."""
    if len(raw) > MAX_JSON_BODY_BYTES:
        raise PayloadTooLarge(
            _("The request body is larger than %(limit)s bytes.") % {"limit": MAX_JSON_BODY_BYTES}
        )
    try:
        text = raw.decode(settings.DEFAULT_CHARSET)
    except UnicodeDecodeError:
        raise exceptions.ParseError(
            _("The request body is not valid UTF-8 text."), code="parse_error"
        ) from None
    if json_nests_deeper_than(text, MAX_JSON_DEPTH):
        raise exceptions.ParseError(
            _("The JSON in the request body nests more than %(limit)s levels deep.")
            % {"limit": MAX_JSON_DEPTH},
            code="too_deep",
        )
    try:
        return json.loads(text, parse_constant=_refuse)
    except ValueError as exc:
        raise exceptions.ParseError(
            _("The body is not valid JSON: %(error)s") % {"error": exc}, code="parse_error"
        ) from None


def json_stream_parse(stream: Any) -> Any:
    """`json_body_parse` of a request stream, read no further than one byte past the limit."""
    raw = stream.read(MAX_JSON_BODY_BYTES + 1) if stream is not None else b""
    return json_body_parse(raw)


def _refuse(name: str) -> None:
    raise ValueError(_("%(name)s is not a number JSON allows") % {"name": name})


class JSONParser(BaseParser):
    """DRF's parser for `application/json` bodies (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES)."""

    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        return json_stream_parse(stream)
