"""A page finds who is logged in as a shared page finds its data (app.web.auth
`_remembered_login`): the person and their memberships are looked up once per TTL and
process, not once per page; a logout or a changed role in this process reaches the next page
at once, one in another process within the TTL, and every act (anything that writes) at once.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlmodel import select

from app.communities import permissions
from app.communities import service as communities
from app.communities.models import StaffRole
from app.identity.models import AuthSession, User
from app.web.auth import SESSION_COOKIE
from tests.factories import PASSWORD, make_community, make_resident, make_user


@pytest.fixture
def statements(db):
    """Every statement the test's connection sends from now on."""
    seen: list[str] = []
    connection = db.connection()

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(connection, "before_cursor_execute", record)
    yield seen
    event.remove(connection, "before_cursor_execute", record)


def login_lookups(seen: list[str]) -> int:
    """Statements that find a session cookie's person (identity.repository)."""
    return sum("FROM identity_session JOIN identity_user" in s for s in seen)


def membership_lookups(seen: list[str]) -> int:
    """Statements that read a person's memberships (communities.repository)."""
    return sum("UNION ALL" in s and "community_residency" in s for s in seen)


def test_pages_look_the_login_up_once_per_ttl(client, db, clock, statements):
    place = make_community(db)
    client.login(make_resident(db, place))
    assert client.get("/account").status_code == 200
    first = login_lookups(statements), membership_lookups(statements)
    assert first[0] == 1

    statements.clear()
    for _ in range(3):
        assert client.get("/account").status_code == 200
    assert (login_lookups(statements), membership_lookups(statements)) == (0, 0)

    clock.advance(seconds=1)  # the TTL has passed: looked up again
    assert client.get("/account").status_code == 200
    assert login_lookups(statements) == 1


def test_acts_always_look_the_login_up(client, db, statements):
    place = make_community(db)
    client.login(make_resident(db, place))
    assert client.get("/account").status_code == 200
    token = client.csrf()
    statements.clear()
    response = client.post("/account/language", data={"csrf_token": token, "language": "en"})
    assert response.status_code == 303
    assert login_lookups(statements) == 1


def test_a_logout_elsewhere_reaches_acts_at_once_and_pages_within_the_ttl(
        client, db, clock, pages_as_in_production):
    """Another process's logout (the session row deleted, this process's cache not told)."""
    place = make_community(db)
    person = make_resident(db, place)
    client.login(person)
    assert client.get("/account").status_code == 200
    token = client.csrf()

    for row in db.exec(select(AuthSession).where(AuthSession.user_id == person.id)):
        db.delete(row)
    db.flush()

    refused = client.post("/account/language", data={"csrf_token": token, "language": "en"})
    assert refused.status_code == 401  # not logged in
    assert db.get(User, person.id).language != "en"
    clock.advance(seconds=1)
    after = client.get("/account")
    assert after.status_code == 303 and after.headers["location"].startswith("/login")


STAFF_NOTICE = "Ви маєте службову роль"  # base.html, for staff without a second factor


@pytest.fixture
def staff_second_factor(monkeypatch):
    """Staff must pass a second factor (the tests' default is off): base.html then tells a
    person who holds a role and has not, which shows on every page whether they hold one."""
    from app.settings import get_settings

    monkeypatch.setattr(get_settings(), "staff_second_factor", True)


def grant_moderator(db, person, place) -> None:
    communities.grant_staff(db, person, place.community, StaffRole.moderator)
    db.flush()
    # The requests lend the test's session, whose cache of memberships would outlive the
    # request that filled it; a request of its own starts without one.
    permissions.forget_memberships(db)


def test_a_role_given_in_this_process_shows_on_the_next_page(client, db, staff_second_factor):
    """A committed write of this process (here: the test's own, as conftest makes it count)
    ends every remembered login, memberships included."""
    place = make_community(db)
    person = make_resident(db, place)
    client.login(person)
    assert STAFF_NOTICE not in client.get("/account").text
    grant_moderator(db, person, place)
    assert STAFF_NOTICE in client.get("/account").text


def test_a_role_given_elsewhere_shows_within_the_ttl(client, db, clock, staff_second_factor,
                                                     pages_as_in_production):
    place = make_community(db)
    person = make_resident(db, place)
    client.login(person)
    assert STAFF_NOTICE not in client.get("/account").text
    grant_moderator(db, person, place)
    assert STAFF_NOTICE not in client.get("/account").text  # still the remembered login
    clock.advance(seconds=1)
    permissions.forget_memberships(db)  # (what that page's request put in the lent session)
    assert STAFF_NOTICE in client.get("/account").text


def test_a_logout_here_ends_the_remembered_login_at_once(client, make_client, db,
                                                       pages_as_in_production):
    """A logout keeps the page cache (pagecache.keeps_pages), but not its own login: the
    same cookie (kept by someone else) is anonymous on the next page."""
    place = make_community(db)
    client.login(make_resident(db, place))
    kept = make_client()
    kept.cookies.set(SESSION_COOKIE, client.cookies.get(SESSION_COOKIE))
    assert kept.get("/account").status_code == 200  # remembered from here on

    assert client.post("/logout", data={"csrf_token": client.csrf()}).status_code == 303
    after = kept.get("/account")
    assert after.status_code == 303 and after.headers["location"].startswith("/login")


def test_a_new_login_ends_the_remembered_previous_one_at_once(client, make_client, db,
                                                              pages_as_in_production):
    make_user(db, email="again@example.org")
    db.commit()
    client.get("/login")
    form = client.post("/login", data={"csrf_token": client.csrf(),
                                       "email": "again@example.org", "password": PASSWORD})
    assert form.status_code == 303
    old = client.cookies.get(SESSION_COOKIE)
    kept = make_client()
    kept.cookies.set(SESSION_COOKIE, old)
    assert kept.get("/account").status_code == 200

    again = client.post("/login", data={"csrf_token": client.csrf(),
                                        "email": "again@example.org", "password": PASSWORD})
    assert again.status_code == 303 and client.cookies.get(SESSION_COOKIE) != old
    assert kept.get("/account").status_code == 303  # the old session is gone, here at once
