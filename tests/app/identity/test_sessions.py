"""Logging in and out through the pages, session rotation, timeouts and the lockout."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.identity import service as identity
from app.identity.models import AuthSession, User
from app.web.auth import SESSION_COOKIE
from app.web.middleware import CSRF_COOKIE
from tests.browser import TOKEN_RE
from tests.factories import PASSWORD, make_user


def page_token(browser, url: str = "/login") -> str:
    page = browser.get(url)
    assert page.status_code == 200
    return TOKEN_RE.search(page.text).group(1)


def log_in(browser, email: str, password: str = PASSWORD, next_: str = "/account"):
    token = page_token(browser)
    return browser.post("/login", data={"csrf_token": token, "email": email,
                                        "password": password, "next": next_})


def set_cookie_headers(response, name: str) -> list[str]:
    return [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]


def test_login_and_logout_through_the_pages(client, db):
    user = make_user(db, email="oksana@example.org", name="Оксана Мельник")
    db.commit()

    response = log_in(client, "Oksana@Example.org")

    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    cookie = set_cookie_headers(response, SESSION_COOKIE)[0]
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "Path=/" in cookie
    # A fresh CSRF secret after login: the one issued to the anonymous visitor is dropped.
    assert set_cookie_headers(response, CSRF_COOKIE)
    account = client.get("/account")
    assert account.status_code == 200
    assert "Оксана Мельник" in account.text
    assert db.exec(select(AuthSession).where(AuthSession.user_id == user.id)).first()

    token = TOKEN_RE.search(account.text).group(1)
    out = client.post("/logout", data={"csrf_token": token})

    assert out.status_code == 303
    assert db.exec(select(AuthSession).where(AuthSession.user_id == user.id)).first() is None
    after = client.get("/account")
    assert after.status_code == 303
    assert after.headers["location"] == "/login?next=/account"


@pytest.mark.parametrize("email", ["oksana@example.org", "nobody@example.org"])
def test_wrong_credentials_are_refused_with_one_message(client, db, email):
    make_user(db, email="oksana@example.org")
    db.commit()

    response = log_in(client, email, "wrong password!")

    assert response.status_code == 401
    assert "Неправильна адреса електронної пошти або пароль." in response.text
    assert SESSION_COOKIE not in response.cookies
    assert client.get("/account").status_code == 303


def test_failed_logins_are_counted_even_though_the_request_fails(client, db):
    user = make_user(db, email="count@example.org")
    db.commit()
    log_in(client, "count@example.org", "wrong password!")
    log_in(client, "count@example.org", "wrong password!")
    db.refresh(user)
    assert user.failed_logins == 2
    assert log_in(client, "count@example.org").status_code == 303
    db.refresh(user)
    assert user.failed_logins == 0


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:x",
                                    "account", "/\\evil.example", "/\t/evil.example",
                                    "/\n/evil.example"])
def test_login_never_redirects_off_site(client, db, target):
    make_user(db, email="safe@example.org")
    db.commit()
    response = log_in(client, "safe@example.org", next_=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_login_keeps_a_local_next_page(client, db):
    make_user(db, email="local@example.org")
    db.commit()
    response = log_in(client, "local@example.org", next_="/communities?x=1")
    assert response.headers["location"] == "/communities?x=1"


def test_login_rotates_the_session(client, make_client, db):
    user = make_user(db, email="rotate@example.org")
    db.commit()
    first = log_in(client, "rotate@example.org")
    old = first.cookies[SESSION_COOKIE]

    second = log_in(client, "rotate@example.org")

    new = second.cookies[SESSION_COOKIE]
    assert new != old
    assert client.get("/account").status_code == 200
    stale = make_client()
    stale.cookies.set(SESSION_COOKIE, old)
    assert stale.get("/account").status_code == 303
    rows = db.exec(select(AuthSession).where(AuthSession.user_id == user.id)).all()
    assert len(rows) == 1


def test_idle_sessions_expire(client, db, clock, settings):
    user = make_user(db)
    client.login(user)
    idle = settings.session_idle_minutes

    clock.advance(minutes=idle - 1)
    assert client.get("/account").status_code == 200  # activity keeps it alive
    clock.advance(minutes=idle - 1)
    assert client.get("/account").status_code == 200
    clock.advance(minutes=idle + 1)

    response = client.get("/account")

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_sessions_end_after_the_absolute_limit_however_active(client, db, clock, settings):
    user = make_user(db)
    client.login(user)
    step = settings.session_idle_minutes - 10
    limit = settings.session_absolute_hours * 60
    elapsed = 0
    while elapsed + step < limit:
        clock.advance(minutes=step)
        elapsed += step
        assert client.get("/account").status_code == 200, elapsed
    clock.advance(minutes=limit - elapsed + 1)

    assert client.get("/account").status_code == 303


def test_an_erased_account_loses_its_sessions(client, db, clock):
    user = make_user(db)
    client.login(user)
    user.erased_at = clock()
    db.add(user)
    db.commit()
    assert client.get("/account").status_code == 303


def test_account_locks_after_repeated_failures(client, db, clock, rate_limits, monkeypatch):
    monkeypatch.setattr(rate_limits, "rate_login_failures", 2)
    monkeypatch.setattr(rate_limits, "rate_login_lockout_seconds", 600)
    monkeypatch.setattr(rate_limits, "rate_login_ip", "1000/300")
    user = make_user(db, email="locked@example.org")
    db.commit()

    for _ in range(2):
        assert log_in(client, "locked@example.org", "wrong password!").status_code == 401
    db.refresh(user)
    assert user.locked_until is not None

    # Even the right password is refused while the account is locked.
    locked = log_in(client, "locked@example.org")
    assert locked.status_code == 429
    assert "Обліковий запис тимчасово заблоковано" in locked.text
    assert client.get("/account").status_code == 303

    clock.advance(seconds=601)
    assert log_in(client, "locked@example.org").status_code == 303
    db.refresh(user)
    assert user.failed_logins == 0 and user.locked_until is None


def test_the_api_token_endpoint_counts_towards_the_lockout(client, db, rate_limits,
                                                          monkeypatch):
    monkeypatch.setattr(rate_limits, "rate_login_failures", 2)
    monkeypatch.setattr(rate_limits, "rate_login_ip", "1000/300")
    make_user(db, email="api-lock@example.org")
    db.commit()
    body = {"email": "api-lock@example.org", "password": "wrong password!"}
    assert client.post("/api/v1/tokens", json=body).status_code == 401
    assert client.post("/api/v1/tokens", json=body).status_code == 401

    response = client.post("/api/v1/tokens", json={**body, "password": PASSWORD})

    assert response.status_code == 429
    assert response.json()["error"] == "rate_limited"
    assert int(response.headers["Retry-After"]) > 0


def test_login_attempts_from_one_address_are_limited(client, db, rate_limits, monkeypatch):
    monkeypatch.setattr(rate_limits, "rate_login_ip", "2/300")
    make_user(db, email="ip@example.org")
    db.commit()
    assert log_in(client, "ip@example.org", "wrong password!").status_code == 401
    assert log_in(client, "ip@example.org", "wrong password!").status_code == 401

    response = log_in(client, "ip@example.org")

    assert response.status_code == 429
    assert "Retry-After" in response.headers


def test_no_lockout_when_rate_limits_are_off(db, settings, monkeypatch):
    assert settings.rate_limits_enabled is False
    monkeypatch.setattr(settings, "rate_login_failures", 1)
    user = make_user(db, email="free@example.org")
    for _ in range(settings.rate_login_failures + 1):
        with pytest.raises(Exception):  # noqa: B017 - NotAuthenticated, never TooManyRequests
            identity.authenticate(db, "free@example.org", "wrong password!")
    assert identity.authenticate(db, "free@example.org", PASSWORD).id == user.id
    assert db.get(User, user.id).locked_until is None
