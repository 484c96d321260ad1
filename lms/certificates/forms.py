from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from lms.accounts.models import User


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=_("Certificate number"),
        max_length=64,
        widget=forms.TextInput(
            attrs={"placeholder": "KCA-XXXX-XXXX-XXXX-XXXX", "autocomplete": "off"}
        ),
    )


class ProfileForm(forms.Form):
    """The limits are the service's (accounts.services.profile_update), which explains them;
    the form only bounds what it reads."""

    display_name = forms.CharField(label=_("Display name"), required=False, max_length=1000)
    certificate_name = forms.CharField(
        label=_("Name on certificates"),
        required=False,
        max_length=1000,
        help_text=_("Printed on certificates issued from now on; your display name when empty."),
    )
    bio = forms.CharField(
        label=_("Short introduction"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    links = forms.CharField(
        label=_("Links"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One web address per line (a portfolio, a blog, LinkedIn)."),
    )
    public = forms.BooleanField(
        label=_("Show my public profile"),
        required=False,
        help_text=_("Off by default. Anyone with its address sees your completed courses."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "display_name": user.display_name,
                "certificate_name": user.certificate_name,
                "bio": user.bio,
                "links": user.links,
                "public": user.profile_public,
            },
        )
        super().__init__(*args, **kwargs)
