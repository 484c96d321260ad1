"""Reads of questions and answers. `access_*` look-ups also authorise: what a member may not
see is a 404 (NotFound).

Who may read and post: whoever may watch the lecture (`lms.learning.selectors.access_lecture`:
a visible lecture of a visible course, or a draft for the course's editors). Who counts as the
course's instructor: `lms.catalog.selectors.can_edit_course`.

A question is *answered* when it is not hidden and has an unhidden answer written by an
instructor of the course (`Answer.by_course_editor`, decided when the answer was posted), or
when its asker marked an unhidden answer as the one that helped. `answered_q()` is that rule,
and the only place it is written.
"""

from dataclasses import dataclass, field

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)
from django.utils.translation import gettext as _

from lms.accounts.models import User
from lms.catalog.models import Course, Lecture, visible_q
from lms.catalog.selectors import course_list_editable
from lms.core.errors import NotFound
from lms.learning.selectors import access_lecture

from .models import Answer, Question

AWAITING_LIST_LIMIT = 200


def answered_q() -> Q:
    """Questions that count as answered (the rule in the module's docstring)."""
    by_instructor = Answer.objects.filter(
        question=OuterRef("pk"), by_course_editor=True, hidden_at__isnull=True
    )
    return Q(hidden_at__isnull=True) & (
        Q(accepted_answer__isnull=False, accepted_answer__hidden_at__isnull=True)
        | Q(Exists(by_instructor))
    )


def _question_not_found(question_id: int) -> NotFound:
    return NotFound(
        _("Question %(id)s does not exist.") % {"id": question_id},
        code="question_not_found",
        extra={"question": question_id},
    )


def access_question(user: User, *, question_id: int) -> Question:
    """A question on a lecture `user` may watch, with its lecture and course."""
    question = (
        Question.objects.select_related("lecture__course", "author").filter(pk=question_id).first()
    )
    if question is None:
        raise _question_not_found(question_id)
    try:
        access_lecture(user, lecture_id=question.lecture_id)
    except NotFound as exc:
        raise _question_not_found(question_id) from exc
    return question


def access_answer(user: User, *, answer_id: int) -> Answer:
    """An answer to a question on a lecture `user` may watch."""
    answer = (
        Answer.objects.select_related("question__lecture__course", "question__author", "author")
        .filter(pk=answer_id)
        .first()
    )
    not_found = NotFound(
        _("Answer %(id)s does not exist.") % {"id": answer_id},
        code="answer_not_found",
        extra={"answer": answer_id},
    )
    if answer is None:
        raise not_found
    try:
        access_lecture(user, lecture_id=answer.question.lecture_id)
    except NotFound as exc:
        raise not_found from exc
    return answer


@dataclass
class LectureQna:
    """What the lecture page's questions section shows."""

    lecture: Lecture
    questions: list[Question] = field(default_factory=list)
    can_hide: bool = False


def question_list_for_lecture(*, lecture: Lecture) -> QuerySet[Question]:
    """The lecture's questions, newest first, with their answers in order (three queries)."""
    answers = Answer.objects.select_related("author", "hidden_by").order_by("created_at", "pk")
    return (
        Question.objects.filter(lecture=lecture)
        .select_related("author", "hidden_by")
        .prefetch_related(Prefetch("answers", queryset=answers))
        .annotate(answered=ExpressionWrapper(answered_q(), BooleanField()))
        .order_by("-created_at", "-pk")
    )


def lecture_qna(*, user: User, lecture: Lecture) -> LectureQna:
    """The questions section of a lecture `user` was found to be allowed to watch."""
    return LectureQna(
        lecture=lecture,
        questions=list(question_list_for_lecture(lecture=lecture)),
        can_hide=user.is_staff,
    )


def course_answered_question_count(*, course: Course) -> int:
    """Answered questions on the course's visible lectures, in one query."""
    return Question.objects.filter(
        answered_q(), visible_q("lecture__"), lecture__course=course
    ).count()


def question_list_awaiting_answer(*, user: User) -> list[Question]:
    """Unhidden, unanswered questions in the courses `user` edits (every course for staff),
    oldest first: the longest waiting comes first."""
    return list(
        Question.objects.filter(
            hidden_at__isnull=True,
            lecture__course__in=course_list_editable(user).values("pk"),
        )
        .exclude(answered_q())
        .select_related("author", "lecture__course")
        .order_by("created_at", "pk")[:AWAITING_LIST_LIMIT]
    )
