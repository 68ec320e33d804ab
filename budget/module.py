"""Registration of the budget module with the kernel."""

from app.modules import Module, NavLink, ReceiptAct, Scale, ScaleKind
from app.web.i18n import N_
from budget import api, fraud, opendata, privacy, review, views
from budget.cli import app as cli_app
from budget.cli_import import register as register_import
from budget.discussion import COMMENTS
from budget.rules import IMPLEMENTATION, REVIEW, BudgetRules
from budget.seed import seed

register_import(cli_app)

MODULE = Module(
    name="budget",
    label=N_("Participatory budget"),
    models="budget.models",
    rules=BudgetRules,
    router=views.router,
    api_router=api.router,
    obligation_kinds=[REVIEW, IMPLEMENTATION],
    seed=seed,
    demo_rules={
        "lviv": {"vote_level": "provider",
                 "minimum_age": 16, "voting_method": "approval", "max_choices": 5,
                 "aggregation": "equal-shares", "project_cost_min": 50_000,
                 "project_cost_max": 3_000_000,
                 "review_deadline": {"days": 20, "unit": "working"}},
        "slavske": {"vote_level": "resident",
                    "minimum_age": 14, "voting_method": "knapsack", "max_choices": 10,
                    "aggregation": "greedy", "project_cost_min": 5_000,
                    "project_cost_max": 300_000},
        "bila-tserkva": {"vote_level": "register", "minimum_age": 16, "voting_method": "cumulative",
                         "cumulative_points": 10, "max_choices": 10,
                         "aggregation": "greedy-threshold", "min_vote_threshold": 20,
                         "project_cost_min": 20_000, "project_cost_max": 1_000_000},
    },
    scale=Scale(
        kinds=[ScaleKind(REVIEW, 20, "review_deadline", "budget_project", "Проєкт бюджету"),
               ScaleKind(IMPLEMENTATION, 15, "implementation_deadline", "budget_project",
                         "Реалізація проєкту", rated=False)],
        rules=[{}, {}, {"review_deadline": {"days": 30, "unit": "calendar"}}]),
    cli=cli_app,
    nav=[NavLink(N_("Budget"), "/budget")],
    periodic=[review.open_due_review_obligations, fraud.forget_networks],
    personal_data=privacy.personal_data,
    erase=privacy.erase_user,
    purge=privacy.purge,
    open_data=opendata.DATASETS,
    receipts={"budget.ballot_cast": ReceiptAct(N_("You voted in a participatory budget"),
                                               "/budget/{id}"),
              "budget.ballot_changed": ReceiptAct(N_("You changed your budget ballot"),
                                                  "/budget/{id}")},
    comments=[COMMENTS],
)
