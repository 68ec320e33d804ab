"""Attachments: an allow-list of types checked by extension and content, a size limit.

The bytes live in the kernel's file store (app/storage: the database on PostgreSQL, the disk
under var/uploads/consultations with `make run`) under a random key; the original name is kept
only in the attachment's row, for the download's Content-Disposition, and a file is always
served back as an attachment, never rendered inline by the browser.
"""

from __future__ import annotations

import re
import unicodedata

from sqlmodel import Session

from app import storage
from app.exceptions import InvalidInput
from app.web.i18n import N_

NAMESPACE = "consultations"

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


def store(session: Session, data: bytes, name: str, content_type: str) -> str:
    """Put the checked bytes in the file store; returns their key (kept as `stored_name`)."""
    return storage.put(session, NAMESPACE, data, ext=extension(name), content_type=content_type)


def read(session: Session, stored_name: str) -> bytes:
    """The bytes of an attachment; NotFound when they are missing."""
    return storage.read(session, NAMESPACE, stored_name)


def remove(session: Session, stored_name: str) -> None:
    """Remove an attachment's bytes once the transaction commits."""
    storage.remove(session, NAMESPACE, stored_name)
