"""Registration of the budget module with the kernel."""

from app.modules import Module, NavLink
from app.web.i18n import N_
from budget import api, implementation, privacy, review, views
from budget.cli import app as cli_app
from budget.cli_import import register as register_import
from budget.seed import seed

register_import(cli_app)

MODULE = Module(
    name="budget",
    models="budget.models",
    router=views.router,
    api_router=api.router,
    obligation_kinds=[review.REVIEW, implementation.IMPLEMENTATION],
    seed=seed,
    cli=cli_app,
    nav=[NavLink(N_("Budget"), "/budget")],
    periodic=[review.open_due_review_obligations],
    personal_data=privacy.personal_data,
    erase=privacy.erase_user,
    purge=privacy.purge,
    open_data=[(N_("Participatory budgets: every cycle with its rules and dates (JSON); each "
                   "cycle's results page links its results, anonymous ballots and Pabulib "
                   "file"), "/api/v1/budgets")],
)
