import warnings
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.paginator import UnorderedObjectListWarning
from django.test import Client
from django.utils import timezone

from lms.catalog.models import Bundle, Course, Status
from tests.admin_pages import change_page_data
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


# Status and publish time change only through the admin actions, which call the services.


def _action(client: Client, model: str, action: str, pks: list[int], **extra: Any) -> list[str]:
    response = client.post(
        f"/admin/catalog/{model}/",
        {"action": action, "_selected_action": pks, **extra},
        follow=True,
    )
    assert response.status_code == 200
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_status_posted_on_the_course_change_form_is_ignored(staff_client):
    course = course_with_lectures(2, status=Status.DRAFT, publish_at=None)
    course.lectures.update(status=Status.DRAFT, publish_at=None)  # and no videos: blocked
    url = f"/admin/catalog/course/{course.pk}/change/"
    data = change_page_data(staff_client, url)
    data.update(
        status=Status.PUBLISHED,
        publish_at_0="2026-01-01",
        publish_at_1="10:00:00",
        summary="고친 요약",
        **{"lectures-0-status": Status.PUBLISHED, "lectures-1-status": Status.PUBLISHED},
    )

    response = staff_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    course.refresh_from_db()
    assert course.summary == "고친 요약"  # the form still saves what it may edit
    assert (course.status, course.publish_at) == (Status.DRAFT, None)
    assert set(course.lectures.values_list("status", flat=True)) == {Status.DRAFT}


def test_the_course_add_form_offers_no_status_and_makes_a_draft(staff_client):
    from tests.factories import CategoryFactory

    page = staff_client.get("/admin/catalog/course/add/")
    assert "status" not in page.context["adminform"].form.fields
    assert "publish_at" not in page.context["adminform"].form.fields
    data = change_page_data(staff_client, "/admin/catalog/course/add/")
    data.update(
        title="새 강좌",
        title_en="New course",
        slug="new-course",
        category=CategoryFactory().pk,
        status=Status.PUBLISHED,
        publish_at_0="2026-01-01",
        publish_at_1="10:00:00",
    )

    response = staff_client.post("/admin/catalog/course/add/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    course = Course.objects.get(slug="new-course")
    assert (course.status, course.publish_at) == (Status.DRAFT, None)


def test_an_archived_course_cannot_be_published_from_the_admin(staff_client):
    from lms.studio.models import CourseReview

    course = course_with_lectures(1, status=Status.ARCHIVED)
    give_ready_videos(course)
    url = f"/admin/catalog/course/{course.pk}/change/"
    data = change_page_data(staff_client, url)
    data["status"] = Status.PUBLISHED

    staff_client.post(url, data)
    messages = _action(staff_client, "course", "publish_now", [course.pk])

    assert Course.objects.get(pk=course.pk).status == Status.ARCHIVED
    assert any("강좌: 보관됨 상태에서 공개 상태로 바꿀 수 없습니다" in m for m in messages), (
        messages
    )
    assert not CourseReview.objects.filter(course=course).exists()


def test_publish_now_in_the_admin_records_the_approval_as_the_review_queue_does(
    staff_client, staff
):
    from lms.studio.models import CourseReview

    course = course_with_lectures(2, status=Status.IN_REVIEW, publish_at=None)
    give_ready_videos(course)

    messages = _action(staff_client, "course", "publish_now", [course.pk])

    assert Course.objects.get(pk=course.pk).is_visible, messages
    review = CourseReview.objects.get(course=course)
    assert (review.kind, review.by) == (CourseReview.Kind.APPROVED, staff)
    assert [item["id"] for item in review.snapshot["lectures"]] == list(
        course.lectures.order_by("position").values_list("id", flat=True)
    )


def test_a_blocked_publish_shows_the_blockers_in_korean_and_changes_nothing(staff_client):
    from lms.studio.models import CourseReview

    course = course_with_lectures(1, status=Status.IN_REVIEW, publish_at=None, title="막힌 강좌")
    later = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")

    now_messages = _action(staff_client, "course", "publish_now", [course.pk])
    scheduled_messages = _action(staff_client, "course", "schedule", [course.pk], publish_at=later)

    blocker = "“막힌 강좌”의 1번 강의 “막힌 강좌 제1강”에 준비된 영상이 없습니다."
    assert any(blocker in m for m in now_messages), now_messages
    assert any(blocker in m for m in scheduled_messages), scheduled_messages
    course.refresh_from_db()
    assert (course.status, course.publish_at) == (Status.IN_REVIEW, None)
    assert not CourseReview.objects.exists()


def test_scheduling_in_the_admin_asks_the_time_then_approves_for_that_time(staff_client, staff):
    from lms.studio.models import CourseReview

    course = course_with_lectures(1, status=Status.IN_REVIEW, publish_at=None)
    give_ready_videos(course)
    later = timezone.localtime() + timedelta(days=3)

    page = staff_client.post(
        "/admin/catalog/course/", {"action": "schedule", "_selected_action": [course.pk]}
    )
    assert page.status_code == 200
    assert 'name="publish_at"' in page.content.decode()
    _action(
        staff_client, "course", "schedule", [course.pk], publish_at=later.strftime("%Y-%m-%dT%H:%M")
    )

    course.refresh_from_db()
    assert course.is_scheduled
    assert course.publish_at == later.replace(second=0, microsecond=0)
    assert CourseReview.objects.get(course=course).by == staff


def test_bundle_publish_in_the_admin_is_unchanged_and_its_status_is_read_only(staff_client):
    from lms.studio.models import CourseReview

    in_review = course_with_lectures(1, status=Status.IN_REVIEW, publish_at=None)
    give_ready_videos(in_review)
    bundle = BundleFactory(status=Status.DRAFT, publish_at=None)
    BundleCourseFactory(bundle=bundle, course=in_review, position=1)
    url = f"/admin/catalog/bundle/{bundle.pk}/change/"
    data = change_page_data(staff_client, url)
    data.update(status=Status.PUBLISHED, publish_at_0="2026-01-01", publish_at_1="10:00:00")

    staff_client.post(url, data)
    assert Bundle.objects.get(pk=bundle.pk).status == Status.DRAFT
    _action(staff_client, "bundle", "publish_now", [bundle.pk])

    assert Bundle.objects.get(pk=bundle.pk).is_visible
    assert Course.objects.get(pk=in_review.pk).is_visible
    assert CourseReview.objects.get(course=in_review).kind == CourseReview.Kind.APPROVED


def test_a_lecture_is_published_in_the_admin_only_through_the_action_checking_its_video(
    staff_client,
):
    from lms.catalog.models import Lecture

    course = course_with_lectures(1)
    lecture = course.lectures.get()
    Lecture.objects.filter(pk=lecture.pk).update(status=Status.DRAFT, publish_at=None)
    url = f"/admin/catalog/lecture/{lecture.pk}/change/"
    data = change_page_data(staff_client, url)
    data.update(status=Status.PUBLISHED, publish_at_0="2026-01-01", publish_at_1="10:00:00")

    staff_client.post(url, data)
    assert Lecture.objects.get(pk=lecture.pk).status == Status.DRAFT
    messages = _action(staff_client, "lecture", "publish_now", [lecture.pk])
    assert any("준비된 영상이 없습니다" in m for m in messages), messages
    assert Lecture.objects.get(pk=lecture.pk).status == Status.DRAFT

    give_ready_videos(course)
    _action(staff_client, "lecture", "publish_now", [lecture.pk])
    assert Lecture.objects.get(pk=lecture.pk).is_visible


def test_back_to_draft_in_the_admin_unpublishes_but_leaves_courses_in_review_to_the_queue(
    staff_client,
):
    published = course_with_lectures(1)
    in_review = course_with_lectures(1, status=Status.IN_REVIEW, publish_at=None)

    messages = _action(staff_client, "course", "back_to_draft", [published.pk, in_review.pk])

    assert Course.objects.get(pk=published.pk).status == Status.DRAFT
    assert Course.objects.get(pk=in_review.pk).status == Status.IN_REVIEW
    assert "강좌 1개를 초안으로 돌렸습니다." in messages
    assert any("검토 대기열에서 돌려보내세요" in m for m in messages), messages
