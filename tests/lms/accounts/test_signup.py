"""Sign-up that finishes (issue 20): the display name and the consents, the page after it, a
new mail and another address."""

import re

import pytest
from django.core import mail

from lms.accounts.models import CONSENT_VERSIONS, Consent, User

pytestmark = pytest.mark.django_db

PASSWORD = "고객만족-2026!"
SIGNUP = {
    "email": "new@example.com",
    "password1": PASSWORD,
    "password2": PASSWORD,
    "display_name": "이학습",
    "terms": "on",
    "privacy": "on",
}


def _link(body: str) -> str:
    return re.search(r"https?://[^/\s]+(/[A-Za-z0-9_\-:/.%?=&]+)", body).group(1)


def _confirm(client, message) -> None:
    link = _link(message.body)
    client.get(link)
    client.post(link)


def _field_html(page: str, name: str) -> str:
    """The markup of one field's block on the sign-up form (label, input, help, errors)."""
    start = page.index(f'name="{name}"')
    block_start = page.rindex('<div class="field', 0, start)
    return page[block_start : page.index("</div>", start)]


def test_signup_keeps_the_display_name_and_each_consent_with_its_version_and_time(client):
    response = client.post("/accounts/signup/", {**SIGNUP, "marketing": "on"})

    assert response.status_code == 302
    user = User.objects.get(email="new@example.com")
    assert user.display_name == "이학습"
    consents = {c.kind: c for c in Consent.objects.filter(member=user)}
    assert set(consents) == {Consent.Kind.TERMS, Consent.Kind.PRIVACY, Consent.Kind.MARKETING}
    for kind, consent in consents.items():
        assert consent.version == CONSENT_VERSIONS[kind]
        assert consent.given_at >= user.date_joined


def test_the_marketing_consent_is_optional_and_kept_only_when_ticked(client):
    response = client.post("/accounts/signup/", SIGNUP)

    assert response.status_code == 302
    kinds = set(
        Consent.objects.filter(member__email="new@example.com").values_list("kind", flat=True)
    )
    assert kinds == {Consent.Kind.TERMS, Consent.Kind.PRIVACY}


def test_signup_without_the_consents_and_name_makes_no_account_and_says_why_under_each_field(
    client,
):
    form = {k: v for k, v in SIGNUP.items() if k not in ("terms", "privacy")}
    response = client.post("/accounts/signup/", {**form, "display_name": " "})

    assert response.status_code == 200
    assert not User.objects.filter(email="new@example.com").exists()
    page = response.content.decode()
    terms = _field_html(page, "terms")
    assert terms.index('name="terms"') < terms.index("가입하려면 이용약관에 동의해 주세요.")
    privacy = _field_html(page, "privacy")
    assert privacy.index('name="privacy"') < privacy.index(
        "가입하려면 개인정보 수집·이용에 동의해 주세요."
    )
    name = _field_html(page, "display_name")
    assert name.index('name="display_name"') < name.index("errorlist")
    assert "errorlist" not in _field_html(page, "marketing")


def test_the_consents_link_to_their_own_pages_which_the_footer_links_too(client):
    page = client.get("/accounts/signup/").content.decode()

    assert 'href="/terms/"' in _field_html(page, "terms")
    assert 'href="/privacy/"' in _field_html(page, "privacy")
    assert "[필수] 이용약관에 동의합니다" in page
    assert "[선택] 새 강좌·특강 소식을 메일로 받겠습니다" in page
    terms = client.get("/terms/").content.decode()
    privacy = client.get("/privacy/").content.decode()
    assert "<h1>이용약관</h1>" in terms
    assert CONSENT_VERSIONS[Consent.Kind.TERMS] in terms
    assert "<h1>개인정보 처리방침</h1>" in privacy
    for text in ("이메일 주소", "표시 이름", "수강 기록", "탈퇴", "열람·정정·삭제"):
        assert text in privacy
    for footer in (terms, privacy):
        assert 'href="/terms/"' in footer
        assert 'href="/privacy/"' in footer


def test_after_signup_the_page_names_the_address_and_the_link_signs_the_member_in(client):
    response = client.post("/accounts/signup/", SIGNUP, follow=True)

    page = response.content.decode()
    assert response.redirect_chain[-1][0] == "/accounts/email-sent/"
    assert "<strong>new@example.com</strong>" in page
    assert 'value="resend"' in page
    assert 'name="email"' in page
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@example.com"]

    _confirm(client, mail.outbox[0])

    user = User.objects.get(email="new@example.com")
    assert client.session["_auth_user_id"] == str(user.pk)
    home = client.get("/").content.decode()
    assert "이학습 님으로 로그인했습니다." in home


def test_send_again_mails_the_address_until_the_confirm_email_limit_holds_it_back(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "confirm_email": "2/3m/key"}
    client.post("/accounts/signup/", SIGNUP)
    assert len(mail.outbox) == 1

    response = client.post("/accounts/email-sent/", {"action": "resend"}, follow=True)
    assert len(mail.outbox) == 2
    assert mail.outbox[1].to == ["new@example.com"]
    assert "메일을 다시 보냈습니다." in response.content.decode()

    response = client.post("/accounts/email-sent/", {"action": "resend"}, follow=True)
    assert len(mail.outbox) == 2
    assert "몇 분 뒤에 다시 요청할 수 있습니다." in response.content.decode()


def test_another_address_replaces_the_unconfirmed_one_and_its_link_signs_the_member_in(
    client,
):
    client.post("/accounts/signup/", {**SIGNUP, "email": "typo@exmaple.com"})

    response = client.post(
        "/accounts/email-sent/", {"action": "change", "email": "Right@Example.com"}, follow=True
    )

    assert "<strong>right@example.com</strong>" in response.content.decode()
    user = User.objects.get(display_name="이학습")
    assert user.email == "right@example.com"
    assert list(user.emailaddress_set.values_list("email", "verified")) == [
        ("right@example.com", False)
    ]
    assert mail.outbox[-1].to == ["right@example.com"]
    _confirm(client, mail.outbox[-1])
    assert client.session["_auth_user_id"] == str(user.pk)
    assert user.emailaddress_set.get().verified


def test_another_address_that_has_an_account_is_not_taken_over_and_its_owner_is_told(
    client, member
):
    client.post("/accounts/signup/", SIGNUP)
    newcomer = User.objects.get(email="new@example.com")

    response = client.post(
        "/accounts/email-sent/", {"action": "change", "email": member.email}, follow=True
    )

    assert f"<strong>{member.email}</strong>" in response.content.decode()
    newcomer.refresh_from_db()
    assert newcomer.email == "new@example.com"
    assert not member.emailaddress_set.filter(user=newcomer).exists()
    assert mail.outbox[-1].to == [member.email]
    assert "이미 가입한 계정이 있습니다" in mail.outbox[-1].subject
    assert "_auth_user_id" not in client.session


def test_a_signup_with_a_taken_address_sees_the_same_page_and_send_again_mails_the_owner(
    client, member, settings
):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "confirm_email": "2/3m/key"}
    response = client.post("/accounts/signup/", {**SIGNUP, "email": member.email}, follow=True)

    assert response.redirect_chain[-1][0] == "/accounts/email-sent/"
    assert f"<strong>{member.email}</strong>" in response.content.decode()
    client.post("/accounts/email-sent/", {"action": "resend"})
    assert [m.to for m in mail.outbox] == [[member.email], [member.email]]
    assert all("이미 가입한 계정이 있습니다" in m.subject for m in mail.outbox)
    assert User.objects.filter(email=member.email).count() == 1


def test_the_address_changes_only_a_few_times(client):
    client.post("/accounts/signup/", SIGNUP)
    for n in range(3):
        client.post("/accounts/email-sent/", {"action": "change", "email": f"n{n}@example.com"})

    response = client.post("/accounts/email-sent/", {"action": "change", "email": "x@example.com"})

    assert User.objects.get(display_name="이학습").email == "n2@example.com"
    assert 'value="change"' not in response.content.decode()


def test_the_email_sent_page_without_a_pending_signup_leads_to_sign_in(client):
    response = client.get("/accounts/email-sent/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"


def test_the_login_form_offers_to_stay_signed_in_not_to_remember_an_id(client):
    page = client.get("/accounts/login/").content.decode()

    assert "로그인 상태 유지" in page
    assert "아이디 저장" not in page
