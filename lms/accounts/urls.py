from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("accounts/email-sent/", views.email_sent, name="email_sent"),
    path("terms/", views.terms, name="terms"),
    path("privacy/", views.privacy, name="privacy"),
    path("teach/", views.teach, name="teach"),
    path("teach/apply/", views.apply, name="apply"),
    path("staff/applications/", views.application_queue, name="application_queue"),
    path(
        "staff/applications/<id:pk>/decide/",
        views.application_decide,
        name="application_decide",
    ),
]
