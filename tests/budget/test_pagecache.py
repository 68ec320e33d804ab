"""The budget's project and results pages in the shared page cache (app/web/pagecache.py)."""

from __future__ import annotations

import re

from app.web import pagecache
from budget.ballots import cast_ballot
from budget.models import Phase
from tests.budget.factories import make_voting_cycle, to_phase
from tests.factories import make_community, make_official, make_resident

TOKEN_RE = re.compile(r'name="csrf_token" value="([0-9a-f]*)"')


def voted_cycle(db, clock):
    """A cycle whose voting has ended: a project with two votes that fits the funds."""
    place = make_community(db)
    official = make_official(db, place)
    cycle, (won,) = make_voting_cycle(db, place, clock, [(0, 100_000)],
                                      categories=[("Двори", 200_000)], official=official)
    for _ in range(2):
        cast_ballot(db, make_resident(db, place), cycle, [won.id])
    to_phase(clock, cycle, Phase.results)
    db.commit()
    return place, official, cycle, won


def test_published_results_show_to_the_next_anonymous_visitor(db, clock, make_client,
                                                              pages_as_in_production):
    place, official, cycle, won = voted_cycle(db, clock)
    results = f"/budget/{cycle.id}/results"
    anonymous, staff = make_client(), make_client().login(official)
    provisional = anonymous.get(results)
    assert "Попередній підрахунок" in provisional.text
    assert provisional.headers["cache-control"] == "public, max-age=1"
    assert anonymous.get(results).content == provisional.content
    # The official's page has their own part: the publish form; the public one has none.
    own = staff.get(results)
    assert f'action="/budget/{cycle.id}/results/publish"' in own.text
    assert TOKEN_RE.search(provisional.text) is None
    assert own.headers["cache-control"] == "private, no-store"

    assert staff.submit(f"{results}/publish").status_code == 303

    published = anonymous.get(results)
    assert "Опубліковано" in published.text and "Попередній підрахунок" not in published.text
    assert published.headers["etag"] != provisional.headers["etag"]
    not_modified = anonymous.get(results, headers={"If-None-Match": published.headers["etag"]})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["cache-control"] == "public, max-age=1"


def test_a_progress_report_shows_on_the_project_page(db, clock, make_client,
                                                     pages_as_in_production):
    place, official, cycle, won = voted_cycle(db, clock)
    resident = make_resident(db, place, name="Ірина Стежить")
    db.commit()
    staff = make_client().login(official)
    assert staff.submit(f"/budget/{cycle.id}/results/publish").status_code == 303
    page = f"/budget/{cycle.id}/projects/{won.id}"
    anonymous, follower = make_client(), make_client().login(resident)
    before = anonymous.get(page)
    assert before.headers["cache-control"] == "public, max-age=1"
    assert "Лавки вже стоять" not in before.text

    report = staff.submit(f"{page}/progress", {"status": "in_progress", "percent": "40",
                                               "text": "Лавки вже стоять."})

    assert report.status_code == 303
    after = anonymous.get(page)
    assert "Лавки вже стоять." in after.text
    # A logged-in visitor: the same shared parts, plus their own name and follow form.
    hits = pagecache.CACHE.stats["hits"]
    own = follower.get(page)
    assert "Ірина Стежить" in own.text and f'action="{page}/follow"' in own.text
    assert pagecache.CACHE.stats["hits"] - hits == 3  # body, review, implementation
    assert "Лавки вже стоять." in own.text
    assert f'action="{page}/follow"' not in after.text and "Ірина Стежить" not in after.text


def test_a_ballot_does_not_invalidate(db, clock, make_client):
    place = make_community(db)
    cycle, (project,) = make_voting_cycle(db, place, clock, [(0, 10_000)])
    voter = make_resident(db, place)
    db.commit()
    browser = make_client().login(voter)
    make_client().get(f"/budget/{cycle.id}/projects/{project.id}")
    generation = pagecache.CACHE.generation

    preview = browser.submit(f"/budget/{cycle.id}/ballot/preview", {"project": [str(project.id)]},
                             htmx=True,
                             headers={"HX-Target": "ballot-summary"})
    ballot = browser.submit(f"/budget/{cycle.id}/ballot", {"project": [str(project.id)]})

    assert preview.status_code == 200 and ballot.status_code == 303
    assert pagecache.CACHE.generation == generation


def test_no_token_leaks_and_errors_are_not_cached(db, clock, make_client):
    place, official, cycle, won = voted_cycle(db, clock)
    one, two = make_client(), make_client()
    two.csrf()
    page = f"/budget/{cycle.id}/projects/{won.id}"

    first, second = one.get(page), two.get(page)

    assert first.content == second.content and TOKEN_RE.search(first.text) is None
    assert "X-CSRF-Token" not in first.text and "set-cookie" not in first.headers
    for _ in range(2):
        missing = one.get(f"/budget/{cycle.id}/projects/999999")
        assert missing.status_code == 404
        assert missing.headers["cache-control"] == "private, no-store"
    assert all("999999" not in key[1] for key in pagecache.CACHE.pages())
    assert one.head(page).status_code == 200 and one.head(page).content == b""
