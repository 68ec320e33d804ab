"""The `hromada` command on a database of its own: users, rules, demo data, the audit check."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlmodel import select
from typer.testing import CliRunner

from app.db import build_engine, get_engine, transaction
from app.settings import get_settings


@pytest.fixture
def cli_database(_module_database, monkeypatch):
    """Point the (cached) settings and engine at a separate database, and back afterwards.

    The module's tests share that database (they use different people).
    """
    monkeypatch.setenv("HROMADA_DATABASE_URL", _module_database)
    get_settings.cache_clear()
    get_engine.cache_clear()
    engine = build_engine(_module_database)
    yield engine
    engine.dispose()
    get_engine().dispose()
    monkeypatch.undo()
    get_settings.cache_clear()
    get_engine.cache_clear()


@pytest.fixture
def run():
    from app.cli import app

    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


def test_seed_users_rules_and_audit(cli_database, run):
    from app.communities import permissions
    from app.communities import repository as communities_repo
    from app.identity.models import User

    first = run("seed-demo")
    assert first.exit_code == 0, first.output
    assert "demo data created" in first.output
    second = run("seed-demo")
    assert second.exit_code == 0
    assert "demo data already present" in second.output

    created = run("users", "create", "new.resident@example.org", "a long pass phrase",
                  "--community", "lviv", "--verified", "--name", "Нова Мешканка",
                  "--birth-date", "1990-01-31")
    assert created.exit_code == 0, created.output
    assert "created user" in created.output
    with transaction(cli_database, write=False) as session:
        user = session.exec(select(User).where(
            User.email_canonical == "new.resident@example.org")).one()
        lviv = communities_repo.community_by_slug(session, "lviv")
        assert user.email_verified
        assert permissions.is_verified_resident(session, user, lviv.id)
        assert user.password_hash.startswith("$argon2id$")

    duplicate = run("users", "create", "New.Resident+x@example.org", "a long pass phrase")
    assert duplicate.exit_code == 1
    assert "error:" in duplicate.output

    shown = run("rules", "show", "bila-tserkva")
    assert shown.exit_code == 0
    rules = json.loads(shown.output)
    assert rules["version"] == 1
    assert rules["rules"]["petitions"]["threshold_per_1000"] == 2.5
    assert rules["signature_threshold"] == 520
    history = json.loads(run("rules", "show", "lviv", "--history").output)
    assert [h["version"] for h in history] == [1]
    missing = run("rules", "show", "atlantis")
    assert missing.exit_code == 1

    sealed = run("audit", "seal")
    assert sealed.exit_code == 0, sealed.output
    assert int(sealed.output.split()[1]) > 0  # the seed's entries, chained now
    verified = run("audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert verified.output.startswith("ok: ") and "not sealed" not in verified.output

    with cli_database.begin() as conn:
        conn.execute(text("UPDATE audit_entry SET data = :data WHERE seq = 1"),
                     {"data": '{"version":9}'})
    broken = run("audit", "verify")
    assert broken.exit_code == 1
    assert "entry 1" in broken.output


def test_user_roles_need_what_they_need(cli_database, run):
    assert run("users", "create", "x@example.org", "a long pass phrase",
               "--role", "mayor").exit_code == 2
    assert run("users", "create", "x@example.org", "a long pass phrase",
               "--role", "official").exit_code == 2
    weak = run("users", "create", "x@example.org", "password")
    assert weak.exit_code == 1
    assert "password" in weak.output.lower() or "пароль" in weak.output.lower()
    admin = run("users", "create", "boss@example.org", "a long pass phrase", "--role", "admin")
    assert admin.exit_code == 0, admin.output


def test_the_back_office_commands(cli_database, run):
    from app.communities.models import Staff

    for email in ("cli.operator@example.org", "cli.officer@example.org",
                  "cli.official@example.org"):
        role = "admin" if "operator" in email else "resident"
        assert run("users", "create", email, "a long pass phrase", "--role", role
                   ).exit_code == 0
    by = ("--by", "cli.operator@example.org")
    made = run("regions", "create", "--slug", "cli-region", "--name", "Тестова", *by)
    assert made.exit_code == 0, made.output
    assert run("regions", "appoint", "--region", "cli-region", "--email",
               "cli.officer@example.org", "--reason", "Наказ № 1", *by).exit_code == 0
    community = run("communities", "create", "--region", "cli-region", "--slug", "cli-town",
                    "--name", "Містечко", "--population", "900",
                    "--by", "cli.officer@example.org")
    assert community.exit_code == 0, community.output
    # A negative population is refused and nothing is written.
    refused = run("communities", "create", "--region", "cli-region", "--slug", "cli-other",
                  "--name", "Інше", "--population", "-1", "--by", "cli.officer@example.org")
    assert refused.exit_code == 1
    granted = run("staff", "grant", "--community", "cli-town", "--email",
                  "cli.official@example.org", "--role", "moderator", "--reason", "Для тесту",
                  "--by", "cli.officer@example.org")
    assert granted.exit_code == 0, granted.output
    unknown = run("staff", "grant", "--community", "cli-town", "--email", "ghost@example.org",
                  "--role", "moderator", "--reason", "Для тесту", *by)
    assert unknown.exit_code == 1
    with transaction(write=False) as session:
        from app.communities import repository as repo

        town = repo.community_by_slug(session, "cli-town")
        assert repo.community_by_slug(session, "cli-other") is None
        staff = session.exec(select(Staff).where(Staff.community_id == town.id)).one()
        staff_id = staff.id
    revoked = run("staff", "revoke", "--community", "cli-town", "--staff-id", str(staff_id),
                  "--reason", "Кінець тесту", *by)
    assert revoked.exit_code == 0, revoked.output
    with transaction(write=False) as session:
        assert session.get(Staff, staff_id) is None
