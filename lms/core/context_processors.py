from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    return {
        "SITE_NAME": getattr(settings, "SITE_NAME", "CS리더스포럼"),
        "PRIVACY_CONTACT_EMAIL": settings.PRIVACY_CONTACT_EMAIL,
    }
