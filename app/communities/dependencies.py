"""Load and authorise for the kernel's routes: the community a list is filtered by."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from app.communities import service
from app.communities.models import Community
from app.exceptions import NotFound, raises
from app.web.deps import DbSession


@raises(NotFound)
def community_filter(session: DbSession,
                     community: str | None = Query(None, max_length=64, description=(
                         "A community's slug: only its items (404 when there is none)."))
                     ) -> Community | None:
    return service.get_by_slug(session, community) if community else None


CommunityFilter = Annotated[Community | None, Depends(community_filter)]
