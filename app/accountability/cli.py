"""`hromada seed-scale` (a synthetic region for benchmarks) and `hromada digest`.

app/cli.py calls register(app) once; everything heavy is imported inside the commands.
"""

from __future__ import annotations

import time
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("seed-scale")(seed_scale)
    app.command("digest")(digest)


def seed_scale(
    communities: Annotated[int, typer.Option(min=1, max=100_000,
                                             help="how many communities")] = 1500,
    per_community: Annotated[int, typer.Option(min=0, max=100_000,
                                               help="obligations per community")] = 100,
    months: Annotated[int, typer.Option(min=1, max=240,
                                        help="months of history to spread them over")] = 24,
    seed: Annotated[int, typer.Option(help="random seed (same seed, same region)")] = 1,
    prefix: Annotated[str, typer.Option(help="slug prefix of the synthetic communities")]
    = "scale",
) -> None:
    """Build a synthetic region (communities, authorities, rules, obligations) for benchmarks."""
    from app.accountability.seed_scale import analyze, seed_region
    from app.db import get_engine, transaction
    from app.exceptions import DomainError
    from app.web.i18n import gettext

    started = time.perf_counter()
    try:
        with transaction() as session:
            region = seed_region(session, communities=communities, per_community=per_community,
                                 months=months, seed=seed, prefix=prefix)
    except DomainError as exc:
        typer.echo(f"error: {gettext(exc.message)}", err=True)
        raise typer.Exit(1) from None
    analyze(get_engine())
    typer.echo(f"synthetic region: {region.communities} communities, {region.authorities} "
               f"authorities, {region.obligations} obligations in "
               f"{time.perf_counter() - started:.1f} s")


def digest() -> None:
    """Queue today's digest for every official with obligations overdue or due soon (once a
    day per official, whatever the number of runs)."""
    from app.accountability.digest import send_daily_digests
    from app.db import transaction

    with transaction() as session:
        count = send_daily_digests(session)
    typer.echo(f"daily digest: {count} officials have obligations overdue or due soon")
