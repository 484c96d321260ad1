from datetime import datetime
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from lms.accounts.requests import MemberRequest
from lms.catalog import services
from lms.catalog.models import Bundle, BundleCourse, Category, Course, Lecture, Status
from lms.core.admin import STATUS_FIELDS, StatusThroughActionsAdmin, admin_run_each
from lms.media import assets as media_assets
from lms.studio import services as studio_services


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = ("title", "title_en", "slug", "position")
    list_editable = ("position",)
    search_fields = ("title", "title_en", "slug")


class _PositionOptionalForm(forms.ModelForm[Any]):  # for lectures and bundle rows alike
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["position"].required = False
        self.fields["position"].help_text = _("Blank: after the others.")


class _AppendingPositionsFormSet(BaseInlineFormSet[Any, Any, Any]):
    """Rows left without a position go after the numbered ones, in the order they are listed:
    staff put a bundle's courses (or a course's lectures) in order by listing them, and type a
    number only to move one. (Saving renumbers 1, 2, 3... anyway.)"""

    def clean(self) -> None:
        super().clean()
        kept = [
            form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        following = max((f.cleaned_data.get("position") or 0 for f in kept), default=0) + 1
        for form in kept:
            if not form.cleaned_data.get("position"):
                form.cleaned_data["position"] = form.instance.position = following
                following += 1


class LectureInline(admin.TabularInline[Lecture, Course]):
    model = Lecture
    form = _PositionOptionalForm
    formset = _AppendingPositionsFormSet
    fields = ("position", "title", "title_en", "duration_seconds", "status", "publish_at")
    # Through the lecture actions (or with the course), never typed into the course form.
    readonly_fields = STATUS_FIELDS
    ordering = ("position",)
    extra = 0


@admin.register(Course)
class CourseAdmin(StatusThroughActionsAdmin[Course]):
    list_display = ("title", "category", "status", "publish_at", "lecture_count", "level")
    list_filter = ("status", "category", "level", "completion_policy", "publish_at")
    search_fields = ("title", "title_en", "slug", "summary", "instructors__email")
    autocomplete_fields = ("instructors",)
    prepopulated_fields = {"slug": ("title_en",)}
    inlines = (LectureInline,)
    actions = (*StatusThroughActionsAdmin.actions, "submit_for_review")
    date_hierarchy = "publish_at"
    # The model's ordering, said again: the lecture count's GROUP BY drops Meta.ordering, and
    # the course autocomplete (bundles' course picker) would page through an unordered list.
    ordering = ("-publish_at", "-id")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Course]:
        return (
            super().get_queryset(request).select_related("category").annotate(_n=Count("lectures"))
        )

    @admin.display(description=_("lectures"), ordering="_n")
    def lecture_count(self, obj: Course) -> int:
        return obj._n  # type: ignore[attr-defined,no-any-return]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        services.lecture_renumber(course=form.instance)

    def publish_through_service(
        self, request: HttpRequest, obj: Course, publish_at: datetime | None
    ) -> object:
        # As approving it in the studio's review queue: the same blockers, a review record.
        return studio_services.course_review_approve(
            course=obj,
            reviewer=request.user,  # type: ignore[arg-type]
            publish_at=publish_at,
        )

    def back_to_draft_through_service(self, request: HttpRequest, obj: Course) -> object:
        return services.course_back_to_draft(course=obj)

    def archive_through_service(self, request: HttpRequest, obj: Course) -> object:
        return services.course_set_status(course=obj, status=Status.ARCHIVED)

    @admin.action(description=_("Submit for review"))
    def submit_for_review(self, request: MemberRequest, queryset: QuerySet[Course]) -> None:
        admin_run_each(
            request,
            queryset,
            lambda c: studio_services.course_review_submit(
                course=c,
                by=request.user,
            ),
            _("%(count)d course(s) submitted."),
        )


@admin.register(Lecture)
class LectureAdmin(StatusThroughActionsAdmin[Lecture]):
    list_display = (
        "title",
        "course",
        "position",
        "duration_seconds",
        "status",
        "publish_at",
        "video_state",
    )
    list_filter = ("status", "course__category", "course", "video__state")
    search_fields = ("title", "title_en", "description", "course__title")
    list_select_related = ("course", "video")
    autocomplete_fields = ("video",)
    readonly_fields = ("video_state",)
    ordering = ("course", "position")

    @admin.display(description=_("video state"), ordering="video__state")
    def video_state(self, obj: Lecture) -> str:
        return obj.video.get_state_display() if obj.video else "—"

    def save_model(self, request: HttpRequest, obj: Lecture, form: Any, change: bool) -> None:
        """A video chosen here goes through the media service, as from the studio: the
        lecture takes the video's real duration, and the video it replaces is retired (then
        deleted with its files after the grace period) if no lecture uses it any more."""
        if "video" not in form.changed_data:
            super().save_model(request, obj, form, change)
            return
        chosen = obj.video
        obj.video_id = form.initial.get("video") if change else None
        super().save_model(request, obj, form, change)
        attached = media_assets.lecture_attach_video(lecture=obj, asset=chosen)
        obj.video, obj.duration_seconds = attached.video, attached.duration_seconds

    def publish_through_service(
        self, request: HttpRequest, obj: Lecture, publish_at: datetime | None
    ) -> object:
        return services.lecture_publish(lecture=obj, publish_at=publish_at)

    def back_to_draft_through_service(self, request: HttpRequest, obj: Lecture) -> object:
        return services.lecture_set_status(lecture=obj, status=Status.DRAFT)

    def archive_through_service(self, request: HttpRequest, obj: Lecture) -> object:
        return services.lecture_set_status(lecture=obj, status=Status.ARCHIVED)


class BundleCourseInline(admin.TabularInline[BundleCourse, Bundle]):
    model = BundleCourse
    form = _PositionOptionalForm
    formset = _AppendingPositionsFormSet
    fields = ("position", "course")
    autocomplete_fields = ("course",)
    ordering = ("position",)
    extra = 0


@admin.register(Bundle)
class BundleAdmin(StatusThroughActionsAdmin[Bundle]):
    list_display = ("title", "slug", "status", "publish_at")
    list_filter = ("status", "publish_at")
    search_fields = ("title", "title_en", "slug")
    prepopulated_fields = {"slug": ("title_en",)}
    inlines = (BundleCourseInline,)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        services.bundle_renumber(bundle=form.instance)

    def publish_through_service(
        self, request: HttpRequest, obj: Bundle, publish_at: datetime | None
    ) -> object:
        # Through the studio: each course published with it gets its approval recorded.
        return studio_services.bundle_review_publish(
            bundle=obj,
            reviewer=request.user,  # type: ignore[arg-type]
            publish_at=publish_at,
        )

    def back_to_draft_through_service(self, request: HttpRequest, obj: Bundle) -> object:
        return services.bundle_set_status(bundle=obj, status=Status.DRAFT)

    def archive_through_service(self, request: HttpRequest, obj: Bundle) -> object:
        return services.bundle_set_status(bundle=obj, status=Status.ARCHIVED)
