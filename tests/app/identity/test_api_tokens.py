"""Personal API tokens: issued for e-mail and password, shown once, stored hashed, revocable."""

from __future__ import annotations

import hashlib

from sqlmodel import select

from app.identity import service as identity
from app.identity.models import ApiToken
from tests.browser import TOKEN_RE
from tests.factories import PASSWORD, make_community, make_resident, make_user


def issue(client, email: str, password: str = PASSWORD, name: str = "script"):
    return client.post("/api/v1/tokens", json={"email": email, "password": password,
                                               "name": name})


def test_token_for_email_and_password_then_me(client, db):
    place = make_community(db)
    user = make_resident(db, place, email="api@example.org", name="Тарас")
    db.commit()

    response = issue(client, "API@example.org")

    assert response.status_code == 201
    body = response.json()
    raw = body["token"]
    assert raw.startswith("hrm_") and len(raw) > 30
    me = client.get("/api/v1/me", headers=client.api(raw))
    assert me.status_code == 200
    assert me.json() == {
        "id": user.id, "email": "api@example.org", "display_name": "Тарас",
        "role": "resident", "email_verified": True,
        "verified_resident_of": [place.community.id], "official_of_authorities": [],
        "moderator_of": []}


def test_the_token_is_stored_hashed(client, db):
    make_user(db, email="hash@example.org")
    db.commit()
    raw = issue(client, "hash@example.org").json()["token"]

    row = db.exec(select(ApiToken).where(ApiToken.name == "script")).one()

    assert row.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in (row.token_hash, row.prefix, row.name)
    assert row.prefix == raw[:10]
    assert len(row.prefix) < len(raw) // 3


def test_wrong_password_gets_no_token(client, db):
    make_user(db, email="nope@example.org")
    db.commit()
    response = issue(client, "nope@example.org", "wrong password!")
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"
    assert db.exec(select(ApiToken)).first() is None


def test_api_requires_a_valid_bearer_token(client, db):
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401
    response = client.get("/api/v1/me", headers=client.api("hrm_not-a-real-token"))
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


def test_a_session_cookie_is_not_an_api_credential(client, db):
    user = make_user(db)
    client.login(user)
    assert client.get("/account").status_code == 200
    assert client.get("/api/v1/me").status_code == 401


def test_a_revoked_token_is_refused(client, db):
    user = make_user(db, email="revoke@example.org")
    client.login(user)
    raw = issue(client, "revoke@example.org").json()["token"]
    token = db.exec(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    assert client.get("/api/v1/me", headers=client.api(raw)).status_code == 200

    response = client.submit(f"/account/tokens/{token.id}/revoke")

    assert response.status_code == 303
    refused = client.get("/api/v1/me", headers=client.api(raw))
    assert refused.status_code == 401
    assert refused.json()["message"] == "Токен API недійсний або відкликаний."


def test_nobody_else_can_revoke_my_token(client, db):
    owner = make_user(db)
    _, raw = identity.create_token(db, owner, "mine")
    token = db.exec(select(ApiToken).where(ApiToken.user_id == owner.id)).one()
    client.login(make_user(db))

    response = client.submit(f"/account/tokens/{token.id}/revoke")

    assert response.status_code == 404
    assert client.get("/api/v1/me", headers=client.api(raw)).status_code == 200


def test_tokens_from_the_account_page(client, db):
    user = make_user(db)
    client.login(user)

    response = client.submit("/account/tokens", {"name": "  my   script "})

    assert response.status_code == 200
    assert "Скопіюйте токен зараз" in response.text
    raw = response.text.split('<p class="notice" role="status"><code>')[1].split("<")[0]
    assert client.get("/api/v1/me", headers=client.api(raw)).json()["id"] == user.id
    assert db.exec(select(ApiToken).where(ApiToken.user_id == user.id)).one().name == \
        "my script"
    # Shown once: the account page lists the token by its prefix only.
    page = client.get("/account")
    assert raw not in page.text
    assert raw[:10] in page.text
    assert TOKEN_RE.search(page.text)


def test_an_overlong_token_name_is_refused(client, db):
    user = make_user(db)
    client.login(user)
    response = client.submit("/account/tokens", {"name": "x" * 81})
    assert response.status_code == 422
    assert "Назва токена задовга" in response.text
    assert db.exec(select(ApiToken)).first() is None
