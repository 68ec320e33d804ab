"""The back office through the JSON API: a community connected, set up and staffed with
Bearer tokens of the right roles; bad input refused with the right 4xx and nothing written."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from app import clock
from app.communities.models import Community, Staff
from app.identity import service as identity
from tests.factories import make_admin, make_community, make_community_admin, make_user


def token(db, user) -> dict[str, str]:
    _, raw = identity.create_token(db, user, "script")
    return {"Authorization": f"Bearer {raw}"}


def test_connect_set_up_and_staff_a_community_through_the_api(client, db):
    operator = token(db, make_admin(db))
    officer_user = make_user(db, email="officer@example.org")
    admin_user = make_user(db, email="admin@example.org")
    make_user(db, name="Олена Посадовиця", email="olena@example.org")
    officer = token(db, officer_user)

    region = client.post("/api/v1/regions", headers=operator,
                         json={"slug": "volynska", "name": "Волинська", "name_en": "Volyn"})
    assert region.status_code == 201, region.text
    assert client.get("/api/v1/regions").json()["items"][0]["slug"] == "volynska"
    appointed = client.post("/api/v1/regions/volynska/admins", headers=operator, json={
        "email": "officer@example.org", "reason": "Наказ ОДА № 12"})
    assert appointed.status_code == 201, appointed.text
    assert client.post("/api/v1/regions/volynska/admins", headers=officer, json={
        "email": "admin@example.org", "reason": "Не оператор"}).status_code == 403

    created = client.post("/api/v1/communities", headers=officer, json={
        "region": "volynska", "slug": "shatsk", "name": "Шацька громада", "name_en": "Shatsk",
        "population": 16_000, "default_language": "uk"})
    assert created.status_code == 201, created.text
    assert created.json()["region_id"] is not None
    granted = client.post("/api/v1/communities/shatsk/staff", headers=officer, json={
        "email": "admin@example.org", "role": "administrator", "reason": "Рішення сесії № 1"})
    assert granted.status_code == 201, granted.text

    admin = token(db, admin_user)
    patched = client.patch("/api/v1/communities/shatsk", headers=admin,
                           json={"population": 16_500})
    assert patched.json()["population"] == 16_500
    council = client.post("/api/v1/communities/shatsk/authorities", headers=admin,
                          json={"name": "Шацька селищна рада", "kind": "council"})
    assert council.status_code == 201
    district = client.post("/api/v1/communities/shatsk/districts", headers=admin,
                           json={"slug": "pulemets", "name": "Пулемецький округ"})
    assert district.status_code == 201
    official = client.post("/api/v1/communities/shatsk/staff", headers=admin, json={
        "email": "olena@example.org", "role": "official",
        "authority_id": council.json()["id"], "reason": "Розпорядження № 4"})
    assert official.status_code == 201, official.text
    day = (clock.today() + timedelta(days=30)).isoformat()
    holiday = client.post("/api/v1/communities/shatsk/holidays", headers=admin,
                          json={"day": day, "name": "День селища"})
    assert holiday.status_code == 201

    staff = client.get("/api/v1/communities/shatsk/staff", headers=admin).json()
    assert {(s["email"], s["role"]) for s in staff["items"]} == {
        ("admin@example.org", "administrator"), ("olena@example.org", "official")}
    assert [d["slug"] for d in client.get("/api/v1/communities/shatsk/districts"
                                          ).json()["items"]] == ["pulemets"]
    assert day in {h["day"] for h in client.get("/api/v1/communities/shatsk/holidays"
                                                ).json()["items"]}

    revoked = client.delete(f"/api/v1/communities/shatsk/staff/{official.json()['id']}",
                            headers=admin, params={"reason": "Звільнення"})
    assert revoked.status_code == 204
    assert client.get("/api/v1/communities/shatsk/staff", headers=admin).json()["total"] == 1


def test_bad_input_gets_the_right_status_and_writes_nothing(client, db):
    place = make_community(db, slug="kovel")
    operator = token(db, make_admin(db))
    admin_user = make_community_admin(db, place)
    admin = token(db, admin_user)
    client.post("/api/v1/regions", headers=operator, json={"slug": "rivnenska",
                                                          "name": "Рівненська"})
    before = len(db.exec(select(Community)).all())

    def connect(**body):
        return client.post("/api/v1/communities", headers=operator, json={
            "region": "rivnenska", "slug": "new-one", "name": "Нова", "population": 5,
            **body})

    assert connect(slug="kovel").status_code == 409
    assert connect(slug="Not A Slug").status_code == 422
    assert connect(population=-1).status_code == 422
    assert connect(region="no-such-region").status_code == 404
    assert len(db.exec(select(Community)).all()) == before

    unknown = client.post("/api/v1/communities/kovel/staff", headers=admin, json={
        "email": "ghost@example.org", "role": "moderator", "reason": "Причина важлива"})
    assert unknown.status_code == 422
    assert "email" in unknown.json()["fields"]
    above = client.post("/api/v1/communities/kovel/staff", headers=admin, json={
        "email": admin_user.email, "role": "administrator", "reason": "Сам себе"})
    assert above.status_code == 403
    own = db.exec(select(Staff).where(Staff.user_id == admin_user.id)).one()
    last = client.delete(f"/api/v1/communities/kovel/staff/{own.id}", headers=operator,
                         params={"reason": "Спроба зняти останнього"})
    assert last.status_code == 409
    past = client.post("/api/v1/communities/kovel/holidays", headers=admin, json={
        "day": (clock.today() - timedelta(days=3)).isoformat(), "name": "Минуле"})
    assert past.status_code == 422
    outside = client.post(f"/api/v1/communities/{make_community(db).community.slug}"
                          "/districts", headers=admin, json={"slug": "okruh", "name": "Округ"})
    assert outside.status_code == 403


def test_an_official_handles_an_item_through_the_api(client, db):
    from app.accountability import service as accountability
    from app.rules.schema import Period
    from tests.factories import make_official

    place = make_community(db)
    official_user = make_official(db, place)
    colleague = make_official(db, place, authority=place.department)
    item = accountability.open_obligation(
        db, kind="petition_answer", community_id=place.community.id,
        authority_id=place.council.id, subject_type="petition", subject_id=987_654,
        subject_title="Зупинка біля ринку", subject_path="/petitions/987654",
        period=Period(days=10, unit="working"), ruleset_id=place.rules.id)
    official = token(db, official_user)
    listed = client.get("/api/v1/inbox", headers=official).json()
    assert [i["obligation_id"] for i in listed["items"]] == [item.id]
    assigned = client.post(f"/api/v1/inbox/{item.id}/assign", headers=official, json={
        "department_id": place.department.id, "user_id": colleague.id})
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["assigned_authority_id"] == place.department.id
    decision = client.post(f"/api/v1/inbox/{item.id}/decision", headers=official, data={
        "session_on": clock.today().isoformat(), "decision_number": "7/3",
        "votes_for": "15", "votes_against": "0", "votes_abstained": "4"},
        files={"document": ("d.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")})
    assert decision.status_code == 200, decision.text
    assert decision.json()["document"] == f"/obligations/{item.id}/decision.pdf"
    assert decision.json()["votes_abstained"] == 4
    outsider = token(db, make_official(db, make_community(db)))
    assert client.post(f"/api/v1/inbox/{item.id}/assign", headers=outsider,
                       json={"department_id": None}).status_code == 403
