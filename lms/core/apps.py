from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "lms.core"
    label = "core"
    verbose_name = _("Platform")

    def ready(self) -> None:
        from django.urls import register_converter

        from .converters import DatabaseIdConverter

        # Before any URLconf is loaded: every `<id:...>` route (ids in 1 .. 2**63-1).
        register_converter(DatabaseIdConverter, "id")
