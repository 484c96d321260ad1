"""Resumable uploads of lecture videos (DESIGN.md "Media pipeline" 1): services and reads.

One protocol for both storage modes (the HTTP side is `api.py`):

1. `upload_start`: the browser names the lecture, the file's name, size and declared type, and
   sends the file's first 64 KiB (`head`). The head is sniffed at once
   (`media_pipeline.sniff`): a playlist, an image or a text file is refused before a single
   part is sent. The declared type is only a hint.
2. `upload_part_target`: where to PUT part n. Embedded mode: a platform URL
   (`upload_part_receive` streams the body into place, and sniffs part 1's real bytes as they
   arrive, aborting the upload if they are not a video). S3: a presigned URL, straight to the
   bucket.
3. `upload_parts`: the parts the server holds, which is where a reloaded page resumes from.
4. `upload_complete`: checks that every part is there with the ETag and size the client
   expects, assembles the object, sniffs the stored object's real first bytes (the check that
   counts on S3, where the platform never sees the parts), records the `VideoAsset`, enqueues
   its transcode after commit and gives it to the lecture (`lecture_video_replace`).
5. `upload_abort`; `uploads_cleanup` (periodic) expires uploads left idle for
   UPLOAD_EXPIRE_HOURS and deletes their parts.

A repeated part is idempotent: the same bytes again change nothing and get the same ETag;
different bytes for a part that is already stored are refused (409 `part_conflict`) and the
stored part is kept. An upload belongs to the person who started it, for as long as they may
edit its lecture.

Longer than 400 lines: an upload's whole life (start, parts, complete, abort, clean-up)
against one set of checks.
"""

import contextlib
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.accounts.models import User
from lms.catalog.models import Lecture
from lms.core.errors import AppError, Conflict, NotFound
from media_pipeline.sniff import HEAD_BYTES, SniffedKind, sniff_bytes

from . import assets, failures, jobs
from .models import Upload, UploadPart, VideoAsset
from .upload_store import (
    LocalPartStore,
    PartConflictError,
    PartIncompleteError,
    PartInfo,
    PartStore,
    PartTarget,
    Readable,
    StorageUnavailableError,
    UploadGoneError,
    default_backend,
    part_size_for,
    part_store,
)

log = logging.getLogger(__name__)

State = Upload.State

# What the first bytes may not be: the same refusals as the probe's (media_pipeline.probe).
_SNIFF_REFUSALS = {
    SniffedKind.EMPTY: "empty_file",
    SniffedKind.PLAYLIST: "playlist_or_reference_file",
    SniffedKind.IMAGE: "not_a_video",
    SniffedKind.TEXT: "not_a_video",
}


class UploadRejected(AppError):
    """The file is not something we accept (by its content)."""

    status_code = 422


class StorageUnavailable(AppError):
    status_code = 503


class LengthRequired(AppError):
    status_code = 411


# --- helpers -------------------------------------------------------------------------------


def _display_name(name: str) -> str:
    base = re.split(r"[\\/]", name or "")[-1]
    return "".join(ch for ch in base if ch.isprintable()).strip()[:255]


def _expiry(now: datetime) -> datetime:
    return now + timedelta(hours=float(settings.UPLOAD_EXPIRE_HOURS))


def _refuse_unless_video(head: bytes) -> None:
    kind = sniff_bytes(head)
    code = _SNIFF_REFUSALS.get(kind)
    if code is not None:
        raise UploadRejected(failures.message(code), code=code, extra={"detected": kind.value})


def _check_open(upload: Upload, *, now: datetime | None = None) -> None:
    now = now or timezone.now()
    state = upload.state
    if state == State.OPEN and upload.expires_at <= now:
        state = State.EXPIRED  # the cleanup task has not come round yet
    if state == State.OPEN:
        return
    messages = {
        State.COMPLETED: _("This upload is already complete."),
        State.ABORTED: _("This upload was cancelled. Choose the file again to start over."),
        State.EXPIRED: _(
            "This upload was left unfinished for too long and has expired. "
            "Choose the file again to start over."
        ),
    }
    raise Conflict(messages[State(state)], code=f"upload_{state}", extra={"state": state})


def _check_number(upload: Upload, number: int) -> None:
    if not 1 <= number <= upload.parts_count:
        raise AppError(
            _("Part %(number)s is out of range: this upload has parts 1 to %(count)s.")
            % {"number": number, "count": upload.parts_count},
            code="part_number_out_of_range",
            extra={"number": number, "parts_count": upload.parts_count},
        )


def _store(upload: Upload) -> PartStore:
    try:
        return part_store(upload.backend)
    except RuntimeError as exc:
        raise Conflict(
            _("The platform's storage changed since this upload started. Start it again."),
            code="storage_changed",
        ) from exc


@contextlib.contextmanager
def _storage_errors() -> Iterator[None]:
    try:
        yield
    except StorageUnavailableError as exc:
        log.warning("upload storage unavailable: %s", exc)
        raise StorageUnavailable(
            _("The file storage could not be reached. Try again in a moment."),
            code="storage_unavailable",
        ) from exc


def _gone(upload: Upload) -> AppError:
    """The error for an upload whose parts vanished under a request: say what happened."""
    upload.refresh_from_db()
    try:
        _check_open(upload)
    except Conflict as exc:
        return exc
    return Conflict(_("This upload's parts are gone. Start it again."), code="upload_gone")


def _same_etag(a: str, b: str) -> bool:
    return a.strip().strip('"').lower() == b.strip().strip('"').lower()


# --- reads ---------------------------------------------------------------------------------


def upload_concurrency() -> int:
    """How many parts a client should send at a time."""
    return max(1, int(settings.UPLOAD_CONCURRENCY))


def upload_parts(*, upload: Upload) -> list[PartInfo]:
    """The parts the server holds for an open upload (the newest copy of each), by number.
    Empty once the upload is finished."""
    if upload.state != State.OPEN:
        return []
    store = _store(upload)
    try:
        with _storage_errors():
            found = store.confirmed_parts(upload)
    except UploadGoneError:
        return []
    return [found[number][0] for number in sorted(found)]


# --- writes --------------------------------------------------------------------------------


def upload_start(
    *,
    user: User,
    lecture: Lecture,
    filename: str,
    size: int,
    content_type: str,
    head: bytes,
) -> Upload:
    """Open an upload of `size` bytes for `lecture` (the caller checked that `user` may edit
    it) and reserve its storage: a part directory, or an S3 multipart upload.

    `head` is the file's first min(64 KiB, size) bytes. Raises AppError `empty_file`,
    `file_too_large`, `invalid_head`; UploadRejected (422) `not_a_video`,
    `playlist_or_reference_file` when the head shows the file is no video; Conflict
    `too_many_uploads` past UPLOAD_MAX_OPEN_PER_USER open uploads (each holds storage).
    """
    assets.check_upload_size(size)
    if len(head) != min(HEAD_BYTES, size):
        raise AppError(
            _("Send the first %(count)s bytes of the file as its head.")
            % {"count": min(HEAD_BYTES, size)},
            code="invalid_head",
        )
    _refuse_unless_video(head)
    limit = int(settings.UPLOAD_MAX_OPEN_PER_USER)
    if Upload.objects.filter(uploaded_by=user, state=State.OPEN).count() >= limit:
        raise Conflict(
            _(
                "You have %(count)s unfinished uploads. Finish or cancel one of them first, "
                "or wait until they expire."
            )
            % {"count": limit},
            code="too_many_uploads",
        )
    backend = default_backend()
    store = part_store(backend)
    now = timezone.now()
    upload = Upload(
        uploaded_by=user,
        lecture=lecture,
        key=assets.upload_key_new(),
        filename=_display_name(filename) or "video",
        size=size,
        content_type=(content_type or "")[:100],
        part_size=part_size_for(size, backend),
        backend=backend,
        expires_at=_expiry(now),
    )
    with _storage_errors():
        upload.s3_upload_id = store.begin(upload)
    try:
        upload.full_clean()
        upload.save()
    except Exception:
        # Leave nothing behind: the part directory or the multipart upload goes too.
        store.discard(upload)
        raise
    return upload


def upload_part_target(*, upload: Upload, number: int) -> PartTarget:
    """Where to send part `number` of an open upload. An upload in progress does not expire:
    on S3 each request for a part URL pushes the expiry UPLOAD_EXPIRE_HOURS ahead, in the
    embedded mode each part received does."""
    _check_open(upload)
    _check_number(upload, number)
    with _storage_errors():
        target = _store(upload).part_target(upload, number)
    if target.direct:
        # The platform never sees a part sent to object storage: asking for its URL is the
        # upload's sign of life. (Embedded mode: each part received does this.)
        now = timezone.now()
        Upload.objects.filter(pk=upload.pk, state=State.OPEN).update(
            expires_at=_expiry(now), updated_at=now
        )
    return target


def upload_part_receive(
    *, upload: Upload, number: int, stream: Readable, content_length: int | None
) -> PartInfo:
    """Store part `number` of an embedded-mode upload from `stream` (a request body), reading
    it in chunks straight to its place on disk: memory use does not grow with the part.

    The body must be exactly the part's size (all parts but the last are `part_size`). A part
    already stored is compared, not rewritten: the same bytes return the same ETag, others are
    refused with 409 `part_conflict` and the stored part is kept. The first part's bytes are
    sniffed; if they are no video the upload is aborted (422).
    """
    if upload.backend != Upload.Backend.LOCAL:
        raise Conflict(
            _("The parts of this upload go to object storage: ask for the part's URL."),
            code="wrong_part_target",
        )
    _check_open(upload)
    _check_number(upload, number)
    expected = upload.part_length(number)
    if content_length is None:
        raise LengthRequired(
            _("Send the part with a Content-Length header."), code="length_required"
        )
    if content_length != expected:
        raise AppError(
            _("Part %(number)s must be %(expected)s bytes, not %(received)s.")
            % {"number": number, "expected": f"{expected:,}", "received": f"{content_length:,}"},
            code="part_size_mismatch",
            extra={"number": number, "expected": expected, "received": content_length},
        )
    store = _store(upload)
    assert isinstance(store, LocalPartStore)
    stored = UploadPart.objects.filter(upload=upload, number=number).first()
    try:
        received = store.receive(
            upload, number, stream, stored_etag=stored.etag if stored else None
        )
    except PartIncompleteError as exc:
        raise AppError(
            _("The connection dropped after %(received)s of %(expected)s bytes; send it again.")
            % {"received": f"{exc.received:,}", "expected": f"{exc.expected:,}"},
            code="part_incomplete",
        ) from exc
    except PartConflictError as exc:
        raise _part_conflict(number) from exc
    except UploadGoneError as exc:
        raise _gone(upload) from exc
    if stored is not None:
        return PartInfo(number, stored.size, stored.etag)
    if number == 1:
        try:
            _refuse_unless_video(received.head)
        except UploadRejected as exc:
            upload_abort(upload=upload, failure_code=exc.code)
            raise
    return _part_confirm(upload, number, expected, received.etag)


def _part_conflict(number: int) -> Conflict:
    return Conflict(
        _(
            "Part %(number)s is already stored with different content. "
            "Cancel this upload and start again."
        )
        % {"number": number},
        code="part_conflict",
        extra={"number": number},
    )


def _part_confirm(upload: Upload, number: int, size: int, etag: str) -> PartInfo:
    """Record a received part: two statements, since they run once per part of every upload.
    The conditional UPDATE both checks that the upload is still open and locks its row
    against a concurrent complete, abort or expiry; it also pushes the expiry ahead."""
    now = timezone.now()
    conflict = False
    with transaction.atomic():
        still_open = Upload.objects.filter(
            pk=upload.pk, state=State.OPEN, expires_at__gt=now
        ).update(expires_at=_expiry(now), updated_at=now)
        if not still_open:
            raise _gone(upload)
        try:
            with transaction.atomic():
                part = UploadPart.objects.create(
                    upload_id=upload.pk, number=number, size=size, etag=etag, received_at=now
                )
        except IntegrityError:
            part = UploadPart.objects.get(upload_id=upload.pk, number=number)
            if not _same_etag(part.etag, etag):
                # Another request wrote different bytes for this part at the same time: which
                # ones are on disk is unknown. Forget the part; the client sends it again.
                part.delete()
                conflict = True
    if conflict:
        raise _part_conflict(number)
    return PartInfo(number, part.size, part.etag)


def _verify_parts(
    upload: Upload, held: dict[int, list[PartInfo]], claimed: Sequence[tuple[int, str]]
) -> list[PartInfo]:
    """The stored parts to assemble: each claimed (number, ETag) must match one the server
    holds, with the size that part must have."""
    count = upload.parts_count
    numbers = [number for number, _etag in claimed]
    for number in numbers:
        _check_number(upload, number)
    if len(set(numbers)) != len(numbers):
        raise AppError(_("Each part may be listed only once."), code="invalid_parts")
    missing = [n for n in range(1, count + 1) if n not in held or n not in numbers]
    if missing:
        raise Conflict(
            _("Some parts have not arrived yet: %(parts)s.")
            % {"parts": ", ".join(map(str, missing[:20]))},
            code="parts_missing",
            extra={"missing": missing},
        )
    chosen: list[PartInfo] = []
    mismatched: list[int] = []
    wrong_size: list[int] = []
    for number, etag in sorted(claimed):
        match = next((p for p in held[number] if _same_etag(p.etag, etag)), None)
        if match is None:
            mismatched.append(number)
        elif match.size != upload.part_length(number):
            wrong_size.append(number)
        else:
            chosen.append(match)
    if mismatched:
        raise Conflict(
            _("The server holds different content for parts %(parts)s; send them again.")
            % {"parts": ", ".join(map(str, mismatched[:20]))},
            code="part_etag_mismatch",
            extra={"parts": mismatched},
        )
    if wrong_size:
        raise Conflict(
            _("Parts %(parts)s have the wrong size; send them again.")
            % {"parts": ", ".join(map(str, wrong_size[:20]))},
            code="part_size_mismatch",
            extra={"parts": wrong_size},
        )
    return chosen


def upload_complete(*, upload: Upload, parts: Sequence[tuple[int, str]], user: User) -> Upload:
    """Finish an upload: every part 1..N must be held with the claimed ETag and its exact
    size. Assembles the object at `upload.key`, checks its real first bytes, then in one
    transaction records the VideoAsset, enqueues its transcode (sent after commit) and gives
    it to the lecture (`lecture_video_replace`: a lecture whose current video plays keeps it
    until the new one is ready).

    Safe to repeat: completing a completed upload returns it unchanged, and a try that failed
    after assembling picks up from there. Raises Conflict `parts_missing`,
    `part_etag_mismatch`, `part_size_mismatch`, `upload_<state>`; UploadRejected when the
    stored bytes are no video (the object is deleted and the upload aborted).
    """
    store = _store(upload)
    with _storage_errors(), store.finishing(upload):
        upload = Upload.objects.select_related("lecture").get(pk=upload.pk)
        if upload.state == State.COMPLETED and upload.asset_id is not None:
            return upload
        _check_open(upload)
        if upload.lecture is None:
            raise NotFound(_("The lecture of this upload was deleted."), code="lecture_deleted")
        if not store.assembled(upload):
            try:
                chosen = _verify_parts(upload, store.confirmed_parts(upload), parts)
                store.assemble(upload, chosen)
            except UploadGoneError as exc:
                if not store.assembled(upload):  # S3 forgets a completed multipart upload
                    raise _gone(upload) from exc
        try:
            _refuse_unless_video(store.read_head(upload))
        except UploadRejected as exc:
            store.delete_object(upload)
            _upload_finish(upload, State.ABORTED, failure_code=exc.code, parts_gone=True)
            raise
        now = timezone.now()
        with transaction.atomic():
            locked = Upload.objects.select_for_update().get(pk=upload.pk)
            if locked.state != State.OPEN:  # aborted or expired meanwhile
                _check_open(locked)
            asset = assets.video_asset_create_from_storage_key(
                uploaded_by=user, key=upload.key, original_filename=upload.filename
            )
            jobs.transcode_enqueue(asset=asset, requested_by=user)
            assets.lecture_video_replace(lecture=upload.lecture, asset=asset)
            locked.state = State.COMPLETED
            locked.asset = asset
            locked.finished_at = now
            locked.parts_deleted_at = now
            locked.save(
                update_fields=["state", "asset", "finished_at", "parts_deleted_at", "updated_at"]
            )
            UploadPart.objects.filter(upload=locked).delete()
        return locked


def _upload_finish(
    upload: Upload, state: str, *, failure_code: str = "", parts_gone: bool = False
) -> Upload:
    now = timezone.now()
    with transaction.atomic():
        locked = Upload.objects.select_for_update().get(pk=upload.pk)
        if locked.state != State.OPEN:
            return locked
        locked.state = state
        locked.finished_at = now
        locked.failure_code = failure_code
        fields = ["state", "finished_at", "failure_code", "updated_at"]
        if parts_gone:
            locked.parts_deleted_at = now
            fields.append("parts_deleted_at")
        locked.save(update_fields=fields)
    return locked


def _parts_discard(upload: Upload) -> bool:
    """Delete what holds the parts of a finished upload, and for one that did not complete,
    an object already assembled from them that no video uses. False (and retried by the
    cleanup task) if the storage cannot be reached."""
    try:
        store = part_store(upload.backend)
        store.discard(upload)
        if (
            upload.state != State.COMPLETED
            and not VideoAsset.objects.filter(original=upload.key).exists()
        ):
            with contextlib.suppress(UploadGoneError):
                store.delete_object(upload)
    except (StorageUnavailableError, RuntimeError) as exc:
        log.warning("could not delete the parts of upload %s: %s", upload.pk, exc)
        return False
    now = timezone.now()
    UploadPart.objects.filter(upload=upload).delete()
    Upload.objects.filter(pk=upload.pk).update(parts_deleted_at=now)
    return True


def upload_abort(*, upload: Upload, failure_code: str = "") -> Upload:
    """Cancel an open upload and delete its parts (S3: AbortMultipartUpload). Aborting an
    aborted or expired upload changes nothing; a completed one raises Conflict."""
    upload = _upload_finish(upload, State.ABORTED, failure_code=failure_code)
    if upload.state == State.COMPLETED:
        _check_open(upload)
    if upload.parts_deleted_at is None:
        _parts_discard(upload)
        upload.refresh_from_db()
    return upload


@dataclass(frozen=True)
class CleanupReport:
    expired: list[int] = field(default_factory=list)
    parts_deleted: list[int] = field(default_factory=list)
    records_deleted: int = 0
    orphans_deleted: int = 0


def uploads_cleanup(*, now: datetime | None = None) -> CleanupReport:
    """Expire open uploads idle past `expires_at` and delete their parts (first the state,
    then the parts, so no part is written after it is deleted); retry deleting the parts of
    finished uploads where that failed; delete the records of uploads finished more than
    UPLOAD_RECORD_RETENTION_DAYS ago; and delete parts no open upload owns. Safe to run
    twice, or at the same time as uploads in progress."""
    now = now or timezone.now()
    report = CleanupReport()
    due = Upload.objects.filter(state=State.OPEN, expires_at__lt=now)
    for upload_id in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            updated = Upload.objects.filter(
                pk=upload_id, state=State.OPEN, expires_at__lt=now
            ).update(state=State.EXPIRED, finished_at=now, updated_at=now)
        if updated:
            report.expired.append(upload_id)
    leftovers = Upload.objects.exclude(state=State.OPEN).filter(parts_deleted_at__isnull=True)
    for upload in list(leftovers):
        if _parts_discard(upload):
            report.parts_deleted.append(upload.pk)
    cutoff = now - timedelta(days=int(settings.UPLOAD_RECORD_RETENTION_DAYS))
    records, _by_model = (
        Upload.objects.exclude(state=State.OPEN)
        .filter(parts_deleted_at__isnull=False, finished_at__lt=cutoff)
        .delete()
    )
    open_keys = set(Upload.objects.filter(state=State.OPEN).values_list("key", flat=True))
    try:
        orphans = part_store().orphans_discard(
            older_than=now - timedelta(hours=float(settings.UPLOAD_EXPIRE_HOURS)),
            open_keys=open_keys,
        )
    except StorageUnavailableError as exc:
        log.warning("could not look for abandoned upload parts: %s", exc)
        orphans = 0
    return CleanupReport(
        expired=report.expired,
        parts_deleted=report.parts_deleted,
        records_deleted=records,
        orphans_deleted=orphans,
    )
