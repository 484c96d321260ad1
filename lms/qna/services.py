"""Writes of questions and answers. Views find the objects with `selectors.access_*` first:
every service here takes a lecture, question or answer the acting member may see."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.accounts.models import User
from lms.catalog.models import Lecture
from lms.catalog.selectors import can_edit_course
from lms.community.models import NotificationKind
from lms.community.notifications import notify
from lms.core.errors import AppError, PermissionDenied

from .limits import post_allowance_take
from .models import Answer, Post, Question, Revision

HIDE_REASON_MAX_LENGTH = 300


def _clean_body(body: str) -> str:
    text = body.strip()
    if not text:
        raise AppError(_("Write something first."), code="body_required", extra={"field": "body"})
    return text


def lecture_url(lecture: Lecture, anchor: str = "questions") -> str:
    """The lecture page, at its questions or at one post."""
    page = reverse("catalog:lecture_detail", args=[lecture.course.slug, lecture.position])
    return f"{page}#{anchor}"


def question_url(question: Question) -> str:
    return lecture_url(question.lecture, f"question-{question.pk}")


@transaction.atomic
def question_ask(
    *, member: User, lecture: Lecture, body: str, at_seconds: int | None = None
) -> Question:
    """Ask on `lecture`, optionally about a moment of its video (not past its end when the
    video's length is known). Counts against the member's posting limits (`limits.py`)."""
    text = _clean_body(body)
    duration = lecture.duration_seconds
    if at_seconds is not None and duration and at_seconds > duration:
        raise AppError(
            _("That moment is past the end of the video."),
            code="moment_out_of_range",
            extra={"field": "at"},
        )
    question = Question(lecture=lecture, author=member, body=text, at_seconds=at_seconds)
    question.full_clean()
    post_allowance_take(member=member)
    question.save()
    return question


@transaction.atomic
def answer_post(*, member: User, question: Question, body: str) -> Answer:
    """Answer `question` (not a hidden one). The asker is told, unless they answered
    themselves; an answer by the course's instructor makes the question answered."""
    if question.is_hidden:
        raise AppError(_("A hidden question cannot be answered."), code="question_hidden")
    text = _clean_body(body)
    answer = Answer(
        question=question,
        author=member,
        body=text,
        by_course_editor=can_edit_course(member, question.lecture.course),
    )
    answer.full_clean()
    post_allowance_take(member=member)
    answer.save()
    if question.author_id != member.pk:
        notify(
            member=question.author,
            kind=NotificationKind.ANSWER_POSTED,
            dedupe=f"answer_posted:{answer.pk}",
            url=question_url(question),
            params={
                "lecture": question.lecture.title,
                "author": str(member.public_name),
            },
        )
    return answer


def _post_edit(*, member: User, post: Post, body: str) -> None:
    if post.author_id != member.pk:
        raise PermissionDenied(_("Only the author can edit this."), code="not_author")
    if post.is_hidden:
        raise AppError(_("A hidden post cannot be edited."), code="post_hidden")
    text = _clean_body(body)
    if text == post.body:
        return
    previous = post.body
    post.body = text
    post.edited_at = timezone.now()
    post.full_clean()
    if isinstance(post, Question):
        Revision.objects.create(question=post, body=previous)
    elif isinstance(post, Answer):
        Revision.objects.create(answer=post, body=previous)
    post.save(update_fields=["body", "edited_at", "updated_at"])


@transaction.atomic
def question_edit(*, member: User, question: Question, body: str) -> Question:
    """The asker rewrites their question; the previous text is kept as a `Revision`."""
    question = Question.objects.select_for_update().get(pk=question.pk)
    _post_edit(member=member, post=question, body=body)
    return question


@transaction.atomic
def answer_edit(*, member: User, answer: Answer, body: str) -> Answer:
    """The author rewrites their answer; the previous text is kept as a `Revision`."""
    answer = Answer.objects.select_for_update().get(pk=answer.pk)
    _post_edit(member=member, post=answer, body=body)
    return answer


@transaction.atomic
def answer_accept(*, member: User, answer: Answer) -> Question:
    """The asker marks `answer` as the one that helped, replacing an earlier choice. Not
    their own answer, and not a hidden one."""
    question = Question.objects.select_for_update().get(pk=answer.question_id)
    if question.author_id != member.pk:
        raise PermissionDenied(
            _("Only the member who asked can choose the answer that helped."), code="not_asker"
        )
    if answer.author_id == member.pk:
        raise AppError(_("You cannot choose your own answer."), code="own_answer")
    if answer.is_hidden or question.is_hidden:
        raise AppError(_("A hidden post cannot be chosen."), code="post_hidden")
    question.accepted_answer = answer
    question.save(update_fields=["accepted_answer", "updated_at"])
    return question


def _lock(post: Post) -> Post:
    model = type(post)
    return model.objects.select_for_update().get(pk=post.pk)  # type: ignore[attr-defined, no-any-return]


@transaction.atomic
def post_hide(*, staff: User, post: Post, reason: str) -> Post:
    """Staff hide a question or an answer, saying why; others then see the reason, not the
    text. Hiding again keeps the first hiding."""
    if not staff.is_staff:
        raise PermissionDenied(_("Only staff can hide posts."), code="not_staff")
    reason = reason.strip()
    if not reason:
        raise AppError(
            _("Give a reason for hiding."), code="reason_required", extra={"field": "reason"}
        )
    post = _lock(post)
    if post.is_hidden:
        return post
    post.hidden_at = timezone.now()
    post.hidden_by = staff
    post.hidden_reason = reason[:HIDE_REASON_MAX_LENGTH]
    post.save(update_fields=["hidden_at", "hidden_by", "hidden_reason", "updated_at"])
    return post


@transaction.atomic
def post_unhide(*, staff: User, post: Post) -> Post:
    """Staff show a hidden post again."""
    if not staff.is_staff:
        raise PermissionDenied(_("Only staff can hide posts."), code="not_staff")
    post = _lock(post)
    post.hidden_at = None
    post.hidden_by = None
    post.hidden_reason = ""
    post.save(update_fields=["hidden_at", "hidden_by", "hidden_reason", "updated_at"])
    return post
