import pytest
from hypothesis import given
from hypothesis import strategies as st

from lms.studio.captions import (
    CaptionError,
    Cue,
    convert_to_webvtt,
    parse_captions,
    to_webvtt,
)

SRT = """1
00:00:01,000 --> 00:00:03,500
안녕하세요, QA관리사 과정입니다.

2
00:00:04,000 --> 00:00:06,000
오늘은 모니터링 평가표를 만듭니다.
"""


@pytest.mark.parametrize(
    "data",
    [
        SRT.encode("utf-8"),
        b"\xef\xbb\xbf" + SRT.encode("utf-8"),
        SRT.encode("cp949"),
        SRT.replace("\n", "\r\n").encode("cp949"),
    ],
    ids=["utf-8", "utf-8-bom", "cp949", "cp949-crlf"],
)
def test_srt_in_each_korean_encoding_becomes_the_same_webvtt(data):
    vtt, count = convert_to_webvtt(data)

    assert count == 2
    assert vtt.startswith("WEBVTT\n\n00:00:01.000 --> 00:00:03.500\n안녕하세요")
    assert "오늘은 모니터링 평가표를 만듭니다." in vtt


def test_webvtt_input_is_normalised():
    data = "WEBVTT\n\nintro\n00:01.000 --> 00:02.000 align:start\n첫 자막\n".encode()
    vtt, count = convert_to_webvtt(data)
    assert count == 1
    assert "00:00:01.000 --> 00:00:02.000\n첫 자막" in vtt


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("1\n00:00:05,000 --> 00:00:03,000\n거꾸로\n", "caption_timing"),
        ("1\n00:00:05,000 --> 00:00:05,000\n길이 0\n", "caption_timing"),
        ("1\n00:00:75,000 --> 00:00:80,000\n초가 75\n", "caption_timing"),
        ("1\n00:00:01 --> 00:00:02\n밀리초 없음\n", "caption_timing"),
        ("그냥 글입니다\n", "caption_no_cues"),
        ("", "caption_empty"),
    ],
)
def test_broken_caption_files_are_refused_with_the_reason(text, code):
    with pytest.raises(CaptionError) as error:
        convert_to_webvtt(text.encode())
    assert error.value.code == code
    assert str(error.value)


def test_a_binary_or_utf16_file_is_refused_as_the_wrong_encoding():
    with pytest.raises(CaptionError) as error:
        convert_to_webvtt(SRT.encode("utf-16"))
    assert error.value.code == "caption_encoding"


def test_latin1_bytes_that_are_neither_utf8_nor_cp949_are_refused():
    with pytest.raises(CaptionError) as error:
        convert_to_webvtt("1\n00:00:01,000 --> 00:00:02,000\n\xff\xfe\xff\n".encode("latin-1"))
    assert error.value.code == "caption_encoding"


def test_a_caption_after_the_end_of_the_video_is_refused():
    with pytest.raises(CaptionError) as error:
        convert_to_webvtt(SRT.encode(), duration=2.0)
    assert error.value.code == "caption_beyond_duration"


@given(
    st.lists(
        st.tuples(
            st.integers(0, 10_000_000),
            st.integers(1, 100_000),
            st.text(alphabet="가나다라 abc.,!?", min_size=1, max_size=40)
            .map(str.strip)
            .filter(bool),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_webvtt_we_write_parses_back_to_the_same_cues(raw):
    cues = [Cue(start / 1000, (start + length) / 1000, text) for start, length, text in raw]
    assert parse_captions(to_webvtt(cues)) == cues
