import re

from hypothesis import given
from hypothesis import strategies as st

from lms.certificates.codes import ALPHABET, BITS, code_new, code_normalise

CODE = re.compile(r"KCA-[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}")


def test_a_new_code_has_eighty_random_bits_in_four_groups():
    codes = {code_new() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(CODE.fullmatch(c) for c in codes)
    assert BITS >= 80
    assert len(ALPHABET) == 32
    # Every position takes many values: the bits are not stuck.
    for position in (4, 9, 14, 19, 22):
        assert len({c[position] for c in codes}) > 20


def test_a_code_typed_loosely_is_found():
    code = "KCA-7F3K-9QXD-M2PA-TT4E"
    assert code_normalise(code) == code
    assert code_normalise(" kca 7f3k 9qxd m2pa tt4e ") == code
    assert code_normalise("7F3K9QXDM2PATT4E") == code
    assert code_normalise("KCA-7F3K-9QXD-M2PA-TT4E".replace("0", "O")) == code
    assert code_normalise("KCA-1111-2222-3333-4444") == code_normalise("kca-iiii-2222-3333-4444")
    assert code_normalise("KCA-1111-2222-3333-4444") == code_normalise("KCA-LLLL-2222-3333-4444")


def test_malformed_codes_are_none():
    for text in (
        "",
        "KCA",
        "KCA-7F3K-9QXD-M2PA",
        "KCA-7F3K-9QXD-M2PA-TT4U",
        "<script>",
        "x" * 65,
        "KCA-7F3K-9QXD-M2PA-TT4E-0000",
        "' OR 1=1 --",
    ):
        assert code_normalise(text) is None


@given(st.text(max_size=80))
def test_normalising_any_text_gives_a_code_or_none(text):
    result = code_normalise(text)
    assert result is None or CODE.fullmatch(result)


@given(st.integers(min_value=0, max_value=50))
def test_normalising_a_code_keeps_it(round_number):
    code = code_new()
    assert code_normalise(code) == code
    assert code_normalise(code.lower().replace("-", "")) == code
