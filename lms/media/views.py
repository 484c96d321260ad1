"""Downloads of stored media files that are not played: the uploaded original of a video."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from . import selectors
from .files import stored_file_response


@require_GET
@login_required
def original_download(request: HttpRequest, asset_id: int) -> HttpResponse:
    """The file an instructor uploaded, to its lectures' editors and staff, as a download."""
    asset = selectors.access_video_original(request.user, asset_id=asset_id)  # type: ignore[arg-type]
    if not asset.original:
        raise Http404
    return stored_file_response(
        name=asset.original.name,
        content_type="application/octet-stream",
        download_name=asset.original_filename or f"video-{asset.pk}",
    )
