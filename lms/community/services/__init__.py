"""Writes of the community app, by job; callers use `services.<name>` from here."""

from .events import (
    RECORDINGS_COURSE_SLUG,
    event_cancel,
    event_move,
    event_publish,
    event_recording_create,
    event_set_status,
    recordings_announce,
    series_plan,
)
from .notices import (
    announcement_publish,
    calendar_feed_get_or_create,
    calendar_feed_reset,
    notification_preference_set,
    notifications_mark_read,
    reminders_send,
)
from .registrations import (
    attendance_mark,
    offer_accept,
    offers_expire,
    registration_cancel,
    registration_register,
)

__all__ = [
    "RECORDINGS_COURSE_SLUG",
    "announcement_publish",
    "attendance_mark",
    "calendar_feed_get_or_create",
    "calendar_feed_reset",
    "event_cancel",
    "event_move",
    "event_publish",
    "event_recording_create",
    "event_set_status",
    "notification_preference_set",
    "notifications_mark_read",
    "offer_accept",
    "offers_expire",
    "recordings_announce",
    "registration_cancel",
    "registration_register",
    "reminders_send",
    "series_plan",
]
