"""Client networks as keyed hashes: the fraud views group signatures and ballots by the
network they came from (IPv4 /24, IPv6 /48) without keeping any address. The hash is an
HMAC-SHA256 under a key derived from the secret key, cut to 32 hex digits; a network is
comparable with another only within one deployment, and the hashes are dropped after the
rules' retention (`deliberation.network_retention_days`)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

from app.settings import get_settings


def network_of(address: str | None) -> str | None:
    """The /24 (IPv4) or /48 (IPv6) an address belongs to, or None for no address."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def network_hash(address: str | None) -> str | None:
    network = network_of(address)
    if network is None:
        return None
    key = (get_settings().secret_key + ":client-network").encode()
    return hmac.new(key, network.encode(), hashlib.sha256).hexdigest()[:32]
