"""Fixtures of the trust-and-safety tests: a small world of every role, routes, Redis."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from app.identity import service as identity_service
from app.identity.models import User
from tests.factories import (
    Place,
    make_admin,
    make_community,
    make_moderator,
    make_observer,
    make_official,
    make_resident,
)

_HASHES: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch) -> Iterator[None]:
    """Real argon2id hashes, computed once per distinct password (verification stays real)."""
    from app.identity import passwords

    real = passwords.hash_password

    def cached(password: str) -> str:
        if password not in _HASHES:
            _HASHES[password] = real(password)
        return _HASHES[password]

    monkeypatch.setattr(identity_service, "hash_password", cached)
    yield


@pytest.fixture
def settings():
    from app.settings import get_settings

    return get_settings()


@pytest.fixture
def rate_limits(monkeypatch, settings):
    """Rate limits on (they are off for the suite), with a fresh in-memory store."""
    from app.web import ratelimit

    monkeypatch.setattr(settings, "rate_limits_enabled", True)
    monkeypatch.setattr(settings, "redis_url", None)
    ratelimit.reset()
    yield settings
    ratelimit.reset()


@pytest.fixture
def redis_url() -> str:
    """The CI Redis (HROMADA_TEST_REDIS_URL). Unset: skip. Set but unreachable: FAIL."""
    url = os.environ.get("HROMADA_TEST_REDIS_URL")
    if not url:
        pytest.skip("HROMADA_TEST_REDIS_URL is not set: the shared rate-limit store is not "
                    "tested")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(f"HROMADA_TEST_REDIS_URL={url} is set but Redis is unreachable: {exc}")
    return url


@pytest.fixture
def redis_prefix(redis_url) -> Iterator[str]:
    """A key prefix of this test alone (parallel workers share the Redis database)."""
    import redis

    prefix = f"hromada-test:{secrets.token_hex(6)}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)


# -- a world with every role ----------------------------------------------------------------

ROLES = ("anonymous", "outsider", "resident", "official_other", "official", "moderator",
         "observer", "admin")


@dataclass
class World:
    """Community A (where the action is) and community B (everyone "of another" one)."""

    a: Place
    b: Place
    users: dict[str, User | None] = field(default_factory=dict)

    def user(self, role: str) -> User | None:
        return self.users[role]


def build_world(db: Session) -> World:
    a = make_community(db)
    b = make_community(db)
    users: dict[str, User | None] = {
        "anonymous": None,
        "outsider": make_resident(db, b),
        "resident": make_resident(db, a),
        "official_other": make_official(db, b),
        "official": make_official(db, a),
        "moderator": make_moderator(db, a),
        "observer": make_observer(db),
        "admin": make_admin(db),
    }
    db.flush()
    return World(a, b, users)


@pytest.fixture
def world(db) -> World:
    return build_world(db)


# -- routes ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class RouteInfo:
    path: str
    methods: frozenset[str]
    in_schema: bool
    name: str
    endpoint: object = None

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def params(self) -> list[str]:
        return PARAM_RE.findall(self.path)


PARAM_RE = re.compile(r"{(\w+)(?::\w+)?}")
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
NOT_PAGES = ("/openapi.json", "/api/docs", "/docs/oauth2-redirect")
# POST routes that only compute an answer (a ballot preview or check) and write nothing:
# tests check that they write nothing instead of treating them as state-changing.
READ_ONLY_POSTS = ("/ballot/preview", "/ballot/check")


def all_routes(app) -> list[RouteInfo]:
    """Every HTTP route of the app, through included routers (FastAPI keeps them nested)."""
    try:
        from fastapi.routing import iter_route_contexts

        contexts = list(iter_route_contexts(app.routes))
    except ImportError:  # older FastAPI: routes are flat
        contexts = list(app.routes)
    found = []
    for route in contexts:
        methods = getattr(route, "methods", None)
        path = getattr(route, "path", None)
        if not methods or not path:
            continue
        found.append(RouteInfo(path, frozenset(methods), bool(getattr(
            route, "include_in_schema", False)), getattr(route, "name", "") or "",
            getattr(route, "endpoint", None)))
    return found


def _table_for(param: str, tables: list[str]) -> str | None:
    stem = param[:-3] if param.endswith("_id") else param
    for name in (stem, *[t for t in tables if t.endswith("_" + stem)],
                 *[t for t in tables if t.startswith(stem + "_")]):
        if name in tables:
            return name
    return None


def fill_path(path: str, db: Session, world: World | None = None,
              overrides: dict[str, str] | None = None) -> str:
    """Substitute path parameters with ids that exist (else 1) and community A's slug."""
    from app.models import metadata

    tables = sorted(metadata.tables)
    overrides = overrides or {}

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name in overrides:
            return str(overrides[name])
        if name in ("slug", "community", "community_slug") and world is not None:
            return world.a.community.slug
        table = _table_for(name, tables)
        if table is not None and "id" in metadata.tables[table].c:
            found = db.execute(select(func.min(metadata.tables[table].c.id))).scalar()
            if found is not None:
                return str(found)
        return "1"

    return PARAM_RE.sub(value, path)


def row_counts(db: Session) -> dict[str, int]:
    from app.models import metadata

    return {name: db.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in metadata.tables.items()}


@pytest.fixture
def iso_engine(isolated_database):
    """An engine on a separate migrated database whose commits are real."""
    from app.db import build_engine

    engine = build_engine(isolated_database)
    yield engine
    engine.dispose()
