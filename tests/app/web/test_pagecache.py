"""The shared page cache (app/web/pagecache.py), through the kernel's own shared pages (the
tracker of obligations) and on its store directly."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime

import pytest

from app.accountability import service as accountability
from app.web import pagecache
from app.web.middleware import CSRF_COOKIE
from tests.factories import PASSWORD, make_community, make_user

TRACKER = "/obligations"
TOKEN_RE = re.compile(r'name="csrf_token" value="([0-9a-f]*)"')
_subjects = itertools.count(1)


def stores() -> int:
    return pagecache.CACHE.stats["stores"]


def oblige(db, place, title: str):
    """An obligation of the community's council, as a module would open it."""
    return accountability.open_obligation(
        db, kind="petition_answer", community_id=place.community.id,
        authority_id=place.council.id, subject_type="item", subject_id=next(_subjects),
        subject_title=title, subject_path="/items/1",
        period=place.rules.rules.petitions.answer_deadline, ruleset_id=place.rules.id,
        opened_at=datetime(2026, 3, 2, 9, tzinfo=UTC))


@pytest.fixture
def place(app, db, clock):
    place = make_community(db, slug="cache-town")
    oblige(db, place, "Полагодити ліхтарі")
    db.commit()
    return place


def test_an_anonymous_page_is_rendered_once_and_served_public(client, place):
    first = client.get(TRACKER)
    second = client.get(TRACKER)

    assert first.status_code == second.status_code == 200
    assert first.content == second.content and "Полагодити ліхтарі" in first.text
    assert stores() == 2  # the page, and the list of obligations as a fragment
    assert pagecache.CACHE.stats["hits"] == 1
    assert first.headers["cache-control"] == "public, max-age=1"
    assert re.fullmatch(r'"[0-9a-f]{32}"', first.headers["etag"])  # strong: no W/
    assert first.headers["etag"] == second.headers["etag"]
    for name in ("HX-Request", "HX-Target", "Cookie", "Accept-Language"):
        assert name in first.headers["vary"]


def test_if_none_match_is_answered_with_304_and_the_same_headers(client, place):
    page = client.get(TRACKER)
    etag = page.headers["etag"]

    for sent in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = client.get(TRACKER, headers={"If-None-Match": sent})
        assert again.status_code == 304, sent
        assert again.content == b""
        assert again.headers["etag"] == etag
        assert again.headers["cache-control"] == "public, max-age=1"
        assert again.headers["vary"] == page.headers["vary"]
    assert client.get(TRACKER, headers={"If-None-Match": '"stale"'}).status_code == 200


def test_head_answers_like_get_without_a_body(client, place):
    page = client.get(TRACKER)
    head = client.head(TRACKER)

    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == page.headers["etag"]
    assert head.headers["cache-control"] == "public, max-age=1"
    assert client.head(TRACKER, headers={"If-None-Match": page.headers["etag"]}
                       ).status_code == 304


def test_a_committed_write_shows_to_the_next_visitor(client, db, place):
    assert "Вивезти сміття" not in client.get(TRACKER).text

    oblige(db, place, "Вивезти сміття")  # the test's own write invalidates (tests/conftest.py)

    assert "Вивезти сміття" in client.get(TRACKER).text


def test_a_test_write_left_unflushed_shows_too(client, db, place):
    row = oblige(db, place, "Стара назва")
    db.commit()
    assert "Стара назва" in client.get(TRACKER).text

    row.subject_title = "Нова назва"  # flushed only by the next request's session

    assert "Нова назва" in client.get(TRACKER).text


def test_a_write_of_another_process_shows_within_the_ttl(client, db, place, clock,
                                                         pages_as_in_production):
    before = client.get(TRACKER)
    oblige(db, place, "Вивезти сміття")  # not through this process's requests
    db.commit()

    clock.advance(seconds=0.9)
    assert client.get(TRACKER).content == before.content  # at most a TTL stale ...
    clock.advance(seconds=0.1)
    assert "Вивезти сміття" in client.get(TRACKER).text  # ... and no more


def test_a_write_request_invalidates_and_a_kept_or_refused_one_does_not(
        client, db, place, pages_as_in_production):
    user = make_user(db, email="writer@example.org")
    db.commit()
    client.get(TRACKER)
    generation = pagecache.CACHE.generation

    assert client.submit("/register", {"email": "x"}, csrf=False).status_code == 403
    assert client.submit("/login", {"email": "writer@example.org", "password": PASSWORD}
                         ).status_code == 303  # @keeps_pages: a login shows on no page
    assert pagecache.CACHE.generation == generation
    assert len(pagecache.CACHE) == 2

    assert client.submit("/account/tokens", {"name": "feed"}).status_code < 400
    assert pagecache.CACHE.generation == generation + 1
    assert len(pagecache.CACHE) == 0
    assert user.id


def test_a_rendering_begun_before_a_change_is_never_served():
    start = pagecache.CACHE.generation
    pagecache.invalidate()  # a write committed while the page was being rendered
    pagecache.CACHE.put(("page", "/x"), pagecache.Entry(b"old", start, datetime.now(UTC)))
    assert pagecache.CACHE.get(("page", "/x"), datetime.now(UTC), 1.0) is None


def test_the_key_ignores_undeclared_parameters_and_their_order(client, place):
    client.get(f"{TRACKER}?status=overdue&kind=petition_answer")
    assert stores() == 2
    client.get(f"{TRACKER}?kind=petition_answer&utm_source=x&status=overdue&fbclid=1")
    assert stores() == 2

    client.get(f"{TRACKER}?kind=petition_answer")
    assert stores() == 4


def test_each_language_and_htmx_variant_has_its_own_entry(client, make_client, place):
    uk = client.get(TRACKER)
    en = client.get(TRACKER, headers={"Accept-Language": "en"})
    fragment = client.get(TRACKER, headers={"HX-Request": "true", "HX-Target": "results"})
    page = client.get(TRACKER)

    assert 'lang="uk"' in uk.text and 'lang="en"' in en.text
    assert "<html" not in fragment.text and 'id="results"' in fragment.text
    assert page.content == uk.content
    assert len({uk.headers["etag"], en.headers["etag"], fragment.headers["etag"]}) == 3

    switch = make_client().get(f"{TRACKER}?lang=en")  # sets the language cookie
    assert switch.headers["cache-control"] == "private, no-store"
    assert "lang=en" in switch.headers["set-cookie"]


def test_no_csrf_token_leaks_between_anonymous_visitors(make_client, place):
    one, two = make_client(), make_client()
    first, second = one.get(TRACKER), two.get(TRACKER)

    assert first.content == second.content
    assert "X-CSRF-Token" not in first.text and TOKEN_RE.search(first.text) is None
    # A public response sets no cookie: a shared cache must not hand it to the next visitor.
    assert "set-cookie" not in first.headers and CSRF_COOKIE not in one.cookies
    # The visitor's own token comes with the first page that is not shared.
    login = one.get("/login")
    assert login.headers["cache-control"] == "private, no-store"
    assert TOKEN_RE.search(login.text).group(1) == one.csrf() != two.csrf()


def test_an_anonymous_visitor_logs_in_from_a_shared_page(make_client, db, place):
    make_user(db, email="reader@example.org", name="Оксана Читачка")
    db.commit()
    browser = make_client()
    assert browser.get(TRACKER).status_code == 200
    form = browser.get("/login?next=/obligations")
    token = TOKEN_RE.search(form.text).group(1)

    logged_in = browser.post("/login", data={"email": "reader@example.org",
                                             "password": PASSWORD, "next": TRACKER,
                                             "csrf_token": token})

    assert logged_in.status_code == 303
    page = browser.get(TRACKER)
    assert "Оксана Читачка" in page.text and "Полагодити ліхтарі" in page.text
    assert page.headers["cache-control"] == "private, no-store" and "etag" not in page.headers


def test_a_logged_in_page_is_private_and_reuses_the_shared_fragment(
        client, make_client, db, place, pages_as_in_production):
    anonymous = make_client().get(TRACKER)
    client.login(make_user(db, name="Петро Приватний"))
    hits, stored = pagecache.CACHE.stats["hits"], stores()

    page = client.get(TRACKER)

    assert "Петро Приватний" in page.text and "Полагодити ліхтарі" in page.text
    assert page.headers["cache-control"] == "private, no-store" and "etag" not in page.headers
    # The list of obligations came from the cache (a fragment hit); the one new entry is
    # the visitor's login (app.web.auth), nothing of the page.
    assert pagecache.CACHE.stats["hits"] == hits + 1 and stores() == stored + 1
    assert ("data", "login") in {key[:2] for key in pagecache.CACHE._entries}
    results = re.search(r'<div id="results".*?</table>', anonymous.text, re.S).group(0)
    assert results in page.text
    # ... and the personal header stays out of what anonymous visitors get.
    assert "Петро Приватний" not in make_client().get(TRACKER).text


def test_an_authorization_header_is_never_served_from_the_cache(client, place):
    client.get(TRACKER)
    response = client.get(TRACKER, headers={"Authorization": "Bearer nobody"})
    assert response.headers["cache-control"] == "private, no-store"


def test_an_error_is_not_cached(client, place):
    for _ in range(2):
        response = client.get(f"{TRACKER}?status=whatever")
        assert response.status_code == 422
        assert response.headers["cache-control"] == "private, no-store"
    assert len(pagecache.CACHE) == 0
    assert client.get("/communities/nowhere/obligations").status_code == 404
    assert len(pagecache.CACHE) == 0


def test_the_store_is_bounded_by_entries_and_bytes(monkeypatch):
    from app.settings import get_settings

    settings = get_settings()
    monkeypatch.setattr(settings, "page_cache_entries", 3)
    monkeypatch.setattr(settings, "page_cache_bytes", 8_000)
    cache, now = pagecache.PageCache(), datetime.now(UTC)
    for n in range(5):
        cache.put(("k", n), pagecache.Entry(b"x" * 100, 0, now))
    assert len(cache) == 3 and cache.get(("k", 0), now, 1.0) is None
    assert cache.get(("k", 2), now, 1.0) is not None  # now the most recently used
    cache.put(("k", 5), pagecache.Entry(b"x" * 100, 0, now))
    assert cache.get(("k", 3), now, 1.0) is None and cache.get(("k", 2), now, 1.0)

    for n in range(10):
        cache.put(("big", n), pagecache.Entry(b"y" * 1_500, 0, now))
    assert cache.bytes <= 8_000
    cache.put(("huge",), pagecache.Entry(b"z" * 5_000, 0, now))  # over a quarter: not kept
    assert cache.get(("huge",), now, 1.0) is None


def test_concurrent_misses_render_once():
    cache = pagecache.PageCache()
    assert cache.claim(("k",)) is None  # the first renders
    waiting = cache.claim(("k",))  # the second waits for it
    assert waiting is not None and not waiting.is_set()
    cache.release(("k",))
    assert waiting.is_set() and cache.claim(("k",)) is None


def test_a_shared_fragment_must_not_hold_a_form(client, place):
    from app.web.templating import environment

    template = environment().from_string(
        '{% call shared("bad") %}<input type="hidden" name="csrf_token" value="">{% endcall %}')

    class State:
        _state = {"pagecache_page": ("/p", "", "uk"), "pagecache_start": (0, datetime.now(UTC)),
                  "csrf_token": "abc"}

    class Request:
        state = State()

    with pytest.raises(RuntimeError, match="form or a CSRF token"):
        template.render(request=Request())


def answered() -> int:
    return pagecache.ROUTES.answered


def test_a_page_served_once_is_answered_again_without_routing(client, place):
    first = client.get(TRACKER)
    assert answered() == 0  # the first answer goes through the route and is recorded
    second = client.get(TRACKER)
    head = client.head(TRACKER)
    not_modified = client.get(TRACKER, headers={"If-None-Match": first.headers["etag"]})

    assert answered() == 3
    assert second.content == first.content and head.content == b""
    for response in (second, head):
        assert response.status_code == 200
        assert {k: v for k, v in response.headers.items() if k != "date"} == {
            k: v for k, v in first.headers.items() if k != "date"}
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["etag"] == first.headers["etag"]
    assert "content-type" not in not_modified.headers
    assert not_modified.headers["content-security-policy"]


def test_only_the_same_anonymous_request_is_answered_without_routing(client, make_client,
                                                                      db, place):
    client.get(TRACKER)
    other_query = client.get(TRACKER + "?utm_source=x")  # same entry, another request
    english = client.get(TRACKER, headers={"Accept-Language": "en"})
    htmx = client.get(TRACKER, headers={"HX-Request": "true"})
    assert answered() == 0
    assert other_query.headers["etag"] == client.get(TRACKER).headers["etag"]
    assert answered() == 1

    resident = make_client().login(make_user(db, email="reader@example.org"))
    assert resident.get(TRACKER).headers["cache-control"] == pagecache.PRIVATE
    token = client.get(TRACKER, headers={"Authorization": "Bearer x"})
    switch = client.get(TRACKER + "?lang=en")
    assert answered() == 1
    assert english.text != htmx.text
    for own in (token, switch):
        assert own.headers["cache-control"] == pagecache.PRIVATE


def test_a_change_is_never_answered_from_the_old_rendering(client, db, place, clock):
    before = client.get(TRACKER)
    oblige(db, place, "Відремонтувати дах")
    after = client.get(TRACKER)
    assert answered() == 0 and "Відремонтувати дах" in after.text
    assert after.headers["etag"] != before.headers["etag"]

    client.get(TRACKER)
    assert answered() == 1
    clock.advance(seconds=2)  # past the TTL: the route renders again
    client.get(TRACKER)
    assert answered() == 1



def test_a_shared_page_finds_its_visitor_in_its_own_thread(client, db, place):
    """FastAPI does not resolve a shared page's `user` (a thread hop of its own for a plain
    def); the page does, in its own thread: a logged-in visitor still gets their own page."""
    from fastapi.dependencies.utils import get_dependant

    from app.web.auth import optional_user
    from petitions.views import petition_page

    def calls(dependant):
        for sub in dependant.dependencies:
            yield sub.call
            yield from calls(sub)

    solved = get_dependant(path="/petitions/{petition_id}", call=petition_page)
    assert optional_user not in set(calls(solved))
    assert optional_user in set(calls(get_dependant(path="/p", call=petition_page.__wrapped__)))
    with pytest.raises(TypeError, match="OptionalUser"):
        pagecache.shared_page(lambda request, session, user: None)
    client.login(make_user(db, name="Олена Видима"))
    assert "Олена Видима" in client.get(TRACKER).text  # a shared page, logged in
