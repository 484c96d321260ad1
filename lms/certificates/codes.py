"""Public certificate codes: 80 random bits in Crockford base32, grouped for reading aloud.

`KCA-7F3K-9QXD-M2PA-TT4E`: the prefix names the register, then four groups of four. Crockford's
alphabet has no I, L, O or U, and a reader who types one of the look-alikes (O for 0, I or L
for 1) or leaves out the hyphens or the prefix still finds the certificate.
"""

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "KCA"
BITS = 80
_LENGTH = BITS // 5  # 16 characters
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-–—_.]+")
_VALID = re.compile(f"[{ALPHABET}]{{{_LENGTH}}}")


def code_new() -> str:
    """A fresh code from the operating system's random source."""
    value = secrets.randbits(BITS)
    chars = []
    for _ in range(_LENGTH):
        value, digit = divmod(value, 32)
        chars.append(ALPHABET[digit])
    body = "".join(chars)
    return "-".join([PREFIX, *(body[i : i + 4] for i in range(0, _LENGTH, 4))])


def code_normalise(text: str) -> str | None:
    """The canonical form of what a person typed, or None when it cannot be a code."""
    if len(text) > 64:
        return None
    compact = _SEPARATORS.sub("", text).upper()
    if compact.startswith(PREFIX) and len(compact) == len(PREFIX) + _LENGTH:
        compact = compact[len(PREFIX) :]
    compact = compact.translate(_LOOKALIKES)
    if not _VALID.fullmatch(compact):
        return None
    return "-".join([PREFIX, *(compact[i : i + 4] for i in range(0, _LENGTH, 4))])
