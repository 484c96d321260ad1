from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "lms.core"
    label = "core"

    def ready(self) -> None:
        from django.urls import register_converter

        from .converters import DatabaseIdConverter

        # Before any URLconf is loaded: every `<id:...>` route (ids in 1 .. 2**63-1).
        register_converter(DatabaseIdConverter, "id")
