"""Progress API: heartbeats from the player, and progress reads. Thin: parse, authorise, call.

Heartbeat bodies are checked by `services.progress_record` (`reports.report_parse`, cheap); the
OpenAPI schema shows their format as `reports.HEARTBEAT_SCHEMA` states it.
"""

import logging
from datetime import datetime
from typing import Any, cast

from django.db import OperationalError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lms.accounts.models import User
from lms.core.errors import AppError
from lms.core.throttling import WindowScopedRateThrottle

from . import reports, selectors, services
from .auth import HeartbeatKeyAuthentication, KeyHolder

logger = logging.getLogger(__name__)


class ProgressUnavailable(exceptions.APIException):
    """The database did not answer, or is away: nothing was stored. The player keeps its
    reports on a 5xx and sends them again (with Retry-After, as after a 429)."""

    status_code = 503
    default_detail = gettext_lazy(
        "Progress cannot be saved right now. Your player keeps it and sends it again shortly."
    )
    default_code = "progress_unavailable"
    wait = 10


class ProgressErrorSerializer(serializers.Serializer[Any]):
    """Every API error (lms.core.api.exception_handler)."""

    message = serializers.CharField()
    code = serializers.CharField()
    extra = serializers.DictField()


class LectureProgressSerializer(serializers.Serializer[Any]):
    lecture = serializers.IntegerField()
    duration_seconds = serializers.IntegerField()
    state = serializers.ChoiceField(choices=["not_started", "in_progress", "completed"])
    percent = serializers.IntegerField(min_value=0, max_value=100)
    covered_seconds = serializers.FloatField()
    credited_seconds = serializers.FloatField(
        help_text="Weighted coverage that completion is measured against (HRD: real time)."
    )
    completed = serializers.BooleanField()
    completed_at = serializers.DateTimeField(allow_null=True)
    completion_deferred = serializers.BooleanField(
        help_text="HRD: threshold reached but today's lecture cap too; counts on a later day."
    )
    position = serializers.FloatField()
    resume_position = serializers.FloatField(help_text="0 when the position is near the end.")
    furthest_position = serializers.FloatField()
    coverage = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField()),
        help_text="Credited ranges [start, end] (or [start, end, weight] for HRD sped-up play).",
    )
    threshold = serializers.IntegerField()
    policy = serializers.ChoiceField(choices=["community", "hrd"])


class HeartbeatResultSerializer(LectureProgressSerializer):
    refused_seconds = serializers.FloatField(
        help_text="Played time not credited: past the furthest point (HRD) or too fast."
    )


class HeartbeatResponseSerializer(serializers.Serializer[Any]):
    lectures = HeartbeatResultSerializer(many=True)


class CourseLectureStateSerializer(serializers.Serializer[Any]):
    lecture = serializers.IntegerField()
    position = serializers.IntegerField()
    title = serializers.CharField()
    state = serializers.ChoiceField(choices=["not_started", "in_progress", "completed"])
    percent = serializers.IntegerField()
    completed_at = serializers.DateTimeField(allow_null=True)
    resume_position = serializers.FloatField()


class CourseProgressSerializer(serializers.Serializer[Any]):
    course = serializers.IntegerField()
    percent = serializers.IntegerField(min_value=0, max_value=100)
    completed_lectures = serializers.IntegerField()
    total_lectures = serializers.IntegerField()
    completed_at = serializers.DateTimeField(allow_null=True)
    lectures = CourseLectureStateSerializer(many=True)


def _iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def _progress_data(view: selectors.LectureProgressView) -> dict[str, Any]:
    """LectureProgressSerializer's shape, built directly (the heartbeat path is hot)."""
    return {
        "lecture": view.lecture_id,
        "duration_seconds": view.duration_seconds,
        "state": view.state,
        "percent": view.percent,
        "covered_seconds": view.covered_seconds,
        "credited_seconds": view.credited_seconds,
        "completed": view.completed,
        "completed_at": _iso(view.completed_at),
        "completion_deferred": view.completion_deferred,
        "position": view.position,
        "resume_position": view.resume_position,
        "furthest_position": view.furthest_position,
        "coverage": view.coverage,
        "threshold": view.threshold,
        "policy": view.policy,
    }


_ERRORS = {
    400: OpenApiResponse(
        ProgressErrorSerializer, description="Invalid report; nothing was stored."
    ),
    403: OpenApiResponse(
        ProgressErrorSerializer, description="Not signed in, or a foreign session."
    ),
    404: OpenApiResponse(ProgressErrorSerializer, description="Lecture missing or not published."),
    409: OpenApiResponse(ProgressErrorSerializer, description="Session of another lecture."),
    413: OpenApiResponse(ProgressErrorSerializer, description="Body too large."),
    429: OpenApiResponse(ProgressErrorSerializer, description="Too many heartbeats."),
    503: OpenApiResponse(
        ProgressErrorSerializer,
        description="The database could not take it in time; nothing was stored. Send it "
        "again after Retry-After.",
    ),
}


class HeartbeatApi(APIView):
    """Record what the player played. Queue every ~10 s of watching; send the queue every ~60 s
    and at once on pause, seek, rate change, ended and page hide (`fetch(..., {keepalive:
    true})` with the CSRF header under a session; `navigator.sendBeacon` cannot send that
    header). Flush reports queued while offline as one batch. On a 4xx, drop the report: it
    will never be accepted."""

    # The player's key first: a player sends it with the page's cookies, and the session is
    # then never read.
    authentication_classes = (
        HeartbeatKeyAuthentication,
        TokenAuthentication,
        SessionAuthentication,
    )
    permission_classes = (IsAuthenticated,)
    throttle_classes = (WindowScopedRateThrottle,)
    throttle_scope = "heartbeats"
    # JSON only: a player has no use for the browsable API, and every heartbeat would pay for
    # choosing between the two.
    renderer_classes = (JSONRenderer,)

    @extend_schema(
        operation_id="progress_heartbeats",
        request={"application/json": reports.HEARTBEAT_SCHEMA},
        responses={200: HeartbeatResponseSerializer, **_ERRORS},
    )
    def post(self, request: Request) -> Response:
        holder = request.auth if isinstance(request.auth, KeyHolder) else None
        issued_at = holder.issued_at if holder else None
        try:
            answer = heartbeat_answer(cast(User, request.user), request.data, issued_at=issued_at)
        except OperationalError as exc:
            logger.warning("A heartbeat was not stored: %s", exc)
            raise ProgressUnavailable from exc
        return Response(answer)


def heartbeat_answer(user: User, data: Any, *, issued_at: datetime | None = None) -> dict[str, Any]:
    """Record the reports in a parsed heartbeat body; the response body. Raises AppError."""
    if not isinstance(data, dict):
        raise AppError(_('Send one report object or {"reports": [...]}.'), code="invalid_report")
    reports = data.get("reports", [data])
    if not isinstance(reports, list):
        raise AppError(_("“reports” must be a list."), code="invalid_report")
    results = services.progress_record(user=user, reports=reports, issued_at=issued_at)
    return {
        "lectures": [
            {**_progress_data(r.progress), "refused_seconds": r.refused_seconds} for r in results
        ]
    }


class LectureProgressApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        operation_id="progress_lecture",
        responses={200: LectureProgressSerializer, 403: _ERRORS[403], 404: _ERRORS[404]},
    )
    def get(self, request: Request, lecture_id: int) -> Response:
        user = cast(User, request.user)
        lecture = selectors.access_lecture(user, lecture_id=lecture_id)
        view = selectors.lecture_progress_get(user=user, lecture=lecture)
        return Response(_progress_data(view))


class CourseProgressApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        operation_id="progress_course",
        responses={200: CourseProgressSerializer, 403: _ERRORS[403], 404: _ERRORS[404]},
    )
    def get(self, request: Request, course_id: int) -> Response:
        user = cast(User, request.user)
        course = selectors.access_course_for_progress(user, course_id=course_id)
        view = selectors.course_progress_get(user=user, course=course)
        data = {
            "course": view.course_id,
            "percent": view.percent,
            "completed_lectures": view.completed_lectures,
            "total_lectures": view.total_lectures,
            "completed_at": _iso(view.completed_at),
            "lectures": [
                {
                    "lecture": lecture.pk,
                    "position": lecture.position,
                    "title": lecture.display_title,
                    "state": state.state,
                    "percent": state.percent,
                    "completed_at": _iso(state.completed_at),
                    "resume_position": state.resume_position,
                }
                for lecture, state in view.lectures
            ],
        }
        return Response(data)
