"""A bounded map whose entries expire: per-process memory for values that must not outlive a
time limit (a checked heartbeat key, a member's heartbeat counts)."""

import threading
import time
from typing import Any


class ExpiringMap:
    """`get`, `set` and `clear`, as the part of Django's cache API the DRF throttle uses, but
    without pickling (LocMemCache pickles every value on each read and write). When full,
    expired entries go, then the half that expires first."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, default: Any = None) -> Any:
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return default
        return entry[1]

    def set(self, key: str, value: Any, timeout: float | None = None) -> None:
        """Keep `value` for `timeout` seconds (None: 300, as Django's caches)."""
        expires = time.monotonic() + (300 if timeout is None else timeout)
        with self._lock:
            if key not in self._entries and len(self._entries) >= self.max_entries:
                self._cull()
            self._entries[key] = (expires, value)

    def _cull(self) -> None:
        now = time.monotonic()
        live = {k: v for k, v in self._entries.items() if v[0] >= now}
        if len(live) >= self.max_entries:
            by_expiry = sorted(live.items(), key=lambda item: item[1][0])
            live = dict(by_expiry[len(live) // 2 :])
        self._entries = live

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
