"""The petitions dataset of the open-data catalogue describes the export the API serves."""

from __future__ import annotations

import csv
import io

from petitions.models import ExportRow
from petitions.module import MODULE
from petitions.opendata import DATASETS, FIELDS
from tests.factories import make_community
from tests.petitions.factories import make_petition


def test_the_dataset_is_the_exports_columns_in_their_order(client, db):
    assert MODULE.open_data == DATASETS
    assert [f.name for f in FIELDS] == list(ExportRow.model_fields)
    place = make_community(db)
    make_petition(db, place, "open")
    header = next(csv.reader(io.StringIO(client.get(DATASETS[0].csv_path).text)))
    assert header == [f.name for f in FIELDS]
    assert client.get(DATASETS[0].formats[0].path).status_code == 200
