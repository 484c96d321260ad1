import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lms.accounts.models import User
from lms.certificates import services
from tests.factories import CourseFactory, UserFactory

from .conftest import complete_course

pytestmark = pytest.mark.django_db

PROFILE = {
    "display_name": "길동",
    "certificate_name": "홍길동",
    "bio": "콜센터 QA 8년차입니다.",
    "links": "https://example.com/portfolio\nhttps://blog.example.com",
    "public": "on",
}


def save_profile(client: Client, **changes):
    return client.post(reverse("certificates:profile_edit"), {**PROFILE, **changes})


def test_a_member_sets_a_profile_and_turns_the_public_page_on(member_client, member):
    response = save_profile(member_client)
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.certificate_name == "홍길동"
    assert member.profile_public
    assert member.profile_handle
    assert len(member.profile_handle) >= 12

    page = Client().get(reverse("certificates:profile_public", args=[member.profile_handle]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "길동" in html
    assert "콜센터 QA 8년차" in html
    assert "https://example.com/portfolio" in html
    assert member.email not in html


def test_the_public_profile_is_off_by_default_and_disappears_when_turned_off(member_client, member):
    assert User.objects.get(pk=member.pk).profile_public is False
    save_profile(member_client)
    member.refresh_from_db()
    url = reverse("certificates:profile_public", args=[member.profile_handle])
    assert Client().get(url).status_code == 200

    save_profile(member_client, public="")

    assert Client().get(url).status_code == 404
    assert (
        Client().get(reverse("certificates:profile_public", args=["nobody-here"])).status_code
        == 404
    )


def test_the_public_profile_shows_certificates_but_not_progress_in_progress(
    member_client, member, short_course
):
    save_profile(member_client)
    member.refresh_from_db()
    complete_course(member, short_course)
    [certificate] = services.certificates_issue_for(user=member)
    started = CourseFactory(title="진행 중인 과정")
    from lms.learning.models import CourseProgress

    CourseProgress.objects.create(user=member, course=started, percent=40, total_lectures=5)

    html = (
        Client()
        .get(reverse("certificates:profile_public", args=[member.profile_handle]))
        .content.decode()
    )

    assert reverse("certificates:verify", args=[certificate.code]) in html
    assert "QA관리사 기초" in html
    assert "진행 중인 과정" not in html


def test_a_revoked_certificate_leaves_the_public_profile(
    member_client, member, short_course, staff
):
    save_profile(member_client)
    member.refresh_from_db()
    complete_course(member, short_course)
    [certificate] = services.certificates_issue_for(user=member)
    services.certificate_revoke(certificate=certificate, by=staff, reason="x")
    html = (
        Client()
        .get(reverse("certificates:profile_public", args=[member.profile_handle]))
        .content.decode()
    )
    assert certificate.code not in html


def test_an_instructor_profile_lists_the_courses_they_teach(db):
    teacher = UserFactory(is_instructor=True, profile_public=True, profile_handle="teacher-abc")
    course = CourseFactory(title="상담 코칭")
    course.instructors.add(teacher)
    html = (
        Client().get(reverse("certificates:profile_public", args=["teacher-abc"])).content.decode()
    )
    assert "상담 코칭" in html


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("certificate_name", "<script>alert(1)</script>", "기호"),
        ("display_name", "가" * 200, "60자"),
        ("certificate_name", "가" * 61, "60자"),
        ("links", "javascript:alert(1)", "웹 주소"),
        ("links", "\n".join(f"https://e.com/{i}" for i in range(6)), "5개"),
        ("bio", "가" * 501, "500자"),
    ],
)
def test_bad_profile_input_is_refused_with_a_korean_message(
    member_client, member, field, value, message
):
    response = save_profile(member_client, **{field: value})
    assert response.status_code == 200
    assert message in response.content.decode()
    member.refresh_from_db()
    assert member.certificate_name == ""
    assert not member.profile_public


def test_a_name_changed_after_issue_does_not_change_the_certificate(
    member_client, member, short_course
):
    save_profile(member_client)
    member.refresh_from_db()
    complete_course(member, short_course)
    [certificate] = services.certificates_issue_for(user=member)
    save_profile(member_client, certificate_name="김철수")
    certificate.refresh_from_db()
    assert certificate.name == "홍길동"


def test_the_public_profile_lists_the_special_lectures_attended_and_no_other(db):
    from lms.community.models import Registration, RegistrationState
    from tests.factories import WeeklyLectureFactory

    member = UserFactory(profile_public=True, profile_handle="member-attended")
    attended = WeeklyLectureFactory(title="콜센터 코칭의 기술")
    missed = WeeklyLectureFactory(title="상담 품질 지표")
    for event, came in ((attended, True), (missed, False)):
        Registration.objects.create(
            event=event,
            member=member,
            state=RegistrationState.REGISTERED,
            queued_at=timezone.now(),
            attended=came,
        )

    html = (
        Client()
        .get(reverse("certificates:profile_public", args=["member-attended"]))
        .content.decode()
    )

    assert "참석한 특강" in html
    assert "콜센터 코칭의 기술" in html
    assert "상담 품질 지표" not in html
