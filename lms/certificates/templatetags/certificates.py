from django import template

from lms.certificates.formatting import date_long, study_time

register = template.Library()


@register.filter
def korean_date(value):  # type: ignore[no-untyped-def]
    """`2026년 12월 3일 (목)`."""
    return date_long(value) if value else ""


@register.filter
def study_duration(seconds):  # type: ignore[no-untyped-def]
    """`3시간 25분`."""
    return study_time(int(seconds or 0))


@register.filter
def lookup(mapping, key):  # type: ignore[no-untyped-def]
    return mapping.get(key) if mapping else None
