"""Kakao and Naver sign-in (issue 20): offered once staff configure their keys; a Kakao account
without an e-mail address is asked for one; an existing account is never joined by e-mail alone.

The providers' OAuth2 flow runs through allauth for real; only their HTTP endpoints (token and
profile) are answered here, at `requests.Session.request`, the boundary allauth calls them
through.
"""

import json
from contextlib import contextmanager
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.contrib.sites.models import Site
from django.core import mail

from lms.accounts.models import Consent, User
from lms.accounts.services import user_create_verified

pytestmark = pytest.mark.django_db

TOKEN_URLS = {
    "kakao": "https://kauth.kakao.com/oauth/token",
    "naver": "https://nid.naver.com/oauth2.0/token",
}
PROFILE_URLS = {
    "kakao": "https://kapi.kakao.com/v2/user/me",
    "naver": "https://openapi.naver.com/v1/nid/me",
}
CONSENTS = {"display_name": "카카오회원", "terms": "on", "privacy": "on"}


def _app(provider: str) -> SocialApp:
    app = SocialApp.objects.create(
        provider=provider, name=provider.title(), client_id=f"{provider}-id", secret="secret"
    )
    app.sites.add(Site.objects.get_current())
    return app


def _json_response(url: str, payload: dict) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response.url = url
    response.headers["Content-Type"] = "application/json"
    response._content = json.dumps(payload).encode()
    return response


@contextmanager
def provider_answers(provider: str, profile: dict):
    """The provider's token and profile endpoints answer; any other outgoing request fails."""
    calls: list[tuple[str, str]] = []

    def request(session, method, url, *args, **kwargs):
        calls.append((method.upper(), url))
        if method.upper() == "POST" and url == TOKEN_URLS[provider]:
            assert kwargs["data"]["code"] == "the-code"
            token = {"access_token": "at-123", "token_type": "bearer", "expires_in": 3600}
            return _json_response(url, token)
        if method.upper() == "GET" and url == PROFILE_URLS[provider]:
            assert kwargs["headers"]["Authorization"] == "Bearer at-123"
            return _json_response(url, profile)
        raise AssertionError(f"unexpected request {method} {url}")

    with mock.patch.object(requests.Session, "request", request):
        yield calls


def _sign_in_with(client, provider: str, profile: dict):
    """Start the sign-in, follow it to the provider, come back with a code."""
    response = client.post(f"/accounts/{provider}/login/", {"process": "login"})
    assert response.status_code == 302
    authorize = urlsplit(response["Location"])
    assert authorize.netloc in ("kauth.kakao.com", "nid.naver.com")
    state = parse_qs(authorize.query)["state"][0]
    with provider_answers(provider, profile) as calls:
        response = client.get(
            f"/accounts/{provider}/login/callback/", {"code": "the-code", "state": state}
        )
    assert [url for _, url in calls] == [TOKEN_URLS[provider], PROFILE_URLS[provider]]
    return response


def test_kakao_and_naver_are_offered_only_once_staff_configure_their_keys(client):
    for url in ("/accounts/login/", "/accounts/signup/"):
        page = client.get(url).content.decode()
        assert "/accounts/kakao/login/" not in page
        assert "/accounts/naver/login/" not in page

    _app("kakao")
    _app("naver")

    for url in ("/accounts/login/", "/accounts/signup/"):
        page = client.get(url).content.decode()
        assert 'action="/accounts/kakao/login/?process=login"' in page
        assert 'action="/accounts/naver/login/?process=login"' in page
        assert "카카오 계정으로 계속하기" in page
        assert "네이버 계정으로 계속하기" in page


def test_a_kakao_account_without_an_email_is_asked_for_one_and_the_consents(client):
    _app("kakao")
    profile = {"id": 4242, "kakao_account": {"profile": {"nickname": "상담왕"}}}

    response = _sign_in_with(client, "kakao", profile)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/3rdparty/signup/"
    page = client.get("/accounts/3rdparty/signup/").content.decode()
    assert 'name="email"' in page
    assert 'name="terms"' in page
    assert 'name="privacy"' in page
    assert not User.objects.exists()

    response = client.post("/accounts/3rdparty/signup/", {"email": "", **CONSENTS})
    assert response.status_code == 200
    assert not User.objects.exists()

    response = client.post("/accounts/3rdparty/signup/", {"email": "kakao@example.com", **CONSENTS})
    user = User.objects.get(email="kakao@example.com")
    assert user.display_name == "카카오회원"
    assert SocialAccount.objects.get(provider="kakao").user == user
    assert set(user.consents.values_list("kind", flat=True)) == {
        Consent.Kind.TERMS,
        Consent.Kind.PRIVACY,
    }
    # The address Kakao did not vouch for is confirmed by mail, like any other sign-up.
    assert response["Location"] == "/accounts/email-sent/"
    assert mail.outbox[-1].to == ["kakao@example.com"]
    assert "_auth_user_id" not in client.session


def test_a_kakao_account_with_the_address_of_a_member_is_not_joined_to_that_member(client):
    member = user_create_verified(email="alice@example.com", password="pass-word-123")
    _app("kakao")
    profile = {
        "id": 777,
        "kakao_account": {
            "email": "alice@example.com",
            "is_email_verified": True,
            "profile": {"nickname": "앨리스"},
        },
    }

    response = _sign_in_with(client, "kakao", profile)

    assert response["Location"] == "/accounts/3rdparty/signup/"
    assert "_auth_user_id" not in client.session
    response = client.post("/accounts/3rdparty/signup/", {"email": "alice@example.com", **CONSENTS})
    # As for any sign-up with a taken address (no one learns which addresses have accounts):
    # the visitor sees the "mail sent" page, the owner is told, nothing is joined.
    assert response["Location"] == "/accounts/email-sent/"
    assert not SocialAccount.objects.exists()
    assert User.objects.get() == member
    assert mail.outbox[-1].to == ["alice@example.com"]
    assert "이미 가입한 계정이 있습니다" in mail.outbox[-1].subject
    assert "_auth_user_id" not in client.session
    page = client.get("/accounts/email-sent/").content.decode()
    assert "<strong>alice@example.com</strong>" in page
    assert "_auth_user_id" not in client.session


def test_a_naver_account_signs_up_with_its_confirmed_address_after_the_consents(client):
    _app("naver")
    profile = {"resultcode": "00", "response": {"id": "nv-1", "email": "naver@example.com"}}

    response = _sign_in_with(client, "naver", profile)

    assert response["Location"] == "/accounts/3rdparty/signup/"
    page = client.get("/accounts/3rdparty/signup/").content.decode()
    assert 'value="naver@example.com"' in page
    response = client.post("/accounts/3rdparty/signup/", {"email": "naver@example.com", **CONSENTS})
    user = User.objects.get(email="naver@example.com")
    assert SocialAccount.objects.get(provider="naver").user == user
    assert client.session["_auth_user_id"] == str(user.pk)
    assert user.consents.count() == 2


def test_a_member_who_signed_up_with_kakao_signs_in_again_with_it_at_once(client):
    _app("kakao")
    profile = {"id": 9, "kakao_account": {"profile": {"nickname": "상담왕"}}}
    _sign_in_with(client, "kakao", profile)
    client.post("/accounts/3rdparty/signup/", {"email": "kakao@example.com", **CONSENTS})
    user = User.objects.get(email="kakao@example.com")
    user.emailaddress_set.update(verified=True)
    client.post("/accounts/logout/")

    response = _sign_in_with(client, "kakao", profile)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(user.pk)
    assert User.objects.count() == 1
