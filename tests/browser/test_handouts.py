"""A learner opens a handout an instructor uploaded, and nothing in it runs (issue 17, finding 1).

The file passes the content check (a PDF whose markup sits past the part that is read), so the
only thing between its script and the learner is how the platform serves it."""

import contextlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lms.studio.services import attachment_add
from tests.factories import LectureFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCRIPT = b"""<html><body><script>
const csrf = document.cookie.split('; ').find((c) => c.startsWith('csrftoken='));
fetch('/api/v1/me/preferences', {method: 'PATCH', credentials: 'include',
  headers: {'Content-Type': 'application/json', 'X-CSRFToken': (csrf || '').split('=')[1]},
  body: JSON.stringify({playback_rate: 2})});
document.title = 'owned';
</script></body></html>"""
HOSTILE = b"%PDF-1.4\n" + b"%" + b"x" * (70 * 1024) + b"\n" + SCRIPT + b"\n%%EOF\n"


def test_a_learner_opening_a_handout_runs_none_of_its_script(member_page, live_server):
    lecture = LectureFactory(title="1강")
    attachment = attachment_add(
        lecture=lecture, title="1강 슬라이드", upload=SimpleUploadedFile("slides.pdf", HOSTILE)
    )
    page = member_page
    user = page.user  # type: ignore[attr-defined]
    page.goto(f"/courses/{lecture.course.slug}/lectures/{lecture.position}/")
    link = page.get_by_role("link", name="1강 슬라이드")

    with page.expect_download() as download:
        link.click()
    # Opened in a tab of its own, as a learner may do with a link: still only a download.
    tab = page.context.new_page()
    # (Chromium aborts a navigation that turns into a download: that error is expected.)
    with tab.expect_download() as direct, contextlib.suppress(Exception):
        tab.goto(live_server.url + f"/handouts/{attachment.pk}/")
    page.wait_for_timeout(1000)

    assert download.value.suggested_filename == "1강 슬라이드.pdf"
    assert direct.value.suggested_filename == "1강 슬라이드.pdf"
    assert tab.title() != "owned"
    assert page.title() != "owned"
    user.refresh_from_db()
    assert float(user.playback_rate) == 1.0
