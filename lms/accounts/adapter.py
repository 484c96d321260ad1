"""allauth's adapter, where the platform differs from allauth's defaults."""

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect


# allauth ships no type information: its adapter is Any to the type checker.
class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    def respond_email_verification_sent(
        self, request: HttpRequest, user: AbstractBaseUser | None
    ) -> HttpResponseBase:
        # Our page says where the mail went, sends it again and changes the address
        # (lms.accounts.verification); allauth's says only that a mail was sent.
        return redirect("accounts:email_sent")
