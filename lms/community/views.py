import csv
import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lms.accounts.requests import MemberRequest
from lms.core.dates import korean_datetime
from lms.core.errors import AppError
from lms.core.web import staff_required

from . import calendars, notifications, selectors, services
from .models import (
    Notification,
    NotificationKind,
    Registration,
    RegistrationState,
    WeeklyLecture,
)


def event_list(request: HttpRequest) -> HttpResponse:
    context = {
        "upcoming": selectors.event_list_upcoming(),
        "past": selectors.event_list_past(),
    }
    return render(request, "community/event_list.html", context)


def _detail_context(request: HttpRequest, event: WeeklyLecture) -> dict[str, Any]:
    user = request.user
    registration = selectors.registration_get(event=event, member=user)  # type: ignore[arg-type]
    return {
        "event": event,
        "registration": registration,
        "taken": selectors.places_taken(event),
        "waitlist_position": (
            selectors.waitlist_position(registration)
            if registration and registration.state == RegistrationState.WAITLISTED
            else None
        ),
        "online_link": selectors.online_link_for(event=event, registration=registration),
        "registration_open": selectors.registration_open(event),
    }


def event_detail(request: HttpRequest, slug: str) -> HttpResponse:
    event = selectors.access_event(request.user, slug)  # type: ignore[arg-type]
    return render(request, "community/event_detail.html", _detail_context(request, event))


def _act(request: HttpRequest, slug: str, action: Any, success: str) -> HttpResponse:
    """Run one registration service; a refusal shows on the lecture page with its 4xx status."""
    event = selectors.access_event(request.user, slug)  # type: ignore[arg-type]
    try:
        registration = action(event=event, member=request.user)
    except AppError as exc:
        context = _detail_context(request, event) | {"error": exc.message}
        return render(request, "community/event_detail.html", context, status=exc.status_code)
    if registration.state == RegistrationState.WAITLISTED:
        success = _("The lecture is full: you are number %(n)d on the waitlist.") % {
            "n": selectors.waitlist_position(registration)
        }
    messages.success(request, success)
    return redirect("community:event_detail", slug=event.slug)


@login_required
@require_POST
def event_register(request: MemberRequest, slug: str) -> HttpResponse:
    return _act(request, slug, services.registration_register, _("You are registered."))


@login_required
@require_POST
def event_cancel(request: MemberRequest, slug: str) -> HttpResponse:
    return _act(request, slug, services.registration_cancel, _("Your registration is cancelled."))


@login_required
@require_POST
def offer_accept(request: MemberRequest, slug: str) -> HttpResponse:
    return _act(request, slug, services.offer_accept, _("The place is yours: you are registered."))


def _ics_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def event_ics(request: HttpRequest, slug: str) -> HttpResponse:
    event = selectors.access_event(request.user, slug)  # type: ignore[arg-type]
    url = request.build_absolute_uri(reverse("community:event_detail", args=[event.slug]))
    return _ics_response(calendars.event_ics(event, url=url), f"{event.slug}.ics")


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The subscribed calendar: no session (calendar apps have none), the token is the key."""
    feed = selectors.calendar_feed_by_token(token)
    entries = [
        (e, request.build_absolute_uri(reverse("community:event_detail", args=[e.slug])))
        for e in selectors.member_event_list(feed.member)
    ]
    body = calendars.feed_ics(entries, name=_("CS Leaders Forum special lectures"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=900"
    return response


@login_required
def calendar_settings(request: MemberRequest) -> HttpResponse:
    if request.method == "POST":
        services.calendar_feed_reset(member=request.user)
        messages.success(
            request, _("A new calendar address is ready; the old one stopped working.")
        )
        return redirect("community:calendar_settings")
    feed = services.calendar_feed_get_or_create(member=request.user)
    url = request.build_absolute_uri(reverse("community:calendar_feed", args=[feed.token]))
    return render(request, "community/calendar_settings.html", {"feed_url": url})


@staff_required
def event_registrations(request: MemberRequest, slug: str) -> HttpResponse:
    event = selectors.access_event(request.user, slug)
    if request.method == "POST":
        registration = get_object_or_404(Registration, event=event, pk=request.POST.get("id"))
        try:
            services.attendance_mark(
                registration=registration, attended=request.POST.get("attended") == "1"
            )
        except AppError as exc:
            messages.error(request, exc.message)
        return redirect("community:event_registrations", slug=event.slug)
    context = {"event": event, "registrations": selectors.registration_list(event)}
    return render(request, "community/event_registrations.html", context)


@staff_required
def event_registrations_csv(request: MemberRequest, slug: str) -> HttpResponse:
    """The list for Korean Excel: UTF-8 with a byte-order mark, or Excel reads it as CP949."""
    event = selectors.access_event(request.user, slug)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Name"), _("E-mail"), _("State"), _("Registered at"), _("Attended")])
    for r in selectors.registration_list(event):
        writer.writerow(
            [
                r.member.public_name,
                r.member.email,
                r.get_state_display(),
                korean_datetime(r.queued_at),
                "" if r.attended is None else ("O" if r.attended else "X"),
            ]
        )
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{event.slug}-registrations.csv"'
    return response


@login_required
def notification_list(request: MemberRequest) -> HttpResponse:
    member = request.user
    if request.method == "POST":
        services.notifications_mark_read(member=member)
        return redirect("community:notification_list")
    items = selectors.notification_list(member)
    return render(request, "community/notification_list.html", {"notifications": items})


@login_required
def notification_open(request: MemberRequest, pk: int) -> HttpResponse:
    """Follow a notification's link, marking it read on the way (the member's own only)."""
    notification = get_object_or_404(Notification, pk=pk, member=request.user)
    services.notifications_mark_read(member=request.user, notification_ids=[notification.pk])
    return redirect(notification.url or "community:notification_list")


@login_required
def notification_settings(request: MemberRequest) -> HttpResponse:
    member = request.user
    if request.method == "POST":
        for kind in NotificationKind.values:
            services.notification_preference_set(
                member=member,
                kind=kind,
                enabled=request.POST.get(kind) == "on",
            )
        messages.success(request, _("Your e-mail choices are saved."))
        return redirect("community:notification_settings")
    chosen = selectors.notification_choices(member)
    kinds = [
        (kind, label, chosen.get(kind, notifications.EMAIL_DEFAULTS.get(kind, True)))
        for kind, label in NotificationKind.choices
    ]
    return render(request, "community/notification_settings.html", {"kinds": kinds})


def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """One click from an e-mail: a page with one button, and a POST that needs no sign-in
    (RFC 8058's List-Unsubscribe-Post comes without a session or a CSRF token)."""
    from lms.accounts.models import User

    try:
        data = signing.loads(token, salt=notifications.UNSUBSCRIBE_SALT)
    except signing.BadSignature as exc:
        raise Http404 from exc
    member = get_object_or_404(User, pk=data["m"])
    kind = data["k"]
    label = dict(NotificationKind.choices).get(kind, kind)
    done = False
    if request.method == "POST":
        services.notification_preference_set(member=member, kind=kind, enabled=False)
        done = True
    return render(request, "community/unsubscribe.html", {"label": label, "done": done})


def announcement_list(request: HttpRequest) -> HttpResponse:
    items = list(selectors.announcement_list()[:50])
    return render(request, "community/announcement_list.html", {"announcements": items})


def announcement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    announcement = selectors.announcement_get(pk)
    return render(request, "community/announcement_detail.html", {"announcement": announcement})
