"""The catalogue: what a dataset declares, and the page, the data package and the DCAT-AP
description built from the declarations alone, listing the same datasets, in both languages,
with the licence and publisher the settings give."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta, timezone
from fractions import Fraction

import pytest

from app import modules as registry
from app.accountability.export import NAMES
from app.modules import Module
from app.opendata import service
from app.opendata.dataset import Dataset, Field, Format, Frequency, cell
from app.settings import get_settings
from tests.factories import make_community

EXPECTED = ["obligations", "petitions", "budget-results", "budget-ballots", "consultations",
            "consultation-results", "consultation-contributions", "audit-log"]
SECTION = re.compile(r'<section id="([a-z0-9-]+)" class="dataset"')


def plots_rows(session):
    return [(1, "alpha", Fraction(5, 2), True, date(2026, 3, 2)),
            (2, "alpha", None, False, None)]


PLOTS = Dataset(
    name="plots", title="Allotment plots", description="Every plot and whether it is free.",
    frequency=Frequency.weekly,
    fields=(Field("id", "integer", "Plot number.", required=True, unique=True),
            Field("community", "string", "Address name of the community."),
            Field("area", "number", "Area in ares."),
            Field("free", "boolean", "Whether nobody rents it."),
            Field("surveyed", "date", "When it was last surveyed.")),
    primary_key=("id",), rows=plots_rows, formats=(Format("/plots.json", "application/json",
                                                          "JSON"),),
    page="/plots")
EXTRA = Module(name="extra", open_data=[PLOTS])


@pytest.fixture
def extra(app):
    """The app with one more module, which declares a dataset of its own."""
    app.state.modules = [*app.state.modules, EXTRA]
    yield EXTRA
    app.state.modules = [m for m in app.state.modules if m is not EXTRA]


def names_everywhere(client) -> dict[str, list[str]]:
    page = client.get("/open-data?lang=en")
    assert page.status_code == 200
    package = client.get("/open-data/datapackage.json")
    catalog = client.get("/open-data/catalog.jsonld")
    assert package.headers["content-type"].startswith("application/json")
    assert catalog.headers["content-type"].startswith("application/ld+json")
    return {"page": SECTION.findall(page.text),
            "package": [r["name"] for r in package.json()["resources"]],
            "dcat": [d["dct:identifier"] for d in catalog.json()["dcat:dataset"]]}


def test_the_page_the_package_and_the_dcat_catalogue_list_the_same_datasets(client, app):
    listed = names_everywhere(client)
    assert listed["page"] == listed["package"] == listed["dcat"] == EXPECTED
    assert [d.name for d in service.catalogue(app.state.modules)] == EXPECTED
    for name in EXPECTED:
        schema = client.get(f"/open-data/schemas/{name}.json")
        assert schema.status_code == 200 and schema.json()["fields"]


def test_a_module_declares_a_dataset_and_the_kernel_lists_and_serves_it(client, extra):
    listed = names_everywhere(client)
    assert listed["page"] == listed["package"] == listed["dcat"] == [*EXPECTED[:-1], "plots",
                                                                     "audit-log"]
    response = client.get("/api/v1/open-data/plots.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.text == ("id,community,area,free,surveyed\r\n"
                             "1,alpha,2.5,true,2026-03-02\r\n"
                             "2,alpha,,false,\r\n")
    base = get_settings().base_url.rstrip("/")
    resource = next(r for r in client.get("/open-data/datapackage.json").json()["resources"]
                    if r["name"] == "plots")
    assert resource["path"] == base + "/api/v1/open-data/plots.csv"
    assert resource["schema"] == {
        "fields": [
            {"name": "id", "type": "integer", "description": "Plot number.",
             "constraints": {"required": True, "unique": True}},
            {"name": "community", "type": "string",
             "description": "Address name of the community."},
            {"name": "area", "type": "number", "description": "Area in ares."},
            {"name": "free", "type": "boolean", "description": "Whether nobody rents it."},
            {"name": "surveyed", "type": "date", "description": "When it was last surveyed."}],
        "missingValues": [""], "primaryKey": ["id"]}
    dataset = next(d for d in client.get("/open-data/catalog.jsonld").json()["dcat:dataset"]
                   if d["dct:identifier"] == "plots")
    assert dataset["dct:accrualPeriodicity"] == {
        "@id": "http://publications.europa.eu/resource/authority/frequency/WEEKLY"}
    assert [d["dcat:downloadURL"]["@id"] for d in dataset["dcat:distribution"]] == [
        base + "/api/v1/open-data/plots.csv", base + "/plots.json"]
    page = client.get("/open-data?lang=en").text
    assert 'href="/api/v1/open-data/plots.csv"' in page and 'href="/plots.json"' in page
    assert '<a href="/open-data/datasets/plots">5 columns, updates and source' in page
    columns = client.get("/open-data/datasets/plots?lang=en").text
    assert "weekly" in columns and "weekly" not in page  # the facts are on its own page
    assert "<h1>Allotment plots</h1>" in columns
    assert ('<tr><th scope="row"><code>surveyed</code></th><td>date</td><td>no</td>'
            "<td>When it was last surveyed.</td></tr>") in columns


def test_a_file_the_kernel_does_not_write_is_not_found(client):
    missing = client.get("/api/v1/open-data/nothing.csv")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    # The petitions' file has its own route; the kernel's route does not stand in for it.
    assert client.get("/api/v1/open-data/petitions.csv").status_code == 404
    assert client.get("/open-data/schemas/nothing.json").status_code == 404
    assert client.get("/open-data/datasets/nothing").status_code == 404
    assert client.get("/api/v1/open-data/" + "x" * 65 + ".csv").status_code == 422
    # The ledger keeps its own export at its address, with its columns.
    ledger = client.get("/api/v1/open-data/obligations.csv")
    assert next(csv.reader(io.StringIO(ledger.text))) == NAMES


def test_the_pages_speak_ukrainian_and_english(client, db):
    make_community(db, slug="feed-town", name="Громада зі стрічкою")
    uk = client.get("/open-data").text
    en = client.get("/open-data?lang=en").text
    assert "<h1>Відкриті дані</h1>" in uk and "<h1>Open data</h1>" in en
    assert "Результати бюджету участі" in uk and "Participatory budget results" in en
    assert "Журнал аудиту" in uk and "19 columns" in en and "19 стовпців" in uk
    assert "оновлення і джерело" in uk and "updates and source" in en
    uk_log = client.get("/open-data/datasets/audit-log?lang=uk").text
    en_log = client.get("/open-data/datasets/audit-log?lang=en").text
    assert "постійно" in uk_log and "continuously, as things happen" in en_log
    assert "Creative Commons «Зазначення авторства» 4.0 Міжнародна" in uk
    assert 'href="https://creativecommons.org/licenses/by/4.0/"' in uk
    assert 'href="/api/v1/petitions/export.csv"' in uk and 'href="/open-data/dictionary"' in uk
    assert 'href="/communities/feed-town/feed.atom"' in uk
    assert ('<link rel="alternate" type="application/ld+json" '
            'href="/open-data/catalog.jsonld">') in uk
    # Each dataset's page has its columns as a table: column headers, a row header each.
    uk = client.get("/open-data/datasets/petitions?lang=uk").text
    en = client.get("/open-data/datasets/petitions?lang=en").text
    assert "<h1>Petitions</h1>" in en and "<h1>Петиції</h1>" in uk
    assert '<th scope="col">Required</th>' in en
    assert '<th scope="row"><code>signature_count</code></th>' in en
    assert "Signatures collected, online and on paper." in en
    assert "Підписи, зібрані онлайн і на папері." in uk
    assert "<code>awaiting_answer</code>" in en  # the codes a column may hold


def test_the_licence_publisher_and_contact_are_settings(client, monkeypatch):
    package = client.get("/open-data/datapackage.json").json()
    assert package["licenses"] == [{  # in the deployment's language, Ukrainian by default
        "name": "CC-BY-4.0", "title": "Creative Commons «Зазначення авторства» 4.0 Міжнародна",
        "path": "https://creativecommons.org/licenses/by/4.0/"}]
    settings = get_settings()
    monkeypatch.setattr(settings, "open_data_license", "CC0-1.0")
    monkeypatch.setattr(settings, "open_data_publisher", "Львівська ОДА")
    monkeypatch.setattr(settings, "open_data_contact_email", "data@example.gov.ua")
    package = client.get("/open-data/datapackage.json").json()
    zero = "https://creativecommons.org/publicdomain/zero/1.0/"
    assert package["licenses"][0]["name"] == "CC0-1.0"
    assert {r["licenses"][0]["path"] for r in package["resources"]} == {zero}
    assert package["contributors"] == [{"title": "Львівська ОДА", "role": "publisher",
                                        "path": settings.base_url.rstrip("/") + "/",
                                        "email": "data@example.gov.ua"}]
    catalog = client.get("/open-data/catalog.jsonld").json()
    assert catalog["dct:license"] == {"@id": zero}
    assert {d["dct:license"]["@id"] for ds in catalog["dcat:dataset"]
            for d in ds["dcat:distribution"]} == {zero}
    assert catalog["dct:publisher"]["foaf:name"] == ["Львівська ОДА"]
    assert catalog["dct:publisher"]["foaf:mbox"] == {"@id": "mailto:data@example.gov.ua"}
    assert all(d["dcat:contactPoint"]["vcard:hasEmail"] == {"@id": "mailto:data@example.gov.ua"}
               for d in catalog["dcat:dataset"])
    page = client.get("/open-data?lang=en").text
    assert f'href="{zero}"' in page and "Publisher: Львівська ОДА." in page


def test_addresses_are_absolute_from_the_base_url(client, monkeypatch):
    monkeypatch.setattr(get_settings(), "base_url", "https://hromada.example.org/")
    package = client.get("/open-data/datapackage.json").json()
    assert package["name"] == "hromada.example.org"
    assert package["id"] == "https://hromada.example.org/open-data/datapackage.json"
    assert [r["path"] for r in package["resources"]][:2] == [
        "https://hromada.example.org/api/v1/open-data/obligations.csv",
        "https://hromada.example.org/api/v1/petitions/export.csv"]
    catalog = client.get("/open-data/catalog.jsonld").json()
    assert catalog["@id"] == "https://hromada.example.org/open-data/catalog.jsonld"


def _prefixed(node, found: set[str]) -> None:
    """Every prefix a JSON-LD document uses, in its keys and in @type values."""
    if isinstance(node, dict):
        for key, value in node.items():
            if ":" in key and not key.startswith("@"):
                found.add(key.split(":", 1)[0])
            if key == "@type":
                found.add(value.split(":", 1)[0])
            _prefixed(value, found)
    elif isinstance(node, list):
        for item in node:
            _prefixed(item, found)


def test_the_dcat_catalogue_has_what_dcat_ap_and_ckan_ask_for(client):
    catalog = client.get("/open-data/catalog.jsonld").json()
    used: set[str] = set()
    _prefixed(catalog, used)
    assert used <= set(catalog["@context"]), used - set(catalog["@context"])
    assert catalog["@type"] == "dcat:Catalog"
    publisher = catalog["dct:publisher"]
    assert publisher["@type"] == "foaf:Agent" and publisher["foaf:name"]
    base = get_settings().base_url.rstrip("/")
    frequencies = "http://publications.europa.eu/resource/authority/frequency/"
    for dataset in catalog["dcat:dataset"]:
        assert dataset["@type"] == "dcat:Dataset"
        for prop in ("dct:title", "dct:description"):
            assert {v["@language"] for v in dataset[prop]} == {"uk", "en"}
            assert all(v["@value"] for v in dataset[prop])
        assert dataset["dct:publisher"] == {"@id": publisher["@id"]}
        assert dataset["dct:accrualPeriodicity"]["@id"].startswith(frequencies)
        assert dataset["dcat:landingPage"]["@id"] == f"{base}/open-data#{dataset['dct:identifier']}"
        first, *others = dataset["dcat:distribution"]
        assert first["dcat:mediaType"]["@id"].endswith("/text/csv")
        assert first["dct:format"]["@id"].endswith("/file-type/CSV")
        assert first["dct:conformsTo"]["@id"] == (
            f"{base}/open-data/schemas/{dataset['dct:identifier']}.json")
        for distribution in (first, *others):
            assert distribution["@type"] == "dcat:Distribution"
            assert distribution["dcat:accessURL"] == distribution["dcat:downloadURL"]
            assert distribution["dcat:accessURL"]["@id"].startswith(base + "/")
            assert distribution["dct:license"]["@id"].startswith("https://creativecommons.org/")
    frequency = {d["dct:identifier"]: d["dct:accrualPeriodicity"]["@id"].rsplit("/", 1)[1]
                 for d in catalog["dcat:dataset"]}
    assert frequency["obligations"] == "UPDATE_CONT" and frequency["budget-results"] == "IRREG"


def test_the_package_is_a_tabular_data_package_with_its_schemas_inline(client):
    package = client.get("/open-data/datapackage.json").json()
    assert package["profile"] == "tabular-data-package"
    for resource in package["resources"]:
        assert resource["profile"] == "tabular-data-resource"
        assert (resource["format"], resource["mediatype"], resource["encoding"]) == (
            "csv", "text/csv", "utf-8")
        fields = [f["name"] for f in resource["schema"]["fields"]]
        assert set(resource["schema"].get("primaryKey", [])) <= set(fields)
        assert all(f["description"] for f in resource["schema"]["fields"])
    petitions = next(r for r in package["resources"] if r["name"] == "petitions")
    status = next(f for f in petitions["schema"]["fields"] if f["name"] == "status")
    assert status["constraints"]["enum"] == ["open", "awaiting_answer", "overdue", "answered",
                                             "closed", "rejected"]
    obligations = next(r for r in package["resources"] if r["name"] == "obligations")
    kind = next(f for f in obligations["schema"]["fields"] if f["name"] == "kind")
    assert set(kind["constraints"]["enum"]) == {
        k.code for m in registry.registered() for k in m.obligation_kinds}


# -- declarations -------------------------------------------------------------------------

def test_a_dataset_declaration_is_checked_when_it_is_made():
    fields = (Field("id", "integer", "Id."),)
    made = dict(title="T", description="D", frequency=Frequency.daily, fields=fields)
    with pytest.raises(ValueError, match="lowercase"):
        Dataset(name="Plots", csv="/p.csv", **made)
    with pytest.raises(ValueError, match="either csv"):
        Dataset(name="plots", **made)
    with pytest.raises(ValueError, match="either csv"):
        Dataset(name="plots", csv="/p.csv", rows=plots_rows, **made)
    with pytest.raises(ValueError, match="distinct names"):
        Dataset(name="plots", csv="/p.csv", **{**made, "fields": fields * 2})
    with pytest.raises(ValueError, match="primary key"):
        Dataset(name="plots", csv="/p.csv", primary_key=("number",), **made)
    with pytest.raises(ValueError, match="unknown type"):
        Field("id", "int", "Id.")
    assert Dataset(name="plots", rows=plots_rows, **made).csv_path == (
        "/api/v1/open-data/plots.csv")


def test_two_datasets_cannot_share_a_name():
    with pytest.raises(ValueError, match="two datasets have one name"):
        registry.register([Module(name="one", open_data=[PLOTS]),
                           Module(name="two", open_data=[PLOTS])])
    ledger = Dataset(name="obligations", title="T", description="D",
                     frequency=Frequency.daily, fields=PLOTS.fields, rows=plots_rows)
    with pytest.raises(ValueError, match="two datasets have one name"):
        service.catalogue([Module(name="one", open_data=[ledger])])


def test_a_row_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="a row of 2 values for 5 fields"):
        service.to_csv(PLOTS, [(1, "alpha")])


def test_cells_are_written_as_their_fields_types():
    kyiv = timezone(timedelta(hours=2))
    assert cell(None, "string") == "" and cell(None, "boolean") == ""
    assert cell(True, "boolean") == "true" and cell(0, "boolean") == "false"
    assert cell(datetime(2026, 3, 2, 11, 0, tzinfo=kyiv), "datetime") == "2026-03-02T09:00:00Z"
    assert cell(datetime(2026, 3, 2, 9, 0), "datetime") == "2026-03-02T09:00:00Z"
    assert cell(datetime(2026, 3, 2, 9, 0, 0, 5, tzinfo=UTC), "datetime") == (
        "2026-03-02T09:00:00.000005Z")
    assert cell(date(2026, 3, 2), "date") == "2026-03-02"
    assert cell(Fraction(7, 2), "number") == "3.5" and cell(Fraction(4), "number") == "4"
    assert cell(Fraction(1, 3), "number") == "0.333333"
    assert cell(Frequency.daily, "string") == "DAILY" and cell(12, "integer") == "12"
