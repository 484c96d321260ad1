"""Who may read questions, which count as answered, and the studio's waiting list."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lms.catalog.models import Status
from lms.core.errors import NotFound
from lms.qna import selectors, services
from lms.qna.models import Question
from tests.factories import CourseFactory, LectureFactory, UserFactory

pytestmark = pytest.mark.django_db


def answered(question: Question) -> bool:
    return Question.objects.filter(selectors.answered_q(), pk=question.pk).exists()


def test_a_question_without_answers_is_not_answered(question):
    assert not answered(question)


def test_a_member_answer_alone_does_not_answer_the_question(question):
    services.answer_post(member=UserFactory(), question=question, body="회원 답변")
    assert not answered(question)


def test_an_instructor_answer_answers_the_question(question, teacher):
    services.answer_post(member=teacher, question=question, body="강사 답변")
    assert answered(question)


def test_a_member_answer_the_asker_marked_answers_the_question(question, asker):
    answer = services.answer_post(member=UserFactory(), question=question, body="회원 답변")
    services.answer_accept(member=asker, answer=answer)
    assert answered(question)


def test_hidden_answers_and_hidden_questions_do_not_count(question, asker, teacher, staff):
    by_teacher = services.answer_post(member=teacher, question=question, body="강사 답변")
    services.post_hide(staff=staff, post=by_teacher, reason="잘못된 안내")
    assert not answered(question)
    accepted = services.answer_post(member=UserFactory(), question=question, body="회원 답변")
    services.answer_accept(member=asker, answer=accepted)
    assert answered(question)
    services.post_hide(staff=staff, post=question, reason="중복 질문")
    assert not answered(question)


def test_a_lecture_the_member_cannot_see_gives_no_question(lecture, asker, teacher):
    draft = LectureFactory(course=lecture.course, position=2, status=Status.DRAFT)
    hidden = services.question_ask(member=teacher, lecture=draft, body="미리 보기 질문")
    with pytest.raises(NotFound):
        selectors.access_question(asker, question_id=hidden.pk)
    assert selectors.access_question(teacher, question_id=hidden.pk) == hidden


def test_a_scheduled_course_hides_its_questions_and_answers(lecture, asker, question, teacher):
    answer = services.answer_post(member=teacher, question=question, body="답")
    lecture.course.publish_at = timezone.now() + timedelta(days=3)
    lecture.course.save(update_fields=["publish_at"])
    with pytest.raises(NotFound):
        selectors.access_question(asker, question_id=question.pk)
    with pytest.raises(NotFound):
        selectors.access_answer(asker, answer_id=answer.pk)


def test_the_course_count_is_one_query_over_its_visible_lectures(
    course, lecture, asker, teacher, django_assert_num_queries
):
    second = LectureFactory(course=course, position=2)
    draft = LectureFactory(course=course, position=3, status=Status.DRAFT)
    for target in (lecture, second, draft):
        q = services.question_ask(member=asker, lecture=target, body="질문")
        services.answer_post(member=teacher, question=q, body="답")
    services.question_ask(member=asker, lecture=lecture, body="답 없는 질문")
    other = services.question_ask(member=asker, lecture=LectureFactory(), body="다른 강좌")
    services.answer_post(member=teacher, question=other, body="다른 강좌 답")
    with django_assert_num_queries(1):
        assert selectors.course_answered_question_count(course=course) == 2


def test_the_studio_lists_unanswered_questions_of_the_instructor_courses_only(
    course, lecture, asker, teacher, staff
):
    waiting = services.question_ask(member=asker, lecture=lecture, body="기다리는 질문")
    done = services.question_ask(member=asker, lecture=lecture, body="답변된 질문")
    services.answer_post(member=teacher, question=done, body="답")
    hidden = services.question_ask(member=asker, lecture=lecture, body="숨긴 질문")
    services.post_hide(staff=staff, post=hidden, reason="광고")
    elsewhere = services.question_ask(
        member=asker, lecture=LectureFactory(course=CourseFactory()), body="남의 강좌"
    )
    assert selectors.question_list_awaiting_answer(user=teacher) == [waiting]
    assert selectors.question_list_awaiting_answer(user=staff) == [waiting, elsewhere]
    assert selectors.question_list_awaiting_answer(user=UserFactory(is_instructor=True)) == []


def test_the_lecture_list_reads_in_a_bounded_number_of_queries(
    lecture, asker, teacher, django_assert_max_num_queries
):
    for n in range(5):
        q = services.question_ask(member=UserFactory(), lecture=lecture, body=f"질문 {n}")
        services.answer_post(member=teacher, question=q, body="답")
        services.answer_post(member=UserFactory(), question=q, body="회원 답")
    with django_assert_max_num_queries(3):
        qna = selectors.lecture_qna(user=asker, lecture=lecture)
        assert len(qna.questions) == 5
        assert all(q.answered for q in qna.questions)
        assert sum(len(q.answers.all()) for q in qna.questions) == 10
        assert {a.author.public_name for q in qna.questions for a in q.answers.all()}
