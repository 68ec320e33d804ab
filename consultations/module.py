"""Registration of the consultations module with the kernel."""

from __future__ import annotations

import typer

from app.accountability.service import ObligationKind
from app.modules import Module, NavLink
from app.web.i18n import N_
from consultations import service
from consultations.api import router as api_router
from consultations.models import OBLIGATION_KIND
from consultations.seed import seed
from consultations.views import router

cli = typer.Typer(help="Public consultations.", no_args_is_help=True)


@cli.command("close-expired")
def close_expired_command() -> None:
    """Close consultations whose end date has passed and open their report obligations."""
    from app.db import transaction

    with transaction() as session:
        closed = service.close_expired(session)
    typer.echo(f"closed {closed} consultation(s)")


MODULE = Module(
    name="consultations",
    models="consultations.models",
    router=router,
    api_router=api_router,
    obligation_kinds=[ObligationKind(OBLIGATION_KIND, N_("Consultation outcome report"),
                                     "consultations")],
    seed=seed,
    cli=cli,
    nav=[NavLink(N_("Consultations"), "/consultations")],
    periodic=[service.close_expired],
    personal_data=service.personal_data,
    erase=service.erase_user,
)
