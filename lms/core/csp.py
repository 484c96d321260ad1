"""The Content-Security-Policy header (django-csp), with the media storage's origin.

In S3 mode the browser fetches posters, storyboards, captions and video segments from the
storage's own origin and uploads parts straight to it; that origin is whatever the storage in
use builds its URLs with (endpoint, virtual-host bucket or custom domain), so it is read from
the storage rather than configured twice.
"""

from functools import lru_cache
from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.core.files.storage import Storage, storages
from django.http import HttpRequest, HttpResponseBase

STORAGE_DIRECTIVES = ("img-src", "media-src", "connect-src")


@lru_cache(maxsize=8)
def storage_origin(storage: Storage) -> str | None:
    """`scheme://host[:port]` of the storage's file URLs, None when they are the platform's."""
    url = urlsplit(storage.url("csp-origin-probe"))
    return f"{url.scheme}://{url.netloc}" if url.netloc else None


class StorageAwareCSPMiddleware(CSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        origin = storage_origin(storages["default"])
        if origin:
            update = dict(parts.update or {})
            for directive in STORAGE_DIRECTIVES:
                update[directive] = [*update.get(directive, ()), origin]
            parts.update = update
        return parts
