"""The accountability tracker and the monitoring dashboard in the shared page cache: an
answer shows to the next visitor, every visitor shares one rendering, and 304 answers."""

from __future__ import annotations

import pytest

from app.accountability import service
from app.accountability.models import Obligation
from app.web import pagecache
from tests.factories import make_user

PAGES = ["/communities/alpha/obligations", "/obligations?status=overdue", "/dashboard"]


@pytest.mark.parametrize("path", PAGES)
def test_one_rendering_for_every_anonymous_visitor(make_client, region, path):
    first, second = make_client().get(path), make_client().get(path)
    assert first.status_code == 200 and first.content == second.content
    assert first.headers["cache-control"] == "public, max-age=1"
    again = make_client().get(path, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.headers["etag"] == first.headers["etag"]


def test_an_answer_shows_on_the_authority_page_within_the_ttl(
        client, make_client, db, clock, region, pages_as_in_production):
    authority = f"/authorities/{region.a.department.id}?lang=en"
    page = f"/authorities/{region.a.department.id}"
    before = client.get(page)
    assert "Overdue" in make_client().get(authority).text

    # The answer is written by another process (a module's request in another worker): this
    # process serves its page at most a TTL late, and the new one once the TTL has passed.
    ob = db.get(Obligation, region.ids["A3"])
    service.answer(db, ob.kind, ob.subject_type, ob.subject_id, "Answer A3")
    db.commit()
    assert client.get(page).content == before.content
    clock.advance(seconds=1)
    assert client.get(page).content != before.content
    assert "Answered late" in make_client().get(authority).text


def test_a_logged_in_visitor_gets_the_shared_figures_and_their_own_header(
        client, make_client, db, region, clock):
    authority = f"/authorities/{region.a.council.id}"
    client.login(make_user(db, name="Спостерігач Громади"))
    public = make_client().get(authority)
    hits = pagecache.CACHE.stats["hits"]

    own = client.get(authority)

    assert "Спостерігач Громади" in own.text and "Спостерігач Громади" not in public.text
    assert own.headers["cache-control"] == "private, no-store"
    assert pagecache.CACHE.stats["hits"] - hits == 2  # the figures and the list
