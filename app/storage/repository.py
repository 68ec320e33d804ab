"""Every query of the file store's database backend."""

from __future__ import annotations

from sqlalchemy import delete, func
from sqlmodel import Session, select

from app.storage.models import StoredFile


def insert(session: Session, namespace: str, key: str, content_type: str, data: bytes) -> None:
    session.add(StoredFile(namespace=namespace, key=key, content_type=content_type,
                           size=len(data), data=data))


def data_of(session: Session, namespace: str, key: str) -> bytes | None:
    return session.exec(select(StoredFile.data).where(StoredFile.namespace == namespace,
                                                      StoredFile.key == key)).first()


def delete_file(session: Session, namespace: str, key: str) -> None:
    session.exec(delete(StoredFile).where(StoredFile.namespace == namespace,
                                          StoredFile.key == key))


def count(session: Session, namespace: str) -> int:
    return session.exec(select(func.count()).select_from(StoredFile)
                        .where(StoredFile.namespace == namespace)).one()
