"""Dates in Korean order: "2026년 12월 3일 (목) 오후 7:00" (English "Thu, Dec 3, 2026, 7:00 PM")."""

from datetime import date, datetime

from django.utils import formats, timezone

from .i18n import prefers_english

WEEKDAYS_KO = "월화수목금토일"


def korean_datetime(value: datetime, *, year: bool = True) -> str:
    """The local time of `value` the way Korean readers write it; `year=False` for near dates."""
    local = timezone.localtime(value)
    if prefers_english():
        return formats.date_format(local, "D, M j, Y, g:i A" if year else "D, M j, g:i A")
    hour = local.hour % 12 or 12
    noon = "오후" if local.hour >= 12 else "오전"
    day = f"{local.month}월 {local.day}일 ({WEEKDAYS_KO[local.weekday()]})"
    if year:
        day = f"{local.year}년 {day}"
    return f"{day} {noon} {hour}:{local.minute:02d}"


def korean_date(value: date | datetime) -> str:
    """ "2026년 12월 3일 (목)" (English "Thu, Dec 3, 2026"): a day without its time."""
    day = timezone.localdate(value) if isinstance(value, datetime) else value
    if prefers_english():
        return formats.date_format(day, "D, M j, Y")
    return f"{day.year}년 {day.month}월 {day.day}일 ({WEEKDAYS_KO[day.weekday()]})"


def korean_time(value: datetime) -> str:
    """ "오후 7:00" (English "7:00 PM"): the local time of day."""
    local = timezone.localtime(value)
    if prefers_english():
        return formats.date_format(local, "g:i A")
    hour = local.hour % 12 or 12
    noon = "오후" if local.hour >= 12 else "오전"
    return f"{noon} {hour}:{local.minute:02d}"
