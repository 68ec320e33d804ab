"""The petition pages in the shared page cache (app/web/pagecache.py): what anonymous visitors
share, what changes show at once, what may be a second late, and what stays personal."""

from __future__ import annotations

import re

from sqlalchemy import event

from app import clock as app_clock
from app.web import pagecache
from petitions.models import RejectionReason
from petitions.service import drafting
from tests.factories import make_community, make_moderator, make_official, make_resident
from tests.petitions.factories import make_petition

TOKEN_RE = re.compile(r'name="csrf_token" value="([0-9a-f]*)"')
COUNT_RE = re.compile(r'<strong id="signature-count">(\d+)</strong>')


def count_on(html: str) -> int:
    return int(COUNT_RE.search(html).group(1))


def section(html: str, ident: str) -> str:
    return re.search(rf'<section[^>]*aria-labelledby="{ident}".*?</section>', html,
                     re.S).group(0)


def test_an_answer_shows_to_the_next_anonymous_visitor(db, clock, make_client,
                                                       pages_as_in_production):
    place = make_community(db)
    official = make_official(db, place)
    petition = make_petition(db, place, "awaiting_answer")
    db.commit()
    page = f"/petitions/{petition.id}"
    anonymous, council = make_client(), make_client().login(official)
    before = anonymous.get(page)
    assert before.headers["cache-control"] == "public, max-age=1"
    assert anonymous.get(page).content == before.content  # served from the cache

    answered = council.submit(f"{page}/answer", {
        "decision": "supported", "text": "Рада виконає петицію до кінця травня."})

    assert answered.status_code == 303
    after = anonymous.get(page)
    assert "Рада виконає петицію до кінця травня." in after.text
    assert after.headers["etag"] != before.headers["etag"]


def test_a_signature_shows_at_once_to_its_signer_and_within_a_second_to_everyone(
        db, clock, make_client, pages_as_in_production):
    place = make_community(db)
    petition = make_petition(db, place, "open")
    resident = make_resident(db, place)
    db.commit()
    page = f"/petitions/{petition.id}"
    anonymous, signer = make_client(), make_client().login(resident)
    assert count_on(anonymous.get(page).text) == 0
    generation = pagecache.CACHE.generation

    assert signer.submit(f"{page}/sign").status_code == 303

    # Signatures do not invalidate (they are hot writes: @keeps_pages) ...
    assert pagecache.CACHE.generation == generation
    assert count_on(anonymous.get(page).text) == 0
    # ... but the signer's own page is rendered for them: their signature, their form.
    own = signer.get(page)
    assert count_on(own.text) == 1
    assert f'action="/petitions/{petition.id}/withdraw"' in own.text
    assert own.headers["cache-control"] == "private, no-store" and "etag" not in own.headers
    # Everyone else sees it when the TTL (at most 1 s) has passed.
    clock.advance(seconds=1)
    assert count_on(anonymous.get(page).text) == 1


def test_a_logged_in_page_reuses_the_shared_parts(db, clock, make_client,
                                                  pages_as_in_production):
    place = make_community(db)
    petition = make_petition(db, place, "answered")
    resident = make_resident(db, place, name="Марта Особиста")
    db.commit()
    page = f"/petitions/{petition.id}"
    anonymous = make_client().get(page).text
    hits, stores = pagecache.CACHE.stats["hits"], pagecache.CACHE.stats["stores"]

    browser = make_client().login(resident)
    sent: list[str] = []

    def record(conn, cursor, statement, *args):
        sent.append(" ".join(statement.split()))

    event.listen(db.get_bind(), "before_cursor_execute", record)
    try:
        mine = browser.get(page).text
    finally:
        event.remove(db.get_bind(), "before_cursor_execute", record)

    assert "Марта Особиста" in mine and "Марта Особиста" not in anonymous
    for ident in ("text-h", "answer-h"):
        assert section(mine, ident) == section(anonymous, ident)
    # The petition's data, its first page of comments, the title, the text and the answer
    # came from the cache; nothing of the page was stored (only who the visitor is: app.web
    # .auth), and only the visitor's own state was queried.
    assert pagecache.CACHE.stats["hits"] - hits == 5
    assert pagecache.CACHE.stats["stores"] == stores + 1
    assert not [s for s in sent if "petition.text" in s or "petition_answer" in s]
    assert not [s for s in sent if "FROM deliberation_comment" in s]
    # Did I sign, do I follow? Asked afresh, in one statement.
    assert len([s for s in sent if "petition_signature" in s and "notification_follow" in s]
               ) == 1


def test_304_and_head(db, clock, client):
    place = make_community(db)
    petition = make_petition(db, place, "open")
    db.commit()
    page = f"/petitions/{petition.id}"
    etag = client.get(page).headers["etag"]

    not_modified = client.get(page, headers={"If-None-Match": etag})
    head = client.head(page)

    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["etag"] == etag
    assert not_modified.headers["cache-control"] == "public, max-age=1"
    assert "HX-Request" in not_modified.headers["vary"]
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == etag


def test_a_flash_page_and_an_error_page_are_not_cached(db, clock, client, make_client):
    place = make_community(db)
    draft = make_petition(db, place, "draft")
    published = make_petition(db, place, "open")
    db.commit()

    for _ in range(2):
        missing = client.get(f"/petitions/{draft.id}")
        assert missing.status_code == 404
        assert missing.headers["cache-control"] == "private, no-store"
    flash = client.get(f"/petitions/{published.id}?done=signed")
    assert flash.status_code == 200 and 'class="notice"' in flash.text
    assert flash.headers["cache-control"] == "private, no-store" and "etag" not in flash.headers
    assert f'"X-CSRF-Token": "{client.csrf()}"' in flash.text  # the visitor's own page
    assert pagecache.CACHE.pages() == []  # its shared fragments are kept, the page is not
    # Nor does a flash page hand its visitor's token to the next one.
    assert make_client().get(f"/petitions/{published.id}").headers["cache-control"] == (
        "public, max-age=1")


def test_no_csrf_token_leaks_between_anonymous_visitors(db, clock, make_client):
    place = make_community(db)
    petition = make_petition(db, place, "open")
    db.commit()
    one, two = make_client(), make_client()
    two.csrf()  # the second already has a CSRF cookie (and token) of their own

    first, second = one.get(f"/petitions/{petition.id}"), two.get(f"/petitions/{petition.id}")

    assert first.content == second.content
    assert TOKEN_RE.search(first.text) is None and "X-CSRF-Token" not in first.text
    assert two.csrf() not in first.text
    assert "set-cookie" not in first.headers


def test_a_withheld_title_stays_withheld_for_the_public(db, clock, make_client):
    """A moderator sees the title of a petition rejected as offensive; the fragment they
    rendered must not reach anyone else (its key has the visitor's view of it)."""
    place = make_community(db)
    moderator = make_moderator(db, place)
    petition = make_petition(db, place, "moderation", title="Образлива назва петиції тут")
    drafting.reject(db, moderator, petition.id, RejectionReason.offensive,
                    "Образи та мова ворожнечі.")
    db.commit()
    page = f"/petitions/{petition.id}"

    privileged = make_client().login(moderator).get(page).text
    public = make_client().get(page).text
    again = make_client().login(moderator).get(page).text

    assert "Образлива назва петиції тут" in privileged and "Образлива назва" in again
    assert "Образлива назва" not in public


def test_a_new_petition_shows_in_the_listing_of_the_next_visitor(db, clock, make_client,
                                                                 pages_as_in_production):
    place = make_community(db)
    moderator = make_moderator(db, place)
    waiting = make_petition(db, place, "moderation", title="Зелений сквер біля школи №3")
    db.commit()
    anonymous, staff = make_client(), make_client().login(moderator)
    listing = anonymous.get("/petitions")
    assert listing.headers["cache-control"] == "public, max-age=1"
    assert "Зелений сквер" not in listing.text
    htmx = {"HX-Request": "true", "HX-Target": "results"}
    assert "Зелений сквер" not in anonymous.get("/petitions", headers=htmx).text

    assert staff.submit(f"/petitions/{waiting.id}/publish").status_code == 303

    assert "Зелений сквер" in anonymous.get("/petitions").text
    assert "Зелений сквер" in anonymous.get("/petitions", headers=htmx).text
    mine = staff.get("/petitions")
    assert "Зелений сквер" in mine.text and "/petitions/mine" in mine.text
    assert mine.headers["cache-control"] == "private, no-store"


def test_a_signature_keeps_the_shared_data_unless_it_reaches_the_threshold(
        db, clock, make_client, pages_as_in_production):
    """(The test's requests share one session, so shared data here is never older than what
    the session holds; what is asserted is when the cache is emptied.)"""
    place = make_community(db, rules_override={"petitions": {"threshold": 2}})
    petition = make_petition(db, place, "open")
    first, second, watcher = (make_resident(db, place) for _ in range(3))
    db.commit()
    page = f"/petitions/{petition.id}"
    browsers = {name: make_client().login(person) for name, person in
                [("first", first), ("second", second), ("watcher", watcher)]}
    browsers["watcher"].get(page)
    shared = ("data", "petition", petition.id)
    assert pagecache.CACHE.get(shared, app_clock.now(), 1.0) is not None
    generation = pagecache.CACHE.generation

    assert browsers["first"].submit(f"{page}/sign").status_code == 303
    assert pagecache.CACHE.generation == generation  # a signature is a hot write
    # The signature that reaches the threshold changes the page: nothing cached survives.
    assert browsers["second"].submit(f"{page}/sign").status_code == 303
    assert pagecache.CACHE.generation > generation
    assert pagecache.CACHE.get(shared, app_clock.now(), 1.0) is None
    after = browsers["watcher"].get(page, params={"lang": "en"}).text
    assert count_on(after) == 2 and "Awaiting answer" in after


def test_a_moment_is_newer_than_the_ttl_until_the_ttl_has_passed(clock):
    signed = app_clock.now()
    assert pagecache.newer_than_ttl(signed)
    clock.advance(seconds=1)
    assert not pagecache.newer_than_ttl(signed)
    assert not pagecache.newer_than_ttl(None)
