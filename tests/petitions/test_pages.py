"""The petition pages: the full loop through HTML forms (no JavaScript), the htmx fragments,
errors shown in place, and what a page view costs the database."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from app import clock as app_clock
from petitions.models import Petition
from tests.factories import (
    make_community,
    make_moderator,
    make_official,
    make_resident,
)
from tests.petitions.factories import make_petition, sign_to_threshold
from tests.petitions.helpers import count, obligation, signatures, stored

ID_RE = re.compile(r"^/petitions/(\d+)\?done=")


def _text(length: int) -> str:
    return ("Просимо відремонтувати тротуар на вулиці Садовій від школи до зупинки. " * 5)[
        :length]


def test_the_whole_loop_through_the_pages(db, clock, make_client):
    place = make_community(db, rules_override={"petitions": {"sponsors_required": 1,
                                                             "threshold": 2}})
    author, sponsor = make_resident(db, place), make_resident(db, place)
    signers = [make_resident(db, place), make_resident(db, place)]
    moderator, official = make_moderator(db, place), make_official(db, place)
    db.commit()
    browser = {name: make_client().login(person) for name, person in [
        ("author", author), ("sponsor", sponsor), ("moderator", moderator),
        ("official", official), ("first", signers[0]), ("second", signers[1])]}
    anonymous = make_client()
    db.commit()

    # Draft: the form, then submit at once.
    form = browser["author"].get("/petitions/new")
    assert form.status_code == 200 and 'name="title"' in form.text
    created = browser["author"].submit("/petitions", {
        "community_id": place.community.id, "authority_id": place.council.id,
        "title": "Відремонтувати тротуар на Садовій", "text": _text(200),
        "category": "transport", "action": "submit"})
    assert created.status_code == 303, created.text
    petition_id = int(ID_RE.match(created.headers["location"]).group(1))
    page = f"/petitions/{petition_id}"
    assert stored(db, petition_id).status == "sponsoring"

    # Sponsors: the shared link.
    assert "Підтримати петицію" in browser["sponsor"].get(page).text
    assert browser["sponsor"].submit(f"{page}/sponsor").status_code == 303
    assert stored(db, petition_id).status == "moderation"

    # Moderation.
    queue = browser["moderator"].get("/petitions/moderation")
    assert "Відремонтувати тротуар на Садовій" in queue.text
    assert anonymous.get(page).status_code == 404
    assert browser["moderator"].submit(f"{page}/publish").status_code == 303
    assert stored(db, petition_id).status == "open"

    # Collection: htmx signing returns only the counter block.
    fragment = browser["first"].submit(f"{page}/sign", {"public_name": "true"}, htmx=True,
                                       headers={"HX-Target": "signing"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and 'id="signing"' in fragment.text
    assert '<strong id="signature-count">1</strong>' in fragment.text
    assert "Відкликати мій підпис" in fragment.text
    # Without JavaScript: a redirect back to the page.
    plain = browser["second"].submit(f"{page}/sign")
    assert plain.status_code == 303 and plain.headers["location"].endswith("#signing")
    row = stored(db, petition_id)
    assert (row.status, row.signature_count) == ("awaiting_answer", 2)
    assert obligation(db, petition_id) is not None

    # Answer by the addressed authority.
    assert "Оприлюднити відповідь" in browser["official"].get(page).text
    answered = browser["official"].submit(f"{page}/answer", {
        "decision": "supported", "text": "Рада підтримує петицію: ремонт у травні.",
        "planned_steps": "Кошторис; тендер; ремонт.", "planned_by": "2026-05-31"})
    assert answered.status_code == 303, answered.text
    assert stored(db, petition_id).status == "answered"

    # Rating by a signer, then an implementation update.
    assert browser["first"].submit(f"{page}/rate", {"value": "yes"}).status_code == 303
    assert obligation(db, petition_id).rating_yes == 1
    update = browser["official"].submit(f"{page}/updates", {
        "status": "in_progress", "text": "Підрядника обрано, роботи почнуться 4 травня.",
        "happened_on": "2026-03-02"})
    assert update.status_code == 303, update.text

    public = anonymous.get(page).text
    assert "Рада підтримує петицію: ремонт у травні." in public
    assert "Підрядника обрано" in public
    assert "Відповідь надано" in public
    assert signers[0].display_name in public  # consented
    assert signers[1].display_name not in public  # did not
    listing = anonymous.get("/petitions?status=answered").text
    assert "Відремонтувати тротуар на Садовій" in listing


def test_form_errors_are_shown_in_place(db, client):
    place = make_community(db, rules_override={"petitions": {"title_max": 40}})
    author = make_resident(db, place)
    db.commit()
    client.login(author)
    db.commit()
    response = client.submit("/petitions", {
        "community_id": place.community.id, "authority_id": place.council.id,
        "title": "Т" * 41, "text": "", "category": "", "action": "submit"})
    assert response.status_code == 422
    assert "Назва має містити від 10 до 40 символів." in response.text
    assert "Це поле обов’язкове." in response.text
    assert 'aria-invalid="true"' in response.text
    assert count(db, Petition) == 0


def test_a_second_signature_is_refused_in_place(db, clock, client):
    place = make_community(db)
    petition = make_petition(db, place, "open")
    signer = make_resident(db, place)
    db.commit()
    client.login(signer)
    db.commit()
    assert client.submit(f"/petitions/{petition.id}/sign").status_code == 303
    db.commit()
    again = client.submit(f"/petitions/{petition.id}/sign", htmx=True,
                          headers={"HX-Target": "signing"})
    assert again.status_code == 409
    assert "Ви вже підписали цю петицію." in again.text and "<html" not in again.text
    page = client.submit(f"/petitions/{petition.id}/sign")
    assert page.status_code == 409 and "<h1>" in page.text
    assert stored(db, petition.id).signature_count == 1 == signatures(db, petition.id)


@pytest.mark.parametrize("who,path,data,status", [
    ("resident", "answer", {"decision": "supported", "text": "Відповідь не від органу."}, 403),
    ("department", "answer", {"decision": "supported", "text": "Відповідь іншого органу."},
     403),
    ("resident", "rate", {"value": "yes"}, 403),
    ("anonymous", "sign", {}, 401),
])
def test_wrong_people_are_refused(db, clock, make_client, who, path, data, status):
    place = make_community(db)
    state = "awaiting_answer" if path == "answer" else "answered" if path == "rate" else "open"
    petition = make_petition(db, place, state)
    people = {"resident": make_resident(db, place),
              "department": make_official(db, place, authority=place.department)}
    db.commit()
    browser = make_client()
    if who != "anonymous":
        browser.login(people[who])
    db.commit()
    before = stored(db, petition.id)
    response = browser.submit(f"/petitions/{petition.id}/{path}", data)
    assert response.status_code == status
    after = stored(db, petition.id)
    assert (after.status, after.signature_count) == (before.status, before.signature_count)


def test_the_list_answers_htmx_with_results_only(db, clock, client):
    place = make_community(db, slug="sadova")
    make_petition(db, place, "open", title="Лавки у сквері на Садовій")
    make_petition(db, place, "open", title="Ремонт даху бібліотеки")
    db.commit()
    full = client.get("/petitions?q=лавки")
    assert full.status_code == 200 and "<html" in full.text
    assert "Лавки у сквері" in full.text and "Ремонт даху" not in full.text
    fragment = client.get("/petitions?q=ремонт", headers={"HX-Request": "true",
                                                          "HX-Target": "results"})
    assert "<html" not in fragment.text and 'id="results"' in fragment.text
    assert "Ремонт даху" in fragment.text and "Лавки у сквері" not in fragment.text
    boosted = client.get("/petitions?community=sadova", headers={"HX-Request": "true",
                                                                 "HX-Boosted": "true"})
    assert "<html" in boosted.text  # a boosted navigation gets the whole page
    assert client.get("/petitions?status=draft").status_code == 422
    assert client.get("/petitions?community=nowhere").status_code == 404


def test_similar_petitions_fragment(db, clock, client):
    place = make_community(db)
    make_petition(db, place, "open", title="Зупинка громадського транспорту біля ринку")
    db.commit()
    found = client.get(f"/petitions/similar?q=зупинка біля&community_id={place.community.id}")
    assert "Зупинка громадського транспорту" in found.text and "<html" not in found.text
    typed = client.get("/petitions/similar", params={"title": "Нова зупинка",
                                                     "community_id": place.community.id},
                       headers={"HX-Request": "true", "HX-Target": "similar"})
    assert "Зупинка громадського транспорту" in typed.text
    assert "Зупинка" not in client.get("/petitions/similar?q=лікарня").text


def test_paper_signature_pages(db, clock, make_client):
    place = make_community(db)
    petition = make_petition(db, place, "open")
    official, resident = make_official(db, place), make_resident(db, place)
    db.commit()
    staff, other = make_client().login(official), make_client().login(resident)
    db.commit()
    assert other.get(f"/petitions/{petition.id}/paper").status_code == 403
    assert staff.get(f"/petitions/{petition.id}/paper").status_code == 200
    entry = {"full_name": "Ганна Іваненко", "birth_date": "1950-02-03",
             "address": "вул. Садова, 3"}
    done = staff.submit(f"/petitions/{petition.id}/paper", entry)
    assert done.status_code == 303 and done.headers["location"].endswith("recorded=1")
    db.commit()
    again = staff.submit(f"/petitions/{petition.id}/paper", {**entry, "full_name":
                                                             "ганна  ІВАНЕНКО"})
    assert again.status_code == 409 and "Ця особа вже підписала цю петицію." in again.text
    bad = staff.submit(f"/petitions/{petition.id}/paper", {**entry, "birth_date": "03.02.1950"})
    assert bad.status_code == 422 and "РРРР-ММ-ДД" in bad.text
    assert stored(db, petition.id).signature_count == 1


def test_signer_list_shows_only_consenting_names(db, clock, client):
    from petitions.service import signing

    place = make_community(db, rules_override={"petitions": {"threshold": 100}})
    petition = make_petition(db, place, "open")
    named = make_resident(db, place, name="Оксана Публічна")
    hidden = make_resident(db, place, name="Петро Прихований")
    signing.sign(db, named, petition.id, public_name=True)
    signing.sign(db, hidden, petition.id)
    db.commit()
    for path in (f"/petitions/{petition.id}", f"/petitions/{petition.id}/signers"):
        text = client.get(path).text
        assert "Оксана Публічна" in text and "Петро Прихований" not in text


def test_a_page_view_is_three_queries_and_counts_nothing(db, clock, client, engine):
    from petitions.models import AnswerCreate, UpdateCreate
    from petitions.service import outcome, signing

    place = make_community(db)
    petition = make_petition(db, place, "open")
    signing.sign(db, make_resident(db, place), petition.id, public_name=True)
    sign_to_threshold(db, place, petition)
    official = make_official(db, place)
    outcome.answer(db, official, petition.id, AnswerCreate(
        decision="supported", text="Рада підтримує петицію повністю і виконає її."))
    for n in range(3):
        outcome.post_update(db, official, petition.id, UpdateCreate(
            status="in_progress", text=f"Крок номер {n} виконано."))
    db.commit()
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(f"/petitions/{petition.id}")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # The petition (with community and authority), its outcome, the named signers, and the
    # first page of its discussion (app.deliberation: one query, no count).
    assert len(selects) == 4, selects
    assert not any("count(" in s.lower() for s in statements)
    assert response.text.count("Крок номер") == 3


def test_closed_on_read_page(db, clock, client):
    place = make_community(db)
    petition = make_petition(db, place, "open")
    db.commit()
    clock.set(app_clock.aware(petition.collection_ends_at))
    page = client.get(f"/petitions/{petition.id}").text
    assert "Закрито" in page and "Підписати петицію" not in page


@pytest.fixture
def english_msgids():
    """Our msgids long enough to recognise, without placeholders, translated differently."""
    from babel.messages.pofile import read_po

    from app.settings import ROOT

    with (ROOT / "petitions/locale/uk/LC_MESSAGES/messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="uk")
    return [m.id for m in catalog if m.id and isinstance(m.id, str) and len(m.id) >= 12
            and "%(" not in m.id and "{" not in m.id and m.string != m.id]


STATES = ("draft", "sponsoring", "moderation", "open", "awaiting_answer", "answered",
          "closed", "rejected")


@pytest.mark.parametrize("state", STATES)
def test_every_page_in_both_languages(db, clock, make_client, english_msgids, state):
    import html

    place = make_community(db, rules_override={"petitions": {"sponsors_required": (
        1 if state == "sponsoring" else 0)}})
    author, moderator = make_resident(db, place), make_moderator(db, place)
    official = make_official(db, place)
    petition = make_petition(db, place, state, author=author, moderator=moderator,
                             official=official, clock=clock)
    db.commit()
    viewers = {"author": make_client().login(author),
               "moderator": make_client().login(moderator),
               "official": make_client().login(official), "anonymous": make_client()}
    db.commit()
    paths = [f"/petitions/{petition.id}"]
    if state in ("draft", "open"):
        paths += ["/petitions", "/petitions/new", "/petitions/mine", "/petitions/moderation",
                  f"/petitions/{petition.id}/signers", f"/petitions/{petition.id}/paper",
                  f"/petitions/{petition.id}/edit"]
    seen = 0
    for who, browser in viewers.items():
        for path in paths:
            uk = browser.get(f"{path}?lang=uk")
            en = browser.get(f"{path}?lang=en")
            assert uk.status_code == en.status_code
            if uk.status_code != 200:
                assert uk.status_code in (303, 403, 404, 409), (who, path, uk.status_code)
                continue
            seen += 1
            assert uk.text.count("<h1") == 1 and en.text.count("<h1") == 1, (who, path)
            assert '<html lang="uk">' in uk.text and '<html lang="en">' in en.text
            leaks = [m for m in english_msgids if html.escape(m) in uk.text]
            assert not leaks, (who, path, leaks)
    assert seen >= (2 if state in ("draft", "moderation") else 4)
