"""The catalog pages in Chromium (issue 20), on a desktop (1366×768) and a phone (390×844):
the course page that sells the course and carries the learner, the visitor sent to sign in or
up and back to the lecture, cards with covers and progress, the bundle page, the empty search,
the cover uploaded in the studio. Screenshots of each page go to test-results/browser/."""

import io
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw
from playwright.sync_api import Browser, Page, expect

from lms.accounts.services import user_create_verified
from lms.catalog.models import Course
from lms.catalog.services import course_cover_set
from lms.demo.seed import seed_load_file
from lms.learning.models import LectureProgress
from tests.browser.a11y import assert_no_serious, axe_check, screenshot
from tests.browser.conftest import close_quietly, signed_in_context
from tests.browser.test_csp import assert_no_violation, watch_csp
from tests.factories import UserFactory, ready_video_asset

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
QA = "/courses/qa-manager-exam/"


def shot(page: Page, name: str) -> None:
    """The page's screenshot (test-results/browser/front-<name>.png), after axe-core found no
    serious or critical violation on it."""
    assert_no_serious([axe_check(page, name)])
    screenshot(page, f"front-{name}")


def cover_png() -> bytes:
    """A cover as an instructor might make one: a gradient with a few shapes (no text, which
    would need a font)."""
    image = Image.new("RGB", (1280, 720))
    draw = ImageDraw.Draw(image)
    for y in range(720):
        draw.line([(0, y), (1280, y)], fill=(20 + y // 12, 60 + y // 8, 160 + y // 9))
    draw.ellipse((820, 140, 1180, 500), outline=(255, 255, 255), width=18)
    draw.rectangle((120, 420, 620, 470), fill=(255, 255, 255))
    draw.rectangle((120, 500, 480, 530), fill=(210, 225, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def catalog(transactional_db, settings, tmp_path):
    """The seed catalog (30 lectures of 10:24: 총 5시간 12분), its instructor, and a cover on
    the flagship course."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media"), "base_url": "/media/"},
        },
    }
    seed_load_file(video=ready_video_asset(duration=624))
    instructor = UserFactory(
        display_name="김강사",
        bio="콜센터 QA 15년 차. 상담 품질 평가와 코칭을 가르칩니다.",
        is_instructor=True,
    )
    for course in Course.objects.all():
        course.instructors.add(instructor)
    qa = Course.objects.get(slug="qa-manager-exam")
    course_cover_set(course=qa, upload=SimpleUploadedFile("cover.png", cover_png()))
    return qa


def progress(user, course: Course, *, done: int, current: int, at: float) -> None:
    """`done` lectures completed, and lecture `current` watched last, up to `at` seconds."""
    lectures = {x.position: x for x in course.lectures.all()}
    for position in range(1, done + 1):
        LectureProgress.objects.create(
            user=user,
            lecture=lectures[position],
            credited_seconds=624,
            covered_seconds=624,
            position=624,
            furthest_position=624,
            coverage=[[0, 624_000]],
            completed_at=timezone.now(),
        )
    LectureProgress.objects.create(
        user=user,
        lecture=lectures[current],
        credited_seconds=at,
        covered_seconds=at,
        position=at,
        furthest_position=at,
        coverage=[[0, int(at * 1000)]],
    )


def image_loaded(page: Page, selector: str) -> bool:
    """Whether the image `selector` finds is drawn (waiting up to 10 s: covers load lazily)."""
    page.wait_for_function(
        "s => { const img = document.querySelector(s); return img && img.complete }",
        arg=selector,
        timeout=10_000,
    )
    return bool(page.eval_on_selector(selector, "img => img.naturalWidth > 0"))


def test_a_visitor_meets_the_course_and_is_sent_to_sign_up_and_back_to_the_lecture(
    page: Page, catalog
):
    seen = watch_csp(page)
    page.set_viewport_size(VIEWPORTS["desktop"])
    page.goto(QA)
    expect(page.get_by_role("heading", level=1)).to_have_text("QA관리사 자격시험 대비 과정")
    expect(page.locator(".course-facts")).to_contain_text("강의 30개 · 총 5시간 12분")
    expect(page.locator(".course-outcome")).to_contain_text("QA관리사 자격시험 준비")
    expect(page.locator(".course-level")).to_have_text("중급")
    expect(page.locator(".course-instructors")).to_contain_text("콜센터 QA 15년 차")
    expect(page.locator("h3.section-title")).to_have_count(6)
    expect(page.locator("ol.lectures > li")).to_have_count(30)
    assert image_loaded(page, "img.course-cover")
    button = page.locator("[data-main-button]")
    expect(button).to_have_text("수강 시작")
    assert_no_violation(page, seen)

    page.get_by_role("link", name="캘리브레이션 운영").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    expect(page.locator(".messages")).to_contain_text("무료 회원이면 누구나 볼 수 있습니다")
    shot(page, "sign-in-for-lecture-desktop")

    page.locator("main").get_by_role("link", name=re.compile("회원가입|가입")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("회원가입")
    page.get_by_label("표시 이름").fill("새내기")
    page.locator("#id_email").fill("newbie@example.com")
    page.locator("#id_password1").fill("상담품질-2026!")
    page.locator("#id_password2").fill("상담품질-2026!")
    page.get_by_label("[필수] 이용약관에 동의합니다").check()
    page.get_by_label("[필수] 개인정보 수집·이용에 동의합니다").check()
    page.get_by_role("button", name="회원가입").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("이메일 주소를 확인해 주세요")

    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+)", mail.outbox[-1].body)
    page.goto(link.group(1))
    page.get_by_role("button", name="확인").click()
    expect(page).to_have_url(re.compile(r"/courses/qa-manager-exam/lectures/11/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("11. 캘리브레이션 운영")


def test_a_visitor_who_signs_in_comes_back_to_the_lecture(page: Page, catalog):
    user_create_verified(
        email="learner@example.com", password="pass-word-123", display_name="이학습"
    )
    page.goto(QA)
    page.get_by_role("link", name="코칭의 이해").click()
    expect(page.locator(".messages")).to_contain_text("무료 회원")
    page.locator("input[name=login]").fill("learner@example.com")
    page.locator("input[name=password]").fill("pass-word-123")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/courses/qa-manager-exam/lectures/13/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("13. 코칭의 이해")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_member_sees_where_they_are_and_continues_there(
    browser: Browser, live_server, catalog, viewport
):
    member = UserFactory(display_name="이학습")
    progress(member, catalog, done=2, current=3, at=394)
    context = signed_in_context(browser, live_server.url, member)
    page = context.new_page()
    page.set_viewport_size(VIEWPORTS[viewport])
    seen = watch_csp(page)
    try:
        page.goto(QA)
        button = page.locator("[data-main-button]")
        expect(button).to_have_text("이어 보기: 3강 6:34")
        # The one button that matters is on the first screen, also on a phone.
        box = button.bounding_box()
        assert box is not None
        assert box["y"] + box["height"] <= VIEWPORTS[viewport]["height"]
        rows = page.locator("ol.lectures > li")
        expect(rows.nth(0)).to_have_attribute("data-state", "completed")
        expect(rows.nth(0).locator(".lecture-state")).to_contain_text("✓")
        expect(rows.nth(2)).to_have_attribute("data-state", "in_progress")
        expect(rows.nth(2).locator(".lecture-state")).to_have_text(re.compile(r"^\d+%$"))
        expect(rows.nth(3)).to_have_attribute("data-state", "not_started")
        expect(page.locator(".course-action .meta")).to_have_text("30개 중 2개 완료(6%)")
        assert_no_violation(page, seen)
        shot(page, f"course-{viewport}")

        button.click()
        expect(page).to_have_url(re.compile(r"/courses/qa-manager-exam/lectures/3/$"))
    finally:
        close_quietly(context)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_home_category_search_and_bundle_show_cards_with_covers_and_progress(
    browser: Browser, live_server, catalog, viewport
):
    member = UserFactory(display_name="이학습")
    progress(member, catalog, done=6, current=7, at=100)
    context = signed_in_context(browser, live_server.url, member)
    page = context.new_page()
    page.set_viewport_size(VIEWPORTS[viewport])
    seen = watch_csp(page)
    try:
        page.goto("/")
        expect(page.locator("h1.tagline")).to_contain_text("CS리더스포럼은")
        card = page.locator(".card", has_text="QA관리사 자격시험 대비 과정")
        expect(card.locator(".card-instructor")).to_have_text("김강사")
        expect(card.locator(".card-meta")).to_have_text("강의 30개 · 총 5시간 12분")
        expect(card.locator(".card-progress")).to_contain_text("20% 완료")
        assert image_loaded(page, ".home-cards img.card-cover")
        other = page.locator(".card", has_text="콜센터 운영 실무")
        expect(other.locator(".cover-placeholder")).to_be_visible()
        # Only categories with a course are offered.
        chips = page.locator("#cat-h + .chips a")
        expect(chips).to_have_count(2)
        expect(page.locator(".categories")).not_to_contain_text("마케팅")
        shot(page, f"home-{viewport}")
        if viewport == "desktop":
            height = page.evaluate("document.documentElement.scrollHeight")
            assert height <= 768 * 1.3, f"the home page is {height}px tall on 1366×768"

        page.goto("/categories/certification/")
        expect(page.locator(".card")).to_have_count(1)
        expect(page.locator(".card-progress")).to_contain_text("20% 완료")
        shot(page, f"category-{viewport}")

        page.goto("/search/?q=모니터링")
        expect(page.locator(".card")).to_have_count(1)
        expect(page.locator(".search-lectures li")).to_have_count(4)
        shot(page, f"search-{viewport}")

        page.get_by_role("searchbox").fill("요가")
        page.get_by_role("searchbox").press("Enter")
        expect(page.locator(".search-help")).to_contain_text("“요가” 검색 결과가 없습니다.")
        page.locator(".search-help").get_by_role("link", name="코칭").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("“코칭” 검색 결과")
        page.goto("/search/?q=요가")
        shot(page, f"search-empty-{viewport}")

        page.goto("/bundles/qa-manager-pass/")
        expect(page.get_by_role("heading", level=1)).to_have_text("QA관리사 합격 패키지")
        expect(page.locator(".bundle-size")).to_have_text("강좌 2개 · 강의 38개 · 총 6시간 35분")
        expect(page.locator(".card").first.locator(".card-progress")).to_contain_text("20% 완료")
        expect(page.locator("[data-main-button]")).to_have_text(
            "이어 보기: QA관리사 자격시험 대비 과정 7강"
        )
        assert_no_violation(page, seen)
        shot(page, f"bundle-{viewport}")
    finally:
        close_quietly(context)


def test_an_instructor_uploads_a_cover_and_learners_see_it(
    browser: Browser, live_server, catalog, tmp_path
):
    course = Course.objects.get(slug="call-center-operations")
    instructor = course.instructors.get()
    context = signed_in_context(browser, live_server.url, instructor)
    page = context.new_page()
    try:
        page.goto(f"/studio/courses/{course.pk}/")
        refused = tmp_path / "cover.png"
        refused.write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'><script>1</script></svg>")
        page.get_by_label("표지 이미지").set_input_files(str(refused))
        page.get_by_label("수료 후 목표").fill("콜센터 운영 실무 역량")
        page.get_by_role("button", name="저장").click()
        expect(page.locator(".errorlist")).to_contain_text("PNG, JPEG, WebP 이미지만")
        cover = tmp_path / "표지.png"
        cover.write_bytes(cover_png())
        page.get_by_label("표지 이미지").set_input_files(str(cover))
        page.get_by_role("button", name="저장").click()
        expect(page.locator(".messages")).to_contain_text("저장")
        page.goto(f"/courses/{course.slug}/")
        expect(page.locator("img.course-cover")).to_be_visible()
        assert image_loaded(page, "img.course-cover")
    finally:
        close_quietly(context)
