"""An observer reads the monitoring dashboard of a community and downloads the open data."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

pytestmark = pytest.mark.e2e


def _answered_and_overdue(site, place) -> None:
    """Two petitions of the community: one answered, one whose answer is overdue."""
    from app.accountability.models import Obligation
    from petitions.models import Petition
    from tests.petitions.factories import make_petition

    with site.seed.place(place) as (db, found):
        answered = make_petition(db, found, "answered", title="Ремонт даху школи №3")
        waiting = make_petition(db, found, "awaiting_answer", title="Зупинка біля ринку")
        site.allow.add(answered.title, waiting.title)
        waiting_id = waiting.id
    # The deadline passes without an answer.
    past = datetime.now(UTC) - timedelta(days=1)
    with site.seed.session() as db:
        from sqlmodel import select

        obligation = db.exec(select(Obligation).where(
            Obligation.subject_type == "petition", Obligation.subject_id == waiting_id)).one()
        obligation_id = obligation.id
    site.seed.update(Obligation, obligation_id, due_at=past)
    site.seed.update(Petition, waiting_id, answer_due_at=past)


def test_observer_reads_the_dashboard_and_downloads_the_data(site):
    t = site.t
    place = site.seed.community("monitor")
    _answered_and_overdue(site, place)
    observer = site.person("observer", site.seed.person("observer", name="Спостерігачка ГО"))

    observer.link(t("Monitoring"), within=observer.page.get_by_role("navigation").first)
    observer.see(t("Monitoring dashboard"))
    name = place.name_en if site.mode.lang == "en" else place.name
    observer.link(name)
    observer.see(t("Monitoring: %(name)s", name=name))
    figures = observer.page.locator("dl.figures")
    assert "50.0%" in figures.inner_text()  # 1 answered of 2 owed
    observer.see(t("%(answered)s answered of %(owed)s owed", answered=1, owed=2))
    overdue = figures.locator("div.card").filter(has_text=t("Overdue now")).locator("dd").first
    assert overdue.inner_text().strip() == "1"
    observer.shot("dashboard", english=True)

    observer.link(t("How each figure is computed"))
    observer.open(f"/dashboard?community={place.slug}")
    observer.link(t("Download the data"))
    observer.link(t("Data dictionary of the obligations: every column, status and figure "
                    "explained"))
    observer.open("/open-data")
    filename, body = observer.download(f"CSV ({t('Obligations and answers')})")
    rows = [r for r in csv.DictReader(io.StringIO(body.decode("utf-8-sig")))
            if r["community_slug"] == place.slug]
    assert filename.endswith(".csv")
    assert sorted(r["status"] for r in rows) == ["answered_on_time", "overdue"], rows
    site.assert_clean()
