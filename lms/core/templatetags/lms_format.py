from datetime import date, datetime

from django import template

from lms.core import dates

register = template.Library()


@register.filter
def duration(seconds: int | float | None) -> str:
    """12:05 or 1:02:03, as video players show it."""
    total = int(seconds or 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


@register.filter
def korean_datetime(value: datetime | None, arg: str = "") -> str:
    """{{ when|korean_datetime }} → 2026년 12월 3일 (목) 오후 7:00; "short" leaves out the year."""
    if value is None:
        return ""
    return dates.korean_datetime(value, year=arg != "short")


@register.filter
def korean_date(value: date | datetime | None) -> str:
    """{{ day|korean_date }} → 2026년 12월 3일 (목)."""
    if value is None:
        return ""
    return dates.korean_date(value)


@register.filter
def korean_time(value: datetime | None) -> str:
    """{{ when|korean_time }} → 오후 7:00."""
    if value is None:
        return ""
    return dates.korean_time(value)
