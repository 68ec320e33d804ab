"""A whole budget cycle through the JSON API under /api/v1."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from app import clock as app_clock
from app.identity import service as identity
from budget import api, tally
from budget.models import BudgetBallot, BudgetCycle, Phase
from budget.pabulib import format as pabulib
from tests.budget.factories import make_voting_cycle, to_phase
from tests.factories import make_admin, make_community, make_official, make_resident


def bearer(db, user) -> dict[str, str]:
    """A token for `user`. The setup is committed (to the test's savepoint) so that a request
    answered with an error, which rolls its transaction back, keeps it."""
    _, raw = identity.create_token(db, user, "tests")
    db.commit()
    return {"Authorization": f"Bearer {raw}"}


def test_a_cycle_end_to_end_through_the_api(db, clock, client):
    place = make_community(db, rules_override={"budget": {"max_choices": 2}})
    official = bearer(db, make_official(db, place))
    author = bearer(db, make_resident(db, place))
    voters = [make_resident(db, place) for _ in range(3)]
    voter_tokens = [bearer(db, v) for v in voters]
    today = app_clock.today()
    body = {"community_id": place.community.id, "title": "Бюджет участі через API",
            "total_funds": 300_000, "submission_start": today.isoformat(),
            "submission_end": (today + timedelta(days=5)).isoformat(),
            "review_end": (today + timedelta(days=8)).isoformat(),
            "voting_start": (today + timedelta(days=9)).isoformat(),
            "voting_end": (today + timedelta(days=15)).isoformat(),
            "results_at": (today + timedelta(days=16)).isoformat(),
            "categories": [{"name": "Парки", "funds": 100_000},
                           {"name": "Дороги", "funds": 200_000}]}
    assert client.post("/api/v1/budgets", json=body).status_code == 401
    assert client.post("/api/v1/budgets", json=body, headers=author).status_code == 403
    created = client.post("/api/v1/budgets", json=body, headers=official)
    assert created.status_code == 201, created.text
    cycle = created.json()
    assert cycle["phase"] == "submission" and cycle["rules"]["max_choices"] == 2
    parks, roads = (c["id"] for c in cycle["categories"])
    url = f"/api/v1/budgets/{cycle['id']}"

    # Projects: one over the rules' cost limit is refused with 422 and nothing is written.
    project = {"category_id": parks, "title": "Сквер біля школи",
               "description": "Посадити дерева і поставити лавки біля школи №3."}
    over = client.post(f"{url}/projects", json={**project, "cost": 700_000}, headers=author)
    assert over.status_code == 422
    assert over.json()["error"] == "invalid" and "cost" in over.json()["fields"]
    assert client.get(f"{url}/projects").json()["items"] == []
    ids = []
    for category, cost in ((parks, 40_000), (parks, 70_000), (roads, 150_000)):
        made = client.post(f"{url}/projects", json={**project, "category_id": category,
                                                    "cost": cost}, headers=author)
        assert made.status_code == 201, made.text
        ids.append(made.json()["id"])
    edited = client.put(f"{url}/projects/{ids[0]}", json={**project, "cost": 45_000},
                        headers=author)
    assert edited.status_code == 200 and edited.json()["cost"] == 45_000
    assert client.put(f"{url}/projects/{ids[0]}", json={**project, "cost": 1},
                      headers=voter_tokens[0]).status_code == 403

    # Review.
    cycle_row = db.get(BudgetCycle, cycle["id"])
    to_phase(clock, cycle_row, Phase.review)
    for project_id in ids:
        reviewed = client.post(f"{url}/projects/{project_id}/review",
                               json={"feasible": True, "reason": "Погоджено"},
                               headers=official)
        assert reviewed.status_code == 200 and reviewed.json()["status"] == "feasible"
    assert client.get(url).json()["review_obligation_status"] == "answered_on_time"

    # Voting: at most two choices; counts hidden while voting is open.
    assert client.put(f"{url}/ballot", json={"projects": [ids[0]]},
                      headers=voter_tokens[0]).status_code == 409  # not open yet
    to_phase(clock, cycle_row, Phase.voting)
    over_k = client.put(f"{url}/ballot", json={"projects": ids}, headers=voter_tokens[0])
    assert over_k.status_code == 422
    assert over_k.json()["message"] == "Кількість обраних проєктів — не більше 2."
    assert db.exec(select(BudgetBallot)).all() == []
    check = client.post(f"{url}/ballot/check", json={"projects": [ids[0]]})
    assert check.status_code == 200
    assert check.json()["valid"] and check.json()["max_choices"] == 2
    for token, choice in zip(voter_tokens, ([ids[0], ids[2]], [ids[1]], [ids[0]]),
                             strict=True):
        cast = client.put(f"{url}/ballot", json={"projects": choice}, headers=token)
        assert cast.status_code == 200, cast.text
    changed = client.put(f"{url}/ballot", json={"projects": [ids[0], ids[1]]},
                         headers=voter_tokens[2])
    assert changed.json()["choices"] == {str(ids[0]): 1, str(ids[1]): 1}
    assert client.get(f"{url}/ballot", headers=voter_tokens[2]).status_code == 200
    assert client.get(f"{url}/ballot", headers=author).status_code == 404
    assert client.get(f"{url}/projects/{ids[0]}").json()["vote_count"] is None
    paper = client.post(f"{url}/paper-ballots", json={
        "projects": [ids[2]], "identity_document": "ЕР 112233",
        "birth_date": "1960-05-05"}, headers=official)
    assert paper.status_code == 201 and paper.json()["source"] == "paper"
    assert client.post(f"{url}/paper-ballots", json={
        "projects": [ids[2]], "voter_email": voters[0].email},
        headers=official).status_code == 409
    assert client.get(f"{url}/results").status_code == 409

    # Results: parks 100 000 — ids[0] and ids[1] tie at 2 votes; the cheaper ids[0]
    # (45 000) wins the tie and ids[1] (70 000) no longer fits; roads — ids[2] (2 votes).
    to_phase(clock, cycle_row, Phase.results)
    provisional = client.get(f"{url}/results").json()
    assert provisional["published"] is False
    assert client.post(f"{url}/results/publish", headers=author).status_code == 403
    published = client.post(f"{url}/results/publish", headers=official)
    assert published.status_code == 200
    winners = {p["project_id"] for c in published.json()["categories"] for p in c["projects"]
               if p["selected"]}
    assert winners == {ids[0], ids[2]}
    assert client.get(url).json()["phase"] == "implementation"
    assert client.get(f"{url}/projects/{ids[0]}").json()["vote_count"] == 2

    # Implementation and open data.
    update = client.post(f"{url}/projects/{ids[2]}/updates", json={
        "status": "in_progress", "percent": 50, "text": "Асфальт покладено наполовину."},
        headers=official)
    assert update.status_code == 201
    assert client.get(f"{url}/projects/{ids[2]}/updates").json()["items"][0]["percent"] == 50
    exported = client.get(f"{url}/export.pb")
    assert exported.status_code == 200
    instance = pabulib.parse(exported.text)
    assert len(instance.votes) == 4 and instance.meta["num_votes"] == "4"
    one = pabulib.parse(client.get(f"{url}/export.pb?category={parks}").text)
    assert instance.meta["rule"] == "greedy" and one.meta["budget"] == "100000"
    assert tally.tally(one).selected == (str(ids[0]),)
    assert client.get(f"{url}/results.csv").status_code == 200
    assert client.get(f"{url}/ballots.csv").text.count("\n") == 1 + 6
    listed = client.get(f"/api/v1/budgets?community={place.community.slug}").json()
    assert listed["total"] == 1 and listed["items"][0]["ballot_count"] == 4


def test_api_errors(db, clock, client):
    place = make_community(db, rules_override={"budget": {"voting_method": "cumulative",
                                                          "cumulative_points": 3}})
    cycle, (a, b) = make_voting_cycle(db, place, clock, [(0, 1000), (0, 2000)])
    token = bearer(db, make_resident(db, place))
    url = f"/api/v1/budgets/{cycle.id}"
    too_many = client.put(f"{url}/ballot", json={"points": {str(a.id): 2, str(b.id): 2}},
                          headers=token)
    assert too_many.status_code == 422
    assert client.put(f"{url}/ballot", json={"points": {"x": 1}},
                      headers=token).status_code == 422
    assert client.put(f"{url}/ballot", json={"nonsense": 1}, headers=token).status_code == 422
    ok = client.put(f"{url}/ballot", json={"points": {str(a.id): 2, str(b.id): 1}},
                    headers=token)
    assert ok.status_code == 200
    assert client.get("/api/v1/budgets/424242").status_code == 404
    assert client.post(f"{url}/dates", json={"field": "voting_end", "value": "2030-01-01",
                                             "reason": "x"}, headers=token).status_code == 403
    admin = bearer(db, make_admin(db))
    moved = client.post(f"{url}/dates", json={"field": "results_at", "value": "2030-01-01",
                                              "reason": "Продовжено"}, headers=admin)
    assert moved.status_code == 200 and len(moved.json()["phase_changes"]) == 1
    young = make_resident(db, place, birth_date=app_clock.today() - timedelta(days=365 * 10))
    refused = client.put(f"{url}/ballot", json={"points": {str(a.id): 1}},
                         headers=bearer(db, young))
    assert refused.status_code == 403 and "16" in refused.json()["message"]


def test_every_budget_route_declares_its_response(app):
    paths = {p: ops for p, ops in app.openapi()["paths"].items()
             if p.startswith("/api/v1/budgets")}
    assert len(paths) >= 12
    for path, operations in paths.items():
        for method, operation in operations.items():
            success = [code for code in operation["responses"] if code.startswith("2")]
            assert success, (method, path)
            content = operation["responses"][success[0]].get("content", {})
            assert content, (method, path)
    assert api  # the module under test
