"""Staff hide posts from the admin with a reason asked on a page of its own, through the service."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from lms.qna.models import Question

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/qna/question/"


def test_the_hide_action_asks_for_a_reason_first(question, staff_client):
    response = staff_client.post(
        CHANGELIST, {"action": "hide", ACTION_CHECKBOX_NAME: [question.pk]}
    )
    assert response.status_code == 200
    assert "회원에게는 이 글들의 내용 대신 사유가 보입니다" in response.content.decode()
    question.refresh_from_db()
    assert not question.is_hidden


def test_the_hide_action_hides_with_the_reason_and_show_again_undoes_it(
    question, staff, staff_client
):
    staff_client.post(
        CHANGELIST,
        {"action": "hide", "apply": "1", "reason": "광고", ACTION_CHECKBOX_NAME: [question.pk]},
    )
    question.refresh_from_db()
    assert question.hidden_reason == "광고"
    assert question.hidden_by == staff
    staff_client.post(CHANGELIST, {"action": "unhide", ACTION_CHECKBOX_NAME: [question.pk]})
    question.refresh_from_db()
    assert not question.is_hidden


def test_the_admin_does_not_edit_posts_directly(question, staff_client):
    page = staff_client.get(f"{CHANGELIST}{question.pk}/change/").content.decode()
    assert 'name="body"' not in page
    assert 'name="hidden_reason"' not in page
    assert staff_client.get(f"{CHANGELIST}add/").status_code == 403
    assert Question.objects.count() == 1
