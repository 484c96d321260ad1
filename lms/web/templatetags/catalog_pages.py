"""Template filters of the catalog pages."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def total_length(seconds: int | float | None) -> str:
    """A course's or bundle's length in words, never a clock that could be read as minutes:
    "총 5시간 12분", "총 45분"; rounded to the minute, and "1분 미만" for less."""
    total = int(seconds or 0)
    minutes = (total + 30) // 60
    hours, minutes = divmod(minutes, 60)
    if total > 0 and hours == 0 and minutes == 0:
        return _("Under a minute in total")
    if hours and minutes:
        return _("%(h)s h %(m)s min in total") % {"h": hours, "m": minutes}
    if hours:
        return _("%(h)s h in total") % {"h": hours}
    return _("%(m)s min in total") % {"m": minutes}
