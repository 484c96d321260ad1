import csv
import io

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from lms.certificates import services
from lms.certificates.models import Certificate
from lms.learning.models import CourseProgress
from tests.factories import UserFactory

from .conftest import complete_course

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:certificates_certificate_changelist")


@pytest.fixture
def register(short_course):
    members = [UserFactory(certificate_name=n) for n in ("홍길동", "=HYPERLINK(1)", "김상담")]
    for member in members:
        complete_course(member, short_course)
        services.certificates_issue_for(user=member)
    return list(Certificate.objects.order_by("serial"))


def test_staff_list_and_search_the_register(staff_client, register, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = staff_client.get(CHANGELIST)
    assert response.status_code == 200
    assert all(c.code in response.content.decode() for c in register)

    loose = register[2].code.lower().replace("-", "")
    html = staff_client.get(CHANGELIST, {"q": loose}).content.decode()
    assert register[2].code in html
    assert register[0].code not in html
    html = staff_client.get(CHANGELIST, {"q": "홍길동"}).content.decode()
    assert register[0].code in html
    assert register[2].code not in html


def test_members_cannot_see_the_register(member_client, register):
    assert member_client.get(CHANGELIST).status_code == 302


def test_the_register_exports_as_csv_with_a_bom(staff_client, register):
    response = staff_client.post(
        CHANGELIST,
        {"action": "export_csv", ACTION_CHECKBOX_NAME: [c.pk for c in register]},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 4
    assert rows[1][0] == "1"
    assert rows[1][1] == register[0].code
    assert rows[1][3] == "홍길동"
    assert rows[2][3] == "'=HYPERLINK(1)"  # not a formula in a spreadsheet


def test_staff_revoke_with_a_reason_through_the_admin(staff_client, register, staff):
    target = register[0]
    ask = staff_client.post(CHANGELIST, {"action": "revoke", ACTION_CHECKBOX_NAME: [target.pk]})
    assert ask.status_code == 200
    assert "reason" in ask.content.decode()

    staff_client.post(
        CHANGELIST,
        {"action": "revoke", ACTION_CHECKBOX_NAME: [target.pk], "reason": "부정 수강 확인"},
    )

    target.refresh_from_db()
    assert target.revoked_at is not None
    assert target.revoke_reason == "부정 수강 확인"
    assert target.revoked_by == staff
    assert Certificate.objects.count() == 3


def test_staff_invalidate_a_completion_through_the_admin(staff_client, register):
    target = register[1]
    staff_client.post(
        CHANGELIST,
        {
            "action": "invalidate_completion",
            ACTION_CHECKBOX_NAME: [target.pk],
            "reason": "진도 조작",
        },
    )
    target.refresh_from_db()
    assert target.revoked_at is not None
    assert CourseProgress.objects.get(user=target.user).completed_at is None


def test_certificates_cannot_be_deleted_or_edited_in_the_admin(staff_client, register):
    target = register[0]
    delete = staff_client.post(
        reverse("admin:certificates_certificate_delete", args=[target.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    staff_client.post(
        reverse("admin:certificates_certificate_change", args=[target.pk]), {"name": "변조"}
    )
    target.refresh_from_db()
    assert target.name == "홍길동"
    assert Certificate.objects.count() == 3
