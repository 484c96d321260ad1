"""Serving a stored member file (a handout, an original upload) after the caller's access check,
the same way in both storage modes (DESIGN.md "Files from members").

The file always goes out as a download (`Content-Disposition: attachment`) with the type the
platform detected, `nosniff`, and `Content-Security-Policy: sandbox`, so that no browser ever
renders it as a page of the platform's origin. (Inline PDFs were considered: Chromium refuses to
show a PDF in a sandboxed document, and without the sandbox a PDF viewer is more surface than
a download is worth.) In S3 mode the answer is a redirect to a presigned URL that lives
`PLAYBACK_URL_TTL_SECONDS` and makes S3 send the same type and disposition; the bytes never
pass through Django.
"""

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header
from storages.backends.s3 import S3Storage

PRIVATE_CACHE = "private, no-store"


def _s3(storage: object) -> S3Storage | None:
    wrapped = getattr(storage, "_wrapped", storage)
    return wrapped if isinstance(wrapped, S3Storage) else None


def stored_file_response(*, name: str, content_type: str, download_name: str) -> HttpResponseBase:
    """The stored file `name` as a download called `download_name`. A missing file is a 404."""
    disposition = content_disposition_header(as_attachment=True, filename=download_name) or ""
    s3 = _s3(default_storage)
    if s3 is not None:
        url = s3.url(
            name,
            parameters={
                "ResponseContentType": content_type,
                "ResponseContentDisposition": disposition,
                "ResponseCacheControl": PRIVATE_CACHE,
            },
            expire=int(settings.PLAYBACK_URL_TTL_SECONDS),
        )
        response: HttpResponseBase = HttpResponseRedirect(url)
    else:
        try:
            handle = default_storage.open(name, "rb")
        except (FileNotFoundError, OSError) as exc:
            raise Http404 from exc
        response = FileResponse(handle, content_type=content_type)
        response["Content-Disposition"] = disposition
        response["Content-Security-Policy"] = "sandbox"
        response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = PRIVATE_CACHE
    return response
