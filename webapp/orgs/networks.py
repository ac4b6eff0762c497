"""An organisation's allowed networks: one address or CIDR block per line, empty for any."""
from __future__ import annotations

import ipaddress
from typing import Any

from flask_babel import lazy_gettext as _l

MAX_NETWORKS = 50


def parse(text: str) -> tuple[str, list[Any]]:
    """(the list normalised one per line, problems); commas and spaces separate as well."""
    entries = [e for e in text.replace(",", " ").split() if e]
    if len(entries) > MAX_NETWORKS:
        return "", [_l("Give at most %(n)d allowed networks.", n=MAX_NETWORKS)]
    networks, problems = [], []
    for entry in entries:
        try:
            networks.append(str(ipaddress.ip_network(entry, strict=False)))
        except ValueError:
            problems.append(_l("%(entry)s is not an IP address or network (e.g. 203.0.113.0/24).", entry=entry[:60]))
    return "\n".join(dict.fromkeys(networks)), problems


def allows(allowed_networks: str, ip: str) -> bool:
    """True when no network is set, or the address is in one of them."""
    if not allowed_networks.strip():
        return True
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(n, strict=False) for n in allowed_networks.split())
