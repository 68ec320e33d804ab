"""The module's migration: reversible, and exactly what the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from app.db import build_engine, transaction
from app.main import load_models
from app.migrate import downgrade, upgrade
from app.models import metadata
from tests.factories import make_community

REVISION = "0016_consultation_comments"


def _table_of(diff) -> str:
    if isinstance(diff, list):
        diff = diff[0]
    op = diff[0]
    if op in ("add_table", "remove_table"):
        return diff[1].name
    if op in ("add_column", "remove_column") or op.startswith("modify_"):
        return diff[2]
    return diff[1].table.name


def ours(name: str) -> bool:
    return name == "consultation" or name.startswith("consultation_")


def test_migration_round_trip_matches_the_models(isolated_database):
    engine = build_engine(isolated_database)
    try:
        load_models()
        expected = {t.name for t in metadata.sorted_tables if ours(t.name)}
        assert len(expected) == 15
        assert {t for t in inspect(engine).get_table_names() if ours(t)} == expected
        downgrade(isolated_database, "0003_budget")
        engine.dispose()
        assert not [t for t in inspect(engine).get_table_names() if ours(t)]
        upgrade(isolated_database, REVISION)
        engine.dispose()
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = [d for d in compare_metadata(context, metadata) if ours(_table_of(d))]
        assert diffs == []
    finally:
        engine.dispose()


def test_consultation_comments_move_into_the_kernels_table_and_back(isolated_database, clock):
    """0016 copies every consultation comment into deliberation_comment (threads, sections,
    organisations, publication, a moderator's hiding) and its downgrade copies them back."""
    from consultations.service import discussion, reading
    from tests.consultations.factories import comment, make_consultation, make_organisation
    from tests.factories import make_moderator, make_resident

    engine = build_engine(isolated_database)
    try:
        with transaction(engine) as session:
            place = make_community(session)
            c = make_consultation(session, place)
            first, second = reading.sections(session, c)[:2]
            owner = make_resident(session, place, name="Olena Owner")
            org = make_organisation(session, place, owner, name="Green City")
            top = comment(session, c, make_resident(session, place, name="Ivan Named"),
                          first.id, "Named, on the first section")
            comment(session, c, make_resident(session, place), None, "A private reply",
                    parent_id=top.id, publication="unpublished")
            comment(session, c, owner, second.id, "For the organisation", voice_id=org.id)
            hidden = comment(session, c, make_resident(session, place), second.id,
                             "Rude words", publication="anonymous")
            discussion.hide_comment(session, make_moderator(session, place), c, hidden.id,
                                    "Insults others")
            cid, sections, community_id = c.id, (first.id, second.id), c.community_id
        downgrade(isolated_database, "0015_synopsis_sections")
        engine.dispose()
        with engine.connect() as conn:
            old = conn.execute(text(
                "SELECT id, consultation_id, section_id, parent_id, organisation_id, "
                "publication, body, hidden_reason, hidden_at FROM consultation_comment "
                "ORDER BY id")).all()
            left = conn.execute(text("SELECT count(*) FROM deliberation_comment WHERE "
                                     "subject_type = 'consultation'")).scalar_one()
        assert left == 0
        assert [(r.consultation_id, r.section_id, r.organisation_id, r.publication, r.body,
                 r.hidden_reason) for r in old] == [
            (cid, sections[0], None, "named", "Named, on the first section", None),
            (cid, sections[0], None, "none", "A private reply", None),
            (cid, sections[1], org.id, "named", "For the organisation", None),
            (cid, sections[1], None, "anonymous", "Rude words", "Insults others")]
        assert old[1].parent_id == old[0].id and old[3].hidden_at is not None

        upgrade(isolated_database, REVISION)
        engine.dispose()
        with engine.connect() as conn:
            assert "consultation_comment" not in inspect(conn).get_table_names()
            new = conn.execute(text(
                "SELECT id, subject_id, community_id, anchor_id, parent_id, voice_id, "
                "publication, body, state, public_reason, reply_count FROM "
                "deliberation_comment WHERE subject_type = 'consultation' ORDER BY id")).all()
            cases = conn.execute(text(
                "SELECT subject_id, decision, public_reason, hidden FROM deliberation_case "
                "WHERE subject_type = 'comment'")).all()
        assert [(r.subject_id, r.community_id, r.anchor_id, r.voice_id, r.publication,
                 r.body, r.state, r.public_reason) for r in new] == [
            (cid, community_id, sections[0], None, "named", "Named, on the first section",
             "visible", None),
            (cid, community_id, sections[0], None, "unpublished", "A private reply",
             "visible", None),
            (cid, community_id, sections[1], org.id, "named", "For the organisation",
             "visible", None),
            (cid, community_id, sections[1], None, "anonymous", "Rude words", "hidden",
             "Insults others")]
        assert new[1].parent_id == new[0].id and new[0].reply_count == 1
        assert [(r.subject_id, r.decision, r.public_reason, bool(r.hidden)) for r in cases] == [
            (new[3].id, "hide", "Insults others", True)]
    finally:
        engine.dispose()
