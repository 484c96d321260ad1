from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CoreConfig(AppConfig):
    name = "lms.core"
    label = "core"

    def ready(self) -> None:
        from django.urls import register_converter

        from .converters import DatabaseIdConverter
        from .db import timestamps_at_c_speed

        # Before any URLconf is loaded: every `<id:...>` route (ids in 1 .. 2**63-1).
        register_converter(DatabaseIdConverter, "id")

        connection_created.connect(timestamps_at_c_speed, dispatch_uid="lms.core.db")
