"""CSRF: every state-changing HTML request carries the token of its browser; the API does not."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from app.identity.models import ApiToken, User
from app.web.middleware import CSRF_COOKIE
from tests.factories import PASSWORD, make_user

REGISTRATION = {"email": "csrf@example.org", "password": "a long pass phrase",
                "display_name": "Ганна"}


def users(db) -> int:
    return db.exec(select(func.count()).select_from(User)).one()


def test_a_form_without_the_token_is_refused_and_nothing_written(client, db):
    client.csrf()  # the browser has its CSRF cookie, but the form lacks the field
    before = users(db)

    response = client.submit("/register", REGISTRATION, csrf=False)

    assert response.status_code == 403
    assert "Термін дії форми минув або її надіслано з іншого сайту." in response.text
    assert users(db) == before


def test_a_wrong_token_is_refused(client, db):
    before = users(db)
    response = client.submit("/register", {**REGISTRATION, "csrf_token": "0" * 64})
    assert response.status_code == 403
    assert users(db) == before


def test_a_token_without_its_cookie_is_refused(client, make_client, db):
    token = client.csrf()
    stranger = make_client()  # another browser: no CSRF cookie, someone else's token
    before = users(db)

    response = stranger.post("/register", data={**REGISTRATION, "csrf_token": token})

    assert response.status_code == 403
    assert users(db) == before


def test_a_token_of_another_browser_is_refused(client, make_client, db):
    other = make_client()
    other.csrf()
    response = other.post("/register", data={**REGISTRATION, "csrf_token": client.csrf()})
    assert response.status_code == 403


def test_the_form_token_is_accepted(client, db):
    before = users(db)
    response = client.submit("/register", REGISTRATION)
    assert response.status_code == 303
    assert users(db) == before + 1


def test_htmx_sends_the_token_in_a_header(client, db):
    user = make_user(db)
    client.login(user)
    token = client.csrf()

    refused = client.post("/account/tokens", data={"name": "htmx"},
                          headers={"HX-Request": "true", "X-CSRF-Token": "f" * 64})
    accepted = client.post("/account/tokens", data={"name": "htmx"},
                           headers={"HX-Request": "true", "X-CSRF-Token": token})

    assert refused.status_code == 403
    assert accepted.status_code == 200
    assert db.exec(select(ApiToken).where(ApiToken.user_id == user.id)).one().name == "htmx"


def test_the_page_carries_the_token_for_htmx_and_forms(client, db):
    page = client.get("/register")
    token = client.csrf()
    assert f'"X-CSRF-Token": "{token}"' in page.text
    assert f'name="csrf_token" value="{token}"' in page.text


def test_logging_out_needs_the_token_too(client, db):
    user = make_user(db)
    client.login(user)
    assert client.submit("/logout", csrf=False).status_code == 403
    assert client.get("/account").status_code == 200


def test_the_json_api_needs_no_csrf_token(client, db):
    make_user(db, email="json@example.org")
    db.commit()
    assert CSRF_COOKIE not in client.cookies

    response = client.post("/api/v1/tokens", json={"email": "json@example.org",
                                                   "password": PASSWORD},
                           headers={"Authorization": "Bearer ignored"})

    assert response.status_code == 201
    me = client.get("/api/v1/me", headers=client.api(response.json()["token"]))
    assert me.json()["email"] == "json@example.org"
    # The API sets no CSRF cookie (a page does, on the first visit).
    assert "set-cookie" not in response.headers and "set-cookie" not in me.headers
    assert CSRF_COOKIE not in client.cookies
    assert CSRF_COOKIE in client.get("/login").cookies


def test_api_errors_are_json_even_for_bad_bodies(client, db):
    response = client.post("/api/v1/tokens", content=b"{not json",
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["error"] == "invalid"
