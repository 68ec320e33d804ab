"""The Commission-standard run through the HTML pages, without JavaScript: the register and its
members, a call for evidence then a draft with invited organisations and a priority window,
every question type, the opinion map, the public contributions and the synopsis."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from app import clock as app_clock
from consultations.models import Consultation, ConsultationResponse, Stage
from consultations.service import mapping, organisations, reading
from tests.consultations.factories import close, edrpou, today
from tests.consultations.test_pages import check_page, location_id
from tests.factories import make_community, make_moderator, make_official, make_resident

RULES = {"consultations": {"minimum_duration_days": 84, "evidence_minimum_days": 28,
                           "priority_days": 7}}


@pytest.fixture
def place(db):
    return make_community(db, rules_override=RULES)


def _draft_form(place, **extra) -> dict:
    return {"authority_id": str(place.council.id), "title": "Rules for the parks",
            "summary": "What the parks need, and the options we see.",
            "body": "The problem.\n\n# Options\n\nPlant trees, or lay paths.",
            "start_date": today().isoformat(), **extra}


def test_the_whole_run_through_the_pages(db, clock, place, make_client):
    official = make_official(db, place)
    staff = make_client().login(official)

    # An NGO registers with its EDRPOU code and fields; an official verifies it; a member
    # asks to act for it and its contact confirms.
    contact = make_resident(db, place)
    ngo_browser = make_client().login(contact)
    bad = ngo_browser.submit("/consultations/organisations", {
        "community_id": str(place.community.id), "name": "Green Parks", "category": "ngo",
        "code": "12345670", "topics": ["environment"]})
    assert bad.status_code == 422 and "ЄДРПОУ" in bad.text
    assert ngo_browser.submit("/consultations/organisations", {
        "community_id": str(place.community.id), "name": "Green Parks", "category": "ngo",
        "code": edrpou(1234), "topics": ["environment"]}).status_code == 303
    org = organisations.organisations_of(db, contact)[0]
    assert org.topics == ["environment"]
    assert staff.submit(f"/consultations/organisations/{org.id}/verify").status_code == 303
    member = make_resident(db, place)
    member_browser = make_client().login(member)
    register = member_browser.get(
        f"/consultations/organisations/register?community={place.community.slug}")
    assert register.status_code == 200 and "Green Parks" in register.text
    check_page(register.text)
    assert member_browser.submit(
        f"/consultations/organisations/{org.id}/join").status_code == 303
    mine = ngo_browser.get("/consultations/organisations")
    check_page(mine.text)
    assert member.display_name in mine.text
    assert ngo_browser.submit(f"/consultations/organisations/{org.id}/members/{member.id}"
                              "/confirm").status_code == 303

    # The call for evidence: at least 4 weeks.
    new = staff.get("/consultations/new")
    check_page(new.text)
    short = staff.submit("/consultations/new", _draft_form(
        place, stage="evidence", end_date=(today() + timedelta(days=20)).isoformat()))
    assert short.status_code == 422 and "28" in short.text
    created = staff.submit("/consultations/new", _draft_form(
        place, stage="evidence", end_date=(today() + timedelta(days=27)).isoformat()))
    evidence_id = location_id(created)
    assert staff.submit(f"/consultations/{evidence_id}/questions", {
        "kind": "text", "prompt": "What evidence do you have?"}).status_code == 303
    assert staff.submit(f"/consultations/{evidence_id}/publish").status_code == 303
    evidence = db.get(Consultation, evidence_id)
    assert evidence.stage == Stage.evidence

    # The consultation on the draft, after the call for evidence, 12 weeks, inviting by field.
    start = today() + timedelta(days=30)
    created = staff.submit("/consultations/new", _draft_form(
        place, stage="draft", evidence_id=str(evidence_id), topics=["environment"],
        start_date=start.isoformat(), end_date=(start + timedelta(days=83)).isoformat()))
    assert created.status_code == 303
    cid = location_id(created)
    for question in (
            {"kind": "single", "prompt": "Do you own a car?", "options": "Yes\nNo",
             "required": "1"},
            {"kind": "number", "prompt": "How many cars?", "shown_if_question": "1",
             "shown_if_option": "1", "required": "1"},
            {"kind": "ranking", "prompt": "Rank the priorities", "options": "Trees\nPaths",
             "required": "1"},
            {"kind": "matrix", "prompt": "Rate each park", "options": "North\nSouth",
             "required": "1"},
            {"kind": "date", "prompt": "When should works start?"}):
        assert staff.submit(f"/consultations/{cid}/questions", question).status_code == 303
    refused = staff.submit(f"/consultations/{cid}/publish")
    assert refused.status_code == 422  # the call for evidence is still open
    close(clock, evidence)
    clock.set(app_clock.aware(evidence.ends_at) + timedelta(hours=1))
    staff = make_client().login(official)  # a new session after weeks
    assert staff.submit(f"/consultations/{cid}/publish").status_code == 303
    c = db.get(Consultation, cid)
    page = staff.get(f"/consultations/{cid}")
    check_page(page.text)
    assert "Green Parks" in page.text and f"/consultations/{evidence_id}" in page.text

    # The priority window: the invited NGO's member answers; a resident waits.
    clock.set(app_clock.aware(c.starts_at) + timedelta(hours=10))
    member_browser = make_client().login(member)
    views = reading.questions(db, c)
    single, number, ranking, matrix, day = views
    answers = {f"q{single.question.id}": str(single.options[0].id),
               f"q{number.question.id}": "2",
               f"q{ranking.question.id}_{ranking.options[0].id}": "2",
               f"q{ranking.question.id}_{ranking.options[1].id}": "1",
               f"q{matrix.question.id}_{matrix.options[0].id}": "4",
               f"q{matrix.question.id}_{matrix.options[1].id}": "2",
               f"q{day.question.id}": (start + timedelta(days=100)).isoformat()}
    resident = make_resident(db, place)
    resident_browser = make_client().login(resident)
    respond_page = resident_browser.get(f"/consultations/{cid}/respond")
    assert respond_page.status_code == 200
    early = resident_browser.submit(f"/consultations/{cid}/respond", answers)
    assert early.status_code == 409
    as_org = member_browser.get(f"/consultations/{cid}/respond?as={org.id}")
    check_page(as_org.text)
    sent = member_browser.submit(f"/consultations/{cid}/respond",
                                 answers | {"organisation_id": str(org.id)})
    assert sent.status_code == 303, sent.text

    # After the window: a conditional question answered without its condition is refused.
    clock.set(app_clock.aware(c.starts_at) + timedelta(days=8))
    resident_browser = make_client().login(resident)
    member_browser = make_client().login(member)
    staff = make_client().login(official)
    wrong = resident_browser.submit(f"/consultations/{cid}/respond", answers | {
        f"q{single.question.id}": str(single.options[1].id),
        f"q{day.question.id}": "not a date"})
    assert wrong.status_code == 422
    assert not db.exec(select(ConsultationResponse).where(
        ConsultationResponse.user_id == resident.id)).all()
    ok = resident_browser.submit(f"/consultations/{cid}/respond", answers | {
        f"q{single.question.id}": str(single.options[1].id), f"q{number.question.id}": "",
        "publication": "anonymous"})
    assert ok.status_code == 303
    # Comments on the text: the member comments for the organisation (its name signs it),
    # the resident for themselves; someone acting for no organisation cannot use one.
    section = reading.sections(db, c)[0]
    detail = member_browser.get(f"/consultations/{cid}")
    check_page(detail.text)
    assert 'name="voice_id"' in detail.text
    assert 'name="voice_id"' not in resident_browser.get(f"/consultations/{cid}").text
    url = f"/discussions/consultation/{cid}"
    on = {"anchor_id": str(section.id)}
    assert member_browser.submit(url, on | {"body": "Our members want shade.", "publication":
                                            "anonymous", "voice_id": str(org.id)}
                                 ).status_code == 303
    assert resident_browser.submit(url, on | {"body": "And benches."}).status_code == 303
    refused = resident_browser.submit(url, on | {"body": "Pretending.", "voice_id":
                                                 str(org.id)})
    assert refused.status_code == 403
    shown = resident_browser.get(f"/consultations/{cid}").text
    assert "Pretending" not in shown and "Our members want shade." in shown
    results = staff.get(f"/consultations/{cid}/results")
    check_page(results.text)
    assert '<td class="num">2.0</td>' in results.text  # Trees: second, twice

    # The opinion map: statements, a duplicate refused, votes.
    for browser, body in ((resident_browser, "More shade in the parks"),
                          (member_browser, "Paths before trees")):
        assert browser.submit(f"/consultations/{cid}/statements",
                              {"body": body}).status_code == 303
    dup = staff.submit(f"/consultations/{cid}/statements", {"body": "more SHADE in the parks"})
    assert dup.status_code in (403, 409)
    statements = {s.body: s.id for s in mapping.statements(db, c)}
    for browser in (resident_browser, member_browser):
        for sid in statements.values():
            browser.submit(f"/consultations/{cid}/statements/{sid}/vote", {"vote": "agree"})
    again = resident_browser.submit(
        f"/consultations/{cid}/statements/{statements['Paths before trees']}/vote",
        {"vote": "disagree"})
    assert again.status_code == 409
    map_page = resident_browser.get(f"/consultations/{cid}/map")
    check_page(map_page.text)
    assert "Paths before trees" in map_page.text
    fragment = resident_browser.get(f"/consultations/{cid}/map",
                                    headers={"HX-Request": "true", "HX-Target": "opinion"})
    assert fragment.text.lstrip().startswith('<div id="opinion"')

    # Closed: every contribution public, the moderator's text; the synopsis.
    moderator = make_client().login(make_moderator(db, place))
    assert moderator.get(f"/consultations/{cid}/contributions/moderate").status_code == 200
    close(clock, c, days_after=1)
    staff = make_client().login(official)
    contributions = staff.get(f"/consultations/{cid}/contributions")
    check_page(contributions.text)
    assert "Green Parks" in contributions.text and resident.display_name not in (
        contributions.text)
    form = {"summary": "We plant trees first.", "decision_url": "https://rada.example/1"}
    for s in reading.sections(db, c):
        form |= {f"s{s.id}_outcome": "accepted", f"s{s.id}_explanation": "Done."}
    for v in views:
        form |= {f"r{v.question.id}_outcome": "partly_accepted",
                 f"r{v.question.id}_explanation": "In part."}
    assert staff.submit(f"/consultations/{cid}/report", form).status_code == 303
    report = staff.get(f"/consultations/{cid}/report")
    check_page(report.text)
    assert "Green Parks" in report.text  # invited, and answered
    table = report.text.split('id="synopsis-sections-table"')[1].split("</table>")[0]
    row = table.split(f"<th scope=\"row\">{section.number}. ")[1].split("</tr>")[0]
    assert row.count('<td class="num">1</td>') == 2 and '<td class="num">2</td>' in row
    assert "Коментарі до тексту за категоріями" in report.text
    english = staff.get(f"/consultations/{cid}/report?lang=en")
    check_page(english.text)
    assert "Comments on the text by stakeholder category" in english.text
    assert "Invited organisations" in english.text
