"""Load and authorise: the petition of a route's path, as a FastAPI dependency that has
already run the checks of petitions/permissions.py the route needs.

One factory builds them all from two things: how the route knows the person (a page by the
session cookie, the API only by a Bearer token) and the checks to run, in order. FastAPI
caches a dependency per request, so the person is resolved once even when the route also
asks for them. Routes that only act (sign, publish, ...) pass the id to the service, which
loads the petition and calls the check of its act itself.
"""

# No `from __future__ import annotations` here: FastAPI reads the dependency's signature, whose
# annotation names the closure's `user_dependency`, so it must be evaluated where it is written.

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends
from sqlmodel import Session

from app import clock
from app.identity.models import User
from app.web.auth import bearer_user, current_user, optional_user
from app.web.deps import DbSession
from petitions import permissions as perm
from petitions.models import Petition
from petitions.service.common import load

Check = Callable[[Session, User | None, Petition, datetime], None]


def petition_for(user_dependency: Callable[..., object], *checks: Check
                 ) -> Callable[..., Petition]:
    """A dependency: the petition of the path (NotFound when there is none) once `checks`
    passed for the person `user_dependency` finds."""

    def dependency(petition_id: int, session: DbSession,
                   user: Annotated[User | None, Depends(user_dependency)]) -> Petition:
        petition = load(session, petition_id)
        now = clock.now()
        for check in checks:
            check(session, user, petition, now)
        return petition

    return dependency


# Pages: the person by the session cookie.
VisiblePetition = Annotated[Petition, Depends(petition_for(optional_user, perm.check_view))]
# The edit form: not found for whoever may not see the draft.
EditFormPetition = Annotated[Petition, Depends(
    petition_for(current_user, perm.check_view, perm.check_edit))]
# The edit itself refuses as the service's edit does: "only the author" to anyone else.
EditedPetition = Annotated[Petition, Depends(petition_for(current_user, perm.check_edit))]
PaperPetition = Annotated[Petition, Depends(
    petition_for(current_user, perm.check_view, perm.check_record_paper))]

# The API: the person by a Bearer token only.
ApiPetition = Annotated[Petition, Depends(petition_for(bearer_user, perm.check_view))]
