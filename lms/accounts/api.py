from typing import Any

from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services


class PreferencesSerializer(serializers.Serializer[Any]):
    playback_rate = serializers.FloatField(help_text="0.75, 1, 1.25, 1.5, 1.75 or 2")


class PreferencesApi(APIView):
    """The signed-in member's player preferences."""

    permission_classes = (IsAuthenticated,)
    serializer_class = PreferencesSerializer

    def get(self, request: Request) -> Response:
        return Response({"playback_rate": float(request.user.playback_rate)})  # type: ignore[union-attr]

    def patch(self, request: Request) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        user = services.user_set_playback_rate(
            user=request.user,  # type: ignore[arg-type]
            rate=data.get("playback_rate"),
        )
        return Response({"playback_rate": float(user.playback_rate)})
