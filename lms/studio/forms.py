from django import forms
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from lms.catalog.models import Course, Lecture, LectureCaption


class StudioFormMixin:
    """Renders `as_div` with templates/studio/fields.html (errors under their field), through
    the project's template engine (the form renderer's does not see templates/)."""

    def as_div(self) -> SafeString:
        return SafeString(render_to_string("studio/fields.html", {"form": self}))


class CourseForm(StudioFormMixin, forms.ModelForm[Course]):
    # `category` is the model's field, not a declared one, so that its label is the model's
    # translated verbose name; Category's Meta already orders by position.
    class Meta:
        model = Course
        fields = ("category", "title", "title_en", "summary", "description", "outcome", "level")
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}

    # Not the model's field: the bytes are checked and the name chosen by
    # `catalog.services.course_cover_set`, which the view calls with this upload.
    cover = forms.FileField(
        label=_("Cover image"),
        required=False,
        help_text=_(
            "PNG, JPEG or WebP, 16:9 looks best (e.g. 1280×720). Until you add one, a frame of "
            "the first lecture is shown."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )


class LectureForm(StudioFormMixin, forms.ModelForm[Lecture]):
    class Meta:
        model = Lecture
        fields = ("title", "title_en", "section_title", "description")
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class ChapterForm(StudioFormMixin, forms.Form):
    start = forms.CharField(label=_("Time"), max_length=12, help_text=_("e.g. 12:34"))
    title = forms.CharField(label=_("Chapter title"), max_length=120)


class CaptionForm(StudioFormMixin, forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=LectureCaption.Language.choices)
    file = forms.FileField(label=_("SRT or WebVTT file"))


class AttachmentForm(StudioFormMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    file = forms.FileField(label=_("File (PDF, PowerPoint, Excel, Word, HWP)"))


class MoveForm(forms.Form):
    position = forms.IntegerField()


class ReviewDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=(("approve", _("Approve")), ("send_back", _("Send back"))))
    publish_at = forms.CharField(required=False, max_length=40)
    comment = forms.CharField(required=False, max_length=4000)
