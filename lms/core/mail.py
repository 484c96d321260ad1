"""The outbox: a mail backend that keeps every message in the database instead of sending it.

The embedded mode uses it when no mail server is configured (`EMAIL_HOST` unset), so that a
sign-up's confirmation link or a notification is not lost: staff read the messages in the admin
("sent e-mails (outbox)"). With a mail server, the SMTP backend sends them.

The platform's mails are plain text, which every mail client shows in the reader's own Korean
font. An HTML mail, if one is ever added, names Korean fonts in its font-family
(MAIL_FONT_FAMILY): mail clients do not load web fonts reliably (Gmail and Outlook drop
@font-face), so the shipped Noto Sans KR cannot be counted on there, and a stack of the fonts
Korean systems have (Apple SD Gothic Neo, Malgun Gothic) keeps Hangul readable.
tests/lms/core/test_mail_fonts.py checks every mail the tests send.
"""

from collections.abc import Sequence

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend

from .models import OutboxMessage

MAIL_FONT_FAMILY = (
    '"Apple SD Gothic Neo", "Malgun Gothic", "맑은 고딕", "Noto Sans KR", "Nanum Gothic", '
    "sans-serif"
)


def _html_of(message: EmailMessage) -> str:
    if isinstance(message, EmailMultiAlternatives):
        for content, mimetype in message.alternatives:
            if mimetype == "text/html":
                return str(content)
    if message.content_subtype == "html":
        return str(message.body)
    return ""


class OutboxEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        rows = [
            OutboxMessage(
                to=", ".join([*message.to, *message.cc, *message.bcc]),
                subject=str(message.subject),
                body="" if message.content_subtype == "html" else str(message.body),
                html=_html_of(message),
                from_email=message.from_email or "",
            )
            for message in email_messages
        ]
        OutboxMessage.objects.bulk_create(rows)
        return len(rows)
