"""Registration of the budget module with the kernel."""

from app.modules import Module, NavLink
from app.web.i18n import N_
from budget import api, service, views
from budget.cli import app as cli_app
from budget.cli_import import register as register_import
from budget.seed import seed

register_import(cli_app)

MODULE = Module(
    name="budget",
    models="budget.models",
    router=views.router,
    api_router=api.router,
    obligation_kinds=[service.REVIEW, service.IMPLEMENTATION],
    seed=seed,
    cli=cli_app,
    nav=[NavLink(N_("Budget"), "/budget")],
    periodic=[service.open_due_review_obligations],
    personal_data=service.personal_data,
    erase=service.erase_user,
    purge=service.purge,
    open_data=[(N_("Participatory budgets: every cycle with its rules and dates (JSON); each "
                   "cycle's results page links its results, anonymous ballots and Pabulib "
                   "file"), "/api/v1/budgets")],
)
