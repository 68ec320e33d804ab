"""Abuse control: rate limits per IP (and item) and per account, in memory and in Redis."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from app.exceptions import TooManyRequests
from app.web import ratelimit
from app.web.i18n import current_language, gettext
from tests.factories import PASSWORD, make_resident, make_user


class FakeUser:
    def __init__(self, user_id: int):
        self.id = user_id


def request_from(ip: str, user_id: int | None = None, **path_params) -> Request:
    scope = {"type": "http", "method": "POST", "path": "/x", "headers": [],
             "client": (ip, 50000), "path_params": path_params, "query_string": b"",
             "state": {"user": FakeUser(user_id) if user_id else None}}
    return Request(scope)


def test_windows_are_parsed_and_bad_ones_refused():
    assert ratelimit.parse_windows("1/60, 5/300") == [(1, 60), (5, 300)]
    assert ratelimit.parse_windows("") == []
    for bad in ("5", "x/60", "5/0"):
        with pytest.raises(ValueError):
            ratelimit.parse_windows(bad)


def test_every_default_spec_parses(settings):
    for action in ratelimit.ACTIONS.values():
        for name in (action.account, action.ip):
            if name:
                assert ratelimit.parse_windows(getattr(settings, name)), name


def test_fixed_window_blocks_then_reopens_with_retry_after(rate_limits, clock):
    clock.set(clock.current.replace(second=10, microsecond=0))  # 10 s into a minute window
    ratelimit.check("sign", "ip:1.1.1.1:p1", "1/60")
    with pytest.raises(TooManyRequests) as exc:
        ratelimit.check("sign", "ip:1.1.1.1:p1", "1/60")
    assert exc.value.retry_after == 50
    assert exc.value.status_code == 429
    clock.advance(seconds=50)
    ratelimit.check("sign", "ip:1.1.1.1:p1", "1/60")  # a new window


def test_every_window_must_hold(rate_limits, clock):
    clock.set(clock.current.replace(minute=0, second=0, microsecond=0))
    for _ in range(2):
        ratelimit.check("vote", "s", "2/60,3/3600")
    with pytest.raises(TooManyRequests):
        ratelimit.check("vote", "s", "2/60,3/3600")  # the minute is full
    clock.advance(seconds=61)
    ratelimit.check("vote", "s", "2/60,3/3600")  # a fresh minute, the third of the hour
    with pytest.raises(TooManyRequests) as exc:  # the minute has room, the hour is full
        ratelimit.check("vote", "s", "2/60,3/3600")
    assert exc.value.retry_after == 3600 - 61


def test_ip_limit_counts_per_item_and_account_limit_across_items(rate_limits, clock,
                                                                  monkeypatch):
    monkeypatch.setattr(rate_limits, "rate_sign_ip", "2/60")
    monkeypatch.setattr(rate_limits, "rate_sign", "2/60")
    # Two people behind one IP on petition 1, then petition 2: the IP limit is per petition.
    ratelimit.limit(request_from("9.9.9.9", 1, petition_id=1), "sign")
    ratelimit.limit(request_from("9.9.9.9", 2, petition_id=1), "sign")
    with pytest.raises(TooManyRequests):
        ratelimit.limit(request_from("9.9.9.9", 3, petition_id=1), "sign")
    ratelimit.limit(request_from("9.9.9.9", 3, petition_id=2), "sign")
    # One account hopping between IPs and petitions meets its own limit.
    ratelimit.limit(request_from("8.8.8.1", 1, petition_id=3), "sign")
    with pytest.raises(TooManyRequests):
        ratelimit.limit(request_from("8.8.8.2", 1, petition_id=4), "sign")
    # An explicit scope replaces the path parameters.
    ratelimit.limit(request_from("9.9.9.9", 4, petition_id=1), "sign", scope="other")


def test_default_signing_limits_let_a_household_or_service_centre_sign(rate_limits):
    """The documented default: 20 different people signing one petition from one IP within a
    minute (a service centre, a family, carrier-grade NAT) all get through; a script pushing
    more than 30 a minute from one address does not."""
    for person in range(1, 31):
        ratelimit.limit(request_from("10.0.0.1", person, petition_id=7), "sign")
    with pytest.raises(TooManyRequests):
        ratelimit.limit(request_from("10.0.0.1", 31, petition_id=7), "sign")


def test_default_account_limit_stops_one_account_signing_everything(rate_limits):
    for petition in range(1, 11):
        ratelimit.limit(request_from(f"10.1.0.{petition}", 5, petition_id=petition), "sign")
    with pytest.raises(TooManyRequests):
        ratelimit.limit(request_from("10.1.0.99", 5, petition_id=99), "sign")


def test_disabled_limits_never_block(settings):
    assert settings.rate_limits_enabled is False  # the suite's default
    for _ in range(100):
        ratelimit.limit(request_from("1.2.3.4", 1, petition_id=1), "sign")


def test_unknown_action_falls_back_to_the_creation_limits(rate_limits, monkeypatch):
    monkeypatch.setattr(rate_limits, "rate_create_ip", "1/60")
    ratelimit.limit(request_from("7.7.7.7"), "no-such-action")
    with pytest.raises(TooManyRequests):
        ratelimit.limit(request_from("7.7.7.7"), "no-such-action")


# -- over HTTP: 429, Retry-After, translated ------------------------------------------------

def test_login_over_the_limit_answers_429_translated_with_retry_after(client, rate_limits,
                                                                      monkeypatch):
    monkeypatch.setattr(rate_limits, "rate_login_ip", "2/300")
    for _ in range(2):
        response = client.submit("/login", {"email": "nobody@example.org", "password": "x"})
        assert response.status_code == 401
    response = client.submit("/login", {"email": "nobody@example.org", "password": "x"})
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 300
    token = current_language.set("uk")
    try:
        ukrainian = gettext(ratelimit.MESSAGES["login"])
    finally:
        current_language.reset(token)
    assert ukrainian != ratelimit.MESSAGES["login"], "the message has no Ukrainian translation"
    assert ukrainian in response.text
    english = client.submit("/login?lang=en", {"email": "nobody@example.org", "password": "x"})
    assert english.status_code == 429
    assert ratelimit.MESSAGES["login"] in english.text


def test_api_over_the_limit_answers_json_429(client, rate_limits, monkeypatch):
    monkeypatch.setattr(rate_limits, "rate_login_ip", "1/300")
    body = {"email": "nobody@example.org", "password": "wrong-password"}
    assert client.post("/api/v1/tokens", json=body).status_code == 401
    response = client.post("/api/v1/tokens", json=body)
    assert response.status_code == 429
    assert response.json()["error"] == "rate_limited"
    assert int(response.headers["Retry-After"]) > 0


def test_registration_is_limited_per_ip(client, rate_limits, monkeypatch, db):
    from sqlmodel import func, select

    from app.identity.models import User

    monkeypatch.setattr(rate_limits, "rate_register", "2/3600")
    before = db.exec(select(func.count()).select_from(User)).one()
    for n in range(2):
        client.cookies.clear()
        response = client.submit("/register", {"email": f"new{n}@example.org",
                                               "password": "a-long-passphrase-9",
                                               "display_name": f"New {n}"})
        assert response.status_code == 303, response.text
    client.cookies.clear()
    response = client.submit("/register", {"email": "new9@example.org",
                                           "password": "a-long-passphrase-9",
                                           "display_name": "New 9"})
    assert response.status_code == 429
    assert db.exec(select(func.count()).select_from(User)).one() == before + 2


def test_login_failures_lock_the_account_from_any_ip(client, db, rate_limits, clock,
                                                     monkeypatch):
    monkeypatch.setattr(rate_limits, "rate_login_failures", 3)
    user = make_user(db, email="target@example.org")
    for _ in range(3):
        response = client.submit("/login", {"email": "target@example.org", "password": "bad"})
        assert response.status_code == 401
    # The right password no longer helps while the lock holds, from any address.
    response = client.submit("/login", {"email": "target@example.org", "password": PASSWORD})
    assert response.status_code == 429
    db.refresh(user)
    assert user.locked_until is not None
    clock.advance(seconds=rate_limits.rate_login_lockout_seconds + 1)
    response = client.submit("/login", {"email": "target@example.org", "password": PASSWORD})
    assert response.status_code == 303
    db.refresh(user)
    assert user.failed_logins == 0 and user.locked_until is None


def test_email_aliases_do_not_make_second_accounts(client, db):
    make_user(db, email="anna.koval@gmail.com")
    for alias in ("Anna.Koval+petitions@gmail.com", "annakoval@googlemail.com",
                  "ANNA.KOVAL@GMAIL.COM", "a.n.n.a.koval+2@gmail.com"):
        client.cookies.clear()
        response = client.submit("/register", {"email": alias, "password": "a-long-passphrase-9",
                                               "display_name": "Anna"})
        assert response.status_code == 422, alias
    # Other providers: the +tag is dropped, dots are significant.
    make_user(db, email="ivan.petrenko@ukr.net")
    client.cookies.clear()
    response = client.submit("/register", {"email": "ivan.petrenko+x@ukr.net",
                                           "password": "a-long-passphrase-9",
                                           "display_name": "Ivan"})
    assert response.status_code == 422


def test_a_signing_resident_meets_the_account_limit_over_http(client, db, rate_limits,
                                                               monkeypatch):
    """Through the real signing route, when the petitions module has one."""
    from tests.safety.conftest import all_routes

    paths = {r.path for r in all_routes(client.app)}
    if "/api/v1/petitions/{petition_id:id}/signatures" not in paths:
        pytest.fail("the petitions signing API is missing")
    from tests.safety.helpers import open_petition

    monkeypatch.setattr(rate_limits, "rate_sign", "1/60")
    petition_a, place = open_petition(db)
    petition_b, _ = open_petition(db, place)
    signer = make_resident(db, place)
    from app.identity import service as identity

    _, raw = identity.create_token(db, signer, "t")
    headers = {"Authorization": f"Bearer {raw}"}
    first = client.post(f"/api/v1/petitions/{petition_a}/signatures", json={}, headers=headers)
    assert first.status_code == 201, first.text
    second = client.post(f"/api/v1/petitions/{petition_b}/signatures", json={},
                         headers=headers)
    assert second.status_code == 429
    assert "Retry-After" in second.headers


# -- Redis: several nodes share the limits --------------------------------------------------

def test_two_nodes_share_limits_through_redis(redis_url, redis_prefix, rate_limits, clock,
                                              monkeypatch):
    node_a = ratelimit.RedisStore(redis_url, prefix=redis_prefix)
    node_b = ratelimit.RedisStore(redis_url, prefix=redis_prefix)
    assert node_a.hit("sign:ip:1", 60) == 1
    assert node_b.hit("sign:ip:1", 60) == 2
    assert node_a.hit("sign:ip:1", 60) == 3
    ttl = node_a.client.ttl(f"{redis_prefix}:sign:ip:1")
    assert 0 < ttl <= 61  # keys expire with their window

    # Through limit(): node A and node B (two stores, as two processes would have).
    monkeypatch.setattr(rate_limits, "rate_sign_ip", "2/60")
    monkeypatch.setattr(rate_limits, "rate_sign", "")
    stores = iter([node_a, node_b, node_a])
    monkeypatch.setattr(ratelimit, "store", lambda: next(stores))
    ratelimit.limit(request_from("5.5.5.5", 1, petition_id=1), "sign")  # node A
    ratelimit.limit(request_from("5.5.5.5", 2, petition_id=1), "sign")  # node B
    with pytest.raises(TooManyRequests):
        ratelimit.limit(request_from("5.5.5.5", 3, petition_id=1), "sign")  # node A again


def test_redis_url_setting_selects_the_shared_store(redis_url, rate_limits, monkeypatch):
    monkeypatch.setattr(rate_limits, "redis_url", redis_url)
    ratelimit.reset()
    assert isinstance(ratelimit.store(), ratelimit.RedisStore)
    ratelimit.reset()


def test_http_limits_hold_across_two_app_nodes_sharing_redis(client, redis_url, redis_prefix,
                                                             rate_limits, monkeypatch):
    monkeypatch.setattr(rate_limits, "redis_url", redis_url)
    monkeypatch.setattr(rate_limits, "rate_login_ip", "2/300")
    monkeypatch.setattr(ratelimit, "KEY_PREFIX", redis_prefix)
    nodes = [ratelimit.RedisStore(redis_url, prefix=redis_prefix) for _ in range(2)]
    turn = iter([nodes[0], nodes[1], nodes[0]])
    monkeypatch.setattr(ratelimit, "store", lambda: next(turn))
    statuses = [client.submit("/login", {"email": "x@example.org", "password": "y"}).status_code
                for _ in range(3)]
    assert statuses == [401, 401, 429]


def test_unreachable_redis_falls_back_to_memory_limits(rate_limits, caplog):
    store = ratelimit.RedisStore("redis://127.0.0.1:1/0")  # nothing listens on port 1
    assert store.hit("k", 60) == 1
    assert store.hit("k", 60) == 2  # counted locally, not refused, not raised
    assert "Redis is unreachable" in caplog.text
