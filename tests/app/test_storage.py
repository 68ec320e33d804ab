"""The file store (app/storage): both backends on both databases, following the transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app import storage
from app.exceptions import InvalidInput, NotFound
from app.settings import get_settings
from app.storage import repository as repo

PNG = b"\x89PNG\r\n\x1a\n" + b"x" * 100


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setattr(get_settings(), "upload_dir", tmp_path / "uploads")
    return tmp_path / "uploads"


@pytest.fixture(params=["database", "disk"])
def chosen(request, monkeypatch, folder):
    monkeypatch.setattr(get_settings(), "storage_backend", request.param)
    return request.param


def on_disk(folder):
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


def test_auto_keeps_files_in_postgresql_and_on_the_disk_with_sqlite(db, backend, folder):
    assert get_settings().storage_backend == "auto"
    key = storage.put(db, "tests", PNG, ext="png", content_type="image/png")
    assert storage.read(db, "tests", key) == PNG
    if backend == "postgresql":
        assert storage.backend(db) == "database" and on_disk(folder) == []
        assert repo.data_of(db, "tests", key) == PNG
    else:
        assert storage.backend(db) == "disk" and on_disk(folder) == [key]
        assert repo.count(db, "tests") == 0


def test_a_file_comes_back_as_stored_under_a_random_key(db, chosen, folder):
    first = storage.put(db, "tests", PNG, ext="png", content_type="image/png")
    second = storage.put(db, "tests", PNG, ext="png")
    assert first != second and first.endswith(".png") and len(first) == 36
    assert storage.read(db, "tests", first) == PNG
    assert (repo.count(db, "tests") == 2) == (chosen == "database")
    assert (len(on_disk(folder)) == 2) == (chosen == "disk")
    with pytest.raises(NotFound):  # another owner's namespace holds nothing of it
        storage.read(db, "others", first)
    for bad in ("../../etc/passwd", "0" * 32 + ".png/x", ""):
        with pytest.raises(NotFound):
            storage.read(db, "tests", bad)


def test_a_rolled_back_transaction_leaves_no_file(db, chosen, folder):
    db.commit()
    key = storage.put(db, "tests", PNG, ext="png")
    assert storage.read(db, "tests", key) == PNG
    db.rollback()
    with pytest.raises(NotFound):
        storage.read(db, "tests", key)
    assert on_disk(folder) == [] and repo.count(db, "tests") == 0


def test_a_removed_file_goes_when_the_transaction_commits(db, chosen, folder):
    key = storage.put(db, "tests", PNG, ext="png")
    db.commit()
    storage.remove(db, "tests", key)
    db.rollback()  # the removal is undone with its transaction
    assert storage.read(db, "tests", key) == PNG
    storage.remove(db, "tests", key)
    db.commit()
    with pytest.raises(NotFound):
        storage.read(db, "tests", key)
    assert on_disk(folder) == []
    storage.remove(db, "tests", key)  # twice is once
    storage.remove(db, "tests", "not a key")


def test_a_file_over_the_limit_is_refused_and_nothing_is_stored(db, chosen, folder,
                                                                  monkeypatch):
    monkeypatch.setattr(get_settings(), "storage_max_bytes", 2 * 1024 * 1024)
    with pytest.raises(InvalidInput) as refused:
        storage.put(db, "tests", b"x" * (2 * 1024 * 1024 + 1), ext="bin")
    assert refused.value.status_code == 422 and "file" in refused.value.fields
    assert refused.value.params == {"mb": 2}
    assert on_disk(folder) == [] and repo.count(db, "tests") == 0
    exact = storage.put(db, "tests", b"x" * (2 * 1024 * 1024), ext="bin")
    assert len(storage.read(db, "tests", exact)) == 2 * 1024 * 1024


def test_on_the_database_a_file_stored_on_the_disk_before_stays_readable(db, folder,
                                                                           monkeypatch):
    monkeypatch.setattr(get_settings(), "storage_backend", "disk")
    key = storage.put(db, "tests", PNG, ext="png")
    db.commit()
    monkeypatch.setattr(get_settings(), "storage_backend", "database")
    assert storage.read(db, "tests", key) == PNG
    storage.remove(db, "tests", key)
    db.commit()
    assert on_disk(folder) == []


def test_the_table_holds_its_size_limit_and_the_true_size(db, backend):
    db.commit()
    insert = text("INSERT INTO stored_file (namespace, key, content_type, size, data, created_at)"
                  " VALUES ('tests', :key, 'x', :size, :data, CURRENT_TIMESTAMP)")
    with pytest.raises(IntegrityError):  # the size column must be the data's
        db.execute(insert, {"key": "a" * 32 + ".bin", "size": 3, "data": b"ab"})
    db.rollback()
    with pytest.raises(IntegrityError):  # over the hard limit
        db.execute(insert, {"key": "b" * 32 + ".bin", "size": 2**26 + 1, "data": b"ab"})
    db.rollback()
    db.execute(insert, {"key": "c" * 32 + ".bin", "size": 2, "data": b"ab"})
    assert repo.data_of(db, "tests", "c" * 32 + ".bin") == b"ab"
