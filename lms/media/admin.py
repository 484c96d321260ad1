import shlex
from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from lms.accounts.models import User
from lms.accounts.requests import MemberRequest
from lms.core.admin import admin_run_each

from . import assets, jobs, selectors
from .models import TranscodeJob, Upload, UploadPart, VideoAsset, VideoVersion

StrOrPromise = str | Promise


def _percent(job: TranscodeJob) -> str:
    return f"{job.progress * 100:.0f}%"


def _actor(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


class TranscodeJobInline(admin.TabularInline[TranscodeJob, VideoAsset]):
    """Every attempt of every version of the video, newest first."""

    model = TranscodeJob
    fk_name = "asset"
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ("-created_at", "-id")
    fields = (
        "version_number",
        "attempt",
        "state",
        "progress_percent",
        "eta_seconds",
        "worker",
        "failure",
        "stderr_tail",
        "created_at",
        "finished_at",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[TranscodeJob]:
        return super().get_queryset(request).select_related("version")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("version"))
    def version_number(self, job: TranscodeJob) -> int:
        return job.version.number

    @admin.display(description=_("progress"))
    def progress_percent(self, job: TranscodeJob) -> str:
        return _percent(job)

    @admin.display(description=_("failure reason"))
    def failure(self, job: TranscodeJob) -> str:
        return job.failure_message


class VideoVersionInline(admin.TabularInline[VideoVersion, VideoAsset]):
    model = VideoVersion
    extra = 0
    can_delete = False
    ordering = ("-number",)
    fields = ("number", "storage_prefix", "duration_seconds", "ready_at", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(VideoAsset)
class VideoAssetAdmin(admin.ModelAdmin[VideoAsset]):
    list_display = (
        "__str__",
        "state",
        "current_version_number",
        "duration",
        "uploaded_by",
        "created_at",
    )
    list_filter = ("state", "created_at")
    search_fields = ("original_filename", "original", "uploaded_by__email", "lectures__title")
    list_select_related = ("current_version", "uploaded_by")
    readonly_fields = (
        "original_link",
        "original_filename",
        "original_size_bytes",
        "uploaded_by",
        "current_version",
        "state",
        "retired_at",
        "created_at",
        "updated_at",
    )
    fields = readonly_fields
    inlines = (VideoVersionInline, TranscodeJobInline)
    actions = ("reencode", "cancel_active", "retry_last")
    date_hierarchy = "created_at"

    @admin.display(description=_("original upload"))
    def original_link(self, obj: VideoAsset) -> str:
        # Through the access-checked download, never a storage path.
        if not obj.original:
            return "-"
        url = reverse("media:original_download", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.original_filename or obj.original.name)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Videos come from uploads (services), not from a blank admin form.
        return False

    def delete_model(self, request: HttpRequest, obj: VideoAsset) -> None:
        assets.video_asset_delete(asset=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[VideoAsset]) -> None:
        for asset in queryset:
            assets.video_asset_delete(asset=asset)

    @admin.display(description=_("version"), ordering="current_version__number")
    def current_version_number(self, asset: VideoAsset) -> str:
        return str(asset.current_version.number) if asset.current_version else "—"

    @admin.display(description=_("duration"))
    def duration(self, asset: VideoAsset) -> str:
        version = asset.current_version
        if version is None or version.duration_seconds is None:
            return "—"
        minutes, seconds = divmod(round(version.duration_seconds), 60)
        return f"{minutes}:{seconds:02d}"

    @admin.action(description=_("Encode again (new version)"))
    def reencode(self, request: MemberRequest, queryset: QuerySet[VideoAsset]) -> None:
        admin_run_each(
            request,
            queryset,
            lambda a: jobs.transcode_enqueue(asset=a, requested_by=_actor(request)),
            _("%(count)d video(s) queued for encoding."),
        )

    @admin.action(description=_("Cancel the running encode"))
    def cancel_active(self, request: MemberRequest, queryset: QuerySet[VideoAsset]) -> None:
        active = [job for a in queryset if (job := selectors.transcode_job_active(asset=a))]
        admin_run_each(
            request,
            active,
            lambda j: jobs.transcode_cancel(job=j, cancelled_by=_actor(request)),
            _("%(count)d encode(s) cancelled."),
        )

    @admin.action(description=_("Retry the failed encode"))
    def retry_last(self, request: MemberRequest, queryset: QuerySet[VideoAsset]) -> None:
        latest = [job for a in queryset if (job := selectors.transcode_job_latest(asset=a))]
        admin_run_each(
            request,
            latest,
            lambda j: jobs.transcode_retry(job=j, requested_by=_actor(request)),
            _("%(count)d encode(s) queued again."),
        )


@admin.register(TranscodeJob)
class TranscodeJobAdmin(admin.ModelAdmin[TranscodeJob]):
    list_display = (
        "id",
        "asset",
        "version_number",
        "attempt",
        "state",
        "progress_percent",
        "eta_seconds",
        "worker",
        "failure_code",
        "created_at",
    )
    list_filter = ("state", "failure_code", "created_at")
    search_fields = ("asset__original_filename", "worker", "failure_code")
    list_select_related = ("asset", "version")
    readonly_fields = (
        "asset",
        "version",
        "attempt",
        "state",
        "progress",
        "eta_seconds",
        "worker",
        "lease_expires_at",
        "failure_code",
        "failure_message_text",
        "failure_detail",
        "command",
        "stderr_tail",
        "requested_by",
        "created_at",
        "started_at",
        "finished_at",
    )
    fields = readonly_fields
    actions = ("cancel", "retry")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("version"), ordering="version__number")
    def version_number(self, job: TranscodeJob) -> int:
        return job.version.number

    @admin.display(description=_("progress"), ordering="progress")
    def progress_percent(self, job: TranscodeJob) -> str:
        return _percent(job)

    @admin.display(description=_("failure reason"))
    def failure_message_text(self, job: TranscodeJob) -> str:
        return job.failure_message

    @admin.display(description=_("command"))
    def command(self, job: TranscodeJob) -> str:
        return format_html("<pre>{}</pre>", shlex.join(job.argv))

    @admin.action(description=_("Cancel"))
    def cancel(self, request: MemberRequest, queryset: QuerySet[TranscodeJob]) -> None:
        admin_run_each(
            request,
            queryset,
            lambda j: jobs.transcode_cancel(job=j, cancelled_by=_actor(request)),
            _("%(count)d encode(s) cancelled."),
        )

    @admin.action(description=_("Retry"))
    def retry(self, request: MemberRequest, queryset: QuerySet[TranscodeJob]) -> None:
        admin_run_each(
            request,
            queryset,
            lambda j: jobs.transcode_retry(job=j, requested_by=_actor(request)),
            _("%(count)d encode(s) queued again."),
        )


class UploadPartInline(admin.TabularInline[UploadPart, Upload]):
    """The parts the platform holds for an embedded-mode upload still under way (on S3, S3
    holds them; completed and cancelled uploads have none left)."""

    model = UploadPart
    extra = 0
    can_delete = False
    fields = ("number", "size", "etag", "received_at")
    readonly_fields = fields
    ordering = ("number",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin[Upload]):
    """Uploads, to look at only: who sent what for which lecture, and where it stands. They
    change through the upload API and the cleanup task; deleting a row by hand would leave its
    parts in storage with nothing left to find them."""

    list_display = (
        "filename",
        "uploaded_by",
        "lecture",
        "state",
        "size_display",
        "parts",
        "started_at",
        "expires_at",
        "asset_link",
    )
    list_filter = ("state", "backend", "created_at")
    search_fields = ("uploaded_by__email", "filename", "lecture__title")
    list_select_related = ("uploaded_by", "lecture", "asset")
    date_hierarchy = "created_at"
    fields = (
        "filename",
        "uploaded_by",
        "lecture",
        "state",
        "failure_code",
        "size_display",
        "part_size",
        "parts",
        "content_type",
        "backend",
        "key",
        "s3_upload_id",
        "asset_link",
        "started_at",
        "expires_at",
        "finished_at",
        "parts_deleted_at",
    )
    readonly_fields = fields
    inlines = (UploadPartInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Upload]:
        return super().get_queryset(request).annotate(_received=Count("parts"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("size"), ordering="size")
    def size_display(self, upload: Upload) -> str:
        return filesizeformat(upload.size)

    @admin.display(description=_("parts"))
    def parts(self, upload: Upload) -> str:
        """Received of all, where the platform holds the parts; on S3 only how many."""
        if upload.backend == Upload.Backend.LOCAL and upload.state == Upload.State.OPEN:
            return f"{upload._received} / {upload.parts_count}"  # type: ignore[attr-defined]
        return str(upload.parts_count)

    @admin.display(description=_("started at"), ordering="created_at")
    def started_at(self, upload: Upload) -> Any:
        return upload.created_at

    @admin.display(description=_("video"), ordering="asset")
    def asset_link(self, upload: Upload) -> str:
        if upload.asset_id is None:
            return "—"
        url = reverse("admin:media_videoasset_change", args=[upload.asset_id])
        return format_html('<a href="{}">{}</a>', url, upload.asset)
