"""What every app's admin shares: running a service on each selected row, and the status
actions of publishable rows (courses, lectures, bundles, special lectures)."""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from lms.core.errors import AppError
from lms.core.models import OutboxMessage

T = TypeVar("T")
M = TypeVar("M", bound=Model)

# Status and publish time change only through the actions, which call the services: the
# transition table, the publish blockers and the review records apply as everywhere else.
STATUS_FIELDS = ("status", "publish_at")


def admin_run_each(
    request: HttpRequest,
    objects: Iterable[T],
    action: Callable[[T], object],
    done: str | Promise,
    **params: object,
) -> int:
    """Run `action` (a service call) on each object; each refusal (`AppError`) becomes an error
    message naming the object, and the rest go ahead. `done` is the success message, with
    `%(count)d` for how many went through and `params` for the rest. Returns that count."""
    ok = 0
    for obj in objects:
        try:
            action(obj)
            ok += 1
        except AppError as exc:
            messages.error(request, f"{obj}: {exc.message}")
    if ok:
        messages.success(request, str(done) % {"count": ok, **params})
    return ok


class ScheduleForm(forms.Form):
    publish_at = forms.DateTimeField(
        label=_("Publish at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def clean_publish_at(self) -> datetime:
        when: datetime = self.cleaned_data["publish_at"]
        if when <= timezone.now():
            raise forms.ValidationError(_("Choose a time in the future, or publish now."))
        return when


class StatusThroughActionsAdmin(admin.ModelAdmin[M]):
    """An admin whose status and publish time are read-only on the change form and absent from
    the add form (a new row starts as a draft, the model's default, as the create services make
    it), and change through the actions below, each a service call that the subclass names."""

    actions: tuple[str, ...] = ("publish_now", "schedule", "back_to_draft", "archive")

    def publish_through_service(
        self, request: HttpRequest, obj: Any, publish_at: datetime | None
    ) -> object:
        raise NotImplementedError

    def back_to_draft_through_service(self, request: HttpRequest, obj: Any) -> object:
        raise NotImplementedError

    def archive_through_service(self, request: HttpRequest, obj: Any) -> object:
        raise NotImplementedError

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return (*super().get_readonly_fields(request, obj), *STATUS_FIELDS)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = super().get_fields(request, obj)
        return fields if obj else [f for f in fields if f not in STATUS_FIELDS]

    def _run(self, request: HttpRequest, queryset: Any, action: Any, done: Promise) -> None:
        admin_run_each(request, queryset, action, done, what=self.model._meta.verbose_name)

    @admin.action(description=_("Publish now"))
    def publish_now(self, request: HttpRequest, queryset: Any) -> None:
        self._run(
            request,
            queryset,
            lambda obj: self.publish_through_service(request, obj, None),
            _("%(count)d %(what)s(s) published."),
        )

    @admin.action(description=_("Schedule publishing…"))
    def schedule(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        """Asks for the publish time on an intermediate page, then publishes each selected row
        at that time through the same service as "publish now"."""
        form = ScheduleForm(request.POST if "publish_at" in request.POST else None)
        if form.is_valid():
            when = form.cleaned_data["publish_at"]
            self._run(
                request,
                queryset,
                lambda obj: self.publish_through_service(request, obj, when),
                _("%(count)d %(what)s(s) scheduled."),
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Schedule publishing"),
            "form": form,
            "objects": queryset,
            "action": "schedule",
            "opts": self.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/schedule.html", context)

    @admin.action(description=_("Unpublish or restore (back to draft)"))
    def back_to_draft(self, request: HttpRequest, queryset: Any) -> None:
        self._run(
            request,
            queryset,
            lambda obj: self.back_to_draft_through_service(request, obj),
            _("%(count)d %(what)s(s) back to draft."),
        )

    @admin.action(description=_("Archive"))
    def archive(self, request: HttpRequest, queryset: Any) -> None:
        self._run(
            request,
            queryset,
            lambda obj: self.archive_through_service(request, obj),
            _("%(count)d %(what)s(s) archived."),
        )


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The embedded mode's sent mail, read-only: a record of what went out, not a draft."""

    list_display = ("created_at", "to", "subject")
    search_fields = ("to", "subject")
    date_hierarchy = "created_at"
    fields = ("created_at", "from_email", "to", "subject", "body", "html")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.is_superuser
