"""The open-data catalogue: the page (/open-data), a page per dataset with its columns, the
Frictionless Data Package, the DCAT-AP catalogue and each dataset's Table Schema. The datasets'
CSV files are served by their own routes (app/opendata/api.py for those the kernel writes)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Path, Request
from fastapi.responses import Response

from app.communities import repository as communities_repo
from app.opendata import api as _api  # noqa: F401  joins /api/v1 (the CSV files)
from app.opendata import describe, service
from app.opendata.dataset import FREQUENCY_LABELS
from app.settings import get_settings
from app.web.deps import DbSession, make_router
from app.web.templating import render

router = make_router()
CACHE = "public, max-age=300"


def _json(content: Any, media_type: str) -> Response:
    body = json.dumps(content, ensure_ascii=False, indent=1)
    return Response(body, media_type=f"{media_type}; charset=utf-8",
                    headers={"Cache-Control": CACHE, "Access-Control-Allow-Origin": "*"})


@router.get("/open-data")
def catalogue(request: Request, session: DbSession):
    """Every dataset with its licence, frequency, formats and a link to its columns; the
    feeds."""
    return render(request, "opendata/catalogue.html", {
        "datasets": service.catalogue(request.app.state.modules),
        "licence": describe.licence(), "frequencies": FREQUENCY_LABELS,
        "publisher": get_settings().open_data_publisher,
        "package_path": describe.PACKAGE_PATH, "catalog_path": describe.CATALOG_PATH,
        "schema_path": describe.SCHEMA_PATH,
        "communities": communities_repo.communities(session)})


@router.get("/open-data/datasets/{dataset}")
def dataset_page(request: Request, dataset: str = Path(max_length=64)):
    """One dataset: its facts and a table of its columns."""
    return render(request, "opendata/dataset.html", {
        "dataset": service.find(request.app.state.modules, dataset),
        "licence": describe.licence(), "frequencies": FREQUENCY_LABELS,
        "schema_path": describe.SCHEMA_PATH})


@router.get(describe.PACKAGE_PATH)
def data_package(request: Request):
    """The Frictionless Data Package: every dataset's CSV with its Table Schema."""
    return _json(describe.data_package(service.catalogue(request.app.state.modules)),
                 "application/json")


@router.get(describe.CATALOG_PATH)
def dcat_catalog(request: Request):
    """The DCAT-AP catalogue in JSON-LD, for portals that harvest (CKAN with ckanext-dcat)."""
    return _json(describe.dcat_catalog(service.catalogue(request.app.state.modules)),
                 "application/ld+json")


@router.get("/open-data/schemas/{dataset}.json")
def table_schema(request: Request, dataset: str = Path(max_length=64)):
    """One dataset's Table Schema."""
    found = service.find(request.app.state.modules, dataset)
    return _json(describe.table_schema(found, get_settings().default_language),
                 "application/json")
