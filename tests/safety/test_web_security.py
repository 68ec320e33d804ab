"""Route-wide web security: CSRF on every state-changing page, no writes on GET, headers and
CSP on every response, session cookie flags, timeouts and rotation."""

from __future__ import annotations

import pytest

from app.identity import service as identity
from app.web.auth import SESSION_COOKIE
from app.web.middleware import CSP
from tests.factories import PASSWORD, make_user
from tests.safety.conftest import (
    NOT_PAGES,
    READ_ONLY_POSTS,
    UNSAFE,
    all_routes,
    fill_path,
    row_counts,
)
from tests.safety.world_data import populate

SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


def fetch(client, method: str, url: str, **kwargs):
    """The response, or a stand-in 500 when the app raised (the test client re-raises)."""
    try:
        return client.request(method, url, **kwargs)
    except Exception as exc:  # reported as a server error by the caller
        return ServerError(f"{type(exc).__name__}: {exc}"[:300])


class ServerError:
    status_code = 500

    def __init__(self, text: str):
        self.text = text
        self.headers: dict[str, str] = {}


def html_unsafe_routes(app):
    return [(r, m) for r in all_routes(app) if not r.is_api for m in sorted(r.methods & UNSAFE)]


def get_routes(app):
    return [r for r in all_routes(app) if "GET" in r.methods and r.path not in NOT_PAGES]


def test_route_enumeration_sees_kernel_and_module_routes(app):
    paths = {r.path for r in all_routes(app)}
    for expected in ("/login", "/account/erase", "/api/v1/me/data", "/audit",
                     "/api/v1/audit/head"):
        assert expected in paths
    assert len(html_unsafe_routes(app)) >= 12


def test_every_state_changing_page_refuses_a_post_without_the_csrf_token(client, db, world):
    populate(db, world)
    admin = world.user("admin")
    client.login(admin)
    db.commit()
    before = row_counts(db)
    failures = []
    for route, method in html_unsafe_routes(client.app):
        url = fill_path(route.path, db, world)
        for label, kwargs in (
                ("no token", {"data": {"name": "x", "password": PASSWORD}}),
                ("a wrong token", {"data": {"csrf_token": "0" * 64, "name": "x"}}),
                ("a wrong htmx header", {"headers": {"X-CSRF-Token": "f" * 64,
                                                     "HX-Request": "true"}})):
            response = fetch(client, method, url, **kwargs)
            if response.status_code != 403:
                failures.append(f"{method} {url} with {label}: {response.status_code}")
    assert not failures, "\n".join(failures)
    assert row_counts(db) == before, "a refused request wrote something"


def test_the_api_ignores_session_cookies(client, db, world):
    """Why the API needs no CSRF token: a logged-in browser's cookies authenticate nothing
    there, so a forged cross-site request to the API acts as nobody."""
    populate(db, world)
    client.login(world.user("admin"))
    db.commit()
    before = row_counts(db)
    acted = []
    for route in all_routes(client.app):
        if not route.is_api or route.path == "/api/v1/tokens":
            continue
        if route.path.endswith(READ_ONLY_POSTS):
            continue  # computes an answer, writes nothing (the row counts below agree)
        for method in sorted(route.methods & UNSAFE):
            url = fill_path(route.path, db, world)
            response = fetch(client, method, url, json={})
            if 200 <= response.status_code < 300 or response.status_code >= 500:
                acted.append(f"{method} {url}: {response.status_code}")
        if "GET" in route.methods and route.path in ("/api/v1/me", "/api/v1/me/data"):
            assert fetch(client, "GET", route.path).status_code == 401
    assert not acted, "\n".join(acted)
    assert row_counts(db) == before


def test_the_csrf_token_of_another_browser_is_refused(make_client, db):
    user = make_user(db)
    db.commit()
    mallory, victim = make_client(), make_client()
    victim.login(user)
    db.commit()
    forged = victim.post("/account/language", data={"language": "en",
                                                     "csrf_token": mallory.csrf()})
    assert forged.status_code == 403
    honest = victim.submit("/account/language", {"language": "en"})
    assert honest.status_code == 303


@pytest.mark.parametrize("role", ["admin", "resident", "anonymous"])
def test_no_get_route_changes_any_table(client, db, world, role):
    populate(db, world)
    user = world.user(role)
    headers = {}
    if user is not None:
        client.login(user)
        _, raw = identity.create_token(db, user, "matrix")
        headers = {"Authorization": f"Bearer {raw}"}
    db.commit()
    before = row_counts(db)
    errors = []
    for route in get_routes(client.app):
        url = fill_path(route.path, db, world)
        for query in ("", "?page=2", "?lang=en"):
            response = fetch(client, "GET", url + query,
                             headers=headers if route.is_api else {})
            if response.status_code >= 500:
                errors.append(f"GET {url}{query}: {response.status_code} {response.text[:200]}")
    assert not errors, "\n".join(errors)
    after = row_counts(db)
    changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
    assert not changed, f"GET requests changed row counts: {changed}"


def test_every_response_carries_the_security_headers_and_csp(client, db, world):
    populate(db, world)
    client.login(world.user("admin"))
    db.commit()
    missing = []
    urls = [fill_path(r.path, db, world) for r in get_routes(client.app)]
    urls += ["/no-such-page", "/api/v1/no-such-thing", "/static/css/hromada.css",
             "/openapi.json"]
    for url in urls:
        response = fetch(client, "GET", url)
        if isinstance(response, ServerError):
            missing.append(f"{url}: {response.text}")
            continue
        for name, value in SECURITY_HEADERS.items():
            if response.headers.get(name) != value:
                missing.append(f"{url} ({response.status_code}): {name}="
                               f"{response.headers.get(name)!r}")
        if response.headers.get("content-type", "").startswith("text/html"):
            assert "<script>" not in response.text and " onclick=" not in response.text, url
    assert not missing, "\n".join(missing)


def test_error_responses_carry_the_headers_too(client):
    response = client.post("/logout")  # no CSRF token: 403
    assert response.status_code == 403
    assert response.headers["content-security-policy"] == CSP
    assert "frame-ancestors 'none'" in CSP and "script-src 'self'" in CSP
    assert "unsafe-inline" not in CSP


def test_cookies_are_httponly_lax_and_secure_over_https(client, db, settings, monkeypatch):
    make_user(db, email="cookie@example.org")
    db.commit()
    monkeypatch.setattr(settings, "cookie_secure", True)
    client.base_url = "https://testserver"  # a browser sends Secure cookies only over https
    client.cookies.clear()
    first = client.get("/login")
    csrf = [c for c in first.headers.get_list("set-cookie") if c.startswith("hromada_csrf=")]
    assert csrf and "HttpOnly" in csrf[0] and "Secure" in csrf[0]
    assert "samesite=lax" in csrf[0].lower()
    assert "strict-transport-security" in first.headers
    response = client.submit("/login", {"email": "cookie@example.org", "password": PASSWORD})
    assert response.status_code == 303
    cookie = [c for c in response.headers.get_list("set-cookie")
              if c.startswith(f"{SESSION_COOKIE}=")][0]
    for flag in ("HttpOnly", "Secure", "Path=/"):
        assert flag in cookie
    assert "samesite=lax" in cookie.lower()


def test_login_rotates_the_session(client, db):
    user = make_user(db, email="rotate@example.org")
    db.commit()
    client.login(user)
    old = client.cookies.get(SESSION_COOKIE)
    db.commit()
    response = client.submit("/login", {"email": "rotate@example.org", "password": PASSWORD})
    assert response.status_code == 303
    new = response.cookies.get(SESSION_COOKIE)
    assert new and new != old
    assert identity.resolve_session(db, old) is None  # the old session is gone
    assert identity.resolve_session(db, new).id == user.id


def test_idle_and_absolute_session_timeouts(client, db, clock, settings):
    user = make_user(db)
    client.login(user)
    db.commit()
    assert client.get("/account").status_code == 200
    clock.advance(minutes=settings.session_idle_minutes - 5)
    assert client.get("/account").status_code == 200  # activity keeps it alive
    clock.advance(minutes=settings.session_idle_minutes + 1)
    assert client.get("/account").status_code == 303  # idle too long

    client.login(user)
    db.commit()
    step = max(1, settings.session_idle_minutes // 2)
    elapsed = 0
    while elapsed < settings.session_absolute_hours * 60 - step:
        clock.advance(minutes=step)
        elapsed += step
        assert client.get("/account").status_code == 200, elapsed
    clock.advance(minutes=step + 1)
    assert client.get("/account").status_code == 303  # too old, however active
