from datetime import datetime, timedelta
from typing import Any

from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from lms.accounts.requests import MemberRequest
from lms.catalog.models import Status
from lms.core.admin import StatusThroughActionsAdmin
from lms.core.errors import AppError

from . import services
from .models import Announcement, EventSeries, Notification, Registration, WeeklyLecture

PLAN_WEEKS = 12
# Online links typed without a scheme are https (Django 6's default, asked for now).
URL_HTTPS: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.URLField: {"assume_scheme": "https"}
}


@admin.register(EventSeries)
class EventSeriesAdmin(admin.ModelAdmin[EventSeries]):
    list_display = ("title", "category", "weekday", "start_time", "first_date", "last_date")
    actions = ("plan_weeks",)
    formfield_overrides = URL_HTTPS

    @admin.action(description=_("Make the weeks of the next 12 weeks"))
    def plan_weeks(self, request: MemberRequest, queryset: QuerySet[EventSeries]) -> None:
        until = timezone.localdate() + timedelta(weeks=PLAN_WEEKS)
        made = sum(len(services.series_plan(series=s, until=until)) for s in queryset)
        self.message_user(request, _("%(n)d lectures made.") % {"n": made})


class RegistrationInline(admin.TabularInline[Registration, WeeklyLecture]):
    model = Registration
    fields = ("member", "state", "queued_at", "offer_expires_at", "attended")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WeeklyLecture)
class WeeklyLectureAdmin(StatusThroughActionsAdmin[WeeklyLecture]):
    list_display = ("title", "category", "speaker", "starts_at", "state", "status", "publish_at")
    list_filter = ("state", "status", "category", "series", "starts_at")
    search_fields = ("title", "title_en", "speaker", "description")
    date_hierarchy = "starts_at"
    prepopulated_fields = {"slug": ("title_en",)}
    autocomplete_fields = ("recording", "speaker_member")
    readonly_fields = ("state", "moved_from", "sequence", "series", "series_date")
    inlines = (RegistrationInline,)
    formfield_overrides = URL_HTTPS
    actions = (*StatusThroughActionsAdmin.actions, "cancel_lectures", "make_recording_lecture")

    def publish_through_service(
        self, request: HttpRequest, obj: WeeklyLecture, publish_at: datetime | None
    ) -> object:
        return services.event_publish(event=obj, publish_at=publish_at)

    def back_to_draft_through_service(self, request: HttpRequest, obj: WeeklyLecture) -> object:
        return services.event_set_status(event=obj, status=Status.DRAFT)

    def archive_through_service(self, request: HttpRequest, obj: WeeklyLecture) -> object:
        return services.event_set_status(event=obj, status=Status.ARCHIVED)

    def save_model(self, request: HttpRequest, obj: WeeklyLecture, form: Any, change: bool) -> None:
        """A new time of a saved lecture goes through `event_move`: the sequence rises and the
        registered members get the updated invitation."""
        new_start = obj.starts_at
        if change and "starts_at" in form.changed_data:
            obj.starts_at = form.initial["starts_at"]
            super().save_model(request, obj, form, change)
            try:
                services.event_move(event=obj, starts_at=new_start)
            except AppError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            return
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Cancel the selected lectures (registrants are told)"))
    def cancel_lectures(self, request: MemberRequest, queryset: QuerySet[WeeklyLecture]) -> None:
        for event in queryset:
            services.event_cancel(event=event)
        self.message_user(request, _("Cancelled."))

    @admin.action(description=_("Make the recording's lecture in the 주간 특강 course"))
    def make_recording_lecture(
        self, request: MemberRequest, queryset: QuerySet[WeeklyLecture]
    ) -> None:
        for event in queryset:
            lecture = services.event_recording_create(event=event)
            url = reverse("studio:lecture", args=[lecture.course_id, lecture.pk])
            self.message_user(
                request,
                format_html(
                    gettext(
                        'Upload the recording of “{title}” on <a href="{url}">its lecture page</a>.'
                    ),
                    title=event.title,
                    url=url,
                ),
            )


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin[Announcement]):
    list_display = ("title", "published_at", "author")
    readonly_fields = ("published_at", "author")
    fields = ("title", "body", "published_at", "author")
    actions = ("publish",)

    def save_model(self, request: HttpRequest, obj: Announcement, form: Any, change: bool) -> None:
        if not change:
            obj.author = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Publish (members who chose it get an e-mail)"))
    def publish(self, request: MemberRequest, queryset: QuerySet[Announcement]) -> None:
        for announcement in queryset:
            services.announcement_publish(announcement=announcement)
        self.message_user(request, _("Published."))


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    list_display = ("member", "kind", "title", "created_at", "read_at")
    list_filter = ("kind",)
    readonly_fields = ("member", "kind", "event", "title", "body", "url", "dedupe_key", "read_at")
