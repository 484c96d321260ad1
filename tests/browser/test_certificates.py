"""A member completes a course by really playing it, downloads the certificate, a visitor
opens the verification URL from its QR code and sees it valid; staff revoke it in the admin
and the page says revoked. Screenshots go to test-results/certificates/."""

import subprocess
from pathlib import Path

import pytest
import zxingcpp
from django.conf import settings
from PIL import Image
from playwright.sync_api import Page, expect

from lms.certificates.models import Certificate
from lms.learning.models import CourseProgress

from .conftest import close_quietly, signed_in_context
from .test_csp import assert_no_violation, watch_csp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(settings.BASE_DIR) / "test-results" / "certificates"


@pytest.fixture
def clip_course(transactional_db, settings, tmp_path, tmp_path_factory):
    """A published one-lecture course whose lecture is a real 4 s transcoded clip."""
    from tests.factories import CourseFactory, LectureFactory
    from tests.video import lecture_with_ready_video, make_clip

    settings.TRANSCODE_X264_PRESET = "ultrafast"
    settings.TRANSCODE_TEMP_DIR = str(tmp_path / "work")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media"), "base_url": "/media/"},
        },
    }
    course = CourseFactory(slug="cert-course", title="QA관리사 기초")
    lecture = LectureFactory(course=course, position=1, title="품질 관리의 이해")
    lecture_with_ready_video(lecture, make_clip(tmp_path / "clip.mp4", seconds=4))
    return course


def test_complete_download_verify_revoke(
    browser, live_server, member_page: Page, clip_course, staff, tmp_path
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    member = member_page.user  # type: ignore[attr-defined]

    # The member plays the whole lecture; the player reports it and the course completes.
    member_page.goto("/courses/cert-course/lectures/1/")
    member_page.wait_for_function("() => document.querySelector('video').readyState >= 2")
    member_page.evaluate(
        "() => { const v = document.querySelector('video'); v.muted = true; v.play(); }"
    )
    member_page.wait_for_function("() => document.querySelector('video').ended", timeout=30_000)
    member_page.wait_for_function("() => window.lmsPlayer.readQueue().length === 0")
    progress = CourseProgress.objects.get(user=member, course=clip_course)
    assert progress.completed_at is not None

    # My learning issues the certificate and links it.
    member_seen = watch_csp(member_page)
    member_page.goto("/my/")
    link = member_page.locator("a.certificate-link")
    expect(link).to_contain_text("KCA-")
    certificate = Certificate.objects.get(user=member)
    with member_page.expect_download() as download_info:
        member_page.get_by_role("link", name="PDF 내려받기").first.click()
    pdf = tmp_path / "certificate.pdf"
    download_info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    assert_no_violation(member_page, member_seen)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "110", "-singlefile", str(pdf), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    [qr] = zxingcpp.read_barcodes(Image.open(tmp_path / "page.png"))
    verify_url = qr.text
    assert verify_url == f"{live_server.url}/c/{certificate.code}/"

    # A visitor, signed in as no one, opens the QR code's address.
    visitor = browser.new_context(locale="ko-KR")
    try:
        page = visitor.new_page()
        seen = watch_csp(page)
        page.goto(verify_url)
        result = page.locator(".verify-result")
        expect(result).to_have_attribute("data-status", "valid")
        expect(result).to_contain_text("유효한 수료증입니다")
        expect(result).to_contain_text("QA관리사 기초")
        expect(result).to_contain_text(certificate.name)
        assert member.email not in page.content()
        page.screenshot(path=str(SHOTS / "verify-valid.png"), full_page=True)
        assert_no_violation(page, seen)

        # Staff revoke it in the admin, with a reason.
        staff_context = signed_in_context(browser, live_server.url, staff)
        try:
            admin = staff_context.new_page()
            admin.goto("/admin/certificates/certificate/")
            admin.locator(f'input[name="_selected_action"][value="{certificate.pk}"]').check()
            admin.select_option('select[name="action"]', "revoke")
            admin.locator('button[name="index"], input[name="index"]').first.click()
            admin.fill('textarea[name="reason"]', "진도 조작이 확인되어 취소합니다.")
            admin.get_by_role("button", name="확인").or_(
                admin.locator('input[type="submit"][value="확인"]')
            ).first.click()
            expect(admin.locator(".messagelist")).to_contain_text("1건")
            admin.screenshot(path=str(SHOTS / "admin-revoked.png"), full_page=True)
        finally:
            close_quietly(staff_context)

        page.reload()
        expect(result).to_have_attribute("data-status", "revoked")
        expect(result).to_contain_text("취소됨")
        page.screenshot(path=str(SHOTS / "verify-revoked.png"), full_page=True)
        assert_no_violation(page, seen)
    finally:
        close_quietly(visitor)

    # The member turns the public profile on; a visitor sees the completed course there (the
    # revoked certificate is gone from it).
    member_page.goto("/my/profile/")
    member_page.fill('input[name="certificate_name"]', "홍길동")
    member_page.check('input[name="public"]')
    member_page.get_by_role("button", name="저장").click()
    expect(member_page.locator(".notice")).to_contain_text("/u/")
    member_page.screenshot(path=str(SHOTS / "profile-edit.png"), full_page=True)
    assert_no_violation(member_page, member_seen)

    # The member can no longer download it as valid.
    response = member_page.request.get(f"/my/certificates/{certificate.code}.pdf")
    assert response.status == 410
