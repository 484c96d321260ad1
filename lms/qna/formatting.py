"""Simple formatting of members' posts: everything escaped, line breaks kept, web addresses
made into links that pass on no standing (`rel="nofollow noopener ugc"`), and moments of the
video ("12:34", "1:02:03") made into buttons that seek the player (lms/static/js/qna.js)."""

import re

from django.utils.html import Urlizer, conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

# m:ss or h:mm:ss, not inside a longer run of digits and colons (a clock like 12:34:56:78).
MOMENT_RE = re.compile(r"(?<![\d:])(?:(\d{1,2}):)?([0-5]?\d):([0-5]\d)(?![\d:])")
MOMENT_MAX_SECONDS = 24 * 3600


def moment_seconds(match: re.Match[str]) -> int:
    hours, minutes, seconds = match.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)


def moment_text(seconds: int) -> str:
    """12:05 or 1:02:03, as the player shows it."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def parse_moment(text: str) -> int | None:
    """ "12:34", "1:02:03" or a number of seconds as seconds; None for an empty text.

    Raises ValueError for anything else.
    """
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        seconds = int(text)
    else:
        match = MOMENT_RE.fullmatch(text)
        if match is None:
            raise ValueError(text)
        seconds = moment_seconds(match)
    if seconds > MOMENT_MAX_SECONDS:
        raise ValueError(text)
    return seconds


def moment_button(seconds: int) -> SafeString:
    return format_html(
        '<button type="button" class="link moment" data-seek="{}">{}</button>',
        seconds,
        moment_text(seconds),
    )


def _with_moment_buttons(word: str) -> SafeString:
    parts: list[str] = []
    end = 0
    for match in MOMENT_RE.finditer(word):
        parts.append(conditional_escape(word[end : match.start()]))
        parts.append(moment_button(moment_seconds(match)))
        end = match.end()
    parts.append(conditional_escape(word[end:]))
    return format_html_join("", "{}", ((part,) for part in parts))


class _PostUrlizer(Urlizer):
    # Every link of a member's post: no ranking credit, no window.opener, marked as user content.
    url_template = '<a href="{href}" rel="nofollow noopener ugc">{url}</a>'

    def handle_word(
        self,
        word: str,
        *,
        safe_input: bool,
        trim_url_limit: int | None = None,
        nofollow: bool = False,
        autoescape: bool = False,
    ) -> str:
        looks_like_link = "://" in word or word.lower().startswith("www.")
        if not looks_like_link and MOMENT_RE.search(word):
            return _with_moment_buttons(word)
        return str(
            super().handle_word(
                word,
                safe_input=safe_input,
                trim_url_limit=trim_url_limit,
                nofollow=nofollow,
                autoescape=autoescape,
            )
        )


_urlize = _PostUrlizer()
LINK_TEXT_LIMIT = 60


def post_html(body: str) -> SafeString:
    """A post's text as HTML that can run nothing: the only tags are the ones made here."""
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    html = _urlize(text, trim_url_limit=LINK_TEXT_LIMIT, autoescape=True)
    # Safe: the urlizer escaped every word it did not make into a link or a button.
    return mark_safe(str(html).replace("\n", "<br>\n"))  # noqa: S308
