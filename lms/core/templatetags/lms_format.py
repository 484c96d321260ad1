from django import template

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
