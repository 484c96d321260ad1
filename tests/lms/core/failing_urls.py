"""The platform's URLs plus views that fail, to see the 500 page (and the handlers with them)."""

from django.urls import path

from lms.accounts.models import User
from lms.urls import *  # noqa: F403
from lms.urls import urlpatterns as platform_urlpatterns


def database_down(request):
    # Under pytest-django without the `db` mark any query raises, as with the database gone.
    User.objects.count()


urlpatterns = [
    path("boom/", database_down),
    path("api/v1/boom", database_down),
    *platform_urlpatterns,
]
