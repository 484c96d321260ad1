from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo and seed data of a first start: the seed catalog, the demo video and accounts,
    and `manage.py bootstrap_demo` that loads them. Nothing else imports this app."""

    name = "lms.demo"
    label = "demo"
