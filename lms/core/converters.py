"""Path converters. `<id:...>` takes database ids only: a number outside 1 .. 2**63-1 (the
range of a PostgreSQL bigint, and of SQLite's INTEGER) matches no route, so it is a 404
instead of an OverflowError from the database driver."""

import re

MAX_DATABASE_ID = 2**63 - 1

_DIGITS = re.compile(r"[0-9]+")


def database_id(value: str) -> int | None:
    """`value` (a path segment or a query parameter) as a database id, or None when it is
    not a decimal number in 1 .. MAX_DATABASE_ID."""
    if len(value) > len(str(MAX_DATABASE_ID)) or not _DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if 1 <= number <= MAX_DATABASE_ID else None


class DatabaseIdConverter:
    regex = "[0-9]+"

    def to_python(self, value: str) -> int:
        number = database_id(value)
        if number is None:
            raise ValueError(value)  # to Django's resolver: this route does not match
        return number

    def to_url(self, value: int) -> str:
        return str(value)
