"""The instructor studio and the staff review queue. Thin: authorise, call a service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from lms.accounts.requests import MemberRequest
from lms.catalog import selectors as catalog_selectors
from lms.catalog import services as catalog_services
from lms.catalog.models import LectureAttachment, LectureCaption, LectureChapter
from lms.core.errors import AppError
from lms.core.web import add_app_error, instructor_required, staff_required
from lms.media.files import stored_file_response
from lms.media.video_panel import video_panel_context
from lms.qna import selectors as qna_selectors

from . import handouts, selectors, services
from .forms import (
    AttachmentForm,
    CaptionForm,
    ChapterForm,
    CourseForm,
    LectureForm,
    MoveForm,
    ReviewDecisionForm,
)


@instructor_required
def home(request: MemberRequest) -> HttpResponse:
    courses = catalog_selectors.course_list_editable(request.user)
    return render(request, "studio/home.html", {"courses": courses})


@instructor_required
def questions_awaiting(request: MemberRequest) -> HttpResponse:
    """답변을 기다리는 질문: unanswered questions in the courses the instructor edits."""
    questions = qna_selectors.question_list_awaiting_answer(user=request.user)
    return render(request, "studio/questions_awaiting.html", {"questions": questions})


@instructor_required
def course_create(request: MemberRequest) -> HttpResponse:
    form = CourseForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            course = services.course_create(instructors=[request.user], **form.cleaned_data)
        except AppError as exc:
            add_app_error(form, exc)
        else:
            messages.success(request, _("Course created. Add its lectures next."))
            return redirect("studio:course", pk=course.pk)
    return render(request, "studio/course_form.html", {"form": form})


@instructor_required
def course_edit(request: MemberRequest, pk: int) -> HttpResponse:
    course = catalog_selectors.access_course_for_edit(request.user, pk=pk)
    form = CourseForm(request.POST or None, request.FILES or None, instance=course, prefix="course")
    lecture_form = LectureForm(prefix="lecture")
    if request.method == "POST" and form.is_valid():
        try:
            services.course_update(course=course, **form.cleaned_data)
        except AppError as exc:
            add_app_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("studio:course", pk=course.pk)
    context = {
        "course": course,
        "form": form,
        "lecture_form": lecture_form,
        "lectures": selectors.lecture_list_for_studio(course),
        "reviews": course.reviews.select_related("by")[:10],
        "review_notice": selectors.course_review_notice(course),
    }
    return render(request, "studio/course_edit.html", context)


@instructor_required
@require_POST
def lecture_create(request: MemberRequest, pk: int) -> HttpResponse:
    course = catalog_selectors.access_course_for_edit(request.user, pk=pk)
    form = LectureForm(request.POST, prefix="lecture")
    if form.is_valid():
        lecture = catalog_services.lecture_create(course=course, **form.cleaned_data)
        return redirect("studio:lecture", course_pk=course.pk, pk=lecture.pk)
    for error in form.errors.values():
        messages.error(request, " ".join(str(e) for e in error))
    return redirect(reverse("studio:course", args=[course.pk]) + "#lectures")


@instructor_required
@require_POST
def lecture_move(request: MemberRequest, course_pk: int, pk: int) -> HttpResponse:
    lecture = catalog_selectors.access_lecture_for_edit(
        request.user,
        course_pk=course_pk,
        pk=pk,
    )
    form = MoveForm(request.POST)
    try:
        if not form.is_valid():
            raise AppError(_("Choose a position."), code="position_out_of_range")
        catalog_services.lecture_move(lecture=lecture, position=form.cleaned_data["position"])
    except AppError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("studio:course", args=[course_pk]) + "#lectures")


@instructor_required
@require_POST
def lecture_delete(request: MemberRequest, course_pk: int, pk: int) -> HttpResponse:
    lecture = catalog_selectors.access_lecture_for_edit(
        request.user,
        course_pk=course_pk,
        pk=pk,
    )
    catalog_services.lecture_delete(lecture=lecture)
    messages.success(request, _("Lecture deleted."))
    return redirect("studio:course", pk=course_pk)


@instructor_required
def lecture_edit(request: MemberRequest, course_pk: int, pk: int) -> HttpResponse:
    lecture = catalog_selectors.access_lecture_for_edit(
        request.user,
        course_pk=course_pk,
        pk=pk,
    )
    form = LectureForm(None, instance=lecture, prefix="lecture")
    chapter_form = ChapterForm(prefix="chapter")
    caption_form = CaptionForm(prefix="caption")
    attachment_form = AttachmentForm(prefix="handout")
    action = request.POST.get("action") if request.method == "POST" else None
    chapters = list(lecture.chapters.all())
    chapter_edit_forms = {
        c.pk: ChapterForm(
            prefix=f"chapter-{c.pk}",
            initial={"start": services.clock(c.start_seconds), "title": c.title},
        )
        for c in chapters
    }
    edited = None
    try:
        if action == "lecture":
            form = LectureForm(request.POST, instance=lecture, prefix="lecture")
            if form.is_valid():
                services.lecture_update(lecture=lecture, **form.cleaned_data)
                messages.success(request, _("Saved."))
                return redirect(request.path)
        elif action == "chapter":
            chapter_form = ChapterForm(request.POST, prefix="chapter")
            if chapter_form.is_valid():
                services.chapter_add(
                    lecture=lecture,
                    start_seconds=services.parse_clock(chapter_form.cleaned_data["start"]),
                    title=chapter_form.cleaned_data["title"],
                )
                messages.success(request, _("Chapter added."))
                return redirect(request.path + "#chapters")
        elif action == "chapter_edit":
            edited = next((c for c in chapters if str(c.pk) == request.POST.get("chapter")), None)
            if edited is None:
                raise Http404
            form_edit = ChapterForm(request.POST, prefix=f"chapter-{edited.pk}")
            chapter_edit_forms[edited.pk] = form_edit
            if form_edit.is_valid():
                services.chapter_update(
                    chapter=edited,
                    start_seconds=services.parse_clock(form_edit.cleaned_data["start"]),
                    title=form_edit.cleaned_data["title"],
                )
                messages.success(request, _("Chapter saved."))
                return redirect(request.path + "#chapters")
        elif action == "caption":
            caption_form = CaptionForm(request.POST, request.FILES, prefix="caption")
            if caption_form.is_valid():
                caption = services.caption_upload(
                    lecture=lecture,
                    language=caption_form.cleaned_data["language"],
                    upload=caption_form.cleaned_data["file"],
                )
                messages.success(
                    request,
                    _("Captions saved (%(count)d lines).") % {"count": caption.cue_count},
                )
                return redirect(request.path + "#captions")
        elif action == "handout":
            attachment_form = AttachmentForm(request.POST, request.FILES, prefix="handout")
            if attachment_form.is_valid():
                services.attachment_add(
                    lecture=lecture,
                    title=attachment_form.cleaned_data["title"],
                    upload=attachment_form.cleaned_data["file"],
                )
                messages.success(request, _("Handout added."))
                return redirect(request.path + "#handouts")
    except AppError as exc:
        target = {
            "lecture": form,
            "chapter": chapter_form,
            "chapter_edit": chapter_edit_forms[edited.pk] if edited else form,
            "caption": caption_form,
            "handout": attachment_form,
        }.get(action or "lecture", form)
        add_app_error(target, exc)
    context = {
        "course": lecture.course,
        "lecture": lecture,
        "form": form,
        "chapter_form": chapter_form,
        "caption_form": caption_form,
        "attachment_form": attachment_form,
        "chapters": [(c, chapter_edit_forms[c.pk]) for c in chapters],
        "edited_chapter": edited.pk if edited else None,
        "captions": lecture.captions.all(),
        "attachments": lecture.attachments.all(),
        "video_panel": video_panel_context(request=request, lecture=lecture),
    }
    return render(request, "studio/lecture_edit.html", context)


@instructor_required
@require_POST
def chapter_delete(
    request: MemberRequest, course_pk: int, pk: int, chapter_pk: int
) -> HttpResponse:
    lecture = catalog_selectors.access_lecture_for_edit(
        request.user,
        course_pk=course_pk,
        pk=pk,
    )
    services.chapter_delete(
        chapter=get_object_or_404(LectureChapter, lecture=lecture, pk=chapter_pk)
    )
    return redirect(reverse("studio:lecture", args=[course_pk, pk]) + "#chapters")


@instructor_required
@require_GET
def caption_preview(
    request: MemberRequest, course_pk: int, pk: int, caption_pk: int
) -> HttpResponse:
    """The cues of a lecture's caption track as text, to check them before learners do."""
    lecture = catalog_selectors.access_lecture_for_edit(
        request.user,
        course_pk=course_pk,
        pk=pk,
    )
    caption = get_object_or_404(LectureCaption, lecture=lecture, pk=caption_pk)
    context = {
        "course": lecture.course,
        "lecture": lecture,
        "caption": caption,
        "cues": selectors.caption_cues(caption),
    }
    return render(request, "studio/caption_preview.html", context)


@instructor_required
@require_POST
def caption_delete(
    request: MemberRequest, course_pk: int, pk: int, caption_pk: int
) -> HttpResponse:
    lecture = catalog_selectors.access_lecture_for_edit(
        request.user,
        course_pk=course_pk,
        pk=pk,
    )
    caption = get_object_or_404(LectureCaption, lecture=lecture, pk=caption_pk)
    services.caption_delete(caption=caption)
    messages.success(
        request, _("%(language)s captions deleted.") % {"language": caption.get_language_display()}
    )
    return redirect(reverse("studio:lecture", args=[course_pk, pk]) + "#captions")


@instructor_required
@require_POST
def attachment_delete(
    request: MemberRequest, course_pk: int, pk: int, attachment_pk: int
) -> HttpResponse:
    lecture = catalog_selectors.access_lecture_for_edit(
        request.user,
        course_pk=course_pk,
        pk=pk,
    )
    services.attachment_delete(
        attachment=get_object_or_404(LectureAttachment, lecture=lecture, pk=attachment_pk)
    )
    return redirect(reverse("studio:lecture", args=[course_pk, pk]) + "#handouts")


@instructor_required
@require_POST
def course_submit(request: MemberRequest, pk: int) -> HttpResponse:
    course = catalog_selectors.access_course_for_edit(request.user, pk=pk)
    try:
        services.course_review_submit(course=course, by=request.user)
    except AppError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Submitted. Staff will review your course."))
    return redirect("studio:course", pk=course.pk)


@staff_required
def review_queue(request: MemberRequest) -> HttpResponse:
    entries = selectors.review_queue_entries()
    return render(request, "studio/review_queue.html", {"entries": entries})


@staff_required
@require_POST
def review_decide(request: MemberRequest, pk: int) -> HttpResponse:
    course = catalog_selectors.access_course_for_edit(request.user, pk=pk)
    form = ReviewDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or send back."))
        return redirect("studio:review_queue")
    data = form.cleaned_data
    try:
        if data["decision"] == "approve":
            services.course_review_approve(
                course=course,
                reviewer=request.user,
                publish_at=data["publish_at"] or None,
                comment=data["comment"],
            )
            messages.success(request, _("“%(course)s” approved.") % {"course": course.title})
        else:
            services.course_review_send_back(
                course=course,
                reviewer=request.user,
                comment=data["comment"],
            )
            messages.success(request, _("Sent back to the instructor."))
    except AppError as exc:
        messages.error(request, f"{course.title}: {exc.message}")
    return redirect("studio:review_queue")


@require_GET
@login_required
def handout_download(request: MemberRequest, attachment_id: int) -> HttpResponseBase:
    """A lecture's handout, for those who may watch the lecture, always as a download of the
    type its content was found to be (lms/studio/handouts.py)."""
    attachment = selectors.access_attachment(request.user, attachment_id=attachment_id)
    found = handouts.BY_KIND.get(attachment.kind)
    if found is None:  # stored before types were detected and not yet fixed: never served
        raise Http404
    return stored_file_response(
        name=attachment.file.name,
        content_type=found.content_type,
        download_name=handouts.download_name(attachment.title, found),
    )
