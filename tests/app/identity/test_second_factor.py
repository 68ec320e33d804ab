"""The second factor (TOTP and recovery codes): staff need it before acting in their role, a
code is good once, failures count towards the lockout; and the list of one's sessions."""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlmodel import select

from app.audit.models import AuditEntry
from app.identity.models import AuthSession, User
from app.settings import get_settings
from tests.factories import PASSWORD, make_community, make_official, make_user


@pytest.fixture
def staff_need_it(monkeypatch):
    monkeypatch.setattr(get_settings(), "staff_second_factor", True)


def log_in(client, user, password: str = PASSWORD):
    return client.submit("/login", {"email": user.email, "password": password,
                                    "next": "/account"})


def enrol(client, clock) -> tuple[str, list[str]]:
    page = client.get("/account/two-factor")
    secret = re.search(r'name="secret" value="([A-Z2-7]+)"', page.text).group(1)
    code = pyotp.TOTP(secret).at(clock.current)
    response = client.submit("/account/two-factor", {"secret": secret, "code": code})
    assert response.status_code == 200, response.text
    codes = re.findall(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>", response.text)
    assert len(codes) == 10
    return secret, codes


def test_an_official_acts_only_after_a_second_factor(client, db, clock, staff_need_it):
    place = make_community(db)
    official = make_official(db, place)
    db.commit()
    assert log_in(client, official).status_code == 303
    queue = f"/communities/{place.community.slug}/residents"
    assert client.get(queue).status_code == 403
    page = client.get("/account?lang=en")
    assert "turn on two-factor sign-in to act in it" in page.text

    secret, _codes = enrol(client, clock)
    assert client.get(queue).status_code == 200  # this session passed it just now
    db.refresh(official)
    assert official.totp_enabled_at is not None
    assert secret not in (official.totp_secret or "")  # stored encrypted

    # The next login asks for the code before there is a session.
    client.cookies.clear()
    response = log_in(client, official)
    assert response.headers["location"] == "/login/second-factor"
    assert client.get("/account").status_code == 303
    reused = client.submit("/login/second-factor",
                           {"code": pyotp.TOTP(secret).at(clock.current)},
                           headers={"Accept-Language": "en"})
    assert reused.status_code == 422 and "already used" in reused.text
    clock.advance(seconds=30)
    done = client.submit("/login/second-factor", {"code": pyotp.TOTP(secret).at(clock.current)})
    assert done.status_code == 303 and done.headers["location"] == "/account"
    assert client.get(queue).status_code == 200
    actions = [e.action for e in db.exec(select(AuditEntry))]
    assert "identity.second_factor_on" in actions and "identity.second_factor_reused" in actions


def test_a_resident_may_turn_it_on_and_use_a_recovery_code_once(client, db, clock):
    user = make_user(db)
    client.login(user)
    _secret, codes = enrol(client, clock)
    client.cookies.clear()
    log_in(client, user)
    assert client.submit("/login/second-factor", {"code": codes[0]}).status_code == 303
    client.cookies.clear()
    log_in(client, user)
    assert client.submit("/login/second-factor", {"code": codes[0]}).status_code == 422
    assert client.submit("/login/second-factor",
                         {"code": codes[1].upper()}).status_code == 303


def test_wrong_codes_count_towards_the_lockout(client, db, clock, monkeypatch):
    settings = get_settings()
    monkeypatch.setattr(settings, "rate_limits_enabled", True)
    monkeypatch.setattr(settings, "rate_login_failures", 3)
    monkeypatch.setattr(settings, "rate_second_factor_ip", "100/60")
    monkeypatch.setattr(settings, "rate_login_ip", "100/60")
    user = make_user(db)
    client.login(user)
    secret, _ = enrol(client, clock)
    client.cookies.clear()
    log_in(client, user)
    statuses = [client.submit("/login/second-factor", {"code": "000000"}).status_code
                for _ in range(3)]
    assert statuses == [422, 422, 422]
    clock.advance(seconds=60)
    locked = client.submit("/login/second-factor",
                           {"code": pyotp.TOTP(secret).at(clock.current)})
    assert locked.status_code == 429
    db.refresh(user)
    assert user.locked_until is not None


def test_the_api_token_needs_the_code_when_the_account_has_one(client, db, clock):
    user = make_user(db)
    client.login(user)
    secret, _ = enrol(client, clock)
    body = {"email": user.email, "password": PASSWORD, "name": "script"}
    assert client.post("/api/v1/tokens", json=body).status_code == 422
    clock.advance(seconds=30)
    ok = client.post("/api/v1/tokens",
                     json={**body, "code": pyotp.TOTP(secret).at(clock.current)})
    assert ok.status_code == 201


def test_turning_it_off_needs_a_code(client, db, clock):
    user = make_user(db)
    client.login(user)
    secret, _ = enrol(client, clock)
    assert client.submit("/account/two-factor/disable", {"code": "111111"}).status_code == 422
    clock.advance(seconds=30)
    response = client.submit("/account/two-factor/disable",
                             {"code": pyotp.TOTP(secret).at(clock.current)})
    assert response.status_code == 303
    db.refresh(user)
    assert user.totp_enabled_at is None and user.totp_secret is None


def test_a_wrong_enrolment_code_is_refused(client, db):
    client.login(make_user(db))
    page = client.get("/account/two-factor")
    secret = re.search(r'name="secret" value="([A-Z2-7]+)"', page.text).group(1)
    response = client.submit("/account/two-factor", {"secret": secret, "code": "12"})
    assert response.status_code == 422 and 'aria-invalid="true"' in response.text


def test_one_sees_ones_sessions_and_ends_another(client, make_client, db):
    user = make_user(db)
    phone = make_client()
    assert log_in(phone, user).status_code == 303
    client.login(user)
    page = client.get("/account?lang=en")
    handles = re.findall(r'/account/sessions/([0-9a-f]{16})/revoke', page.text)
    assert len(handles) == 1  # the other session; this one is marked, not offered
    assert "this session" in page.text
    assert client.submit(f"/account/sessions/{handles[0]}/revoke").status_code == 303
    assert phone.get("/account").status_code == 303
    assert len(db.exec(select(AuthSession).where(AuthSession.user_id == user.id)).all()) == 1
    # Another person's session cannot be ended by its handle.
    stranger = make_client().login(make_user(db))
    assert stranger.submit(f"/account/sessions/{handles[0]}/revoke").status_code == 404
    assert db.get(User, user.id) is not None
