"""A whole budget cycle through the pages, without JavaScript, and the htmx ballot summary."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from sqlmodel import select

from app import clock as app_clock
from budget.ballots import my_ballot
from budget.cycles import categories
from budget.models import BudgetBallot, BudgetCycle, BudgetProject, Phase
from tests.budget.factories import make_voting_cycle, to_phase
from tests.factories import make_admin, make_community, make_official, make_resident


def _id(response) -> int:
    return int(response.headers["location"].rstrip("/").split("/")[-1])


def test_a_cycle_end_to_end_through_the_pages(db, clock, make_client):
    place = make_community(db, rules_override={"budget": {"voting_method": "knapsack",
                                                          "max_choices": 5}})
    admin, official = make_admin(db), make_official(db, place)
    author, voter = make_resident(db, place), make_resident(db, place)
    staff, resident, citizen = make_client(), make_client(), make_client()

    # 1. An administrator creates the cycle with two categories.
    staff.login(admin)
    page = staff.get("/budget/new")
    assert page.status_code == 200 and "Новий цикл бюджету участі" in page.text
    today = app_clock.today()
    form = {"community_id": str(place.community.id), "title": "Бюджет участі 2026",
            "description": "Пропонуйте проєкти для громади.", "total_funds": "500 000",
            "submission_start": today.isoformat(),
            "submission_end": (today + timedelta(days=9)).isoformat(),
            "review_end": (today + timedelta(days=19)).isoformat(),
            "voting_start": (today + timedelta(days=20)).isoformat(),
            "voting_end": (today + timedelta(days=29)).isoformat(),
            "results_at": (today + timedelta(days=31)).isoformat(),
            "category_name_0": "Малі", "category_funds_0": "100000",
            "category_name_1": "Великі", "category_funds_1": "400000"}
    bad = staff.submit("/budget/new", {**form, "voting_start": today.isoformat()})
    assert bad.status_code == 422 and 'id="e-voting_start"' in bad.text
    created = staff.submit("/budget/new", form)
    assert created.status_code == 303
    cycle = db.get(BudgetCycle, _id(created))
    small, large = categories(db, cycle)
    assert (small.name, small.funds, large.funds) == ("Малі", 100_000, 400_000)

    # 2. Residents propose projects; one over the cost limit is refused with 422.
    resident.login(author)
    project_form = {"category_id": str(small.id), "title": "Лавки в парку Шевченка",
                    "description": "Десять нових лавок уздовж головної алеї парку.",
                    "location": "парк Шевченка", "cost": "600000"}
    refused = resident.submit(f"/budget/{cycle.id}/projects/new", project_form)
    assert refused.status_code == 422
    assert "Проєкт має коштувати від 1000 до 500000." in refused.text
    assert db.exec(select(BudgetProject)).all() == []
    ids = []
    for category, title, cost in ((small, "Лавки в парку Шевченка", "40000"),
                                  (small, "Книжкова шафа біля ЦНАПу", "70000"),
                                  (large, "Дитячий майданчик на Липовій", "300000"),
                                  (large, "Сквер на Вокзальній", "200000")):
        done = resident.submit(f"/budget/{cycle.id}/projects/new", {
            **project_form, "category_id": str(category.id), "title": title, "cost": cost})
        assert done.status_code == 303
        ids.append(_id(done))
    edit = resident.submit(f"/budget/{cycle.id}/projects/{ids[0]}/edit",
                           {**project_form, "cost": "45000"})
    assert edit.status_code == 303 and db.get(BudgetProject, ids[0]).cost == 45_000
    assert "Лавки в парку Шевченка" in resident.get(f"/budget/{cycle.id}").text

    # 3. Officials review: one project is feasible at a revised cost, one is not.
    to_phase(clock, cycle, Phase.review)
    staff.login(official)
    review = staff.get(f"/budget/{cycle.id}/review")
    assert review.status_code == 200 and "Дитячий майданчик на Липовій" in review.text
    missing_reason = staff.submit(f"/budget/{cycle.id}/projects/{ids[1]}/review",
                                  {"decision": "unfeasible", "reason": ""})
    assert missing_reason.status_code == 422
    assert staff.submit(f"/budget/{cycle.id}/projects/{ids[0]}/review",
                        {"decision": "feasible", "reason": "Погоджено",
                         "revised_cost": "50000"}).status_code == 303
    assert staff.submit(f"/budget/{cycle.id}/projects/{ids[1]}/review",
                        {"decision": "unfeasible",
                         "reason": "Ділянка не належить громаді."}).status_code == 303
    for project_id in ids[2:]:
        assert staff.submit(f"/budget/{cycle.id}/projects/{project_id}/review",
                            {"decision": "feasible", "reason": ""}).status_code == 303
    project_page = staff.get(f"/budget/{cycle.id}/projects/{ids[1]}")
    assert "Ділянка не належить громаді." in project_page.text

    # 4. An administrator moves the end of voting (results day first), recorded publicly.
    staff.login(admin)
    new_results = (today + timedelta(days=33)).isoformat()
    assert staff.submit(f"/budget/{cycle.id}/dates", {
        "field": "results_at", "value": new_results, "reason": "Свята"}).status_code == 303
    assert staff.submit(f"/budget/{cycle.id}/dates", {
        "field": "voting_end", "value": (today + timedelta(days=31)).isoformat(),
        "reason": "Продовжено голосування"}).status_code == 303
    refused = staff.submit(f"/budget/{cycle.id}/dates", {
        "field": "submission_start", "value": new_results, "reason": "Спроба"})
    assert refused.status_code == 409
    assert "Продовжено голосування" in staff.get(f"/budget/{cycle.id}").text

    # 5. Voting, without JavaScript: a ballot over the funds is refused with 422.
    to_phase(clock, cycle, Phase.voting)
    resident.login(voter)
    ballot_page = resident.get(f"/budget/{cycle.id}/ballot")
    assert ballot_page.status_code == 200
    assert 'type="checkbox" name="project"' in ballot_page.text
    assert f'value="{ids[1]}"' not in ballot_page.text  # not feasible: not on the ballot
    first = resident.submit(f"/budget/{cycle.id}/ballot", {"project": [str(ids[0])]})
    assert first.status_code == 303
    over = resident.submit(f"/budget/{cycle.id}/ballot", {"project": [str(ids[2]),
                                                                     str(ids[3])]})
    assert over.status_code == 422
    assert "коштують 500000, а це більше, ніж її кошти (400000)" in over.text
    stranger = resident.submit(f"/budget/{cycle.id}/ballot", {"project": [str(ids[2]),
                                                                         "999999"]})
    assert stranger.status_code == 422 and "немає в цьому бюлетені" in stranger.text
    # The first ballot is unchanged by the refused one.
    assert my_ballot(db, voter, cycle)[1] == {ids[0]: 1}
    changed = resident.submit(f"/budget/{cycle.id}/ballot",
                              {"project": [str(ids[0]), str(ids[2])]})
    assert changed.status_code == 303
    saved = resident.get(changed.headers["location"])
    assert "Ваш бюлетень збережено" in saved.text
    assert re.search(rf'value="{ids[2]}" checked', saved.text)

    # The htmx summary: the same route answers with the summary block only.
    fragment = resident.submit(f"/budget/{cycle.id}/ballot/preview",
                               {"project": [str(ids[0])]}, htmx=True,
                               headers={"HX-Target": "ballot-summary"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="ballot-summary"')
    assert "<html" not in fragment.text
    assert "50\u202f000" in fragment.text and "100\u202f000" in fragment.text
    # Without htmx, "check the totals" renders the whole page with the same summary.
    full = resident.submit(f"/budget/{cycle.id}/ballot/preview",
                           {"project": [str(ids[0]), str(ids[2])]})
    assert full.status_code == 200 and "<html" in full.text and 'id="ballot-summary"' in full.text

    # 6. Officials record a paper ballot; a resident who voted online is refused.
    staff.login(official)
    assert staff.get(f"/budget/{cycle.id}/paper").status_code == 200
    twice = staff.submit(f"/budget/{cycle.id}/paper", {"voter_email": voter.email,
                                                       "project": [str(ids[0])]})
    assert twice.status_code == 409
    paper = staff.submit(f"/budget/{cycle.id}/paper", {
        "identity_document": "КВ 654321", "birth_date": "1970-01-01",
        "project": [str(ids[2])]})
    assert paper.status_code == 303
    assert db.exec(select(BudgetBallot).where(BudgetBallot.source == "paper")).one()

    # 7. After voting, an official publishes; the results page shows winners and votes.
    to_phase(clock, cycle, Phase.results)
    citizen.login(make_resident(db, place))
    staff.login(official)
    provisional = citizen.get(f"/budget/{cycle.id}/results")
    assert "Попередній підрахунок" in provisional.text
    assert citizen.submit(f"/budget/{cycle.id}/results/publish").status_code == 403
    assert staff.submit(f"/budget/{cycle.id}/results/publish").status_code == 303
    results = citizen.get(f"/budget/{cycle.id}/results")
    assert results.status_code == 200 and "Опубліковано" in results.text
    assert "Дитячий майданчик на Липовій" in results.text
    rows = list(csv.DictReader(io.StringIO(citizen.get(
        f"/budget/{cycle.id}/results.csv").text)))
    assert {r["project_id"]: r["selected"] for r in rows} == {
        str(ids[0]): "1", str(ids[2]): "1", str(ids[3]): "0"}
    assert {r["project_id"]: r["votes"] for r in rows} == {
        str(ids[0]): "1", str(ids[2]): "2", str(ids[3]): "0"}
    ballots = list(csv.DictReader(io.StringIO(citizen.get(
        f"/budget/{cycle.id}/ballots.csv").text)))
    assert sorted(r["source"] for r in ballots) == ["online", "online", "paper"]
    assert voter.email not in citizen.get(f"/budget/{cycle.id}/ballots.csv").text

    # 8. Implementation: the official reports progress; delivery closes the obligation.
    citizen.submit(f"/budget/{cycle.id}/projects/{ids[2]}/follow", {"on": "1"})
    report = staff.submit(f"/budget/{cycle.id}/projects/{ids[2]}/progress", {
        "status": "delivered", "percent": "100", "text": "Майданчик відкрито для дітей."})
    assert report.status_code == 303
    page = citizen.get(f"/budget/{cycle.id}/projects/{ids[2]}")
    assert "Майданчик відкрито для дітей." in page.text and "Відповідь вчасно" in page.text
    bad_report = staff.submit(f"/budget/{cycle.id}/projects/{ids[2]}/progress", {
        "status": "in_progress", "percent": "150", "text": "Помилка"})
    assert bad_report.status_code == 422


def test_cumulative_ballot_page(db, clock, client):
    place = make_community(db, rules_override={"budget": {"voting_method": "cumulative",
                                                          "cumulative_points": 5}})
    cycle, (a, b) = make_voting_cycle(db, place, clock, [(0, 10_000), (0, 20_000)])
    client.login(make_resident(db, place))
    page = client.get(f"/budget/{cycle.id}/ballot")
    assert f'name="points_{a.id}" type="number"' in page.text
    over = client.submit(f"/budget/{cycle.id}/ballot", {f"points_{a.id}": "4",
                                                        f"points_{b.id}": "3"})
    assert over.status_code == 422 and "балів можна дати не більше 5" in over.text
    assert cycle.ballot_count == 0
    fragment = client.submit(f"/budget/{cycle.id}/ballot/preview",
                             {f"points_{a.id}": "2", f"points_{b.id}": ""}, htmx=True,
                             headers={"HX-Target": "ballot-summary"})
    assert "Залишилось балів: 3 з 5" in fragment.text
    ok = client.submit(f"/budget/{cycle.id}/ballot", {f"points_{a.id}": "4",
                                                      f"points_{b.id}": "1"})
    assert ok.status_code == 303
    db.expire_all()
    assert (db.get(BudgetProject, a.id).score, db.get(BudgetProject, b.id).score) == (4, 1)
    junk = client.submit(f"/budget/{cycle.id}/ballot", {f"points_{a.id}": "багато"})
    assert junk.status_code == 422


def test_who_sees_what(db, clock, client):
    place = make_community(db)
    cycle, (a,) = make_voting_cycle(db, place, clock, [(0, 10_000)])
    # Anyone reads the cycle; counts are hidden while voting is open.
    page = client.get(f"/budget/{cycle.id}")
    assert page.status_code == 200 and "Увійдіть, щоб взяти участь" in page.text
    assert client.get(f"/budget/{cycle.id}/ballot").status_code == 303  # to the login page
    assert client.get(f"/budget/{cycle.id}/ballots.csv").status_code == 409
    assert client.get("/budget").status_code == 200
    assert client.get(f"/budget?community={place.community.slug}").status_code == 200
    assert client.get("/budget/99999").status_code == 404
    client.login(make_resident(db, place))
    assert client.get(f"/budget/{cycle.id}/review").status_code == 403
    assert client.get(f"/budget/{cycle.id}/paper").status_code == 403
    assert client.get("/budget/new").status_code == 403
    assert client.get(f"/budget/{cycle.id}/dates").status_code == 403
    young = make_resident(db, place, birth_date=app_clock.today() - timedelta(days=365 * 12))
    client.login(young)
    ballot = client.get(f"/budget/{cycle.id}/ballot")
    assert "з 16 років" in ballot.text and 'name="project"' not in ballot.text
    refused = client.submit(f"/budget/{cycle.id}/ballot", {"project": [str(a.id)]})
    assert refused.status_code == 403
    assert db.exec(select(BudgetBallot)).all() == []


def test_pages_in_english(db, clock, client):
    place = make_community(db)
    cycle, _ = make_voting_cycle(db, place, clock, [(0, 10_000)])
    client.login(make_resident(db, place))
    page = client.get(f"/budget/{cycle.id}/ballot?lang=en")
    assert "Cast my ballot" in page.text
    page = client.get(f"/budget/{cycle.id}?lang=uk")
    assert "Голосувати" in page.text and "Cast my ballot" not in page.text
