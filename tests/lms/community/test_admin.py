"""Staff run special lectures from the admin; every state change goes through a service."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from lms.community import services
from lms.community.models import Announcement, EventSeries, EventState, WeeklyLecture
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


def test_changing_the_time_in_the_admin_moves_the_lecture_through_the_service(
    staff_client, event, member
):
    services.registration_register(event=event, member=member)
    page = staff_client.get(f"/admin/community/weeklylecture/{event.pk}/change/")
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if isinstance(value, str | int | float) and value is not None
    }
    new_start = timezone.localtime(event.starts_at) + timedelta(days=1)
    data.update(
        category=event.category_id,
        status=event.status,
        starts_at_0=new_start.strftime("%Y-%m-%d"),
        starts_at_1=new_start.strftime("%H:%M:%S"),
        publish_at_0=timezone.localtime(event.publish_at).strftime("%Y-%m-%d"),
        publish_at_1="00:00:00",
        **{
            "registrations-TOTAL_FORMS": "1",
            "registrations-INITIAL_FORMS": "1",
            "registrations-0-id": str(event.registrations.get().pk),
            "registrations-0-event": str(event.pk),
        },
    )
    data.pop("speaker_member", None)
    data.pop("recording", None)
    response = staff_client.post(f"/admin/community/weeklylecture/{event.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    event.refresh_from_db()
    assert event.starts_at == new_start
    assert event.sequence == 1
    assert event.moved_from is not None
    assert member.notifications.filter(kind="event_moved").count() == 1


def test_the_plan_action_makes_the_weeks_of_a_series(staff_client):
    series = EventSeries.objects.create(
        title="주간 특강", category=CategoryFactory(), weekday=3, first_date=timezone.localdate()
    )
    staff_client.post(
        "/admin/community/eventseries/",
        {"action": "plan_weeks", "_selected_action": [series.pk]},
    )
    assert 12 <= series.events.count() <= 13
    assert all(e.starts_at.weekday() in (3,) for e in series.events.all())


def test_the_cancel_action_cancels_and_raises_the_sequence(staff_client, event):
    staff_client.post(
        "/admin/community/weeklylecture/",
        {"action": "cancel_lectures", "_selected_action": [event.pk]},
    )
    event.refresh_from_db()
    assert event.state == EventState.CANCELLED
    assert event.sequence == 1


def test_the_recording_action_makes_the_lecture_and_links_its_studio_page(staff_client, event):
    response = staff_client.post(
        "/admin/community/weeklylecture/",
        {"action": "make_recording_lecture", "_selected_action": [event.pk]},
        follow=True,
    )
    event.refresh_from_db()
    lecture = event.recording
    assert lecture is not None
    assert lecture.course.title == "주간 특강"
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(f"/studio/courses/{lecture.course_id}/lectures/{lecture.pk}/" in m for m in messages)


def test_staff_post_an_announcement_and_publish_it(staff_client, staff):
    staff_client.post(
        "/admin/community/announcement/add/", {"title": "QA관리사 시험 일정", "body": "3월 14일"}
    )
    announcement = Announcement.objects.get()
    assert announcement.author == staff
    assert announcement.published_at is None
    staff_client.post(
        "/admin/community/announcement/",
        {"action": "publish", "_selected_action": [announcement.pk]},
    )
    announcement.refresh_from_db()
    assert announcement.published_at is not None


def test_admin_lists_open_with_bounded_queries(staff_client, event, django_assert_max_num_queries):
    for url in (
        "/admin/community/weeklylecture/",
        "/admin/community/eventseries/",
        "/admin/community/announcement/",
        "/admin/community/notification/",
        f"/admin/community/weeklylecture/{event.pk}/change/",
    ):
        with django_assert_max_num_queries(20):
            assert staff_client.get(url).status_code == 200, url
    assert WeeklyLecture.objects.count() == 1


def _action(client, action: str, pks: list[int]) -> list[str]:
    response = client.post(
        "/admin/community/weeklylecture/",
        {"action": action, "_selected_action": pks},
        follow=True,
    )
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_special_lectures_status_changes_only_through_the_actions(staff_client, event):
    from lms.catalog.models import Status
    from tests.admin_pages import change_page_data

    WeeklyLecture.objects.filter(pk=event.pk).update(status=Status.ARCHIVED)
    url = f"/admin/community/weeklylecture/{event.pk}/change/"
    data = change_page_data(staff_client, url)
    data.update(status=Status.PUBLISHED, description="고친 설명")

    response = staff_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    event.refresh_from_db()
    assert (event.description, event.status) == ("고친 설명", Status.ARCHIVED)

    refused = _action(staff_client, "publish_now", [event.pk])
    assert any("주간 특강: 보관됨 상태에서 공개 상태로 바꿀 수 없습니다" in m for m in refused)
    _action(staff_client, "back_to_draft", [event.pk])
    published = _action(staff_client, "publish_now", [event.pk])

    event.refresh_from_db()
    assert event.is_visible
    assert "주간 특강 1개를 공개했습니다." in published


def test_the_special_lecture_add_form_offers_no_status(staff_client):
    page = staff_client.get("/admin/community/weeklylecture/add/")
    assert "status" not in page.context["adminform"].form.fields
    assert "publish_at" not in page.context["adminform"].form.fields
