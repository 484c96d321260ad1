"""API request limits counted with one atomic increment in the shared cache.

DRF's own throttles keep a list of request times per client: each request reads the list from
the cache and writes it back whole. That is two round trips and a pickled list per request,
and two requests of one client at once each write back their own list, so a client sending in
parallel is counted short and passes the limit. Here each window of the rate's length has one
counter, and a request only increments it.
"""

from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle
from rest_framework.views import APIView


class WindowCount(SimpleRateThrottle):
    """`num_requests` per fixed window of `duration` seconds, counted in `cache`. Up to twice the
    rate can pass around a window's edge, which a limit against floods affords."""

    # Set by SimpleRateThrottle from the rate (its stubs leave them out).
    num_requests: int
    duration: int
    now: float
    window_ends: float

    def allow_request(self, request: Request, view: APIView) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = float(self.timer())
        window = int(self.now // self.duration)
        self.window_ends = (window + 1) * self.duration
        return self._count(f"{self.key}:{window}") <= self.num_requests

    def _count(self, key: str) -> int:
        """The window's count with this request. Its first request creates it (`add`, which only
        one of two racing requests wins; the other then increments)."""
        try:
            return int(self.cache.incr(key))
        except ValueError:  # no count yet in this window
            if self.cache.add(key, 1, self.duration):
                return 1
            return int(self.cache.incr(key))

    def wait(self) -> float:
        """Seconds until the window ends (Retry-After)."""
        return max(self.window_ends - self.now, 0)


class WindowScopedRateThrottle(ScopedRateThrottle, WindowCount):
    """DRF's scoped limit (the view's `throttle_scope`, its rate in DEFAULT_THROTTLE_RATES,
    per member or address), counted by `WindowCount` (after ScopedRateThrottle in the method
    resolution order: ScopedRateThrottle reads the scope and the rate, then hands over)."""
