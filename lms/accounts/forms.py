from django import forms
from django.utils.translation import gettext_lazy as _

from .models import InstructorApplication


class InstructorApplicationForm(forms.ModelForm[InstructorApplication]):
    sample_link = forms.URLField(
        label=_("sample link"), required=False, max_length=500, assume_scheme="https"
    )

    class Meta:
        model = InstructorApplication
        fields = ("proposed_topic", "years_in_field", "experience", "sample_link")
        widgets = {"experience": forms.Textarea(attrs={"rows": 6})}
        help_texts = {
            "experience": _("Where you worked, what you did, what you can teach others."),
            "sample_link": _("Optional: a video, article or slides of yours."),
        }


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=(("approve", _("Approve")), ("decline", _("Decline"))))
    message = forms.CharField(
        label=_("Message to the applicant"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
