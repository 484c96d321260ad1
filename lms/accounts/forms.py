from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from lms.core.errors import AppError

from . import services
from .models import InstructorApplication, User


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


class SignupDetailsForm(forms.Form):
    """What sign-up asks besides the e-mail address and password (ACCOUNT_SIGNUP_FORM_CLASS:
    allauth's sign-up form and its social sign-up form, for Kakao and Naver, both inherit it).

    The two consents the law requires are separate required checkboxes, each with its own page;
    the optional one is separate and unticked."""

    display_name = forms.CharField(
        label=_("Display name"),
        max_length=60,
        help_text=_("Shown to other members on the forum and your profile."),
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )
    terms = forms.BooleanField(
        label=_("I agree to the terms of use (required)"),
        error_messages={"required": _("Agree to the terms of use to sign up.")},
    )
    privacy = forms.BooleanField(
        label=_("I agree to the collection and use of personal information (required)"),
        error_messages={
            "required": _("Agree to the collection and use of personal information to sign up.")
        },
    )
    marketing = forms.BooleanField(
        label=_("Send me e-mails about new courses and special lectures (optional)"),
        required=False,
    )

    field_order = ("display_name",)

    def clean_display_name(self) -> str:
        try:
            return services.display_name_validate(self.cleaned_data["display_name"])
        except AppError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None

    def signup(self, request: HttpRequest, user: User) -> None:
        services.member_signup_complete(
            user=user,
            display_name=self.cleaned_data["display_name"],
            marketing=self.cleaned_data["marketing"],
        )


class AddressChangeForm(forms.Form):
    email = forms.EmailField(
        label=_("Another e-mail address"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
