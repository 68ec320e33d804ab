"""The demo seed: a cycle in voting and a past cycle with results and an update."""

from __future__ import annotations

from app.seed import seed_demo
from budget.cycles import categories, list_cycles
from budget.implementation import implementation_obligation, updates
from budget.models import Phase
from budget.phases import phase_of
from budget.projects import ballot_projects
from budget.results import stored_results
from budget.seed import seed


def test_demo_budget(db, clock, client):
    demo = seed_demo(db, [seed])
    assert demo is not None
    rows, total = list_cycles(db)
    assert total == 2
    by_phase = {phase_of(c): c for c, _ in rows}
    voting, past = by_phase[Phase.voting], by_phase[Phase.implementation]
    cats = categories(db, voting)
    assert len(cats) == 2
    on_ballot = ballot_projects(db, voting)
    assert {p.category_id for p in on_ballot} == {c.id for c in cats}
    assert voting.ballot_count == 4
    results = stored_results(db, past)
    winners = [r.project for c in results.categories for r in c.winners]
    assert winners and any(updates(db, p) for p in winners)
    assert all(implementation_obligation(db, p) for p in winners)
    # The demo pages render.
    client.login(demo.users["neighbour5:slavske"])
    assert client.get(f"/budget/{voting.id}/ballot").status_code == 200
    assert client.get(f"/budget/{past.id}/results").status_code == 200
    shown = client.get(f"/budget/{past.id}/map")
    assert shown.status_code == 200 and shown.text.count("data-lat=") == 4
    assert client.get("/budget").status_code == 200
