"""Video assets and the lectures that play them: creating an asset from an upload, giving a
lecture its video (at once, or as a replacement that waits until it is ready), retiring the
videos no lecture uses any more, deleting a video with its files.

Lock order everywhere in the media services: asset, then job, then lecture.
"""

import re
import uuid
from datetime import datetime

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.accounts.models import User
from lms.catalog.models import Lecture
from lms.core.errors import AppError, Conflict

from . import failures
from . import storage as media_storage
from .models import VideoAsset, VideoVersion
from .selectors import lectures_using

UPLOAD_PREFIX = "uploads/"
_UPLOAD_KEY = re.compile(r"^uploads/[0-9a-f]{32}$")


def upload_key_new() -> str:
    """A fresh, neutral storage name for an original upload: `uploads/<uuid>`."""
    return f"{UPLOAD_PREFIX}{uuid.uuid4().hex}"


def _clean_filename(name: str) -> str:
    # Kept for people only; strip any path the browser sent and control characters.
    base = re.split(r"[\\/]", name or "")[-1]
    return "".join(ch for ch in base if ch.isprintable())[:255]


def check_upload_size(size: int) -> None:
    if size <= 0:
        raise AppError(_("The file is empty."), code="empty_file")
    if size > settings.MEDIA_MAX_UPLOAD_BYTES:
        raise AppError(
            _("The file is %(size)s bytes; the limit is %(limit)s bytes.")
            % {"size": f"{size:,}", "limit": f"{settings.MEDIA_MAX_UPLOAD_BYTES:,}"},
            code="file_too_large",
            extra={"size": size, "limit": settings.MEDIA_MAX_UPLOAD_BYTES},
        )


def video_asset_create_from_upload(
    *, uploaded_by: User | None, file: "File[bytes]", original_filename: str = ""
) -> VideoAsset:
    """Store `file` under a neutral name and record it as a new asset (state `uploaded`).

    For small files posted through Django; large uploads go to storage in parts and use
    `video_asset_create_from_storage_key`. Does not start a transcode: call
    `transcode_enqueue`.
    """
    size = file.size or 0
    check_upload_size(size)
    name = default_storage.save(upload_key_new(), file)
    try:
        with transaction.atomic():
            return VideoAsset.objects.create(
                uploaded_by=uploaded_by,
                original=name,
                original_filename=_clean_filename(original_filename or file.name or ""),
                original_size_bytes=size,
            )
    except Exception:
        default_storage.delete(name)
        raise


@transaction.atomic
def video_asset_create_from_storage_key(
    *, uploaded_by: User | None, key: str, original_filename: str
) -> VideoAsset:
    """Record an upload that is already in storage at `key` (from `upload_key_new()`).

    Raises AppError `invalid_upload_key` for any other name (a client must not make the
    platform adopt arbitrary objects), `source_missing` when nothing is stored there, and
    `empty_file` / `file_too_large` for the size limits.
    """
    if not _UPLOAD_KEY.fullmatch(key):
        raise AppError(_("That is not an upload of this platform."), code="invalid_upload_key")
    try:
        size = default_storage.size(key)
    except FileNotFoundError as exc:
        raise AppError(
            failures.message(failures.SOURCE_MISSING), code=failures.SOURCE_MISSING
        ) from exc
    check_upload_size(size)
    if VideoAsset.objects.filter(original=key).exists():
        raise Conflict(_("This upload is already recorded."), code="upload_already_recorded")
    return VideoAsset.objects.create(
        uploaded_by=uploaded_by,
        original=key,
        original_filename=_clean_filename(original_filename),
        original_size_bytes=size,
    )


def lock_asset(asset_id: int) -> VideoAsset:
    return VideoAsset.objects.select_for_update().get(pk=asset_id)


# --- a lecture's video -----------------------------------------------------------------


@transaction.atomic
def lecture_attach_video(*, lecture: Lecture, asset: VideoAsset | None) -> Lecture:
    """Use `asset` as the lecture's video (None detaches it). A ready asset sets the
    lecture's duration now; one still processing sets it when its version is ready. The video
    it replaces is retired if no lecture uses it any more (`assets_retire_unused`)."""
    lecture = Lecture.objects.select_for_update().get(pk=lecture.pk)
    replaced = lecture.video_id
    lecture.video = asset
    fields = ["video", "updated_at"]
    if asset is not None and asset.current_version_id is not None:
        duration = VideoVersion.objects.get(pk=asset.current_version_id).duration_seconds
        if duration:
            lecture.duration_seconds = round(duration)
            fields.append("duration_seconds")
    lecture.save(update_fields=fields)
    if asset is not None:
        asset_unretire(asset)
    if replaced is not None and replaced != lecture.video_id:
        assets_retire_after_commit([replaced])
    return lecture


@transaction.atomic
def lecture_video_replace(*, lecture: Lecture, asset: VideoAsset) -> Lecture:
    """Give `asset` to `lecture` without interrupting what learners watch.

    If the lecture's current video plays (has a ready version) and `asset` is not ready yet,
    `asset` waits in `pending_video` and the media service switches the lecture to it when its
    version becomes ready (`lectures_switch_to_ready`); a failed encode leaves the old video
    in place. Otherwise `asset` becomes the video at once. A newer replacement supersedes a
    pending one. Lock order as in the media services: asset, then lecture.
    """
    asset = VideoAsset.objects.select_for_update().get(pk=asset.pk)
    lecture = Lecture.objects.select_for_update().get(pk=lecture.pk)
    current = (
        VideoAsset.objects.filter(pk=lecture.video_id).only("current_version_id").first()
        if lecture.video_id
        else None
    )
    playing = current is not None and current.pk != asset.pk and current.current_version_id
    waiting = lecture.pending_video_id
    if playing and asset.current_version_id is None:
        lecture.pending_video = asset
        lecture.save(update_fields=["pending_video", "updated_at"])
        asset_unretire(asset)
    else:
        if waiting is not None:
            lecture.pending_video = None
            lecture.save(update_fields=["pending_video", "updated_at"])
        lecture = lecture_attach_video(lecture=lecture, asset=asset)
    if waiting is not None and waiting != asset.pk:
        # A newer replacement supersedes the one that was waiting: it is retired too.
        assets_retire_after_commit([waiting])
    return lecture


def lectures_switch_to_ready(*, asset: VideoAsset, duration_seconds: float, now: datetime) -> None:
    """`asset` has just become ready (in the caller's transaction, under its lock): its
    lectures take its duration, and those that kept playing their old video until this
    replacement was ready (`lecture_video_replace`) switch to it now; the videos they leave
    are retired."""
    duration = round(duration_seconds)
    Lecture.objects.filter(video=asset).update(duration_seconds=duration, updated_at=now)
    waiting = Lecture.objects.filter(pending_video=asset)
    replaced = list(waiting.values_list("video_id", flat=True))
    waiting.update(video=asset, pending_video=None, duration_seconds=duration, updated_at=now)
    assets_retire_after_commit([i for i in replaced if i != asset.pk])


def asset_unretire(asset: VideoAsset) -> None:
    """A lecture uses `asset` (again): it is no longer due for deletion."""
    VideoAsset.objects.filter(pk=asset.pk, retired_at__isnull=False).update(
        retired_at=None, updated_at=timezone.now()
    )


def assets_retire_after_commit(asset_ids: list[int]) -> None:
    """`assets_retire_unused(asset_ids)` once the current transaction has committed: in a
    transaction of its own, so it takes no asset lock after the lecture locks the caller
    holds (the media services lock an asset, then its lectures)."""
    ids = list(asset_ids)
    transaction.on_commit(lambda: assets_retire_unused(ids), robust=True)


def assets_retire_unused(asset_ids: list[int], *, now: datetime | None = None) -> list[int]:
    """Retire the videos among `asset_ids` that no lecture uses any more, as its video or as
    the replacement it waits for: a lecture moved to another video. A member who loaded one
    watches on through the grace period; then `video_assets_retired_delete` deletes it with
    its original and every version, so replacing a lecture's video leaves no files behind.
    Returns the ids retired now."""
    ids = {i for i in asset_ids if i is not None}
    if not ids:
        return []
    used: set[int] = set()
    for video_id, pending_id in lectures_using(ids).values_list("video_id", "pending_video_id"):
        used.update({video_id, pending_id})
    unused = sorted(ids - used)
    now = now or timezone.now()
    VideoAsset.objects.filter(pk__in=unused, retired_at__isnull=True).update(
        retired_at=now, updated_at=now
    )
    return unused


def video_asset_delete(*, asset: VideoAsset) -> None:
    """Delete a video, its versions, its jobs and, after commit, all its files.

    Lectures that used it lose their video (and keep their duration). A worker still encoding
    it notices at its next heartbeat and stops.
    """
    with transaction.atomic():
        asset = lock_asset(asset.pk)
        original = asset.original.name
        prefixes = list(asset.versions.values_list("storage_prefix", flat=True))
        asset.delete()

        def delete_files() -> None:
            for prefix in prefixes:
                media_storage.delete_prefix_quietly(default_storage, prefix)
            default_storage.delete(original)

        transaction.on_commit(delete_files, robust=True)
