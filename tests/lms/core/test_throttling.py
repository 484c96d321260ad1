"""The API's request limits: one counter per window in the shared cache (lms/core/throttling.py),
against the production cache (django-redis) and the embedded one (the database's table)."""

import threading
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.cache import caches
from django_redis.cache import RedisCache
from rest_framework.throttling import ScopedRateThrottle

from lms.core.throttling import WindowScopedRateThrottle
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MINUTE_STARTS = 1_800_000_000.0  # a time on a minute's boundary


class View:
    throttle_scope = "limited"


@pytest.fixture
def rate(monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "limited", "10/min")


@pytest.fixture
def redis_cache():
    """The production cache backend, with keys of this test's own."""
    cache = RedisCache(
        "redis://127.0.0.1:6379/15",
        {
            "KEY_PREFIX": f"lms-test-{uuid.uuid4().hex}",
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        },
    )
    yield cache
    cache.delete_pattern("*")


def throttle(cache: Any, at: float = MINUTE_STARTS) -> WindowScopedRateThrottle:
    made = WindowScopedRateThrottle()
    made.cache = cache
    made.timer = lambda: at  # type: ignore[method-assign]
    return made


def test_parallel_requests_of_one_member_are_each_counted(rate, redis_cache):
    """A member sending over many connections at once gets exactly the limit, not more: each
    request increments the count (DRF's own throttle reads the member's list of request times
    and writes it back whole, so requests at once overwrite each other's count)."""
    request = SimpleNamespace(user=UserFactory(), META={})
    allowed = []
    start = threading.Barrier(40)

    def send() -> None:
        start.wait()
        allowed.append(throttle(redis_cache).allow_request(request, View))  # type: ignore[arg-type]

    threads = [threading.Thread(target=send) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert allowed.count(True) == 10
    assert allowed.count(False) == 30


@pytest.mark.parametrize("backend", ["redis", "database"])
def test_the_limit_holds_until_the_window_ends_and_says_when(rate, redis_cache, backend):
    cache = redis_cache if backend == "redis" else caches["default"]
    request = SimpleNamespace(user=UserFactory(), META={})
    in_window = [throttle(cache, MINUTE_STARTS + second) for second in range(11)]

    answers = [t.allow_request(request, View) for t in in_window]  # type: ignore[arg-type]

    assert answers == [True] * 10 + [False]
    assert in_window[-1].wait() == 50  # Retry-After: the rest of the minute
    next_minute = throttle(cache, MINUTE_STARTS + 60)
    assert next_minute.allow_request(request, View)  # type: ignore[arg-type]


def test_members_are_counted_apart(rate, redis_cache):
    first, second = (SimpleNamespace(user=UserFactory(), META={}) for _ in range(2))
    for _ in range(10):
        assert throttle(redis_cache).allow_request(first, View)  # type: ignore[arg-type]

    assert not throttle(redis_cache).allow_request(first, View)  # type: ignore[arg-type]
    assert throttle(redis_cache).allow_request(second, View)  # type: ignore[arg-type]
