"""The back office, the whole path: the operator creates a region and appoints its officer; the
officer connects a community and appoints its administrator; the administrator sets it up
(a starosta district, the council, a holiday, the first rules) and staffs it; an official of it
answers a petition from the inbox, with the signed decision document attached and the council
session recorded; everyone sees who holds the roles and the decision behind the answer."""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta

import pytest

from app import clock

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
TITLE = "Тротуар до амбулаторії в Бірках"
ANSWER = "Рада підтримує петицію: тротуар облаштують до кінця літа коштом громади."


def _first_rules(admin, slug: str) -> None:
    """The administrator writes the community's first rules in the rules editor: every field
    it shows, set to the values of the project's test rules, as typed and chosen in the
    browser."""
    from app.rules.schema import rule_set_model
    from app.rules.views import _flatten, choices, editable
    from tests.factories import DEFAULT_RULES

    values = _flatten(rule_set_model().model_validate(DEFAULT_RULES).model_dump(mode="json"))
    admin.open(f"/communities/{slug}/rules/edit")
    form = admin.page.locator(f"form[action='/communities/{slug}/rules/edit']")
    for name, _label, kind in editable():
        control = form.locator(f'[id="f-{name}"]')
        value = values.get(name)
        if kind in choices():
            control.select_option(value=str(value))
        else:
            control.fill("" if value is None else str(value))
    admin.fill(admin.t("Reason for the change"), "Положення про місцеву демократію")
    admin.press(admin.t("Record the new rules"))
    assert admin.page.url.endswith(f"/communities/{slug}/rules")


def _petition_awaiting_answer(site, slug: str) -> None:
    """What residents do elsewhere (the petitions scenario): a petition signed up to its
    threshold under the community's rules, waiting for the council's answer."""
    from sqlmodel import select

    from app.communities.models import Authority, Community
    from app.identity.models import User
    from app.rules import service as rules
    from tests.factories import Place
    from tests.petitions.factories import make_petition

    with site.seed.session() as db:
        community = db.exec(select(Community).where(Community.slug == slug)).one()
        council = db.exec(select(Authority).where(Authority.community_id == community.id)
                          ).first()
        version = rules.current(db, community.id)
        petition = make_petition(db, Place(community, council, council, version),
                                 "awaiting_answer", title=TITLE)
        # The factories' people and text are user content, the same in both languages.
        names = [u.display_name for u in db.exec(select(User))]
        site.allow.add(TITLE, petition.text, *names, *petition.text.split("\n\n"))


def test_a_community_is_connected_set_up_staffed_and_answers_from_the_inbox(site):
    t = site.t
    seed = site.seed
    tag = secrets.token_hex(3)
    operator = seed.person("admin", name="Оператор Платформи")
    officer = seed.person("resident", name="Оксана Цифрова")
    chief = seed.person("resident", name="Богдан Адміністратор")
    clerk_account = seed.person("resident", name="Ірина Секретарка")
    region_name, community_name = f"Волинська {tag}", f"Бірківська громада {tag}"
    site.allow.add(region_name, community_name, tag, f"volyn-{tag}", f"birky-{tag}", "birky",
                   "Бірківський округ",
                   "Бірківська селищна рада", "День громади", "5/12", "рішення.pdf")

    # The operator creates the region and appoints its digital-transformation officer.
    boss = site.person("operator", operator)
    boss.open("/backoffice")
    boss.fill(t("Address name (Latin letters, digits, hyphens)"), f"volyn-{tag}")
    boss.fill(t("Name in Ukrainian"), region_name)
    boss.press(t("Create the region"))
    boss.see(t("The region is created."))
    boss.fill(t("E-mail address of a registered person"), officer.email)
    boss.fill(t("Reason (goes into the audit log)"), "Наказ ОДА № 12")
    boss.press(t("Appoint an administrator of the region"))
    boss.see(t("The role is granted. It takes effect at once."))

    # The officer connects the community and appoints its administrator.
    regional = site.person("region officer", officer)
    regional.open("/backoffice")
    regional.link(region_name)
    regional.fill(t("Address name (Latin letters, digits, hyphens)"), f"birky-{tag}")
    regional.fill(t("Name in Ukrainian"), community_name)
    regional.fill(t("Population"), "8400")
    regional.press(t("Connect the community"))
    regional.see(t("The community is connected. Appoint its administrators next."))
    staff = regional.page.locator("#staff")
    regional.fill(t("E-mail address of a registered person"), chief.email, within=staff)
    regional.select(t("Role"), t("Community administrator"),
                    within=staff.locator("form[method=post]"))
    regional.fill(t("Reason (goes into the audit log)"), "Рішення сесії № 1", within=staff)
    regional.press(t("Grant the role"))
    regional.see(t("The role is granted. It takes effect at once."))
    regional.shot("backoffice-community")

    # Its administrator sets it up and appoints the council's official.
    admin = site.person("community administrator", chief)
    admin.open("/backoffice")
    admin.link(community_name)
    districts = admin.page.locator("#districts")
    admin.fill(t("Address name (Latin letters, digits, hyphens)"), "birky", within=districts)
    admin.fill(t("Name in Ukrainian"), "Бірківський округ", within=districts)
    admin.press(t("Add the district"))
    admin.see(t("The district is added."))
    authorities = admin.page.locator("#authorities")
    admin.fill(t("Name in Ukrainian"), "Бірківська селищна рада", within=authorities)
    admin.press(t("Add the authority"))
    admin.see(t("The authority is added."))
    grant = admin.page.locator("#staff form[method=post]")
    admin.fill(t("E-mail address of a registered person"), clerk_account.email, within=grant)
    admin.select(t("Role"), t("Official"), within=grant)
    admin.select(t("Authority (for an official)"), "Бірківська селищна рада", within=grant)
    admin.fill(t("Reason (goes into the audit log)"), "Розпорядження № 7", within=grant)
    admin.press(t("Grant the role"))
    admin.see(t("The role is granted. It takes effect at once."))
    holidays = admin.page.locator("#holidays")
    admin.fill(t("Day"), (date.today() + timedelta(days=60)).isoformat(), within=holidays)
    admin.fill(t("Name"), "День громади", within=holidays)
    admin.press(t("Add the holiday"))
    admin.see(t("The holiday is added."))

    _first_rules(admin, f"birky-{tag}")
    _petition_awaiting_answer(site, f"birky-{tag}")

    # The official finds the petition in the inbox, records the decision and answers.
    clerk = site.person("official", clerk_account)
    clerk.open("/inbox")
    clerk.see(TITLE)
    clerk.shot("backoffice-inbox")
    clerk.link(TITLE)
    clerk.field(t("Signed decision document (PDF)")).set_input_files(
        {"name": "рішення.pdf", "mimeType": "application/pdf", "buffer": PDF})
    clerk.fill(t("Date of the session"), clock.today().isoformat())
    clerk.fill(t("Decision number"), "5/12")
    clerk.fill(t("Votes for"), "18")
    clerk.fill(t("Votes against"), "3")
    clerk.fill(t("Abstained"), "2")
    clerk.press(t("Record the decision"))
    clerk.see(t("The decision is recorded."))
    clerk.link(t("Open the item to answer it"))
    clerk.select(t("Decision"), t("Supported"))
    clerk.fill(t("Reasoned answer"), ANSWER)
    clerk.press(t("Publish the answer"))
    clerk.see(t("The answer is published."))

    # Anyone sees who holds the roles, and the decision behind the answer.
    visitor = site.person("visitor")
    visitor.open(f"/communities/birky-{tag}/roles")
    visitor.see(clerk_account.name)
    visitor.see(chief.name)
    visitor.open(f"/communities/birky-{tag}/obligations")
    visitor.see(t("Decision document"))
    document = visitor.page.get_by_role("link", name=t("Decision document")).first
    href = document.get_attribute("href")
    assert re.fullmatch(r"/obligations/\d+/decision\.pdf", href)
    response = visitor.page.request.get(href)
    assert response.status == 200 and response.body() == PDF
    site.assert_clean()
