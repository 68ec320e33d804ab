"""Delivery backends. Each send is idempotent by message id, so a retry never duplicates."""

from __future__ import annotations

import smtplib
import sys
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from app.notifications.models import Message
from app.settings import Settings


class Backend(Protocol):
    def send(self, message: Message) -> None: ...


def build_email(message: Message, settings: Settings) -> EmailMessage:
    email = EmailMessage()
    email["From"] = settings.mail_from
    email["To"] = message.to_email
    email["Subject"] = message.subject
    # A stable Message-ID: receivers drop a copy that a retry might send again.
    domain = settings.mail_from.rsplit("@", 1)[-1].rstrip(">") or "hromada.local"
    email["Message-ID"] = f"<hromada-{message.id}@{domain}>"
    email.set_content(message.body)
    return email


class ConsoleBackend:
    def __init__(self, settings: Settings):
        self.settings = settings

    def send(self, message: Message) -> None:
        sys.stdout.write(f"--- mail {message.id} to {message.to_email}: {message.subject}\n"
                         f"{message.body}\n---\n")


class FileBackend:
    """Writes <mail_dir>/<id>.eml; a second delivery of the same message overwrites it."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.directory = Path(settings.mail_dir)

    def send(self, message: Message) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.directory / f"{message.id:08d}.eml"
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(bytes(build_email(message, self.settings)))
        tmp.replace(target)


class SmtpBackend:
    def __init__(self, settings: Settings):
        self.settings = settings

    def send(self, message: Message) -> None:
        s = self.settings
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=30) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password or "")
            smtp.send_message(build_email(message, s))


def backend_for(settings: Settings) -> Backend:
    return {"console": ConsoleBackend, "file": FileBackend, "smtp": SmtpBackend}[
        settings.mail_backend](settings)

