from django import template

from lms.certificates.formatting import date_long, study_time
from lms.core.i18n import prefers_english

register = template.Library()


@register.filter
def long_date(value):  # type: ignore[no-untyped-def]
    """`2026년 12월 3일 (목)`, or `3 December 2026` for a visitor who chose English."""
    return date_long(value, english=prefers_english()) if value else ""


@register.filter
def study_duration(seconds):  # type: ignore[no-untyped-def]
    """`3시간 25분`, or `3 h 25 min`."""
    return study_time(int(seconds or 0), english=prefers_english())


@register.filter
def lookup(mapping, key):  # type: ignore[no-untyped-def]
    return mapping.get(key) if mapping else None
