"""The statements of the usual heartbeat, compiled once instead of on every request.

A heartbeat finds the member by API token, locks the member's progress row (reading its
lecture's rules with it) and writes it back. Through the ORM, building those statements costs
more CPU than everything else the request does (measured on the 2-core machine: ~1.4 ms for
the token look-up, ~3.5 ms for the locking SELECT with `select_related`/`only`, ~1.5 ms for
`save(update_fields=...)`, against ~0.3-0.4 ms each here). The SQL is written once per process
from the models' metadata; values go through the fields' own `get_db_prep_save` and the
backend's converters, exactly as the ORM would, so SQLite and PostgreSQL behave the same.

The rarer heartbeats are compiled too: the first on a lecture (its lecture and rules, the new
rows) and the one that completes a lecture (the course progress row locked, the course's
completed lectures counted, the bundles holding it). Through the ORM they cost 3.1 and
5.6-6.6 ms of CPU against 1.3-1.5 ms now (in-process, the benchmark's `each kind of request`),
and with one of each every ~60 reports of a 10-minute lecture they took ~15 % of a web
process's CPU under load. What stays with the ORM is rarer still: bundle progress, the HRD
daily cap, a session to tell apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from typing import Any, TypeVar, cast

from django.db import IntegrityError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model, signals
from django.db.models.base import ModelState
from django.utils import timezone

from lms.accounts.models import User
from lms.catalog.models import Bundle, BundleCourse, Course, Lecture, Status

from .models import LectureProgress

# Written back by every heartbeat; `updated_at` is set here as auto_now would.
PROGRESS_UPDATE_FIELDS = (
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
_PROGRESS_READ = ("id", "user", "lecture", *PROGRESS_UPDATE_FIELDS)
_LECTURE_READ = ("id", "course", "status", "publish_at", "duration_seconds")
_COURSE_READ = (
    "id",
    "status",
    "publish_at",
    "completion_policy",
    "completion_threshold",
    "daily_lecture_cap",
)

Converter = Callable[[Any, Any, BaseDatabaseWrapper], Any]
M = TypeVar("M", bound=Model)


class _Table:
    """The columns of `model` to read, in the model's field order (as Model.from_db wants)."""

    def __init__(self, model: type[Model], names: Sequence[str], alias: str) -> None:
        wanted = set(names)
        self.model = model
        self.alias = alias
        self.fields: list[Field[Any, Any]] = [
            f for f in model._meta.concrete_fields if f.name in wanted
        ]
        self.attnames = [f.attname for f in self.fields]
        self._receivers: bool | None = None

    def columns(self, qn: Callable[[str], str]) -> list[str]:
        return [f"{self.alias}.{qn(f.column)}" for f in self.fields]

    def converters(self, connection: BaseDatabaseWrapper) -> list[tuple[list[Converter], Any]]:
        out = []
        for f in self.fields:
            col = f.get_col(self.alias)
            convs = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            out.append((convs, col))
        return out

    def build(
        self, connection: BaseDatabaseWrapper, values: Sequence[Any], converters: list[Any]
    ) -> Any:
        converted = []
        for value, (convs, col) in zip(values, converters, strict=True):
            for convert in convs:
                value = convert(value, col, connection)
            converted.append(value)
        if self._initialised_by_receivers():
            return self.model.from_db(connection.alias, self.attnames, converted)
        # What `from_db` makes, without `Model.__init__`'s per-field work and its two
        # signals (a third of the cost of reading the row): the loaded fields as attributes,
        # the others deferred, a state saying "from this database".
        instance = self.model.__new__(self.model)
        instance.__dict__.update(zip(self.attnames, converted, strict=True))
        state = ModelState()
        state.adding = False
        state.db = connection.alias
        instance._state = state
        return instance

    def _initialised_by_receivers(self) -> bool:
        """Whether something listens to this model's pre_init or post_init (an ImageField's
        dimensions, say): then only the real `__init__` will do."""
        if self._receivers is None:
            self._receivers = signals.pre_init.has_listeners(
                self.model
            ) or signals.post_init.has_listeners(self.model)
        return self._receivers


_PROGRESS = _Table(LectureProgress, _PROGRESS_READ, "lp")
_LECTURE = _Table(Lecture, _LECTURE_READ, "l")
_COURSE = _Table(Course, _COURSE_READ, "c")


@cache
def _select_sql(alias: str, count: int, lock: bool) -> str:
    connection = connections[alias]
    qn = connection.ops.quote_name
    columns = [
        *_PROGRESS.columns(qn),
        *_LECTURE.columns(qn),
        *_COURSE.columns(qn),
    ]
    lp, lecture, course = (qn(t.model._meta.db_table) for t in (_PROGRESS, _LECTURE, _COURSE))
    placeholders = ", ".join(["%s"] * count)
    # Identifiers come from the models' metadata, quoted; values are parameters.
    select = f"SELECT {', '.join(columns)} FROM {lp} lp"  # noqa: S608
    sql = (
        f"{select} INNER JOIN {lecture} l ON l.{qn('id')} = lp.{qn('lecture_id')}"
        f" INNER JOIN {course} c ON c.{qn('id')} = l.{qn('course_id')}"
        f" WHERE lp.{qn('user_id')} = %s AND lp.{qn('lecture_id')} IN ({placeholders})"
        f" ORDER BY lp.{qn('lecture_id')}"
    )
    if lock and connection.features.has_select_for_update:
        # Lock the progress rows only: the catalog rows are just read.
        of = ("lp",) if connection.features.has_select_for_update_of else ()
        sql += " " + connection.ops.for_update_sql(of=of)
    return sql


@cache
def _converters(alias: str) -> tuple[list[Any], list[Any], list[Any]]:
    connection = connections[alias]
    return (
        _PROGRESS.converters(connection),
        _LECTURE.converters(connection),
        _COURSE.converters(connection),
    )


def progress_rows_lock(
    *, user_id: int, lecture_ids: Sequence[int], using: str = "default"
) -> dict[int, LectureProgress]:
    """Lock (SELECT ... FOR UPDATE on PostgreSQL) the member's progress rows of `lecture_ids`,
    each with `.lecture` and `.lecture.course` loaded (the fields the rules need). Call inside
    a transaction. Rows that do not exist are simply absent."""
    return _progress_rows(user_id=user_id, lecture_ids=lecture_ids, lock=True, using=using)


def progress_rows_read(
    *, user_id: int, lecture_ids: Sequence[int], using: str = "default"
) -> dict[int, LectureProgress]:
    """As `progress_rows_lock`, without the lock: for a write that is then made only if the
    row has not changed meanwhile (`progress_row_update(..., unless_changed_since=...)`)."""
    return _progress_rows(user_id=user_id, lecture_ids=lecture_ids, lock=False, using=using)


def _progress_rows(
    *, user_id: int, lecture_ids: Sequence[int], lock: bool, using: str
) -> dict[int, LectureProgress]:
    connection = connections[using]
    sql = _select_sql(using, len(lecture_ids), lock)
    progress_conv, lecture_conv, course_conv = _converters(using)
    n_progress, n_lecture = len(_PROGRESS.fields), len(_LECTURE.fields)
    rows: dict[int, LectureProgress] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id, *lecture_ids])
        for values in cursor.fetchall():
            row = _PROGRESS.build(connection, values[:n_progress], progress_conv)
            lecture = _LECTURE.build(
                connection, values[n_progress : n_progress + n_lecture], lecture_conv
            )
            lecture.course = _COURSE.build(
                connection, values[n_progress + n_lecture :], course_conv
            )
            row.lecture = lecture
            rows[row.lecture_id] = row
    return rows


@cache
def _lectures_sql(alias: str, count: int) -> str:
    qn = connections[alias].ops.quote_name
    lecture, course = (qn(t.model._meta.db_table) for t in (_LECTURE, _COURSE))
    placeholders = ", ".join(["%s"] * count)
    select = f"SELECT {', '.join([*_LECTURE.columns(qn), *_COURSE.columns(qn)])} FROM {lecture} l"  # noqa: S608
    return (
        f"{select} INNER JOIN {course} c ON c.{qn('id')} = l.{qn('course_id')}"
        f" WHERE l.{qn('id')} IN ({placeholders})"
    )


def lectures_with_rules(
    *, lecture_ids: Sequence[int], using: str = "default"
) -> dict[int, Lecture]:
    """The lectures of `lecture_ids` that exist, by id, each with its course, loaded with the
    fields recording progress needs (as `progress_rows_read` loads them)."""
    connection = connections[using]
    _progress, lecture_conv, course_conv = _converters(using)
    n_lecture = len(_LECTURE.fields)
    lectures: dict[int, Lecture] = {}
    with connection.cursor() as cursor:
        cursor.execute(_lectures_sql(using, len(lecture_ids)), list(lecture_ids))
        for values in cursor.fetchall():
            lecture = _LECTURE.build(connection, values[:n_lecture], lecture_conv)
            lecture.course = _COURSE.build(connection, values[n_lecture:], course_conv)
            lectures[lecture.pk] = lecture
    return lectures


def _visible_params(connection: BaseDatabaseWrapper) -> list[Any]:
    """The values of `visible_q()` (published, publish time passed: now, on the server's
    clock), as its SQL here takes them: status, then time."""
    status = Lecture._meta.get_field("status")
    publish_at = Lecture._meta.get_field("publish_at")
    return [
        status.get_db_prep_value(Status.PUBLISHED, connection),
        publish_at.get_db_prep_value(timezone.now(), connection),
    ]


@cache
def _course_counts_sql(alias: str) -> str:
    qn = connections[alias].ops.quote_name
    lecture, course, lp = (qn(t.model._meta.db_table) for t in (_LECTURE, _COURSE, _PROGRESS))
    # A member has at most one progress row per lecture, so the outer join counts each
    # completed lecture once.
    select = f"SELECT COUNT(l.{qn('id')}), COUNT(lp.{qn('id')}) FROM {lecture} l"  # noqa: S608
    return (
        f"{select} INNER JOIN {course} c ON c.{qn('id')} = l.{qn('course_id')}"
        f" LEFT OUTER JOIN {lp} lp ON lp.{qn('lecture_id')} = l.{qn('id')}"
        f" AND lp.{qn('user_id')} = %s AND lp.{qn('completed_at')} IS NOT NULL"
        f" WHERE l.{qn('course_id')} = %s"
        f" AND l.{qn('status')} = %s AND l.{qn('publish_at')} <= %s"
        f" AND c.{qn('status')} = %s AND c.{qn('publish_at')} <= %s"
    )


def course_completion_counts(
    *, user_id: int, course_id: int, using: str = "default"
) -> tuple[int, int]:
    """The course's visible lectures and how many of them the member completed (what
    `selectors.completion_counts` gives for one course), in one compiled statement. A course
    that is not visible has none."""
    connection = connections[using]
    visible = _visible_params(connection)
    with connection.cursor() as cursor:
        cursor.execute(_course_counts_sql(using), [user_id, course_id, *visible, *visible])
        total, done = cursor.fetchone()
    return int(total), int(done)


@cache
def _bundle_ids_sql(alias: str, count: int) -> str:
    qn = connections[alias].ops.quote_name
    bundle, item = qn(Bundle._meta.db_table), qn(BundleCourse._meta.db_table)
    placeholders = ", ".join(["%s"] * count)
    select = f"SELECT DISTINCT b.{qn('id')} FROM {bundle} b"  # noqa: S608
    return (
        f"{select} INNER JOIN {item} bc ON bc.{qn('bundle_id')} = b.{qn('id')}"
        f" WHERE b.{qn('status')} = %s AND b.{qn('publish_at')} <= %s"
        f" AND bc.{qn('course_id')} IN ({placeholders}) ORDER BY b.{qn('id')}"
    )


def visible_bundle_ids(*, course_ids: Sequence[int], using: str = "default") -> list[int]:
    """The visible bundles holding any of `course_ids`, in id order, compiled once."""
    connection = connections[using]
    params = [*_visible_params(connection), *course_ids]
    with connection.cursor() as cursor:
        cursor.execute(_bundle_ids_sql(using, len(course_ids)), params)
        return [bundle_id for (bundle_id,) in cursor.fetchall()]


_UPDATED_AT = cast("Field[Any, Any]", LectureProgress._meta.get_field("updated_at"))


@cache
def _update_sql(
    alias: str, model: type[Model], names: tuple[str, ...], guard: str | None
) -> tuple[str, tuple[Field[Any, Any], ...], Field[Any, Any] | None]:
    connection = connections[alias]
    qn = connection.ops.quote_name
    meta = model._meta
    fields = tuple(cast("Field[Any, Any]", meta.get_field(name)) for name in names)
    assignments = ", ".join(f"{qn(f.column)} = %s" for f in fields)
    assert meta.pk is not None
    sql = f"UPDATE {qn(meta.db_table)} SET {assignments} WHERE {qn(meta.pk.column)} = %s"  # noqa: S608
    guard_field = None
    if guard is not None:
        guard_field = cast("Field[Any, Any]", meta.get_field(guard))
        sql += f" AND {qn(guard_field.column)} = %s"
    return sql, fields, guard_field


def row_update(
    obj: Model,
    names: tuple[str, ...],
    *,
    guard: tuple[str, Any] | None = None,
    using: str = "default",
) -> bool:
    """`obj.save(update_fields=names)` without compiling it each time: each field's value as
    `save` takes it (`pre_save`: `auto_now` sets the time), through the field's
    `get_db_prep_save`. With `guard` (a field name and a value), write only if the row still
    has that value. Returns whether the row was written.

    Sends no save signals: a model with receivers for them goes through `save` (unguarded)."""
    model = type(obj)
    if guard is None and (
        signals.pre_save.has_listeners(model) or signals.post_save.has_listeners(model)
    ):
        obj.save(update_fields=names, using=using)
        return True
    connection = connections[using]
    sql, fields, guard_field = _update_sql(using, model, names, guard[0] if guard else None)
    params = [f.get_db_prep_save(f.pre_save(obj, False), connection) for f in fields]
    params.append(obj.pk)
    if guard_field is not None:
        params.append(guard_field.get_db_prep_save(guard[1], connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return bool(cursor.rowcount == 1)


def progress_row_update(
    row: LectureProgress, *, unless_changed_since: datetime | None = None, using: str = "default"
) -> bool:
    """`row.save(update_fields=PROGRESS_UPDATE_FIELDS)`, without compiling it each time.

    With `unless_changed_since` (the `updated_at` the row had when it was read), write only if
    it still has it: every write of a progress row sets a new `updated_at`, so a row written
    by another request since it was read is left alone. Returns whether the row was written.
    """
    guard = None
    if unless_changed_since is not None:
        guard = (_UPDATED_AT.name, unless_changed_since)
    return row_update(row, PROGRESS_UPDATE_FIELDS, guard=guard, using=using)


@cache
def _whole(model: type[Model]) -> _Table:
    return _Table(model, [f.name for f in model._meta.concrete_fields], "t")


@cache
def _row_sql(
    alias: str, model: type[Model], keys: tuple[str, ...], lock: bool
) -> tuple[str, list[Any]]:
    connection = connections[alias]
    qn = connection.ops.quote_name
    table = _whole(model)
    fields = [cast("Field[Any, Any]", model._meta.get_field(name)) for name in keys]
    t = table.alias
    where = " AND ".join(f"{t}.{qn(f.column)} = %s" for f in fields)
    sql = f"SELECT {', '.join(table.columns(qn))} FROM {qn(model._meta.db_table)} {t} WHERE {where}"  # noqa: S608
    if lock and connection.features.has_select_for_update:
        sql += " " + connection.ops.for_update_sql()
    return sql, fields


def row_lock(model: type[M], *, using: str = "default", **keys: Any) -> M | None:
    """`model.objects.select_for_update().filter(**keys).first()` for `keys` that name one
    row (a unique set of fields; a related object or its id), compiled once. Call inside a
    transaction."""
    return _row_get(model, keys, lock=True, using=using)


def _row_get(model: type[M], keys: dict[str, Any], *, lock: bool, using: str) -> M | None:
    connection = connections[using]
    sql, fields = _row_sql(using, model, tuple(keys), lock)
    params = [
        f.get_db_prep_value(value.pk if isinstance(value, Model) else value, connection)
        for f, value in zip(fields, keys.values(), strict=True)
    ]
    table = _whole(model)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        values = cursor.fetchone()
    if values is None:
        return None
    return cast(M, table.build(connection, values, _whole_converters(using, model)))


@cache
def _whole_converters(alias: str, model: type[Model]) -> list[Any]:
    return _whole(model).converters(connections[alias])


@cache
def _token_sql(alias: str) -> str:
    connection = connections[alias]
    qn = connection.ops.quote_name
    # Imported here: rest_framework.authtoken's models need the app registry ready.
    from rest_framework.authtoken.models import Token

    token = qn(Token._meta.db_table)
    user = _whole(User)
    select = f"SELECT {', '.join(user.columns(qn))} FROM {token} k"  # noqa: S608
    return (
        f"{select} INNER JOIN {qn(User._meta.db_table)} {user.alias}"
        f" ON {user.alias}.{qn('id')} = k.{qn('user_id')} WHERE k.{qn('key')} = %s"
    )


def token_user(*, key: str, using: str = "default") -> User | None:
    """The member whose API token is `key` (what DRF's TokenAuthentication looks up), or
    None."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(_token_sql(using), [key])
        values = cursor.fetchone()
    if values is None:
        return None
    return cast(User, _whole(User).build(connection, values, _whole_converters(using, User)))


def user_by_pk(*, pk: int, using: str = "default") -> User | None:
    """`User.objects.filter(pk=pk).first()`, compiled once (the player's heartbeat key names
    the member by id)."""
    return _row_get(User, {"id": pk}, lock=False, using=using)


@cache
def _insert_sql(
    alias: str, model: type[Model], conflict: tuple[str, ...]
) -> tuple[str, tuple[Any, ...]]:
    connection = connections[alias]
    qn = connection.ops.quote_name
    meta = model._meta
    fields = tuple(f for f in meta.concrete_fields if f is not meta.auto_field)
    targets = ", ".join(qn(meta.get_field(name).column) for name in conflict)
    assert meta.pk is not None
    sql = (
        f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)})"  # noqa: S608
        f" VALUES ({', '.join(['%s'] * len(fields))})"
        f" ON CONFLICT ({targets}) DO NOTHING RETURNING {qn(meta.pk.column)}"
    )
    return sql, fields


def row_insert_unless_exists(
    obj: Model, *, conflict: tuple[str, ...], using: str = "default"
) -> bool:
    """Insert `obj` unless a row with the same values of the unique fields `conflict` exists.
    Returns True (with `obj.pk` set) if it inserted, False if the row was there.

    One statement (INSERT ... ON CONFLICT DO NOTHING RETURNING), where `create()` inside a
    savepoint takes three round trips and turns a lost race into an error to recover from.
    """
    connection = connections[using]
    if not connection.features.can_return_columns_from_insert:  # pragma: no cover - old SQLite
        try:
            with transaction.atomic(using=using):
                obj.save(force_insert=True, using=using)
        except IntegrityError:
            return False
        return True
    sql, fields = _insert_sql(using, type(obj), conflict)
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        inserted = cursor.fetchone()
    if inserted is None:
        return False
    if obj._meta.auto_field is not None:
        obj.pk = inserted[0]
    obj._state.adding = False
    obj._state.db = using
    return True
