"""The player's signed heartbeat key: who it names, when it stops working, and that a request
carrying it never reads the session."""

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from lms.learning.auth import heartbeat_key_make, recent_keys
from lms.learning.models import LectureProgress
from tests.factories import UserFactory

from .conftest import HEARTBEATS_URL, page_key, report

pytestmark = pytest.mark.django_db


def post_with_key(key: str, body: dict, client: Client | None = None):
    return (client or Client()).post(
        HEARTBEATS_URL,
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Heartbeat {key}",
    )


def test_the_page_key_records_progress_for_its_member(member, lecture):
    response = post_with_key(page_key(member), report(lecture, ranges=[[0, 10]]))

    assert response.status_code == 200
    assert response.json()["lectures"][0]["covered_seconds"] == 10
    assert LectureProgress.objects.get().user == member


def test_the_short_path_sets_no_cookie_and_needs_no_csrf(member, lecture):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)  # a session cookie is there too, and ignored

    response = post_with_key(page_key(member), report(lecture), client)

    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"  # SecurityMiddleware ran
    assert int(response.headers["Content-Length"]) == len(response.content)


@pytest.mark.parametrize("damage", ["forged", "expired", "password changed", "deactivated"])
def test_a_bad_page_key_is_refused_and_stores_nothing(member, lecture, settings, damage):
    key = page_key(member)
    if damage == "forged":
        other = UserFactory()
        payload = signing.loads(key, salt="lms.learning.heartbeat-key")
        key = signing.dumps({**payload, "u": other.pk}, key="not-the-secret-key")
    elif damage == "expired":
        settings.HEARTBEAT_KEY_MAX_AGE = -1
    elif damage == "password changed":
        _end_access(member, "password")
    else:
        _end_access(member, "deactivation")

    response = post_with_key(key, report(lecture))

    assert response.status_code == 403
    assert response.json()["code"] == "authentication_failed"
    assert not LectureProgress.objects.exists()


def test_a_key_is_for_heartbeats_only(member, lecture):
    client = Client()
    response = client.get(
        f"/api/v1/progress/lectures/{lecture.pk}",
        HTTP_AUTHORIZATION=f"Heartbeat {page_key(member)}",
    )

    assert response.status_code in (401, 403)


def test_errors_come_in_the_members_language(member, lecture):
    client = Client()
    body = report(lecture, rate=100)

    korean = post_with_key(page_key(member), body, client)
    client.cookies["django_language"] = "en"
    english = post_with_key(page_key(member), body, client)

    assert korean.status_code == english.status_code == 400
    assert korean.json()["code"] == english.json()["code"] == "invalid_rate"
    assert korean.json()["message"] != english.json()["message"]
    assert any("\uac00" <= ch <= "\ud7a3" for ch in korean.json()["message"])


def test_the_short_path_and_the_session_path_answer_alike(member, lecture):
    """The same refused body through both stacks: same status and body."""
    bad = report(lecture, ranges=[[20, 10]])
    session_client = Client()
    session_client.force_login(member)

    by_key = post_with_key(page_key(member), bad)
    by_session = session_client.post(
        HEARTBEATS_URL, json.dumps(bad), content_type="application/json"
    )

    assert by_key.status_code == by_session.status_code == 400
    assert by_key.json() == by_session.json()


def test_a_checked_key_is_trusted_for_the_cache_time_only(member, lecture, settings):
    settings.HEARTBEAT_KEY_CACHE_SECONDS = 60
    key = page_key(member)
    assert post_with_key(key, report(lecture)).status_code == 200
    member.is_active = False
    member.save()

    # Within the cache time the key still works, without a look-up...
    with CaptureQueriesContext(connection) as queries:
        assert post_with_key(key, report(lecture)).status_code == 200
    assert not any('"accounts_user"' in q["sql"] for q in queries.captured_queries)

    # ...and with the cache off (or expired) it is checked again.
    recent_keys.clear()
    settings.HEARTBEAT_KEY_CACHE_SECONDS = 0
    assert post_with_key(key, report(lecture)).status_code == 403


def test_a_cached_key_is_not_trusted_past_its_own_expiry(member, lecture, settings):
    settings.HEARTBEAT_KEY_CACHE_SECONDS = 60
    settings.HEARTBEAT_KEY_MAX_AGE = 2
    key = page_key(member, age_seconds=0)
    assert post_with_key(key, report(lecture)).status_code == 200  # checked, then cached

    time.sleep(2.2)  # the key's own life ends long before the cache time

    response = post_with_key(key, report(lecture))
    assert response.status_code == 403
    assert response.json()["code"] == "authentication_failed"


# Issue 17, finding 6: sign-out, a password change or deactivation ends the keys within 60 s,
# whatever the per-process key cache holds.


@pytest.fixture
def clock():
    # After the fixtures' lectures were published.
    start = datetime.now(tz=UTC).replace(microsecond=0) + timedelta(minutes=1)
    with time_machine.travel(start, tick=False) as traveller:
        yield traveller


def _cached_key(member, lecture, clock) -> str:
    key = heartbeat_key_make(member)
    clock.shift(30)
    assert post_with_key(key, report(lecture, ranges=[[0, 10]])).status_code == 200  # cached
    return key


def _end_access(member, ending: str) -> None:
    if ending == "sign_out":
        browser = Client()
        browser.force_login(member)
        assert browser.post(reverse("account_logout")).status_code == 302
    elif ending == "password":
        member.set_password("a-new-password-1234")
        member.save()
    else:
        member.is_active = False
        member.save()


ENDINGS = ["sign_out", "password", "deactivation"]


@pytest.mark.parametrize("ending", ENDINGS)
def test_sign_out_password_change_and_deactivation_end_the_pages_key_within_60_seconds(
    member, lecture, clock, settings, ending
):
    settings.HEARTBEAT_KEY_CACHE_SECONDS = 300
    key = _cached_key(member, lecture, clock)

    _end_access(member, ending)
    clock.shift(61)

    response = post_with_key(key, report(lecture, ranges=[[10, 20]], seq=2))
    assert response.status_code == 403
    assert response.json()["code"] == "authentication_failed"
    assert LectureProgress.objects.get(user=member).covered_seconds == 10


def test_a_new_page_after_sign_in_again_gets_a_working_key(member, lecture, clock):
    browser = Client()
    browser.force_login(member)
    browser.post(reverse("account_logout"))
    clock.shift(61)

    key = _cached_key(member, lecture, clock)
    assert post_with_key(key, report(lecture, ranges=[[10, 20]], seq=2)).status_code == 200


@pytest.mark.parametrize("ending", ENDINGS)
def test_sign_out_password_change_and_deactivation_end_api_tokens(member, lecture, ending):
    token = Token.objects.create(user=member)
    api = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    body = json.dumps(report(lecture, ranges=[[0, 10]]))
    assert api.post(HEARTBEATS_URL, body, content_type="application/json").status_code == 200

    _end_access(member, ending)

    response = api.post(HEARTBEATS_URL, body, content_type="application/json")
    assert response.status_code in (401, 403)
    assert not Token.objects.filter(user=member).exists()


def test_the_member_read_for_a_key_is_the_member_the_orm_loads(member):
    """progress_sql's literal SELECT of the key's member gives the ORM's instance (every
    field: timestamps and booleans included, on SQLite and PostgreSQL), and the key epoch."""
    from lms.accounts.models import User
    from lms.learning.auth import key_epoch_bump
    from lms.learning.models import MemberCredit
    from lms.learning.progress_sql import active_member_with_epoch

    member.last_login = timezone.now()
    member.save()
    key_epoch_bump(member)
    built, epoch = active_member_with_epoch(member.pk)
    loaded = User.objects.get(pk=member.pk)

    names = [f.attname for f in User._meta.concrete_fields]
    assert {n: getattr(built, n) for n in names} == {n: getattr(loaded, n) for n in names}
    assert (built._state.adding, built._state.db) == (False, "default")
    assert epoch >= 1
    assert epoch == MemberCredit.objects.get(user=member).key_epoch
    User.objects.filter(pk=member.pk).update(is_active=False)
    assert active_member_with_epoch(member.pk) is None
