"""What the lecture page's player needs, gathered in one place (reads only)."""

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from lms.accounts.models import User
from lms.catalog.models import Course, Lecture
from lms.learning import selectors as learning
from lms.learning.auth import heartbeat_key_make
from lms.media import playback


@dataclass
class OutlineItem:
    lecture: Lecture
    state: str
    percent: int
    current: bool


def player_text() -> dict[str, str]:
    """The player's words, translated here like the page's; `{name}` marks a slot the script
    fills in (js/player_controls.js, `fill`)."""
    return {
        "play": _("Play"),
        "pause": _("Pause"),
        "mute": _("Mute"),
        "unmute": _("Unmute"),
        "fullscreen": _("Full screen"),
        "exitFullscreen": _("Exit full screen"),
        "captionsOff": _("Off"),
        "auto": _("Auto"),
        # Translators: the quality menu's first item while auto plays {quality}, e.g. 720p.
        "autoPlaying": _("Auto ({quality})"),
        "audioOnly": _("Audio only"),
        # Translators: the seek bar as a screen reader says it, e.g. "3 s of 14 s".
        "positionOf": _("{position} of {duration}"),
        "hours": _("{n} h"),
        "minutes": _("{n} min"),
        "seconds": _("{n} s"),
        # Translators: the countdown to the next lecture at the end of one.
        "nextIn": _("Starts in {n} s"),
        "courseProgress": _("%(d)s of %(t)s completed (%(p)s%%)")
        % {"d": "{done}", "t": "{total}", "p": "{percent}"},
        "cannotPlay": _(
            "This video cannot be played right now. Check your connection and reload the page."
        ),
        "unsupported": _(
            "This browser cannot play the video. Use a current Chrome, Edge, Safari or Firefox."
        ),
        "offline": _("You are offline. Playback continues when the connection returns."),
        "completed": _("Completed"),
    }


def lecture_page_context(*, user: User, course: Course, lecture: Lecture) -> dict[str, Any]:
    lectures: list[Lecture] = course.visible_lectures  # type: ignore[attr-defined]
    progress = learning.course_progress_get(user=user, course=course)
    views = {view.lecture_id: view for _lecture, view in progress.lectures}
    view = views.get(lecture.pk) or learning.lecture_progress_get(user=user, lecture=lecture)
    outline = [
        OutlineItem(
            lecture=item,
            state=views[item.pk].state if item.pk in views else "not_started",
            percent=views[item.pk].percent if item.pk in views else 0,
            current=item.pk == lecture.pk,
        )
        for item in lectures
    ]
    index = next(i for i, item in enumerate(lectures) if item.pk == lecture.pk)
    version = lecture.video.current_version if lecture.video_id else None  # type: ignore[union-attr]
    # Korean first: the platform's learners read Korean (then the others, by language code).
    captions = sorted(lecture.captions.all(), key=lambda c: (c.language != "ko", c.language))
    config: dict[str, Any] = {
        "lecture": lecture.pk,
        "duration": lecture.duration_seconds,
        "src": reverse("media:master", args=[lecture.pk]) if version else None,
        "storyboard": (
            reverse("media:storyboard", args=[lecture.pk])
            if version and version.storyboard_path
            else None
        ),
        "resume": view.resume_position,
        "coverage": view.coverage,
        "rate": float(user.playback_rate),
        "captions": [{"lang": c.language, "label": c.get_language_display()} for c in captions],
        "heartbeatUrl": reverse("api-progress-heartbeats"),
        "heartbeatKey": heartbeat_key_make(user),
        "courseProgressUrl": reverse("api-progress-course", args=[course.pk]),
        "preferencesUrl": reverse("api-preferences"),
        "text": player_text(),
    }
    poster = (
        playback.sign_file(name=version.poster_path, lecture_id=lecture.pk)
        if version and version.poster_path
        else None
    )
    return {
        "course": course,
        "lecture": lecture,
        "progress": view,
        "course_progress": progress,
        "outline": outline,
        "previous": lectures[index - 1] if index > 0 else None,
        "next": lectures[index + 1] if index + 1 < len(lectures) else None,
        "chapters": list(lecture.chapters.all()),
        "captions": captions,
        "attachments": list(lecture.attachments.all()),
        "has_video": version is not None,
        "poster": poster,
        "player_config": config,
    }
