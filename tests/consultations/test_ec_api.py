"""The Commission-standard run through the JSON API: registering organisations and their
members, a call for evidence then a draft with invitations and a priority window, every
question type, statements and votes, public contributions, the map and the synopsis; and the
issue's bad input, each with its status and nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import clock as app_clock
from tests.consultations.factories import edrpou, today
from tests.consultations.test_api import API, bearer
from tests.factories import make_community, make_moderator, make_official, make_resident

RULES = {"consultations": {"minimum_duration_days": 84, "evidence_minimum_days": 28,
                           "priority_days": 7}}


@pytest.fixture
def place(db):
    return make_community(db, rules_override=RULES)


def _consultation(place, stage, start, days, **extra) -> dict:
    return {"community_id": place.community.id, "authority_id": place.council.id,
            "title": f"Parks: {stage}", "summary": "The problem, the options, the draft.",
            "body": "Intro.\n\n# Options\n\nTrees or paths.", "stage": stage,
            "start_date": start.isoformat(),
            "end_date": (start + timedelta(days=days - 1)).isoformat(), **extra}


def test_the_whole_run_through_the_api(db, clock, place, client):
    staff = bearer(db, make_official(db, place))
    contact_user, member_user = make_resident(db, place), make_resident(db, place)
    contact, member = bearer(db, contact_user), bearer(db, member_user)

    org = client.post(f"{API}/organisations", headers=contact, json={
        "community_id": place.community.id, "name": "Bike Union", "category": "union",
        "code": edrpou(555), "topics": ["transport"]}).json()
    assert client.post(f"{API}/organisations/{org['id']}/verify",
                       headers=staff).status_code == 200
    register = client.get(f"{API}/organisations",
                          params={"community_id": place.community.id}).json()["items"]
    assert [o["name"] for o in register] == ["Bike Union"]
    joined = client.post(f"{API}/organisations/{org['id']}/members", headers=member)
    assert joined.status_code == 201 and joined.json()["status"] == "pending"
    assert client.post(f"{API}/organisations/{org['id']}/members",
                       headers=member).status_code == 409
    assert client.get(f"{API}/organisations/{org['id']}/members",
                      headers=member).status_code == 403

    evidence = client.post(API, headers=staff, json=_consultation(
        place, "evidence", today(), 28,
        questions=[{"kind": "text", "prompt": "What do you know?"}])).json()
    assert client.post(f"{API}/{evidence['id']}/publish", headers=staff).status_code == 200
    start = today() + timedelta(days=30)
    draft = client.post(API, headers=staff, json=_consultation(
        place, "draft", start, 84, evidence_id=evidence["id"], topics=["transport"],
        questions=[
            {"kind": "single", "prompt": "Do you cycle?", "options": ["Yes", "No"]},
            {"kind": "number", "prompt": "Kilometres a week?", "shown_if_question": 1,
             "shown_if_option": 1},
            {"kind": "ranking", "prompt": "Rank", "options": ["Lanes", "Parking", "Lights"]},
            {"kind": "matrix", "prompt": "Rate", "options": ["Centre", "Suburbs"]},
            {"kind": "date", "prompt": "Start by?", "required": False}]))
    assert draft.status_code == 201
    cid = draft.json()["id"]
    assert draft.json()["evidence_id"] == evidence["id"] and draft.json()["stage"] == "draft"
    assert client.post(f"{API}/{cid}/publish", headers=staff).status_code == 422
    clock.set(app_clock.aware(app_clock.now()) + timedelta(days=28, hours=1))
    published = client.post(f"{API}/{cid}/publish", headers=staff)
    assert published.status_code == 200, published.text
    invited = client.get(f"{API}/{cid}/invitations").json()["items"]
    assert [(i["name"], i["answered"]) for i in invited] == [("Bike Union", False)]

    questions = client.get(f"{API}/{cid}").json()["questions"]
    single, number, ranking, matrix, day = questions
    answers = [
        {"question_id": single["id"], "option_ids": [single["options"][0]["id"]]},
        {"question_id": number["id"], "number": 42.5},
        {"question_id": ranking["id"], "option_ids": [o["id"] for o in ranking["options"]]},
        {"question_id": matrix["id"], "rows": [{"option_id": o["id"], "value": 4}
                                               for o in matrix["options"]]},
        {"question_id": day["id"], "day": (start + timedelta(days=120)).isoformat()}]
    clock.set(app_clock.aware(app_clock.now()) + timedelta(days=2, hours=10))
    # The member is not confirmed yet: refused, nothing written.
    unconfirmed = client.post(f"{API}/{cid}/responses", headers=member, json={
        "organisation_id": org["id"], "answers": answers})
    assert unconfirmed.status_code == 403
    assert client.post(f"{API}/organisations/{org['id']}/members/{member_user.id}/confirm",
                       headers=contact).status_code == 200
    resident = bearer(db, make_resident(db, place))
    early = client.post(f"{API}/{cid}/responses", headers=resident, json={"answers": answers})
    assert early.status_code == 409  # the priority window
    sent = client.post(f"{API}/{cid}/responses", headers=member, json={
        "organisation_id": org["id"], "publication": "none", "answers": answers})
    assert sent.status_code == 201, sent.text
    assert sent.json()["publication"] == "named"
    rows = next(a for a in sent.json()["answers"] if a["question_id"] == matrix["id"])["rows"]
    assert [r["value"] for r in rows] == [4, 4]

    clock.set(app_clock.aware(app_clock.now()) + timedelta(days=7))
    no_car = [{"question_id": single["id"], "option_ids": [single["options"][1]["id"]]},
              *answers[1:]]
    conditional = client.post(f"{API}/{cid}/responses", headers=resident,
                              json={"answers": no_car})
    assert conditional.status_code == 422
    assert f"q{number['id']}" in conditional.json()["fields"]
    no_car.pop(1)
    assert client.post(f"{API}/{cid}/responses", headers=resident,
                       json={"answers": no_car}).status_code == 201

    statement = client.post(f"{API}/{cid}/statements", headers=resident,
                            json={"body": "Lanes must be separated from cars"})
    assert statement.status_code == 201
    sid = statement.json()["id"]
    assert client.post(f"{API}/{cid}/statements", headers=member,
                       json={"body": "lanes must be  separated from cars"}).status_code == 409
    assert client.post(f"{API}/{cid}/statements", headers=member,
                       json={"body": "x" * 2000}).status_code == 422
    vote = client.post(f"{API}/{cid}/statements/{sid}/vote", headers=member,
                       json={"vote": "agree"})
    assert vote.status_code == 201 and vote.json()["agree"] == 1
    assert client.post(f"{API}/{cid}/statements/{sid}/vote", headers=member,
                       json={"vote": "disagree"}).status_code == 409
    second = client.post(f"{API}/{cid}/statements", headers=member,
                         json={"body": "Parking is fine as it is"}).json()["id"]
    for who, value in ((resident, "disagree"), (member, "pass")):
        client.post(f"{API}/{cid}/statements/{second}/vote", headers=who,
                    json={"vote": value})
    first = client.get(f"{API}/{cid}").json()["sections"][0]["id"]
    for who, org_id in ((member, org["id"]), (resident, None), (resident, org["id"])):
        posted = client.post(f"{API}/{cid}/comments", headers=who, json={
            "section_id": first, "body": "On this section.", "organisation_id": org_id,
            "publication": "anonymous"})
        assert posted.status_code == (403 if who is resident and org_id else 201), posted.text
        if org_id and posted.status_code == 201:
            assert (posted.json()["author"], posted.json()["organisation_id"]) == (
                "Bike Union", org["id"])
    opinion = client.get(f"{API}/{cid}/map").json()
    assert opinion["votes"] == 3 and opinion["participants"] >= 1

    assert client.get(f"{API}/{cid}/contributions").json()["items"] == []
    moderator = bearer(db, make_moderator(db, place))
    responses = client.get(f"{API}/{cid}/responses/mine", headers=resident).json()["items"]
    assert client.post(f"{API}/{cid}/contributions/{responses[0]['id']}/redact",
                       headers=resident, json={"question_id": single["id"], "text": ""}
                       ).status_code == 403
    clock.set(app_clock.aware(app_clock.now()) + timedelta(days=80))
    late = client.post(f"{API}/{cid}/statements", headers=resident,
                       json={"body": "Too late for this one"})
    assert late.status_code == 409
    public = client.get(f"{API}/{cid}/contributions").json()["items"]
    assert [(p["author"], p["category"], p["invited"]) for p in public] == [
        ("Bike Union", "union", True), (None, "resident", False)]
    assert moderator  # the moderator's redaction is covered by the service tests

    report = {"summary": "Separated lanes first.", "decision_url": "https://rada.example/7",
              "items": [{"question_id": q["id"], "outcome": "accepted",
                         "explanation": "Taken up."} for q in questions]}
    sections = client.get(f"{API}/{cid}").json()["sections"]
    report["items"] += [{"section_id": s["id"], "outcome": "rejected",
                         "explanation": "Not now."} for s in sections]
    published = client.post(f"{API}/{cid}/report", headers=staff, json=report)
    assert published.status_code == 201
    per_section = {s["section_id"]: s for s in published.json()["sections"]}
    assert per_section[first]["comments"] == 2
    assert per_section[first]["by_category"] == {"invited": 1, "resident": 1}
    assert client.get(f"{API}/{cid}/report").json()["sections"] == published.json()["sections"]
