import re

import pytest
from django.core import mail

from lms.accounts.models import User

pytestmark = pytest.mark.django_db

# What the sign-up form needs besides the address: a display name and the two required consents.
SIGNUP = {
    "password1": "고객만족-2026!",
    "password2": "고객만족-2026!",
    "display_name": "이학습",
    "terms": "on",
    "privacy": "on",
}


def _link(body: str) -> str:
    return re.search(r"https?://[^/\s]+(/[A-Za-z0-9_\-:/.%?=&]+)", body).group(1)


def test_member_signs_up_verifies_email_signs_in_and_out(client):
    response = client.post(
        "/accounts/signup/",
        {**SIGNUP, "email": "New@Example.com"},
    )
    assert response.status_code == 302
    user = User.objects.get(email="new@example.com")
    assert not user.is_instructor
    assert not user.is_staff
    assert len(mail.outbox) == 1
    # Unverified: signing in is held until the address is confirmed.
    client.post("/accounts/logout/")
    response = client.post(
        "/accounts/login/", {"login": "new@example.com", "password": "고객만족-2026!"}
    )
    assert "_auth_user_id" not in client.session

    confirm = _link(mail.outbox[-1].body)
    client.get(confirm)
    client.post(confirm)
    response = client.post(
        "/accounts/login/", {"login": "new@example.com", "password": "고객만족-2026!"}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)

    client.post("/accounts/logout/")
    assert "_auth_user_id" not in client.session


def test_signup_with_a_taken_email_makes_no_second_account_and_warns_the_owner(client, member):
    # allauth does not tell a stranger that the address is taken (account enumeration); it
    # mails the owner instead.
    client.post(
        "/accounts/signup/",
        {**SIGNUP, "email": member.email},
    )
    assert User.objects.filter(email=member.email).count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [member.email]


def test_password_reset_sends_a_link_that_sets_a_new_password(client):
    from lms.accounts.services import user_create_verified

    user = user_create_verified(email="reset@example.com", password="old-pass-9911")
    client.post("/accounts/password/reset/", {"email": "reset@example.com"})
    assert len(mail.outbox) == 1

    link = _link(mail.outbox[0].body)
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link
    client.post(form_url, {"password1": "new-pass-7788!", "password2": "new-pass-7788!"})

    user.refresh_from_db()
    assert user.check_password("new-pass-7788!")


def test_user_manager_requires_an_email():
    with pytest.raises(ValueError, match="e-mail"):
        User.objects.create_user(email="", password="x")
