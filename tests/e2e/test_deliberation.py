"""Deliberation and moderation in a browser: a resident comments on a petition (markup shows as
text), two neighbours report it and it hides itself, a moderator hides it with a public reason,
its author appeals and another moderator keeps it, a moderator blocks a scripted account that
then cannot comment, and invalidates the signatures of its domain with exact counts after."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

RULES = {"petitions": {"threshold": 50}, "deliberation": {"reports_to_hide": 2}}
COMMENT = "Сусід з п'ятої квартири <b>шахраює</b> з підписами!"
REASON = "Звинувачення конкретної людини без доказів."
APPEAL = "Я маю докази й готовий передати їх модераторам; прошу повернути коментар."
BLOCK = "Підписи з одного скрипта: однакові адреси та час."
INVALIDATION = "Підписи скриптом з одного домену за одну хвилину."


def test_comment_report_hide_review_appeal_block_and_invalidate(site):
    from sqlmodel import select

    from app.deliberation.models import Case
    from petitions.service import signing
    from tests.factories import make_resident
    from tests.petitions.factories import TEXT, make_petition

    t, seed = site.t, site.seed
    place = seed.community("petition", RULES)
    with seed.place(place) as (db, kernel_place):
        petition = make_petition(db, kernel_place, "open")
        bots = [make_resident(db, kernel_place, email=f"bot{n}-{petition.id}@bots.example",
                              name=f"Бот {n}") for n in range(3)]
        for bot in bots:
            signing.sign(db, bot, petition.id)
        for _ in range(2):
            signing.sign(db, make_resident(db, kernel_place), petition.id)
        petition_id, title, bot_ids = petition.id, petition.title, [b.id for b in bots]
        bot_email = bots[0].email
    site.allow.add(title, TEXT, *[f"Бот {n}" for n in range(3)], "bots.example")
    path = f"/petitions/{petition_id}"

    # A resident comments; the markup in it is shown as text.
    author = site.person("author", seed.person("resident", place, name="Олена Коментаторка"))
    author.open(path)
    author.fill(t("Your comment"), COMMENT)
    author.press(t("Post the comment"), fragment="comments")
    author.open(path)
    author.see(COMMENT)
    assert author.page.locator("#comments b").count() == 0

    # Two neighbours report it: it is hidden until a moderator decides.
    for n in (1, 2):
        neighbour = site.person(f"neighbour {n}", seed.person("resident", place))
        neighbour.open(path)
        thread = neighbour.page.locator("#comments article.comment").first
        thread.locator("summary").click()
        neighbour.select(t("Why?"), t("Offensive or abusive"), within=thread)
        neighbour.press(t("Send the report"), within=thread)
        neighbour.see(t("Thank you: a moderator will look at your report."))
    neighbour.open(path)
    neighbour.see(t("Hidden after reports, until a moderator reviews it."))
    assert COMMENT not in neighbour.text()

    # A moderator reviews it in the queue and hides it with a public reason.
    moderator = site.person("moderator", seed.person("moderator", place, name="Модераторка"))
    moderator.open(f"/communities/{place.slug}/moderation")
    moderator.see(COMMENT)
    moderator.tick(t("Hide it, with a public reason"))
    moderator.fill(t("Public reason (to hide or redact)"), REASON)
    moderator.press(t("Record the decision"))
    moderator.see(t("The decision is recorded and the author is told."))
    author.open(path)
    author.see(t("Hidden by a moderator: %(reason)s", reason=REASON))

    # Its author appeals once; another moderator keeps it, and it is back.
    with seed.session() as db:
        case_id = db.exec(select(Case.id).where(Case.community_id == place.community_id)).one()
    author.open(f"/moderation/cases/{case_id}")
    author.fill(t("Why the decision is wrong (you may appeal once)"), APPEAL)
    author.press(t("Appeal"))
    author.see(t("Your appeal is sent to the moderators."))
    second = site.person("second moderator", seed.person("moderator", place))
    second.open(f"/communities/{place.slug}/moderation")
    second.see(t("Appealed by its author"))
    second.tick(t("Keep it: it breaks no rule"))
    second.press(t("Record the decision"))
    author.open(path)
    author.see(COMMENT)

    # The moderator blocks a scripted account: it cannot comment any more.
    moderator.open(f"/communities/{place.slug}/blocks?user_id={bot_ids[0]}")
    moderator.fill(t("Reason the person will see"), BLOCK)
    moderator.fill(t("Days (empty: for good)"), "30")
    moderator.press(t("Block"))
    moderator.see(t("The account is blocked."))
    moderator.see(BLOCK)
    from tests.e2e.conftest import Account

    bot = site.person("bot", Account(bot_ids[0], bot_email, "Бот 0"))
    bot.open(path)
    bot.see(BLOCK)  # why it may not comment, instead of the form

    # The moderator invalidates the signatures of the scripted domain: 5 - 3 = 2, at once.
    moderator.open(f"{path}/arrivals")
    moderator.see("bots.example")
    moderator.link("bots.example")
    moderator.fill(t("Public reason"), INVALIDATION)
    moderator.press(t("Invalidate the matching signatures"))
    moderator.see(t("{n} signatures invalidated; the signers are told.").format(n=3))
    moderator.open(path)
    assert moderator.page.locator("#signature-count").inner_text() == "2"
    site.assert_clean()


BALLOT_RULES = {"budget": {"voting_method": "approval", "max_choices": 3,
                           "project_cost_min": 1000, "project_cost_max": 100_000}}
BALLOT_INVALIDATION = "Бюлетені скриптом з одного домену за одну хвилину."


def test_a_moderator_invalidates_the_ballots_of_a_scripted_domain(site):
    from datetime import UTC, datetime, timedelta

    from budget.ballots import cast_ballot
    from tests.budget.factories import DESCRIPTION, make_cycle, make_project, review_all
    from tests.factories import make_resident

    t, seed = site.t, site.seed
    place = seed.community("budget", BALLOT_RULES)
    with seed.place(place) as (db, kernel_place):
        cycle = make_cycle(db, kernel_place)
        projects = [make_project(db, kernel_place, cycle, cost=10_000) for _ in range(2)]
        past = datetime.now(UTC) - timedelta(minutes=1)
        cycle.submission_end = past  # time passes: review, then voting
        db.add(cycle)
        db.flush()
        review_all(db, kernel_place, cycle, projects)
        cycle.review_end = cycle.voting_start = past
        db.add(cycle)
        db.flush()
        for n in range(3):
            bot = make_resident(db, kernel_place, email=f"bot{n}-{cycle.id}@bots.example",
                                name=f"Бот {n}")
            cast_ballot(db, bot, cycle, [projects[0].id], client_address="203.0.113.9")
        for _ in range(2):
            cast_ballot(db, make_resident(db, kernel_place), cycle, [projects[1].id])
        cycle_id, title = cycle.id, cycle.title
        texts = [p.title for p in projects] + [cycle.description, DESCRIPTION]
    site.allow.add(title, *texts, "bots.example", "вул. Соборна, 1")
    path = f"/budget/{cycle_id}"

    moderator = site.person("moderator", seed.person("moderator", place))
    moderator.open(path)
    moderator.link(t("How ballots arrived"))
    moderator.see("bots.example")
    moderator.link("bots.example")  # the domain goes into the form
    moderator.fill(t("Public reason"), BALLOT_INVALIDATION)
    moderator.press(t("Invalidate the matching ballots"))
    moderator.see(t("Ballots invalidated: {n}; the voters are told.").format(n=3))
    # The count drops at once, and the reason is public on the cycle's page.
    resident = site.person("resident", seed.person("resident", place))
    resident.open(path)
    resident.see(t("Vote counts are shown when voting has ended. Ballots so far: %(n)s.")
                 % {"n": 2})
    resident.see(BALLOT_INVALIDATION)
    site.assert_clean()
