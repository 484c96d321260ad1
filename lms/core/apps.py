from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CoreConfig(AppConfig):
    name = "lms.core"
    label = "core"

    def ready(self) -> None:
        from .db import timestamps_at_c_speed

        connection_created.connect(timestamps_at_c_speed, dispatch_uid="lms.core.db")
