"""Every route, every role: a precise table for the kernel's routes and generic invariants for
the modules' routes (which are still changing).

Roles: anonymous, a resident of another community (outsider), a resident, an official of
another community's authority, an official, a moderator, an observer and an administrator.
Each role's request runs in a savepoint rolled back afterwards, so every role meets the same
state.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlmodel import Session

from app.communities import service as communities
from app.identity import service as identity
from app.rules import service as rules
from app.rules.views import _flatten
from tests.factories import PASSWORD, make_user
from tests.safety.conftest import (
    READ_ONLY_POSTS,
    ROLES,
    UNSAFE,
    World,
    all_routes,
    build_world,
    fill_path,
    row_counts,
)
from tests.safety.test_web_security import fetch
from tests.safety.world_data import populate

ANON_GET = 303  # pages that need a login redirect there
ANON_POST = 401


@contextlib.contextmanager
def undone(db: Session) -> Iterator[None]:
    """Run requests in a savepoint of the test's connection and roll it back afterwards."""
    db.commit()
    savepoint = db.bind.begin_nested()
    try:
        yield
    finally:
        db.rollback()
        savepoint.rollback()
        db.expire_all()
        db.info.clear()


@dataclass
class Setup:
    world: World
    tokens: dict[str, str]
    claim_id: int
    admin_token_id: int


def setup_world(db: Session) -> Setup:
    world = build_world(db)
    tokens = {}
    for role in ROLES:
        user = world.user(role)
        if user is not None:
            token, raw = identity.create_token(db, user, "matrix")
            tokens[role] = raw
            if role == "admin":
                admin_token_id = token.id
    claimant = make_user(db)
    claim = communities.claim_residency(db, claimant, world.a.community, "вул. Соборна, 5",
                                        None)
    db.commit()
    return Setup(world, tokens, claim.id, admin_token_id)


def request_as(client, setup: Setup, role: str, method: str, url: str, *, api: bool,
               data: dict | None = None, json: dict | None = None):
    client.cookies.clear()
    user = setup.world.user(role)
    headers = {}
    if api:
        if user is not None:
            headers["Authorization"] = f"Bearer {setup.tokens[role]}"
        return fetch(client, method, url, headers=headers,
                     json=json if method in UNSAFE else None)
    if user is not None:
        client.login(user)
    if method in UNSAFE:
        form = dict(data or {})
        form.setdefault("csrf_token", client.csrf())
        return fetch(client, method, url, data=form)
    return fetch(client, "GET", url)


# -- the kernel: a precise table -----------------------------------------------------------

def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def logged_in(status: int, anonymous: int) -> dict[str, int]:
    return {**everyone(status), "anonymous": anonymous}


def only(allowed: dict[str, int], others: int, anonymous: int) -> dict[str, int]:
    return {**everyone(others), "anonymous": anonymous, **allowed}


def rules_form(db: Session, setup: Setup) -> dict[str, str]:
    current = rules.current(db, setup.world.a.community.id)
    flat = {k: "" if v is None else str(v)
            for k, v in _flatten(current.rules.model_dump(mode="json")).items()}
    return {**flat, "reason": "Matrix test: a new version of the rules."}


# (method, path, expected statuses, form or json body)
KERNEL: list[tuple[str, str, dict[str, int], object]] = [
    ("GET", "/", everyone(200), None),
    ("GET", "/healthz", everyone(200), None),
    ("GET", "/register", everyone(200), None),
    ("GET", "/login", everyone(200), None),
    ("GET", "/verify-email", everyone(422), None),
    ("GET", "/account", logged_in(200, ANON_GET), None),
    ("GET", "/account/data", logged_in(200, ANON_GET), None),
    ("GET", "/account/erase", logged_in(200, ANON_GET), None),
    ("GET", "/account/erased", everyone(200), None),
    ("GET", "/login/second-factor", everyone(ANON_GET), None),  # no password given first
    ("GET", "/password-reset", everyone(200), None),
    ("GET", "/password-reset/{token}", everyone(422), None),  # no such link
    ("GET", "/login/oidc/{name}/callback", everyone(404), None),  # no provider configured
    ("GET", "/login/oidc/{name}", everyone(404), None),
    ("GET", "/account/providers/{name}", logged_in(404, ANON_GET), None),
    ("GET", "/account/two-factor", logged_in(200, ANON_GET), None),
    ("GET", "/account/email/confirm/{token}", logged_in(200, ANON_GET), None),
    ("GET", "/communities", everyone(200), None),
    ("GET", "/communities/{slug}", everyone(200), None),
    ("GET", "/communities/{slug}/residency", logged_in(200, ANON_GET), None),
    ("GET", "/communities/{slug}/residents",
     only({"official": 200, "admin": 200}, 403, ANON_GET), None),
    ("GET", "/communities/{slug}/register",
     only({"official": 200, "admin": 200}, 403, ANON_GET), None),
    ("GET", "/rules", everyone(200), None),
    ("GET", "/communities/{slug}/rules", everyone(200), None),
    ("GET", "/communities/{slug}/rules/edit", only({"admin": 200}, 403, ANON_GET), None),
    ("GET", "/obligations", everyone(200), None),
    ("GET", "/communities/{slug}/obligations", everyone(200), None),
    ("GET", "/audit", everyone(200), None),
    ("GET", "/audit/format", everyone(200), None),
    ("GET", "/audit/check", everyone(200), None),
    ("GET", "/audit/verify_audit.py", everyone(200), None),
    ("GET", "/audit/receipts", logged_in(200, ANON_GET), None),
    # Nobody of the matrix has a receipt with this commitment: not found, whoever asks.
    ("POST", "/audit/receipts/email", logged_in(404, ANON_POST), {"commitment": "0" * 64}),
    ("GET", "/authorities/{authority_id}", everyone(200), None),
    ("GET", "/dashboard", everyone(200), None),
    ("GET", "/dashboard/trends", everyone(200), None),
    ("GET", "/open-data", everyone(200), None),
    ("GET", "/open-data/dictionary", everyone(200), None),
    ("GET", "/open-data/datasets/{dataset}", everyone(200), None),
    ("GET", "/open-data/datapackage.json", everyone(200), None),
    ("GET", "/open-data/catalog.jsonld", everyone(200), None),
    ("GET", "/open-data/schemas/{dataset}.json", everyone(200), None),
    ("GET", "/methodology", everyone(200), None),
    ("GET", "/communities/{slug}/feed.atom", everyone(200), None),
    ("POST", "/register", everyone(303), "register"),
    ("POST", "/login", everyone(401), {"email": "nobody@example.org", "password": "wrong"}),
    ("POST", "/logout", everyone(303), {}),
    ("POST", "/account/verification", logged_in(303, ANON_POST), {}),
    ("POST", "/login/second-factor", everyone(401), {"code": "123456"}),
    ("POST", "/password-reset", everyone(200), {"email": "nobody@example.org"}),
    ("POST", "/password-reset/{token}", everyone(422), {"password": "a-long-passphrase-9"}),
    ("POST", "/account/password", logged_in(422, ANON_POST),
     {"current_password": "not-my-password", "password": "a-long-passphrase-9"}),
    ("POST", "/account/email", logged_in(422, ANON_POST),
     {"email": "new-address@example.org", "email_password": "not-my-password"}),
    ("POST", "/account/email/confirm/{token}", logged_in(422, ANON_POST), {}),
    ("POST", "/account/sessions/{handle}/revoke", logged_in(404, ANON_POST), {}),
    ("POST", "/account/two-factor", logged_in(422, ANON_POST),
     {"secret": "JBSWY3DPEHPK3PXPJBSWY3DP", "code": "12"}),
    ("POST", "/account/two-factor/disable", logged_in(409, ANON_POST), {"code": "123456"}),
    ("POST", "/account/tokens", logged_in(200, ANON_POST), {"name": "another"}),
    ("POST", "/account/tokens/{token_id}/revoke", only({"admin": 303}, 404, ANON_POST), {}),
    ("POST", "/account/language", logged_in(303, ANON_POST), {"language": "en"}),
    ("POST", "/account/erase", logged_in(422, ANON_POST),
     {"password": "not-my-password", "confirm": "true"}),
    ("POST", "/communities/{slug}/residency", {**logged_in(303, ANON_POST), "resident": 409},
     {"address": "вул. Соборна, 7", "birth_date": "1990-01-01"}),
    ("POST", "/residency/{residency_id}/decision",
     only({"official": 303, "admin": 303}, 403, ANON_POST), {"decision": "verify"}),
    ("POST", "/communities/{slug}/rules/edit", only({"admin": 303}, 403, ANON_POST), "rules"),
    ("POST", "/communities/{slug}/register",  # no file: refused as invalid, for staff
     only({"official": 422, "admin": 422}, 403, ANON_POST), {"register_date": "2026-01-01"}),
    # JSON API (Bearer tokens; no token is anonymous)
    ("GET", "/api/v1/me", logged_in(200, 401), None),
    ("GET", "/api/v1/me/data", logged_in(200, 401), None),
    ("GET", "/api/v1/communities", everyone(200), None),
    ("GET", "/api/v1/communities/{slug}", everyone(200), None),
    ("GET", "/api/v1/communities/{slug}/rules", everyone(200), None),
    ("GET", "/api/v1/communities/{slug}/rules/history", everyone(200), None),
    ("GET", "/api/v1/rules", everyone(200), None),
    ("GET", "/api/v1/communities/{slug}/residency", logged_in(200, 401), None),
    ("POST", "/api/v1/communities/{slug}/register",
     only({"official": 422, "admin": 422}, 403, 401), {"register_date": "2026-01-01"}),
    ("GET", "/api/v1/obligations", everyone(200), None),
    ("GET", "/api/v1/audit/head", everyone(200), None),
    ("GET", "/api/v1/audit", everyone(200), None),
    ("GET", "/api/v1/audit/entries", everyone(200), None),
    ("GET", "/api/v1/audit/entries.ndjson", everyone(200), None),
    ("GET", "/api/v1/audit/checkpoints", everyone(200), None),
    ("GET", "/api/v1/audit/entries/{seq}", everyone(404), None),  # nothing sealed yet
    ("GET", "/api/v1/audit/check", everyone(422), None),  # no receipt given
    ("GET", "/api/v1/dashboard", everyone(200), None),
    ("GET", "/api/v1/open-data/obligations.csv", everyone(200), None),
    ("GET", "/api/v1/open-data/obligations.json", everyone(200), None),
    ("GET", "/api/v1/open-data/{dataset}.csv", everyone(200), None),
    ("POST", "/api/v1/tokens", {**everyone(201), "anonymous": 401}, "credentials"),
]


def module_endpoints(app) -> set:
    """The endpoints of the registered modules' routers (HTML and API), from the registry."""
    return {route.endpoint for module in app.state.modules
            for router in (module.router, module.api_router) if router is not None
            for route in all_routes(router) if route.endpoint is not None}


def test_the_kernel_table_covers_every_kernel_route(app):
    from tests.safety.test_permission_matrix_backoffice import BACKOFFICE

    covered = {(m, p) for m, p, _, _ in KERNEL}
    # The back office's rows name their parameters by what they hold ({region}, {obligation}).
    backoffice = {(m, re.sub(r"{\w+}", "{}", p.split("?")[0])) for _, m, p, _, _ in BACKOFFICE}
    modules = module_endpoints(app)
    kernel = {(m, r.path) for r in all_routes(app) for m in r.methods - {"HEAD"}
              if r.endpoint is not None and getattr(r.endpoint, "__module__", "").startswith(
                  "app.") and r.endpoint not in modules
              # deliberation's routes have their own table: test_permission_matrix_deliberation
              and not r.endpoint.__module__.startswith("app.deliberation.")
              and r.path not in ("/openapi.json", "/api/docs", "/docs/oauth2-redirect")}
    missing = sorted((m, p) for m, p in kernel - covered
                     if (m, re.sub(r"{\w+}", "{}", p)) not in backoffice)
    assert not missing, f"kernel routes without an expected row: {missing}"


@pytest.mark.parametrize("method, path, expected, body", KERNEL,
                         ids=[f"{m} {p}" for m, p, _, _ in KERNEL])
def test_kernel_route_answers_each_role_as_expected(client, db, method, path, expected, body):
    setup = setup_world(db)
    url = fill_path(path, db, setup.world, {"token_id": setup.admin_token_id,
                                            "residency_id": setup.claim_id,
                                            "dataset": "audit-log",
                                            "token": "no-such-link", "name": "nobody",
                                            "handle": "0" * 16})
    got = {}
    for n, role in enumerate(ROLES):
        payload = body
        if body == "register":
            payload = {"email": f"matrix-{n}@example.org", "password": "a-long-passphrase-9",
                       "display_name": f"Matrix {n}"}
        elif body == "rules":
            payload = rules_form(db, setup)
        elif body == "credentials":
            user = setup.world.user(role)
            payload = {"email": user.email if user else "nobody@example.org",
                       "password": PASSWORD if user else "wrong-password"}
        with undone(db):
            response = request_as(client, setup, role, method, url,
                                  api=path.startswith("/api/"), data=payload, json=payload)
            got[role] = response.status_code
    assert got == expected


# -- the modules: generic invariants -------------------------------------------------------

MODULE_FORM = {
    "public_name": "true", "reason": "duplicate", "decision": "supported", "value": "yes",
    "explanation": "Така сама петиція вже збирає підписи, дивіться посилання нижче.",
    "text": "Рада розглянула звернення і підтримує його; виконаємо до кінця року. " * 2,
    "full_name": "Іван Петренко", "birth_date": "1980-01-01", "address": "вул. Шевченка, 1",
    "title": "Безпечний перехід біля школи номер п'ять", "summary": "Коротко про виконання.",
}
MODULE_JSON = {**MODULE_FORM, "public_name": True}
# Following an item is open to anyone who can see it, whatever their community.
CROSS_COMMUNITY_ALLOWED = ("/follow", "/unfollow")
CROSS_ROLES = ("outsider", "official_other")


def module_routes(app) -> list:
    modules = module_endpoints(app)
    found = []
    for route in all_routes(app):
        if route.endpoint is not None and route.endpoint in modules:
            for method in sorted(route.methods - {"HEAD"}):
                found.append((method, route))
    return found


def test_module_routes_keep_the_generic_invariants(client, db):
    """Anonymous never gets 2xx on a state-changing route; nobody gets 5xx; a role of
    another community never gets 2xx on a state-changing route of this community's item."""
    setup = setup_world(db)
    items = populate(db, setup.world)
    db.commit()
    routes = module_routes(client.app)
    if not routes:
        pytest.fail("no module routes: are the modules registered?")
    violations = []
    item_ids = {table: ids for table, ids in items.items() if ids}
    for method, route in routes:
        read_only = route.path.endswith(READ_ONLY_POSTS)
        unsafe = method in UNSAFE and not read_only
        variants = [{}]
        for param in route.params:
            stem = param.removesuffix("_id")
            if stem in item_ids:
                variants = [{param: i} for i in item_ids[stem]]
        for overrides in variants:
            url = fill_path(route.path, db, setup.world, overrides)
            for role in ROLES:
                with undone(db):
                    before = row_counts(db) if read_only else None
                    response = request_as(client, setup, role, method, url, api=route.is_api,
                                          data=MODULE_FORM, json=MODULE_JSON)
                    after = row_counts(db) if read_only else None
                    if read_only:  # logging the role in adds a session row: not the route's
                        before.pop("identity_session")
                        after.pop("identity_session")
                    if read_only and after != before:
                        violations.append(f"{role}: {method} {url} is a preview but wrote")
                status = response.status_code
                ok = 200 <= status < 300
                if status >= 500:
                    violations.append(f"{role}: {method} {url} -> {status} "
                                      f"{getattr(response, 'text', '')[:200]}")
                elif unsafe and role == "anonymous" and ok:
                    violations.append(f"anonymous: {method} {url} -> {status}")
                elif (unsafe and role in CROSS_ROLES and ok and route.params
                      and not route.path.endswith(CROSS_COMMUNITY_ALLOWED)):
                    violations.append(f"{role} of another community: {method} {url} -> "
                                      f"{status}")
    assert not violations, "\n".join(violations)
