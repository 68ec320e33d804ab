"""GET /api/v1/me/data: the personal data download for API clients.

The routes join the kernel's API router (app.api.api_router, mounted under /api/v1) when this
module is imported; app.views imports it with the other kernel pages.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from app.api import api_router
from app.privacy import service
from app.privacy.views import registered_modules
from app.web.auth import ApiUser
from app.web.contract import make_api_router
from app.web.deps import DbSession

router = make_api_router()


@router.get("/me/data", response_model=dict[str, Any], tags=["identity"])
def my_data(request: Request, user: ApiUser, session: DbSession):
    """Everything held about the token's owner (the same content as /account/data)."""
    return service.export(session, user, registered_modules(request))


api_router.include_router(router)
