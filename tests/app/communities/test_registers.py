"""A community's register of residents: uploaded by an official, kept as keyed hashes; a
claim that matches it is verified at once, with its evidence."""

from __future__ import annotations

from sqlmodel import select

from app.audit.models import AuditEntry
from app.communities import permissions
from app.communities.models import Register, RegisterEntry, Residency
from app.identity import hashing
from app.identity.models import ProviderLink
from app.settings import ROOT, get_settings
from tests.factories import make_community, make_official, make_user

GOOD = ("full_name,birth_date,address\n"
        "Мельник Оксана Петрівна,1988-03-14,\"вул. Соборна, 12, кв. 3\"\n"
        "Коваль Петро Іванович,17.09.1975,\"вул. Шевченка, 5\"\n")


def upload(client, slug: str, content: str | bytes, day: str = "2026-02-01"):
    data = content.encode() if isinstance(content, str) else content
    return client.post(f"/communities/{slug}/register",
                       data={"csrf_token": client.csrf(), "register_date": day},
                       files={"file": ("register.csv", data, "text/csv")},
                       headers={"Accept-Language": "en"})


def test_an_official_uploads_and_a_matching_claim_is_verified_at_once(client, make_client, db,
                                                                      clock):
    place = make_community(db)
    official = make_official(db, place)
    client.login(official)
    slug = place.community.slug
    assert client.get(f"/communities/{slug}/register").status_code == 200
    response = upload(client, slug, GOOD)
    assert response.status_code == 200, response.text
    register = db.exec(select(Register)).one()
    assert (register.version, register.entries, str(register.register_date)) == (
        1, 2, "2026-02-01")
    entries = db.exec(select(RegisterEntry)).all()
    stored = " ".join(f"{e.claim_key} {e.person_key}" for e in entries)
    assert "Мельник" not in stored and "1988" not in stored and len(entries) == 2

    # A claim typed differently (case, spacing, apostrophes) still matches.
    resident = make_user(db, name="Оксана", birth_date=None)
    person = make_client().login(resident)
    claim = person.submit(f"/communities/{slug}/residency", {
        "full_name": "мельник  оксана петрівна", "address": "вул. Соборна 12 кв. 3",
        "birth_date": "1988-03-14"})
    assert claim.status_code == 303
    residency = db.exec(select(Residency).where(Residency.user_id == resident.id)).one()
    assert residency.status == "verified" and residency.evidence == "register"
    assert residency.register_id == register.id
    db.expire_all()
    assert permissions.memberships(db, resident).register_in == {place.community.id}
    page = person.get(f"/communities/{slug}/residency?lang=en")
    assert "the register of residents of 01.02.2026" in page.text
    assert any(e.action == "residency.matched_register" for e in db.exec(select(AuditEntry)))

    # A claim that does not match waits for an official, as before.
    other = make_user(db, birth_date=None)
    make_client().login(other).submit(f"/communities/{slug}/residency", {
        "full_name": "Хтось Інший", "address": "вул. Соборна, 1", "birth_date": "1990-01-01"})
    assert db.exec(select(Residency).where(Residency.user_id == other.id)).one().status == \
        "claimed"

    # A new version re-checks nothing: the residency verified by version 1 stays.
    assert upload(client, slug, "full_name,birth_date,address\nА Б В,1970-01-01,вул. Нова 1\n",
                  "2026-03-01").status_code == 200
    db.refresh(residency)
    assert residency.status == "verified" and residency.register_id == register.id


def test_an_identity_from_a_provider_matches_the_register(client, make_client, db):
    place = make_community(db)
    client.login(make_official(db, place))
    upload(client, place.community.slug, GOOD)
    from datetime import date

    resident = make_user(db, birth_date=None)
    db.add(ProviderLink(user_id=resident.id, provider="diia", subject_hash="x" * 64,
                        identifies=True, register_key=hashing.person_key(
                            "Коваль Петро Іванович", date(1975, 9, 17))))
    db.commit()
    make_client().login(resident).submit(f"/communities/{place.community.slug}/residency", {
        "full_name": "", "address": "десь інде", "birth_date": "1975-09-17"})
    residency = db.exec(select(Residency).where(Residency.user_id == resident.id)).one()
    assert residency.evidence == "register"


def test_bad_files_are_refused_whole_and_write_nothing(client, db):
    place = make_community(db)
    client.login(make_official(db, place))
    slug = place.community.slug
    cases = {
        "name,born,where\nА,1990-01-01,вул. 1\n": "The first row must be the header",
        "full_name,birth_date,address\nА Б,1990-13-45,вул. 1\n": "Row 2: the date of birth",
        "full_name,birth_date,address\nА Б,1990-01-01,вул. 1\nа  б,1990-01-01,ВУЛ. 1\n":
            "Row 3 repeats row 2",
        "full_name,birth_date,address\n,1990-01-01,вул. 1\n": "must not be empty",
        "full_name,birth_date,address\n": "no residents",
    }
    for content, message in cases.items():
        response = upload(client, slug, content)
        assert response.status_code == 422, content
        assert message in response.text, (content, response.text[-2000:])
    assert upload(client, slug, b"\xff\xfe\x00bad").status_code == 422
    assert upload(client, slug, GOOD, day="2999-01-01").status_code == 422
    assert db.exec(select(Register)).all() == []
    assert db.exec(select(RegisterEntry)).all() == []


def test_a_file_over_the_limit_is_413(client, db, monkeypatch):
    monkeypatch.setattr(get_settings(), "register_max_bytes", 2048)
    place = make_community(db)
    client.login(make_official(db, place))
    big = GOOD + "Іван Іванов,1990-01-01,вул. Довга 1\n" * 200
    response = upload(client, place.community.slug, big)
    assert response.status_code == 413
    assert db.exec(select(Register)).all() == []


def test_only_officials_upload(client, db):
    place = make_community(db)
    client.login(make_user(db))
    assert upload(client, place.community.slug, GOOD).status_code == 403
    assert client.get(f"/communities/{place.community.slug}/register").status_code == 403


def test_the_example_file_is_a_valid_register():
    from app.communities import registers

    parsed = registers.parse((ROOT / "static" / "examples" / "register.csv").read_bytes())
    assert len(parsed.claim_keys) == 3


def test_the_api_gives_the_residency_and_levels_and_takes_the_register(client, db):
    from app.identity import service as identity

    place = make_community(db)
    slug = place.community.slug
    official = make_official(db, place)
    _, official_token = identity.create_token(db, official, "register")
    resident = make_user(db, birth_date=None)
    _, resident_token = identity.create_token(db, resident, "me")
    db.commit()

    before = client.get(f"/api/v1/communities/{slug}/residency",
                        headers=client.api(resident_token))
    assert before.status_code == 200
    assert before.json()["status"] is None and before.json()["levels"] == ["email"]

    refused = client.post(f"/api/v1/communities/{slug}/register",
                          headers=client.api(resident_token),
                          data={"register_date": "2026-02-01"},
                          files={"file": ("r.csv", GOOD.encode(), "text/csv")})
    assert refused.status_code == 403
    bad = client.post(f"/api/v1/communities/{slug}/register",
                      headers=client.api(official_token), data={"register_date": "2026-02-01"},
                      files={"file": ("r.csv", b"a,b,c\n", "text/csv")})
    assert bad.status_code == 422 and "file" in bad.json()["fields"]
    done = client.post(f"/api/v1/communities/{slug}/register",
                       headers=client.api(official_token), data={"register_date": "2026-02-01"},
                       files={"file": ("r.csv", GOOD.encode(), "text/csv")})
    assert done.status_code == 201, done.text
    assert done.json()["version"] == 1 and done.json()["entries"] == 2

    client.login(resident)
    client.submit(f"/communities/{slug}/residency", {
        "full_name": "Коваль Петро Іванович", "address": "вул. Шевченка, 5",
        "birth_date": "1975-09-17"})
    after = client.get(f"/api/v1/communities/{slug}/residency",
                       headers=client.api(resident_token)).json()
    assert after["status"] == "verified" and after["evidence"] == "register"
    assert after["register_date"] == "2026-02-01"
    assert after["levels"] == ["email", "resident", "register"]


def test_the_openapi_document_lists_the_new_routes(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/communities/{slug}/residency" in paths
    assert "multipart/form-data" in paths["/api/v1/communities/{slug}/register"]["post"][
        "requestBody"]["content"]
