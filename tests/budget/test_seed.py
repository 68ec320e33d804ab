"""The demo seed: a cycle in voting and a past cycle with results and an update."""

from __future__ import annotations

from app.seed import seed_demo
from budget import service
from budget.models import Phase
from budget.seed import seed


def test_demo_budget(db, clock, client):
    demo = seed_demo(db, [seed])
    assert demo is not None
    rows, total = service.list_cycles(db)
    assert total == 2
    by_phase = {service.phase_of(c): c for c, _ in rows}
    voting, past = by_phase[Phase.voting], by_phase[Phase.implementation]
    cats = service.categories(db, voting)
    assert len(cats) == 2
    on_ballot = service.ballot_projects(db, voting)
    assert {p.category_id for p in on_ballot} == {c.id for c in cats}
    assert voting.ballot_count == 4
    results = service.stored_results(db, past)
    winners = [r.project for c in results.categories for r in c.winners]
    assert winners and any(service.updates(db, p) for p in winners)
    assert all(service.implementation_obligation(db, p) for p in winners)
    # The demo pages render.
    client.login(demo.users["neighbour5:slavske"])
    assert client.get(f"/budget/{voting.id}/ballot").status_code == 200
    assert client.get(f"/budget/{past.id}/results").status_code == 200
    assert client.get("/budget").status_code == 200
