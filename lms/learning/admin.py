from django.contrib import admin

from .models import BundleProgress, CourseProgress, LectureProgress


@admin.register(LectureProgress)
class LectureProgressAdmin(admin.ModelAdmin[LectureProgress]):
    """Read-only: progress changes only through the heartbeat service."""

    list_display = ("user", "lecture", "credited_seconds", "completed_at", "updated_at")
    list_filter = ("completed_at",)
    search_fields = ("user__email", "lecture__title")
    raw_id_fields = ("user", "lecture")
    readonly_fields = [f.name for f in LectureProgress._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(CourseProgress)
class CourseProgressAdmin(admin.ModelAdmin[CourseProgress]):
    list_display = ("user", "course", "percent", "completed_lectures", "completed_at")
    list_filter = ("completed_at",)
    search_fields = ("user__email", "course__title")
    raw_id_fields = ("user", "course")

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(BundleProgress)
class BundleProgressAdmin(admin.ModelAdmin[BundleProgress]):
    list_display = ("user", "bundle", "percent", "completed_courses", "completed_at")
    search_fields = ("user__email", "bundle__title")
    raw_id_fields = ("user", "bundle")

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
