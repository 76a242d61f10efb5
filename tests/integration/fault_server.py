"""A tiny OpenAI-compatible HTTP server on 127.0.0.1 that misbehaves on purpose.

Each request takes the next scripted `Act`: an error status (with headers such as
Retry-After), a slow reply, an answer streamed slowly as server-sent events, or a stream
cut off mid-way. It records every request and whether the client hung up early, so
tests can check retries, timeouts, cancellation and error messages against real sockets.
"""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Act:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    """JSON body for a non-streamed reply (or an error)."""
    pieces: tuple[str, ...] = ()
    """Streamed replies: the content pieces, one event each."""
    delay: float = 0.0
    """Seconds to wait before replying, and between streamed pieces."""
    first_delay: float | None = None
    """Seconds to wait before replying, when not `delay`."""
    cut_after: int | None = None
    """Streamed replies: close the socket after this many pieces, without [DONE]."""


@dataclass
class Record:
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    hung_up: list[tuple[int, float]] = field(default_factory=list)
    """(pieces sent before the client closed the connection, time it was noticed)."""
    completed: int = 0


class FaultServer:
    def __init__(self, acts: list[Act]) -> None:
        self.acts = list(acts)
        self.record = Record()
        self._lock = threading.Lock()

    def next_act(self) -> Act:
        with self._lock:
            return self.acts.pop(0) if len(self.acts) > 1 else self.acts[0]


def _handler(server: FaultServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            server.record.requests.append(body)
            server.record.headers.append({k.lower(): v for k, v in self.headers.items()})
            act = server.next_act()
            time.sleep(act.delay if act.first_delay is None else act.first_delay)
            if act.status != 200 or not body.get("stream"):
                self._json(act)
                return
            self._stream(act)

        def _json(self, act: Act) -> None:
            payload = act.body
            if payload is None:
                payload = {
                    "choices": [{"message": {"role": "assistant", "content": "".join(act.pieces)}}]
                }
            data = json.dumps(payload).encode()
            self.send_response(act.status)
            for key, value in act.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _chunk(self, text: str) -> None:
            data = text.encode()
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        def _closed_within(self, seconds: float) -> bool:
            """Wait `seconds` between pieces, ending early (True) when the client closes
            the connection: a write only fails a piece or two after the close, so waiting
            on the socket notices a hang-up at once instead of pieces later."""
            deadline = time.monotonic() + seconds
            while (left := deadline - time.monotonic()) > 0:
                readable, _, _ = select.select([self.connection], [], [], left)
                if not readable:
                    return False
                try:
                    if self.connection.recv(1, socket.MSG_PEEK) == b"":
                        return True  # end of stream: the client closed its side
                except ConnectionResetError:
                    return True
                # The client sent bytes (a client never does mid-reply): wait the rest out.
                time.sleep(left)
            return False

        def _stream(self, act: Act) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            sent = 0
            try:
                for piece in act.pieces:
                    if act.cut_after is not None and sent >= act.cut_after:
                        self.close_connection = True
                        self.connection.shutdown(2)
                        return
                    event = {"choices": [{"delta": {"content": piece}, "finish_reason": None}]}
                    self._chunk(f"data: {json.dumps(event)}\n\n")
                    sent += 1
                    if self._closed_within(act.delay):
                        raise ConnectionResetError("the client closed the connection")
                end = {"choices": [{"delta": {}, "finish_reason": "stop"}]}
                self._chunk(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n")
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
                server.record.completed += 1
            except (BrokenPipeError, ConnectionResetError):
                server.record.hung_up.append((sent, time.monotonic()))
                self.close_connection = True

    return Handler


@contextmanager
def fault_server(acts: list[Act]) -> Iterator[tuple[str, FaultServer]]:
    """Yield (`http://127.0.0.1:PORT/v1`, the server's script and record)."""
    state = FaultServer(acts)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1", state
    finally:
        httpd.shutdown()
        httpd.server_close()
