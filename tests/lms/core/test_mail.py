"""The outbox: the embedded mode's mail when no mail server is configured (lms.core.mail)."""

import json
from io import StringIO

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives, send_mail
from django.core.management import call_command

from lms.core.models import OutboxMessage
from tests.factories import UserFactory
from tests.lms.core.test_settings import _python

OUTBOX = "lms.core.mail.OutboxEmailBackend"
SHOW_MAIL = (
    "import json, django; django.setup(); from django.conf import settings as s;"
    "print(json.dumps([s.EMAIL_BACKEND, s.EMAIL_HOST]))"
)


def _embedded_mail(tmp_path, **env: str) -> list:
    result = _python(
        SHOW_MAIL, DJANGO_SETTINGS_MODULE="lms.settings.embedded", LMS_VAR_DIR=str(tmp_path), **env
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_embedded_mode_keeps_mail_in_the_outbox_until_a_mail_server_is_set(tmp_path):
    assert _embedded_mail(tmp_path)[0] == OUTBOX
    backend, host = _embedded_mail(tmp_path, EMAIL_HOST="smtp.example.org")
    assert (backend, host) == ("django.core.mail.backends.smtp.EmailBackend", "smtp.example.org")
    assert _embedded_mail(tmp_path, EMAIL_BACKEND="x.Backend")[0] == "x.Backend"


@pytest.mark.django_db
def test_the_outbox_keeps_each_message_with_its_text_and_html(settings):
    settings.EMAIL_BACKEND = OUTBOX
    send_mail("확인 메일", "링크: http://x/confirm/abc/", None, ["new@example.com"])
    message = EmailMultiAlternatives(
        "안내", "본문", "a@example.com", ["b@example.com"], cc=["c@example.com"]
    )
    message.attach_alternative("<p>본문</p>", "text/html")
    message.send()

    first, second = OutboxMessage.objects.order_by("id")
    assert (first.to, first.subject, first.body) == (
        "new@example.com",
        "확인 메일",
        "링크: http://x/confirm/abc/",
    )
    assert first.from_email == settings.DEFAULT_FROM_EMAIL
    assert (second.to, second.html) == ("b@example.com, c@example.com", "<p>본문</p>")
    assert mail.outbox == []  # nothing went to the test backend: the outbox took it


@pytest.mark.django_db
def test_superusers_read_the_outbox_in_the_admin_and_nobody_edits_it(staff_client):
    row = OutboxMessage.objects.create(to="new@example.com", subject="확인 메일", body="링크")

    listing = staff_client.get("/admin/core/outboxmessage/")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "보낸 메일함" in page
    assert "확인 메일" in page
    assert "받는 사람" in page
    detail = staff_client.get(f"/admin/core/outboxmessage/{row.pk}/change/").content.decode()
    assert "링크" in detail
    assert 'name="subject"' not in detail
    assert staff_client.get("/admin/core/outboxmessage/add/").status_code == 403
    staff_client.post(f"/admin/core/outboxmessage/{row.pk}/change/", {"subject": "바꿈"})
    row.refresh_from_db()
    assert row.subject == "확인 메일"


@pytest.mark.django_db
def test_staff_who_are_not_superusers_cannot_read_other_members_links_in_the_outbox(client):
    # The outbox holds password-reset links of every member, superusers' too.
    client.force_login(UserFactory(is_staff=True))
    assert client.get("/admin/core/outboxmessage/").status_code == 403


@pytest.mark.django_db
def test_mail_destination_names_the_outbox_or_the_smtp_server(settings):
    settings.EMAIL_BACKEND = OUTBOX
    out = StringIO()
    call_command("mail_destination", base_url="http://127.0.0.1:8000", stdout=out)
    assert out.getvalue().strip() == (
        "메일: 메일 서버가 설정되지 않아 관리자 화면의 보낸 메일함에 보관됩니다 "
        "(http://127.0.0.1:8000/admin/core/outboxmessage/). 보내려면 EMAIL_HOST를 설정하세요."
    )
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "smtp.example.org", 587
    out = StringIO()
    call_command("mail_destination", stdout=out)
    assert out.getvalue().strip() == "메일: SMTP로 보냅니다 (서버 smtp.example.org:587)."
