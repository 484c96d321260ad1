"""Posting limits per member: questions and answers together, counted in the shared cache."""

import pytest
import time_machine
from django.utils import timezone

from lms.qna import services
from lms.qna.limits import TooManyPosts
from lms.qna.models import Question
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_eleventh_post_in_ten_minutes_is_refused_with_a_korean_message(lecture, asker):
    with time_machine.travel(timezone.now().replace(minute=0, second=1), tick=False):
        for n in range(10):
            services.question_ask(member=asker, lecture=lecture, body=f"질문 {n}")
        with pytest.raises(TooManyPosts) as error:
            services.question_ask(member=asker, lecture=lecture, body="열한 번째")
    assert error.value.code == "rate_limited"
    assert error.value.status_code == 429
    assert "잠시 후" in error.value.message
    assert Question.objects.count() == 10


def test_questions_and_answers_count_together(lecture, asker):
    with time_machine.travel(timezone.now().replace(minute=0, second=1), tick=False):
        question = services.question_ask(member=asker, lecture=lecture, body="질문")
        for n in range(8):
            services.answer_post(member=asker, question=question, body=f"답 {n}")
        services.question_ask(member=asker, lecture=lecture, body="마지막")
        with pytest.raises(TooManyPosts):
            services.answer_post(member=asker, question=question, body="넘침")


def test_the_limit_is_per_member(lecture, asker):
    with time_machine.travel(timezone.now().replace(minute=0, second=1), tick=False):
        for n in range(10):
            services.question_ask(member=asker, lecture=lecture, body=f"질문 {n}")
        services.question_ask(member=UserFactory(), lecture=lecture, body="다른 회원")


def test_the_window_passes_but_the_day_still_counts(lecture, asker):
    start = timezone.now().replace(hour=0, minute=0, second=1)
    for block in range(5):
        with time_machine.travel(start.replace(minute=block * 10 + 1), tick=False):
            for n in range(10):
                services.question_ask(member=asker, lecture=lecture, body=f"{block}-{n}")
    with time_machine.travel(start.replace(hour=1), tick=False), pytest.raises(TooManyPosts) as e:
        services.question_ask(member=asker, lecture=lecture, body="쉰한 번째")
    assert e.value.message == (
        "하루에 올릴 수 있는 글 50개를 모두 올리셨습니다. 약 23시간 뒤에 다시 올릴 수 있습니다."
    )
    assert Question.objects.count() == 50
