import re

import pytest
from django.test import Client
from django.urls import reverse

from lms.certificates import services
from lms.certificates.formatting import date_long
from lms.certificates.models import Certificate
from tests.factories import UserFactory

from .conftest import complete_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(short_course, member):
    member.certificate_name = "홍길동"
    member.save()
    complete_course(member, short_course)
    [certificate] = services.certificates_issue_for(user=member)
    return certificate


def result_block(response) -> str:
    """The answer part of the verification page (the form below echoes what was typed)."""
    html = response.content.decode()
    match = re.search(r'<div class="verify-result.*?</div>', html, re.DOTALL)
    assert match, html
    return match.group(0)


def test_a_visitor_verifies_a_valid_certificate_by_its_link(client, issued, member):
    response = client.get(reverse("certificates:verify", args=[issued.code]))

    assert response.status_code == 200
    block = result_block(response)
    assert 'data-status="valid"' in block
    for expected in ("홍길동", "QA관리사 기초", "2026년" if "2026" in block else "년", "분"):
        assert expected in block
    html = response.content.decode()
    assert member.email not in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_code_may_be_typed_loosely_in_the_form(client, issued):
    loose = issued.code.lower().replace("-", " ")
    response = client.get(reverse("certificates:verify_form"), {"code": loose})
    assert response.status_code == 200
    assert 'data-status="valid"' in result_block(response)


def test_a_revoked_certificate_says_so_with_the_date(client, issued, staff):
    services.certificate_revoke(certificate=issued, by=staff, reason="부정 수강")

    response = client.get(reverse("certificates:verify", args=[issued.code]))

    block = result_block(response)
    assert 'data-status="revoked"' in block
    assert "년" in block
    assert "부정 수강" not in block


def test_unknown_and_malformed_codes_get_the_same_answer(client, issued):
    unknown = client.get(reverse("certificates:verify", args=["KCA-0000-0000-0000-0000"]))
    malformed = client.get("/c/%3Cscript%3Ealert(1)%3C%5Cscript%3E/")
    wrong_length = client.get(reverse("certificates:verify_form"), {"code": "KCA-12"})

    assert unknown.status_code == malformed.status_code == wrong_length.status_code == 404
    assert result_block(unknown) == result_block(malformed) == result_block(wrong_length)
    assert "<script>alert" not in malformed.content.decode()


def test_verification_is_one_query_plus_the_limit_counter(
    client, issued, django_assert_max_num_queries
):
    # The counter's add and incr are 7 statements and 4 savepoint commands on the database
    # cache (one command each on Redis); the certificate is one query.
    with django_assert_max_num_queries(12) as run:
        client.get(reverse("certificates:verify", args=[issued.code]))
    assert sum("certificates_certificate" in q["sql"] for q in run.captured_queries) == 1


def test_guessing_is_rate_limited_per_address(client, issued, settings):
    settings.CERTIFICATE_VERIFY_LIMIT = 5
    for i in range(5):
        assert (
            client.get(
                reverse("certificates:verify", args=[f"KCA-0000-0000-0000-000{i}"])
            ).status_code
            == 404
        )
    response = client.get(reverse("certificates:verify", args=[issued.code]))
    assert response.status_code == 429
    assert "Retry-After" in response
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.get(reverse("certificates:verify", args=[issued.code])).status_code == 200


def test_the_empty_form_counts_nothing(client, settings):
    settings.CERTIFICATE_VERIFY_LIMIT = 1
    for _ in range(3):
        assert client.get(reverse("certificates:verify_form")).status_code == 200


def test_the_member_downloads_their_pdf(member_client, issued):
    response = member_client.get(reverse("certificates:download", args=[issued.code]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert issued.code in response["Content-Disposition"]
    english = member_client.get(reverse("certificates:download", args=[issued.code]) + "?lang=en")
    assert english.status_code == 200


def test_another_member_cannot_download_it(issued):
    other = Client()
    other.force_login(UserFactory())
    assert other.get(reverse("certificates:download", args=[issued.code])).status_code == 404
    anonymous = Client().get(reverse("certificates:download", args=[issued.code]))
    assert anonymous.status_code == 302


def test_a_revoked_pdf_is_not_served(member_client, issued, staff):
    services.certificate_revoke(certificate=issued, by=staff, reason="부정 수강")
    response = member_client.get(reverse("certificates:download", args=[issued.code]))
    assert response.status_code == 410
    assert "application/pdf" not in response["Content-Type"]


def test_my_learning_issues_and_links_the_certificate(member_client, member, short_course):
    complete_course(member, short_course)
    assert not Certificate.objects.exists()

    response = member_client.get(reverse("catalog:my_learning"))

    certificate = Certificate.objects.get(user=member)
    html = response.content.decode()
    assert reverse("certificates:verify", args=[certificate.code]) in html
    assert reverse("certificates:download", args=[certificate.code]) in html


def test_the_course_page_links_the_certificate(member_client, member, short_course):
    complete_course(member, short_course)
    response = member_client.get(reverse("catalog:course_detail", args=[short_course.slug]))
    certificate = Certificate.objects.get(user=member)
    assert certificate.code in response.content.decode()


def test_my_certificates_lists_valid_and_revoked(member_client, issued, staff):
    html = member_client.get(reverse("certificates:mine")).content.decode()
    assert issued.code in html
    assert reverse("certificates:download", args=[issued.code]) in html
    services.certificate_revoke(certificate=issued, by=staff, reason="x")
    html = member_client.get(reverse("certificates:mine")).content.decode()
    assert issued.code in html
    assert reverse("certificates:download", args=[issued.code]) not in html


def test_a_name_with_markup_set_in_the_admin_is_shown_as_text(client, short_course):
    # The admin's member form does not go through the profile service's checks.
    member = UserFactory(certificate_name="<script>alert(1)</script>")
    complete_course(member, short_course)
    [certificate] = services.certificates_issue_for(user=member)

    html = client.get(reverse("certificates:verify", args=[certificate.code])).content.decode()

    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)" in html


def test_the_verification_page_speaks_english_when_chosen(client, issued):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = result_block(client.get(reverse("certificates:verify", args=[issued.code])))
    assert "Valid certificate" in html
    assert "QA Manager Basics" in html
    assert "홍길동" in html
    assert date_long(issued.completed_at, english=True) in html
    assert "년" not in html
