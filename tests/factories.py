from datetime import timedelta

import factory
from django.utils import timezone

from lms.accounts.models import User
from lms.catalog.models import Bundle, BundleCourse, Category, Course, Lecture, Status


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"member{n}@example.com")
    display_name = factory.Sequence(lambda n: f"회원{n}")
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def _save(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    slug = factory.Sequence(lambda n: f"category-{n}")
    title = factory.Sequence(lambda n: f"분류 {n}")
    title_en = factory.Sequence(lambda n: f"Category {n}")


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    category = factory.SubFactory(CategoryFactory)
    slug = factory.Sequence(lambda n: f"course-{n}")
    title = factory.Sequence(lambda n: f"강좌 {n}")
    title_en = factory.Sequence(lambda n: f"Course {n}")
    status = Status.PUBLISHED
    publish_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))


class LectureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lecture

    course = factory.SubFactory(CourseFactory)
    position = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"강의 {n}")
    duration_seconds = 600
    status = Status.PUBLISHED
    publish_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))


class BundleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bundle

    slug = factory.Sequence(lambda n: f"bundle-{n}")
    title = factory.Sequence(lambda n: f"패키지 {n}")
    status = Status.PUBLISHED
    publish_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))


class BundleCourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BundleCourse

    bundle = factory.SubFactory(BundleFactory)
    course = factory.SubFactory(CourseFactory)
    position = factory.Sequence(lambda n: n + 1)


def course_with_lectures(n: int, **kwargs: object) -> Course:
    course = CourseFactory(**kwargs)
    for i in range(1, n + 1):
        LectureFactory(course=course, position=i, title=f"{course.title} 제{i}강")
    return course


def ready_video_asset(duration: float = 600):
    """A video asset with a ready version (rows only, no files): what publishing checks.
    Tests that play the video use tests.video.lecture_with_ready_video instead."""
    from lms.media.models import VideoAsset, VideoVersion

    asset = VideoAsset.objects.create(original="uploads/test-video")
    version = VideoVersion.objects.create(
        asset=asset,
        number=1,
        storage_prefix=f"videos/{asset.pk}/1/",
        duration_seconds=duration,
        ready_at=timezone.now(),
    )
    asset.current_version = version
    asset.save(update_fields=["current_version"])
    return asset


def give_ready_videos(course: Course) -> None:
    """Attach a ready video (rows only) to every lecture of `course`."""
    asset = ready_video_asset()
    course.lectures.update(video=asset)


class WeeklyLectureFactory(factory.django.DjangoModelFactory):
    """A published special lecture a week from now at 19:00 Asia/Seoul."""

    class Meta:
        model = "community.WeeklyLecture"

    slug = factory.Sequence(lambda n: f"special-{n}")
    title = factory.Sequence(lambda n: f"주간 특강 {n}")
    category = factory.SubFactory(CategoryFactory)
    starts_at = factory.LazyFunction(
        lambda: (
            timezone.localtime().replace(hour=19, minute=0, second=0, microsecond=0)
            + timedelta(days=7)
        )
    )
    status = Status.PUBLISHED
    publish_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
