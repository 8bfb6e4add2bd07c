"""Which hosts a site registry may name.

A registry points the sidecar at gateways, issuers and object stores; one
that names a link-local or cloud-metadata address (``169.254.169.254``,
``metadata.google.internal``) would have the sidecar and the kernels fetch
from the machine's own metadata service: refused, unless the server allows it
(``c.DaskSites.allow_link_local_hosts``). Plain ``http://`` (or an unencrypted
gateway proxy) to another machine is allowed with a warning. The sidecar
applies the same rule (``src/sidecar/registry-hosts.ts``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from urllib.parse import urlsplit

#: Cloud metadata services by name (AWS, GCP, Azure and others use 169.254.169.254).
METADATA_NAMES = frozenset({"metadata.google.internal", "metadata", "metadata.goog"})
#: Metadata addresses outside the link-local range (Alibaba Cloud, AWS over IPv6).
METADATA_ADDRESSES = frozenset({"100.100.100.200", "fd00:ec2::254"})
LOOPBACK_NAMES = frozenset({"localhost"})


def _host(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return host.rstrip(".").lower()


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def host_problem(url: str) -> str | None:
    """Why ``url``'s host must not be used, or None."""
    host = _host(url)
    address = _ip(host)
    if host in METADATA_NAMES or (address is not None and str(address) in METADATA_ADDRESSES):
        return f"{host} is a cloud metadata service"
    if address is not None and address.is_link_local:
        return f"{host} is a link-local address (cloud metadata services live there)"
    return None


def host_warning(url: str) -> str | None:
    """A warning for unencrypted traffic to another machine, or None."""
    scheme = urlsplit(url).scheme.lower()
    host = _host(url)
    address = _ip(host)
    if scheme not in ("http", "gateway"):
        return None
    if host in LOOPBACK_NAMES or (address is not None and address.is_loopback):
        return None
    return f"{url} is not encrypted ({scheme}://) and reaches another machine"


def registry_addresses(document: dict) -> Iterator[tuple[str, str, str]]:
    """``(site name, field, URL)`` of every address a registry names."""
    for site in document.get("sites", []):
        name = site.get("name", "?")
        gateway = site.get("gateway") or {}
        for field in ("address", "proxy_address", "public_address"):
            if isinstance(gateway.get(field), str):
                yield name, f"gateway.{field}", gateway[field]
        auth = site.get("auth") or {}
        if isinstance(auth.get("issuer"), str):
            yield name, "auth.issuer", auth["issuer"]
        for index, endpoint in enumerate((site.get("data") or {}).get("storage_endpoints", [])):
            if isinstance(endpoint, str):
                yield name, f"data.storage_endpoints.{index}", endpoint
        credentials = (site.get("data") or {}).get("credentials") or {}
        if isinstance(credentials.get("endpoint"), str):
            yield name, "data.credentials.endpoint", credentials["endpoint"]


def host_problems(document: dict) -> list[str]:
    return [
        f'site "{name}": {field}: {problem}; set c.DaskSites.allow_link_local_hosts to use it'
        for name, field, url in registry_addresses(document)
        if (problem := host_problem(url))
    ]


def host_warnings(document: dict) -> list[str]:
    return [
        f'site "{name}": {field}: {warning}'
        for name, field, url in registry_addresses(document)
        if (warning := host_warning(url))
    ]
