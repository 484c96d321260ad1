from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from . import views

app_name = "community"

urlpatterns = [
    path("events/", views.event_list, name="event_list"),
    path("events/<slug:slug>/", views.event_detail, name="event_detail"),
    path("events/<slug:slug>/register/", views.event_register, name="event_register"),
    path("events/<slug:slug>/cancel/", views.event_cancel, name="event_cancel"),
    path("events/<slug:slug>/accept/", views.offer_accept, name="offer_accept"),
    path("events/<slug:slug>/calendar.ics", views.event_ics, name="event_ics"),
    path(
        "events/<slug:slug>/registrations/",
        views.event_registrations,
        name="event_registrations",
    ),
    path(
        "events/<slug:slug>/registrations.csv",
        views.event_registrations_csv,
        name="event_registrations_csv",
    ),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("my/calendar/", views.calendar_settings, name="calendar_settings"),
    path("announcements/", views.announcement_list, name="announcement_list"),
    path("announcements/<id:pk>/", views.announcement_detail, name="announcement_detail"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/<id:pk>/", views.notification_open, name="notification_open"),
    path("my/notifications/", views.notification_settings, name="notification_settings"),
    # A signed token, not a session, says who: mail clients post here without a CSRF token.
    path(
        "notifications/unsubscribe/<str:token>/",
        csrf_exempt(views.unsubscribe),
        name="unsubscribe",
    ),
]
