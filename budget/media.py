"""Pictures and documents of a project, and its point on the map.

An image (JPEG, PNG, WebP or GIF, checked by its content, not its name) is decoded with Pillow
and re-encoded as JPEG in two sizes (large and a thumbnail), so what is served carries no
metadata of the upload (EXIF: the camera, the place, the time) and nothing but pixels; SVG is
refused (it can carry script), and so is a file whose content is not the image it claims to be.
A document is a PDF, kept as uploaded and always served as a download. Sizes and counts come
from the cycle's rules; the bytes go to the kernel's file store (app.storage).
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlmodel import Session

from app import clock, storage
from app.audit import service as audit
from app.exceptions import InvalidInput, NotFound
from app.identity.models import User
from app.web.i18n import N_
from budget import permissions
from budget import repository as repo
from budget.cycles import CycleRules, rules_of
from budget.models import BudgetCycle, BudgetProject, BudgetProjectFile, FileKind, Phase
from budget.phases import phase_of

NAMESPACE = "budget"
LARGE, THUMB = 1600, 400  # the longest side of each size, in pixels
QUALITY = 85
MAX_PIXELS = 40_000_000  # a larger picture is refused before it is decoded (a "bomb")
IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
MB = 1024 * 1024

NOT_AN_IMAGE = N_("The file is not an image this site accepts (JPEG, PNG, WebP or GIF), or "
                  "its content does not match its type.")
SVG_REFUSED = N_("SVG images are not accepted (they can carry script). Upload a PNG or JPEG.")
TOO_LARGE = N_("The file is too large (at most {mb} MB).")
NOT_A_PDF = N_("A document must be a PDF file.")
TOO_MANY = N_("A project can have at most {n} files of this kind.")
EMPTY = N_("Choose a file to upload.")


def _refuse(message: str, **params) -> InvalidInput:
    return InvalidInput(message, fields={"file": message}, **params)


def read_limit(rules: CycleRules, kind: str) -> int:
    """How many bytes a view reads of an upload: one more than the rules allow, so a larger
    file is known to be too large without reading it all."""
    return (rules.image_max_mb if kind == FileKind.image else rules.document_max_mb) * MB + 1


def _looks_like_svg(data: bytes, filename: str) -> bool:
    head = data[:1024].lstrip().lower()
    return (filename.lower().endswith((".svg", ".svgz")) or head.startswith(b"<svg")
            or (head.startswith(b"<?xml") and b"<svg" in data[:4096].lower())
            or data[:2] == b"\x1f\x8b" and filename.lower().endswith(".svgz"))


def _encode(image: Image.Image, longest: int) -> tuple[bytes, int, int]:
    copy = image.copy()
    copy.thumbnail((longest, longest), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    copy.save(out, "JPEG", quality=QUALITY, optimize=True)  # no exif=: nothing but pixels
    return out.getvalue(), copy.width, copy.height


def process_image(data: bytes, filename: str) -> tuple[bytes, bytes, int, int]:
    """(large JPEG, thumbnail JPEG, width, height of the large) of an uploaded image, or
    InvalidInput saying why it is refused."""
    if _looks_like_svg(data, filename):
        raise _refuse(SVG_REFUSED)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in IMAGE_FORMATS:
                    raise _refuse(NOT_AN_IMAGE)
                if probe.width * probe.height > MAX_PIXELS:
                    raise _refuse(N_("The image has too many pixels (at most {n} million)."),
                                  n=MAX_PIXELS // 1_000_000)
                probe.verify()  # a truncated or forged file fails here
            with Image.open(io.BytesIO(data)) as image:
                image.seek(0)
                image = ImageOps.exif_transpose(image)  # the photo as the camera held it
                if image.mode not in ("RGB", "L"):
                    flat = Image.new("RGB", image.size, (255, 255, 255))
                    rgba = image.convert("RGBA")
                    flat.paste(rgba, mask=rgba.getchannel("A"))
                    image = flat
                elif image.mode == "L":
                    image = image.convert("RGB")
                large, width, height = _encode(image, LARGE)
                thumb, _, _ = _encode(image, THUMB)
    except InvalidInput:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(NOT_AN_IMAGE) from None
    return large, thumb, width, height


def _checked_pdf(data: bytes, filename: str) -> None:
    if not data.startswith(b"%PDF-") or not filename.lower().endswith(".pdf"):
        raise _refuse(NOT_A_PDF)


def files_of(session: Session, projects: list[BudgetProject], kind: str | None = None
             ) -> dict[int, list[BudgetProjectFile]]:
    """project id -> its files (one query for a list of projects)."""
    out: dict[int, list[BudgetProjectFile]] = {p.id: [] for p in projects}
    for f in repo.files(session, out.keys(), kind):
        out[f.project_id].append(f)
    return out


def add_file(session: Session, user: User | None, cycle: BudgetCycle, project: BudgetProject,
             kind: str, filename: str, data: bytes, caption: str = "") -> BudgetProjectFile:
    """Add an image or a PDF to a project (its author during submission, an official any
    time: during implementation it is a photo of the works)."""
    phase = phase_of(cycle)
    permissions.check_attach(session, user, cycle, project, phase)
    rules = rules_of(session, cycle)
    if kind not in (FileKind.image, FileKind.document):
        raise _refuse(N_("Choose one of the offered options."))
    if not data:
        raise _refuse(EMPTY)
    limit_mb = rules.image_max_mb if kind == FileKind.image else rules.document_max_mb
    if len(data) > limit_mb * MB:
        raise _refuse(TOO_LARGE, mb=limit_mb)
    most = rules.images_per_project if kind == FileKind.image else rules.documents_per_project
    if len(repo.files(session, [project.id], kind)) >= most:
        raise _refuse(TOO_MANY, n=most)
    name = storage_name(filename)
    caption = " ".join((caption or "").split())[:200]
    if kind == FileKind.image:
        large, thumb, width, height = process_image(data, name)
        key = storage.put(session, NAMESPACE, large, ext="jpg", content_type="image/jpeg")
        thumb_key = storage.put(session, NAMESPACE, thumb, ext="jpg",
                                content_type="image/jpeg")
        row = BudgetProjectFile(project_id=project.id, kind=kind, filename=name,
                                caption=caption, content_type="image/jpeg", size=len(large),
                                key=key, thumb_key=thumb_key, width=width, height=height)
    else:
        _checked_pdf(data, name)
        key = storage.put(session, NAMESPACE, data, ext="pdf", content_type="application/pdf")
        row = BudgetProjectFile(project_id=project.id, kind=kind, filename=name,
                                caption=caption, content_type="application/pdf",
                                size=len(data), key=key)
    row.implementation = phase == Phase.implementation
    row.uploaded_by_id = user.id
    row.created_at = clock.now()
    repo.add(session, row)
    audit.append(session, "budget.file_added", repo.PROJECT_SUBJECT, project.id, user.id,
                 kind=kind, file_id=row.id, size=row.size)
    return row


def storage_name(filename: str) -> str:
    """The uploaded name, reduced to something harmless to show and to send back."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?').strip(" .")
    return name[-150:] or "file"


def get_file(session: Session, project: BudgetProject, file_id: int) -> BudgetProjectFile:
    row = repo.file(session, file_id)
    if row is None or row.project_id != project.id:
        raise NotFound(N_("There is no such file."))
    return row


def file_bytes(session: Session, row: BudgetProjectFile, thumb: bool = False) -> bytes:
    key = row.thumb_key if thumb and row.thumb_key else row.key
    return storage.read(session, NAMESPACE, key)


def remove_file(session: Session, user: User | None, cycle: BudgetCycle,
                project: BudgetProject, row: BudgetProjectFile) -> None:
    permissions.check_attach(session, user, cycle, project)
    repo.delete_file(session, row.id)
    storage.remove(session, NAMESPACE, row.key)
    if row.thumb_key:
        storage.remove(session, NAMESPACE, row.thumb_key)
    audit.append(session, "budget.file_removed", repo.PROJECT_SUBJECT, project.id, user.id,
                 kind=row.kind, file_id=row.id)


# -- the map --------------------------------------------------------------------------------

OUTSIDE = N_("The point is outside the community's area.")


def checked_point(rules: CycleRules, latitude: float | None, longitude: float | None
                  ) -> tuple[float | None, float | None]:
    """A point on the map: both coordinates or neither, on the Earth, inside the community's
    area when its rules draw one."""
    if latitude is None and longitude is None:
        return None, None
    if latitude is None or longitude is None:
        message = N_("Give both the latitude and the longitude, or neither.")
        raise InvalidInput(message, fields={"latitude": message})
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        message = N_("This is not a point on the Earth.")
        raise InvalidInput(message, fields={"latitude": message})
    if rules.area is not None:
        south, west, north, east = rules.area
        if not (south <= latitude <= north and west <= longitude <= east):
            raise InvalidInput(OUTSIDE, fields={"latitude": OUTSIDE})
    return round(latitude, 6), round(longitude, 6)
