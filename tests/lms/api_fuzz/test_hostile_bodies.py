"""Finding 4 of issue 17: a deeply nested JSON body is a 400 in the API's error shape, on every
endpoint that reads a body, not a RecursionError 500."""

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db

DEEP = "[" * 100_000


@pytest.fixture
def instructor_client(instructor) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(instructor)
    client.get("/")  # the CSRF cookie, as a page would set it
    return client


def _send(client: Client, method: str, url: str, body: str):
    return client.generic(
        method,
        url,
        body,
        content_type="application/json",
        headers={"X-CSRFToken": client.cookies["csrftoken"].value},
    )


def _assert_too_deep(response) -> None:
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert body["code"] == "too_deep"
    assert "32" in body["message"]
    assert set(body) == {"message", "code", "extra"}


def test_deep_heartbeat_with_a_session_is_a_400(instructor_client):
    _assert_too_deep(_send(instructor_client, "POST", "/api/v1/progress/heartbeats", DEEP))


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("PATCH", "/api/v1/me/preferences"),
        ("POST", "/api/v1/uploads"),
        ("POST", "/api/v1/uploads/1/complete"),
    ],
)
def test_deep_body_on_every_json_endpoint_is_a_400(instructor_client, method, url):
    _assert_too_deep(_send(instructor_client, method, url, DEEP))


def test_the_message_is_korean_by_default(instructor_client):
    response = _send(instructor_client, "PATCH", "/api/v1/me/preferences", DEEP)

    assert "JSON" in response.json()["message"]
    assert "단계" in response.json()["message"]


def test_deep_heartbeat_with_an_api_token_is_a_400(instructor):
    # An API token names the member in the Authorization header: the same view and parser.
    token = Token.objects.create(user=instructor)
    client = Client(headers={"Authorization": f"Token {token.key}"})

    _assert_too_deep(
        client.post("/api/v1/progress/heartbeats", DEEP, content_type="application/json")
    )
