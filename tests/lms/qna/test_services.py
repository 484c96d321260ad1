"""Asking, answering, choosing the answer that helped, editing and hiding: the services' rules."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from lms.community.models import Notification
from lms.core.errors import AppError, PermissionDenied
from lms.qna import services
from lms.qna.models import Answer, Question, Revision
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_member_asks_at_a_moment_of_the_lecture(lecture, asker):
    question = services.question_ask(
        member=asker, lecture=lecture, body="  이 부분이 궁금합니다.  ", at_seconds=754
    )
    question.refresh_from_db()
    assert question.body == "이 부분이 궁금합니다."
    assert question.at_seconds == 754
    assert question.lecture == lecture


def test_an_empty_question_is_refused(lecture, asker):
    with pytest.raises(AppError) as error:
        services.question_ask(member=asker, lecture=lecture, body=" \n ")
    assert error.value.code == "body_required"
    assert not Question.objects.exists()


def test_a_moment_past_the_end_of_the_video_is_refused(lecture, asker):
    with pytest.raises(AppError) as error:
        services.question_ask(member=asker, lecture=lecture, body="질문", at_seconds=901)
    assert error.value.code == "moment_out_of_range"


def test_a_question_longer_than_the_limit_is_refused(lecture, asker):
    with pytest.raises(ValidationError):
        services.question_ask(member=asker, lecture=lecture, body="가" * 5001)


def test_an_answer_tells_the_asker_once_in_site_and_by_email(
    question, asker, django_capture_on_commit_callbacks, eager_tasks
):
    other = UserFactory(display_name="도움주는회원")
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.answer_post(member=other, question=question, body="기준표를 보세요.")
    (note,) = Notification.objects.filter(member=asker)
    assert note.kind == "answer_posted"
    assert note.title == "내 질문에 답변이 달렸습니다: 모니터링의 이해"
    assert note.body == "도움주는회원 님이 ‘모니터링의 이해’에 올린 질문에 답변했습니다."
    assert note.url == f"/courses/cs-quality/lectures/1/#question-{question.pk}"
    assert note.dedupe_key == f"answer_posted:{answer.pk}"
    (message,) = mail.outbox
    assert message.to == [asker.email]


def test_answering_your_own_question_tells_nobody(question, asker):
    services.answer_post(member=asker, question=question, body="스스로 찾았습니다.")
    assert not Notification.objects.exists()


def test_each_answer_is_its_own_notification(question, asker):
    other = UserFactory()
    services.answer_post(member=other, question=question, body="첫 답변")
    services.answer_post(member=other, question=question, body="덧붙이는 답변")
    assert Notification.objects.filter(member=asker, kind="answer_posted").count() == 2


def test_many_answers_in_an_hour_email_the_asker_a_bounded_number_of_times(
    question, asker, settings, django_capture_on_commit_callbacks, eager_tasks
):
    settings.NOTIFICATION_PER_SOURCE_HOURLY = 3
    for n in range(6):
        with django_capture_on_commit_callbacks(execute=True):
            services.answer_post(member=UserFactory(), question=question, body=f"답변 {n}")
    assert Notification.objects.filter(member=asker, kind="answer_posted").count() == 6
    assert len(mail.outbox) == 3


def test_an_answer_by_the_course_instructor_is_marked_as_such(question, teacher):
    answer = services.answer_post(member=teacher, question=question, body="강사 답변")
    assert answer.by_course_editor is True
    member_answer = services.answer_post(member=UserFactory(), question=question, body="회원")
    assert member_answer.by_course_editor is False


def test_a_hidden_question_cannot_be_answered(question, staff):
    services.post_hide(staff=staff, post=question, reason="광고")
    question.refresh_from_db()
    with pytest.raises(AppError) as error:
        services.answer_post(member=UserFactory(), question=question, body="답")
    assert error.value.code == "question_hidden"


def test_the_asker_marks_an_answer_and_can_change_it(question, asker, teacher):
    first = services.answer_post(member=teacher, question=question, body="첫째")
    second = services.answer_post(member=UserFactory(), question=question, body="둘째")
    services.answer_accept(member=asker, answer=first)
    services.answer_accept(member=asker, answer=second)
    question.refresh_from_db()
    assert question.accepted_answer == second


def test_only_the_asker_can_mark_the_answer_that_helped(question, teacher):
    answer = services.answer_post(member=teacher, question=question, body="답")
    with pytest.raises(PermissionDenied):
        services.answer_accept(member=teacher, answer=answer)
    question.refresh_from_db()
    assert question.accepted_answer is None


def test_the_asker_cannot_mark_their_own_answer(question, asker):
    answer = services.answer_post(member=asker, question=question, body="제가 찾은 답")
    with pytest.raises(AppError) as error:
        services.answer_accept(member=asker, answer=answer)
    assert error.value.code == "own_answer"


def test_a_hidden_answer_cannot_be_marked(question, asker, staff):
    answer = services.answer_post(member=UserFactory(), question=question, body="광고")
    services.post_hide(staff=staff, post=answer, reason="광고성 글")
    answer.refresh_from_db()
    with pytest.raises(AppError) as error:
        services.answer_accept(member=asker, answer=answer)
    assert error.value.code == "post_hidden"


def test_an_edit_keeps_the_previous_text_and_records_when(question, asker):
    services.question_edit(member=asker, question=question, body="고친 질문")
    question.refresh_from_db()
    assert question.body == "고친 질문"
    assert question.edited_at is not None
    (revision,) = Revision.objects.filter(question=question)
    assert revision.body == "녹취 평가 기준이 궁금합니다."


def test_an_unchanged_edit_records_nothing(question, asker):
    services.question_edit(member=asker, question=question, body=question.body)
    question.refresh_from_db()
    assert question.edited_at is None
    assert not Revision.objects.exists()


def test_only_the_author_can_edit(question, teacher):
    answer = services.answer_post(member=teacher, question=question, body="답")
    with pytest.raises(PermissionDenied):
        services.question_edit(member=teacher, question=question, body="남의 질문 고치기")
    with pytest.raises(PermissionDenied):
        services.answer_edit(member=question.author, answer=answer, body="남의 답 고치기")
    services.answer_edit(member=teacher, answer=answer, body="고친 답")
    answer.refresh_from_db()
    assert answer.body == "고친 답"
    assert Revision.objects.get(answer=answer).body == "답"


def test_staff_hide_a_post_with_a_reason(question, staff):
    services.post_hide(staff=staff, post=question, reason="  개인정보 노출  ")
    question.refresh_from_db()
    assert question.is_hidden
    assert question.hidden_by == staff
    assert question.hidden_reason == "개인정보 노출"
    assert question.body == "녹취 평가 기준이 궁금합니다."  # kept for the staff


def test_hiding_needs_a_reason_and_staff(question, staff, teacher):
    with pytest.raises(AppError) as error:
        services.post_hide(staff=staff, post=question, reason=" ")
    assert error.value.code == "reason_required"
    with pytest.raises(PermissionDenied):
        services.post_hide(staff=teacher, post=question, reason="강사는 숨길 수 없음")
    question.refresh_from_db()
    assert not question.is_hidden


def test_a_hidden_post_cannot_be_edited_and_shows_again_when_unhidden(question, asker, staff):
    services.post_hide(staff=staff, post=question, reason="욕설")
    question.refresh_from_db()
    with pytest.raises(AppError):
        services.question_edit(member=asker, question=question, body="다시 씀")
    services.post_unhide(staff=staff, post=question)
    question.refresh_from_db()
    assert not question.is_hidden
    assert question.hidden_reason == ""


def test_answers_keep_their_order(question, teacher):
    services.answer_post(member=teacher, question=question, body="하나")
    services.answer_post(member=teacher, question=question, body="둘")
    assert list(Answer.objects.filter(question=question).values_list("body", flat=True)) == [
        "하나",
        "둘",
    ]
