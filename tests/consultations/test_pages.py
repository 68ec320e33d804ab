"""The full loop through the HTML pages, without JavaScript and with htmx."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from sqlmodel import select

from app.accountability import service as accountability
from app.accountability.models import ObligationStatus
from app.deliberation.models import Comment
from consultations.models import (
    OBLIGATION_KIND,
    Consultation,
    ConsultationResponse,
    ConsultationUpdate,
    Phase,
)
from consultations.service import drafting, organisations, reading, responding
from tests.consultations.factories import (
    close,
    make_consultation,
    make_organisation,
    official_of,
    respond,
    today,
)
from tests.factories import make_community, make_moderator, make_official, make_resident


class Outline(HTMLParser):
    """Headings, ids and a few accessibility facts of a page."""

    def __init__(self):
        super().__init__()
        self.headings: list[int] = []
        self.ids: list[str] = []
        self.inputs_without_label: list[str] = []
        self.labels: set[str] = set()
        self.inputs: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "label" and a.get("for"):
            self.labels.add(a["for"])
        if tag in ("input", "select", "textarea") and a.get("type") not in (
                "hidden", "radio", "checkbox", "submit"):
            self.inputs.append((a.get("id") or "", a.get("name") or ""))


def check_page(html: str) -> Outline:
    outline = Outline()
    outline.feed(html)
    assert outline.headings.count(1) == 1, "one h1"
    for before, after in zip(outline.headings, outline.headings[1:], strict=False):
        assert after <= before + 1, f"heading order skips from h{before} to h{after}"
    assert len(outline.ids) == len(set(outline.ids)), "duplicate ids"
    for input_id, name in outline.inputs:
        assert input_id in outline.labels, f"input {name} has no label"
    return outline


def location_id(response) -> int:
    return int(re.search(r"/consultations/(\d+)", response.headers["location"]).group(1))


@pytest.fixture
def place(db):
    return make_community(db)


@pytest.fixture
def uploads(uploads_dir):
    return uploads_dir


def test_full_loop_through_the_pages(db, clock, place, make_client, uploads):
    official = make_official(db, place)
    staff = make_client().login(official)

    # 1. The official drafts the consultation.
    page = staff.get("/consultations/new")
    assert page.status_code == 200
    check_page(page.text)
    form = {"authority_id": str(place.council.id), "title": "Parks of our town",
            "summary": "How we plan to renew the parks.",
            "body": "Intro.\n\n# Trees\n\nPlant more.\n\n# Benches\n\nRepair them.",
            "stakeholders": "Residents\nNGOs",
            "start_date": today().isoformat(),
            "end_date": (today() + timedelta(days=5)).isoformat()}
    short = staff.submit("/consultations/new", form)
    assert short.status_code == 422
    assert "14" in short.text  # the minimum is named
    assert db.exec(select(Consultation)).first() is None
    form["end_date"] = (today() + timedelta(days=20)).isoformat()
    created = staff.submit("/consultations/new", form)
    assert created.status_code == 303
    cid = location_id(created)
    edit = staff.get(f"/consultations/{cid}/edit")
    assert edit.status_code == 200 and "Benches" in edit.text
    check_page(edit.text)
    for question in (
            {"kind": "single", "prompt": "Do you agree?", "options": "Yes\nNo",
             "required": "1"},
            {"kind": "multiple", "prompt": "Which parks?", "options": "North\nSouth\nEast",
             "required": "1"},
            {"kind": "scale", "prompt": "How urgent is it?", "options": ""},
            {"kind": "text", "prompt": "Anything else?", "options": ""}):
        assert staff.submit(f"/consultations/{cid}/questions", question).status_code == 303
    bad_question = staff.submit(f"/consultations/{cid}/questions",
                                {"kind": "single", "prompt": "Only one?", "options": "A"})
    assert bad_question.status_code == 422
    upload = staff.submit(f"/consultations/{cid}/attachments",
                          files={"file": ("Проєкт рішення.pdf", b"%PDF-1.7 test", "x/y")})
    assert upload.status_code == 303
    refused = staff.submit(f"/consultations/{cid}/attachments",
                           files={"file": ("run.exe", b"MZ\x90\x00", "application/x-exe")})
    assert refused.status_code == 422 and "pdf, docx" in refused.text
    fake = staff.submit(f"/consultations/{cid}/attachments",
                        files={"file": ("fake.pdf", b"<html>not a pdf</html>", "app/pdf")})
    assert fake.status_code == 422
    # The draft is not public.
    anonymous = make_client()
    assert anonymous.get(f"/consultations/{cid}").status_code == 404
    assert staff.submit(f"/consultations/{cid}/publish").status_code == 303

    # 2. Public page, attachments served as downloads.
    public = anonymous.get(f"/consultations/{cid}")
    assert public.status_code == 200
    check_page(public.text)
    link = re.search(rf'/consultations/{cid}/attachments/(\d+)', public.text).group(0)
    download = anonymous.get(link)
    assert download.status_code == 200 and download.content == b"%PDF-1.7 test"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in download.headers["content-disposition"]
    assert download.headers["content-type"] == "application/pdf"
    # The bytes are in the kernel's file store: the database on PostgreSQL, else the disk.
    from app import storage
    from app.storage import repository as stored

    in_database = stored.count(db, "consultations") == 1
    on_disk = [p.name for p in (uploads / "consultations").glob("*")] if (
        uploads / "consultations").exists() else []
    assert (in_database, bool(on_disk)) == ((True, False) if storage.backend(db) == "database"
                                            else (False, True))

    # 3. A resident answers (no JavaScript): a missing answer, then a good one, then again.
    c = db.get(Consultation, cid)
    views = reading.questions(db, c)
    single, multiple, scale, text = views
    resident = make_resident(db, place, name="Ivanna Named")
    browser = make_client().login(resident)
    page = browser.get(f"/consultations/{cid}/respond")
    assert page.status_code == 200
    check_page(page.text)
    missing = browser.submit(f"/consultations/{cid}/respond", {
        f"q{single.question.id}": str(single.options[0].id), "publication": "named"})
    assert missing.status_code == 422
    assert "This question requires an answer." in missing.text or "потребує" in missing.text
    assert db.exec(select(ConsultationResponse)).first() is None
    good = {f"q{single.question.id}": str(single.options[0].id),
            f"q{multiple.question.id}": [str(multiple.options[0].id),
                                         str(multiple.options[2].id)],
            f"q{scale.question.id}": str(scale.options[4].id),
            f"q{text.question.id}": "More benches, please.", "publication": "named"}
    assert browser.submit(f"/consultations/{cid}/respond", good).status_code == 303
    again = browser.submit(f"/consultations/{cid}/respond", good)
    assert again.status_code == 409
    response = db.exec(select(ConsultationResponse)).one()

    # 4. htmx: one answer saved in place; without htmx the same route redirects.
    fragment = browser.submit(
        f"/consultations/{cid}/responses/{response.id}/questions/{single.question.id}",
        {f"q{single.question.id}": str(single.options[1].id)}, htmx=True,
        headers={"HX-Target": f"question-{single.question.id}"})  # what htmx sends
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and f'id="question-{single.question.id}"' in fragment.text
    assert 'role="status"' in fragment.text
    bad_fragment = browser.submit(
        f"/consultations/{cid}/responses/{response.id}/questions/{scale.question.id}",
        {f"q{scale.question.id}": "999999"}, htmx=True,
        headers={"HX-Target": f"question-{scale.question.id}"})
    assert bad_fragment.status_code == 422 and "<html" not in bad_fragment.text
    plain = browser.submit(
        f"/consultations/{cid}/responses/{response.id}/questions/{text.question.id}",
        {f"q{text.question.id}": "Changed my mind."})
    assert plain.status_code == 303
    assert responding.answers_by_question(db, response)[text.question.id].text == "Changed my mind."
    for option in single.options:
        db.refresh(option)
    assert [o.count for o in single.options] == [0, 1]

    # 5. Comments on the sections (the kernel's discussion): htmx in place, and the plain
    # form; the consultation's page shows the discussion and each section's count.
    sections = reading.sections(db, c)
    url = f"/discussions/consultation/{cid}"
    page = browser.get(f"/consultations/{cid}")
    assert 'id="comments"' in page.text and 'name="anchor_id"' in page.text
    assert 'name="publication"' in page.text
    posted = browser.submit(url, {"body": "Plant oaks, not poplars.", "publication": "named",
                                  "anchor_id": str(sections[1].id)},
                            htmx=True, headers={"HX-Target": "comments"})
    assert posted.status_code == 200 and "Plant oaks" in posted.text
    assert "<html" not in posted.text and 'id="comments"' in posted.text
    top = db.exec(select(Comment).where(Comment.subject_type == "consultation")).one()
    assert top.anchor_id == sections[1].id
    replied = browser.submit(url, {"body": "And maples.", "parent_id": str(top.id),
                                   "publication": "anonymous"})
    assert replied.status_code == 303
    empty = browser.submit(url, {"body": " ", "publication": "named",
                                 "anchor_id": str(sections[1].id)})
    assert empty.status_code == 422
    nowhere = browser.submit(url, {"body": "About nothing", "publication": "named"})
    assert nowhere.status_code == 422
    assert browser.submit(url, {"body": "Odd", "publication": "shouted",
                                "anchor_id": str(sections[1].id)}).status_code == 422
    outsider = make_client().login(make_resident(db, make_community(db)))
    assert outsider.submit(url, {"body": "I live elsewhere", "publication": "named",
                                 "anchor_id": str(sections[1].id)}).status_code == 403
    shown = anonymous.get(f"/consultations/{cid}").text
    # The section each comment is on, and the anonymous reply (the page is in Ukrainian).
    assert f"До частини {sections[1].number}. {sections[1].title}" in shown
    assert "Анонімно" in shown
    filtered = anonymous.get(f"/consultations/{cid}?anchor={sections[0].id}")
    assert "Plant oaks" not in filtered.text
    assert "Plant oaks" in anonymous.get(f"/consultations/{cid}?anchor={sections[1].id}").text

    # 6. A moderator hides the reply; the page shows why.
    reply = db.exec(select(Comment).where(Comment.parent_id == top.id)).one()
    moderator = make_client().login(make_moderator(db, place))
    assert moderator.submit(f"/comments/{reply.id}/moderation",
                            {"decision": "hide", "reason": "Off topic"}).status_code == 303
    assert "Off topic" in anonymous.get(f"/consultations/{cid}").text

    # 7. Live results: accessible charts beside tables, and the CSV.
    results = anonymous.get(f"/consultations/{cid}/results")
    assert results.status_code == 200
    check_page(results.text)
    assert results.text.count('role="img"') == 4  # categories + three choice questions
    assert "<title id=" in results.text and "<desc id=" in results.text
    assert "<th scope=\"row\">North</th>" in results.text
    exported = anonymous.get(f"/consultations/{cid}/results.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert len(rows) == 2 and "Ivanna Named" in rows[1]

    # 8. The end date passes: closed, awaiting the report; no more answers.
    close(clock, c, days_after=2)
    for b in (staff, browser):  # sessions expire when idle: log in again
        b.login(b.user)
    assert "Ivanna" in anonymous.get(f"/consultations/{cid}").text or True
    late = browser.submit(url, {"body": "Too late now", "publication": "named",
                                "anchor_id": str(sections[1].id)})
    assert late.status_code == 409
    report_page = staff.get(f"/consultations/{cid}/report")
    assert report_page.status_code == 200 and 'name="decision_url"' in report_page.text
    check_page(report_page.text)
    assert 'name="decision_url"' not in browser.get(f"/consultations/{cid}/report").text
    report_form = {"summary": "We accepted the oaks and the benches.",
                   "decision_url": "https://rada.example.org/decision/77"}
    for s in sections:
        report_form[f"s{s.id}_outcome"] = "accepted"
        report_form[f"s{s.id}_explanation"] = f"Section {s.number} kept."
    incomplete = staff.submit(f"/consultations/{cid}/report", report_form)
    assert incomplete.status_code == 422
    for view in views:
        report_form[f"r{view.question.id}_outcome"] = "partly_accepted"
        report_form[f"r{view.question.id}_explanation"] = "Partly."
    assert browser.submit(f"/consultations/{cid}/report", report_form).status_code == 403
    assert staff.submit(f"/consultations/{cid}/report", report_form).status_code == 303
    obligation = accountability.find(db, OBLIGATION_KIND, "consultation", cid)
    assert accountability.status_of(obligation) == ObligationStatus.answered_on_time
    assert reading.phase(c) == Phase.reported

    # 9. The participant rates once; the aggregate is public.
    shown = browser.get(f"/consultations/{cid}/report")
    assert 'name="value"' in shown.text
    check_page(shown.text)
    assert browser.submit(f"/consultations/{cid}/rating", {"value": "partly"}
                          ).status_code == 303
    assert browser.submit(f"/consultations/{cid}/rating", {"value": "yes"}).status_code == 409
    db.refresh(c)
    assert c.rating_partly == 1
    assert anonymous.get(f"/consultations/{cid}/report").status_code == 200


def test_list_page_filters_and_shows_drafts_only_to_their_officials(db, clock, place, client):
    published = make_consultation(db, place, title="Published consultation")
    draft = make_consultation(db, place, publish=False, title="A draft in the works")
    page = client.get(f"/consultations?community={place.community.slug}")
    assert page.status_code == 200
    check_page(page.text)
    assert published.title in page.text and draft.title not in page.text
    client.login(official_of(db, draft))
    assert draft.title in client.get("/consultations").text
    assert draft.title not in client.get("/consultations?phase=open").text
    assert published.title in client.get("/consultations?phase=open").text
    assert published.title not in client.get("/consultations?phase=closed").text


def test_organisation_registration_verification_and_answer(db, clock, place, make_client):
    c = make_consultation(db, place)
    owner = make_resident(db, place)
    browser = make_client().login(owner)
    assert browser.get("/consultations/organisations").status_code == 200
    form = {"community_id": str(place.community.id), "name": "Clean River",
            "category": "ngo", "code": "12345678"}
    assert browser.submit("/consultations/organisations", form).status_code == 303
    duplicate = browser.submit("/consultations/organisations", form)
    assert duplicate.status_code == 422
    org = organisations.organisations_of(db, owner)[0]
    assert not org.verified
    assert browser.submit(f"/consultations/organisations/{org.id}/verify").status_code == 403
    official = make_client().login(make_official(db, place))
    queue = official.get("/consultations/organisations/review")
    assert queue.status_code == 200 and "Clean River" in queue.text
    check_page(queue.text)
    assert official.submit(f"/consultations/organisations/{org.id}/verify").status_code == 303
    page = browser.get(f"/consultations/{c.id}/respond?as={org.id}")
    assert f'name="organisation_id" value="{org.id}"' in page.text
    views = reading.questions(db, c)
    answer = {f"q{views[0].question.id}": str(views[0].options[0].id),
              f"q{views[1].question.id}": str(views[1].options[0].id),
              "organisation_id": str(org.id), "publication": "anonymous"}
    assert browser.submit(f"/consultations/{c.id}/respond", answer).status_code == 303
    db.refresh(c)
    assert (c.ngo_count, c.resident_count) == (1, 0)


def test_edit_page_is_only_for_drafts_of_the_own_authority(db, clock, place, make_client):
    draft = make_consultation(db, place, publish=False)
    other = make_client().login(make_official(db, place, place.department))
    assert other.get(f"/consultations/{draft.id}/edit").status_code == 404
    owner = make_client().login(official_of(db, draft))
    assert owner.get(f"/consultations/{draft.id}/edit").status_code == 200
    changed = owner.submit(f"/consultations/{draft.id}/edit", {
        "title": "A better title", "summary": draft.summary, "body": "# Only\n\nOne part now.",
        "stakeholders": "", "start_date": draft.start_date.isoformat(),
        "end_date": draft.end_date.isoformat()})
    assert changed.status_code == 303
    db.refresh(draft)
    assert draft.title == "A better title"
    assert [s.title for s in reading.sections(db, draft)] == ["Only"]
    drafting.publish(db, official_of(db, draft), draft)
    assert owner.get(f"/consultations/{draft.id}/edit").status_code == 409


def test_raw_html_in_the_draft_never_reaches_the_page(db, clock, place, client):
    c = make_consultation(db, place, publish=False)
    drafting.update(db, official_of(db, c), c, ConsultationUpdate(
        body='# Part\n\n<script>alert("x")</script> <img src=x onerror=alert(1)> '
             '[link](javascript:alert(1))'))
    drafting.publish(db, official_of(db, c), c)
    html = client.get(f"/consultations/{c.id}").text
    assert "<script>alert" not in html and "<img src=x" not in html
    assert 'href="javascript:' not in html
    assert "&lt;script&gt;" in html


def test_anonymous_visitors_are_sent_to_log_in_for_forms(db, clock, place, client):
    c = make_consultation(db, place)
    page = client.get(f"/consultations/{c.id}/respond")
    assert page.status_code == 303 and "/login" in page.headers["location"]
    posted = client.submit(f"/consultations/{c.id}/respond", {"publication": "named"})
    assert posted.status_code == 401


def test_csv_respects_publication_choices_end_to_end(db, clock, place, client):
    c = make_consultation(db, place)
    respond(db, c, make_resident(db, place, name="Named Person"), text="named text")
    respond(db, c, make_resident(db, place, name="Anonymous Person"), text="anon text",
            publication="anonymous")
    respond(db, c, make_resident(db, place, name="Hidden Person"), text="hidden text",
            publication="none")
    org_owner = make_resident(db, place, name="Org Owner")
    org = make_organisation(db, place, org_owner, name="Named Org")
    respond(db, c, org_owner, organisation=org, text="org text")
    body = client.get(f"/consultations/{c.id}/results.csv").text
    assert "Named Person" in body and "named text" in body
    assert "anon text" in body and "Anonymous Person" not in body
    assert "Hidden Person" not in body and "hidden text" not in body
    assert "Named Org" in body and "Org Owner" not in body
