"""Registration of the petitions module with the kernel."""

from app.modules import Module, NavLink, ReceiptAct, Scale, ScaleKind
from app.web.i18n import N_
from petitions.api import router as api_router
from petitions.cli import cli
from petitions.opendata import DATASETS
from petitions.rules import ANSWER, PetitionRules
from petitions.seed import seed
from petitions.service.discussion import COMMENTS
from petitions.service.fraud import forget_networks
from petitions.service.privacy import erase_user, personal_data, purge
from petitions.service.signing import close_expired
from petitions.views import router

MODULE = Module(
    name="petitions",
    label=N_("Petitions"),
    models="petitions.models",
    rules=PetitionRules,
    router=router,
    api_router=api_router,
    obligation_kinds=[ANSWER],
    seed=seed,
    demo_rules={
        "lviv": {"sign_level": "provider", "sponsor_level": "provider",
                 "threshold": 1000, "collection_days": 90,
                 "answer_deadline": {"days": 10, "unit": "working"},
                 "sponsors_required": 0, "minimum_age": 16,
                 "moderation_deadline": {"days": 3, "unit": "working"}},
        "slavske": {"sign_level": "resident", "sponsor_level": "resident",
                    "threshold": 100, "collection_days": 60,
                    "answer_deadline": {"days": 10, "unit": "working"},
                    "sponsors_required": 3, "minimum_age": 14,
                    "moderation_deadline": {"days": 5, "unit": "working"}},
        "bila-tserkva": {"sign_level": "register", "sponsor_level": "register",
                         "threshold_per_1000": 2.5, "collection_days": 60,
                         "answer_deadline": {"days": 20, "unit": "calendar"},
                         "sponsors_required": 0, "minimum_age": 18,
                         "moderation_deadline": {"days": 2, "unit": "working"}},
    },
    scale=Scale(
        kinds=[ScaleKind(ANSWER, 50, "answer_deadline", "petition", "Петиція")],
        rules=[{"threshold_per_1000": 2.5, "collection_days": 60,
                "answer_deadline": {"days": 10, "unit": "working"}},
               {"threshold": 100, "collection_days": 30,
                "answer_deadline": {"days": 20, "unit": "calendar"}},
               {"threshold_per_1000": 5, "collection_days": 90,
                "answer_deadline": {"days": 15, "unit": "working"}}]),
    cli=cli,
    nav=[NavLink(N_("Petitions"), "/petitions")],
    queues=[NavLink(N_("Petitions awaiting pre-moderation"), "/petitions/moderation")],
    periodic=[close_expired, forget_networks],
    personal_data=personal_data,
    erase=erase_user,
    purge=purge,
    open_data=DATASETS,
    receipts={"petition.signed": ReceiptAct(N_("You signed a petition"), "/petitions/{id}")},
    comments=[COMMENTS],
)
