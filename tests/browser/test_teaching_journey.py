"""The whole teaching journey of issue #4, through the real pages in Chromium: a member applies
to teach, staff approve, the new instructor creates a course and a lecture, uploads its video
with the connection cut in the middle and the page reloaded (the upload resumes), sees it
turn ready, adds captions and a chapter, submits the course; staff find it in the review
queue, put it in a bundle in the admin and publish the bundle, which publishes the course with
it; a visitor then finds the bundle, the course and the lecture, and a member watches it.

Every step is a click or a form in the browser. Two things are not: sessions come from
Django's test client (`signed_in_context`), and the transcode task runs in the test's thread
as a worker would (no Celery worker runs in tests; tests/browser/uploading.py).
"""

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import Browser, BrowserContext, Page, expect

from lms.accounts.models import InstructorApplication, User
from lms.catalog.models import Bundle, Course, LectureCaption, Status
from tests.browser.conftest import close_quietly, signed_in_context
from tests.browser.playing import choose
from tests.browser.uploading import transcode_and_see_ready, upload_cut_then_resumed
from tests.factories import CategoryFactory, UserFactory
from tests.video import make_clip

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TOPIC = "콜센터 상담 품질 모니터링"
COURSE = "상담 품질 모니터링 실무"
LECTURE = "모니터링의 이해"
BUNDLE = "상담 품질 패키지"
# Korean captions as many Korean tools still save them: CP949, not UTF-8.
SRT_CP949 = (
    "1\r\n00:00:00,000 --> 00:00:01,500\r\n안녕하세요, 모니터링 강의입니다\r\n\r\n"
    "2\r\n00:00:01,500 --> 00:00:02,000\r\n품질 기준을 함께 봅니다\r\n"
).encode("cp949")


@pytest.fixture(scope="module")
def lecture_clip(tmp_path_factory) -> Path:
    """2 s of noise, ~4 MB: 17 parts of 256 KiB, and long enough for a chapter at 0:01."""
    return make_clip(tmp_path_factory.mktemp("journey") / "1강.mp4", seconds=2, noise=True)


@pytest.fixture
def open_context(browser: Browser, live_server) -> Iterator[Callable[[User | None], Page]]:
    """Opens a Korean browser context (signed in as the user given, or a visitor) and a page in
    it; every context is closed quietly at the end."""
    contexts: list[BrowserContext] = []

    def open_page(user: User | None) -> Page:
        if user is None:
            context = browser.new_context(base_url=live_server.url, locale="ko-KR")
            context.set_default_timeout(20_000)
        else:
            context = signed_in_context(browser, live_server.url, user)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        close_quietly(context)


def test_a_member_becomes_an_instructor_and_publishes_a_course_that_visitors_see(
    open_context, embedded_storage, settings, tmp_path, lecture_clip
):
    settings.TRANSCODE_X264_PRESET = "ultrafast"
    settings.TRANSCODE_TEMP_DIR = str(tmp_path / "work")
    CategoryFactory(title="상담 품질")  # categories are the organisers', made in the admin
    member = UserFactory(display_name="김상담")
    staff = UserFactory(is_staff=True, is_superuser=True, display_name="운영자")
    teacher = open_context(member)
    operator = open_context(staff)

    _member_applies_to_teach(teacher)
    _staff_approve_the_application(operator, member)
    _member_sees_they_are_an_instructor(teacher)
    _instructor_creates_a_course_with_a_lecture(teacher)

    upload = upload_cut_then_resumed(teacher, lecture_clip)
    transcode_and_see_ready(teacher, upload)

    _instructor_adds_captions_and_a_chapter(teacher, tmp_path)
    _instructor_submits_the_course(teacher)
    _staff_find_the_course_in_the_review_queue(operator)
    _staff_compose_a_bundle_and_publish_it(operator)
    _visitor_finds_the_bundle_course_and_lecture(open_context(None))
    _learner_watches_the_lecture_with_captions(open_context(UserFactory()))


def _member_applies_to_teach(page: Page) -> None:
    page.goto("/")
    page.get_by_role("navigation", name="주 메뉴").get_by_role("link", name="강의하기").click()
    expect(page).to_have_url(re.compile("/teach/$"))
    page.get_by_role("link", name="강사 지원하기").click()
    page.get_by_label("강의 주제").fill(TOPIC)
    page.get_by_label("실무 경력(년)").fill("12")
    page.get_by_label("경력:", exact=True).fill("대형 콜센터 QA 파트장 8년, 상담사 코칭 4년.")
    page.get_by_label("샘플 링크").fill("example.com/sample-lecture")
    page.get_by_role("button", name="신청서 보내기").click()

    expect(page.locator(".messages")).to_contain_text("곧 신청서를 검토하겠습니다")
    expect(page.locator(".applications")).to_contain_text(TOPIC)
    application = InstructorApplication.objects.get()
    assert application.status == InstructorApplication.Status.PENDING
    assert application.sample_link == "https://example.com/sample-lecture"


def _staff_approve_the_application(page: Page, member: User) -> None:
    page.goto("/studio/")
    page.get_by_role("link", name="강사 신청 심사", exact=True).click()
    entry = page.locator("article.application", has_text=TOPIC)
    expect(entry).to_contain_text(member.email)
    entry.get_by_label("신청자에게 보낼 메시지").fill("환영합니다. 첫 강좌를 기대합니다.")
    entry.get_by_role("button", name="승인").click()

    expect(page.locator(".messages")).to_contain_text("신청자에게 이메일로 알렸습니다")
    expect(page.get_by_text("대기 중인 신청이 없습니다.")).to_be_visible()
    member.refresh_from_db()
    assert member.is_instructor
    (sent,) = mail.outbox
    assert sent.to == [member.email]
    assert "강사로 승인되었습니다" in sent.subject
    assert "환영합니다. 첫 강좌를 기대합니다." in sent.body


def _member_sees_they_are_an_instructor(page: Page) -> None:
    page.reload()
    expect(page.get_by_text("강사로 활동 중입니다.")).to_be_visible()
    expect(page.locator(".applications .status")).to_have_text("승인됨")
    expect(page.locator(".decision-message")).to_have_text("환영합니다. 첫 강좌를 기대합니다.")
    nav = page.get_by_role("navigation", name="주 메뉴")
    expect(nav.get_by_role("link", name="스튜디오")).to_be_visible()
    page.get_by_role("link", name="스튜디오 열기").click()
    expect(page).to_have_url(re.compile("/studio/$"))


def _instructor_creates_a_course_with_a_lecture(page: Page) -> None:
    page.get_by_role("link", name="새 강좌").click()
    page.get_by_label("분류").select_option(label="상담 품질")
    page.get_by_label("제목(한국어)").fill(COURSE)
    page.get_by_label("제목(영어)").fill("Monitoring call quality")
    page.get_by_label("요약").fill("모니터링 기준과 코칭 방법을 실무 사례로 배웁니다.")
    page.get_by_label("설명").fill("QA 담당자와 팀장을 위한 강좌입니다.")
    page.get_by_role("button", name="강좌 만들기").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(COURSE)
    expect(page.get_by_role("heading", level=1)).to_contain_text("작성 중")
    page.get_by_label("새 강의 제목").fill(LECTURE)
    page.get_by_role("button", name="강의 추가").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"1. {LECTURE}")
    expect(page.locator("[data-video-panel]")).to_have_attribute("data-upload-state", "idle")


def _instructor_adds_captions_and_a_chapter(page: Page, tmp_path: Path) -> None:
    srt = tmp_path / "모니터링 자막.srt"
    srt.write_bytes(SRT_CP949)
    captions = page.locator("#captions")
    captions.get_by_label("언어").select_option(label="한국어")
    captions.get_by_label("SRT 또는 WebVTT 파일").set_input_files(str(srt))
    captions.get_by_role("button", name="자막 올리기").click()

    expect(page.locator(".messages")).to_contain_text("자막을 저장했습니다(2줄)")
    expect(page.locator("#captions li").first).to_contain_text("모니터링 자막.srt")
    caption = LectureCaption.objects.get()
    assert "안녕하세요, 모니터링 강의입니다" in caption.file.read().decode("utf-8")

    chapters = page.locator("#chapters")
    chapters.get_by_label("시간").fill("0:01")
    chapters.get_by_label("챕터 제목").fill("품질 기준")
    chapters.get_by_role("button", name="챕터 추가").click()

    expect(page.locator(".messages")).to_contain_text("챕터를 추가했습니다.")
    expect(page.locator("#chapters li").first).to_contain_text("0:01 품질 기준")


def _instructor_submits_the_course(page: Page) -> None:
    page.locator(".breadcrumbs").get_by_role("link", name=COURSE).click()
    expect(page.locator(".studio-lecture")).to_contain_text(LECTURE)
    expect(page.locator(".studio-lecture .meta")).to_have_text("0:02")
    page.get_by_role("button", name="검토 요청").click()

    expect(page.locator(".messages")).to_contain_text("운영진이 강좌를 검토합니다")
    expect(page.get_by_text("검토를 기다리고 있습니다.")).to_be_visible()
    assert Course.objects.get().status == Status.IN_REVIEW


def _staff_find_the_course_in_the_review_queue(page: Page) -> None:
    page.goto("/studio/")
    page.get_by_role("link", name="검토 대기열", exact=True).click()
    entry = page.locator("article.review-entry", has_text=COURSE)
    expect(entry).to_contain_text("김상담")
    expect(entry.locator(".changes")).to_contain_text("새 강좌: 아직 승인된 적이 없습니다.")


def _staff_compose_a_bundle_and_publish_it(page: Page) -> None:
    """In the admin: a new bundle with the course in it, then its “Publish now” action, which
    publishes the bundle and the course under review (with its lecture) in one transaction."""
    page.get_by_role("link", name="관리", exact=True).click()
    page.get_by_role("row", name="패키지 추가").get_by_role("link", name="추가").click()
    page.get_by_label("제목(한국어)").fill(BUNDLE)
    # Typed key by key: the admin fills the slug in from the English title on each key.
    page.get_by_label("제목(영어)").press_sequentially("Call quality bundle")
    expect(page.locator("input[name=slug]")).to_have_value("call-quality-bundle")
    page.locator(".add-row a").click()
    row = page.locator("tr.form-row.dynamic-items").first
    row.locator("input[name$=position]").fill("1")
    row.locator(".select2-selection").click()
    page.locator(".select2-search__field").fill("모니터링")
    page.locator(".select2-results__option", has_text=COURSE).click()
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    bundle = Bundle.objects.get()
    assert bundle.status == Status.DRAFT
    assert list(bundle.courses.all()) == [Course.objects.get()]

    page.locator(f"input[name=_selected_action][value='{bundle.pk}']").check()
    page.locator("select[name=action]").select_option("publish_now")
    page.locator("button[name=index]").click()

    expect(page.locator(".messagelist")).to_contain_text("패키지 1개를 공개했습니다.")
    bundle.refresh_from_db()
    course = Course.objects.get()
    assert bundle.is_visible
    assert course.is_visible
    assert all(lecture.is_visible for lecture in course.lectures.all())
    page.goto("/studio/review/")
    expect(page.get_by_text("검토를 기다리는 강좌가 없습니다.")).to_be_visible()


def _visitor_finds_the_bundle_course_and_lecture(page: Page) -> None:
    page.goto("/")
    expect(page.locator(".newest")).to_contain_text(COURSE)
    page.locator(".bundles").get_by_role("link", name=BUNDLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(BUNDLE)
    page.get_by_role("link", name=COURSE).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(COURSE)
    expect(page.locator(".course-instructors")).to_contain_text("김상담")
    lectures = page.locator("ol.lectures > li")
    expect(lectures).to_have_count(1)
    expect(lectures.first).to_contain_text(LECTURE)
    expect(lectures.first.locator(".duration")).to_have_text("0:02")
    lectures.first.get_by_role("link", name=LECTURE).click()
    expect(page).to_have_url(re.compile("/accounts/login/"))  # watching needs a membership


def _learner_watches_the_lecture_with_captions(page: Page) -> None:
    course = Course.objects.get()
    page.goto(f"/courses/{course.slug}/")
    page.get_by_role("link", name=LECTURE).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"1. {LECTURE}")
    expect(page.locator("ol.chapters")).to_contain_text("0:01 품질 기준")
    expect(page.locator('[data-menu=captions] [data-value="ko"]')).to_have_text("한국어")
    page.wait_for_function("() => document.querySelector('video').readyState >= 2")
    page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; v.play(); }")
    choose(page, "captions", "한국어")
    page.wait_for_function(
        "() => [...document.querySelector('video').textTracks].some(t => t.mode === 'showing' && "
        "t.cues && [...t.cues].some(c => c.text.includes('모니터링 강의입니다')))"
    )
