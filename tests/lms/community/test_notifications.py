"""One notification mechanism: in-site list, e-mail per kind with choices, reminders once."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from icalendar import Calendar

from lms.community import notifications, services
from lms.community.models import Notification, NotificationDelivery
from lms.core.dates import korean_datetime
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]


def register(event, member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.registration_register(event=event, member=member)


def test_registering_tells_the_member_in_site_and_by_email_with_an_invitation(
    event, member, django_capture_on_commit_callbacks
):
    register(event, member, django_capture_on_commit_callbacks)
    (note,) = Notification.objects.filter(member=member)
    assert note.kind == "registration_confirmed"
    assert note.title.startswith("신청 완료")
    (message,) = mail.outbox
    assert message.to == [member.email]
    assert "List-Unsubscribe" in message.extra_headers
    ((name, body, mimetype),) = message.attachments
    assert name == "invite.ics"
    assert "method=REQUEST" in mimetype
    (entry,) = Calendar.from_ical(body).walk("VEVENT")
    assert entry["UID"] == event.calendar_uid
    assert str(entry["ATTENDEE"]) == f"mailto:{member.email}"
    assert str(entry["ORGANIZER"]).startswith("mailto:")


def test_delivering_twice_sends_one_email(event, member, django_capture_on_commit_callbacks):
    register(event, member, django_capture_on_commit_callbacks)
    note = Notification.objects.get(member=member)
    assert notifications.notification_deliver(notification_id=note.pk) == []
    assert len(mail.outbox) == 1
    assert NotificationDelivery.objects.filter(notification=note).count() == 1


def test_a_member_who_turned_a_kind_off_gets_no_email_but_sees_it_on_the_site(
    event, member, django_capture_on_commit_callbacks
):
    services.notification_preference_set(
        member=member, kind="registration_confirmed", enabled=False
    )
    register(event, member, django_capture_on_commit_callbacks)
    assert mail.outbox == []
    assert Notification.objects.filter(member=member).count() == 1


def test_one_click_unsubscribe_turns_the_kind_off(client, member):
    token = notifications.unsubscribe_token(member, "reminder_day")
    page = client.get(f"/notifications/unsubscribe/{token}/")
    assert "전날 알림" in page.content.decode()
    client.post(f"/notifications/unsubscribe/{token}/")
    assert notifications.channel_enabled(member, "reminder_day") is False
    assert client.get("/notifications/unsubscribe/forged/").status_code == 404


def test_reminders_are_sent_once_per_member_and_lecture_even_when_the_task_runs_twice(
    event, members, django_capture_on_commit_callbacks
):
    a, b, c = members[:3]
    for m in (a, b, c):
        register(event, m, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with (
        time_machine.travel(event.starts_at - timedelta(hours=20), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert services.reminders_send() == 2  # c is on the waitlist
        assert services.reminders_send() == 0
    with (
        time_machine.travel(event.starts_at - timedelta(minutes=50), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert services.reminders_send() == 2
        assert services.reminders_send() == 0
    kinds = sorted(Notification.objects.filter(member=a).values_list("kind", flat=True))
    assert kinds == ["registration_confirmed", "reminder_day", "reminder_hour"]
    assert len(mail.outbox) == 4


def test_a_late_run_within_the_hour_sends_only_the_hour_reminder(
    event, member, django_capture_on_commit_callbacks
):
    register(event, member, django_capture_on_commit_callbacks)
    with time_machine.travel(event.starts_at - timedelta(minutes=30), tick=False):
        services.reminders_send()
    kinds = set(Notification.objects.filter(member=member).values_list("kind", flat=True))
    assert "reminder_day" not in kinds
    assert "reminder_hour" in kinds


def test_a_moved_lecture_emails_registrants_the_updated_invitation(
    event, member, django_capture_on_commit_callbacks
):
    register(event, member, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.event_move(event=event, starts_at=event.starts_at + timedelta(days=1))
    (message,) = mail.outbox
    assert message.subject.endswith(f"일정 변경: {event.title}")
    (entry,) = Calendar.from_ical(message.attachments[0][1]).walk("VEVENT")
    assert int(entry["SEQUENCE"]) == 1
    assert entry.decoded("DTSTART") == event.starts_at + timedelta(days=1)


def test_a_cancelled_lecture_emails_a_cancel_invitation(
    event, member, django_capture_on_commit_callbacks
):
    register(event, member, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.event_cancel(event=event)
    (message,) = mail.outbox
    assert "method=CANCEL" in message.attachments[0][2]
    (entry,) = Calendar.from_ical(message.attachments[0][1]).walk("VEVENT")
    assert entry["STATUS"] == "CANCELLED"


def test_a_waitlist_offer_is_told(event, members, django_capture_on_commit_callbacks):
    a, b, c = members[:3]
    for m in (a, b, c):
        register(event, m, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(event=event, member=a)
    (offer,) = Notification.objects.filter(member=c, kind="waitlist_offer")
    until = korean_datetime(event.registrations.get(member=c).offer_expires_at)
    assert f"{until}까지 특강 페이지에서 확정하지 않으면" in offer.body
    assert any(m.to == [c.email] and "자리" in m.subject for m in mail.outbox)


def test_the_header_shows_the_unread_count_and_reading_clears_it(event, client):
    member = UserFactory()
    services.registration_register(event=event, member=member)
    client.force_login(member)
    page = client.get("/").content.decode()
    assert 'class="unread-count"' in page
    client.post("/notifications/")
    assert 'class="unread-count"' not in client.get("/").content.decode()


def test_a_lecture_moved_again_and_again_emails_a_bounded_number_of_times(
    event, member, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFICATION_PER_SOURCE_HOURLY = 3
    register(event, member, django_capture_on_commit_callbacks)
    for hours in range(1, 7):
        with django_capture_on_commit_callbacks(execute=True):
            services.event_move(event=event, starts_at=event.starts_at + timedelta(hours=hours))
    assert Notification.objects.filter(member=member, kind="event_moved").count() == 6
    assert len(mail.outbox) == 3  # the registration and two moves
    assert NotificationDelivery.objects.filter(skipped=True).count() == 4


def test_the_periodic_tasks_run_twice_change_nothing_the_second_time(event, member):
    from lms.community import tasks

    services.registration_register(event=event, member=member)
    with time_machine.travel(event.starts_at - timedelta(hours=2), tick=False):
        assert tasks.reminders_send.apply().get() == 1
        assert tasks.reminders_send.apply().get() == 0
        assert tasks.offers_expire.apply().get() == 0
        assert tasks.recordings_announce.apply().get() == 0


def test_opening_a_notification_marks_it_read_and_follows_its_link(event, member, client):
    other = UserFactory()
    services.registration_register(event=event, member=member)
    note = Notification.objects.get(member=member)
    client.force_login(other)
    assert client.get(f"/notifications/{note.pk}/").status_code == 404
    client.force_login(member)
    response = client.get(f"/notifications/{note.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/events/{event.slug}/"
    note.refresh_from_db()
    assert note.read_at is not None
