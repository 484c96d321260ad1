"""Mails reach readers in Korean they can read: plain text (the reader's own font), or HTML
that names Korean fonts (lms/core/mail.py says why a web font cannot be relied on there)."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.test import Client

from lms.accounts.services import user_create_verified
from lms.core.mail import MAIL_FONT_FAMILY


def _html_parts(message) -> list[str]:
    parts = [str(c) for c, kind in getattr(message, "alternatives", []) if kind == "text/html"]
    if message.content_subtype == "html":
        parts.append(str(message.body))
    return parts


def assert_readable_in_korean(message) -> None:
    for html in _html_parts(message):
        assert "Malgun Gothic" in html, "an HTML mail without Korean fonts"
        assert "Apple SD Gothic Neo" in html, "an HTML mail without Korean fonts"


def test_the_password_reset_mail_is_korean_plain_text(db, mailoutbox):
    user_create_verified(email="kim@example.com", password="pass-word-123")
    Client().post("/accounts/password/reset/", {"email": "kim@example.com"})
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert "비밀번호를 다시 설정하려면 아래 링크를 여세요" in message.body
    assert_readable_in_korean(message)


def test_the_check_catches_an_html_mail_without_korean_fonts():
    bare = EmailMultiAlternatives("제목", "본문", to=["a@example.com"])
    bare.attach_alternative("<p>안녕하세요</p>", "text/html")
    with pytest.raises(AssertionError):
        assert_readable_in_korean(bare)
    styled = EmailMultiAlternatives("제목", "본문", to=["a@example.com"])
    styled.attach_alternative(f'<p style="font-family: {MAIL_FONT_FAMILY}">안녕</p>', "text/html")
    assert_readable_in_korean(styled)


def test_html_mail_templates_name_korean_fonts():
    # allauth and Django send an HTML part when a `…_message.html` / `email/*.html` exists.
    templates = Path(settings.BASE_DIR, "templates")
    for path in [*templates.rglob("*_message.html"), *templates.rglob("email/*.html")]:
        text = path.read_text()
        assert "Malgun Gothic" in text, path
        assert "Apple SD Gothic Neo" in text, path
