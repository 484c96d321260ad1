"""Staff read every post here, hidden ones too. Hiding and showing again go through the
services (`post_hide`, `post_unhide`); the text and the hide fields are not edited here."""

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from lms.accounts.requests import MemberRequest
from lms.core.errors import AppError

from . import services
from .forms import HideForm
from .models import Answer, Post, Question, Revision

POST_FIELDS = (
    "author",
    "body",
    "created_at",
    "edited_at",
    "hidden_at",
    "hidden_by",
    "hidden_reason",
)


class RevisionInline(admin.TabularInline[Revision, Any]):  # under questions and answers
    model = Revision
    fields = ("created_at", "body")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class PostAdmin(admin.ModelAdmin[Any]):  # the base of QuestionAdmin and AnswerAdmin
    actions = ("hide", "unhide")
    list_filter = ("hidden_at",)
    search_fields = ("body",)
    inlines = (RevisionInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description=_("Hide"))
    def hide(self, request: MemberRequest, queryset: QuerySet[Post]) -> HttpResponse | None:
        """Asks for the reason on a page of its own, then hides every chosen post."""
        form = HideForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            for post in queryset.order_by("pk"):
                try:
                    services.post_hide(
                        staff=request.user,
                        post=post,
                        reason=form.cleaned_data["reason"],
                    )
                except AppError as exc:
                    self.message_user(request, exc.message, messages.ERROR)
                    return None
            self.message_user(request, _("%(n)d posts hidden.") % {"n": queryset.count()})
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Hide posts"),
            "form": form,
            "posts": queryset,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/qna/hide.html", context)

    @admin.action(description=_("Show again"))
    def unhide(self, request: MemberRequest, queryset: QuerySet[Post]) -> None:
        for post in queryset.order_by("pk"):
            services.post_unhide(staff=request.user, post=post)
        self.message_user(request, _("%(n)d posts shown again.") % {"n": queryset.count()})


@admin.register(Question)
class QuestionAdmin(PostAdmin):
    list_display = ("__str__", "lecture", "author", "created_at", "hidden_at")
    readonly_fields = ("lecture", "at_seconds", "accepted_answer", *POST_FIELDS)
    list_select_related = ("lecture", "author")


@admin.register(Answer)
class AnswerAdmin(PostAdmin):
    list_display = ("__str__", "question", "author", "by_course_editor", "created_at", "hidden_at")
    readonly_fields = ("question", "by_course_editor", *POST_FIELDS)
    list_select_related = ("question", "author")
