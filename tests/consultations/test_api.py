"""The full loop through the JSON API, and its error statuses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from app.accountability import service as accountability
from app.accountability.models import ObligationStatus
from app.identity import service as identity
from consultations.models import OBLIGATION_KIND, ConsultationResponse
from tests.consultations.factories import close, make_consultation, official_of, today
from tests.factories import make_community, make_moderator, make_official, make_resident

API = "/api/v1/consultations"


def bearer(db, user) -> dict[str, str]:
    _, raw = identity.create_token(db, user, "tests")
    db.commit()  # a savepoint release: the setup survives a request that fails
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def place(db):
    return make_community(db)


def test_every_consultations_route_declares_its_response_model(app):
    from consultations.api import router

    assert len(router.routes) >= 16
    for route in router.routes:
        assert route.response_model is not None, route.path
    schema = app.openapi()
    paths = [p for p in schema["paths"] if p.startswith("/api/v1/consultations")]
    assert len(paths) >= 12
    for path in paths:
        for method, op in schema["paths"][path].items():
            ok = [code for code in op["responses"] if code.startswith("2")]
            assert ok, (method, path)
            content = op["responses"][ok[0]].get("content", {})
            assert "application/json" in content, (method, path)


def test_full_loop_through_the_api(db, clock, place, client):
    official = make_official(db, place)
    staff = bearer(db, official)
    body = {"community_id": place.community.id, "authority_id": place.council.id,
            "title": "Street lighting plan", "summary": "Where new lamps go, and when.",
            "body": "Intro text.\n\n# Streets\n\nMain street first.\n\n# Timing\n\nBy May.",
            "stakeholders": ["Residents"], "start_date": today().isoformat(),
            "end_date": (today() + timedelta(days=3)).isoformat(),
            "questions": [
                {"kind": "single", "prompt": "Is the plan right?", "options": ["Yes", "No"]},
                {"kind": "scale", "prompt": "How urgent?", "required": False},
                {"kind": "text", "prompt": "Where else?", "required": False}]}
    short = client.post(API, json=body, headers=staff)
    assert short.status_code == 422
    assert short.json()["fields"]["end_date"].find("14") >= 0
    body["end_date"] = (today() + timedelta(days=14)).isoformat()
    created = client.post(API, json=body, headers=staff)
    assert created.status_code == 201, created.text
    c = created.json()
    cid = c["id"]
    assert c["phase"] == "draft" and [s["title"] for s in c["sections"]] == [
        "", "Streets", "Timing"]
    assert client.get(f"{API}/{cid}").status_code == 404  # drafts are not public
    assert client.post(f"{API}/{cid}/publish").status_code == 401
    assert client.post(f"{API}/{cid}/publish", headers=bearer(
        db, make_official(db, place, place.department))).status_code == 404
    published = client.post(f"{API}/{cid}/publish", headers=staff)
    assert published.status_code == 200 and published.json()["phase"] == "open"
    assert published.json()["ruleset_id"] == place.rules.id
    assert client.patch(f"{API}/{cid}", json={"title": "Changed afterwards"},
                        headers=staff).status_code == 409

    questions = client.get(f"{API}/{cid}/questions").json()["items"]
    single, scale, text = questions
    resident = make_resident(db, place)
    token = bearer(db, resident)
    answers = [{"question_id": single["id"], "option_ids": [single["options"][0]["id"]]},
               {"question_id": scale["id"], "value": 5},
               {"question_id": text["id"], "text": "Near the school"}]
    off_scale = client.post(f"{API}/{cid}/responses", headers=token, json={
        "publication": "named", "answers": [{"question_id": scale["id"], "value": 9}]})
    assert off_scale.status_code == 422  # the scale is 1 to 5, as the schema says
    assert set(off_scale.json()["fields"]) == {"answers.0.value"}
    bad = client.post(f"{API}/{cid}/responses", headers=token, json={
        "publication": "named", "answers": [{"question_id": scale["id"], "value": 5}]})
    assert bad.status_code == 422
    assert set(bad.json()["fields"]) == {f"q{single['id']}"}  # a required question unanswered
    assert db.exec(select(ConsultationResponse)).first() is None
    outside = client.post(f"{API}/{cid}/responses", headers=token, json={
        "answers": [{"question_id": single["id"], "option_ids": [scale["options"][0]["id"]]}]})
    assert outside.status_code == 422
    submitted = client.post(f"{API}/{cid}/responses", headers=token,
                            json={"publication": "anonymous", "answers": answers})
    assert submitted.status_code == 201, submitted.text
    rid = submitted.json()["id"]
    assert {a["question_id"]: a["value"] for a in submitted.json()["answers"]}[scale["id"]] == 5
    assert client.post(f"{API}/{cid}/responses", headers=token,
                       json={"answers": answers}).status_code == 409
    edited = client.put(f"{API}/{cid}/responses/{rid}", headers=token, json={
        "answers": [{"question_id": single["id"], "option_ids": [single["options"][1]["id"]]}]})
    assert edited.status_code == 200
    other = bearer(db, make_resident(db, place))
    assert client.put(f"{API}/{cid}/responses/{rid}", headers=other,
                      json={"publication": "none"}).status_code == 404
    mine = client.get(f"{API}/{cid}/responses/mine", headers=token).json()["items"]
    assert mine[0]["id"] == rid

    detail = client.get(f"{API}/{cid}").json()
    section = detail["sections"][1]["id"]
    comment = client.post(f"{API}/{cid}/comments", headers=token, json={
        "section_id": section, "body": "Lamps on Oak street too", "publication": "named"})
    assert comment.status_code == 201
    reply = client.post(f"{API}/{cid}/comments", headers=staff, json={
        "section_id": section, "parent_id": comment.json()["id"], "body": "Noted, thanks."})
    assert reply.status_code == 201 and reply.json()["parent_id"] == comment.json()["id"]
    moderator = bearer(db, make_moderator(db, place))
    hidden = client.post(f"{API}/{cid}/comments/{reply.json()['id']}/hide",
                         headers=moderator, json={"reason": "Duplicate of the answer"})
    assert hidden.status_code == 200, hidden.text
    assert (hidden.json()["decision"], hidden.json()["public_reason"]) == (
        "hide", "Duplicate of the answer")
    assert client.post(f"{API}/{cid}/comments/{comment.json()['id']}/hide", headers=token,
                       json={"reason": "I do not like it"}).status_code == 403
    listed = client.get(f"{API}/{cid}/comments").json()["items"]
    assert [(c["body"], c["hidden"], c["section_id"], c["author"]) for c in listed] == [
        ("Lamps on Oak street too", False, section, comment.json()["author"])]
    assert [(r["body"], r["hidden"], r["public_reason"]) for r in listed[0]["replies"]] == [
        (None, True, "Duplicate of the answer")]
    elsewhere = detail["sections"][0]["id"]
    assert client.get(f"{API}/{cid}/comments", params={"section_id": elsewhere}
                      ).json()["items"] == []
    assert len(client.get(f"{API}/{cid}/comments", params={"section_id": section}
                          ).json()["items"]) == 1
    results = client.get(f"{API}/{cid}/results").json()
    assert results["response_count"] == 1
    assert results["most_discussed"][0]["section_id"] == section
    # Reports on a consultation comment: the kernel's, and three hide it.
    for _ in range(3):
        reported = client.post(f"/api/v1/comments/{comment.json()['id']}/reports",
                               headers=bearer(db, make_resident(db, place)),
                               json={"reason": "off_topic"})
        assert reported.status_code == 201
    assert reported.json()["hidden"] is True
    listed = client.get(f"{API}/{cid}/comments").json()["items"]
    assert (listed[0]["body"], listed[0]["state"]) == (None, "pending")
    by_question = {q["question_id"]: q for q in results["questions"]}
    assert [o["count"] for o in by_question[single["id"]]["options"]] == [0, 1]
    assert by_question[scale["id"]]["average"] == 5.0

    assert client.get(f"{API}/{cid}/report").status_code == 404
    report = {"summary": "New lamps on the main street and Oak street.",
              "decision_url": "https://rada.example.org/decisions/9",
              "items": [{"section_id": s["id"], "outcome": "accepted",
                         "explanation": "Kept as drafted."} for s in detail["sections"]]
              + [{"question_id": q["id"], "outcome": "partly_accepted",
                  "explanation": "Considered."} for q in questions]}
    assert client.post(f"{API}/{cid}/report", headers=staff, json=report).status_code == 409
    close(clock, _consultation(db, cid), days_after=1)
    assert client.post(f"{API}/{cid}/responses", headers=bearer(db, make_resident(db, place)),
                       json={"answers": answers}).status_code == 409
    assert client.post(f"{API}/{cid}/report", headers=token, json=report).status_code == 403
    missing = dict(report, items=report["items"][1:])
    assert client.post(f"{API}/{cid}/report", headers=staff, json=missing).status_code == 422
    published_report = client.post(f"{API}/{cid}/report", headers=staff, json=report)
    assert published_report.status_code == 201, published_report.text
    assert published_report.json()["on_time"] is True
    obligation = accountability.find(db, OBLIGATION_KIND, "consultation", cid)
    assert accountability.status_of(obligation) == ObligationStatus.answered_on_time

    rated = client.post(f"{API}/{cid}/rating", headers=token, json={"value": "yes"})
    assert rated.status_code == 201 and rated.json() == {"yes": 1, "partly": 0, "no": 0,
                                                         "total": 1}
    assert client.post(f"{API}/{cid}/rating", headers=token,
                       json={"value": "no"}).status_code == 409
    assert client.post(f"{API}/{cid}/rating", headers=other,
                       json={"value": "no"}).status_code == 403
    assert client.post(f"{API}/{cid}/rating", headers=token,
                       json={"value": "maybe"}).status_code == 422
    assert client.get(f"{API}/{cid}/report").json()["ratings"]["yes"] == 1
    listing = client.get(API, params={"community_id": place.community.id,
                                      "phase": "reported"}).json()
    assert [item["id"] for item in listing["items"]] == [cid]
    assert listing["total"] == 1 and listing["next"] is None


def _consultation(db, cid):
    from consultations.models import Consultation

    return db.get(Consultation, cid)


def test_api_organisations(db, clock, place, client):
    owner = make_resident(db, place)
    token = bearer(db, owner)
    created = client.post(f"{API}/organisations", headers=token, json={
        "community_id": place.community.id, "name": "Science Park", "category": "academic",
        "code": "1436 0570", "topics": ["education", "digital"]})
    assert created.status_code == 201 and created.json()["code"] == "14360570"
    assert created.json()["topics"] == ["digital", "education"]
    assert client.post(f"{API}/organisations", headers=token, json={
        "community_id": place.community.id, "name": "Again", "category": "academic",
        "code": "14360570"}).status_code == 409
    for wrong in ("UA12345", "14360571", "1436057"):  # not 8 digits, or a wrong check digit
        refused = client.post(f"{API}/organisations", headers=token, json={
            "community_id": place.community.id, "name": "Wrong", "category": "ngo",
            "code": wrong})
        assert refused.status_code == 422 and "ЄДРПОУ" in refused.json()["message"]
    assert client.post(f"{API}/organisations", headers=token, json={
        "community_id": place.community.id, "name": "Wrong", "category": "resident",
        "code": "XX1"}).status_code == 422
    org_id = created.json()["id"]
    assert client.post(f"{API}/organisations/{org_id}/verify",
                       headers=token).status_code == 403
    assert client.post(f"{API}/organisations/{org_id}/verify",
                       headers=bearer(db, make_official(db, place))).json()["verified"]
    mine = client.get(f"{API}/organisations/mine", headers=token).json()["items"]
    assert [o["id"] for o in mine] == [org_id]
    c = make_consultation(db, place)
    q = client.get(f"{API}/{c.id}/questions").json()["items"]
    response = client.post(f"{API}/{c.id}/responses", headers=token, json={
        "organisation_id": org_id, "answers": [
            {"question_id": q[0]["id"], "option_ids": [q[0]["options"][0]["id"]]},
            {"question_id": q[1]["id"], "option_ids": [q[1]["options"][1]["id"]]}]})
    assert response.status_code == 201 and response.json()["category"] == "academic"


def test_api_errors_are_json_with_status(db, clock, place, client):
    c = make_consultation(db, place)
    db.commit()  # a savepoint release: the setup survives the failing requests
    assert client.get(f"{API}/999999").status_code == 404
    unauthenticated = client.post(f"{API}/{c.id}/responses", json={"answers": []})
    assert unauthenticated.status_code == 401 and unauthenticated.json()["error"]
    malformed = client.post(f"{API}/{c.id}/responses", headers=bearer(
        db, make_resident(db, place)), content=b"{not json", )
    assert malformed.status_code == 422
    assert client.post(f"{API}/{c.id}/questions", headers=bearer(db, official_of(db, c)),
                       json={"kind": "text", "prompt": "Late question"}).status_code == 409
