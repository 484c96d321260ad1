"""Korean order for what Django formats itself (the admin's lists and forms, `|date`):
"2026년 12월 3일 오후 7:00", in the order lms/core/dates.py writes. Without the weekday: Django's
Korean abbreviation of it is the full name ("목요일"), and the templates use dates.py, which
writes "(목)". Input formats stay Django's."""

from django.conf.locale.ko.formats import (  # type: ignore[import-untyped]  # noqa: F401
    DATE_INPUT_FORMATS,
    DATETIME_INPUT_FORMATS,
    DECIMAL_SEPARATOR,
    NUMBER_GROUPING,
    THOUSAND_SEPARATOR,
    TIME_INPUT_FORMATS,
)

DATE_FORMAT = "Y년 n월 j일"
TIME_FORMAT = "A g:i"
DATETIME_FORMAT = "Y년 n월 j일 A g:i"
YEAR_MONTH_FORMAT = "Y년 n월"
MONTH_DAY_FORMAT = "n월 j일"
SHORT_DATE_FORMAT = "Y. n. j."
SHORT_DATETIME_FORMAT = "Y. n. j. A g:i"
FIRST_DAY_OF_WEEK = 0  # Sunday, as Korean calendars start the week
