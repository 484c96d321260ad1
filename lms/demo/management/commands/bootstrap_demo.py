from typing import Any

from django.conf import settings
from django.contrib.sites.models import Site
from django.core.management.base import BaseCommand, CommandError

from lms.accounts.models import User
from lms.catalog.models import Course
from lms.catalog.services import course_add_instructor
from lms.core.errors import AppError
from lms.demo.accounts import DEMO_ACCOUNTS, demo_accounts_ensure
from lms.demo.seed import seed_load_file
from lms.demo.video import demo_video_ensure


class Command(BaseCommand):
    help = "Load the seed catalog and the demo accounts (safe to run again)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--site-domain", default="127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        Site.objects.update_or_create(
            pk=settings.SITE_ID,
            defaults={"domain": options["site_domain"], "name": "CS리더스포럼"},
        )
        self.stdout.write("demo video: making and encoding it the first time (a few seconds)")
        video = demo_video_ensure()
        try:
            created = seed_load_file(video=video)
        except AppError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"seed catalog: created {created}")
        passwords = demo_accounts_ensure(secrets_file=settings.VAR_DIR / "demo-accounts.json")
        instructor = User.objects.get(email="instructor@example.com")
        for course in Course.objects.filter(instructors=None):
            course_add_instructor(course=course, user=instructor)
        self.stdout.write("demo accounts (e-mail / password):")
        for email, _name, _roles in DEMO_ACCOUNTS:
            self.stdout.write(f"  {email:28} {passwords.get(email, '(set before; unchanged)')}")
