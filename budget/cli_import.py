"""`hromada budget import-pabulib FILE.pb [--community slug]`: load a real election (a Pabulib
file) as a historical budget cycle of a community, with its projects, its votes as anonymous
ballots and its official result.

The file is parsed completely before anything is written, and the whole import is one
transaction: a malformed file is reported with its line and exit code 2 (as `tally` does), a
refused import (an unknown community, an amount Hromada cannot store) with exit code 1, and in
both cases nothing is written. What reading the file let pass (a voter's line that lists a
project twice, counted once) is reported as warnings with their lines, on stderr (as `tally`
does), and counted in the summary line. The command speaks English, like the parser's
messages.
"""

from __future__ import annotations

from pathlib import Path

import typer

from app import db as app_db
from budget.cli import FILE_HELP, unreadable


def register(app: typer.Typer) -> None:
    """Add the import command to the budget module's typer app (budget.cli.app)."""

    @app.command("import-pabulib")
    def import_pabulib_command(
        file: Path = typer.Argument(..., help=FILE_HELP, dir_okay=False),
        community: str | None = typer.Option(
            None, "--community",
            help="Slug of the community that gets the cycle (needed when there are several)."),
    ) -> None:
        """Import FILE as a historical budget cycle (projects, anonymous ballots, results)."""
        from app.web.i18n import current_language

        token = current_language.set("en")
        try:
            typer.echo(import_file(file, community))
        finally:
            current_language.reset(token)


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def import_file(file: Path, community: str | None) -> str:
    """Parse, then import in one transaction; returns the summary line or raises Exit."""
    from app.communities import repository as communities_repo
    from app.exceptions import DomainError
    from budget.pabulib.exchange import import_pabulib
    from budget.pabulib.format import PabulibError, load

    try:
        instance = load(file)
    except OSError as exc:
        raise _fail(unreadable(file, exc), 2) from None
    except PabulibError as exc:
        raise _fail(f"{file}: {exc}; nothing was imported", 2) from None
    try:
        with app_db.transaction() as session:
            if community:
                place = communities_repo.community_by_slug(session, community)
                if place is None:
                    raise _fail(f"no community {community!r}; nothing was imported", 1)
            else:
                every = communities_repo.communities(session)
                if len(every) != 1:
                    raise _fail("name the community with --community SLUG "
                                f"(there are {len(every)}); nothing was imported", 1)
                place = every[0]
            cycle = import_pabulib(session, None, place, instance, name=file.name)
            count = len(instance.warnings)
            warned = f", {count} warning{'' if count == 1 else 's'}" if count else ""
            summary = (f"imported {file.name} into {place.slug} as budget cycle {cycle.id}: "
                       f"{len(instance.projects)} projects, {len(instance.votes)} "
                       f"ballots{warned}")
    except DomainError as exc:
        raise _fail(f"{file}: {exc.text()} Nothing was imported.", 1) from None
    for warning in instance.warnings:
        typer.echo(f"{file}: warning: {warning}", err=True)
    return summary
