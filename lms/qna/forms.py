from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .formatting import parse_moment
from .models import BODY_MAX_LENGTH
from .services import HIDE_REASON_MAX_LENGTH


class PostForm(forms.Form):
    body = forms.CharField(label=_("Text"), max_length=BODY_MAX_LENGTH, strip=True)


class QuestionForm(PostForm):
    # "12:34" typed by hand, or filled in by qna.js from the player ("ask at this moment").
    at = forms.CharField(label=_("Moment of the video"), max_length=12, required=False)

    def clean_at(self) -> int | None:
        try:
            return parse_moment(self.cleaned_data["at"])
        except ValueError as exc:
            raise ValidationError(_("Write the moment like 12:34."), code="invalid_moment") from exc


class HideForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=HIDE_REASON_MAX_LENGTH, strip=True)
