"""Handouts are never active content: checked by content, stored under a server-chosen name with
the detected type's extension, and downloaded through the lecture's access rule as attachments
with that type, in both storage modes (issue 17, findings 1 and 2)."""

import importlib
import io
import re
import zipfile

import pytest
import requests
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import clear_url_caches

from lms.catalog.models import LectureAttachment, Status
from lms.core.errors import AppError
from lms.studio import services
from tests.factories import LectureFactory, UserFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HOSTILE_HTML = b"%PDF-1.4\n<html><script>document.title='owned'</script></html>\n%%EOF\n"
HOSTILE_SVG = (
    b"%PDF-1.4\n<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>\n%%EOF"
)


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def _add(lecture, name: str, data: bytes, title: str = "") -> LectureAttachment:
    return services.attachment_add(
        lecture=lecture, title=title, upload=SimpleUploadedFile(name, data)
    )


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("slides.html", HOSTILE_HTML),  # the finding: a PDF's first bytes, then a page
        ("slides.pdf", HOSTILE_HTML),  # the same bytes under a harmless name
        ("diagram.svg", HOSTILE_SVG),
        ("diagram.pdf", HOSTILE_SVG),
        ("page.xml", b'<?xml version="1.0"?><a/>'),
        ("script.js", b"%PDF-1.4\nfetch('/api/v1/me/preferences')\n%%EOF"),
    ],
)
def test_html_svg_xml_and_script_are_refused_whatever_their_first_bytes(name, data):
    lecture = LectureFactory()

    with pytest.raises(AppError) as error:
        _add(lecture, name, data)

    assert error.value.code == "active_content"
    assert "HTML" in error.value.message
    assert not LectureAttachment.objects.exists()


def test_a_file_that_only_starts_like_a_pdf_is_refused():
    with pytest.raises(AppError) as error:
        _add(LectureFactory(), "notes.pdf", b"%PDF-1.4\nnot really a document")
    assert error.value.code == "broken_pdf"


def test_a_handout_is_stored_under_a_server_chosen_name_with_its_detected_extension():
    lecture = LectureFactory()

    pdf = _add(lecture, "회의자료 final.PDF.exe.pdf", PDF, title="1강 슬라이드")
    docx = _add(lecture, "보고서.zip", _docx())

    assert pdf.kind == "pdf"
    assert docx.kind == "docx"
    assert re.fullmatch(rf"handouts/{lecture.pk}/[0-9a-f]{{32}}\.pdf", pdf.file.name)
    assert re.fullmatch(rf"handouts/{lecture.pk}/[0-9a-f]{{32}}\.docx", docx.file.name)
    assert default_storage.open(pdf.file.name).read() == PDF


def _download(client: Client, attachment: LectureAttachment):
    return client.get(f"/handouts/{attachment.pk}/")


def test_a_member_downloads_a_handout_as_an_attachment_of_its_detected_type(member_client):
    attachment = _add(LectureFactory(), "slides.pdf", PDF, title="1강 슬라이드")

    response = _download(member_client, attachment)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''1%EA%B0%95" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert b"".join(response.streaming_content) == PDF


def test_handouts_follow_the_lecture_access_rule(member_client, instructor):
    draft = LectureFactory(status=Status.DRAFT, publish_at=None)
    draft.course.instructors.add(instructor)
    attachment = _add(draft, "slides.pdf", PDF)
    editor = Client()
    editor.force_login(instructor)

    assert _download(Client(), attachment).status_code == 302  # to sign in
    assert _download(member_client, attachment).status_code == 404
    assert _download(editor, attachment).status_code == 200
    assert Client().get("/handouts/99999999999999999999/").status_code == 404


@pytest.fixture(params=[False, True], ids=["debug-off", "debug-on"])
def urls_as_loaded_with_debug(request, settings):
    """The URLconf as a process started with DEBUG off or on builds it (lms/urls.py decides
    its routes at import)."""
    import lms.urls

    settings.DEBUG = request.param
    importlib.reload(lms.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(lms.urls)
    clear_url_caches()


def test_no_stored_file_is_reachable_by_its_path(urls_as_loaded_with_debug, member_client):
    attachment = _add(LectureFactory(), "slides.pdf", PDF)
    path = "/media/" + attachment.file.name
    assert default_storage.exists(attachment.file.name)

    assert Client().get(path).status_code == 404
    assert member_client.get(path).status_code == 404


def test_the_uploaded_original_goes_to_the_lectures_editors_and_staff_only(
    member_client, instructor, staff_client
):
    from tests.factories import give_ready_videos

    lecture = LectureFactory()
    lecture.course.instructors.add(instructor)
    give_ready_videos(lecture.course)
    lecture.refresh_from_db()
    asset = lecture.video
    asset.original.save("uploads/" + "a" * 32, ContentFile(b"\x00\x00\x00\x18ftypmp42"))
    asset.original_filename = "1강 원본.mp4"
    asset.save()
    editor, other = Client(), Client()
    editor.force_login(instructor)
    other.force_login(UserFactory(is_instructor=True))
    url = f"/play/originals/{asset.pk}"

    assert Client().get(url).status_code == 302
    assert member_client.get(url).status_code == 404
    assert other.get(url).status_code == 404
    for client in (editor, staff_client):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert b"".join(response.streaming_content).endswith(b"ftypmp42")
    admin_page = staff_client.get(f"/admin/media/videoasset/{asset.pk}/change/").content.decode()
    assert f'href="{url}"' in admin_page
    assert "/media/uploads/" not in admin_page


def test_files_stored_before_the_check_are_renamed_or_removed():
    lecture = LectureFactory()
    good = LectureAttachment.objects.create(lecture=lecture, title="자료", kind="pdf")
    good.file.save(f"{lecture.pk}/abc/notes.pdf", ContentFile(PDF))
    hostile = LectureAttachment.objects.create(lecture=lecture, title="슬라이드", kind="pdf")
    hostile.file.save(f"{lecture.pk}/def/slides.html", ContentFile(HOSTILE_HTML))
    old_good, old_hostile = good.file.name, hostile.file.name

    fixed, removed = services.attachments_secure_stored(model=LectureAttachment)
    again = services.attachments_secure_stored(model=LectureAttachment)

    assert (fixed, removed) == (1, 1)
    assert again == (0, 0)
    good.refresh_from_db()
    assert re.fullmatch(rf"handouts/{lecture.pk}/[0-9a-f]{{32}}\.pdf", good.file.name)
    assert default_storage.open(good.file.name).read() == PDF
    assert not default_storage.exists(old_good)
    assert not LectureAttachment.objects.filter(pk=hostile.pk).exists()
    assert not default_storage.exists(old_hostile)


@pytest.mark.s3
def test_on_s3_a_handout_is_a_short_lived_presigned_download_with_the_same_headers(
    s3_storage, member_client
):
    attachment = _add(LectureFactory(), "slides.pdf", PDF, title="슬라이드")

    response = _download(member_client, attachment)

    assert response.status_code == 302
    url = response["Location"]
    assert "X-Amz-Signature=" in url
    assert "X-Amz-Expires=" in url
    fetched = requests.get(url, timeout=10)
    assert fetched.status_code == 200
    assert fetched.headers["Content-Type"] == "application/pdf"
    assert fetched.headers["Content-Disposition"].startswith("attachment;")
    assert fetched.content == PDF
    # The object itself, without the signature, is not public.
    assert requests.get(url.split("?", 1)[0], timeout=10).status_code == 403
