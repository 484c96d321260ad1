"""The questions section of the lecture page, its forms, the course page's count, the studio's
list and the notification preferences, through Django's test client."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from lms.catalog.models import Status
from lms.community.models import Notification
from lms.qna import services
from lms.qna.models import Question, Revision
from tests.factories import LectureFactory, UserFactory

pytestmark = pytest.mark.django_db

PAGE = "/courses/cs-quality/lectures/1/"


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_member_asks_at_a_moment_and_returns_to_the_question(lecture, asker):
    client = login(asker)
    response = client.post(
        f"/qna/lectures/{lecture.pk}/questions/", {"body": "12:34 부분 질문", "at": "2:05"}
    )
    question = Question.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{PAGE}#question-{question.pk}"
    assert question.at_seconds == 125
    page = client.get(PAGE).content.decode()
    assert "질문을 올렸습니다." in page
    assert f'id="question-{question.pk}"' in page
    assert 'data-seek="125">2:05</button>' in page
    assert 'data-seek="754">12:34</button> 부분 질문' in page


def test_a_wrongly_written_moment_is_refused_with_a_message(lecture, asker):
    client = login(asker)
    response = client.post(
        f"/qna/lectures/{lecture.pk}/questions/", {"body": "질문", "at": "열두시"}, follow=True
    )
    assert "시점은 12:34처럼 적어 주세요." in response.content.decode()
    assert not Question.objects.exists()


def test_asking_on_a_lecture_the_member_cannot_see_is_a_404(course, asker):
    draft = LectureFactory(course=course, position=2, status=Status.DRAFT)
    response = login(asker).post(f"/qna/lectures/{draft.pk}/questions/", {"body": "몰래 질문"})
    assert response.status_code == 404
    assert not Question.objects.exists()


def test_visitors_are_sent_to_sign_in(client, lecture):
    response = client.post(f"/qna/lectures/{lecture.pk}/questions/", {"body": "질문"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Question.objects.exists()


def test_script_in_a_post_shows_as_text_on_the_page(lecture, asker):
    services.question_ask(
        member=asker, lecture=lecture, body="<script>alert(1)</script>\n두 번째 줄"
    )
    page = login(asker).get(PAGE).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>\n두 번째 줄" in page


def test_the_instructor_answers_and_the_asker_is_told(question, teacher, asker):
    response = login(teacher).post(
        f"/qna/questions/{question.pk}/answers/", {"body": "평가표 3번 항목을 보세요."}
    )
    answer = question.answers.get()
    assert response["Location"] == f"{PAGE}#answer-{answer.pk}"
    page = login(asker).get(PAGE).content.decode()
    assert "평가표 3번 항목을 보세요." in page
    assert "답변 완료" in page
    assert '<span class="unread-count"' in page
    assert Notification.objects.get(member=asker).kind == "answer_posted"


def test_the_asker_marks_the_answer_that_helped(question, asker):
    answer = services.answer_post(member=UserFactory(), question=question, body="도움 답변")
    client = login(asker)
    assert "도움이 된 답변으로 표시" in client.get(PAGE).content.decode()
    client.post(f"/qna/answers/{answer.pk}/accept/")
    question.refresh_from_db()
    assert question.accepted_answer == answer
    page = client.get(PAGE).content.decode()
    assert "도움이 된 답변으로 표시했습니다." in page
    assert '<span class="badge accepted-badge">도움이 된 답변</span>' in page


def test_another_member_cannot_mark_the_answer(question):
    answer = services.answer_post(member=UserFactory(), question=question, body="답")
    other = UserFactory()
    assert "도움이 된 답변으로 표시" not in login(other).get(PAGE).content.decode()
    login(other).post(f"/qna/answers/{answer.pk}/accept/")
    question.refresh_from_db()
    assert question.accepted_answer is None


def test_an_edit_shows_edited_with_the_time_in_korean_order(question, asker):
    client = login(asker)
    # The coming Thursday, 19:30 in Seoul: after the fixtures published the lecture (now), and
    # while the member's session lasts.
    today = timezone.localdate()
    thursday = today + timedelta(days=(3 - today.weekday()) % 7 or 7)
    edited = datetime(
        thursday.year, thursday.month, thursday.day, 19, 30, tzinfo=ZoneInfo("Asia/Seoul")
    )
    with time_machine.travel(edited):
        client.post(f"/qna/questions/{question.pk}/edit/", {"body": "고친 질문"})
    page = client.get(PAGE).content.decode()
    assert "고친 질문" in page
    assert f"수정됨 {thursday.month}월 {thursday.day}일 (목) 오후 7:30" in page
    assert Revision.objects.get(question=question).body == "녹취 평가 기준이 궁금합니다."


def test_another_member_cannot_edit_a_question(question):
    login(UserFactory()).post(f"/qna/questions/{question.pk}/edit/", {"body": "남의 글"})
    question.refresh_from_db()
    assert question.body == "녹취 평가 기준이 궁금합니다."


def test_a_hidden_post_shows_the_reason_to_members_and_the_text_to_staff(question, staff):
    staff_client = login(staff)
    staff_client.post(f"/qna/questions/{question.pk}/hide/", {"reason": "개인정보 노출"})
    member_page = login(UserFactory()).get(PAGE).content.decode()
    assert "운영자가 숨긴 글입니다 (사유: 개인정보 노출)" in member_page
    assert "녹취 평가 기준이 궁금합니다." not in member_page
    staff_page = staff_client.get(PAGE).content.decode()
    assert "녹취 평가 기준이 궁금합니다." in staff_page


def test_a_member_cannot_hide_a_post(question):
    login(UserFactory()).post(f"/qna/questions/{question.pk}/hide/", {"reason": "싫어서"})
    question.refresh_from_db()
    assert not question.is_hidden


def test_the_posting_limit_answers_429_in_korean_and_keeps_the_text(lecture, asker, settings):
    settings.QNA_POST_LIMITS = [(600, 2), (86_400, 50)]
    client = login(asker)
    url = f"/qna/lectures/{lecture.pk}/questions/"
    with time_machine.travel(timezone.now().replace(minute=0, second=1), tick=False):
        for n in range(2):
            assert client.post(url, {"body": f"질문 {n}"}).status_code == 302
        response = client.post(url, {"body": "세 번째 질문 내용"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    page = response.content.decode()
    assert "짧은 시간에 글을 2번 올리셨습니다." in page
    assert "세 번째 질문 내용" in page
    assert Question.objects.count() == 2


def test_the_lecture_page_lists_questions_in_a_bounded_number_of_queries(
    lecture, asker, teacher, django_assert_max_num_queries
):
    for n in range(5):
        q = services.question_ask(member=UserFactory(), lecture=lecture, body=f"질문 {n}")
        services.answer_post(member=teacher, question=q, body="강사 답")
    client = login(asker)
    with django_assert_max_num_queries(22):
        page = client.get(PAGE).content.decode()
    assert page.count('class="question answered"') == 5


def test_the_course_page_shows_the_number_of_answered_questions(question, teacher, client):
    services.answer_post(member=teacher, question=question, body="답")
    page = client.get("/courses/cs-quality/").content.decode()
    assert "답변된 질문 1개" in page


def test_the_studio_lists_questions_awaiting_an_answer_linked_from_its_home(
    question, teacher, django_assert_max_num_queries
):
    client = login(teacher)
    assert 'href="/studio/questions/"' in client.get("/studio/").content.decode()
    with django_assert_max_num_queries(8):
        page = client.get("/studio/questions/").content.decode()
    assert "답변을 기다리는 질문" in page
    assert f"{PAGE}#question-{question.pk}" in page
    services.answer_post(member=teacher, question=question, body="답")
    assert f"#question-{question.pk}" not in client.get("/studio/questions/").content.decode()


def test_members_cannot_open_the_studio_list(asker):
    assert login(asker).get("/studio/questions/").status_code == 403


def test_the_preferences_page_lists_the_new_kinds(asker):
    page = login(asker).get("/my/notifications/").content.decode()
    for label in ("내 질문에 달린 답변", "내 강좌 승인", "내 강좌 보완 요청"):
        assert label in page


def test_an_answer_is_edited_by_its_author_and_hidden_by_staff_from_the_page(
    question, teacher, staff
):
    answer = services.answer_post(member=teacher, question=question, body="첫 답변")
    login(teacher).post(f"/qna/answers/{answer.pk}/edit/", {"body": "고친 답변"})
    login(UserFactory()).post(f"/qna/answers/{answer.pk}/edit/", {"body": "남이 고침"})
    answer.refresh_from_db()
    assert answer.body == "고친 답변"
    assert Revision.objects.get(answer=answer).body == "첫 답변"
    login(staff).post(f"/qna/answers/{answer.pk}/hide/", {"reason": "잘못된 안내"})
    page = login(UserFactory()).get(PAGE).content.decode()
    assert "운영자가 숨긴 글입니다 (사유: 잘못된 안내)" in page
    assert "고친 답변" not in page


def test_answering_a_question_on_a_lecture_the_member_cannot_see_is_a_404(course, teacher):
    draft = LectureFactory(course=course, position=2, status=Status.DRAFT)
    question = services.question_ask(member=teacher, lecture=draft, body="미리 보기 질문")
    other = login(UserFactory())
    assert other.post(f"/qna/questions/{question.pk}/answers/", {"body": "답"}).status_code == 404
    assert other.post(f"/qna/questions/{question.pk}/edit/", {"body": "x"}).status_code == 404
    assert not question.answers.exists()


def test_the_forms_take_only_posts(question, asker):
    assert login(asker).get(f"/qna/questions/{question.pk}/answers/").status_code == 405


@pytest.mark.parametrize(
    "route",
    [
        "/qna/lectures/{}/questions/",
        "/qna/questions/{}/answers/",
        "/qna/questions/{}/edit/",
        "/qna/questions/{}/hide/",
        "/qna/answers/{}/edit/",
        "/qna/answers/{}/accept/",
        "/qna/answers/{}/hide/",
    ],
)
@pytest.mark.parametrize("number", ["99999999999999999999", str(2**63 - 1), "0"])
def test_unknown_and_out_of_range_ids_are_404s(staff, route, number):
    client = Client(raise_request_exception=True)
    client.force_login(staff)
    response = client.post(route.format(number), {"body": "답", "reason": "사유"})
    assert response.status_code == 404
