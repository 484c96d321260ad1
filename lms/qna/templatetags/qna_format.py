from django import template
from django.utils.safestring import SafeString

from lms.qna import formatting

register = template.Library()


@register.filter
def post_html(body: str) -> SafeString:
    """{{ post.body|post_html }}: escaped text, line breaks, safe links, seekable moments."""
    return formatting.post_html(body)


@register.filter
def moment_button(seconds: int | None) -> SafeString:
    """{{ question.at_seconds|moment_button }}: a button that seeks the player there."""
    if seconds is None:
        return SafeString("")
    return formatting.moment_button(seconds)
