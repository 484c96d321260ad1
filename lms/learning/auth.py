"""How a heartbeat says who sent it, in one cheap step.

Three ways, all for the same member-only capability (report one's own watching):
- `Authorization: Token <key>`: DRF's API token, for API clients (DRF's TokenAuthentication).
- `Authorization: Heartbeat <key>`: what the lecture page's player sends. The key is signed
  by the server when it renders the page (Django's `signing`, HMAC-SHA256 with SECRET_KEY) and
  names the member, a fingerprint of their password hash and their key epoch, so it stops
  working when the password changes, when the member signs out or is deactivated (the epoch
  grows: `key_epoch_bump`), or after `HEARTBEAT_KEY_MAX_AGE`; a checked key is trusted for at
  most KEY_RECHECK_SECONDS before it is checked again. Checking
  it costs one look-up (the member with their key epoch), against two (session, then user)
  plus CSRF for a session cookie; and being a header, no other site can make a browser send
  it (no CSRF to check).
- the session cookie (with the CSRF header), through the DRF view: the player falls back to it
  when its key has expired (a tab left open for a day).
"""

import time
from datetime import UTC, datetime
from typing import Any, NamedTuple

from django.conf import settings
from django.core import signing
from django.db.models import F
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from lms.accounts.models import User
from lms.core.expiring import ExpiringMap

from . import progress_sql
from .models import MemberCredit

HEARTBEAT_KEYWORD = "Heartbeat"
_SALT = "lms.learning.heartbeat-key"


def _fingerprint(user: User) -> str:
    # Django's own session-invalidation hash (an HMAC of the password hash): a password
    # change ends every session and every heartbeat key with it.
    return user.get_session_auth_hash()[:20]


def heartbeat_key_make(user: User) -> str:
    """The key the lecture page gives its player."""
    return signing.dumps({"u": user.pk, "f": _fingerprint(user), "e": _epoch(user.pk)}, salt=_SALT)


def _epoch(user_id: int) -> int:
    found = MemberCredit.objects.filter(user_id=user_id).values_list("key_epoch", flat=True)
    return found.first() or 0


def key_epoch_bump(user: User) -> None:
    """End every heartbeat key made for `user` so far (sign-out, password change,
    deactivation): each process notices within KEY_RECHECK_SECONDS."""
    if not MemberCredit.objects.filter(user_id=user.pk).update(key_epoch=F("key_epoch") + 1):
        MemberCredit.objects.get_or_create(user_id=user.pk, defaults={"key_epoch": 1})


#: A checked key is trusted this long at most, whatever HEARTBEAT_KEY_CACHE_SECONDS says: the
#: bound on how long a key keeps working after sign-out, a password change or deactivation.
KEY_RECHECK_SECONDS = 60


class KeyHolder(NamedTuple):
    user: User
    # When the page's key was signed (None for an API token): no report sent with it can
    # have been played earlier.
    issued_at: datetime | None


class _RecentKeys(ExpiringMap):
    """Keys checked lately, with their holder and when they were checked (wall clock): a
    watching member's player sends the same key every ~30 s, and each would otherwise cost a
    database look-up. Per process, bounded."""

    def put(self, key: str, holder: KeyHolder, *, expires_in: float) -> None:
        """Remember `key` for the cache time, or until the key itself expires (`expires_in`
        seconds from now) if that comes first."""
        ttl = min(settings.HEARTBEAT_KEY_CACHE_SECONDS, KEY_RECHECK_SECONDS, expires_in)
        if ttl > 0:
            self.set(key, (holder, time.time() + ttl), ttl)

    def holder(self, key: str) -> KeyHolder | None:
        entry = self.get(key)
        if entry is None or entry[1] < time.time():
            return None
        return entry[0]  # type: ignore[no-any-return]


recent_keys = _RecentKeys(max_entries=50_000)


def heartbeat_key_user(key: str) -> KeyHolder | None:
    """The active member `key` was made for, with its signing time, or None if it is forged,
    expired or stale.

    A key checked in the last KEY_RECHECK_SECONDS is found by its exact text, before its
    signature is checked again: only a key that passed the whole check (signature, age,
    member, epoch) is in the cache, and never beyond its own expiry."""
    cached = recent_keys.holder(key)
    if cached is not None:
        return cached
    max_age = settings.HEARTBEAT_KEY_MAX_AGE
    try:
        data = signing.loads(key, salt=_SALT, max_age=max_age)
        # The signing time, as TimestampSigner wrote it: "<payload>:<base62 time>:<signature>".
        signed = signing.b62_decode(key.rsplit(":", 2)[1])
    except (signing.BadSignature, IndexError, ValueError):  # also SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    found = progress_sql.active_member_with_epoch(data["u"])
    if found is None:
        return None
    user, epoch = found
    if not constant_time_compare(_fingerprint(user), str(data.get("f", ""))):
        return None
    if data.get("e", 0) != epoch:
        return None
    holder = KeyHolder(user, datetime.fromtimestamp(signed, tz=UTC))
    recent_keys.put(key, holder, expires_in=signed + max_age - time.time())
    return holder


class HeartbeatKeyAuthentication(BaseAuthentication):
    """`Authorization: Heartbeat <key>`: the signed key the lecture page gives its player.
    A header in another scheme is left to the next authenticator."""

    def authenticate(self, request: Request) -> tuple[User, KeyHolder] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != HEARTBEAT_KEYWORD.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header."))
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        holder = heartbeat_key_user(key)
        if holder is None:
            raise exceptions.AuthenticationFailed(
                _("This page's progress key has expired. Reload the page.")
            )
        return holder.user, holder


# drf-spectacular registers extensions in an __init_subclass__ it does not type.
class HeartbeatKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """In the schema: `Authorization: Heartbeat <key>` (the player's signed key, from the
    lecture page)."""

    target_class = HeartbeatKeyAuthentication
    name = "heartbeatAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        scheme = build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=HEARTBEAT_KEYWORD
        )
        scheme["description"] = (
            "`Heartbeat <key>` with the signed key the lecture page gives its player."
        )
        return scheme
