"""What the media app keeps, and for how long: the files of superseded versions and the
videos no lecture uses any more go once their grace period (MEDIA_SUPERSEDED_VERSION_GRACE_HOURS)
has passed. Both run periodically (`tasks.versions_purge`) and are safe to run twice.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from . import storage as media_storage
from .assets import asset_unretire, video_asset_delete
from .models import VideoAsset, VideoVersion
from .selectors import lectures_using

log = logging.getLogger(__name__)


def _grace_cutoff(now: datetime) -> datetime:
    """Superseded versions and retired videos older than this have had their grace period."""
    return now - timedelta(hours=float(settings.MEDIA_SUPERSEDED_VERSION_GRACE_HOURS))


@dataclass(frozen=True)
class PurgeReport:
    purged: list[int] = field(default_factory=list)  # ids of versions whose files went
    files_deleted: int = 0
    failed: list[int] = field(default_factory=list)  # storage errors; tried again next run


def video_versions_purge(*, now: datetime | None = None) -> PurgeReport:
    """Delete the files of versions superseded more than MEDIA_SUPERSEDED_VERSION_GRACE_HOURS
    ago and mark them purged (the rows stay, as the history of the asset's encodes).

    The grace period lets a member who loaded the old master playlist before the switch watch
    on (its playlists are served, and its signed URLs valid for PLAYBACK_URL_TTL_SECONDS); a
    purged version is no longer served. The asset's current version is never touched. Files
    are listed in storage rather than taken from `files`, so leftovers go too. Safe to run
    twice or concurrently: deleting what is already gone is a no-op, and a version whose
    files could not all be deleted (storage down) stays unpurged for the next run.
    """
    now = now or timezone.now()
    cutoff = _grace_cutoff(now)
    due = VideoVersion.objects.filter(purged_at__isnull=True, superseded_at__lt=cutoff)
    purged: list[int] = []
    failed: list[int] = []
    files_deleted = 0
    for version_id, asset_id, prefix in list(
        due.values_list("pk", "asset_id", "storage_prefix").order_by("pk")
    ):
        with transaction.atomic():
            # Under the asset's lock: it is not current (a version never becomes current
            # again once superseded, but the files of the one learners watch are the last
            # thing to risk).
            asset = VideoAsset.objects.select_for_update().filter(pk=asset_id).first()
            if asset is None or asset.current_version_id == version_id:
                continue
        try:
            files_deleted += media_storage.delete_prefix(default_storage, prefix)
        except (OSError, BotoCoreError, ClientError):
            log.exception("could not delete the files of superseded version %s", version_id)
            failed.append(version_id)
            continue
        if VideoVersion.objects.filter(pk=version_id, purged_at__isnull=True).update(
            purged_at=now, updated_at=now
        ):
            purged.append(version_id)
    return PurgeReport(purged=purged, files_deleted=files_deleted, failed=failed)


@dataclass(frozen=True)
class RetiredDeleteReport:
    deleted: list[int] = field(default_factory=list)  # ids of the videos deleted


def video_assets_retired_delete(*, now: datetime | None = None) -> RetiredDeleteReport:
    """Delete the videos retired more than MEDIA_SUPERSEDED_VERSION_GRACE_HOURS ago (a
    lecture moved to another video, see `assets_retire_unused`) that still no lecture uses:
    the rows, the original upload and every version's files. Safe to run twice or
    concurrently."""
    cutoff = _grace_cutoff(now or timezone.now())
    deleted: list[int] = []
    due = VideoAsset.objects.filter(retired_at__lt=cutoff).order_by("pk")
    for asset_id in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            asset = (
                VideoAsset.objects.select_for_update()
                .filter(pk=asset_id, retired_at__lt=cutoff)
                .first()
            )
            if asset is None:
                continue
            if lectures_using({asset_id}).exists():
                asset_unretire(asset)  # a lecture took it again as it was being retired
                continue
            video_asset_delete(asset=asset)
        deleted.append(asset_id)
    return RetiredDeleteReport(deleted=deleted)
