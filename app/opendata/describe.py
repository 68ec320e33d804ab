"""The catalogue described for machines: a Table Schema per dataset, a Frictionless Data Package
(https://specs.frictionlessdata.io/data-package/) and a DCAT-AP catalogue in JSON-LD, the form
CKAN's DCAT harvester (ckanext-dcat) reads.

Addresses are absolute, built from the deployment's base URL (HROMADA_BASE_URL). The Data
Package and the Table Schemas speak the deployment's default language; DCAT has every title
and description in Ukrainian and in English. Nothing here reads the database: the documents
change only when the deployment's settings or its modules do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from app.opendata.dataset import Dataset, Field
from app.settings import get_settings
from app.web.i18n import LANGUAGES, N_, translations


@dataclass(frozen=True)
class Licence:
    id: str  # SPDX
    title: str  # msgid
    url: str


LICENCES = {licence.id: licence for licence in (
    Licence("CC-BY-4.0", N_("Creative Commons Attribution 4.0 International"),
            "https://creativecommons.org/licenses/by/4.0/"),
    Licence("CC-BY-SA-4.0", N_("Creative Commons Attribution-ShareAlike 4.0 International"),
            "https://creativecommons.org/licenses/by-sa/4.0/"),
    Licence("CC0-1.0", N_("Creative Commons Zero v1.0 Universal"),
            "https://creativecommons.org/publicdomain/zero/1.0/"),
    Licence("ODC-BY-1.0", N_("Open Data Commons Attribution License v1.0"),
            "https://opendatacommons.org/licenses/by/1-0/"),
    Licence("ODbL-1.0", N_("Open Data Commons Open Database License v1.0"),
            "https://opendatacommons.org/licenses/odbl/1-0/"),
)}

TITLE = N_("Open data on participation and answers")
DESCRIPTION = N_("The obligations of authorities to answer and their answers, what residents "
                 "asked and decided with each tool of participation, and the audit log of this "
                 "platform, for every community it serves. No dataset names a person.")

PACKAGE_PATH = "/open-data/datapackage.json"
CATALOG_PATH = "/open-data/catalog.jsonld"
SCHEMA_PATH = "/open-data/schemas/{name}.json"

CONTEXT = {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
           "foaf": "http://xmlns.com/foaf/0.1/", "vcard": "http://www.w3.org/2006/vcard/ns#"}
EU = "http://publications.europa.eu/resource/authority/"
LANGUAGE_URIS = {"uk": EU + "language/UKR", "en": EU + "language/ENG"}
THEME = EU + "data-theme/GOVE"  # government and public sector
FILE_TYPE = EU + "file-type/"
MEDIA_TYPE = "https://www.iana.org/assignments/media-types/"


def licence() -> Licence:
    return LICENCES[get_settings().open_data_license]


def base_url() -> str:
    return get_settings().base_url.rstrip("/")


def text(msgid: str, lang: str, params: dict[str, str] | None = None) -> str:
    """A message in `lang`, whatever the request's language."""
    found = msgid if lang == "en" else translations(lang).gettext(msgid)
    return found % params if params else found


def publisher(lang: str) -> str:
    return get_settings().open_data_publisher or text(N_("Hromada"), lang)


def schema_field(f: Field, lang: str) -> dict[str, Any]:
    constraints: dict[str, Any] = {}
    if f.required:
        constraints["required"] = True
    if f.unique:
        constraints["unique"] = True
    if f.enum:
        constraints["enum"] = list(f.enum)
    if f.minimum is not None:
        constraints["minimum"] = f.minimum
    if f.pattern:
        constraints["pattern"] = f.pattern
    out = {"name": f.name, "type": f.type,
           "description": text(f.description, lang, dict(f.params))}
    if constraints:
        out["constraints"] = constraints
    return out


def table_schema(dataset: Dataset, lang: str) -> dict[str, Any]:
    """The dataset's Table Schema (https://specs.frictionlessdata.io/table-schema/)."""
    schema: dict[str, Any] = {"fields": [schema_field(f, lang) for f in dataset.fields],
                              "missingValues": [""]}
    if dataset.primary_key:
        schema["primaryKey"] = list(dataset.primary_key)
    return schema


def _package_name(base: str) -> str:
    host = base.split("://", 1)[-1].split("/", 1)[0].lower()
    return re.sub(r"[^a-z0-9._-]+", "-", host).strip("-") or "hromada"


def data_package(datasets: list[Dataset], lang: str | None = None) -> dict[str, Any]:
    """A Tabular Data Package whose resources are the datasets' CSV files, each with its Table
    Schema inline."""
    lang = lang or get_settings().default_language
    base, used = base_url(), licence()
    licences = [{"name": used.id, "path": used.url, "title": text(used.title, lang)}]
    contributor: dict[str, Any] = {"title": publisher(lang), "role": "publisher",
                                   "path": base + "/"}
    if get_settings().open_data_contact_email:
        contributor["email"] = get_settings().open_data_contact_email
    return {
        "profile": "tabular-data-package",
        "name": _package_name(base),
        "id": base + PACKAGE_PATH,
        "title": text(TITLE, lang),
        "description": text(DESCRIPTION, lang),
        "homepage": base + "/open-data",
        "licenses": licences,
        "contributors": [contributor],
        "resources": [{
            "name": d.name, "path": base + d.csv_path, "profile": "tabular-data-resource",
            "title": text(d.title, lang), "description": text(d.description, lang),
            "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
            "licenses": licences, "schema": table_schema(d, lang),
        } for d in datasets],
    }


def _literal(msgid: str) -> list[dict[str, str]]:
    return [{"@value": text(msgid, lang), "@language": lang} for lang in LANGUAGES]


def _ref(uri: str) -> dict[str, str]:
    return {"@id": uri}


def _distribution(d: Dataset, base: str, path: str, media_type: str, label: str,
                  conforms_to: str | None = None) -> dict[str, Any]:
    url = base + path
    node = {
        "@id": f"{base}/open-data#{d.name}-{label.lower()}",
        "@type": "dcat:Distribution",
        "dct:title": [{"@value": f"{text(d.title, lang)} ({label})", "@language": lang}
                      for lang in LANGUAGES],
        "dcat:accessURL": _ref(url),
        "dcat:downloadURL": _ref(url),
        "dcat:mediaType": _ref(MEDIA_TYPE + media_type),
        "dct:format": _ref(FILE_TYPE + label.upper()),
        "dct:license": _ref(licence().url),
    }
    if conforms_to:
        node["dct:conformsTo"] = _ref(conforms_to)
    return node


def dcat_catalog(datasets: list[Dataset]) -> dict[str, Any]:
    """A dcat:Catalog of dcat:Datasets, each with its distributions (the CSV, then the other
    formats), licence, update frequency (the EU vocabulary) and publisher."""
    settings = get_settings()
    base = base_url()
    agent_id = base + "/#publisher"
    agent: dict[str, Any] = {
        "@id": agent_id, "@type": "foaf:Agent", "foaf:homepage": _ref(base + "/"),
        "foaf:name": ([settings.open_data_publisher] if settings.open_data_publisher
                      else _literal(N_("Hromada")))}
    if settings.open_data_contact_email:
        agent["foaf:mbox"] = _ref("mailto:" + settings.open_data_contact_email)
    languages = [_ref(LANGUAGE_URIS[lang]) for lang in LANGUAGES]

    def described(d: Dataset) -> dict[str, Any]:
        node: dict[str, Any] = {
            "@id": f"{base}/open-data#{d.name}",
            "@type": "dcat:Dataset",
            "dct:identifier": d.name,
            "dct:title": _literal(d.title),
            "dct:description": _literal(d.description),
            "dct:publisher": _ref(agent_id),
            "dct:accrualPeriodicity": _ref(d.frequency.uri),
            "dct:language": languages,
            "dcat:theme": _ref(THEME),
            "dcat:landingPage": _ref(f"{base}/open-data#{d.name}"),
            "foaf:page": _ref(base + d.page),
            "dcat:distribution": [
                _distribution(d, base, d.csv_path, "text/csv", "CSV",
                              base + SCHEMA_PATH.format(name=d.name)),
                *(_distribution(d, base, f.path, f.media_type, f.label) for f in d.formats)],
        }
        if settings.open_data_contact_email:
            node["dcat:contactPoint"] = {
                "@type": "vcard:Organization", "vcard:fn": publisher(settings.default_language),
                "vcard:hasEmail": _ref("mailto:" + settings.open_data_contact_email)}
        return node

    return {
        "@context": CONTEXT,
        "@id": base + CATALOG_PATH,
        "@type": "dcat:Catalog",
        "dct:title": _literal(TITLE),
        "dct:description": _literal(DESCRIPTION),
        "dct:publisher": agent,
        "foaf:homepage": _ref(base + "/open-data"),
        "dct:language": languages,
        "dct:license": _ref(licence().url),
        "dcat:dataset": [described(d) for d in datasets],
    }
