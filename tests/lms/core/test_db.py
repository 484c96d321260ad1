"""Timestamps read from PostgreSQL by psycopg's C loader give what Django's loader gives."""

import datetime

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader

from lms.core.db import UtcTimestamptzLoader
from lms.learning.models import LectureProgress
from tests.factories import LectureFactory, UserFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's loaders: PostgreSQL"),
]

LITERALS = [
    "2026-11-28 17:34:10.581501+00",
    "2024-06-01 12:00:00+09",  # another zone: the same instant in UTC
    "2024-06-01 00:00:00-03:30",
    "1800-01-01 00:00:00+00",
    "0044-03-15 12:00:00.5+00",
    "9999-12-31 23:59:59.999999+00",
    "2016-12-31 23:59:59.999999+00",
]
SQL = "SELECT " + ", ".join(f"'{value}'::timestamptz" for value in LITERALS) + ", NULL::timestamptz"


def test_a_utc_connection_loads_timestamps_with_psycopgs_loader_as_django_would() -> None:
    connection.ensure_connection()
    pg = connection.connection
    assert pg.adapters.get_loader(1184, 0) is UtcTimestamptzLoader
    with connection.cursor() as cursor:
        cursor.execute(SQL)
        ours = cursor.fetchone()
    with pg.cursor() as raw:
        register_tzloader(datetime.UTC, raw)  # Django's own loader, on this cursor
        raw.execute(SQL)
        djangos = raw.fetchone()
    assert ours == djangos
    assert [v.tzinfo for v in ours[:-1]] == [datetime.UTC] * len(LITERALS)
    assert ours[1] == datetime.datetime(2024, 6, 1, 3, 0, tzinfo=datetime.UTC)
    assert ours[-1] is None


def test_models_read_back_the_instants_they_stored() -> None:
    stored = datetime.datetime(2026, 3, 1, 23, 59, 58, 123456, tzinfo=datetime.UTC)
    row = LectureProgress.objects.create(
        user=UserFactory(), lecture=LectureFactory(), last_report_at=stored
    )
    loaded = LectureProgress.objects.get(pk=row.pk)
    assert loaded.last_report_at == stored
    assert loaded.last_report_at.tzinfo is datetime.UTC
    assert loaded.created_at == row.created_at


def test_a_connection_in_another_time_zone_keeps_djangos_loader() -> None:
    other = connection.copy()
    other.settings_dict["TIME_ZONE"] = "Asia/Seoul"
    try:
        with other.cursor() as cursor:
            assert other.connection.adapters.get_loader(1184, 0) is not UtcTimestamptzLoader
            cursor.execute("SELECT '2024-06-01 03:00:00+00'::timestamptz")
            (value,) = cursor.fetchone()
    finally:
        other.close()
    assert value == datetime.datetime(2024, 6, 1, 3, 0, tzinfo=datetime.UTC)
    assert value.utcoffset() == datetime.timedelta(hours=9)  # in the database's zone
