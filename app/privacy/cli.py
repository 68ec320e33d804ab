"""`hromada privacy ...` and `hromada audit check`: registered by app.cli through register()."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer

privacy_app = typer.Typer(help="Personal data: retention purge, export and erasure.",
                          no_args_is_help=True)


def _modules():
    from app.main import register_modules

    return register_modules()


def _moment(value: str | None) -> datetime | None:
    if not value:
        return None
    from app import clock

    return clock.aware(datetime.fromisoformat(value))


@privacy_app.command("purge")
def purge(now: Annotated[str | None, typer.Option(help="pretend it is this ISO time")] = None
          ) -> None:
    """Anonymise everything past its retention period (run it daily, e.g. from cron)."""
    from app.db import transaction
    from app.privacy import service

    with transaction() as session:
        counts = service.purge(session, _moment(now), _modules())
    typer.echo(", ".join(f"{area}: {n}" for area, n in counts.items()))


@privacy_app.command("anonymise-signers")
def anonymise_signers(now: Annotated[str | None, typer.Option(help="pretend it is this ISO "
                                                                   "time")] = None) -> None:
    """Anonymise signer identities past settings.signer_retention_months (part of purge)."""
    purge(now)


def _user(session, email: str):
    from app.identity import repository as identity_repo
    from app.identity.service import canonical_email

    user = identity_repo.user_by_canonical_email(session, canonical_email(email))
    if user is None:
        typer.echo(f"no account with the e-mail address {email}", err=True)
        raise typer.Exit(1)
    return user


@privacy_app.command("export")
def export(email: str) -> None:
    """Print everything held about an account as JSON (for a request received by post)."""
    from app.db import transaction
    from app.privacy import service

    with transaction(write=False) as session:
        data = service.export(session, _user(session, email), _modules())
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@privacy_app.command("erase")
def erase(email: str, yes: Annotated[bool, typer.Option("--yes", help="do not ask")] = False
          ) -> None:
    """Erase (anonymise) an account; its signatures and ballots stay counted."""
    from app.db import transaction
    from app.privacy import service

    if not yes:
        typer.confirm(f"Erase the account {email}? This cannot be undone", abort=True)
    with transaction() as session:
        user = _user(session, email)
        service.erase_account(session, user, _modules())
        user_id = user.id
    typer.echo(f"account {user_id} erased")


def audit_check(seq: int, hash: str) -> None:
    """Verify the whole chain and that it still passes through a head recorded earlier."""
    from app.audit import service as audit
    from app.db import transaction

    with transaction(write=False) as session:
        result = audit.verify(session, expect=(seq, hash.strip().lower()))
    if result.ok:
        typer.echo(f"ok: {result.entries} entries, entry {seq} is {hash}, head {result.head}")
    else:
        typer.echo(f"BROKEN at entry {result.first_bad_seq}: {result.problem}", err=True)
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Mount `hromada privacy ...` and add `hromada audit check SEQ HASH`."""
    app.add_typer(privacy_app, name="privacy")
    audit = next((g.typer_instance for g in app.registered_groups if g.name == "audit"), None)
    if audit is not None:
        audit.command("check")(audit_check)
