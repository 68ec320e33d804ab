"""An obligation whose threshold was lost (signatures invalidated as fraud) is not owed: it
leaves every figure of the dashboard, the tracker and the monitoring pages (region-wide from
the tallies, per community or authority from the obligations, and recomputed from the CSV),
stays listed with its mark, and counts again, exactly, once its threshold is reached again."""

from __future__ import annotations

from sqlmodel import select

from app import clock
from app.accountability import repository as repo
from app.accountability import service, stats
from app.accountability.models import Obligation
from tests.app.accountability.test_open_data import assert_board_matches, csv_rows


def _obligation(db, region, label: str) -> Obligation:
    return db.get(Obligation, region.ids[label])


def _mark(db, region, *labels: str) -> None:
    for label in labels:
        o = _obligation(db, region, label)
        service.mark_threshold_lost(db, o.kind, o.subject_type, o.subject_id, clock.now())


def _restore(db, region, *labels: str) -> None:
    for label in labels:
        o = _obligation(db, region, label)
        service.restore_threshold(db, o.kind, o.subject_type, o.subject_id)


def _figures(db, region) -> dict:
    return {"region": stats.as_json(stats.dashboard(db, per_page=None,
                                                    authorities_limit=None)),
            "alpha": stats.as_json(stats.dashboard(db, community=region.a.community)),
            "beta": stats.as_json(stats.dashboard(db, community=region.b.community)),
            "authority": stats.for_authority(db, region.b.council.id).overall.as_dict(),
            "communities": [r.figures.as_dict() for r in stats.for_communities(
                db, [region.a.community, region.b.community])]}


def test_a_lost_threshold_leaves_every_figure_and_comes_back_exactly(client, db, region):
    before = _figures(db, region)
    overall = before["region"]["overall"]
    # B2 is overdue; A1 was answered on time and rated yes 3, partly 1.
    _mark(db, region, "B2", "A1")
    after = _figures(db, region)
    now = after["region"]["overall"]
    assert now["opened"] == overall["opened"] - 2
    assert now["overdue"] == overall["overdue"] - 1
    assert now["answered_on_time"] == overall["answered_on_time"] - 1
    assert now["rating_yes"] == overall["rating_yes"] - 3
    assert now["rating_partly"] == overall["rating_partly"] - 1
    assert after["beta"]["overall"]["overdue"] == before["beta"]["overall"]["overdue"] - 1
    assert after["authority"]["overdue"] == before["authority"]["overdue"] - 1
    # Region-wide (tallies) and per community (obligations) agree with each other...
    assert after["region"]["by_community"]["alpha"] == after["alpha"]["by_community"]["alpha"]
    assert after["region"]["by_community"]["beta"] == after["beta"]["by_community"]["beta"]
    assert [c["opened"] for c in after["communities"]] == [
        after["region"]["by_community"][slug]["opened"] for slug in ("alpha", "beta")]
    # ...and with the CSV, which still lists the two, marked.
    rows = csv_rows(client)
    assert len(rows) == 9
    lost = {r["subject_title"] for r in rows if r["threshold_lost_at"]}
    assert lost == {"Item B2", "Item A1"}
    assert_board_matches(client.get("/api/v1/dashboard").json(), rows,
                         all_communities=["alpha", "beta"])
    assert_board_matches(client.get("/api/v1/dashboard?community=beta").json(),
                         csv_rows(client, "?community=beta"), all_communities=["beta"])
    # A full rebuild of the tallies gives what the events gave.
    repo.rebuild_stats(db)
    assert _figures(db, region) == after
    _restore(db, region, "B2", "A1")
    assert _figures(db, region) == before


def test_not_overdue_anywhere_but_still_listed(client, db, region):
    now = clock.now()
    overdue_before = repo.overdue_count(db, now)
    _mark(db, region, "B2")
    assert repo.overdue_count(db, now) == overdue_before - 1
    listed, _ = service.search(db, status="overdue", limit=50)
    assert region.ids["B2"] not in {o.id for o in listed}
    everything, _ = service.search(db, limit=50)
    assert region.ids["B2"] in {o.id for o in everything}
    b2 = _obligation(db, region, "B2")
    assert b2 not in service.attention_for(db, [b2.authority_id])
    assert b2.id not in {o.id for _u, o in repo.attention_by_official(db, now)}
    page = client.get(f"/communities/{region.b.community.slug}/obligations?lang=en").text
    assert "Item B2" in page and "Threshold lost" in page
    assert db.exec(select(Obligation).where(Obligation.threshold_lost_at.is_not(None))).all()


def test_an_answer_or_a_rating_while_lost_counts_only_when_restored(db, region):
    before = _figures(db, region)["region"]["overall"]
    _mark(db, region, "B2")
    b2 = _obligation(db, region, "B2")
    service.answer(db, b2.kind, b2.subject_type, b2.subject_id, "Late answer")
    service.record_rating(db, b2.kind, b2.subject_type, b2.subject_id, "yes")
    lost = _figures(db, region)["region"]["overall"]
    assert (lost["opened"], lost["answered"], lost["rating_yes"]) == (
        before["opened"] - 1, before["answered"], before["rating_yes"])
    _restore(db, region, "B2")
    back = _figures(db, region)["region"]["overall"]
    assert (back["opened"], back["answered_late"], back["rating_yes"], back["overdue"]) == (
        before["opened"], before["answered_late"] + 1, before["rating_yes"] + 1,
        before["overdue"] - 1)
    repo.rebuild_stats(db)
    assert _figures(db, region)["region"]["overall"] == back
