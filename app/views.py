"""The kernel's HTML routes, gathered."""

from __future__ import annotations

from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.accountability.views import router as accountability_router
from app.audit.views import router as audit_router
from app.backoffice.api import router as _backoffice_api  # noqa: F401  joins /api/v1
from app.backoffice.views import router as backoffice_router
from app.communities.api import router as _communities_api  # noqa: F401  joins /api/v1
from app.communities.views import router as communities_router
from app.deliberation.api import router as _deliberation_api  # noqa: F401  joins /api/v1
from app.deliberation.views import router as deliberation_router
from app.identity.views import router as identity_router
from app.opendata.views import router as opendata_router
from app.privacy.api import router as _privacy_api  # noqa: F401  joins /api/v1 (me/data)
from app.privacy.views import router as privacy_router
from app.rules.views import router as rules_router
from app.web.deps import DbSession, make_router

router = make_router()


@router.get("/healthz", include_in_schema=False)
def healthz(session: DbSession):
    try:
        session.exec(text("SELECT 1")).one()
    except Exception:
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return {"status": "ok", "database": "ok"}


for _sub in (identity_router, communities_router, rules_router, accountability_router,
             opendata_router, audit_router, privacy_router, backoffice_router,
             deliberation_router):
    router.include_router(_sub)
