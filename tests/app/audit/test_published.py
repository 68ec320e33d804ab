"""The published log: every sealed entry and checkpoint, paged, in a format an outsider can
recompute (checked here with the standalone checker's own functions), and nobody linkable."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlmodel import select

from app import clock
from app.audit import service as audit
from app.audit.models import AuditEntry
from tests.app.audit.helpers import check, published_log, sealed, verifier
from tests.factories import make_user

FIELDS = {"seq", "format", "created_at", "action", "subject_type", "subject_id", "actor",
          "data", "prev_hash", "hash"}


def test_entries_are_paged_with_a_next_link_and_recompute_outside(client, db):
    person = make_user(db)
    entries = sealed(db, [person.id, None, person.id, person.id, None, person.id])
    first = client.get("/api/v1/audit/entries?limit=4")
    assert first.status_code == 200 and first.headers["content-type"] == "application/json"
    page = first.json()
    assert [e["seq"] for e in page["items"]] == [1, 2, 3, 4]
    assert page["next"] == "http://testserver/api/v1/audit/entries?after_seq=4&limit=4"
    assert first.headers["link"] == f'<{page["next"]}>; rel="next"'
    rest = client.get(page["next"])
    assert [e["seq"] for e in rest.json()["items"]] == [5, 6]
    assert rest.json()["next"] is None and "link" not in rest.headers

    items = page["items"] + rest.json()["items"]
    assert all(set(item) == FIELDS for item in items)
    assert [i["hash"] for i in items] == [e.hash for e in entries]
    for item in items:  # the standalone checker's own computation, from the published fields
        assert verifier().entry_hash(item) == item["hash"]
    assert items[1]["actor"] is None and items[1]["format"] == 2
    assert json.loads(items[0]["data"]) == {"n": 0, "note": "ä ✓ \"q\"\n"}
    facts = check(published_log(db))
    assert facts.entries == 6 and facts.format2_from == 1 and not facts.format1


def test_every_entry_of_one_person_has_its_own_commitment(client, db):
    person = make_user(db, email="linkable@example.org", name="Марія Зразкова")
    entries = sealed(db, [person.id] * 4)
    pseudonym = audit.pseudonym(person.id)
    published = client.get("/api/v1/audit/entries").json()["items"]
    commitments = [item["actor"] for item in published]
    assert len(set(commitments)) == 4 and all(len(c) == 64 for c in commitments)
    body = json.dumps(published)
    for private in [pseudonym, "linkable", "Марія",
                    *(e.actor_salt for e in entries)]:
        assert private not in body
    # The private side: each commitment opens to the person's pseudonym with its own salt.
    for entry in entries:
        assert entry.actor == pseudonym
        assert entry.commitment == audit.commitment(pseudonym, entry.actor_salt)
    assert len({e.actor_salt for e in entries}) == 4


def test_unsealed_entries_are_not_published(client, db):
    sealed(db, [None, None])
    audit.append(db, "test.waiting", "thing", 9)
    db.flush()
    assert [e["seq"] for e in client.get("/api/v1/audit/entries").json()["items"]] == [1, 2]
    assert client.get("/api/v1/audit").json()["head"]["seq"] == 2


def test_checkpoints_are_published_signed_and_paged(client, db):
    for _ in range(3):
        sealed(db, [None, None])
    page = client.get("/api/v1/audit/checkpoints?limit=2")
    body = page.json()
    assert [c["seq"] for c in body["items"]] == [2, 4]
    assert "after_seq=4" in page.headers["link"] and page.headers["link"].endswith('; rel="next"')
    last = client.get(body["next"]).json()
    assert [c["seq"] for c in last["items"]] == [6] and last["next"] is None
    checkpoint = last["items"][0]
    assert checkpoint["format"] == 2 and checkpoint["format2_from"] == 1
    assert checkpoint["key_id"] == audit.key_id(audit.public_key_hex())
    message = verifier().checkpoint_message(checkpoint)
    assert message == audit.checkpoint_message(
        6, checkpoint["head_hash"], audit.last_checkpoint(db).created_at, 1)


def test_the_index_names_the_key_the_head_and_the_addresses(client, db):
    entries = sealed(db, [None])
    index = client.get("/api/v1/audit").json()
    assert index["public_key"] == audit.public_key_hex() and index["algorithm"] == "Ed25519"
    assert index["key_id"] == audit.key_id(index["public_key"])
    assert index["head"] == {"seq": 1, "hash": entries[0].hash}
    for name in ("entries", "entries_ndjson", "checkpoints", "check", "documentation"):
        assert index[name].startswith("http://testserver/")
    assert client.get("/api/v1/audit/head").json() == {"entries": 1, "head": entries[0].hash}


def test_a_page_has_an_etag_and_an_unchanged_page_is_not_sent_again(client, db):
    sealed(db, [None, None])
    first = client.get("/api/v1/audit/entries")
    etag = first.headers["etag"]
    again = client.get("/api/v1/audit/entries", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    sealed(db, [None])
    grown = client.get("/api/v1/audit/entries", headers={"If-None-Match": etag})
    assert grown.status_code == 200 and grown.headers["etag"] != etag


@pytest.mark.parametrize("query", [
    "after_seq=-1", "after_seq=abc", "after_seq=99999999999999999999", "limit=0",
    "limit=1001", "limit=1e3", "after_seq=2147483648"])
def test_bad_paging_is_a_4xx_never_a_500(client, db, query):
    for path in ("/api/v1/audit/entries", "/api/v1/audit/checkpoints"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 422, (path, query, response.text)
        assert response.json()["error"] == "invalid"


def test_the_last_possible_page_is_empty_not_an_error(client, db):
    sealed(db, [None])
    response = client.get("/api/v1/audit/entries?after_seq=2147483647")
    assert response.status_code == 200 and response.json() == {"items": [], "next": None}


def test_entries_appended_by_an_older_release_get_a_commitment_when_sealed(db):
    """Rows a process of the previous release appends during an upgrade carry the pseudonym
    but no commitment: the sealer gives them one, so they are published like any other."""
    pseudonym = audit.pseudonym(42)
    db.exec(text("INSERT INTO audit_entry (created_at, action, subject_type, subject_id, actor, "
                 "data) VALUES (:at, 'test.old', 'thing', 1, :actor, '{}')")
            .bindparams(at=clock.now(), actor=pseudonym))
    assert audit.seal(db) == 1
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "test.old")).one()
    assert entry.format == 2 and entry.actor == pseudonym
    assert entry.commitment == audit.commitment(pseudonym, entry.actor_salt)
    assert audit.verify(db).ok
    check(published_log(db))


def test_the_published_form_is_what_is_hashed(db):
    """Any published field changed, the checker's recomputation no longer matches."""
    sealed(db, [make_user(db).id, None, None])
    log = published_log(db)
    changes = {"created_at": "2026-01-01T00:00:00.000000Z", "action": "test.other",
               "subject_type": "other", "subject_id": 77, "actor": "a" * 64,
               "data": '{"n":1}', "seq": 9}
    for name, value in changes.items():
        entry = dict(log.entries[0], **{name: value})
        assert verifier().entry_hash(entry) != entry["hash"], name


def test_a_relabelled_entry_is_caught_by_the_checker(db):
    """Whoever edits the database cannot hide a change behind format 1 (whose withheld
    actor cannot be recomputed outside): not after an entry of format 2, and not as a prefix
    either, since each checkpoint signs where format 2 begins."""
    sealed(db, [None, None])
    sealed(db, [None, None])
    log = published_log(db)
    late = [dict(e) for e in log.entries]
    late[2].update(format=1, actor="withheld", data='{"n":"forged"}')
    with pytest.raises(verifier().Broken, match="format 1 after entries of format 2"):
        verifier().check_chain(late)
    prefix = [dict(e, format=1, actor="withheld") if e["seq"] <= 2 else e for e in log.entries]
    prefix[0]["data"] = '{"n":"forged"}'
    log.entries[:] = prefix
    with pytest.raises(verifier().Broken, match="format 2 begins at entry 1"):
        check(log)
