"""Bulk updates of implementation: a CSV of progress for many winners, checked row by row;
all applied or none, with a report of what was applied and what was refused."""

from __future__ import annotations

from sqlmodel import select

from budget.ballots import cast_ballot
from budget.models import BudgetImplementationUpdate
from budget.results import publish_results
from tests.budget.factories import Phase, make_voting_cycle, to_phase
from tests.factories import make_community, make_official, make_resident

HEADER = "project_id,status,percent,text,date\n"


def winners(db, clock):
    place = make_community(db)
    # 50,000 to share: the two cheap ones fit, the dear one (no votes) does not.
    cycle, projects = make_voting_cycle(db, place, clock, [(0, 10_000), (0, 20_000),
                                                            (0, 40_000)], total_funds=50_000)
    a, b, too_dear = projects
    for choice in ([a, b], [a, b], [a]):
        cast_ballot(db, make_resident(db, place), cycle, [p.id for p in choice])
    to_phase(clock, cycle, Phase.results)
    official = make_official(db, place)
    publish_results(db, official, cycle)
    for p in projects:
        db.refresh(p)
    return place, cycle, official, a, b, too_dear


def upload(client, cycle, text: str):
    return client.post(f"/budget/{cycle.id}/progress-upload",
                       data={"csrf_token": client.csrf()},
                       files={"file": ("progress.csv", text.encode(), "text/csv")})


def updates(db) -> int:
    return len(db.exec(select(BudgetImplementationUpdate)).all())


def test_a_clean_file_is_applied_whole_with_its_report(client, db, clock):
    place, cycle, official, a, b, _ = winners(db, clock)
    client.login(official)
    assert client.get(f"/budget/{cycle.id}/progress-upload").status_code == 200
    done = upload(client, cycle, HEADER + f"{a.id},in_progress,40,Закупівлю оголошено,\n"
                                         f"{b.id};delivered;100;Відкрито;01.01.2020\n"
                  .replace(";", ","))
    assert done.status_code == 200, done.text
    assert updates(db) == 2
    assert (a.implementation_status, a.implementation_percent) == ("in_progress", 40)
    assert (b.implementation_status, b.implementation_percent) == ("delivered", 100)
    assert '<td class="num">2</td>' in done.text and '<td class="num">3</td>' in done.text


def test_one_bad_row_refuses_the_whole_file_naming_every_bad_row(client, db, clock):
    place, cycle, official, a, b, too_dear = winners(db, clock)
    client.login(official)
    refused = upload(client, cycle, HEADER
                     + f"{a.id},in_progress,40,Закупівлю оголошено,\n"
                     + "999999,in_progress,10,Невідомий проєкт,\n"
                     + f"{b.id},finished,50,Невідомий стан,\n"
                     + f"{too_dear.id},in_progress,10,Не переміг,\n"
                     + f"{a.id},in_progress,45,Двічі,\n")
    assert refused.status_code == 422
    assert updates(db) == 0
    db.refresh(a)
    assert a.implementation_percent == 0
    for line in ("3", "4", "5", "6"):
        assert f'<td class="num">{line}</td>' in refused.text


def test_a_wrong_header_is_refused_and_the_api_names_the_lines(client, db, clock):
    from app.identity import service as identity

    place, cycle, official, a, *_ = winners(db, clock)
    client.login(official)
    assert upload(client, cycle, "id,state\n1,2\n").status_code == 422
    _, raw = identity.create_token(db, official, "bulk")
    api = client.post(f"/api/v1/budgets/{cycle.id}/progress", headers=client.api(raw),
                      files={"file": ("p.csv", (HEADER + f"{a.id},in_progress,140,Забагато,\n"
                                                ).encode(), "text/csv")})
    assert api.status_code == 422
    assert "line 2" in api.json()["fields"]
    ok = client.post(f"/api/v1/budgets/{cycle.id}/progress", headers=client.api(raw),
                     files={"file": ("p.csv", (HEADER + f"{a.id},delayed,20,Погода,\n"
                                               ).encode(), "text/csv")})
    assert ok.status_code == 200, ok.text
    assert ok.json()["applied"] == 1
    resident = make_resident(db, place)
    client.login(resident)
    assert upload(client, cycle, HEADER).status_code == 403
