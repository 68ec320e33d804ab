"""Rate limits: fixed windows per key, in memory for one node or in Redis for several.

A limit is a list of windows ("1/60,5/300": one per minute and five per five minutes); a
request passes only if every window still has room. Each action has two limits (settings):

* per client IP *and item* (`rate_<action>_ip`; the item is the route's path parameters, e.g.
  the petition id, unless the caller names a scope): generous, because a family, a service
  centre (ЦНАП), a school or a whole mobile network behind carrier-grade NAT shares one address;
* per account across all items (`rate_<action>`): strict, because one person has no reason to
  sign forty petitions a minute.

One person, one signature (or ballot) is enforced by unique constraints in the modules; the
limits only slow scripts down and keep abuse cheap to absorb. Login failures additionally lock
the account (app.identity.service.authenticate).

Windows are counted on `app.clock`, so tests move time instead of sleeping. With
HROMADA_REDIS_URL set, counters live in Redis and every node shares them; if Redis cannot be
reached the node falls back to its own memory counters (and logs it) rather than refusing every
signature: the limits are a brake, the database constraints are the guarantee.
"""

from __future__ import annotations

import functools
import inspect
import logging
import math
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

from fastapi import Request

from app import clock
from app.exceptions import TooManyRequests
from app.settings import Settings, get_settings
from app.web.i18n import N_

log = logging.getLogger("hromada.ratelimit")
KEY_PREFIX = "hromada:rl"
RETRY_REDIS_AFTER = 30  # seconds

MESSAGES = {
    "sign": N_("You are signing too fast. Please wait a minute and try again."),
    "vote": N_("Too many ballots from here. Please wait and try again."),
    "register": N_("Too many registrations from here. Please try again later."),
    "login": N_("Too many login attempts from here. Please wait and try again."),
    "create": N_("You have created a lot in a short time. Please try again later."),
    "mail": N_("You have asked for many e-mails in a short time. Please try again later."),
    "recovery": N_("Too many requests for links from here. Please try again later."),
    "second_factor": N_("Too many codes from here. Please wait and try again."),
    "comment": N_("You are commenting too fast. Please wait a little and try again."),
    "report": N_("You have sent many reports in a short time. Please try again later."),
}


@dataclass(frozen=True)
class Action:
    account: str | None  # settings field of the per-account limit
    ip: str | None  # settings field of the per-IP (and per-item) limit


ACTIONS: dict[str, Action] = {
    "sign": Action("rate_sign", "rate_sign_ip"),
    "vote": Action("rate_vote", "rate_vote_ip"),
    "register": Action(None, "rate_register"),
    "login": Action(None, "rate_login_ip"),
    "create": Action("rate_create", "rate_create_ip"),
    "mail": Action("rate_mail", None),
    "recovery": Action(None, "rate_recovery"),
    "second_factor": Action(None, "rate_second_factor_ip"),
    "comment": Action("rate_comment", "rate_comment_ip"),
    "report": Action("rate_report", "rate_report_ip"),
}


def parse_windows(spec: str) -> list[tuple[int, int]]:
    """'1/60,5/300' -> [(1, 60), (5, 300)]; a malformed spec is a configuration error."""
    windows = []
    for part in (spec or "").split(","):
        if part.strip():
            count, sep, seconds = part.strip().partition("/")
            if not sep or int(count) < 0 or int(seconds) <= 0:
                raise ValueError(f"invalid rate limit window {part!r} (expected N/seconds)")
            windows.append((int(count), int(seconds)))
    return windows


class MemoryStore:
    """Counters of one process. Keys carry their window number, so they simply age out."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, float]] = {}

    def hit(self, key: str, window: int) -> int:
        now = clock.now().timestamp()
        with self._lock:
            count, expires = self._counts.get(key, (0, 0.0))
            if expires <= now:
                count, expires = 0, now + window
            count += 1
            self._counts[key] = (count, expires)
            if len(self._counts) > 100_000:  # drop expired keys now and then
                self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
            return count

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()


class RedisStore:
    """Counters shared by every node: INCR and EXPIRE in one round trip."""

    def __init__(self, url: str, prefix: str = KEY_PREFIX) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self.prefix = prefix
        self._fallback = MemoryStore()
        self._down_until = 0.0  # after a failure, Redis is not tried again for a while

    def hit(self, key: str, window: int) -> int:
        import redis

        if time.monotonic() < self._down_until:
            return self._fallback.hit(key, window)
        try:
            pipe = self.client.pipeline()
            pipe.incr(f"{self.prefix}:{key}")
            pipe.expire(f"{self.prefix}:{key}", window + 1, nx=True)
            count, _ = pipe.execute()
        except redis.RedisError:
            log.warning("Redis is unreachable: rate limits use this node's memory for %ss",
                        RETRY_REDIS_AFTER)
            self._down_until = time.monotonic() + RETRY_REDIS_AFTER
            return self._fallback.hit(key, window)
        return int(count)


@lru_cache
def store() -> MemoryStore | RedisStore:
    url = get_settings().redis_url
    return RedisStore(url) if url else MemoryStore()


def reset() -> None:
    """Forget the store (after a settings change, and between tests)."""
    clear = getattr(store, "cache_clear", None)
    if clear is not None:
        clear()


def client_ip(request: Request) -> str:
    # Behind a reverse proxy, uvicorn's --proxy-headers (`hromada serve` turns it on for the
    # proxies in FORWARDED_ALLOW_IPS) has already put the real client address here.
    return request.client.host if request.client else "unknown"


def check(action: str, subject: str, spec: str) -> None:
    """Count one attempt under `subject`; raise TooManyRequests when a window is full."""
    now = clock.now().timestamp()
    for allowed, seconds in parse_windows(spec):
        bucket = int(now // seconds)
        key = f"{action}:{subject}:{seconds}:{bucket}"
        if store().hit(key, seconds) > allowed:
            retry_after = max(1, math.ceil((bucket + 1) * seconds - now))
            raise TooManyRequests(MESSAGES.get(action, MESSAGES["create"]),
                                  retry_after=retry_after)


def _scope_of(request: Request, scope: str) -> str:
    if scope:
        return scope
    params = getattr(request, "path_params", None) or {}
    return ",".join(f"{k}={v}" for k, v in sorted(params.items()))


def _spec(settings: Settings, name: str | None) -> str:
    return getattr(settings, name) if name else ""


def rate_limited(action: str):
    """An API endpoint whose first act is `limit(request, action)`: the endpoint takes the
    `request`, and the API contract (app.web.contract) lists its 429."""
    def wrap(endpoint):
        if inspect.iscoroutinefunction(endpoint):
            @functools.wraps(endpoint)
            async def limited_async(*args, **kwargs):
                limit(kwargs["request"], action)
                return await endpoint(*args, **kwargs)
            limited = limited_async
        else:
            @functools.wraps(endpoint)
            def limited_sync(*args, **kwargs):
                limit(kwargs["request"], action)
                return endpoint(*args, **kwargs)
            limited = limited_sync
        limited.hromada_rate_limit = action
        return limited
    return wrap


def rate_limit_of(endpoint) -> str | None:
    return getattr(endpoint, "hromada_rate_limit", None)


def limit(request: Request, action: str, scope: str = "") -> None:
    """Apply the configured limits of `action` to this client IP (per item) and account.

    `scope` names the item the IP limit counts per; by default, the route's path parameters.
    Call it after the current user is known (it reads request.state.user).
    """
    settings = get_settings()
    if not settings.rate_limits_enabled:
        return
    specs = ACTIONS.get(action, ACTIONS["create"])
    ip_spec = _spec(settings, specs.ip)
    if ip_spec:
        check(action, f"ip:{client_ip(request)}:{_scope_of(request, scope)}", ip_spec)
    user = request.state._state.get("user")
    if user is not None:
        limit_account(action, user.id)


def limit_account(action: str, user_id: int) -> None:
    """Apply the configured per-account limit of `action` (`limit` does, once the person is
    known; a group commit that finds a token's holder among its checks calls it there)."""
    settings = get_settings()
    account_spec = _spec(settings, ACTIONS.get(action, ACTIONS["create"]).account)
    if settings.rate_limits_enabled and account_spec:
        check(action, f"user:{user_id}", account_spec)
