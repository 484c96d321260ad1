"""Korean drawn in the shipped Noto Sans KR on a machine without any Korean system font (this
one, and a learner's PC or phone without one): caption cues, the admin, an error page. What
Chromium actually drew with is read from DevTools (CSS.getPlatformFontsForNode), the way the
Elements panel's "Rendered fonts" shows it; the video's cues are reached through its shadow root.
Also: the font comes in unicode-range slices (a page loads only the few it needs), the header's
links are apart from each other, and the favicon is served. Screenshots: test-results/browser/."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page

from tests.browser.conftest import close_quietly, signed_in_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "browser"
FONT = "Noto Sans KR"
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
CUE = "안녕하세요 자막입니다"
FONT_FILES = "/static/vendor/noto-sans-kr/files/"


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _walk(node: dict[str, Any]) -> Any:
    yield node
    for key in ("children", "shadowRoots"):
        for child in node.get(key, []):
            yield from _walk(child)
    if "contentDocument" in node:
        yield from _walk(node["contentDocument"])


def rendered_fonts(page: Page, text: str) -> dict[str, int]:
    """The fonts Chromium drew the first drawn text node containing `text` with (shadow roots
    included; the <title> is not drawn): family name → glyph count."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"]
    try:
        for node in _walk(root):
            if node.get("nodeType") == 3 and text in node.get("nodeValue", ""):
                fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["parentId"]})
                if fonts["fonts"]:
                    return {f["familyName"]: f["glyphCount"] for f in fonts["fonts"]}
    finally:
        cdp.detach()
    raise AssertionError(f"no drawn text with {text!r}")


def assert_drawn_in_noto(page: Page, text: str) -> None:
    fonts = rendered_fonts(page, text)
    hangul = sum(1 for ch in text if "가" <= ch <= "힣")
    # The files name themselves "Noto Sans KR Thin" (fontsource's), whatever weight they hold.
    from_noto = sum(n for family, n in fonts.items() if family.startswith(FONT))
    assert from_noto >= hangul, fonts  # every Hangul glyph from the shipped font
    assert page.evaluate('([f, t]) => document.fonts.check(`16px "${f}"`, t)', [FONT, text])


def test_there_is_no_korean_system_font_here():
    # What the tests below prove holds only where Chromium has no Korean font of its own.
    import subprocess

    listed = subprocess.run(
        ["fc-list", ":lang=ko", "family"], capture_output=True, text=True, check=True
    )
    assert listed.stdout.strip() == "", listed.stdout


def test_caption_cues_are_drawn_in_the_shipped_font(member_page: Page, watch_lecture):
    page = member_page
    page.set_viewport_size(DESKTOP)
    page.goto("/courses/player-course/lectures/1/")
    page.wait_for_function("() => document.querySelector('video').readyState >= 2")
    page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; v.play(); }")
    page.wait_for_function("() => document.querySelector('video').currentTime >= 1")
    page.evaluate(
        "() => { for (const t of document.querySelector('video').textTracks) "
        "t.mode = t.language === 'ko' ? 'showing' : 'disabled'; }"
    )
    page.wait_for_function(
        "() => [...document.querySelector('video').textTracks].some(t => t.mode === 'showing' "
        "&& t.activeCues && [...t.activeCues].some(c => c.text.includes('자막입니다')))"
    )
    page.evaluate("() => document.querySelector('video').pause()")
    page.wait_for_function("t => document.fonts.check('16px \"Noto Sans KR\"', t)", arg=CUE)
    page.wait_for_timeout(300)  # the cue box is laid out on the next frame
    assert_drawn_in_noto(page, CUE)
    page.locator("video").screenshot(path=str(SHOTS / "korean-caption-cue.png"))


@pytest.fixture
def staff_page(browser: Browser, live_server) -> Iterator[Page]:
    from lms.accounts.models import InstructorApplication
    from lms.catalog.models import Status
    from tests.factories import CourseFactory, UserFactory

    CourseFactory(status=Status.IN_REVIEW, publish_at=None, title="상담 품질 관리")
    InstructorApplication.objects.create(
        applicant=UserFactory(), experience="상담 8년", years_in_field=8, proposed_topic="코칭"
    )
    staff = UserFactory(is_staff=True, is_superuser=True, display_name="운영자")
    context = signed_in_context(browser, live_server.url, staff)
    page = context.new_page()
    yield page
    close_quietly(context)


def font_requests(page: Page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if FONT_FILES in r.url else None)
    return seen


def test_the_admin_is_drawn_in_the_shipped_font(staff_page: Page):
    page = staff_page
    page.set_viewport_size(DESKTOP)
    page.goto("/admin/")
    page.wait_for_function("() => document.fonts.status === 'loaded'")
    assert_drawn_in_noto(page, "운영진이 처리할 일")  # our block
    assert_drawn_in_noto(page, "CS리더스포럼 관리")  # the site header
    shot(page, "admin-index")
    page.goto("/admin/catalog/course/")
    page.wait_for_function("() => document.fonts.status === 'loaded'")
    assert_drawn_in_noto(page, "상담 품질 관리")  # a course's title in the change list


@pytest.mark.parametrize(("viewport", "name"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_an_error_page_is_drawn_in_the_shipped_font_from_a_few_slices(
    page: Page, live_server, viewport, name
):
    page.set_viewport_size(viewport)
    requested = font_requests(page)
    response = page.goto("/no-such-page/")
    assert response is not None
    assert response.status == 404
    page.wait_for_function("() => document.fonts.status === 'loaded'")
    assert_drawn_in_noto(page, "페이지를 찾을 수 없습니다")
    shot(page, f"error-404-{name}")
    # The stylesheets declare the font in unicode-range slices (about 120 a weight); the page
    # fetches only those its own text needs, each a WOFF2.
    declared = sum(
        (Path(settings.NODE_MODULES_DIR) / "@fontsource/noto-sans-kr" / f"{w}.css")
        .read_text()
        .count("unicode-range")
        for w in (400, 700)
    )
    print(f"\n{name}: {len(requested)} of {declared} Noto Sans KR slices fetched")
    assert declared > 100
    assert 0 < len(requested) <= 20, requested
    assert all(url.endswith(".woff2") for url in requested), requested


def _boxes(page: Page, selector: str) -> list[dict[str, float]]:
    return page.eval_on_selector_all(
        selector,
        "els => els.filter(e => e.offsetParent !== null).map(e => { "
        "const r = e.getBoundingClientRect(); "
        "return {text: e.textContent.trim(), left: r.left, right: r.right, "
        "top: r.top, bottom: r.bottom}; })",
    )


def _assert_apart(boxes: list[dict[str, float]], gap: float) -> None:
    """No two links' boxes touch: side by side at least `gap` px apart, or on other lines."""
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            same_line = a["top"] < b["bottom"] and b["top"] < a["bottom"]
            if same_line:
                apart = max(b["left"] - a["right"], a["left"] - b["right"])
                assert apart >= gap, (a["text"], b["text"], apart)


@pytest.mark.parametrize(("viewport", "name"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_header_links_stand_apart(staff_page: Page, viewport, name):
    page = staff_page
    page.set_viewport_size(viewport)
    page.goto("/")
    page.wait_for_function("() => document.fonts.status === 'loaded'")
    links = _boxes(page, ".site-header a, .site-header button")
    assert len(links) >= 9  # brand, 4 in the menu, bell, 2 queues, admin, sign out...
    _assert_apart(links, gap=8)
    assert page.locator(".staff-nav .queue-count").all_inner_texts() == ["1", "1"]
    page.locator(".site-header").screenshot(path=str(SHOTS / f"header-staff-{name}.png"))
    shot(page, f"home-staff-{name}")


def test_the_favicon_is_linked_and_served(page: Page, live_server):
    page.goto("/")
    href = page.get_attribute("link[rel=icon]", "href")
    assert href
    icon = page.request.get(href)
    assert icon.status == 200
    assert icon.headers["content-type"] == "image/svg+xml"
    assert icon.body().startswith(b"<svg")
    # What browsers ask for by themselves leads to the same icon.
    old = page.request.get("/favicon.ico")
    assert old.status == 200
    assert old.headers["content-type"] == "image/svg+xml"
    # The admin links it too.
    page.goto("/admin/login/")
    assert page.get_attribute("link[rel=icon]", "href") == href
