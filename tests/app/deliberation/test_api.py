"""The JSON API of deliberation: comments on petitions and budget projects, reports with
auto-hide, moderation, appeal, blocks, and the petitions' invalidations with exact counts."""

from __future__ import annotations

from app.identity import service as identity
from petitions.service import signing
from tests.factories import make_community, make_moderator, make_resident
from tests.petitions.helpers import stored


def token(db, user) -> dict[str, str]:
    _, raw = identity.create_token(db, user, "test")
    return {"Authorization": f"Bearer {raw}"}


def test_comment_report_hide_moderate_appeal_and_block(client, db, world):
    author, resident = token(db, world.author), token(db, world.resident)
    moderator = token(db, world.moderator)
    url = f"/api/v1/petitions/{world.petition.id}/comments"
    posted = client.post(url, json={"body": "<b>Жирний</b> коментар"}, headers=author)
    assert posted.status_code == 201, posted.text
    comment = posted.json()
    assert comment["body"] == "<b>Жирний</b> коментар"  # text, as written; pages escape it
    assert comment["author"] == world.author.display_name
    reply = client.post(url, json={"body": "Згоден.", "parent_id": comment["id"]},
                        headers=resident)
    assert reply.status_code == 201
    deeper = client.post(url, json={"body": "Ні.", "parent_id": reply.json()["id"]},
                         headers=author)
    assert deeper.status_code == 422 and "parent_id" in deeper.json()["fields"]
    for body in ({"body": ""}, {"body": "x" * 100_001}, {}, {"body": 5}):
        assert client.post(url, json=body, headers=author).status_code == 422
    assert client.post(url, json={"body": "Без токена"}).status_code == 401
    listed = client.get(url).json()
    assert [c["id"] for c in listed["items"]] == [comment["id"]]
    assert listed["items"][0]["replies"][0]["body"] == "Згоден." and listed["next"] is None

    reports = f"/api/v1/comments/{comment['id']}/reports"
    assert client.post(reports, json={"reason": "spam"}, headers=author).status_code == 409
    first = client.post(reports, json={"reason": "spam"}, headers=resident)
    assert first.status_code == 201 and first.json()["hidden"] is False
    assert client.post(reports, json={"reason": "spam"}, headers=resident).status_code == 409
    assert client.post(reports, json={"reason": "rude"}, headers=moderator).status_code == 422
    second = client.post(reports, json={"reason": "offensive"}, headers=moderator)
    assert second.json() == {"case_id": first.json()["case_id"], "report_count": 2,
                             "hidden": True}
    hidden = client.get(url).json()["items"][0]
    assert hidden["state"] == "pending" and hidden["body"] is None

    moderation = f"/api/v1/comments/{comment['id']}/moderation"
    assert client.post(moderation, json={"decision": "hide", "reason": "Реклама."},
                       headers=resident).status_code == 403
    decided = client.post(moderation, json={"decision": "hide", "reason": "Реклама магазину."},
                          headers=moderator)
    assert decided.status_code == 200 and decided.json()["decision"] == "hide"
    case_id = decided.json()["id"]
    appeal = f"/api/v1/moderation/cases/{case_id}/appeal"
    assert client.post(appeal, json={"text": "Це не реклама, а порада."},
                       headers=resident).status_code == 403
    appealed = client.post(appeal, json={"text": "Це не реклама, а порада сусідам."},
                           headers=author)
    assert appealed.status_code == 200 and appealed.json()["state"] == "appealed"
    assert client.post(appeal, json={"text": "Ще раз: це не реклама."},
                       headers=author).status_code == 409

    blocks = f"/api/v1/communities/{world.place.community.slug}/blocks"
    assert client.post(blocks, json={"user_id": world.author.id, "reason": "Спам."},
                       headers=resident).status_code == 403
    made = client.post(blocks, json={"user_id": world.author.id,
                                     "reason": "Спам у коментарях.", "days": 3},
                       headers=moderator)
    assert made.status_code == 201 and made.json()["user_id"] == world.author.id
    assert client.post(url, json={"body": "Я знову тут."}, headers=author).status_code == 403
    assert client.post(blocks, json={"user_id": 999_999, "reason": "Нікого немає."},
                       headers=moderator).status_code == 422


def test_comments_on_a_budget_project(clock, client, db):
    from tests.budget.factories import make_cycle, make_project, to_phase

    place = make_community(db)
    cycle = make_cycle(db, place)
    to_phase(clock, cycle, "submission")
    project = make_project(db, place, cycle)
    resident = make_resident(db, place)
    url = f"/api/v1/budgets/{cycle.id}/projects/{project.id}/comments"
    posted = client.post(url, json={"body": "Гарний проєкт для двору."},
                         headers=token(db, resident))
    assert posted.status_code == 201, posted.text
    assert client.get(url).json()["items"][0]["id"] == posted.json()["id"]
    other = f"/api/v1/budgets/{cycle.id + 1000}/projects/{project.id}/comments"
    assert client.get(other).status_code == 404
    # Reports hide the project's description until a moderator decides (the rules' 3).
    from app.deliberation import service

    for _ in range(3):
        case = service.report(db, make_resident(db, place), "budget_project", project.id,
                              "off_topic")
    shown = client.get(f"/api/v1/budgets/{cycle.id}/projects/{project.id}").json()
    assert case.hidden and shown["description"] == ""
    page = client.get(f"/budget/{cycle.id}/projects/{project.id}")
    assert "приховано модерацією" in page.text
    service.decide(db, make_moderator(db, place), case.id, "keep")
    shown = client.get(f"/api/v1/budgets/{cycle.id}/projects/{project.id}").json()
    assert shown["description"] != ""


def test_invalidation_through_the_api_counts_exactly(client, db):
    place = make_community(db, rules_override={"petitions": {"threshold": 50}})
    from tests.petitions.factories import make_petition

    petition = make_petition(db, place, "open")
    for i in range(3):
        signing.sign(db, make_resident(db, place, email=f"i{i}@bots.example"), petition.id)
    signing.sign(db, make_resident(db, place), petition.id)
    moderator = token(db, make_moderator(db, place))
    url = f"/api/v1/petitions/{petition.id}/signatures/invalidations"
    body = {"email_domain": "bots.example", "reason": "Скриптові реєстрації з одного домену."}
    assert client.post(url, json=body, headers=token(db, make_resident(db, place))
                       ).status_code == 403
    done = client.post(url, json=body, headers=moderator)
    assert done.status_code == 201, done.text
    assert done.json()["invalidated"] == 3 and done.json()["signature_count"] == 1
    assert stored(db, petition.id).signature_count == 1
    again = client.post(url, json=body, headers=moderator)
    assert again.status_code == 422  # matches nothing now
    seen = client.get(f"/api/v1/petitions/{petition.id}/arrivals", headers=moderator)
    assert seen.status_code == 200 and seen.json()["signature_count"] == 1


def test_how_ballots_arrived(clock, client, db):
    from budget.ballots import cast_ballot
    from budget.cycles import categories
    from tests.budget.factories import make_voting_cycle

    place = make_community(db, rules_override={"deliberation": {"burst_minimum": 3,
                                                                "burst_factor": 1.5}})
    cycle, projects = make_voting_cycle(db, place, clock, [(0, 50_000), (0, 60_000)],
                                        categories=[("Двори", 200_000)])
    assert categories(db, cycle)
    cast_ballot(db, make_resident(db, place), cycle, [projects[0].id], None)
    clock.advance(hours=1)
    for n in range(3):
        cast_ballot(db, make_resident(db, place, email=f"v{n}@votes.example"), cycle,
                    [projects[1].id], None)
    moderator = token(db, make_moderator(db, place))
    url = f"/api/v1/budgets/{cycle.id}/arrivals"
    assert client.get(url, headers=token(db, make_resident(db, place))).status_code == 403
    seen = client.get(url, headers=moderator).json()
    assert seen["ballot_count"] == 4
    assert [(h["count"], h["burst"]) for h in seen["hours"]] == [(1, False), (3, True)]
    assert seen["domains"][0] == {"domain": "votes.example", "count": 3}
    client.login(make_moderator(db, place))
    page = client.get(f"/budget/{cycle.id}/arrivals")
    assert page.status_code == 200 and "votes.example" in page.text
