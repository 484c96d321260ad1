"""How a certificate's figures read, in Korean order (and English on request)."""

from datetime import datetime

from django.utils import timezone

_WEEKDAYS_KO = "월화수목금토일"
_MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def date_long(value: datetime, *, english: bool = False) -> str:
    """`2026년 12월 3일 (목)`, or `3 December 2026`, in the site's time zone."""
    local = timezone.localtime(value)
    if english:
        return f"{local.day} {_MONTHS_EN[local.month - 1]} {local.year}"
    return f"{local.year}년 {local.month}월 {local.day}일 ({_WEEKDAYS_KO[local.weekday()]})"


def study_time(seconds: int, *, english: bool = False) -> str:
    """`3시간 25분`, `40분`, `1분 미만`; `3 h 25 min` in English."""
    minutes = int(seconds) // 60
    hours, minutes = divmod(minutes, 60)
    if english:
        if not hours and not minutes:
            return "under 1 min"
        return " ".join(p for p in (f"{hours} h" if hours else "", f"{minutes} min") if p)
    if not hours and not minutes:
        return "1분 미만"
    return " ".join(
        p for p in (f"{hours}시간" if hours else "", f"{minutes}분" if minutes else "") if p
    )
