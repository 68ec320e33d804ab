"""A resident joins: registers, confirms the e-mail from the outbox, claims residency, and an
official of the community verifies it."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.e2e


def test_resident_registers_confirms_and_is_verified(site):
    t = site.t
    place = site.seed.community("join")
    official = site.seed.person("official", place, name="Олена Посадова")

    # Arrives from a Ukrainian browser on the home page; an English reader switches.
    resident = site.person("new resident", locale="uk-UA")
    resident.open("/")
    if site.mode.lang == "en":
        resident.link("English")
    resident.see(t("Participation in your community"))
    resident.shot("home", english=True)

    resident.link(t("Register"))
    name, address = "Марія Мешканка", "вул. Соборна, 12, кв. 3"
    email = f"maria-{site.mode.id}-{place.slug}@example.org"
    resident.fill(t("Your name"), name)
    resident.fill(t("E-mail address"), email)
    resident.fill(t("Password"), "a long phrase of words")
    resident.press(t("Register"))
    assert urlparse(resident.page.url).path == "/account"
    resident.see(t("Welcome! We sent you a link to confirm your e-mail address."))
    resident.see(t("not confirmed"))

    # The worker delivers the message into the outbox; the resident follows its link.
    link = site.mail_link(email)
    resident.open(urlparse(link).path + "?" + urlparse(link).query)
    resident.see(t("Thank you. Your e-mail address is confirmed."))
    resident.link(t("Go to your account"))
    resident.see(t("confirmed"))

    resident.link(t("Claim residency in %(name)s", name=place.name))
    resident.fill(t("Your address in the community"), address)
    resident.fill(t("Date of birth"), "1990-05-17")
    resident.press(t("Claim residency"))
    resident.see(t("Your residency claim is waiting for verification."))

    clerk = site.person("official", official)
    clerk.open(f"/communities/{place.slug}")
    clerk.link(t("Residency claims to verify"))
    row = clerk.page.get_by_role("row").filter(has_text=email)
    assert address in row.inner_text()
    clerk.press(t("Verify"), within=row)
    assert clerk.page.get_by_role("row").filter(has_text=email).count() == 0

    resident.open(f"/communities/{place.slug}")
    resident.see(t("You are a verified resident."))
    resident.link(name)  # the account page, from the header
    resident.see(t("verified resident"))
    resident.shot("account")
    site.assert_clean()
