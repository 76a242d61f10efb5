"""Who may use the server: the bind-address rule, the Bearer API key check and, without
a key, the loopback Host check.

Listening on anything but a loopback address without an API key is refused before the
server starts. With a key set, every /api and /v1 request must send
`Authorization: Bearer KEY` (compared in constant time). Without a key, requests must
name a loopback host in their `Host` header (`LoopbackHostOnly`): a web page elsewhere
that points its own domain at 127.0.0.1 (DNS rebinding) would otherwise count as
same-origin and read the documents. Leaves out TLS (put a reverse proxy in front for
that) and per-user keys.
"""

from __future__ import annotations

import hmac
import ipaddress
import json

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from apps.web.errors import ApiError, error_body
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


def host_is_loopback(header: str) -> bool:
    """Whether a `Host` header (`name`, `name:port`, `[v6]:port`) names this machine."""
    host = header.strip()
    if host.startswith("["):
        host = host[1 : host.find("]")] if "]" in host else host
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    return bool(host) and is_loopback(host)


class LoopbackHostOnly:
    """ASGI middleware: refuse HTTP requests whose Host header is not a loopback name."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = dict(scope.get("headers", [])).get(b"host", b"").decode("latin-1")
            if not host_is_loopback(host):
                body = json.dumps(
                    error_body(
                        f"Host {host!r} is not this server's address; open the page at "
                        "http://127.0.0.1:PORT/ (or set an API key to serve other names)",
                        "invalid_request_error",
                    )
                ).encode()
                headers = [(b"content-type", b"application/json")]
                await send({"type": "http.response.start", "status": 421, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
