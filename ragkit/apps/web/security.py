"""Who may use the server: the bind-address rule, the Bearer API key check and, without
a key, the loopback Host check.

Listening on anything but a loopback address without an API key is refused before the
server starts. With a key set, every /api and /v1 request must send
`Authorization: Bearer KEY` (compared in constant time). Without a key, requests must
name a loopback host in their `Host` header (`LoopbackHostOnly`): a web page elsewhere
that points its own domain at 127.0.0.1 (DNS rebinding) would otherwise count as
same-origin and read the documents. State-changing requests (POST, PUT, PATCH, DELETE)
that a browser sends from another site carry that site's `Origin`: they are refused
with 403 (`SameOriginWrites`), so a page elsewhere cannot upload to, ask, or delete the
collections of a server on 127.0.0.1 (cross-site request forgery). Requests without an
`Origin` (curl, SDKs) and requests carrying the configured API key pass. Leaves out TLS
(put a reverse proxy in front for that) and per-user keys.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from urllib.parse import urlsplit

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from ragkit.apps.web.errors import ApiError, error_body
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


_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def same_origin(origin: str, host: str) -> bool:
    """Whether an `Origin` header names the server the request was sent to (`Host`)."""
    try:
        parts = urlsplit(origin.strip())
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False  # "null" (sandboxed frames, file: pages) included
    return parts.netloc.lower() == host.strip().lower()


class SameOriginWrites:
    """ASGI middleware: refuse (403) a state-changing request whose `Origin` header names
    another site. With an API key configured, a request carrying the key passes: a page
    on another site cannot know it."""

    def __init__(self, app: ASGIApp, api_key: str | None = None) -> None:
        self.app = app
        self.api_key = api_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method", "GET") in _UNSAFE_METHODS:
            headers = dict(scope.get("headers", []))
            origin = headers.get(b"origin")
            if origin is not None:
                host = headers.get(b"host", b"").decode("latin-1")
                text = origin.decode("latin-1")
                keyed = self.api_key is not None and key_matches(
                    headers.get(b"authorization", b"").decode("latin-1"), self.api_key
                )
                if not keyed and not same_origin(text, host):
                    body = json.dumps(
                        error_body(
                            f"requests that change data are refused from another site "
                            f"(Origin {text[:100]!r}); use the page this server serves",
                            "permission_error",
                        )
                    ).encode()
                    headers_out = [(b"content-type", b"application/json")]
                    await send(
                        {"type": "http.response.start", "status": 403, "headers": headers_out}
                    )
                    await send({"type": "http.response.body", "body": body})
                    return
        await self.app(scope, receive, send)
