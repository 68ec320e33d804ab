"""The public rules pages and the administrators' form that records a new version."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func
from sqlmodel import select

from app.audit.models import AuditEntry
from app.rules import service as rules
from app.rules.views import _flatten, editable
from tests.factories import make_admin, make_community, make_official, make_resident


def form_for(db, place, **changes) -> dict[str, str]:
    flat = _flatten(rules.current(db, place.community.id).rules.model_dump(mode="json"))
    form = {name: "" if flat.get(name) is None else str(flat[name]) for name, _, _ in editable()}
    form["reason"] = "Рішення ради № 12"
    form.update(changes)
    return form


def audit_count(db) -> int:
    return db.exec(select(func.count()).select_from(AuditEntry)).one()


def test_an_admin_records_a_new_version(client, db):
    place = make_community(db)
    admin = make_admin(db)
    client.login(admin)
    slug = place.community.slug
    assert client.get(f"/communities/{slug}/rules/edit").status_code == 200
    entries = audit_count(db)

    response = client.submit(f"/communities/{slug}/rules/edit",
                             form_for(db, place, **{"petitions.threshold": "",
                                                    "petitions.threshold_per_1000": "2,5",
                                                    "petitions.answer_deadline.unit":
                                                        "calendar"}))

    assert response.status_code == 303
    assert response.headers["location"] == f"/communities/{slug}/rules"
    db.info.clear()
    current = rules.current(db, place.community.id)
    assert current.version == 2
    assert current.rules.petitions.threshold is None
    assert current.rules.petitions.threshold_per_1000 == 2.5
    assert current.rules.petitions.answer_deadline.unit == "calendar"
    assert audit_count(db) == entries + 1
    entry = db.exec(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "rules.changed" and entry.subject_id == place.community.id
    page = client.get(f"/communities/{slug}/rules")
    assert "Версія 2" in page.text
    assert "Рішення ради № 12" in page.text


@pytest.mark.parametrize("role", ["resident", "official"])
def test_only_admins_change_rules(client, db, role):
    place = make_community(db)
    user = make_resident(db, place) if role == "resident" else make_official(db, place)
    client.login(user)
    slug = place.community.slug
    entries = audit_count(db)

    page = client.get(f"/communities/{slug}/rules/edit")
    response = client.submit(f"/communities/{slug}/rules/edit",
                             form_for(db, place, **{"petitions.threshold": "1"}))

    assert page.status_code == 403
    assert response.status_code == 403
    assert "Змінювати правила може лише адміністратор." in response.text
    assert len(rules.history(db, place.community.id)) == 1
    assert audit_count(db) == entries


def test_anonymous_visitors_log_in_first(client, db):
    place = make_community(db)
    db.commit()
    response = client.get(f"/communities/{place.community.slug}/rules/edit")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize(("changes", "fields"), [
    ({"petitions.collection_days": "abc"}, ["petitions.collection_days"]),
    ({"petitions.collection_days": "0", "budget.max_choices": "-3"},
     ["petitions.collection_days", "budget.max_choices"]),
    ({"petitions.answer_deadline.unit": "fortnights"}, ["petitions.answer_deadline.unit"]),
    ({"budget.project_cost_min": "900", "budget.project_cost_max": "100"},
     ["budget.project_cost_max"]),
    ({"petitions.threshold": "", "petitions.threshold_per_1000": ""}, ["petitions.threshold"]),
    ({"petitions.threshold_per_1000": "2.5"}, ["petitions.threshold"]),  # both thresholds
    ({"reason": "  "}, ["reason"]),
])
def test_invalid_rules_are_refused_with_field_errors(client, db, changes, fields):
    place = make_community(db)
    client.login(make_admin(db))
    entries = audit_count(db)

    response = client.submit(f"/communities/{place.community.slug}/rules/edit",
                             form_for(db, place, **changes))

    assert response.status_code == 422
    assert "Виправте, будь ласка, позначені поля." in response.text
    for field in fields:
        assert f'id="e-{field}"' in response.text, field
        if not field.endswith(".unit"):  # (the template's selects carry no aria-invalid)
            assert re.search(rf'id="f-{re.escape(field)}"[^>]*aria-invalid="true"',
                             response.text), field
    db.info.clear()
    assert len(rules.history(db, place.community.id)) == 1
    assert audit_count(db) == entries
    # The form comes back with what was typed.
    for name, value in changes.items():
        if name != "reason" and value.strip() and "unit" not in name:
            assert re.search(rf'id="f-{re.escape(name)}"[^>]*value="{re.escape(value)}"',
                             response.text), name


def test_section_errors_are_explained(client, db):
    place = make_community(db)
    client.login(make_admin(db))
    response = client.submit(f"/communities/{place.community.slug}/rules/edit",
                             form_for(db, place, **{"petitions.threshold_per_1000": "2"}))
    assert "Вкажіть або кількість підписів, або кількість на 1000 жителів" in response.text


def test_the_public_rules_page(client, db):
    place = make_community(db, population=20_000)
    rules.change(db, place.community.id, form_data(), None, "Друга редакція")

    page = client.get(f"/communities/{place.community.slug}/rules")

    assert page.status_code == 200
    assert "Версія 2" in page.text
    assert "Друга редакція" in page.text and "initial rules" in page.text
    assert "Днів на збір підписів" in page.text
    assert "Змінити правила" not in page.text  # only for admins
    assert client.get("/communities/no-such-place/rules").status_code == 404


def form_data():
    from tests.factories import DEFAULT_RULES, merge

    return merge(DEFAULT_RULES, {"petitions": {"threshold": 40}})


def test_the_comparison_page_shows_every_community(client, db):
    from tests.factories import DEFAULT_RULES, merge

    big = make_community(db, name="Велика громада", population=208_000, rules_override={
        "petitions": {"threshold": None, "threshold_per_1000": 2.5}})
    small = make_community(db, name="Мала громада", population=21_000, rules_override={
        "petitions": {"threshold": 100}})
    rules.change(db, small.community.id, merge(DEFAULT_RULES, {"petitions": {"threshold": 105}}),
                 None, "Третя редакція")

    page = client.get("/rules")

    assert page.status_code == 200
    rows = {m.group(1): m.group(0) for m in re.finditer(
        r'<tr>\s*<th scope="row"><a href="/communities/[^"]+/rules">([^<]+)</a></th>.*?</tr>',
        page.text, re.S)}
    assert "Велика громада" in rows and "Мала громада" in rows
    big_cells = re.findall(r'<td class="num">([^<]*)</td>', rows["Велика громада"])
    small_cells = re.findall(r'<td class="num">([^<]*)</td>', rows["Мала громада"])
    # population, signatures needed, per 1,000, days to collect, minimum age, version
    assert big_cells[:3] == ["208\u202f000", "520", "2.5"]
    assert small_cells[:3] == ["21\u202f000", "105", "5.0"]
    assert small_cells[-1] == "2"
    assert "робочих днів" in rows["Мала громада"]
    assert big.community.id != small.community.id


def test_the_api_shows_the_same_figures(client, db):
    place = make_community(db, population=208_000, rules_override={
        "petitions": {"threshold": None, "threshold_per_1000": 2.5}})
    db.commit()
    body = client.get(f"/api/v1/communities/{place.community.slug}/rules").json()
    assert body["signature_threshold"] == 520
    assert body["threshold_per_1000"] == 2.5
    assert body["version"] == 1
    every = {r["community_slug"]: r for r in client.get("/api/v1/rules").json()["items"]}
    assert every[place.community.slug]["signature_threshold"] == 520

def test_the_comparison_pages_through_every_community(client, db, monkeypatch):
    from app.rules import views

    for n in range(3):
        make_community(db, name=f"Громада {n}")
    monkeypatch.setattr(views, "RULES_PAGE", 2)
    names = set()
    for number in (1, 2):
        page = client.get(f"/rules?page={number}")
        assert page.status_code == 200
        names |= set(re.findall(r'/rules">(Громада \d)</a>', page.text))
    assert names == {"Громада 0", "Громада 1", "Громада 2"}
    assert 'rel="next"' in client.get("/rules?page=1").text
    assert client.get("/rules?page=0").status_code == 422
