"""Members' posts render as escaped text with line breaks, safe links and seekable moments."""

import re

import pytest

from lms.qna.formatting import moment_text, parse_moment, post_html


def test_script_in_a_post_is_shown_as_text_and_never_runs():
    html = post_html('<script>alert("x")</script><img src=x onerror=alert(1)>')
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_line_breaks_are_kept():
    assert post_html("첫 줄\n둘째 줄\r\n셋째 줄") == "첫 줄<br>\n둘째 줄<br>\n셋째 줄"


def test_web_addresses_become_links_that_pass_on_no_standing():
    html = post_html("자료: https://example.com/a?b=1&c=2 참고")
    assert (
        '<a href="https://example.com/a?b=1&amp;c=2" rel="nofollow noopener ugc">'
        "https://example.com/a?b=1&amp;c=2</a>"
    ) in html


def test_a_javascript_address_is_not_made_into_a_link():
    html = post_html("javascript:alert(1)")
    assert "<a" not in html
    assert html == "javascript:alert(1)"


def test_a_quote_in_an_address_cannot_break_out_of_the_attribute():
    html = post_html('https://example.com/"onmouseover="alert(1)')
    assert 'onmouseover="' not in html


def test_moments_become_buttons_that_seek_even_with_a_particle_attached():
    html = post_html("12:34에서 설명하신 부분과 1:02:03 부분")
    assert '<button type="button" class="link moment" data-seek="754">12:34</button>에서' in html
    assert 'data-seek="3723">1:02:03</button>' in html


def test_a_moment_inside_an_address_stays_part_of_the_link():
    html = post_html("https://example.com/watch?t=12:34")
    assert "data-seek" not in html
    assert 'href="https://example.com/watch?t=12%3A34"' in html


def test_numbers_that_are_not_moments_stay_text():
    assert "data-seek" not in post_html("12:345 와 99:99 와 1:2")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("", None), ("  ", None), ("12:34", 754), ("0:05", 5), ("1:02:03", 3723), ("90", 90)],
)
def test_parse_moment_reads_clock_texts_and_seconds(text, seconds):
    assert parse_moment(text) == seconds


@pytest.mark.parametrize("text", ["abc", "12:60", "1:2", "-5", "25:00:00"])
def test_parse_moment_refuses_what_is_not_a_moment(text):
    with pytest.raises(ValueError, match=re.escape(text)):
        parse_moment(text)


def test_moment_text_is_what_the_player_shows():
    assert moment_text(5) == "0:05"
    assert moment_text(754) == "12:34"
    assert moment_text(3723) == "1:02:03"
