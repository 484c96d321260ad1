"""The statements of the usual heartbeat, as literal SQL.

Every watching member sends a heartbeat about every 30 s, and the ORM's compiling of these
statements cost more CPU than the rest of the heartbeat's own work (figures in
docs/performance.md). Everything rarer (a new row, a completion, a new player session) goes
through the ORM in `services.py`.

Reads (the player's key, once a minute per member and web process): every `accounts_user`
column of the member, if active, with `learning_membercredit.key_epoch`.

Reads (one SELECT): the member's `learning_lectureprogress` row of one lecture, every column,
with the member's `learning_membercredit.clock`.
Writes (two guarded UPDATEs, no lock): that row's PROGRESS_WRITTEN columns, only if its
`updated_at` is still what was read; and the member's `learning_membercredit.clock`, only if
it still holds the value read. A row or clock another request wrote meanwhile is left alone
(the caller then takes the locked path).

Values are converted by the models' own fields (`to_python`, `get_db_prep_save`), so SQLite
and PostgreSQL behave the same.
"""

import json
from datetime import UTC, datetime
from typing import Any

from django.db import connection, models

from lms.accounts.models import User

from .models import LectureProgress, MemberCredit

#: The progress columns the usual heartbeat writes (`updated_at` set to the heartbeat's time).
PROGRESS_WRITTEN = (
    "coverage",
    "covered_seconds",
    "credited_seconds",
    "furthest_position",
    "position",
    "last_rate",
    "sessions",
    "completed_at",
    "last_report_at",
    "updated_at",
)
_PROGRESS_READ = ("id", "user_id", "lecture_id", "created_at", *PROGRESS_WRITTEN)

_SELECT = (
    f"SELECT {', '.join('lp.' + c for c in _PROGRESS_READ)}, mc.clock"  # noqa: S608
    " FROM learning_lectureprogress lp"
    " LEFT OUTER JOIN learning_membercredit mc ON mc.user_id = lp.user_id"
    " WHERE lp.user_id = %s AND lp.lecture_id = %s"
)
_UPDATE_PROGRESS = (
    "UPDATE learning_lectureprogress"  # noqa: S608
    f" SET {', '.join(c + ' = %s' for c in PROGRESS_WRITTEN)}"
    " WHERE id = %s AND updated_at = %s"
)
_UPDATE_CLOCK = "UPDATE learning_membercredit SET clock = %s WHERE user_id = %s AND clock = %s"

_MEMBER = (
    "SELECT u.*, COALESCE(mc.key_epoch, 0) AS key_epoch FROM accounts_user u"
    " LEFT OUTER JOIN learning_membercredit mc ON mc.user_id = u.id"
    " WHERE u.id = %s AND u.is_active"
)

_fields = {f.attname: f for f in LectureProgress._meta.concrete_fields}
_clock = MemberCredit._meta.get_field("clock")
_JSON = ("coverage", "sessions")
_TIMESTAMPS = ("created_at", "completed_at", "last_report_at", "updated_at")


def _timestamp(value: Any) -> datetime | None:
    if isinstance(value, str):  # SQLite keeps timestamps as UTC text
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value  # type: ignore[no-any-return]


def _loaded(name: str, value: Any) -> Any:
    if name in _JSON and isinstance(value, str):
        return json.loads(value)
    if name in _TIMESTAMPS:
        return _timestamp(value)
    return value


def progress_and_clock(*, user_id: int, lecture_id: int) -> tuple[LectureProgress, datetime] | None:
    """The member's progress row of the lecture (a model instance, as the ORM loads it) and
    their credit clock, or None when the row or the clock does not exist yet."""
    with connection.cursor() as cursor:
        cursor.execute(_SELECT, [user_id, lecture_id])
        values = cursor.fetchone()
    if values is None or values[-1] is None:
        return None
    *progress, clock = values
    row = LectureProgress(
        **{name: _loaded(name, value) for name, value in zip(_PROGRESS_READ, progress, strict=True)}
    )
    row._state.adding = False  # as the ORM marks a row it loaded
    row._state.db = connection.alias
    return row, _timestamp(clock)  # type: ignore[return-value]


def progress_write(row: LectureProgress, *, now: datetime, read_at: datetime) -> bool:
    """Write `row`'s PROGRESS_WRITTEN columns (`updated_at` = `now`) unless the row changed
    since it was read at `read_at`. Whether it was written."""
    row.updated_at = now
    params = [
        _fields[name].get_db_prep_save(getattr(row, name), connection) for name in PROGRESS_WRITTEN
    ]
    params += [row.pk, _fields["updated_at"].get_db_prep_save(read_at, connection)]
    with connection.cursor() as cursor:
        cursor.execute(_UPDATE_PROGRESS, params)
        return bool(cursor.rowcount == 1)


def clock_move(*, user_id: int, read: datetime, to: datetime) -> bool:
    """Move the member's credit clock from `read` to `to` unless another request moved it
    meanwhile. Whether it moved."""
    prep = _clock.get_db_prep_save
    with connection.cursor() as cursor:
        cursor.execute(_UPDATE_CLOCK, [prep(to, connection), user_id, prep(read, connection)])
        return bool(cursor.rowcount == 1)


_user_timestamps = {
    f.attname for f in User._meta.concrete_fields if isinstance(f, models.DateTimeField)
}
_user_booleans = {
    f.attname for f in User._meta.concrete_fields if isinstance(f, models.BooleanField)
}


def active_member_with_epoch(user_id: int) -> tuple[User, int] | None:
    """The active member `user_id` (a model instance, as the ORM loads it) and their
    heartbeat key epoch (0 before any was set), or None."""
    with connection.cursor() as cursor:
        cursor.execute(_MEMBER, [user_id])
        values = cursor.fetchone()
        names = [column[0] for column in cursor.description]
    if values is None:
        return None
    *columns, epoch = zip(names, values, strict=True)
    loaded = {}
    for name, value in columns:
        if name in _user_timestamps:
            value = _timestamp(value)
        elif name in _user_booleans and value is not None:
            value = bool(value)  # SQLite's 0 and 1
        loaded[name] = value
    user = User(**loaded)
    user._state.adding = False
    user._state.db = connection.alias
    return user, int(epoch[1])
