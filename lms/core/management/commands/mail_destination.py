"""One line saying where the platform's mail goes (scripts/start.sh prints it)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.urls import reverse


class Command(BaseCommand):
    help = "Say where the platform's e-mail goes: the admin's outbox, or an SMTP server."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--base-url", default=settings.SITE_URL)

    def handle(self, *args: Any, base_url: str, **options: Any) -> None:
        backend = settings.EMAIL_BACKEND
        if backend == "lms.core.mail.OutboxEmailBackend":
            where = base_url.rstrip("/") + reverse("admin:core_outboxmessage_changelist")
            line = (
                "메일: 메일 서버가 설정되지 않아 관리자 화면의 보낸 메일함에 보관됩니다 "
                f"({where}). 보내려면 EMAIL_HOST를 설정하세요."
            )
        elif backend == "django.core.mail.backends.smtp.EmailBackend":
            line = f"메일: SMTP로 보냅니다 (서버 {settings.EMAIL_HOST}:{settings.EMAIL_PORT})."
        else:
            line = f"메일: {backend}"
        self.stdout.write(line)
