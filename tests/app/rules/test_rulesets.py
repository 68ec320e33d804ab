"""Rule sets: validation, per-1,000 thresholds, versions frozen for the items opened under them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlmodel import select

from app.audit.models import AuditEntry
from app.exceptions import InvalidInput
from app.rules import service as rules
from app.rules.models import RuleSetRow
from app.rules.schema import rule_set_model
from petitions.rules import PetitionRules
from tests.factories import DEFAULT_RULES, make_admin, make_community, merge


def petition_rules(**override) -> PetitionRules:
    base = dict(DEFAULT_RULES["petitions"])
    base.pop("threshold")
    base.update(override)
    return PetitionRules.model_validate(base)


@pytest.mark.parametrize(("per_1000", "population", "expected"), [
    (2.5, 208_000, 520),
    (2.5, 1_001, 3),  # 2.5025 rounds up
    (2.5, 1_000, 3),  # 2.5 rounds up
    (1.0, 1_000, 1),
    (1.1, 100_000, 110),  # exactly 110, not 111 (binary floating point says 110.000…01)
    (8.3, 1_000_000, 8_300),
    (0.5, 10, 1),  # never fewer than one signature
    (3.0, 0, 1),
    (0.01, 717_000, 8),
])
def test_threshold_per_1000_rounds_up(per_1000, population, expected):
    assert petition_rules(threshold_per_1000=per_1000).threshold_for(population) == expected


def test_threshold_per_1000_never_rounds_an_exact_product_up():
    for tenths in range(1, 100):
        rules_ = petition_rules(threshold_per_1000=tenths / 10)
        for population in (10_000, 30_000, 100_000, 1_000_000):
            assert rules_.threshold_for(population) == population * tenths // 10_000


def test_absolute_threshold_and_its_figure_per_1000():
    absolute = petition_rules(threshold=1000)
    assert absolute.threshold_for(717_000) == 1000
    assert absolute.per_1000(717_000) == pytest.approx(1.39)
    assert absolute.per_1000(0) == 0.0
    assert petition_rules(threshold_per_1000=2.5).per_1000(208_000) == 2.5


@pytest.mark.parametrize("thresholds", [
    {"threshold": 100, "threshold_per_1000": 2.5},
    {},
])
def test_exactly_one_threshold(thresholds):
    with pytest.raises(ValidationError):
        petition_rules(**thresholds)


def test_validate_names_the_wrong_fields(db):
    data = merge(DEFAULT_RULES, {"petitions": {"collection_days": 0},
                                 "budget": {"voting_method": "dictator"}})
    with pytest.raises(InvalidInput) as caught:
        rules.validate(data)
    assert set(caught.value.fields) == {"petitions.collection_days", "budget.voting_method"}

    both = merge(DEFAULT_RULES, {"petitions": {"threshold_per_1000": 2}})
    with pytest.raises(InvalidInput) as caught:
        rules.validate(both)
    assert set(caught.value.fields) == {"petitions"}


def test_invalid_rules_write_nothing(db):
    place = make_community(db)
    bad = merge(DEFAULT_RULES, {"petitions": {"answer_deadline": {"days": 0}}})
    with pytest.raises(InvalidInput):
        rules.change(db, place.community.id, bad, None, "broken")
    with pytest.raises(InvalidInput):
        rules.change(db, place.community.id, DEFAULT_RULES, None, "")
    assert len(rules.history(db, place.community.id)) == 1


def test_a_change_is_a_new_version_and_old_items_keep_theirs(db):
    place = make_community(db)
    admin = make_admin(db)
    v1 = rules.current(db, place.community.id)
    assert v1.version == 1

    v2 = rules.change(db, place.community.id,
                      merge(DEFAULT_RULES, {"petitions": {"threshold": 50,
                                                          "answer_deadline": {"days": 20}}}),
                      admin, "Нове положення")

    assert v2.version == 2
    assert v2.id != v1.id
    assert rules.current(db, place.community.id).rules.petitions.threshold == 50
    # An item that opened under version 1 keeps reading version 1, from the database too.
    db.info.clear()
    frozen = rules.version(db, v1.id)
    assert frozen.version == 1
    assert frozen.rules.petitions.threshold == DEFAULT_RULES["petitions"]["threshold"]
    assert frozen.rules.petitions.answer_deadline.days == 10
    assert rules.version(db, v2.id).rules.petitions.answer_deadline.days == 20
    # Versions are rows that are never rewritten.
    rows = db.exec(select(RuleSetRow).where(RuleSetRow.community_id == place.community.id)
                   .order_by(RuleSetRow.version)).all()
    assert [r.version for r in rows] == [1, 2]
    assert rows[0].data["petitions"]["threshold"] == DEFAULT_RULES["petitions"]["threshold"]
    assert rows[1].author_id == admin.id and rows[1].reason == "Нове положення"


def test_every_change_is_audited(db):
    place = make_community(db)
    before = db.exec(select(AuditEntry).where(AuditEntry.action == "rules.changed")).all()
    rules.change(db, place.community.id, DEFAULT_RULES, make_admin(db), "Друга редакція")
    after = db.exec(select(AuditEntry).where(AuditEntry.action == "rules.changed",
                                             AuditEntry.subject_id == place.community.id)
                    ).all()
    assert len(after) == 2
    assert len(after) > len([e for e in before if e.subject_id == place.community.id])
    assert '"version":2' in after[-1].data


def test_a_version_in_force_later_is_not_current_yet(db, clock):
    place = make_community(db)
    tomorrow = clock() + timedelta(days=1)
    later = rules.change(db, place.community.id, merge(DEFAULT_RULES,
                                                        {"petitions": {"threshold": 77}}),
                         None, "З наступного дня", effective_from=tomorrow)

    assert rules.current(db, place.community.id).version == 1
    assert rules.all_current(db)[place.community.id].version == 1
    assert rules.current(db, place.community.id, at=tomorrow).version == later.version

    clock.advance(days=1, seconds=1)
    db.info.pop("rules_current", None)
    assert rules.current(db, place.community.id).rules.petitions.threshold == 77
    assert rules.all_current(db)[place.community.id].version == 2


def test_unknown_versions_and_communities_without_rules(db):
    from app.communities import service as communities
    from app.exceptions import NotFound

    with pytest.raises(NotFound):
        rules.version(db, 987_654)
    bare = communities.create_community(db, slug="bare-one", name="Без правил", population=5)
    with pytest.raises(NotFound):
        rules.current(db, bare.id)


def test_a_rule_set_is_immutable_once_loaded():
    ruleset = rule_set_model().model_validate(DEFAULT_RULES)
    with pytest.raises(ValidationError):
        ruleset.petitions.threshold = 1  # type: ignore[misc]
