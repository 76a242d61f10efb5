"""Collections: one upload set = one ragkit index with its uploaded files.

On disk a collection is `data_dir/collections/<id>/` holding `collection.json` (id,
name, creation time), `index/` (a ragkit index), `uploads/` (the files, under sanitized
names) and `staging/` (uploads not yet handed to the writer). Each collection has ONE
writer thread: uploads are moved into place, indexed and deleted there, one after the
other, so two requests never write the same index at once (the engine's file lock would
make a second writer wait anyway; the queue keeps request threads free). Reads of the
cached index reader are serialised by a per-collection lock because a reader may be
swapped for a newer generation. Indexes given with `ragkit serve --index` are served
read-only beside them. The server holds at most `max_collections` collections and each at most
`max_documents` uploaded files. Leaves out per-user quotas and sharing collections
between users.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from ragkit import KnowledgeBase, RagkitError
from ragkit.apps.web.config import KbFactory, WebConfig
from ragkit.apps.web.conversations import Conversations
from ragkit.apps.web.errors import ApiError
from ragkit.apps.web.jobs import IndexJob
from ragkit.apps.web.stopping import Stoppable
from ragkit.apps.web.uploads import ensure_real_dir, place, safe_name

log = logging.getLogger("ragkit.web")
META = "collection.json"
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
T = TypeVar("T")


class Collection:
    def __init__(
        self,
        cid: str,
        name: str,
        index_dir: Path,
        kb: KnowledgeBase,
        folder: Path | None = None,
        created: float = 0.0,
        conversations: Path | None = None,
    ) -> None:
        self.id = cid
        self.name = name
        self.index_dir = index_dir
        # Answers go through a model the web page's Stop halts between two tokens.
        self.model = Stoppable(kb.chat_model)
        self.kb = kb.with_chat_model(self.model)
        # with_chat_model rebuilds from the options `kb` was opened with; keep the
        # loader's as the app set them (the server's OCR cache).
        self.kb.loader_options = kb.loader_options
        self.folder = folder  # None: a served index, read-only
        self.created = created
        self.read_lock = threading.Lock()
        self._writer = ThreadPoolExecutor(1, thread_name_prefix=f"ragkit-writer-{cid}")
        self._failures: dict[str, str] = {}
        # A collection's threads live in its folder and go with it; a served index's
        # live beside the collections (the index folder itself is not ours to write).
        where = conversations or (folder or index_dir) / "conversations.sqlite"
        self.conversations = Conversations(where)

    @property
    def read_only(self) -> bool:
        return self.folder is None

    @property
    def uploads_dir(self) -> Path:
        return self._own_folder() / "uploads"

    @property
    def staging_dir(self) -> Path:
        return self._own_folder() / "staging"

    def _own_folder(self) -> Path:
        if self.folder is None:
            raise ApiError(
                403,
                # Its folder stays out of the message: the reader may be anyone the
                # server answers. The command is the one for where the server runs.
                f"collection {self.id} is an index served read-only (ragkit serve --index "
                f"{self.id}); change it where the server runs, with: ragkit index DOCS "
                f"--index {self.id} (or ragkit remove FILES --index {self.id}), and the page "
                "answers from the new version; or create a collection on this page and "
                "upload files to it",
                "permission_error",
                "collection",
            )
        return self.folder

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        """Run `fn` on this collection's writer thread, after every write queued before."""
        return self._writer.submit(fn)

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "read_only": self.read_only,
            "created": int(self.created),
        }

    def documents(self) -> list[dict[str, Any]]:
        """Indexed documents (name, chunks) and uploads that are not in the index."""
        indexed: dict[str, dict[str, Any]] = {}
        with self.read_lock:
            listed = self.kb.documents()
        for doc in listed:  # a JSON-lines file holds several documents: one entry per file
            name = Path(doc.source).name
            entry = indexed.setdefault(
                name, {"name": name, "chunks": 0, "pages": None, "status": "indexed", "reason": ""}
            )
            entry["chunks"] += doc.chunks
            if doc.pages is not None:
                entry["pages"] = max(entry["pages"] or 0, doc.pages)
        if self.folder is not None and self.uploads_dir.is_dir():
            for path in sorted(self.uploads_dir.iterdir()):
                if path.name not in indexed and path.is_file() and not path.is_symlink():
                    # Known failures say why; otherwise it is queued, or a restart cut the
                    # job short before the index took it.
                    reason = self._failures.get(
                        path.name, "not in the index yet (upload it again if this stays)"
                    )
                    indexed[path.name] = {
                        "name": path.name,
                        "chunks": 0,
                        "pages": None,
                        "status": "not indexed",
                        "reason": reason,
                    }
        return sorted(indexed.values(), key=lambda d: str(d["name"]).lower())

    def chunks_of(self, name: str) -> list[dict[str, Any]]:
        """The passages of the indexed file called `name`: id, pages and opening words."""
        with self.read_lock:
            if not self.kb.exists:
                return []
            docs = [d for d in self.kb.documents() if Path(d.source).name == name]
            if not docs:
                raise ApiError(
                    404, f"no indexed document {name!r} in this collection", "not_found_error"
                )
            reader = self.kb.reader()
            ids = [i for i, _ in reader.store.chunk_ids_and_hashes(reader.generation)]
            found = reader.chunks(ids)
        sources = {d.source for d in docs}
        mine = sorted(
            (c for c in found.values() if c.source in sources), key=lambda c: (c.doc_key, c.ordinal)
        )
        return [
            {
                "id": c.id,
                "page_start": c.page_start,
                "page_end": c.page_end,
                "text": " ".join(c.text.split())[:240],
            }
            for c in mine
        ]

    def read(self, fn: Callable[[KnowledgeBase], T]) -> T:
        """`fn(kb)` while no other request can swap the knowledge base's cached reader."""
        with self.read_lock:
            return fn(self.kb)

    # --- run on the writer thread ----------------------------------------------------
    def index_uploads(self, job: IndexJob, staged: list[Path], root: Path) -> None:
        job.start()
        try:
            placed = [place(p, self.uploads_dir, root) for p in staged]
            report = self.kb.add(placed, progress=job)
            for outcome in report.files:
                name = Path(outcome.path).name
                if outcome.status == "failed":
                    self._failures[name] = outcome.reason
                else:
                    self._failures.pop(name, None)
            job.finish()
        except ApiError as exc:
            job.finish(exc.message)
        except RagkitError as exc:
            job.finish(str(exc))
        except Exception as exc:  # keep the writer alive; the job says what went wrong
            log.exception("indexing job %s failed", job.id)
            job.finish(f"indexing failed unexpectedly ({type(exc).__name__})")
        finally:
            shutil.rmtree(self.staging_dir / job.id, ignore_errors=True)

    def delete_document(self, raw_name: str) -> list[str]:
        name = safe_name(raw_name)
        if name != raw_name:
            raise ApiError(400, f"{raw_name!r} is not a document name", param="name")
        target = self.uploads_dir / name
        if not (target.exists() or target.is_symlink()):
            raise ApiError(404, f"no document {name!r} in collection {self.id}", "not_found_error")
        removed = self.kb.remove([target]) if self.kb.exists else []
        target.unlink(missing_ok=True)
        self._failures.pop(name, None)
        return [Path(s).name for s in removed] or [name]

    def retire(self) -> Future[None]:
        """Remove this collection's folder after every write queued before; accept no more."""
        folder = self._own_folder()

        def drop() -> None:
            with self.read_lock:
                self.kb.close()
            shutil.rmtree(folder, ignore_errors=True)

        done = self._writer.submit(drop)
        self._writer.shutdown(wait=False)
        return done

    def close(self, wait: bool = True) -> None:
        self._writer.shutdown(wait=wait, cancel_futures=not wait)
        with self.read_lock:
            self.kb.close()


class Collections:
    """Every collection the server knows, by id; created, listed and deleted here."""

    def __init__(self, config: WebConfig, open_kb: KbFactory) -> None:
        self.config = config
        self._open_kb = open_kb
        self.root = config.data_dir / "collections"
        self._lock = threading.Lock()
        self._items: dict[str, Collection] = {}
        ensure_real_dir(self.root, config.data_dir)
        for name, path in config.served_indexes.items():
            talk = (
                config.data_dir
                / "conversations"
                / (re.sub(r"[^A-Za-z0-9_.-]", "_", name) + ".sqlite")
            )
            # A served index was made when its manifest was last written.
            made = (path / "manifest.json").stat().st_mtime
            self._items[name] = Collection(
                name, name, path, open_kb(path), created=made, conversations=talk
            )
        for folder in sorted(self.root.iterdir()):
            self._load(folder)

    def _load(self, folder: Path) -> None:
        try:
            meta = json.loads((folder / META).read_text(encoding="utf-8"))
            cid, name, created = str(meta["id"]), str(meta["name"]), float(meta["created"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("skipping %s: not a collection (%s)", folder, exc)
            return
        if cid != folder.name or not _ID.match(cid) or folder.is_symlink() or cid in self._items:
            log.warning("skipping %s: its collection.json does not match the folder", folder)
            return
        # Uploads staged by a server that stopped before handing them over are dropped.
        shutil.rmtree(folder / "staging", ignore_errors=True)
        kb = self._open_kb(folder / "index")
        self._items[cid] = Collection(cid, name, folder / "index", kb, folder, created)

    def create(self, name: str) -> Collection:
        shown = " ".join(name.split())[:100]
        if not shown:
            raise ApiError(400, "a collection needs a name", param="name")
        slug = re.sub(r"[^a-z0-9]+", "-", shown.lower()).strip("-")[:40] or "collection"
        with self._lock:
            own = sum(1 for c in self._items.values() if not c.read_only)
            if own >= self.config.max_collections:
                raise ApiError(
                    409,
                    f"the server already holds {own} collections, its limit "
                    "(server.max_collections); delete one first",
                    param="name",
                    code="collection_limit",
                )
            cid = f"{slug}-{uuid.uuid4().hex[:6]}"
            folder = self.root / cid
            folder.mkdir(parents=True)
            created = time.time()
            meta = {"id": cid, "name": shown, "created": created}
            # Written whole, then renamed: a crash never leaves a half-written description.
            (folder / (META + ".tmp")).write_text(json.dumps(meta), encoding="utf-8")
            os.replace(folder / (META + ".tmp"), folder / META)
            coll = Collection(
                cid, shown, folder / "index", self._open_kb(folder / "index"), folder, created
            )
            self._items[cid] = coll
        return coll

    def get(self, cid: str) -> Collection:
        with self._lock:
            coll = self._items.get(cid)
        if coll is None:
            raise ApiError(
                404,
                f"no collection or index named {cid!r}; GET /v1/models lists them",
                "not_found_error",
                "model",
            )
        return coll

    def all(self) -> list[Collection]:
        with self._lock:
            return sorted(self._items.values(), key=lambda c: (c.created, c.id))

    def delete(self, cid: str) -> Future[None]:
        """Forget collection `cid` now and remove its folder once its queued writes ran."""
        coll = self.get(cid)
        coll.uploads_dir  # noqa: B018  (refuses a read-only index before anything changes)
        with self._lock:
            self._items.pop(cid, None)
        return coll.retire()

    def close(self) -> None:
        for coll in self.all():
            coll.close(wait=False)
