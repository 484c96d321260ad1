"""The pages that do the most in the browser keep working under the Content-Security-Policy,
and none of them makes the browser report a violation."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import close_quietly, signed_in_context
from tests.browser.playing import choose
from tests.browser.uploading import is_part_put, upload_ready
from tests.video import make_clip

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any script of each page (injected by the browser, outside the policy's reach).
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.cspViolations.push(`${e.effectiveDirective} ${e.blockedURI} ${e.sourceFile}`);
});
"""


def watch_csp(page: Page) -> list[str]:
    """Every violation the page reports, from the DOM event and from the console (which also
    hears workers and pages already navigated away from)."""
    seen: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on(
        "console",
        lambda msg: "Content Security Policy" in msg.text and seen.append(msg.text),
    )
    return seen


def assert_no_violation(page: Page, seen: list[str]) -> None:
    assert seen == []
    assert page.evaluate("window.cspViolations") == []


def test_a_style_element_injected_into_a_page_is_blocked_and_seen(page: Page):
    # The watcher itself: an inline style, as injected markup would bring, is caught.
    seen = watch_csp(page)
    page.goto("/")
    page.evaluate(
        "() => { const s = document.createElement('style');"
        " s.textContent = 'body { background: red }'; document.head.append(s); }"
    )
    page.wait_for_function("() => window.cspViolations.length > 0")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(255, 0, 0)"
    assert any("style-src" in v for v in page.evaluate("window.cspViolations"))
    assert seen  # and the console said so


def test_the_player_plays_under_the_policy(member_page: Page, watch_lecture):
    seen = watch_csp(member_page)
    member_page.goto("/courses/player-course/lectures/1/")
    member_page.wait_for_function("() => document.querySelector('video').readyState >= 2")
    member_page.evaluate(
        "() => { const v = document.querySelector('video'); v.muted = true; v.play(); }"
    )
    member_page.wait_for_function(
        "() => document.querySelector('video').currentTime >= 2", timeout=30_000
    )
    # Captions: hls.js gives its text tracks data: URLs (media-src).
    choose(member_page, "captions", "한국어")
    member_page.wait_for_function(
        "() => [...document.querySelector('video').textTracks].some(t => t.mode === 'showing' && "
        "t.cues && [...t.cues].some(c => c.text.includes('자막입니다')))"
    )
    # The seek bar's storyboard preview (positioned from JS) shows on hover.
    member_page.hover("[data-seekbar]")
    expect(member_page.locator("[data-seek-preview]")).to_be_visible()
    assert_no_violation(member_page, seen)


@pytest.fixture(scope="module")
def upload_clip(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("csp") / "강의.mp4", seconds=1, noise=True)


def _upload_starts(page: Page, clip: Path, parts_origin: str) -> None:
    seen = watch_csp(page)
    page.goto(page.url_path)  # type: ignore[attr-defined]
    with page.expect_response(lambda r: is_part_put(r.request), timeout=30_000) as first_part:
        upload_ready(page)
        page.set_input_files("[data-upload-input]", str(clip))
    assert first_part.value.ok
    assert first_part.value.url.startswith(parts_origin)
    # The whole upload finishes under the policy (a 1 s clip may be done before its progress
    # bar could be seen, so the finished state is what is waited for).
    expect(page.get_by_text("업로드했습니다.")).to_be_visible(timeout=30_000)
    assert_no_violation(page, seen)


def test_an_upload_starts_under_the_policy_embedded(
    studio_page: Page, embedded_storage, live_server, upload_clip
):
    _upload_starts(studio_page, upload_clip, live_server.url)


@pytest.mark.s3
def test_an_upload_starts_under_the_policy_straight_to_s3(
    studio_page: Page, settings, s3_server, s3_storage, live_server, upload_clip
):
    from tests.s3 import cors_configure

    cors_configure(s3_server, [live_server.url])
    _upload_starts(studio_page, upload_clip, s3_server.endpoint_url)


@pytest.fixture
def staff_page(browser: Browser, live_server, transactional_db) -> Iterator[Page]:
    from tests.factories import CourseFactory, UserFactory

    CourseFactory(title="상담 품질 관리")
    staff = UserFactory(is_staff=True, is_superuser=True)
    context = signed_in_context(browser, live_server.url, staff)
    page = context.new_page()
    yield page
    close_quietly(context)


def test_the_admin_works_under_the_policy(staff_page: Page):
    seen = watch_csp(staff_page)
    staff_page.goto("/admin/catalog/course/")
    expect(staff_page.locator("#result_list")).to_contain_text("상담 품질 관리")
    # The actions bar's script runs: ticking a row counts it.
    staff_page.locator("#result_list input.action-select").first.check()
    expect(staff_page.locator(".action-counter")).to_contain_text("1")
    staff_page.goto("/admin/catalog/course/add/")
    expect(staff_page.locator("#course_form")).to_be_visible()
    assert_no_violation(staff_page, seen)


def test_the_api_docs_render_their_operations_under_the_policy(page: Page):
    seen = watch_csp(page)
    page.goto("/api/docs/")
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible(timeout=20_000)
    assert operations.count() >= 5
    expect(page.locator('.opblock-summary-path[data-path="/api/v1/courses/"]')).to_be_visible()
    assert_no_violation(page, seen)


def test_the_visitors_pages_report_no_violation(page: Page):
    from tests.factories import CourseFactory

    course = CourseFactory(title="상담 품질 관리")
    seen = watch_csp(page)
    for url in (
        "/",
        "/courses/",
        f"/courses/{course.slug}/",
        "/search/?q=상담",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/no-such-page/",
    ):
        page.goto(url)
        expect(page.locator(".site-header")).to_be_visible()
        assert_no_violation(page, seen)
