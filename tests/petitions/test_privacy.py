"""The module's privacy hooks: what it holds about a person, erasure and retention."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from app import clock as app_clock
from app.privacy import service as privacy
from petitions.models import Petition, PetitionSignature
from petitions.module import MODULE
from petitions.service import privacy as petition_privacy
from petitions.service import reading, signing
from tests.factories import make_community, make_official, make_resident
from tests.petitions.factories import make_petition
from tests.petitions.helpers import signatures, stored


def test_personal_data_lists_what_the_module_holds(db, clock):
    place = make_community(db)
    person = make_resident(db, place)
    mine = make_petition(db, place, "draft", author=person)
    other = make_petition(db, place, "open")
    signing.sign(db, person, other.id, public_name=True)
    data = petition_privacy.personal_data(db, person)
    assert [p["id"] for p in data["petitions_authored"]] == [mine.id]
    assert [(s["petition_id"], s["public_name"]) for s in data["signatures"]] == [
        (other.id, True)]
    exported = privacy.export(db, person, [MODULE])
    assert exported["modules"]["petitions"]["signatures"][0]["source"] == "online"


def test_erasure_keeps_counts_and_removes_the_name(db, clock):
    place = make_community(db, rules_override={"petitions": {"threshold": 50}})
    person = make_resident(db, place)
    draft = make_petition(db, place, "draft", author=person)
    petition = make_petition(db, place, "open")
    signing.sign(db, person, petition.id, public_name=True)
    assert stored(db, petition.id).public_signer_count == 1
    privacy.erase_account(db, person, [MODULE])
    row = stored(db, petition.id)
    assert (row.signature_count, row.public_signer_count) == (1, 0)
    assert signatures(db, petition.id) == 1
    assert reading.detail(db, None, petition.id).signers == []
    assert db.exec(select(Petition).where(Petition.id == draft.id)).first() is None


def test_signer_identities_are_forgotten_after_retention(db, clock):
    place = make_community(db)
    closed = make_petition(db, place, "open")
    official = make_official(db, place)
    signing.sign(db, make_resident(db, place), closed.id, public_name=True)
    signing.record_paper(db, official, closed.id, signing.PaperSigner(
        full_name="Марія Паперова", birth_date=app_clock.today().replace(year=1970),
        address="вул. Миру, 2"))
    clock.set(app_clock.aware(closed.collection_ends_at) + timedelta(days=1))
    signing.close_expired(db)
    assert petition_privacy.purge(db, clock.current) == 0  # closed only yesterday
    clock.advance(days=370)
    current = make_petition(db, place, "open")
    signing.sign(db, make_resident(db, place), current.id, public_name=True)
    assert privacy.purge(db, clock.current, [MODULE])["petitions"] == 2
    rows = list(db.exec(select(PetitionSignature).where(
        PetitionSignature.petition_id == closed.id)))
    assert [(r.user_id, r.identity_hash, r.public_name) for r in rows] == [
        (None, None, False)] * 2
    row = stored(db, closed.id)
    assert (row.signature_count, row.public_signer_count) == (2, 0)
    assert petition_privacy.purge(db, clock.current) == 0
    kept = db.exec(select(PetitionSignature).where(
        PetitionSignature.petition_id == current.id)).one()
    assert kept.user_id is not None and stored(db, current.id).public_signer_count == 1


def test_the_worker_closes_expired_petitions(db, clock):
    place = make_community(db)
    petition = make_petition(db, place, "open")
    clock.set(app_clock.aware(petition.collection_ends_at))
    for task in MODULE.periodic:
        task(db)
    assert stored(db, petition.id).status == "closed"
