"""The petition loop: a resident drafts, neighbours sponsor, a moderator publishes, residents
sign to the threshold, an official answers and the signers rate the answer."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e

RULES = {"petitions": {"threshold": 3, "sponsors_required": 2, "collection_days": 30}}
TITLE = "Освітлення на вулиці Шкільній біля зупинки"
TEXT = ("Вулиця Шкільна від школи до зупинки «Ринок» увечері зовсім темна: діти та літні люди "
        "ходять тут без світла.\n\nПросимо раду встановити шість ліхтарів до 1 жовтня.")
ANSWER = "Рада підтримує петицію: ліхтарі встановить комунальне підприємство до 1 жовтня."


def test_petition_from_draft_to_rated_answer(site):
    t = site.t
    place = site.seed.community("petition", RULES)
    seed = site.seed
    author = site.person("author", seed.person("resident", place, name="Ірина Авторка"))
    sponsors = [seed.person("resident", place, name=f"Спонсор {n}") for n in (1, 2)]
    signers = [seed.person("resident", place, name=f"Підписант {n}") for n in (1, 2, 3)]
    moderator = seed.person("moderator", place, name="Модератор Громади")
    official = seed.person("official", place, name="Посадовиця Ради")

    # The author drafts, saves, then submits.
    author.open("/petitions")
    author.link(t("Start a petition"))
    author.fill(t("Title"), TITLE)
    author.fill(t("Text"), TEXT)
    author.select(t("Category"), t("Streets, parks and public spaces"))
    author.press(t("Save the draft"))
    author.see(t("The draft is saved. Submit it when it is ready."))
    petition = re.search(r"/petitions/(\d+)", author.page.url).group(1)
    author.press(t("Submit the petition"))
    author.see(t("Sponsors: %(n)s of %(required)s", n=0, required=2))

    # Two neighbours sponsor it from the link the author shared.
    for n, account in enumerate(sponsors, 1):
        sponsor = site.person(f"sponsor {n}", account)
        sponsor.open(f"/petitions/{petition}")
        # The last sponsor sends the petition to moderation, where only its author and the
        # moderators may see it: the sponsor must still get a thank-you page, not an error.
        if sponsor.press(t("Sponsor this petition"), soft=True) < 400:
            sponsor.see(t("Thank you: you sponsor this petition."))
    author.open(f"/petitions/{petition}")
    author.see(t("In moderation"))

    # A moderator finds it in the queue and publishes it.
    mod = site.person("moderator", moderator)
    mod.open("/petitions/moderation")
    mod.link(TITLE)
    mod.press(t("Publish"))
    mod.see(t("The petition is published."))
    mod.see(t("Collecting signatures"))

    # Residents sign it up to the threshold (3); the first agrees to be named.
    people = []
    for n, account in enumerate(signers, 1):
        signer = site.person(f"signer {n}", account)
        people.append(signer)
        signer.open("/petitions")
        signer.link(TITLE)
        if n == 1:
            signer.tick(t("Show my name in the public list of signers"))
        signer.press(t("Sign the petition"), fragment="signing")
        signer.see(t("Thank you: your signature is counted."))
        if n == 1:
            signer.shot("petition-signed", phone=True)
    signer.open(f"/petitions/{petition}")
    assert signer.page.locator("#signature-count").inner_text() == "3"
    signer.see(t("Awaiting answer"))
    signer.see(signers[0].name)  # named, by consent

    # The official of the addressed council answers.
    clerk = site.person("official", official)
    clerk.open(f"/petitions/{petition}")
    clerk.select(t("Decision"), t("Supported"))
    clerk.fill(t("Reasoned answer"), ANSWER)
    clerk.press(t("Publish the answer"))
    clerk.see(t("The answer is published."))

    # Two signers rate the answer.
    for signer, rating in zip(people[:2], ("Yes, it addressed the substance", "Partly"),
                              strict=True):
        signer.open(f"/petitions/{petition}")
        signer.see(ANSWER)
        signer.tick(t(rating))
        signer.press(t("Rate the answer"))
        signer.see(t("Thank you: your rating is counted."))
    table = signer.page.get_by_role("table")
    assert table.get_by_role("row", name=re.compile(re.escape(t("Partly")))).inner_text(
        ).split()[-1] == "1"
    signer.shot("petition-answered", english=True)

    # Anyone sees it answered, in the list and on the public record of answers.
    visitor = site.person("visitor")
    visitor.open("/petitions?status=answered")
    visitor.see(TITLE)
    visitor.open("/obligations")
    site.assert_clean()
