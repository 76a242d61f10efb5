"""Who may use the server: the bind-address rule and the Bearer API key check.

Listening on anything but a loopback address without an API key is refused before the
server starts. With a key set, every /api and /v1 request must send
`Authorization: Bearer KEY` (compared in constant time). Leaves out TLS (put a reverse
proxy in front for that) and per-user keys.
"""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import Request

from apps.web.errors import ApiError
from ragkit.errors import ConfigError


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve anywhere, so it counts as exposed


def check_bind(host: str, api_key: str | None) -> None:
    """Raise `ConfigError` when `host` is reachable from other machines and no key is set."""
    if not is_loopback(host) and not api_key:
        raise ConfigError(
            f"refusing to listen on {host} without an API key: anyone who can reach it could "
            "read and change your documents; set RAGKIT_SERVER__API_KEY (or server.api_key "
            "in ragkit.toml), or listen on 127.0.0.1"
        )


def key_matches(header: str | None, api_key: str) -> bool:
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(token.strip().encode(), api_key.encode())


def require_key(request: Request) -> None:
    """FastAPI dependency: refuse the request unless it carries the configured key."""
    api_key: str | None = request.app.state.web.config.api_key
    if api_key is None:
        return
    if not key_matches(request.headers.get("authorization"), api_key):
        raise ApiError(
            401,
            "missing or wrong API key; send the header 'Authorization: Bearer <key>'",
            "authentication_error",
        )
