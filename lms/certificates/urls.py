from django.urls import path

from . import views

app_name = "certificates"

urlpatterns = [
    path("verify/", views.verify, name="verify_form"),
    path("c/<str:code>/", views.verify, name="verify"),
    path("my/certificates/", views.my_certificates, name="mine"),
    path("my/certificates/<str:code>.pdf", views.certificate_download, name="download"),
    path("my/profile/", views.profile_edit, name="profile_edit"),
    path("u/<str:handle>/", views.profile_public, name="profile_public"),
]
