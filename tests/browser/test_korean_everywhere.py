"""Korean drawn in the shipped Noto Sans KR on a machine without any Korean system font (this
one, and a learner's PC or phone without one): caption cues, the admin, an error page. What
Chromium actually drew with is read from DevTools (CSS.getPlatformFontsForNode), the way the
Elements panel's "Rendered fonts" shows it; the video's cues are reached through its shadow root.
Also: the font comes in unicode-range slices (a page loads only the few it needs), the header's
links are apart from each other, and the favicon is served. Screenshots: test-results/browser/."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.conftest import close_quietly, signed_in_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "browser"
FONT = "Noto Sans KR"
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


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
    """The fonts Chromium drew the first text node containing `text` with (shadow roots
    included): family name → glyph count."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"]
    for node in _walk(root):
        if node.get("nodeType") == 3 and text in node.get("nodeValue", ""):
            fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["parentId"]})
            cdp.detach()
            return {f["familyName"]: f["glyphCount"] for f in fonts["fonts"]}
    cdp.detach()
    raise AssertionError(f"no text node with {text!r}")


def assert_drawn_in_noto(page: Page, text: str) -> None:
    fonts = rendered_fonts(page, text)
    hangul = sum(1 for ch in text if "가" <= ch <= "힣")
    # The files name themselves "Noto Sans KR Thin" (fontsource's), whatever weight they hold.
    from_noto = sum(n for family, n in fonts.items() if family.startswith(FONT))
    assert from_noto >= hangul, fonts  # every Hangul glyph from the shipped font
    assert page.evaluate("([f, t]) => document.fonts.check(`16px \"${f}\"`, t)", [FONT, text])


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
    page.evaluate(
        "() => { const v = document.querySelector('video'); v.muted = true; v.play(); }"
    )
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
    page.wait_for_function(f"() => document.fonts.check('16px \"{FONT}\"', '안녕하세요 자막입니다')")
    page.wait_for_timeout(300)  # the cue box is laid out on the next frame
    assert_drawn_in_noto(page, "안녕하세요 자막입니다")
    page.locator("video").screenshot(path=str(SHOTS / "korean-caption-cue.png"))
