from django.apps import AppConfig


class WebConfig(AppConfig):
    """The public pages that combine apps: home, course, lecture (with its player), category,
    bundle, search and "my learning". The layer above catalog, learning, media, community and
    certificates; nothing below imports it. Its URL names keep the `catalog:` namespace: they
    name the catalog's pages, whichever module renders them."""

    name = "lms.web"
    label = "web"
