"""Outgoing webhook targets: the SSRF guard and a POST that connects only to the address it checked.

A subscription's URL is refused when its host resolves to any loopback, private, link-local
(169.254.169.254, the cloud metadata service, among them), shared, multicast, reserved or
otherwise non-global address, unless ``WEBHOOK_ALLOW_PRIVATE_TARGETS`` is on (tests and
development). The check runs when the subscription is saved and again at every delivery:
``post()`` resolves the host, checks every address and connects to the one it checked (no second
lookup a rebinding DNS server could answer differently), and never follows a redirect.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class TargetRefused(ValueError):
    """The URL is not an acceptable webhook target (scheme, host, or an address the guard refuses)."""


def _refused_reason(address: str) -> str:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for label, flag in (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
        ("unspecified", ip.is_unspecified),
    ):
        if flag:
            return label
    return "" if ip.is_global else "non-global"


def _parts(url: str) -> tuple[str, str, int, str]:
    try:
        split = urlsplit(url)
        port = split.port
    except ValueError as exc:
        raise TargetRefused(f"Not a valid URL: {exc}.") from None
    if split.scheme not in ("http", "https"):
        raise TargetRefused("The URL must start with https:// or http://.")
    if not split.hostname:
        raise TargetRefused("The URL has no host.")
    if split.username or split.password:
        raise TargetRefused("Put credentials in the secret, not in the URL.")
    path = split.path or "/"
    if split.query:
        path += f"?{split.query}"
    return split.scheme, split.hostname, port or (443 if split.scheme == "https" else 80), path


def resolve(url: str) -> tuple[str, str, int, str, str]:
    """``(scheme, host, port, path, address)`` for an acceptable target; raises ``TargetRefused`` otherwise."""
    scheme, host, port, path = _parts(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except UnicodeError as exc:
        raise TargetRefused(f"{host} is not a valid host name: {exc}.") from None
    # socket.gaierror (an OSError) passes: DNS down at a delivery is worth a retry.
    addresses = [str(info[4][0]) for info in infos]
    if not settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        for address in addresses:
            reason = _refused_reason(address)
            if reason:
                raise TargetRefused(
                    f"{host} resolves to {address}, a {reason} address; webhooks may only reach public addresses "
                    "(WEBHOOK_ALLOW_PRIVATE_TARGETS allows others)."
                )
    return scheme, host, port, path, addresses[0]


def check(url: str) -> None:
    """Raise ``TargetRefused`` unless ``url`` is an acceptable target now (a subscription's save)."""
    try:
        resolve(url)
    except OSError as exc:
        raise TargetRefused(f"The host does not resolve: {exc}.") from None


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST ``body`` to ``url`` after the guard; returns the status code (redirects are not followed).

    Raises ``TargetRefused`` for a refused target and ``OSError`` (or ``http.client.HTTPException``)
    when the host does not resolve or cannot be reached.
    """
    scheme, host, port, path, address = resolve(url)
    connection_class = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
    connection = connection_class(host, port, address=address, timeout=timeout)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(65536)
        return response.status
    finally:
        connection.close()
