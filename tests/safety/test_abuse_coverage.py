"""Every abusable action is rate limited (429, Retry-After, translated) and hostile ids never
cause a server error."""

from __future__ import annotations

import pytest

from app.identity import service as identity
from app.web import ratelimit
from app.web.i18n import current_language, gettext
from tests.safety.conftest import all_routes, build_world, fill_path
from tests.safety.test_web_security import fetch
from tests.safety.world_data import populate

# Module owners still have to add these limits (strict: remove the entry once it passes).
MISSING_LIMITS: dict[tuple[str, str], str] = {}

# (method, path, action, who, body): the body is a form for pages, JSON for the API.
LIMITED = [
    ("POST", "/register", "register", None, {"email": "new@example.org",
                                             "password": "a-long-passphrase-9",
                                             "display_name": "New Person"}),
    ("POST", "/login", "login", None, {"email": "x@example.org", "password": "wrong"}),
    ("POST", "/api/v1/tokens", "login", None, {"email": "x@example.org", "password": "wrong"}),
    ("POST", "/account/erase", "login", "resident", {"password": "wrong", "confirm": "true"}),
    ("POST", "/petitions", "create", "resident", {"community_id": "<A>"}),
    ("POST", "/petitions/{petition_id:int}/sign", "sign", "resident", {}),
    ("POST", "/api/v1/petitions/{petition_id:id}/signatures", "sign", "resident", {}),
    ("POST", "/budget/{cycle_id}/projects/new", "create", "resident", {}),
    ("POST", "/budget/{cycle_id}/ballot", "vote", "resident", {}),
    ("PUT", "/api/v1/budgets/{cycle_id:id}/ballot", "vote", "resident", {"projects": []}),
    ("POST", "/consultations/{consultation_id}/respond", "vote", "resident", {}),
    ("POST", "/api/v1/consultations/{consultation_id:id}/responses", "vote", "resident",
     {"answers": []}),
    ("POST", "/api/v1/consultations/{consultation_id:id}/comments", "comment", "resident",
     {"section_id": 1, "body": "Пропоную додати велодоріжку вздовж набережної."}),
]


def cases():
    for method, path, action, who, body in LIMITED:
        marks = ([pytest.mark.xfail(strict=True, reason=MISSING_LIMITS[(method, path)])]
                 if (method, path) in MISSING_LIMITS else [])
        yield pytest.param(method, path, action, who, body, marks=marks,
                           id=f"{method} {path}")


@pytest.mark.parametrize("method, path, action, who, body", list(cases()))
def test_the_action_is_rate_limited(client, db, rate_limits, monkeypatch, method, path, action,
                                    who, body):
    assert path in {r.path for r in all_routes(client.app)}, f"{path} is not a route any more"
    for name in ("rate_sign", "rate_sign_ip", "rate_vote", "rate_vote_ip", "rate_register",
                 "rate_login_ip", "rate_create", "rate_create_ip", "rate_comment",
                 "rate_comment_ip"):
        monkeypatch.setattr(rate_limits, name, "0/60")  # nothing allowed: the first is refused
    world = build_world(db)
    populate(db, world)
    user = world.user(who) if who else None
    headers = {}
    if user is not None:
        client.login(user)
        _, raw = identity.create_token(db, user, "limits")
        headers = {"Authorization": f"Bearer {raw}"}
    db.commit()
    url = fill_path(path, db, world)
    body = {k: world.a.community.id if v == "<A>" else v for k, v in body.items()}
    if path.startswith("/api/"):
        response = fetch(client, method, url, json=body, headers=headers)
    else:
        response = fetch(client, method, url, data={**body, "csrf_token": client.csrf()})
    assert response.status_code == 429, f"{method} {url}: {response.status_code}"
    assert int(response.headers["Retry-After"]) > 0
    token = current_language.set("uk")
    try:
        message = gettext(ratelimit.MESSAGES[action])
    finally:
        current_language.reset(token)
    assert message in response.text


# Ids no database row can have: far past 64 bits, and negative.
HOSTILE_IDS = ("99999999999999999999999", "-1", "0")
# Routes whose owners still have to bound their integer path parameters.
UNBOUNDED_IDS: dict[str, str] = {}


def areas():
    for area in ("kernel", "petitions", "budget", "consultations"):
        marks = ([pytest.mark.xfail(strict=True, reason=UNBOUNDED_IDS[area])]
                 if area in UNBOUNDED_IDS else [])
        yield pytest.param(area, marks=marks, id=area)


def area_of_route(route) -> str:
    module = (getattr(route.endpoint, "__module__", "") or "").split(".")[0]
    return "kernel" if module == "app" else module


@pytest.mark.parametrize("area", list(areas()))
def test_hostile_ids_never_cause_a_server_error(client, db, area):
    world = build_world(db)
    client.login(world.user("admin"))
    _, raw = identity.create_token(db, world.user("admin"), "ids")
    db.commit()
    routes = [r for r in all_routes(client.app) if area_of_route(r) == area and r.params
              and any(p.endswith("_id") for p in r.params)]
    if not routes:
        pytest.fail(f"no {area} routes with ids")
    errors = []
    for route in routes:
        for hostile in HOSTILE_IDS:
            url = fill_path(route.path, db, world, {p: hostile for p in route.params
                                                    if p.endswith("_id")})
            for method in sorted(route.methods - {"HEAD"}):
                kwargs = ({"headers": {"Authorization": f"Bearer {raw}"}} if route.is_api
                          else {"data": {"csrf_token": client.csrf()}}
                          if method != "GET" else {})
                if route.is_api and method != "GET":
                    kwargs["json"] = {}
                response = fetch(client, method, url, **kwargs)
                if response.status_code >= 500:
                    errors.append(f"{method} {url}: {response.status_code}")
                if not db.is_active:
                    db.rollback()
    assert not errors, "\n".join(errors)
