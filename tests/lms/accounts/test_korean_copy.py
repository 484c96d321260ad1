"""Korean a careful writer would sign, on the sign-in and account pages (django-allauth's own
Korean is overridden in our catalogue where it is wrong or stiff) and in every message of ours:
no "을(를)"-style particles, no "로그인 되었습니다", no "아이디" on an e-mail login, no typos."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils.html import strip_tags

from lms.accounts.services import user_create_verified
from tests.factories import UserFactory
from tests.korean_copy import BAD

VISITOR_PAGES = [
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/accounts/password/reset/done/",
    "/accounts/password/reset/key/1-bad/",
    "/accounts/confirm-email/",
    "/accounts/confirm-email/bad-key/",
    "/accounts/inactive/",
]
MEMBER_PAGES = [
    "/accounts/logout/",
    "/accounts/email/",
    "/accounts/password/change/",
    "/accounts/3rdparty/",
    "/accounts/reauthenticate/",
]


def _main_text(response) -> str:
    page = response.content.decode()
    main = page[page.index("<main") : page.index("</main>")]
    return re.sub(r"\s+", " ", strip_tags(main))


@pytest.mark.parametrize("url", VISITOR_PAGES)
def test_visitor_account_pages_read_well(db, url):
    response = Client().get(url, follow=True)
    assert response.status_code == 200
    text = _main_text(response)
    assert not BAD.search(text), BAD.search(text).group(0)


@pytest.mark.parametrize("url", MEMBER_PAGES)
def test_member_account_pages_read_well(db, url):
    client = Client()
    client.force_login(UserFactory())
    response = client.get(url, follow=True)
    assert response.status_code == 200
    text = _main_text(response)
    assert not BAD.search(text), BAD.search(text).group(0)


def test_signing_in_says_so_in_one_word(db):
    user_create_verified(email="kim@example.com", password="pass-word-123", display_name="이학습")
    response = Client().post(
        "/accounts/login/",
        {"login": "kim@example.com", "password": "pass-word-123"},
        follow=True,
    )
    said = [str(m) for m in response.context["messages"]]
    assert said == ["이학습 님으로 로그인했습니다."]


def test_the_login_form_remembers_the_sign_in_not_a_username(db):
    text = _main_text(Client().get("/accounts/login/"))
    assert "로그인 상태 유지" in text
    assert "아이디" not in text


def test_the_password_reset_pages_say_what_happens(db):
    text = _main_text(Client().get("/accounts/password/reset/"))
    assert "비밀번호를 다시 설정할 수 있는 메일을 보내 드립니다" in text


def test_no_message_of_ours_uses_the_patterns():
    catalogue = Path(settings.BASE_DIR, "lms/locale/ko/LC_MESSAGES/django.po").read_text()
    strings = re.findall(r'^msgstr(?:\[\d\])? "(.*)"$', catalogue, re.M)
    bad = [s for s in strings if BAD.search(s)]
    assert not bad
