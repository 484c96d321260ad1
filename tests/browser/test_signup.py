"""A visitor signs up in Chromium (issue 20): display name and the two consents, the page that
says where the mail went, the link in the mail, signed in."""

import re
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from lms.accounts.models import Consent, User
from tests.browser.test_csp import assert_no_violation, watch_csp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "browser"


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"signup-{name}.png"), full_page=True)


def test_a_visitor_signs_up_confirms_the_mail_and_is_signed_in(page: Page):
    seen = watch_csp(page)
    page.goto("/")
    page.get_by_role("link", name="회원가입").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("회원가입")
    shot(page, "1-form")

    # Without the consents: no account, and each error under its own checkbox.
    page.get_by_label("표시 이름").fill("이학습")
    page.locator("#id_email").fill("new@example.com")
    page.locator("#id_password1").fill("고객만족-2026!")
    page.locator("#id_password2").fill("고객만족-2026!")
    page.get_by_role("button", name="회원가입").click()
    expect(page.locator("#id_terms_errors")).to_have_text("가입하려면 이용약관에 동의해 주세요.")
    expect(page.locator("#id_privacy_errors")).to_have_text(
        "가입하려면 개인정보 수집·이용에 동의해 주세요."
    )
    below = page.evaluate(
        "document.querySelector('#id_terms').getBoundingClientRect().bottom <= "
        "document.querySelector('#id_terms_errors').getBoundingClientRect().top"
    )
    assert below, "the error shows under its checkbox"
    assert not User.objects.exists()
    shot(page, "2-consents-missing")

    # The terms open on their own page.
    with page.context.expect_page() as terms_tab:
        page.locator("#id_terms").locator("..").get_by_role("link", name="보기").click()
    expect(terms_tab.value.get_by_role("heading", level=1)).to_have_text("이용약관")
    terms_tab.value.close()

    page.locator("#id_password1").fill("고객만족-2026!")
    page.locator("#id_password2").fill("고객만족-2026!")
    page.get_by_label("[필수] 이용약관에 동의합니다").check()
    page.get_by_label("[필수] 개인정보 수집·이용에 동의합니다").check()
    page.get_by_role("button", name="회원가입").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("이메일 주소를 확인해 주세요")
    expect(page.locator(".sent-to")).to_have_text("new@example.com")
    expect(page.get_by_role("button", name="메일 다시 보내기")).to_be_visible()
    expect(page.get_by_text("주소를 잘못 적었나요? 다른 주소로 받기")).to_be_visible()
    shot(page, "3-email-sent")
    user = User.objects.get(email="new@example.com")
    assert set(user.consents.values_list("kind", flat=True)) == {
        Consent.Kind.TERMS,
        Consent.Kind.PRIVACY,
    }

    assert [m.to for m in mail.outbox] == [["new@example.com"]]
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+)", mail.outbox[0].body)
    page.goto(link.group(1))
    shot(page, "4-confirm")
    page.get_by_role("button", name="확인").click()

    expect(page.locator(".messages")).to_contain_text("이학습 님으로 로그인했습니다.")
    expect(page.locator(".site-header .who")).to_have_text("이학습")
    shot(page, "5-signed-in")
    assert_no_violation(page, seen)


def test_kakao_and_naver_show_on_the_sign_in_page_once_staff_add_their_keys(page: Page):
    from allauth.socialaccount.models import SocialApp
    from django.contrib.sites.models import Site

    page.goto("/accounts/login/")
    expect(page.get_by_role("button", name="카카오 계정으로 계속하기")).to_have_count(0)
    expect(page.get_by_label("로그인 상태 유지")).to_be_visible()

    for provider in ("kakao", "naver"):
        app = SocialApp.objects.create(
            provider=provider, name=provider.title(), client_id="id", secret="secret"
        )
        app.sites.add(Site.objects.get_current())
    page.goto("/accounts/login/")

    expect(page.get_by_role("button", name="카카오 계정으로 계속하기")).to_be_visible()
    expect(page.get_by_role("button", name="네이버 계정으로 계속하기")).to_be_visible()
    shot(page, "6-sign-in-with-kakao-naver")
    page.goto("/accounts/signup/")
    expect(page.get_by_role("button", name="카카오 계정으로 계속하기")).to_be_visible()
