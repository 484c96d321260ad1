"""Read-only catalog API (public)."""

from django.db.models import QuerySet
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from . import selectors
from .models import Category, Course, Lecture


class LectureSerializer(serializers.ModelSerializer[Lecture]):
    class Meta:
        model = Lecture
        fields = ("id", "position", "title", "title_en", "duration_seconds")


class CourseSerializer(serializers.ModelSerializer[Course]):
    category: "serializers.SlugRelatedField[Category]" = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )

    class Meta:
        model = Course
        fields: tuple[str, ...] = (
            "id",
            "slug",
            "title",
            "title_en",
            "summary",
            "category",
            "level",
            "publish_at",
        )


class CourseDetailSerializer(CourseSerializer):
    lectures = LectureSerializer(many=True, source="visible_lectures")

    class Meta(CourseSerializer.Meta):
        fields = (*CourseSerializer.Meta.fields, "description", "lectures")


class CourseListApi(generics.ListAPIView[Course]):
    permission_classes = (AllowAny,)
    serializer_class = CourseSerializer

    def get_queryset(self) -> QuerySet[Course]:
        return selectors.course_list()


class CourseDetailApi(generics.GenericAPIView[Course]):
    permission_classes = (AllowAny,)
    serializer_class = CourseDetailSerializer

    def get(self, request: Request, slug: str) -> Response:
        course = selectors.access_course(request.user, slug=slug)  # type: ignore[arg-type]
        return Response(CourseDetailSerializer(course).data)
