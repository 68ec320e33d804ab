"""The CSV files of the datasets the kernel writes (those declared with `rows`), under
/api/v1/open-data. No token needed: public. The other datasets' files have routes of their
own; every address is listed on /open-data and in /open-data/datapackage.json."""

from __future__ import annotations

from fastapi import Path, Request
from fastapi.responses import Response

from app import clock
from app.accountability import api as _ledger  # noqa: F401  its obligations.csv route first
from app.api import api_router
from app.opendata import service
from app.web.contract import CsvResponse, make_api_router
from app.web.deps import DbSession

router = make_api_router(prefix="/open-data", tags=["open data"])


@router.get("/{dataset}.csv", response_class=CsvResponse,
            responses={404: {"description": "No dataset of that name is written here."}})
def dataset_csv(request: Request, session: DbSession, dataset: str = Path(max_length=64)):
    """A dataset as CSV: UTF-8, one header row (its fields, in the order of its Table Schema
    in /open-data/datapackage.json), times in UTC ISO 8601, empty for none."""
    found = service.served(request.app.state.modules, dataset)
    body = service.to_csv(found, found.rows(session))
    return Response(body, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{found.name}.csv"',
        "X-Generated-At": clock.now().isoformat()})


api_router.include_router(router)
