"""Registration of the consultations module with the kernel."""

from __future__ import annotations

import typer

from app.modules import Module, NavLink, ReceiptAct, Scale, ScaleKind
from app.web.i18n import N_
from consultations import opendata, service
from consultations.api import router as api_router
from consultations.rules import REPORT, ConsultationRules
from consultations.seed import seed
from consultations.service.discussion import COMMENTS
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
    label=N_("Consultations"),
    models="consultations.models",
    rules=ConsultationRules,
    router=router,
    api_router=api_router,
    obligation_kinds=[REPORT],
    seed=seed,
    demo_rules={
        "lviv": {"answer_level": "resident", "minimum_duration_days": 30,
                 "report_deadline": {"days": 14, "unit": "calendar"}},
        "slavske": {"answer_level": "email", "minimum_duration_days": 15,
                    "report_deadline": {"days": 10, "unit": "working"}},
        # The European Commission's practice: a call for evidence of at least 4 weeks, then
        # 12 weeks on the draft, invited stakeholders a week ahead of the public.
        "bila-tserkva": {"answer_level": "register", "minimum_duration_days": 84,
                         "evidence_minimum_days": 28, "priority_days": 7,
                         "report_deadline": {"days": 30, "unit": "calendar"}},
    },
    scale=Scale(
        kinds=[ScaleKind(REPORT, 15, "report_deadline", "consultation", "Консультація")],
        rules=[{}, {"report_deadline": {"days": 10, "unit": "working"}}, {}]),
    cli=cli,
    nav=[NavLink(N_("Consultations"), "/consultations")],
    periodic=[service.close_expired],
    personal_data=service.personal_data,
    erase=service.erase_user,
    open_data=opendata.DATASETS,
    comments=[COMMENTS],
    receipts={"consultation.response_submitted": ReceiptAct(
                  N_("You answered a consultation"), "/consultations/{id}"),
              "consultation.response_edited": ReceiptAct(
                  N_("You changed your answers to a consultation"), "/consultations/{id}")},
)
