"""Receipts: what a person keeps after an act, and /audit/check (page and API) that finds it in
the log and names its checkpoint; every bad receipt a clear 4xx."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.audit import service as audit
from app.audit.models import AuditEntry
from tests.app.audit.helpers import sealed, verifier
from tests.factories import make_user


def signed(db, user_id: int) -> dict:
    """A person's act as a module appends it: the event `append` returns."""
    return audit.append(db, "test.signed", "thing", 1, user_id, source="online")


def test_a_receipt_is_given_at_once_and_completed_once_sealed(db):
    person = make_user(db)
    act = signed(db, person.id)
    receipt = audit.receipt_for(act)
    assert receipt.key_id == audit.key_id(audit.public_key_hex())
    assert receipt.commitment == act["commitment"] and receipt.seq is None
    assert receipt.code == f"hromada-receipt:1:{receipt.key_id}:{receipt.commitment}"
    assert receipt.check_url == f"/audit/check?receipt={receipt.code}"
    audit.seal(db)
    entry = db.exec(select(AuditEntry).where(AuditEntry.commitment == act["commitment"])).one()
    later = audit.receipt_for(entry)
    assert (later.seq, later.hash) == (entry.seq, entry.hash)
    assert later.code == f"{receipt.code}:{entry.seq}:{entry.hash}"
    assert audit.parse_receipt(later.code) == later
    with pytest.raises(ValueError):
        audit.receipt_for(audit.append(db, "test.closed", "thing", 1))


def test_an_act_s_receipt_is_found_under_its_checkpoint(client, db):
    person = make_user(db)
    sealed(db, [None, None])
    code = audit.receipt_for(signed(db, person.id)).code
    audit.seal(db)
    sealed(db, [None])
    answer = client.get("/api/v1/audit/check", params={"receipt": code})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["entry"]["seq"] == 3 and body["entry"]["actor"] == code.split(":")[3]
    assert body["checkpoint"]["seq"] == 3  # the round that sealed it, not a later one
    assert body["receipt"] == f"{code}:3:{body['entry']['hash']}"
    page = client.get("/audit/check", params={"receipt": code, "lang": "en"})
    assert page.status_code == 200
    assert "Your entry is in the log" in page.text and body["entry"]["hash"] in page.text
    assert "checkpoint at entry 3" in page.text
    by_position = client.get("/api/v1/audit/entries/3", params={"hash": body["entry"]["hash"]})
    assert by_position.status_code == 200 and by_position.json()["receipt"] == body["receipt"]
    full = client.get("/api/v1/audit/check", params={"receipt": body["receipt"]})
    assert full.status_code == 200
    system = client.get("/api/v1/audit/entries/1", params={"hash": audit.entry_hash(db, 1)})
    assert system.status_code == 200 and system.json()["receipt"] is None


def test_a_receipt_not_sealed_yet_is_a_409_with_a_clear_message(client, db):
    code = audit.receipt_for(signed(db, make_user(db).id)).code
    db.flush()
    answer = client.get("/api/v1/audit/check", params={"receipt": code, "lang": "en"})
    assert answer.status_code == 409 and answer.json()["error"] == "not_sealed"
    assert "not sealed into the chain yet" in answer.json()["message"]
    page = client.get("/audit/check", params={"receipt": code, "lang": "en"})
    assert page.status_code == 409 and "try again in a minute" in page.text


def other_key_id() -> str:
    ours = audit.key_id(audit.public_key_hex())
    return "0123456789abcdef" if ours != "0123456789abcdef" else "fedcba9876543210"


@pytest.mark.parametrize("query, status, error, says", [
    ({"receipt": "hello"}, 422, "invalid", "not a receipt of this log"),
    ({"receipt": "hromada-receipt:1:abc:def"}, 422, "invalid", "not a receipt of this log"),
    ({"receipt": "hromada-receipt:2:" + "a" * 16 + ":" + "b" * 64}, 422, "invalid", "receipt"),
    ({"receipt": "x" * 1001}, 422, "invalid", None),
    ({"seq": "one", "hash": "a" * 64}, 422, "invalid", "number and hash"),
    ({"seq": "0", "hash": "a" * 64}, 422, "invalid", "number and hash"),
    ({"seq": "99999999999", "hash": "a" * 64}, 422, "invalid", "number and hash"),
    ({"seq": "1", "hash": "zz"}, 422, "invalid", "number and hash"),
    ({"seq": "1"}, 422, "invalid", "number and hash"),
    ({"seq": "²", "hash": "a" * 64}, 422, "invalid", "number and hash"),
    ({"seq": "٣", "hash": "a" * 64}, 422, "invalid", "number and hash"),
    ({"seq": "1", "hash": "а" * 64}, 422, "invalid", "number and hash"),  # Cyrillic а
    ({"receipt": "hromada-receipt:1:" + "ａ" * 16 + ":" + "b" * 64}, 422, "invalid", "receipt"),
    ({"receipt": "\x00\u202e"}, 422, "invalid", "receipt"),
    ({}, 422, "invalid", "receipt"),  # the API checks a receipt; a position: /entries/{seq}
    ({"receipt": "OTHER"}, 404, "other_deployment", "another deployment"),
    ({"receipt": "hromada-receipt:1:{key}:" + "c" * 64}, 404, "not_in_log", "No entry"),
    ({"seq": "7", "hash": "a" * 64}, 404, "not_in_log", "no entry 7 in the log: it has 2"),
    ({"seq": "2", "hash": "a" * 64}, 409, "mismatch", "does not hold this entry"),
    ({"receipt": "MOVED"}, 409, "mismatch", "does not hold this entry"),
])
def test_a_bad_receipt_gets_a_clear_4xx(client, db, query, status, error, says):
    person = make_user(db)
    act = signed(db, person.id)
    sealed(db, [None])
    key = audit.key_id(audit.public_key_hex())
    if query.get("receipt") == "OTHER":
        query = {"receipt": f"hromada-receipt:1:{other_key_id()}:{act['commitment']}"}
    elif query.get("receipt") == "MOVED":  # the right entry, at another position than it has
        query = {"receipt": f"hromada-receipt:1:{key}:{act['commitment']}:2:"
                            f"{audit.entry_hash(db, 1)}"}
    elif "receipt" in query:
        query = {"receipt": query["receipt"].replace("{key}", key)}
    if "seq" not in query:  # the API finds an entry by position at /entries/{seq} (below)
        answer = client.get("/api/v1/audit/check", params={**query, "lang": "en"})
        assert answer.status_code == status, answer.text
        assert answer.json()["error"] == error
        if says:
            assert says in answer.json()["message"] + " ".join(answer.json().get("fields", {}))
    if query:
        page = client.get("/audit/check", params={**query, "lang": "en"})
        assert page.status_code == status
        assert 'role="alert"' in page.text or "<form" in page.text


@pytest.mark.parametrize("seq, hash, status, error, says", [
    ("one", "a" * 64, 422, "invalid", "seq"),
    ("0", "a" * 64, 422, "invalid", "seq"),
    ("99999999999", "a" * 64, 422, "invalid", "seq"),
    ("²", "a" * 64, 422, "invalid", "seq"),
    ("٣", "a" * 64, 422, "invalid", "seq"),
    ("1", "zz", 422, "invalid", "hash"),
    ("1", "а" * 64, 422, "invalid", "hash"),  # Cyrillic а
    ("1", "A" * 64, 422, "invalid", "hash"),  # the log's hashes are in small letters
    ("7", "a" * 64, 404, "not_in_log", "no entry 7 in the log: it has 2"),
    ("7", None, 404, "not_in_log", "no entry 7 in the log: it has 2"),
    ("2", "a" * 64, 409, "mismatch", "does not hold this entry"),
])
def test_an_entry_by_position_gets_a_clear_4xx(client, db, seq, hash, status, error, says):
    signed(db, make_user(db).id)
    sealed(db, [None])
    params = {"lang": "en", **({"hash": hash} if hash is not None else {})}
    answer = client.get(f"/api/v1/audit/entries/{seq}", params=params)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"] == error
    assert says in answer.json()["message"] + " ".join(answer.json().get("fields", {}))


def test_an_entry_by_position_without_a_hash_is_shown_with_its_checkpoint(client, db):
    code = audit.receipt_for(signed(db, make_user(db).id)).code
    audit.seal(db)
    body = client.get("/api/v1/audit/entries/1").json()
    assert body["entry"]["seq"] == 1 and body["receipt"].startswith(code)
    assert body["checkpoint"]["seq"] == 1


def test_a_receipt_wrapped_by_e_mail_still_reads(client, db):
    code = audit.receipt_for(signed(db, make_user(db).id)).code
    audit.seal(db)
    wrapped = f"  {code[:40]}\n  {code[40:].upper()} "
    assert client.get("/api/v1/audit/check", params={"receipt": wrapped}).status_code == 200


def test_the_check_page_is_a_form_that_works_without_javascript(client, db):
    page = client.get("/audit/check?lang=uk")
    assert page.status_code == 200
    assert '<form method="get" action="/audit/check">' in page.text
    for name in ("receipt", "seq", "hash"):
        assert f'<label for="f-{name}">' in page.text and f'id="f-{name}"' in page.text
    assert "Перевірити квитанцію" in page.text and "<h1>" in page.text
    english = client.get("/audit/check?lang=en")
    assert "Check a receipt" in english.text
    refused = client.get("/audit/check", params={"seq": "x", "hash": "y", "lang": "uk"})
    assert refused.status_code == 422 and 'aria-invalid="true"' in refused.text
    assert 'value="x"' in refused.text  # what was sent stays in the form


def test_the_standalone_checker_finds_a_receipt_too(db):
    from tests.app.audit.helpers import published_log

    act = signed(db, make_user(db).id)
    audit.seal(db)
    log = published_log(db)
    found = verifier().check_receipt(log, audit.receipt_for(act).code)
    assert found.startswith("receipt: entry 1 ") and "checkpoint at entry 1" in found
    with pytest.raises(verifier().Broken, match="another deployment"):
        verifier().check_receipt(log, f"hromada-receipt:1:{other_key_id()}:{act['commitment']}")
    with pytest.raises(verifier().Broken, match="not in the published log"):
        verifier().check_receipt(log, audit.receipt_for(act).code[:-1] + "0"
                                 if not audit.receipt_for(act).code.endswith("0")
                                 else audit.receipt_for(act).code[:-1] + "1")
