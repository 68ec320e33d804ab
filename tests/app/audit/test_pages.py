"""The pages: /audit says in plain words what is checked and how, with the three commands an
NGO runs; /audit/format documents every field; both in Ukrainian and English."""

from __future__ import annotations

import pytest

from app.audit import service as audit
from tests.app.audit.helpers import sealed


def test_the_audit_page_explains_the_check_and_gives_the_three_commands(client, db):
    entries = sealed(db, [None, None])
    page = client.get("/audit?lang=en")
    assert page.status_code == 200
    text = page.text
    for words in ("What a check proves", "Check this deployment yourself",
                  "The log is public", entries[-1].hash, audit.public_key_hex(),
                  audit.key_id(audit.public_key_hex())):
        assert words in text
    assert ("python3 -m pip install --user cryptography\n"
            "curl -fsSLO http://testserver/audit/verify_audit.py\n"
            "python3 verify_audit.py http://testserver</code>") in text
    assert "hromada audit verify --url http://testserver" in text
    for link in ('href="/audit/format"', 'href="/audit/check"',
                 'href="/api/v1/audit/entries"', 'href="/api/v1/audit/entries.ndjson"',
                 'href="/api/v1/audit/checkpoints"'):
        assert link in text
    assert text.count("<h1>") == 1 and '<label for="f-seq">' in text


@pytest.mark.parametrize("lang, words", [
    ("en", ("The audit log's format", "How to recompute an entry's hash", "netstring")),
    ("uk", ("Формат журналу аудиту", "Як перерахувати хеш запису", "netstring")),
])
def test_the_format_page_documents_every_field_and_both_procedures(client, db, lang, words):
    page = client.get(f"/audit/format?lang={lang}")
    assert page.status_code == 200
    for word in words:
        assert word in page.text
    for name in ("seq", "format", "created_at", "action", "subject_type", "subject_id",
                 "actor", "data", "prev_hash", "hash", "head_hash", "format2_from", "key_id",
                 "signature"):
        assert f"<code>{name}</code>" in page.text, name
    assert audit.ENTRY_TAG in page.text and "hromada-audit-checkpoint/2" in page.text
    assert audit.public_key_hex() in page.text


def test_the_audit_page_speaks_ukrainian(client, db):
    page = client.get("/audit?lang=uk")
    assert "Що доводить перевірка" in page.text and "What a check proves" not in page.text
