"""The petitions JSON API: the full loop with Bearer tokens, errors with their status, the
open-data export and the documented contract."""

from __future__ import annotations

import csv
import io

import pytest

from app.identity import service as identity
from tests.factories import make_community, make_moderator, make_official, make_resident
from tests.petitions.factories import make_petition
from tests.petitions.helpers import signatures, stored

TEXT = ("Просимо встановити урни для роздільного збору сміття в усіх дворах мікрорайону "
        "та вивозити відсортовані відходи щотижня.")


def _token(db, user) -> dict[str, str]:
    _, raw = identity.create_token(db, user, "test")
    return {"Authorization": f"Bearer {raw}"}


def test_the_whole_loop_through_the_api(db, clock, client):
    place = make_community(db, rules_override={"petitions": {"sponsors_required": 1,
                                                             "threshold": 2}})
    people = {name: make_resident(db, place) for name in ("author", "sponsor", "a", "b")}
    people["moderator"], people["official"] = make_moderator(db, place), make_official(db, place)
    auth = {name: _token(db, person) for name, person in people.items()}
    db.commit()

    created = client.post("/api/v1/petitions", headers=auth["author"], json={
        "community_id": place.community.id, "authority_id": place.council.id,
        "title": "Урни для роздільного збору сміття", "text": TEXT, "category": "environment"})
    assert created.status_code == 201, created.text
    body = created.json()
    pid = body["id"]
    assert (body["status"], body["threshold"], body["sponsors_required"]) == (
        "sponsoring", 2, 1)

    sponsored = client.post(f"/api/v1/petitions/{pid}/sponsors", headers=auth["sponsor"])
    assert sponsored.status_code == 201
    assert sponsored.json() == {"petition_id": pid, "sponsor_count": 1,
                                "sponsors_required": 1, "status": "moderation"}

    published = client.post(f"/api/v1/petitions/{pid}/publish", headers=auth["moderator"])
    assert published.status_code == 200 and published.json()["status"] == "open"
    assert published.json()["days_left"] == 31

    first = client.post(f"/api/v1/petitions/{pid}/signatures", headers=auth["a"],
                        json={"public_name": True})
    assert first.status_code == 201
    signed = first.json()
    receipt = signed.pop("receipt")
    assert signed == {"petition_id": pid, "signature_count": 1, "threshold": 2,
                      "status": "open"}
    assert receipt["code"] == f"hromada-receipt:1:{receipt['key_id']}:{receipt['commitment']}"
    second = client.post(f"/api/v1/petitions/{pid}/signatures", headers=auth["b"], json={})
    assert second.json()["status"] == "awaiting_answer"

    detail = client.get(f"/api/v1/petitions/{pid}").json()
    assert detail["obligation_status"] == "pending" and detail["answer_due_at"]
    assert detail["answer"] is None and detail["ratings"] is None

    answered = client.post(f"/api/v1/petitions/{pid}/answer", headers=auth["official"], json={
        "decision": "partly_supported", "text": "Урни встановимо у дворах, де є майданчики.",
        "planned_steps": "Закупівля урн", "planned_by": "2026-06-01"})
    assert answered.status_code == 201, answered.text
    answer = answered.json()["answer"]
    assert (answer["decision"], answer["on_time"], answer["planned_by"]) == (
        "partly_supported", True, "2026-06-01")

    rated = client.post(f"/api/v1/petitions/{pid}/rating", headers=auth["a"],
                        json={"value": "partly"})
    assert rated.status_code == 201
    assert rated.json() == {"yes": 0, "partly": 1, "no": 0, "total": 1}

    update = client.post(f"/api/v1/petitions/{pid}/updates", headers=auth["official"],
                         json={"status": "planned", "text": "Урни замовлено у постачальника."})
    assert update.status_code == 201 and update.json()["happened_on"] == "2026-03-02"

    final = client.get(f"/api/v1/petitions/{pid}").json()
    assert final["status"] == "answered" and final["obligation_status"] == "answered_on_time"
    assert final["ratings"]["partly"] == 1 and len(final["updates"]) == 1
    listed = client.get("/api/v1/petitions", params={"status": "answered"}).json()
    assert [item["id"] for item in listed["items"]] == [pid]


def test_errors_have_the_right_status_and_write_nothing(db, clock, client):
    place = make_community(db)
    petition = make_petition(db, place, "open")
    resident, outsider = make_resident(db, place), make_resident(db, make_community(db))
    auth = {"resident": _token(db, resident), "outsider": _token(db, outsider)}
    db.commit()
    url = f"/api/v1/petitions/{petition.id}/signatures"
    assert client.post(url, json={}).status_code == 401
    assert client.post(url, json={}, headers={"Authorization": "Bearer nope"}).status_code == 401
    refused = client.post(url, json={}, headers=auth["outsider"])
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert refused.json()["message"] == ("Для цього потрібно бути верифікованим мешканцем "
                                         "громади: спершу подайте заявку про проживання в ній "
                                         "(сторінка облікового запису).")
    assert client.post(url, json={"public_name": "maybe"},
                       headers=auth["resident"]).status_code == 422
    assert client.post(url, json={}, headers=auth["resident"]).status_code == 201
    db.commit()
    second = client.post(url, json={}, headers=auth["resident"])
    assert second.status_code == 409 and second.json()["error"] == "conflict"
    assert client.post("/api/v1/petitions/999999/signatures", json={},
                       headers=auth["resident"]).status_code == 404
    assert stored(db, petition.id).signature_count == 1 == signatures(db, petition.id)

    withdrawn = client.delete(f"{url}/me", headers=auth["resident"])
    assert withdrawn.status_code == 200 and withdrawn.json()["signature_count"] == 0
    db.commit()
    assert client.delete(f"{url}/me", headers=auth["resident"]).status_code == 404


@pytest.mark.parametrize("body,field", [
    ({"title": "", "text": TEXT}, "title"),
    ({"title": "Назва петиції нормальної довжини", "text": "x" * 10_001}, "text"),
    ({"title": "Назва петиції нормальної довжини", "text": TEXT, "category": "x"},
     "category"),
    ({"title": "Назва петиції нормальної довжини", "text": TEXT, "extra": 1}, "extra"),
])
def test_invalid_petitions_are_422_with_fields(db, client, body, field):
    place = make_community(db)
    auth = _token(db, make_resident(db, place))
    db.commit()
    payload = {"community_id": place.community.id, "authority_id": place.council.id,
               "category": "transport", **body}
    response = client.post("/api/v1/petitions", json=payload, headers=auth)
    assert response.status_code == 422
    assert field in response.json()["fields"]
    assert client.get("/api/v1/petitions").json()["total"] == 0


def test_staff_actions_need_the_right_role(db, clock, client):
    place = make_community(db)
    queued = make_petition(db, place, "moderation")
    waiting = make_petition(db, place, "awaiting_answer")
    auth = {"resident": _token(db, make_resident(db, place)),
            "department": _token(db, make_official(db, place, authority=place.department)),
            "moderator": _token(db, make_moderator(db, place))}
    db.commit()
    assert client.post(f"/api/v1/petitions/{queued.id}/publish",
                       headers=auth["resident"]).status_code == 403
    bad_reject = client.post(f"/api/v1/petitions/{queued.id}/reject", headers=auth["moderator"],
                             json={"reason": "rude", "explanation": "Пояснення рішення."})
    assert bad_reject.status_code == 422
    rejected = client.post(f"/api/v1/petitions/{queued.id}/reject", headers=auth["moderator"],
                           json={"reason": "offensive", "explanation": "Образливий зміст."})
    assert rejected.status_code == 200
    public = client.get(f"/api/v1/petitions/{queued.id}").json()
    assert public["rejection"] == {"reason": None, "explanation": None,
                                   "rejected_at": public["rejection"]["rejected_at"]}
    assert public["title"] is None and public["text"] is None
    answer = {"decision": "supported", "text": "Відповідь іншого управління."}
    assert client.post(f"/api/v1/petitions/{waiting.id}/answer", json=answer,
                       headers=auth["department"]).status_code == 403
    assert client.post(f"/api/v1/petitions/{waiting.id}/rating", json={"value": "yes"},
                       headers=auth["resident"]).status_code == 409
    assert stored(db, waiting.id).status == "awaiting_answer"


def test_export_without_personal_data(db, clock, client):
    place = make_community(db, slug="export-town")
    author = make_resident(db, place, name="Авторка Приватна", email="private@example.org")
    answered = make_petition(db, place, "answered", author=author)
    make_petition(db, place, "draft", author=author)
    db.commit()
    exported = client.get("/api/v1/petitions/export.csv")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [int(r["id"]) for r in rows] == [answered.id]
    assert rows[0]["community"] == "export-town" and rows[0]["decision"] == "supported"
    assert rows[0]["answered_on_time"] == "True" and rows[0]["signature_count"] == "3"
    as_json = client.get("/api/v1/petitions/export.json").json()["items"]
    assert [r["id"] for r in as_json] == [answered.id]
    for text in (exported.text, str(as_json)):
        assert "Авторка Приватна" not in text and "private@example.org" not in text


def test_the_contract_is_documented(client):
    spec = client.get("/openapi.json").json()
    paths = {p: ops for p, ops in spec["paths"].items() if p.startswith("/api/v1/petitions")}
    expected = {
        ("/api/v1/petitions", "get"), ("/api/v1/petitions", "post"),
        ("/api/v1/petitions/export.csv", "get"), ("/api/v1/petitions/export.json", "get"),
        ("/api/v1/petitions/{petition_id}", "get"),
        ("/api/v1/petitions/{petition_id}/sponsors", "post"),
        ("/api/v1/petitions/{petition_id}/publish", "post"),
        ("/api/v1/petitions/{petition_id}/reject", "post"),
        ("/api/v1/petitions/{petition_id}/signatures", "post"),
        ("/api/v1/petitions/{petition_id}/signatures/me", "delete"),
        ("/api/v1/petitions/{petition_id}/answer", "post"),
        ("/api/v1/petitions/{petition_id}/rating", "post"),
    }
    documented = {(p, m) for p, ops in paths.items() for m in ops}
    assert expected <= documented
    for path, method in documented:
        responses = paths[path][method]["responses"]
        ok = next(code for code in responses if code.startswith("2"))
        assert responses[ok].get("content"), (path, method)
    assert not any(p.startswith("/petitions") for p in spec["paths"])  # pages stay out
    order = list(spec["paths"])
    assert order.index("/api/v1/petitions/export.csv") < order.index(
        "/api/v1/petitions/{petition_id}")
