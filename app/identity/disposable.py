"""Disposable e-mail domains: refused at registration and when an address changes, because
an account on a throwaway mailbox is how one person signs a petition a hundred times.

The list is the one shipped with Hromada (app/identity/disposable_domains.txt) and the
operator's own (`HROMADA_DISPOSABLE_DOMAINS_FILE`, one domain a line, `#` comments), read again
whenever that file changes. A domain covers its subdomains.
"""

from __future__ import annotations

from pathlib import Path

from app.settings import ROOT, get_settings

SHIPPED = ROOT / "app" / "identity" / "disposable_domains.txt"
_cache: dict[str, tuple[float, frozenset[str]]] = {}


def _read(path: Path) -> frozenset[str]:
    try:
        stamp = path.stat().st_mtime
    except OSError:
        return frozenset()
    held = _cache.get(str(path))
    if held is not None and held[0] == stamp:
        return held[1]
    found = frozenset(
        line.strip().lower().lstrip("@") for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.strip().startswith("#"))
    _cache[str(path)] = (stamp, found)
    return found


def domains() -> frozenset[str]:
    operator = get_settings().disposable_domains_file
    extra = _read(Path(operator)) if operator else frozenset()
    return _read(SHIPPED) | extra


def is_disposable(email: str) -> bool:
    domain = email.strip().lower().rpartition("@")[2].rstrip(".")
    listed = domains()
    parts = domain.split(".")
    return any(".".join(parts[i:]) in listed for i in range(len(parts) - 1))
