"""A member who uses only the keyboard: from the home page to a lecture playing, captions on,
then the next lecture, with Tab, Enter and the player's keys; every element the focus
passes on the way shows that it has the focus."""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: What the focused element is called (its name as a screen reader would start to say it)
#: and whether the focus can be seen on it (an outline or a ring of box shadow).
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  // Inside a video's native controls the browser rings the control it focused, which the
  // page cannot see (a closed shadow tree): count it as seen.
  if (el.tagName === "VIDEO") return { name: "VIDEO", tag: el.tagName, visible: true };
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const name = (el.getAttribute("aria-label") || el.innerText || el.value || el.tagName).trim();
  return { name: name.replace(/\\s+/g, " ").slice(0, 80), tag: el.tagName,
           visible: outline || style.boxShadow !== "none" };
}"""


def tab_to(page: Page, name: str | re.Pattern[str], *, limit: int = 80) -> list[dict]:
    """Press Tab until the focused element's name matches `name`; the stops on the way.
    Fails naming the stops if it is not reached in `limit` presses, or if the focus could
    not be seen on one of them."""
    stops: list[dict] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:
            continue
        stops.append(focused)
        if (
            re.search(name, focused["name"])
            if isinstance(name, re.Pattern)
            else focused["name"] == name
        ):
            unseen = [s for s in stops if not s["visible"]]
            assert not unseen, f"focus not visible on: {unseen}"
            return stops
    raise AssertionError(f"{name!r} not reached by Tab; focus went: {[s['name'] for s in stops]}")


def test_from_the_home_page_to_the_next_lecture_with_the_keyboard_alone(
    member_page: Page, watch_lecture
):
    page = member_page
    course = watch_lecture.course
    page.goto("/")

    tab_to(page, re.compile(re.escape(course.title)))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(course.title)

    tab_to(page, re.compile(re.escape(watch_lecture.title)))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/lectures/1/$"))
    page.wait_for_function("() => document.querySelector('video').readyState >= 2")
    page.evaluate("() => { document.querySelector('video').muted = true; }")  # a quiet test

    page.keyboard.press("Space")
    page.wait_for_function("() => document.querySelector('video').currentTime > 1")
    showing = (
        "() => [...document.querySelector('video').textTracks].some(t => t.mode === 'showing')"
    )
    captions = page.locator("[data-captions]")
    expect(captions).to_have_value("ko")  # Korean captions start on where there are any
    page.keyboard.press("c")
    expect(captions).to_have_value("")
    assert not page.evaluate(showing)
    page.keyboard.press("c")
    expect(captions).to_have_value("ko")
    page.wait_for_function(showing)
    page.keyboard.press("Space")
    assert page.evaluate("document.querySelector('video').paused")

    tab_to(page, re.compile("코칭의 이해"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/lectures/2/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("코칭의 이해")


def test_a_focus_that_cannot_be_seen_is_reported(page: Page, live_server):
    # The check itself: links whose focus ring is taken away fail the walk.
    page.goto("/accounts/login/")
    page.evaluate("() => document.querySelectorAll('a').forEach(a => a.style.outline = 'none')")
    with pytest.raises(AssertionError, match="focus not visible"):
        tab_to(page, "회원가입")
