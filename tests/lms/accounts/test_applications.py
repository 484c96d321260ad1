import pytest
from django.core import mail

from lms.accounts import services
from lms.accounts.models import InstructorApplication, User
from lms.core.errors import AppError
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FORM = {
    "proposed_topic": "콜센터 QA 실무",
    "years_in_field": "12",
    "experience": "보험사 콜센터 QA 팀장 12년",
    "sample_link": "https://example.com/sample",
}


def test_member_applies_and_sees_the_application_waiting(member_client, member):
    response = member_client.post("/teach/apply/", FORM, follow=True)

    application = InstructorApplication.objects.get(applicant=member)
    assert application.status == "pending"
    assert "콜센터 QA 실무" in response.content.decode()
    assert "검토" in response.content.decode()


def test_a_second_pending_application_is_refused(member_client, member):
    member_client.post("/teach/apply/", FORM)
    response = member_client.post("/teach/apply/", FORM)

    assert response.status_code == 200
    assert "이미" in response.content.decode()
    assert InstructorApplication.objects.filter(applicant=member).count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("years_in_field", "-3"),
        ("years_in_field", "500"),
        ("sample_link", "javascript:alert(1)"),
        ("proposed_topic", ""),
    ],
)
def test_invalid_applications_are_refused_field_by_field(member_client, member, field, value):
    response = member_client.post("/teach/apply/", {**FORM, field: value})
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert not InstructorApplication.objects.exists()


def test_staff_approve_grants_the_role_and_mails_the_member(
    staff_client, member, django_capture_on_commit_callbacks
):
    application = services.instructor_application_submit(
        applicant=member, experience="경력", years_in_field=10, proposed_topic="코칭"
    )

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            f"/staff/applications/{application.pk}/decide/",
            {"decision": "approve", "message": "환영합니다"},
        )

    member.refresh_from_db()
    assert member.is_instructor
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [member.email]
    assert "환영합니다" in mail.outbox[0].body


def test_member_sees_the_decision_on_the_site(client, member):
    application = services.instructor_application_submit(
        applicant=member, experience="경력", years_in_field=10, proposed_topic="코칭"
    )
    services.instructor_application_decline(
        application=application,
        decided_by=UserFactory(is_staff=True),
        message="샘플 영상을 보내주세요",
    )
    client.force_login(member)
    page = client.get("/teach/").content.decode()
    assert "샘플 영상을 보내주세요" in page
    assert "/teach/apply/" in page  # may apply again


def test_decline_needs_a_message_and_changes_nothing_without_one(member):
    application = services.instructor_application_submit(
        applicant=member, experience="경력", years_in_field=10, proposed_topic="코칭"
    )
    with pytest.raises(AppError) as error:
        services.instructor_application_decline(
            application=application, decided_by=UserFactory(is_staff=True), message=" "
        )
    assert error.value.code == "message_required"
    assert InstructorApplication.objects.get(pk=application.pk).status == "pending"


def test_an_application_is_decided_only_once(member):
    application = services.instructor_application_submit(
        applicant=member, experience="경력", years_in_field=10, proposed_topic="코칭"
    )
    staff = UserFactory(is_staff=True)
    services.instructor_application_approve(application=application, decided_by=staff)
    with pytest.raises(AppError) as error:
        services.instructor_application_decline(
            application=application, decided_by=staff, message="취소"
        )
    assert error.value.code == "application_already_decided"
    assert User.objects.get(pk=member.pk).is_instructor


def test_members_and_instructors_cannot_open_the_application_queue(client, member, instructor):
    for user in (member, instructor):
        client.force_login(user)
        assert client.get("/staff/applications/").status_code == 403
        assert (
            client.post("/staff/applications/1/decide/", {"decision": "approve"}).status_code == 403
        )


def test_application_queue_lists_pending_with_bounded_queries(
    staff_client, django_assert_max_num_queries
):
    for _ in range(10):
        services.instructor_application_submit(
            applicant=UserFactory(), experience="경력", years_in_field=5, proposed_topic="HR"
        )
    with django_assert_max_num_queries(6):
        response = staff_client.get("/staff/applications/")
    assert response.content.decode().count('class="panel application"') == 10
