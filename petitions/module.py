"""Registration of the petitions module with the kernel."""

from app.accountability.service import ObligationKind
from app.modules import Module, NavLink
from app.web.i18n import N_
from petitions.api import router as api_router
from petitions.cli import cli
from petitions.seed import seed
from petitions.service.privacy import erase_user, personal_data, purge
from petitions.service.signing import close_expired
from petitions.views import router

MODULE = Module(
    name="petitions",
    models="petitions.models",
    router=router,
    api_router=api_router,
    obligation_kinds=[ObligationKind("petition_answer", N_("Petition answer"), "petitions")],
    seed=seed,
    cli=cli,
    nav=[NavLink(N_("Petitions"), "/petitions")],
    periodic=[close_expired],
    personal_data=personal_data,
    erase=erase_user,
    purge=purge,
)
