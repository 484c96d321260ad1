"""Content in two languages: Korean is the source, English an optional translation."""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def prefers_english() -> bool:
    return (get_language() or "ko").startswith("en")


class BilingualTitleModel(models.Model):
    title = models.CharField(_("title (Korean)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.title

    @property
    def display_title(self) -> str:
        if prefers_english() and self.title_en:
            return self.title_en
        return self.title
