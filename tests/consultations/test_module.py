"""The module's registration: routes, nav, obligation kind, worker task, CLI, privacy hooks."""

from __future__ import annotations

from datetime import timedelta

from typer.testing import CliRunner

from app import clock as app_clock
from app.accountability.service import KINDS
from app.deliberation import service as deliberation
from app.privacy import service as privacy
from consultations.models import OBLIGATION_KIND, SUBJECT_TYPE
from consultations.module import MODULE, cli
from consultations.service import outcome, reading
from tests.consultations.factories import comment, make_consultation, respond
from tests.factories import make_community, make_resident


def test_registration(app):
    assert MODULE.name == "consultations"
    assert [(link.label, link.path) for link in MODULE.nav] == [
        ("Consultations", "/consultations")]
    assert OBLIGATION_KIND in KINDS and KINDS[OBLIGATION_KIND].tool == "consultations"
    assert outcome.close_expired in MODULE.periodic
    assert any(link.path == "/consultations" for link in app.state.nav)


def test_the_worker_task_closes_expired_consultations(db, clock):
    c = make_consultation(db, make_community(db))
    clock.set(app_clock.aware(c.ends_at) + timedelta(minutes=5))
    for task in MODULE.periodic:
        task(db)
    assert c.closed_at is not None
    assert outcome.report_obligation(db, c) is not None


def test_cli_offers_close_expired():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0 and "close-expired" in result.output


def test_personal_data_and_erasure(db, clock):
    place = make_community(db)
    c = make_consultation(db, place)
    person = make_resident(db, place, name="Halyna Erased")
    respond(db, c, person, text="my own words")
    comment(db, c, person, reading.sections(db, c)[0].id, "A named remark")
    exported = privacy.export(db, person, [MODULE])
    data = exported["modules"]["consultations"]
    assert data["responses"][0]["answers"]
    # The comment is the kernel's (app.deliberation), with its section.
    mine = exported["deliberation"]["comments"]
    assert [(m["body"], m["anchor_id"]) for m in mine] == [
        ("A named remark", reading.sections(db, c)[0].id)]
    privacy.erase_account(db, person, [MODULE])
    db.refresh(c)
    assert c.response_count == 1 and c.comment_count == 1  # still counted
    body = reading.contributions_csv(db, c)
    assert "Halyna" not in body and "my own words" in body
    view = deliberation.discussion(db, None, SUBJECT_TYPE, c.id).threads[0]
    assert view.author is None and view.comment.body == "A named remark"
