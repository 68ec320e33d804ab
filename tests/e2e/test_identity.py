"""A resident signs in through the identity provider (a real OpenID provider on localhost),
confirms the e-mail address, is matched to the community's register of residents, and signs a
petition whose rules ask for an identity from a provider; signing in again with another e-mail
address lands on the same account."""

from __future__ import annotations

import secrets
from datetime import date
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.e2e

NAME = "Аліса Петренко"
BORN = "1990-04-05"
ADDRESS = "вул. Городоцька, 15, кв. 2"


def through_the_provider(site, person, sub: str) -> None:
    """Press the provider's button on the login page, authorise as `sub` on the provider's
    own page, and come back."""
    page = person.page
    person.open("/login")
    button = page.get_by_role("link", name=site.t("Sign in with %(provider)s",
                                                   provider="ID.GOV.UA"))
    with page.expect_navigation(url=lambda url: url.startswith(site.server.provider.issuer)):
        button.click()
    page.fill('input[name="sub"]', sub)
    with page.expect_navigation(url=lambda url: url.startswith(site.server.url)):
        page.get_by_role("button", name="Authorize").click()
    page.wait_for_load_state("load")
    person.inspect()


def test_sign_in_through_the_provider_and_sign_at_that_level(site):
    t = site.t
    tag = f"{site.mode.id}-{secrets.token_hex(3)}"
    place = site.seed.community("identity", {"petitions": {"sign_level": "provider"}})
    site.allow.add(NAME, ADDRESS)
    first, second = f"alisa-{tag}@example.org", f"alisa.work-{tag}@example.org"
    tax_id = str(3_000_000_000 + secrets.randbelow(999_999_999))
    provider = site.server.provider
    for sub, address in ((f"bankid-{tag}", first), (f"mobileid-{tag}", second)):
        provider.set_person(sub, {"email": address, "name": NAME, "birthdate": BORN,
                                  "drfocode": tax_id})

    # A petition is collecting signatures; an official uploads the register of residents,
    # which lists her.
    from tests.petitions.factories import make_petition

    with site.seed.place(place) as (db, found):
        made = make_petition(db, found, "open", title="Велодоріжка на Городоцькій")
        petition = made.id
        site.allow.add(made.title, made.text)
    clerk = site.person("official", site.seed.person("official", place))
    clerk.open(f"/communities/{place.slug}")
    clerk.link(t("Register of residents"))
    clerk.fill(t("Date of the register"), date.today().isoformat())
    clerk.field(t("Register file (CSV)")).set_input_files(files=[{
        "name": "register.csv", "mimeType": "text/csv",
        "buffer": f'full_name,birth_date,address\n{NAME},{BORN},"{ADDRESS}"\n'.encode()}])
    clerk.press(t("Upload the register"))
    clerk.see(t("Register of residents of %(name)s", name=place.name))
    assert "1" in clerk.text()

    resident = site.person("resident", login=False)
    through_the_provider(site, resident, f"bankid-{tag}")
    resident.see(NAME)  # logged in: her name in the header

    link = urlparse(site.mail_link(first))
    resident.open(f"{link.path}?{link.query}")
    resident.see(t("Thank you. Your e-mail address is confirmed."))

    resident.open(f"/communities/{place.slug}/residency")
    resident.fill(t("Your address in the community"), ADDRESS)
    resident.fill(t("Date of birth"), BORN)
    resident.press(t("Claim residency"))
    resident.see(t("You are a verified resident."))

    resident.open(f"/petitions/{petition}")
    resident.press(t("Sign the petition"), fragment="signing")
    resident.see(t("Thank you: your signature is counted."))

    # The same person through another of the provider's methods, with another e-mail address:
    # the same account, not a second one.
    again = site.person("resident, another e-mail", login=False)
    through_the_provider(site, again, f"mobileid-{tag}")
    again.open("/account")
    again.see(first)
    assert second not in again.text()
    site.assert_clean()
