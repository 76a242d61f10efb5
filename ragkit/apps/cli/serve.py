"""`ragkit serve`: the document Q&A page and an OpenAI-compatible API on this machine.

Turns settings and flags into a `WebConfig` and a shared set of models, refuses an exposed
address without an API key, and runs the app (`ragkit.apps.web`, imported only here so other
commands never load FastAPI) under uvicorn. Leaves out the routes themselves.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ragkit.apps.cli.common import ConfigOpt, app, command
from ragkit.errors import ConfigError

if TYPE_CHECKING:
    from fastapi import FastAPI

    from ragkit.config import Settings


@app.command()
def serve(
    index_name: Annotated[
        list[str] | None,
        typer.Option(
            "--index",
            "-i",
            metavar="NAME",
            help="Also serve this existing index read-only (repeat for more).",
        ),
    ] = None,
    host: Annotated[
        str | None, typer.Option("--host", help="Address to listen on (default 127.0.0.1).")
    ] = None,
    port: Annotated[
        str | None,
        typer.Option("--port", "-p", metavar="INTEGER", help="Port (default 8321)."),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Folder for collections and uploads (server.data_dir)."),
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Serve the document Q&A page and OpenAI-compatible /v1 routes (RAG over an index)."""
    with command(
        config,
        {"server.port": ("--port", "a TCP port"), "server.host": "--host"},
        server={"host": host, "port": port, "data_dir": str(data_dir) if data_dir else None},
    ) as (out, _err, settings):
        server = settings.server
        # An empty key would let through any request that sends "Bearer ": treat it as none.
        # (Blank too: HTTP trims the header's spaces, so "  " would be the same hole.)
        api_key = (server.api_key.get_secret_value().strip() if server.api_key else "") or None
        from ragkit.apps.web.security import check_bind

        check_bind(server.host, api_key)
        _check_port(server.host, server.port)
        web_app = _build(settings, index_name or [], api_key)
        import uvicorn

        shown = f"[{server.host}]" if ":" in server.host else server.host
        out.print(f"ragkit serving on http://{shown}:{server.port}/ (data in {server.data_dir})")
        try:
            uvicorn.run(web_app, host=server.host, port=server.port, log_level="warning")
        except SystemExit as exc:  # uvicorn exits when it cannot bind
            raise ConfigError(
                f"could not listen on {server.host}:{server.port} (in use, or not an address "
                "of this machine); choose another with --port or --host"
            ) from exc


def _check_port(host: str, port: int) -> None:
    """Fail with one clear line before any model or folder is touched when the address
    cannot be bound (uvicorn would log a traceback-like error and exit)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on {host}:{port} ({exc.strerror or exc}); choose another "
                "port with --port, or another address with --host"
            ) from None


def _build(settings: Settings, names: list[str], api_key: str | None) -> FastAPI:
    from dataclasses import replace

    from ragkit.apps.web import WebConfig, create_app
    from ragkit.apps.web.serial import SerialEmbedder
    from ragkit.index.peek import require_index
    from ragkit.wiring import embedder, index_path, knowledge_base_at, shared_models

    # Collections index on their own writer threads but share the embedder.
    models = replace(shared_models(settings), embedder=SerialEmbedder(embedder(settings)))
    served: dict[str, Path] = {}
    for name in names:
        path = index_path(settings, name)
        require_index(path, name)
        model_id = Path(name).name
        if model_id in served:
            raise ConfigError(
                f"two --index values are both named {model_id!r}; serve one of them, or "
                "give each index its own name"
            )
        served[model_id] = path
    server = settings.server
    try:
        config = WebConfig(
            data_dir=server.data_dir,
            api_key=api_key,
            max_upload_bytes=server.max_upload_bytes,
            allowed_types=frozenset("." + t.lower().lstrip(".") for t in server.allowed_types),
            max_pending_questions=server.max_pending_questions,
            served_indexes=served,
            max_collections=server.max_collections,
            max_documents=server.max_documents,
        )
    except ValueError as exc:  # a setting WebConfig refuses (they are checked there)
        raise ConfigError(f"server settings: {exc}") from None
    try:
        return create_app(
            config, lambda path: knowledge_base_at(settings, path, models), models.embedder
        )
    except OSError as exc:
        raise ConfigError(
            f"server data folder {server.data_dir} is not usable ({exc.strerror or exc}); "
            "set server.data_dir (or --data-dir) to a writable folder"
        ) from None
