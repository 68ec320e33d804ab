"""Receipts where people act: after signing, voting and answering, the page and the API give
the person the receipt of their entry; only its owner sees it on a page; it can be e-mailed;
/audit/receipts lists a person's receipts; and a receipt checks out once sealed."""

from __future__ import annotations

import re

from sqlmodel import select

from app.audit import service as audit
from app.audit.models import AuditEntry
from app.notifications.service import messages_to
from consultations.models import Consultation
from consultations.service import reading as consultation_reading
from tests.budget.factories import make_voting_cycle
from tests.consultations.factories import make_consultation
from tests.factories import make_community, make_resident
from tests.petitions.factories import make_petition

RECEIPT = re.compile(r"hromada-receipt:1:[0-9a-f]{16}:([0-9a-f]{64})")


def entry_of(db, commitment: str) -> AuditEntry:
    return db.exec(select(AuditEntry).where(AuditEntry.commitment == commitment)).one()


def test_a_signer_gets_a_receipt_on_the_page_that_only_they_see(db, make_client):
    place = make_community(db)
    petition = make_petition(db, place, "open")
    signer, other = make_resident(db, place), make_resident(db, place)
    db.commit()
    browser = make_client().login(signer)
    signed = browser.submit(f"/petitions/{petition.id}/sign")
    assert signed.status_code == 303
    location = signed.headers["location"]
    commitment = re.search(r"receipt=([0-9a-f]{64})", location).group(1)
    entry = entry_of(db, commitment)
    assert (entry.action, entry.subject_id) == ("petition.signed", petition.id)
    assert entry.actor == audit.pseudonym(signer.id)

    page = browser.get(location.split("#")[0] + "&lang=en")
    assert page.status_code == 200
    shown = RECEIPT.search(page.text)
    assert shown is not None and shown.group(1) == commitment
    assert "Your receipt" in page.text and 'action="/audit/receipts/email"' in page.text
    # The same address opened by somebody else shows no receipt: it is not theirs.
    stranger = make_client().login(other).get(location.split("#")[0])
    assert stranger.status_code == 200 and commitment not in stranger.text
    anonymous = make_client().get(location.split("#")[0])
    assert anonymous.status_code == 200 and commitment not in anonymous.text

    # htmx: the signing block carries the receipt at once.
    second = make_resident(db, place)
    db.commit()
    fragment = make_client().login(second).submit(f"/petitions/{petition.id}/sign", htmx=True,
                                                 headers={"HX-Target": "signing"})
    assert fragment.status_code == 200
    assert RECEIPT.search(fragment.text) is not None
    assert entry_of(db, RECEIPT.search(fragment.text).group(1)).actor == audit.pseudonym(
        second.id)


def test_a_receipt_is_listed_e_mailed_and_checks_out_once_sealed(db, make_client):
    place = make_community(db)
    petition = make_petition(db, place, "open")
    signer, other = make_resident(db, place), make_resident(db, place)
    db.commit()
    browser = make_client().login(signer)
    location = browser.submit(f"/petitions/{petition.id}/sign").headers["location"]
    commitment = re.search(r"receipt=([0-9a-f]{64})", location).group(1)

    mine = browser.get("/audit/receipts?lang=en")
    assert mine.status_code == 200
    assert commitment in mine.text and "You signed a petition" in mine.text
    assert f'href="/petitions/{petition.id}"' in mine.text
    assert "recorded, not sealed yet" in mine.text
    assert commitment not in make_client().login(other).get("/audit/receipts").text

    # Somebody else's receipt cannot be e-mailed by them (nor a made-up one).
    refused = make_client().login(other).submit("/audit/receipts/email",
                                                {"commitment": commitment})
    assert refused.status_code == 404
    assert make_client().login(other).submit("/audit/receipts/email",
                                             {"commitment": "zz"}).status_code == 404
    assert not [m for m in messages_to(db, other.email) if commitment in m.body]

    sent = browser.submit("/audit/receipts/email", {"commitment": commitment})
    assert sent.status_code == 303 and sent.headers["location"] == "/audit/receipts?sent=true"
    mails = [m for m in messages_to(db, signer.email) if commitment in m.body]
    assert len(mails) == 1 and f"/petitions/{petition.id}" in mails[0].body
    assert "/audit/check" in mails[0].body
    # Asked twice within the hour: one message.
    browser.submit("/audit/receipts/email", {"commitment": commitment})
    assert len([m for m in messages_to(db, signer.email) if commitment in m.body]) == 1

    audit.seal(db)
    entry = entry_of(db, commitment)
    listed = browser.get("/audit/receipts").text
    assert f"{commitment}:{entry.seq}:{entry.hash}" in listed
    code = RECEIPT.search(browser.get(location.split("#")[0]).text).group(0)
    checked = browser.get("/api/v1/audit/check", params={"receipt": code})
    assert checked.status_code == 200
    assert checked.json()["entry"]["seq"] == entry.seq


def test_a_voter_gets_the_receipt_of_each_ballot(db, clock, make_client):
    place = make_community(db)
    cycle, projects = make_voting_cycle(db, place, clock, [(0, 100_000), (0, 150_000)])
    voter = make_resident(db, place)
    db.commit()
    browser = make_client().login(voter)
    cast = browser.submit(f"/budget/{cycle.id}/ballot", {"project": [str(projects[0].id)]})
    assert cast.status_code == 303
    commitment = re.search(r"receipt=([0-9a-f]{64})", cast.headers["location"]).group(1)
    assert entry_of(db, commitment).action == "budget.ballot_cast"
    page = browser.get(cast.headers["location"])
    assert RECEIPT.search(page.text).group(1) == commitment

    _, token = _token(db, voter)
    changed = browser.put(f"/api/v1/budgets/{cycle.id}/ballot",
                          headers={"Authorization": f"Bearer {token}"},
                          json={"projects": [projects[1].id]})
    assert changed.status_code == 200, changed.text
    receipt = changed.json()["receipt"]
    assert receipt["commitment"] != commitment  # every entry its own commitment
    entry = entry_of(db, receipt["commitment"])
    assert entry.action == "budget.ballot_changed" and entry.actor == audit.pseudonym(voter.id)
    assert receipt["check_url"] == f"/audit/check?receipt={receipt['code']}"


def test_a_respondent_gets_a_receipt_on_the_page_and_in_the_api(db, make_client):
    place = make_community(db)
    c = make_consultation(db, place)
    resident, other = make_resident(db, place), make_resident(db, place)
    db.commit()
    single, multiple, scale, text = consultation_reading.questions(db, db.get(Consultation, c.id))
    form = {f"q{single.question.id}": str(single.options[0].id),
            f"q{multiple.question.id}": [str(multiple.options[0].id)],
            f"q{scale.question.id}": str(scale.options[2].id),
            f"q{text.question.id}": "Benches.", "publication": "named"}
    browser = make_client().login(resident)
    done = browser.submit(f"/consultations/{c.id}/respond", form)
    assert done.status_code == 303
    commitment = re.search(r"receipt=([0-9a-f]{64})", done.headers["location"]).group(1)
    assert entry_of(db, commitment).action == "consultation.response_submitted"
    assert RECEIPT.search(browser.get(done.headers["location"]).text).group(1) == commitment

    _, token = _token(db, other)
    answered = browser.post(f"/api/v1/consultations/{c.id}/responses",
                            headers={"Authorization": f"Bearer {token}"}, json={
                                "publication": "anonymous", "answers": [
                                    {"question_id": single.question.id,
                                     "option_ids": [single.options[1].id]},
                                    {"question_id": multiple.question.id,
                                     "option_ids": [multiple.options[1].id]},
                                    {"question_id": scale.question.id,
                                     "option_ids": [scale.options[0].id]}]})
    assert answered.status_code == 201, answered.text
    receipt = answered.json()["receipt"]
    assert entry_of(db, receipt["commitment"]).actor == audit.pseudonym(other.id)
    mine = browser.get("/audit/receipts?lang=en").text
    assert commitment in mine and "You answered a consultation" in mine
    assert receipt["commitment"] not in mine


def _token(db, user):
    from app.identity import service as identity

    made = identity.create_token(db, user, "receipts")
    db.commit()
    return made
