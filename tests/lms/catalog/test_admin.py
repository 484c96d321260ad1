import warnings
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.paginator import UnorderedObjectListWarning
from django.test import Client
from django.utils import timezone

from lms.catalog.models import Bundle, Course, Status
from tests.factories import (
    BundleCourseFactory,
    BundleFactory,
    CourseFactory,
    UserFactory,
    course_with_lectures,
    give_ready_videos,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/admin/accounts/user/?q=example&is_instructor__exact=0",
        "/admin/catalog/course/?q=강좌&status__exact=published",
        "/admin/catalog/lecture/?q=강의&status__exact=published",
        "/admin/catalog/bundle/?q=패키지",
        "/admin/catalog/category/?q=분류",
        "/admin/community/weeklylecture/?q=특강",
    ],
)
def test_admin_lists_search_and_filter_with_bounded_queries(
    staff_client, django_assert_max_num_queries, url
):
    for _ in range(10):
        course_with_lectures(3)
    with django_assert_max_num_queries(15):
        response = staff_client.get(url)
    assert response.status_code == 200


def test_admin_course_page_edits_lectures_inline(staff_client):
    course = course_with_lectures(3)
    response = staff_client.get(f"/admin/catalog/course/{course.pk}/change/")
    assert response.status_code == 200
    assert "제3강" in response.content.decode()


def test_admin_publish_action_reports_blockers_and_publishes_nothing(staff_client):
    bundle = BundleFactory(status=Status.DRAFT, publish_at=None)
    BundleCourseFactory(bundle=bundle, course=CourseFactory(status=Status.DRAFT, publish_at=None))

    response = staff_client.post(
        "/admin/catalog/bundle/",
        {"action": "publish_now", "_selected_action": [bundle.pk]},
        follow=True,
    )

    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("공개할 수 없습니다" in m for m in messages), messages
    assert Bundle.objects.get(pk=bundle.pk).status == Status.DRAFT


def test_admin_publish_action_publishes_a_course_with_its_lectures(staff_client):
    course = course_with_lectures(2, status=Status.IN_REVIEW, publish_at=None)
    course.lectures.update(status=Status.DRAFT, publish_at=None)
    give_ready_videos(course)

    staff_client.post(
        "/admin/catalog/course/", {"action": "publish_now", "_selected_action": [course.pk]}
    )

    course = Course.objects.get(pk=course.pk)
    assert course.is_visible
    assert all(lecture.is_visible for lecture in course.lectures.all())


def test_members_cannot_open_the_admin(member_client):
    response = member_client.get("/admin/catalog/course/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_course_picker_of_bundles_lists_courses_newest_first_in_a_stable_order(staff_client):
    now = timezone.now()
    CourseFactory(title="강좌 예전", publish_at=now - timedelta(days=10))
    CourseFactory(title="강좌 최근", publish_at=now - timedelta(days=1))

    with warnings.catch_warnings():
        warnings.simplefilter("error", UnorderedObjectListWarning)
        response = staff_client.get(
            "/admin/autocomplete/",
            {
                "app_label": "catalog",
                "model_name": "bundlecourse",
                "field_name": "course",
                "term": "강좌",
            },
        )

    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["강좌 최근", "강좌 예전"]


def test_publishing_a_bundle_records_the_approval_of_the_courses_it_published(staff_client):
    from lms.studio.models import CourseReview

    in_review = course_with_lectures(2, status=Status.IN_REVIEW, publish_at=None)
    give_ready_videos(in_review)
    already_live = course_with_lectures(1)
    give_ready_videos(already_live)
    bundle = BundleFactory(status=Status.DRAFT, publish_at=None)
    BundleCourseFactory(bundle=bundle, course=in_review, position=1)
    BundleCourseFactory(bundle=bundle, course=already_live, position=2)

    staff_client.post(
        "/admin/catalog/bundle/",
        {"action": "publish_now", "_selected_action": [bundle.pk]},
        follow=True,
    )

    assert Bundle.objects.get(pk=bundle.pk).status == Status.PUBLISHED
    review = CourseReview.objects.get(course=in_review)
    assert review.kind == CourseReview.Kind.APPROVED
    assert bundle.title in review.comment
    assert review.snapshot["lectures"]  # what the next submission is compared with
    assert not CourseReview.objects.filter(course=already_live).exists()


@pytest.fixture
def editor_client(db) -> Client:
    """Staff who are not superusers: the people who run the catalog day to day."""
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=False))
    return client


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/admin/", 200),
        ("/admin/catalog/bundle/add/", 200),
        ("/admin/catalog/course/", 200),
        ("/admin/community/weeklylecture/add/", 200),
        ("/admin/media/videoasset/", 200),
        ("/admin/learning/lectureprogress/", 200),
        # Accounts and permissions stay with superusers.
        ("/admin/accounts/user/", 403),
        ("/admin/auth/group/", 403),
    ],
)
def test_staff_who_are_not_superusers_run_the_content_in_the_admin(editor_client, url, status):
    assert editor_client.get(url).status_code == status


def test_staff_who_are_not_superusers_publish_a_course(editor_client):
    course = course_with_lectures(2, status=Status.IN_REVIEW, publish_at=None)
    give_ready_videos(course)
    index = editor_client.get("/admin/").content.decode()
    assert "/admin/catalog/bundle/" in index
    assert "/admin/accounts/user/" not in index

    editor_client.post(
        "/admin/catalog/course/", {"action": "publish_now", "_selected_action": [course.pk]}
    )

    assert Course.objects.get(pk=course.pk).is_visible


def test_staff_may_view_progress_but_not_change_it(editor_client, member):
    from lms.learning.models import LectureProgress

    lecture = course_with_lectures(1).lectures.get()
    row = LectureProgress.objects.create(user=member, lecture=lecture)
    assert editor_client.get(f"/admin/learning/lectureprogress/{row.pk}/change/").status_code == 200
    response = editor_client.post(
        f"/admin/learning/lectureprogress/{row.pk}/change/", {"position": "99"}
    )
    assert response.status_code == 403
    assert LectureProgress.objects.get(pk=row.pk).position == 0


def _inline(prefix: str, rows: list[dict[str, Any]], initial: int = 0) -> dict[str, Any]:
    data: dict[str, Any] = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{name}": value for name, value in row.items()})
    return data


def test_bundle_courses_listed_without_positions_keep_the_listed_order(staff_client):
    first, second, third = CourseFactory(), CourseFactory(), CourseFactory()
    data = {
        "title": "QA 패키지",
        "title_en": "QA bundle",
        "slug": "qa-bundle",
        "status": Status.DRAFT,
        # The third course typed as 1: the two left blank follow it, as listed.
        **_inline(
            "items",
            [
                {"course": second.pk, "position": ""},
                {"course": first.pk, "position": ""},
                {"course": third.pk, "position": "1"},
            ],
        ),
    }

    response = staff_client.post("/admin/catalog/bundle/add/", data)

    assert response.status_code == 302, response.content.decode()[:2000]
    bundle = Bundle.objects.get(slug="qa-bundle")
    order = list(bundle.items.order_by("position").values_list("course_id", "position"))
    assert order == [(third.pk, 1), (second.pk, 2), (first.pk, 3)]


def test_lectures_added_without_positions_go_after_the_others(staff_client):
    course = course_with_lectures(2)
    existing = list(course.lectures.order_by("position"))
    page = staff_client.get(f"/admin/catalog/course/{course.pk}/change/")
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if isinstance(value, str | int | float) and name != "cover_image"
    }
    data.update(
        category=course.category_id,
        status=course.status,
        level=course.level,
        completion_policy=course.completion_policy,
        completion_threshold=course.completion_threshold,
        instructors=[],
    )
    data.update(
        _inline(
            "lectures",
            [
                *(
                    {
                        "id": lecture.pk,
                        "course": course.pk,
                        "position": lecture.position,
                        "title": lecture.title,
                        "duration_seconds": lecture.duration_seconds,
                        "status": lecture.status,
                    }
                    for lecture in existing
                ),
                {
                    "course": course.pk,
                    "position": "",
                    "title": "새 강의",
                    "duration_seconds": 0,
                    "status": "draft",
                },
            ],
            initial=len(existing),
        )
    )
    data = {key: value for key, value in data.items() if value is not None}

    response = staff_client.post(f"/admin/catalog/course/{course.pk}/change/", data)

    assert response.status_code == 302, (
        response.context["adminform"].form.errors,
        [f.errors for f in response.context["inline_admin_formsets"][0].formset.forms],
        response.context["inline_admin_formsets"][0].formset.non_form_errors(),
    )
    titles = list(course.lectures.order_by("position").values_list("title", "position"))
    assert titles[-1] == ("새 강의", 3)


def test_choosing_another_video_in_the_lecture_admin_retires_the_old_one(
    staff_client, django_capture_on_commit_callbacks
):
    """As from the studio: the lecture takes the new video's duration, the old video is
    retired (deleted with its files after the grace period), the new one is not."""
    from lms.media.models import VideoAsset
    from tests.factories import ready_video_asset

    course = course_with_lectures(1)
    lecture = course.lectures.get()
    old, new = ready_video_asset(duration=300), ready_video_asset(duration=754.4)
    VideoAsset.objects.filter(pk=new.pk).update(retired_at=timezone.now())  # chosen again
    lecture.video = old
    lecture.save(update_fields=["video"])
    page = staff_client.get(f"/admin/catalog/lecture/{lecture.pk}/change/")
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if isinstance(value, str | int | float) and not name.startswith("publish_at")
    }
    data.update(course=course.pk, video=new.pk, status=lecture.status)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"/admin/catalog/lecture/{lecture.pk}/change/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    lecture.refresh_from_db()
    old.refresh_from_db()
    new.refresh_from_db()
    assert (lecture.video_id, lecture.duration_seconds) == (new.pk, 754)
    assert old.retired_at is not None
    assert new.retired_at is None
