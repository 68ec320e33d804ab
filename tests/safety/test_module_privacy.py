"""Every module that stores something about a person answers the kernel's privacy hooks, and
the whole chain (download, erasure, retention purge) works with the real modules."""

from __future__ import annotations

import json

import pytest

from app.audit import service as audit
from app.models import metadata
from app.privacy import service as privacy
from tests.factories import make_user

# Module owners still have to add hooks (strict: remove the entry once the module has them).
MISSING_HOOKS: dict[str, str] = {}
PREFIX = {"petitions": "petition", "budget": "budget", "consultations": "consultation"}


def personal_tables(module_name: str) -> list[str]:
    """The module's tables with a foreign key to an account."""
    prefix = PREFIX.get(module_name, module_name)
    return sorted(name for name, table in metadata.tables.items()
                  if name.startswith(prefix) and any(
                      fk.column.table.name == "identity_user" for fk in table.foreign_keys))


def modules():
    from app.main import modules as registered

    for module in registered():
        marks = ([pytest.mark.xfail(strict=True, reason=MISSING_HOOKS[module.name])]
                 if module.name in MISSING_HOOKS else [])
        yield pytest.param(module.name, marks=marks, id=module.name)


@pytest.mark.parametrize("name", list(modules()))
def test_a_module_holding_personal_data_has_the_hooks(app, db, name):
    module = next(m for m in app.state.modules if m.name == name)
    if not personal_tables(name):
        pytest.skip(f"{name} keeps nothing about people")
    assert module.personal_data is not None, f"{name}: no personal_data hook"
    assert module.erase is not None, f"{name}: no erase hook"
    user = make_user(db)
    data = module.personal_data(db, user)
    assert isinstance(data, dict)
    json.dumps(privacy.export(db, user, [module]), default=str)
    module.erase(db, user)


def test_download_and_erasure_with_every_real_module(app, db):
    user = make_user(db, email="everything@example.org", name="Ярослава Усе")
    data = privacy.export(db, user, app.state.modules)
    assert set(data["modules"]) == {m.name for m in app.state.modules
                                    if m.personal_data is not None}
    privacy.erase_account(db, user, app.state.modules)
    db.refresh(user)
    text = json.dumps(privacy.export(db, user, app.state.modules), ensure_ascii=False,
                      default=str)
    assert "everything@example.org" not in text and "Ярослава" not in text
    audit.seal(db)
    assert audit.verify(db).ok


def test_signer_identities_are_purged_after_the_retention_period(app, db, clock, settings):
    from tests.safety.helpers import HIGH_THRESHOLD

    try:
        from petitions.service import common, signing
        from tests.petitions.factories import make_petition
    except ImportError:
        pytest.fail("the petitions module is missing")
    from sqlalchemy import text

    from tests.factories import make_community, make_resident

    place = make_community(db, rules_override=HIGH_THRESHOLD)
    petition = make_petition(db, place, "open")
    signer = make_resident(db, place, name="Назар Давній")
    signing.sign(db, signer, petition.id, True)
    count = common.get_visible(db, None, petition.id).signature_count
    make_petition(db, place, "closed", clock=clock)  # time passes: the first one closes too
    signing.close_expired(db)
    assert privacy.purge(db, None, app.state.modules).get("petitions", 0) == 0  # too early
    clock.advance(days=31 * settings.signer_retention_months + 1)
    counts = privacy.purge(db, None, app.state.modules)
    assert counts.get("petitions", 0) >= 1, counts
    db.expire_all()
    assert common.get_visible(db, None, petition.id).signature_count == count
    linked = db.execute(text("SELECT COUNT(*) FROM petition_signature WHERE petition_id = :p "
                             "AND user_id = :u"), {"p": petition.id, "u": signer.id}).scalar()
    assert linked == 0, "the signer is still linked to the signature after the retention"
    audit.seal(db)
    assert audit.verify(db).ok
