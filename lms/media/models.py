"""Videos, their encoded versions and the jobs that produce them.

An upload becomes a `VideoAsset`. Each encode of it is a `VideoVersion` whose files live under
`videos/<asset>/<version>/`; learners always watch `asset.current_version`, which switches only
when a newer version is completely ready. Each try at producing a version is a `TranscodeJob`
row (one per attempt), so the argv, stderr tail and failure of every attempt stay on record.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lms.core.models import TimeStampedModel

from .failures import failure_message


class VideoAsset(TimeStampedModel):
    class State(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        PROCESSING = "processing", _("Processing")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="video_assets",
        verbose_name=_("uploaded by"),
    )
    # A neutral, server-chosen name (`uploads/<uuid>`): the uploader's file name never reaches
    # a path, a demuxer's format guess or a shell.
    original = models.FileField(_("original upload"), max_length=255)
    original_filename = models.CharField(_("original file name"), max_length=255, blank=True)
    original_size_bytes = models.PositiveBigIntegerField(_("original size (bytes)"), default=0)
    current_version = models.ForeignKey(
        "VideoVersion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("current version"),
    )
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.UPLOADED, db_index=True
    )
    # Set when a lecture moved to another video and no lecture uses this one any more; the
    # video and its files are deleted MEDIA_SUPERSEDED_VERSION_GRACE_HOURS later
    # (services.video_assets_retired_delete) unless a lecture takes it again.
    retired_at = models.DateTimeField(_("replaced at"), null=True, blank=True)

    class Meta:
        verbose_name = _("video")
        verbose_name_plural = _("videos")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return self.original_filename or f"video {self.pk}"


class VideoVersion(TimeStampedModel):
    asset = models.ForeignKey(
        VideoAsset, on_delete=models.CASCADE, related_name="versions", verbose_name=_("video")
    )
    number = models.PositiveIntegerField(_("number"))
    storage_prefix = models.CharField(_("storage prefix"), max_length=255)
    duration_seconds = models.FloatField(_("duration (seconds)"), null=True, blank=True)
    # [{"name": "720p", "kind": "video", "width": 1280, "height": 720, "bandwidth": ...}, ...]
    renditions = models.JSONField(_("renditions"), default=list, blank=True)
    # Every file of the version, relative to `storage_prefix`: what to keep, serve or delete.
    files = models.JSONField(_("files"), default=list, blank=True)
    master_playlist_path = models.CharField(_("master playlist"), max_length=255, blank=True)
    poster_path = models.CharField(_("poster"), max_length=255, blank=True)
    storyboard_path = models.CharField(_("storyboard track"), max_length=255, blank=True)
    probe = models.JSONField(_("probe result"), default=dict, blank=True)
    ready_at = models.DateTimeField(_("ready at"), null=True, blank=True)
    # When a newer version replaced this one as the asset's current version (or, for a version
    # that became ready after a newer one, when it became ready). Its files are deleted
    # MEDIA_SUPERSEDED_VERSION_GRACE_HOURS later (`services.video_versions_purge`), so players
    # that loaded it before the switch can finish; then `purged_at` is set and it plays no more.
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)
    purged_at = models.DateTimeField(_("files deleted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("video version")
        verbose_name_plural = _("video versions")
        ordering = ("asset_id", "number")
        constraints = [
            models.UniqueConstraint(fields=("asset", "number"), name="video_version_unique")
        ]
        indexes = [
            # What the purge task looks for: superseded, files not yet deleted.
            models.Index(
                fields=("superseded_at",),
                condition=Q(purged_at__isnull=True),
                name="video_version_purge_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.asset} v{self.number}"

    @property
    def is_ready(self) -> bool:
        return self.ready_at is not None


class TranscodeJob(TimeStampedModel):
    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        PROBING = "probing", _("Checking the file")
        TRANSCODING = "transcoding", _("Encoding")
        UPLOADING = "uploading", _("Saving")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    #: A worker holds these under a lease.
    RUNNING_STATES = (State.PROBING, State.TRANSCODING, State.UPLOADING)
    ACTIVE_STATES = (State.QUEUED, *RUNNING_STATES)
    FINISHED_STATES = (State.READY, State.FAILED, State.CANCELLED)

    # The asset is the version's, repeated so that "one encode per video at a time" can be a
    # database constraint and the job history of a video is one indexed query.
    asset = models.ForeignKey(
        VideoAsset, on_delete=models.CASCADE, related_name="jobs", verbose_name=_("video")
    )
    version = models.ForeignKey(
        VideoVersion, on_delete=models.CASCADE, related_name="jobs", verbose_name=_("version")
    )
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=1)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.QUEUED, db_index=True
    )
    progress = models.FloatField(_("progress"), default=0.0)
    eta_seconds = models.PositiveIntegerField(_("time left (seconds)"), null=True, blank=True)
    worker = models.CharField(_("worker"), max_length=255, blank=True)
    # Fencing token: only the worker that claimed the job (and still holds the lease) may
    # write its progress or its result. A worker that lost the lease stops.
    lease_token = models.CharField(_("lease token"), max_length=32, blank=True, editable=False)
    lease_expires_at = models.DateTimeField(_("lease expires at"), null=True, blank=True)
    argv = models.JSONField(_("command"), default=list, blank=True)
    stderr_tail = models.TextField(_("error output (tail)"), blank=True)
    failure_code = models.CharField(_("failure code"), max_length=64, blank=True)
    failure_params = models.JSONField(_("failure details"), default=dict, blank=True)
    # The pipeline's own (English) explanation, for staff; people see `failure_message`.
    failure_detail = models.TextField(_("failure detail"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("transcode job")
        verbose_name_plural = _("transcode jobs")
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(fields=("version", "attempt"), name="transcode_attempt_unique"),
            # At most one encode of a video is queued or running at any time.
            models.UniqueConstraint(
                fields=("asset",),
                condition=Q(state__in=["queued", "probing", "transcoding", "uploading"]),
                name="transcode_one_active_per_asset",
            ),
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=1), name="transcode_progress_0_1"
            ),
        ]
        indexes = [models.Index(fields=("state", "lease_expires_at"), name="transcode_lease_idx")]

    def __str__(self) -> str:
        return f"{self.version} #{self.attempt} ({self.state})"

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE_STATES

    @property
    def failure_message(self) -> str:
        """Why the job failed, in the reader's language."""
        if not self.failure_code:
            return ""
        return failure_message(self.failure_code, self.failure_params, self.failure_detail)


class Upload(TimeStampedModel):
    """A resumable upload of a lecture's video (DESIGN.md "Media pipeline" 1).

    The browser sends the file in parts of `part_size` bytes (the last may be shorter). Where
    the parts are held depends on `backend`: on S3 they are the parts of an S3 multipart upload
    (`s3_upload_id`) and S3 itself is the record of which parts arrived (ListParts); in the
    embedded mode the platform receives them and records each one as an `UploadPart`.
    `complete` turns the parts into one object at `key` and a `VideoAsset`.
    """

    class State(models.TextChoices):
        OPEN = "open", _("Uploading")
        COMPLETED = "completed", _("Completed")
        ABORTED = "aborted", _("Cancelled")
        EXPIRED = "expired", _("Expired")

    class Backend(models.TextChoices):
        LOCAL = "local", _("Platform disk")
        S3 = "s3", _("S3")

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="uploads",
        verbose_name=_("uploaded by"),
    )
    # SET_NULL, not CASCADE: the row must outlive its lecture so that the cleanup task can still
    # find the parts it holds and delete them.
    lecture = models.ForeignKey(
        "catalog.Lecture",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="uploads",
        verbose_name=_("lecture"),
    )
    key = models.CharField(_("storage key"), max_length=64, unique=True)
    filename = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    # What the browser declared: a hint only, never trusted (the content is checked).
    content_type = models.CharField(_("declared type"), max_length=100, blank=True)
    part_size = models.PositiveBigIntegerField(_("part size (bytes)"))
    backend = models.CharField(_("storage"), max_length=8, choices=Backend.choices)
    s3_upload_id = models.CharField(_("S3 upload id"), max_length=1024, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.OPEN, db_index=True
    )
    # Sliding: each part received (or part URL handed out) moves it UPLOAD_EXPIRE_HOURS ahead.
    expires_at = models.DateTimeField(_("expires at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Set once whatever held the parts (the part directory, the S3 multipart upload) is gone;
    # the cleanup task retries until it is.
    parts_deleted_at = models.DateTimeField(_("parts deleted at"), null=True, blank=True)
    failure_code = models.CharField(_("failure code"), max_length=64, blank=True)
    asset = models.ForeignKey(
        VideoAsset,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="uploads",
        verbose_name=_("video"),
    )

    class Meta:
        verbose_name = _("upload")
        verbose_name_plural = _("uploads")
        ordering = ("-created_at", "-id")
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="upload_size_positive"),
            models.CheckConstraint(condition=Q(part_size__gt=0), name="upload_part_size_positive"),
        ]
        indexes = [models.Index(fields=("state", "expires_at"), name="upload_expiry_idx")]

    def __str__(self) -> str:
        return f"{self.filename} ({self.state})"

    @property
    def parts_count(self) -> int:
        return max(1, -(-self.size // self.part_size))

    def part_length(self, number: int) -> int:
        """The exact size part `number` (1-based) must have."""
        if number < self.parts_count:
            return int(self.part_size)
        return int(self.size - (self.parts_count - 1) * self.part_size)


class UploadPart(models.Model):
    """A part the platform received and stored (embedded mode only; on S3, S3 keeps them)."""

    upload = models.ForeignKey(
        Upload, on_delete=models.CASCADE, related_name="parts", verbose_name=_("upload")
    )
    number = models.PositiveIntegerField(_("number"))
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    etag = models.CharField(_("ETag"), max_length=64)
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        verbose_name = _("upload part")
        verbose_name_plural = _("upload parts")
        ordering = ("upload_id", "number")
        constraints = [
            models.UniqueConstraint(fields=("upload", "number"), name="upload_part_unique")
        ]

    def __str__(self) -> str:
        return f"{self.upload_id}#{self.number}"
