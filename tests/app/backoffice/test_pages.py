"""The back office in the browser (no JavaScript): a region's administrator connects a
community, appoints its administrator, who sets it up and staffs it; refused input is shown
again with its message and nothing is written; a role taken away is gone at once."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import select

from app import clock
from app.audit.models import AuditEntry
from app.communities import repository as repo
from app.communities.models import Community, Staff, StaffRole
from app.rules.models import Holiday
from tests.factories import (
    make_admin,
    make_community,
    make_community_admin,
    make_official,
    make_region,
    make_region_admin,
    make_resident,
    make_user,
)


def audit_actions(db, action: str) -> list[dict]:
    return [json.loads(e.data) if isinstance(e.data, str) else e.data
            for e in db.exec(select(AuditEntry).where(AuditEntry.action == action)
                             .order_by(AuditEntry.id))]


def test_connect_set_up_and_staff_a_community_from_the_browser(client, make_client, db):
    operator = make_admin(db)
    region_admin = make_user(db, name="Оксана Регіональна")
    future_admin = make_user(db, name="Богдан Адміністратор", email="bohdan@example.org")
    future_official = make_user(db, name="Ірина Посадовиця", email="iryna@example.org")

    # The operator creates the region and appoints its administrator.
    client.login(operator)
    created = client.submit("/backoffice/regions", {"slug": "lvivska", "name": "Львівська",
                                                    "name_en": "Lviv"})
    assert created.status_code == 303
    assert created.headers["location"].startswith("/backoffice/regions/lvivska")
    appointed = client.submit("/backoffice/regions/lvivska/admins",
                              {"email": region_admin.email, "reason": "Наказ ОДА № 12"})
    assert appointed.status_code == 303

    # The region's administrator connects a community and appoints its administrator.
    officer = make_client().login(region_admin)
    connected = officer.submit("/backoffice/regions/lvivska/communities", {
        "community_slug": "zymna-voda", "name": "Зимновідська громада",
        "name_en": "Zymna Voda", "population": "21000", "default_language": "uk"})
    assert connected.status_code == 303, connected.text
    assert connected.headers["location"].startswith("/backoffice/communities/zymna-voda")
    community = db.exec(select(Community).where(Community.slug == "zymna-voda")).one()
    assert community.region_id is not None
    page = officer.get("/backoffice/communities/zymna-voda")
    assert page.status_code == 200
    assert "Зимновідська громада" in page.text
    assert officer.submit("/backoffice/communities/zymna-voda/staff", {
        "email": "bohdan@example.org", "role": "administrator", "authority_id": "",
        "reason": "Рішення сесії № 3"}).status_code == 303

    # Its administrator sets it up: a district, a council, an official, a holiday.
    admin = make_client().login(future_admin)
    assert admin.submit("/backoffice/communities/zymna-voda/districts", {
        "district_slug": "birky", "name": "Бірківський округ"}).status_code == 303
    assert admin.submit("/backoffice/communities/zymna-voda/authorities", {
        "name": "Зимновідська селищна рада", "kind": "council"}).status_code == 303
    council = repo.authorities(db, community.id)[0]
    assert admin.submit("/backoffice/communities/zymna-voda/staff", {
        "email": "iryna@example.org", "role": "official", "authority_id": str(council.id),
        "reason": "Розпорядження голови № 7"}).status_code == 303
    day = (clock.today() + timedelta(days=20)).isoformat()
    assert admin.submit("/backoffice/communities/zymna-voda/holidays", {
        "day": day, "name": "День громади"}).status_code == 303
    shown = admin.get("/backoffice/communities/zymna-voda?done=holiday")
    assert "Бірківський округ" in shown.text
    assert "Ірина Посадовиця" in shown.text
    assert "День громади" in shown.text

    # Everyone sees who holds the public roles; the reasons are in the audit log.
    public = make_client().get("/communities/zymna-voda/roles")
    assert public.status_code == 200
    assert "Ірина Посадовиця" in public.text and "Богдан Адміністратор" in public.text
    assert "iryna@example.org" not in public.text
    reasons = {d.get("reason") for d in audit_actions(db, "role.granted")}
    assert {"Наказ ОДА № 12", "Рішення сесії № 3", "Розпорядження голови № 7"} <= reasons
    region_page = make_client().get("/regions/lvivska")
    assert "Зимновідська громада" in region_page.text

    # The new official's role works at once: the inbox opens.
    assert make_client().login(future_official).get("/inbox").status_code == 200


def test_refused_input_is_shown_again_and_nothing_is_written(client, db):
    region = make_region(db, slug="ternopilska")
    officer = make_region_admin(db, region)
    place = make_community(db, slug="taken-slug")
    client.login(officer)
    before = len(db.exec(select(Community)).all())

    taken = client.submit("/backoffice/regions/ternopilska/communities", {
        "community_slug": "taken-slug", "name": "Друга", "population": "10"})
    assert taken.status_code == 409
    assert "вже існує" in taken.text
    malformed = client.submit("/backoffice/regions/ternopilska/communities", {
        "community_slug": "Bad Slug!", "name": "Громада", "population": "10"})
    assert malformed.status_code == 422
    assert 'aria-invalid="true"' in malformed.text
    negative = client.submit("/backoffice/regions/ternopilska/communities", {
        "community_slug": "good-slug", "name": "Громада", "population": "-5"})
    assert negative.status_code == 422
    assert "не може бути від’ємною" in negative.text
    assert len(db.exec(select(Community)).all()) == before

    # A region's administrator has no say over a community outside the region.
    assert client.get(f"/backoffice/communities/{place.community.slug}").status_code == 403


def test_grants_outside_scope_above_ones_own_or_to_nobody_are_refused(client, db):
    region = make_region(db)
    place = make_community(db)
    place.community.region_id = region.id
    db.add(place.community)
    admin = make_community_admin(db, place)
    person = make_user(db, email="nastia@example.org")
    client.login(admin)
    slug = place.community.slug

    above = client.submit(f"/backoffice/communities/{slug}/staff", {
        "email": "nastia@example.org", "role": "administrator", "reason": "Спроба підвищення"})
    assert above.status_code == 403
    unknown = client.submit(f"/backoffice/communities/{slug}/staff", {
        "email": "nobody@example.org", "role": "moderator", "reason": "Причина важлива"})
    assert unknown.status_code == 422
    no_reason = client.submit(f"/backoffice/communities/{slug}/staff", {
        "email": "nastia@example.org", "role": "moderator", "reason": ""})
    assert no_reason.status_code == 422
    other = make_community(db)
    foreign = client.submit(f"/backoffice/communities/{slug}/staff", {
        "email": "nastia@example.org", "role": "official",
        "authority_id": str(other.council.id), "reason": "Чужа рада"})
    assert foreign.status_code == 422
    assert repo.staff_of(db, person.id) == []

    # Revoking the community's last administrator is refused: someone must run it.
    own = db.exec(select(Staff).where(Staff.user_id == admin.id)).one()
    operator = make_admin(db)
    client.login(operator)
    last = client.submit(f"/backoffice/communities/{slug}/staff/{own.id}/revoke",
                         {"reason": "Звільнення з посади"})
    assert last.status_code == 409
    assert db.get(Staff, own.id) is not None


def test_a_holiday_in_the_past_is_refused(client, db):
    place = make_community(db)
    admin = make_community_admin(db, place)
    client.login(admin)
    past = client.submit(f"/backoffice/communities/{place.community.slug}/holidays", {
        "day": (clock.today() - timedelta(days=1)).isoformat(), "name": "Вчора"})
    assert past.status_code == 422
    today = client.submit(f"/backoffice/communities/{place.community.slug}/holidays", {
        "day": clock.today().isoformat(), "name": "Сьогодні"})
    assert today.status_code == 422
    assert db.exec(select(Holiday).where(Holiday.community_id == place.community.id)
                   ).all() == []


def test_a_revoked_role_is_gone_at_the_next_request_session_and_token(client, db):
    from app.identity import service as identity

    place = make_community(db)
    admin = make_community_admin(db, place)
    official = make_official(db, place)
    _, raw = identity.create_token(db, official, "script")
    client.login(official)
    assert client.get("/inbox").status_code == 200
    assert client.get("/api/v1/inbox", headers=client.api(raw)).status_code == 200

    staff = db.exec(select(Staff).where(Staff.user_id == official.id,
                                        Staff.role == StaffRole.official)).one()
    from tests.browser import Browser

    boss = Browser(client.app, db).login(admin)
    revoked = boss.submit(f"/backoffice/communities/{place.community.slug}/staff/{staff.id}"
                          "/revoke", {"reason": "Перехід на іншу роботу"})
    assert revoked.status_code == 303
    assert client.get("/inbox").status_code == 403
    assert client.get("/api/v1/inbox", headers=client.api(raw)).status_code == 403
    assert audit_actions(db, "role.revoked")[-1]["reason"] == "Перехід на іншу роботу"


def test_the_back_office_is_closed_to_residents(client, db):
    place = make_community(db)
    resident = make_resident(db, place)
    client.login(resident)
    assert client.get("/backoffice").status_code == 403
    assert client.get(f"/backoffice/communities/{place.community.slug}").status_code == 403
    assert client.submit("/backoffice/regions", {"slug": "x-region", "name": "Х"}
                         ).status_code == 403
