"""`hromada petitions ...`: maintenance commands (the worker may call the same functions)."""

from __future__ import annotations

import typer

cli = typer.Typer(help="Petitions: maintenance commands.", no_args_is_help=True)


@cli.command("close-expired")
def close_expired_command() -> None:
    """Close open petitions whose collection period ended below the threshold."""
    from app.db import transaction
    from petitions.service import signing

    with transaction() as session:
        closed = signing.close_expired(session)
    typer.echo(f"closed {closed} petition(s)")
