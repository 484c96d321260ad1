"""Upload and video-processing API (session auth + CSRF, or a token). Thin: parse, authorise,
call one service, serialize. The protocol is described in `uploads.py`.

    POST   /api/v1/uploads                        start: {lecture, filename, size, content_type,
                                                  head (base64 of the first 64 KiB)}
    GET    /api/v1/uploads/<id>                   state and the parts the server holds
    DELETE /api/v1/uploads/<id>                   cancel (parts deleted)
    POST   /api/v1/uploads/<id>/parts/<n>/url     where to PUT part n
    PUT    /api/v1/uploads/<id>/parts/<n>         part n's bytes (embedded mode only)
    POST   /api/v1/uploads/<id>/complete          {parts: [{number, etag}]}
    GET    /api/v1/videos/<asset>/status          processing state, progress, ETA, poster
    POST   /api/v1/videos/<asset>/cancel          cancel the running encode
    POST   /api/v1/videos/<asset>/retry           try a failed or cancelled encode again

Errors are `{"message", "code", "extra"}` (lms.core.api); what a person may not touch is 404.

Longer than 400 lines: each view sits beside the serializers that document its answers.
"""

import base64
import binascii
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import BaseParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lms.accounts.models import User
from lms.core.errors import Conflict

from . import failures, jobs, selectors, uploads
from .models import Upload
from .upload_store import PartInfo, PartTarget
from .video_panel import video_status_data

MAX_HEAD_BASE64_CHARS = 4 * (64 * 1024 // 3 + 1)


class ErrorSerializer(serializers.Serializer[Any]):
    message = serializers.CharField()
    code = serializers.CharField()
    extra = serializers.DictField()


class PartSerializer(serializers.Serializer[Any]):
    number = serializers.IntegerField()
    size = serializers.IntegerField()
    etag = serializers.CharField()


class UploadCreateSerializer(serializers.Serializer[Any]):
    lecture = serializers.IntegerField(min_value=1)
    filename = serializers.CharField(max_length=255)
    size = serializers.IntegerField(min_value=0, help_text="The file's size in bytes.")
    content_type = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="The browser's idea of the type: a hint only; the content is checked.",
    )
    head = serializers.CharField(
        max_length=MAX_HEAD_BASE64_CHARS,
        help_text=(
            "Base64 of the file's first min(65536, size) bytes: checked at once, so that a "
            "playlist, an image or a text file is refused before any part is sent."
        ),
    )

    def validate_head(self, value: str) -> bytes:
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise serializers.ValidationError(_("The head is not valid base64.")) from exc


class UploadSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    lecture = serializers.IntegerField(allow_null=True)
    state = serializers.CharField(help_text="open, completed, aborted or expired.")
    filename = serializers.CharField()
    size = serializers.IntegerField()
    part_size = serializers.IntegerField(help_text="All parts but the last have this size.")
    parts_count = serializers.IntegerField()
    concurrency = serializers.IntegerField(help_text="How many parts to send at a time.")
    expires_at = serializers.DateTimeField(
        help_text="Left idle until then, the upload is cancelled and its parts deleted."
    )
    parts = PartSerializer(many=True, help_text="The parts the server holds: resume from here.")
    asset = serializers.IntegerField(allow_null=True, help_text="The video, once complete.")
    failure_code = serializers.CharField()
    failure_message = serializers.CharField()


class PartTargetSerializer(serializers.Serializer[Any]):
    url = serializers.CharField()
    method = serializers.CharField()
    size = serializers.IntegerField(help_text="The exact number of bytes to send.")
    expires_at = serializers.DateTimeField(allow_null=True)
    direct = serializers.BooleanField(
        help_text="True: object storage; send no cookies or CSRF header, read the ETag header."
    )


class CompletePartSerializer(serializers.Serializer[Any]):
    number = serializers.IntegerField(min_value=1)
    etag = serializers.CharField(max_length=128)


class CompleteSerializer(serializers.Serializer[Any]):
    parts: "serializers.ListSerializer[Any]" = serializers.ListSerializer(
        child=CompletePartSerializer(), max_length=10_000, allow_empty=False
    )


class VideoStatusSerializer(serializers.Serializer[Any]):
    asset = serializers.IntegerField()
    state = serializers.CharField()
    state_label = serializers.CharField()
    ready = serializers.BooleanField()
    ready_version = serializers.IntegerField(allow_null=True)
    duration_seconds = serializers.IntegerField(allow_null=True)
    poster = serializers.CharField(allow_null=True, help_text="Signed, short-lived URL.")
    active = serializers.BooleanField(help_text="An encode is queued or running: poll again.")
    job = serializers.IntegerField(allow_null=True)
    job_state = serializers.CharField(allow_null=True)
    job_state_label = serializers.CharField(allow_null=True)
    progress = serializers.FloatField(help_text="0 to 1.")
    eta_seconds = serializers.IntegerField(allow_null=True)
    attempt = serializers.IntegerField(allow_null=True)
    failure_code = serializers.CharField()
    failure_message = serializers.CharField()
    can_cancel = serializers.BooleanField()
    can_retry = serializers.BooleanField(help_text="The failure is one another try can fix.")
    status_url = serializers.CharField()
    cancel_url = serializers.CharField()
    retry_url = serializers.CharField()


class CompleteResponseSerializer(serializers.Serializer[Any]):
    upload = UploadSerializer()
    video = VideoStatusSerializer()


class PartBodyParser(BaseParser):
    """Names the part body's type in the schema. The view streams `request.stream` itself and
    never parses the body, so a part is never held in memory."""

    media_type = "application/octet-stream"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        raise NotImplementedError


def _user(request: Request) -> User:
    return request.user  # type: ignore[return-value]  # IsAuthenticated


def _part_json(part: PartInfo) -> dict[str, Any]:
    return {"number": part.number, "size": part.size, "etag": part.etag}


def _upload_json(upload: Upload, *, parts: list[PartInfo] | None = None) -> dict[str, Any]:
    if parts is None:
        parts = uploads.upload_parts(upload=upload)
    return {
        "id": upload.pk,
        "lecture": upload.lecture_id,
        "state": upload.state,
        "filename": upload.filename,
        "size": upload.size,
        "part_size": upload.part_size,
        "parts_count": upload.parts_count,
        "concurrency": uploads.upload_concurrency(),
        "expires_at": upload.expires_at,
        "parts": [_part_json(part) for part in parts],
        "asset": upload.asset_id,
        "failure_code": upload.failure_code,
        "failure_message": (
            failures.failure_message(upload.failure_code, {}) if upload.failure_code else ""
        ),
    }


def _target_json(target: PartTarget) -> dict[str, Any]:
    return {
        "url": target.url,
        "method": target.method,
        "size": target.size,
        "expires_at": target.expires_at,
        "direct": target.direct,
    }


ERRORS = {
    400: ErrorSerializer,
    404: ErrorSerializer,
    409: ErrorSerializer,
    422: ErrorSerializer,
    503: ErrorSerializer,
}


class UploadListApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        operation_id="upload_start",
        request=UploadCreateSerializer,
        responses={201: UploadSerializer, **ERRORS},
        description=(
            "Start a resumable upload of a lecture's video. 404 for a lecture the user may "
            "not edit; 400 `empty_file`, `file_too_large`; 422 `not_a_video`, "
            "`playlist_or_reference_file` when the head is no video."
        ),
    )
    def post(self, request: Request) -> Response:
        data = UploadCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        lecture = selectors.access_lecture_for_upload(_user(request), lecture_id=values["lecture"])
        upload = uploads.upload_start(
            user=_user(request),
            lecture=lecture,
            filename=values["filename"],
            size=values["size"],
            content_type=values["content_type"],
            head=values["head"],
        )
        return Response(_upload_json(upload, parts=[]), status=status.HTTP_201_CREATED)


class UploadDetailApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        operation_id="upload_get",
        responses={200: UploadSerializer, **ERRORS},
        description="The upload's state and the parts the server holds (resume from here).",
    )
    def get(self, request: Request, upload_id: int) -> Response:
        upload = selectors.access_upload(_user(request), upload_id=upload_id)
        return Response(_upload_json(upload))

    @extend_schema(
        operation_id="upload_abort",
        responses={200: UploadSerializer, **ERRORS},
        description="Cancel the upload and delete its parts. 409 once it is complete.",
    )
    def delete(self, request: Request, upload_id: int) -> Response:
        upload = selectors.access_upload(_user(request), upload_id=upload_id)
        upload = uploads.upload_abort(upload=upload)
        return Response(_upload_json(upload, parts=[]))


class UploadPartUrlApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        operation_id="upload_part_url",
        request=None,
        responses={200: PartTargetSerializer, **ERRORS},
        description=(
            "Where to PUT part n, and its exact size. S3: a URL presigned for this upload, "
            "part and size, valid for UPLOAD_PART_URL_TTL_SECONDS; embedded mode: the "
            "platform's part URL. 400 `part_number_out_of_range`; 409 `upload_completed`, "
            "`upload_aborted`, `upload_expired`."
        ),
    )
    def post(self, request: Request, upload_id: int, number: int) -> Response:
        upload = selectors.access_upload(_user(request), upload_id=upload_id)
        target = uploads.upload_part_target(upload=upload, number=number)
        return Response(_target_json(target))


class UploadPartApi(APIView):
    permission_classes = (IsAuthenticated,)
    parser_classes = (PartBodyParser,)

    @extend_schema(
        operation_id="upload_part_put",
        request={"application/octet-stream": OpenApiTypes.BINARY},
        responses={200: PartSerializer, 411: ErrorSerializer, **ERRORS},
        description=(
            "Part n's bytes (embedded mode), exactly its size: streamed to disk, never held in "
            "memory. Sending a stored part again with the same bytes is harmless (same ETag); "
            "different bytes get 409 `part_conflict` and the stored part is kept. 400 "
            "`part_size_mismatch`, `part_incomplete`; 422 when part 1 is no video (the upload "
            "is cancelled)."
        ),
    )
    def put(self, request: Request, upload_id: int, number: int) -> Response:
        upload = selectors.access_upload(_user(request), upload_id=upload_id)
        part = uploads.upload_part_receive(
            upload=upload,
            number=number,
            stream=request.stream or _EMPTY,
            content_length=_content_length(request),
        )
        response = Response(_part_json(part))
        response["ETag"] = part.etag
        return response


class _Empty:
    def read(self, size: int = -1, /) -> bytes:
        return b""


_EMPTY = _Empty()


def _content_length(request: Request) -> int | None:
    if request.META.get("HTTP_TRANSFER_ENCODING"):
        return None
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None


class UploadCompleteApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        operation_id="upload_complete",
        request=CompleteSerializer,
        responses={200: CompleteResponseSerializer, **ERRORS},
        description=(
            "Assemble the parts into the video, check it, start its encoding and give it to "
            "the lecture (a published lecture keeps playing its old video until the new one "
            "is ready). Repeating it is harmless. 409 `parts_missing`, `part_etag_mismatch`, "
            "`part_size_mismatch`; 422 when the file is no video."
        ),
    )
    def post(self, request: Request, upload_id: int) -> Response:
        upload = selectors.access_upload(_user(request), upload_id=upload_id)
        data = CompleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        parts = [(p["number"], p["etag"]) for p in data.validated_data["parts"]]
        upload = uploads.upload_complete(upload=upload, parts=parts, user=_user(request))
        asset = upload.asset
        assert asset is not None
        video = video_status_data(asset=asset, lecture_id=upload.lecture_id)
        return Response({"upload": _upload_json(upload, parts=[]), "video": video})


class VideoStatusApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        operation_id="video_status",
        responses={200: VideoStatusSerializer, 404: ErrorSerializer},
        description="Processing state of a video: poll every few seconds while `active`.",
    )
    def get(self, request: Request, asset_id: int) -> Response:
        asset = selectors.access_video(_user(request), asset_id=asset_id)
        lecture_id = selectors.lecture_for_video(asset=asset)
        return Response(video_status_data(asset=asset, lecture_id=lecture_id))


class VideoCancelApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        operation_id="video_cancel",
        request=None,
        responses={200: VideoStatusSerializer, 404: ErrorSerializer, 409: ErrorSerializer},
        description="Cancel the queued or running encode. 409 `transcode_not_active`.",
    )
    def post(self, request: Request, asset_id: int) -> Response:
        asset = selectors.access_video(_user(request), asset_id=asset_id)
        job = selectors.transcode_job_active(asset=asset)
        if job is None:
            raise Conflict(
                _("This encoding has already finished; there is nothing to cancel."),
                code="transcode_not_active",
            )
        jobs.transcode_cancel(job=job, cancelled_by=_user(request))
        asset.refresh_from_db()
        lecture_id = selectors.lecture_for_video(asset=asset)
        return Response(video_status_data(asset=asset, lecture_id=lecture_id))


class VideoRetryApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        operation_id="video_retry",
        request=None,
        responses={
            200: VideoStatusSerializer,
            404: ErrorSerializer,
            409: OpenApiResponse(
                ErrorSerializer,
                description="`transcode_not_retryable`, `transcode_in_progress`, "
                "`failure_not_retryable` (the file itself is the problem: upload another).",
            ),
        },
        description="Encode the video again after a failure another try can fix.",
    )
    def post(self, request: Request, asset_id: int) -> Response:
        asset = selectors.access_video(_user(request), asset_id=asset_id)
        job = selectors.transcode_job_latest(asset=asset)
        if job is None:
            raise Conflict(
                _("Only a failed or cancelled encoding can be tried again."),
                code="transcode_not_retryable",
            )
        if job.failure_code and job.failure_code not in failures.RETRYABLE_FAILURES:
            raise Conflict(
                _("Trying again will not help: %(reason)s Upload another file.")
                % {"reason": job.failure_message},
                code="failure_not_retryable",
            )
        jobs.transcode_retry(job=job, requested_by=_user(request))
        asset.refresh_from_db()
        lecture_id = selectors.lecture_for_video(asset=asset)
        return Response(video_status_data(asset=asset, lecture_id=lecture_id))
