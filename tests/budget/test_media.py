"""Pictures, documents and the map point of a project: images re-encoded in two sizes with no
metadata, SVG and forged images refused, sizes and counts from the rules, nothing half-written,
a point outside the community refused; through the service and through the pages."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlmodel import select

from app import storage
from app.exceptions import Conflict, Forbidden, InvalidInput, NotFound
from app.storage.models import StoredFile
from budget import media
from budget.models import BudgetProjectFile, Phase, ProjectCreate
from budget.projects import submit_project
from tests.budget.factories import DESCRIPTION, make_cycle, make_project, to_phase
from tests.factories import make_community, make_official, make_resident

AREA = {"area_south": 49.77, "area_north": 49.90, "area_west": 23.90, "area_east": 24.12}


def photo(width=2400, height=1800, fmt="JPEG") -> bytes:
    """A camera photo with EXIF: the camera's make and where it was taken."""
    image = Image.new("RGB", (width, height), (40, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "Camera Maker"  # Make
    exif[0x8825] = {1: "N", 2: (49.0, 50.0, 0.0)}  # GPS
    out = io.BytesIO()
    image.save(out, fmt, exif=exif)
    return out.getvalue()


def stored(db) -> int:
    return len(db.exec(select(StoredFile)).all()) + sum(
        1 for p in storage_dir().rglob("*") if p.is_file())


def storage_dir():
    from app.settings import get_settings

    return get_settings().upload_dir / media.NAMESPACE


@pytest.fixture
def setting(db, clock, tmp_path, monkeypatch):
    from app.settings import get_settings

    monkeypatch.setattr(get_settings(), "upload_dir", tmp_path / "uploads")
    place = make_community(db, rules_override={"budget": {"image_max_mb": 1, **AREA,
                                                          "images_per_project": 2}})
    cycle = make_cycle(db, place)
    author = make_resident(db, place)
    project = make_project(db, place, cycle, author=author)
    return place, cycle, author, project


def test_an_image_is_kept_in_two_sizes_without_its_metadata(db, setting):
    place, cycle, author, project = setting
    raw = photo()
    assert b"Camera Maker" in raw
    row = media.add_file(db, author, cycle, project, "image", "IMG_0001.JPG", raw, "Двір")
    assert (row.width, row.height, row.content_type) == (1600, 1200, "image/jpeg")
    large = media.file_bytes(db, row)
    thumb = media.file_bytes(db, row, thumb=True)
    for data, longest in ((large, 1600), (thumb, 400)):
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "JPEG" and max(image.size) == longest
            assert not image.getexif() and "exif" not in image.info
        assert b"Camera Maker" not in data
    # A PNG with transparency comes out as a flat JPEG too.
    out = io.BytesIO()
    Image.new("RGBA", (300, 200), (0, 0, 0, 0)).save(out, "PNG")
    flat = media.add_file(db, author, cycle, project, "image", "plan.png", out.getvalue())
    assert (flat.width, flat.height) == (300, 200)
    assert media.get_file(db, project, flat.id).caption == ""


@pytest.mark.parametrize(("name", "data", "says"), [
    ("map.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
     "SVG"),
    ("photo.png", b'<?xml version="1.0"?>\n<svg onload="alert(1)"></svg>', "SVG"),
    ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "not an image"),
    ("photo.jpg", b"GIF89a" + b"\x00" * 10, "not an image"),
    ("doc.pdf", b"%PDF-1.7 a pdf is not an image", "not an image"),
])
def test_svg_and_forged_images_are_refused_and_nothing_is_stored(db, setting, name, data, says):
    place, cycle, author, project = setting
    before = stored(db)
    with pytest.raises(InvalidInput) as refused:
        media.add_file(db, author, cycle, project, "image", name, data)
    assert refused.value.status_code == 422 and says in refused.value.message
    assert stored(db) == before and media.files_of(db, [project])[project.id] == []


def test_limits_of_the_rules_documents_and_who_may_add(db, setting):
    place, cycle, author, project = setting
    with pytest.raises(InvalidInput) as big:  # 30 MB against a limit of 1 MB
        media.add_file(db, author, cycle, project, "image", "huge.jpg", b"\xff" * (30 << 20))
    assert big.value.params == {"mb": 1}
    small = photo(64, 48)
    media.add_file(db, author, cycle, project, "image", "a.jpg", small)
    media.add_file(db, author, cycle, project, "image", "b.jpg", small)
    with pytest.raises(InvalidInput) as many:
        media.add_file(db, author, cycle, project, "image", "c.jpg", small)
    assert many.value.params == {"n": 2}
    pdf = media.add_file(db, author, cycle, project, "document", "Кошторис.pdf",
                         b"%PDF-1.7\n%test\n")
    assert media.file_bytes(db, pdf) == b"%PDF-1.7\n%test\n"
    with pytest.raises(InvalidInput):
        media.add_file(db, author, cycle, project, "document", "note.pdf", b"<html></html>")
    with pytest.raises(Forbidden):
        media.add_file(db, make_resident(db, place), cycle, project, "image", "x.jpg", small)


def test_after_submission_only_officials_add_pictures(db, clock, setting):
    place, cycle, author, project = setting
    small = photo(64, 48)
    to_phase(clock, cycle, Phase.review)
    with pytest.raises(Conflict):
        media.add_file(db, author, cycle, project, "image", "late.jpg", small)
    official = make_official(db, place)
    row = media.add_file(db, official, cycle, project, "image", "works.jpg", small)
    assert row.uploaded_by_id == official.id
    db.commit()
    keys = [row.key, row.thumb_key]
    media.remove_file(db, official, cycle, project, row)
    db.commit()
    for key in keys:
        with pytest.raises(NotFound):
            storage.read(db, media.NAMESPACE, key)


def test_a_point_outside_the_community_is_refused(db, setting):
    place, cycle, author, project = setting
    data = dict(category_id=project.category_id, title="Сквер біля ратуші",
                description=DESCRIPTION, location="пл. Ринок, 1", cost=10_000)
    inside = submit_project(db, author, cycle, ProjectCreate(**data, latitude=49.8419,
                                                             longitude=24.0315))
    assert (inside.latitude, inside.longitude) == (49.8419, 24.0315)
    for lat, lng in ((50.45, 30.52), (49.84, None)):
        with pytest.raises(InvalidInput) as refused:
            submit_project(db, author, cycle, ProjectCreate(**data, latitude=lat,
                                                            longitude=lng))
        assert "latitude" in refused.value.fields


def test_pictures_documents_and_the_map_through_the_pages(db, setting, make_client):
    place, cycle, author, project = setting
    browser = make_client()
    browser.login(author)
    url = f"/budget/{cycle.id}/projects/{project.id}"
    done = browser.submit(f"{url}/files", {"kind": "image", "caption": "Вигляд з вулиці"},
                          files={"file": ("street.jpg", photo(800, 600), "image/jpeg")})
    assert done.status_code == 303
    for name, data, kind in (("x.svg", b"<svg></svg>", "image"),
                             ("big.jpg", b"\xff\xd8\xff" + b"0" * (2 << 20), "image"),
                             ("fake.png", b"\x89PNG\r\n\x1a\nnope", "image"),
                             ("a.pdf", b"MZ", "document")):
        refused = browser.submit(f"{url}/files", {"kind": kind},
                                 files={"file": (name, data, "application/octet-stream")})
        assert refused.status_code == 422 and 'id="e-file"' in refused.text
    row = db.exec(select(BudgetProjectFile)).one()
    page = browser.get(url)
    assert f"{url}/files/{row.id}/thumb" in page.text and "Вигляд з вулиці" in page.text
    thumb = make_client().get(f"{url}/files/{row.id}/thumb")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert thumb.headers["x-content-type-options"] == "nosniff"
    assert make_client().get(f"{url}/files/{row.id + 99}/thumb").status_code == 404
    # The map page lists every project with its pot and address, without JavaScript.
    edit = browser.submit(f"{url}/edit", {
        "category_id": str(project.category_id), "title": project.title,
        "description": DESCRIPTION, "location": "вул. Зелена, 20", "cost": "100000",
        "latitude": "49,8300", "longitude": "24.0500"})
    assert edit.status_code == 303
    outside = browser.submit(f"{url}/edit", {
        "category_id": str(project.category_id), "title": project.title,
        "description": DESCRIPTION, "location": "Київ", "cost": "100000",
        "latitude": "50.45", "longitude": "30.52"})
    assert outside.status_code == 422 and 'id="e-latitude"' in outside.text
    shown = make_client().get(f"/budget/{cycle.id}/map")
    assert shown.status_code == 200
    assert 'data-lat="49.83" data-lng="24.05"' in shown.text and "вул. Зелена, 20" in shown.text
    assert 'data-map="places"' in shown.text and f"{url}/files/{row.id}/thumb" in shown.text
