"""Open data: the CSV export alone reproduces every figure of the dashboard, exactly.

The recomputation below uses only the CSV rows and the definitions published on /methodology
and /open-data/dictionary; it shares no code with app.accountability.stats.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from app.accountability import service, stats
from app.accountability.export import NAMES
from app.accountability.models import Obligation
from app.settings import get_settings

PERSONAL = ("email", "user", "author", "signer", "birth", "address", "ip", "resident", "official",
            "display", "phone")


def csv_rows(client, query: str = "") -> list[dict[str, str]]:
    response = client.get(f"/api/v1/open-data/obligations.csv{query}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    reader = csv.DictReader(io.StringIO(response.text))
    assert reader.fieldnames == NAMES  # the documented columns, in the documented order
    return list(reader)


def recompute(rows: list[dict[str, str]]) -> dict:
    """Every figure from CSV rows, by the published definitions (an obligation whose
    threshold was lost is not owed and counts in no figure)."""
    rows = [r for r in rows if r["threshold_lost_at"] == ""]
    status = [r["status"] for r in rows]
    on_time, late = status.count("answered_on_time"), status.count("answered_late")
    overdue, due_soon = status.count("overdue"), status.count("due_soon")
    answered = on_time + late
    yes = sum(int(r["rating_yes"]) for r in rows)
    partly = sum(int(r["rating_partly"]) for r in rows)
    no = sum(int(r["rating_no"]) for r in rows)
    days = sorted(int(r["answer_days"]) for r in rows if r["answer_days"] != "")
    assert len(days) == answered
    if not days:
        median = None
    elif len(days) % 2:
        median = days[len(days) // 2]
    else:
        median = (days[len(days) // 2 - 1] + days[len(days) // 2]) / 2
    return {
        "opened": len(rows), "answered_on_time": on_time, "answered_late": late,
        "overdue": overdue, "due_soon": due_soon, "rating_yes": yes, "rating_partly": partly,
        "rating_no": no, "answered": answered, "pending": status.count("pending"),
        "ratings": yes + partly + no,
        "response_rate": answered / (answered + overdue) if answered + overdue else None,
        "on_time_rate": on_time / answered if answered else None,
        "median_days": median,
        "substance_rate": yes / (yes + partly + no) if yes + partly + no else None,
    }


def grouped(rows, key) -> dict:
    groups: dict = {}
    for r in rows:
        groups.setdefault(key(r), []).append(r)
    return {k: recompute(v) for k, v in groups.items()}


def only_figures(group: dict) -> dict:
    return {k: group[k] for k in recompute([])}


def assert_board_matches(board: dict, rows: list[dict], *, all_communities: list[str]):
    rows = [r for r in rows if r["threshold_lost_at"] == ""]  # not owed: in no figure
    assert board["overall"] == recompute(rows)
    assert board["by_tool"] == grouped(rows, lambda r: r["tool"])
    assert board["by_kind"] == grouped(rows, lambda r: r["kind"])
    assert board["by_month"] == grouped(rows, lambda r: r["opened_month"])
    expected = grouped(rows, lambda r: r["community_slug"])
    for slug in all_communities:  # communities without obligations are listed too
        expected.setdefault(slug, recompute([]))
    assert {slug: only_figures(g) for slug, g in board["by_community"].items()} == expected
    by_authority = grouped(rows, lambda r: r["authority_id"])
    got = {a: only_figures(g) for a, g in board["by_authority"].items()}
    assert {a: g for a, g in got.items() if a in by_authority} == by_authority
    assert all(g == recompute([]) for a, g in got.items() if a not in by_authority)


def test_every_dashboard_figure_recomputed_from_the_csv(client, db, region):
    rows = csv_rows(client)
    assert len(rows) == 9
    api = client.get("/api/v1/dashboard").json()
    assert_board_matches(api, rows, all_communities=["alpha", "beta"])
    # The page's own computation (paged comparison, the most overdue authorities) agrees.
    page = stats.as_json(stats.dashboard(db))
    assert page["overall"] == api["overall"] and page["by_month"] == api["by_month"]
    assert page["by_community"] == api["by_community"]
    assert all(api["by_authority"][a] == g for a, g in page["by_authority"].items())


@pytest.mark.parametrize("scope", ["community=alpha", "community=beta", "tool=petitions",
                                   "tool=budget", "community=alpha&tool=consultations"])
def test_scoped_figures_recomputed_from_the_scoped_csv(client, region, scope):
    rows = csv_rows(client, "?" + scope)
    api = client.get(f"/api/v1/dashboard?{scope}").json()
    communities = ["alpha"] if "alpha" in scope else ["beta"] if "beta" in scope else [
        "alpha", "beta"]
    assert_board_matches(api, rows, all_communities=communities)


def test_csv_content_and_no_personal_data(client, db, region):
    rows = csv_rows(client)
    for row in rows:  # the export's status is the ledger's status
        obligation = db.get(Obligation, int(row["id"]))
        assert row["status"] == service.status_of(obligation).value
    by_title = {r["subject_title"]: r for r in rows}
    a1 = by_title["Item A1"]
    assert a1["community_slug"] == "alpha" and a1["tool"] == "petitions"
    assert a1["due_at"] == "2026-03-17T22:00:00Z"
    assert a1["opened_month"] == "2026-03" and a1["answer_days"] == "15"
    assert a1["status"] == "answered_on_time"
    assert a1["subject_url"] == get_settings().base_url.rstrip("/") + "/items/1"
    assert by_title["Item B2"]["opened_month"] == "2026-02"
    assert by_title["Item A3"]["answered_at"] == "" and by_title["Item A3"]["status"] == "overdue"
    assert not [n for n in NAMES if set(n.split("_")) & set(PERSONAL)]


def test_json_export_has_the_same_rows(client, region):
    data = client.get("/api/v1/open-data/obligations.json").json()
    assert data["columns"] == NAMES and data["count"] == 9
    from_csv = csv_rows(client)
    for item, row in zip(data["obligations"], from_csv, strict=True):
        assert {k: "" if v is None else str(v) for k, v in item.items()} == row


def test_unknown_scope_is_a_clear_error(client, region):
    assert client.get("/api/v1/open-data/obligations.csv?community=nowhere").status_code == 404
    response = client.get("/api/v1/dashboard?tool=weather")
    assert response.status_code == 422
    assert json.loads(response.text)


def test_the_dashboard_page_shows_the_same_figures(client, region):
    html = client.get("/dashboard?lang=en").text
    # Region 5/7, 3/5, 4/9; Alpha 4/5 and median 11.5; Beta 1/2.
    for shown in ("71.4%", "60.0%", "44.4%", "80.0%", "50.0%", "11.5"):
        assert shown in html
