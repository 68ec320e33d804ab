"""Attachments on disk: an allow-list of types checked by extension and content, a size limit.

Files are stored under var/uploads/consultations with a random name (the original name is kept
only in the database, for the download's Content-Disposition), and always served back as an
attachment, never rendered inline by the browser.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import unicodedata
from pathlib import Path

from app.exceptions import InvalidInput
from app.settings import ROOT
from app.web.i18n import N_

MAX_MB = 10  # a file
MAX_BYTES = MAX_MB * 1024 * 1024
MAX_PER_CONSULTATION = 20

# extension -> (content type, a check of the first bytes)
ZIP = b"PK\x03\x04"
TYPES: dict[str, tuple[str, bytes | None]] = {
    "pdf": ("application/pdf", b"%PDF-"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP),
    "odt": ("application/vnd.oasis.opendocument.text", ZIP),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP),
    "csv": ("text/csv", None),
    "png": ("image/png", b"\x89PNG\r\n\x1a\n"),
    "jpg": ("image/jpeg", b"\xff\xd8\xff"),
    "jpeg": ("image/jpeg", b"\xff\xd8\xff"),
}
ALLOWED_LABEL = "pdf, docx, odt, xlsx, csv, png, jpg"


def upload_dir() -> Path:
    """Where files live; HROMADA_UPLOAD_DIR overrides it (tests point it at a temp folder)."""
    configured = os.environ.get("HROMADA_UPLOAD_DIR")
    return Path(configured) if configured else ROOT / "var" / "uploads" / "consultations"


def safe_filename(name: str) -> str:
    """The original name, reduced to something harmless to show and to send back."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = re.sub(r"[\x00-\x1f\x7f\"<>|:*?]", "", name).strip(" .")
    return name[-150:] or "file"


def extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _refusal(ext: str, data: bytes) -> tuple[str, dict] | None:
    """Why the file may not be stored (a msgid and its parameters), or None."""
    if ext not in TYPES:
        return (N_("This type of file is not accepted. Allowed: {allowed}."),
                {"allowed": ALLOWED_LABEL})
    if not data:
        return N_("The file is empty."), {}
    if len(data) > MAX_BYTES:
        return N_("The file is too large (at most {mb} MB)."), {"mb": MAX_MB}
    magic = TYPES[ext][1]
    if magic is not None and not data.startswith(magic):
        return N_("The file's content does not match its type."), {}
    if ext == "csv":
        try:
            data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return N_("A CSV file must be UTF-8 text."), {}
        if b"\x00" in data:
            return N_("The file's content does not match its type."), {}
    return None


def check(filename: str, data: bytes) -> tuple[str, str]:
    """(safe file name, content type) when the file may be stored; InvalidInput of the form's
    "file" field otherwise."""
    name = safe_filename(filename)
    ext = extension(name)
    refusal = _refusal(ext, data)
    if refusal is not None:
        message, params = refusal
        raise InvalidInput(message, fields={"file": message}, **params)
    return name, TYPES[ext][0]


def store(data: bytes, ext: str) -> str:
    """Write the bytes under a fresh random name; returns that name."""
    folder = upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stored = f"{secrets.token_hex(16)}.{ext}"
    path = folder / stored
    with open(path, "xb") as fh:
        fh.write(data)
    return stored


def path_of(stored_name: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{32}\.[a-z]{3,4}", stored_name):
        raise ValueError("bad stored name")
    return upload_dir() / stored_name


def remove(stored_name: str) -> None:
    with contextlib.suppress(ValueError):
        path_of(stored_name).unlink(missing_ok=True)
