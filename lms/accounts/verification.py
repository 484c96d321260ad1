"""The sign-up that waits for its e-mail address to be confirmed: the address it waits on, a
new mail, another address.

allauth keeps a sign-up that must confirm its address as a login stashed in the session, at the
"verify_email" stage, until the link in the mail is followed (then it signs the member in) or
ACCOUNT_LOGIN_TIMEOUT passes. This module reads and updates that stash through allauth's own
functions; `views.email_sent` is its page.

A sign-up with an address that already has an account is, to its visitor, the same: allauth
stashes a login without a member (so that nobody learns which addresses have accounts) and mails
the owner instead. Every function here treats both alike, as allauth's code-based verification
does when an address is changed (`EmailVerificationProcess.change_to`).
"""

from dataclasses import dataclass

from allauth.account.internal.flows.email_verification import (
    send_verification_email_to_address,
)
from allauth.account.internal.stagekit import stash_login
from allauth.account.models import EmailAddress, Login
from allauth.account.stages import EmailVerificationStage, LoginStageController
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from lms.core.errors import AppError

from . import services

# Changes of address one sign-up may make (allauth's default for its code-based flow is 2).
MAX_ADDRESS_CHANGES = 3


@dataclass(frozen=True)
class PendingSignup:
    login: Login
    state: dict[str, object]

    @property
    def email(self) -> str:
        # allauth names the address on the login only when there is no member (an address
        # that has an account already); a member's is their own.
        if self.login.email:
            return str(self.login.email)
        return str(getattr(self.login.user, "email", "") or "")

    @property
    def changes_left(self) -> int:
        changes = self.state.get("address_changes", 0)
        return MAX_ADDRESS_CHANGES - (changes if isinstance(changes, int) else 0)


def pending_signup_get(request: HttpRequest) -> PendingSignup | None:
    """The sign-up of this browser that waits for its address to be confirmed, if any."""
    stage = LoginStageController.enter(request, EmailVerificationStage.key)
    if stage is None:
        return None
    pending = PendingSignup(login=stage.login, state=stage.state)
    return pending if pending.email else None


def _address(pending: PendingSignup) -> EmailAddress:
    """The address to mail: the member's own, or (no member: an address that has an account
    already) one without a member, for which allauth mails the owner "you already have an
    account"."""
    user = pending.login.user
    if user is not None:
        address = EmailAddress.objects.filter(user=user, email__iexact=pending.email).first()
        if address is not None:
            return address
    return EmailAddress(email=pending.email)


def verification_mail_resend(request: HttpRequest, pending: PendingSignup) -> bool:
    """Send the confirmation mail again; False when ACCOUNT_RATE_LIMITS["confirm_email"] holds
    it back (the mail sent before still has a valid link)."""
    return bool(send_verification_email_to_address(request, _address(pending), signup=True))


@transaction.atomic
def pending_signup_change_address(
    request: HttpRequest, pending: PendingSignup, *, email: str
) -> bool:
    """Make `email` the address this sign-up waits on and mail it; returns whether a mail went.

    The new member's unconfirmed address is replaced (`member_unconfirmed_email_replace`). An
    address that has an account already is not taken over: its owner gets allauth's "you
    already have an account" mail, and the visitor sees the same page as for any other address.
    Each sign-up may change its address MAX_ADDRESS_CHANGES times.
    """
    if pending.changes_left <= 0:
        raise AppError(
            _("The address cannot be changed again. Sign up once more, please."),
            code="address_changes_used_up",
        )
    email = email.strip().lower()
    user = pending.login.user
    if user is not None and services.member_unconfirmed_email_replace(user=user, email=email):
        user.refresh_from_db(fields=["email"])
        pending.login.email = None
    else:
        # No member of this sign-up's own, or the address is someone else's: the login stays
        # without a member, so confirming the link signs nobody in to the other account.
        pending.login.user = None
        pending.login.email = email
    pending.state["address_changes"] = int(pending.state.get("address_changes", 0)) + 1  # type: ignore[call-overload]
    stash_login(request, pending.login)
    return verification_mail_resend(request, pending)
