"""Let the platform's pages upload to and play from the S3 bucket (CORS).

    manage.py upload_bucket_cors --origin https://lms.example.org

Without it a browser refuses to PUT parts to the bucket from the platform's pages, or cannot
read the ETag of a part (complete needs it); and players cannot read the video files: hls.js
fetches them with XHR, and a built-in HLS player (the `<video crossorigin>` of the lecture
page) in CORS mode. Defaults to CSRF_TRUSTED_ORIGINS.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from lms.media.upload_store import S3PartStore, StorageUnavailableError, part_store


class Command(BaseCommand):
    help = "Set the bucket's CORS rules so that browsers can upload video parts and play videos."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--origin",
            action="append",
            dest="origins",
            help="An origin the platform's pages are served from (repeatable), e.g. "
            "https://lms.example.org. Default: CSRF_TRUSTED_ORIGINS.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        origins: list[str] = options["origins"] or list(settings.CSRF_TRUSTED_ORIGINS)
        if not origins:
            raise CommandError("Name the platform's origin with --origin.")
        store = part_store()
        if not isinstance(store, S3PartStore):
            raise CommandError("The default storage is not S3 (STORAGE_BACKEND=s3).")
        try:
            store.cors_configure(origins)
        except StorageUnavailableError as exc:
            raise CommandError(f"The bucket could not be reached: {exc}") from exc
        self.stdout.write(f"CORS set on bucket {store.bucket} for {', '.join(origins)}")
