"""The dense index: clause windows and their embeddings in Chroma.

Chroma runs embedded (``PersistentClient`` under the data directory) or as a
server (``chroma run`` + ``HttpClient``). Either way we compute embeddings
ourselves with the configured LangChain ``Embeddings`` and hand them to
Chroma; the collection is also given an embedding function that wraps the
same model, so Chroma never falls back to its default (which downloads one).
Telemetry is off.

Chroma is where the vectors live (and what several processes share through a
server); the retriever reads them with ``fetch`` into memory once per index
generation and scores queries there. Writes of many documents go through
``batched()``: one upsert call for thousands of windows instead of one per
document.

Each published generation also keeps a *snapshot* of its windows' vectors
(``vectors.npy`` + ``vectors.json`` in its folder), written by the ingest
before it publishes. A window id names its content and the embedder is fixed
per collection, so the vector under an id never changes: the snapshot is a
cache of the collection that cannot go stale, and ``fetch`` reads it first.
A serving process therefore neither imports chromadb nor opens the collection
(the client and the collection are opened on first use: about a second of a
cold start); Chroma is asked only for windows a snapshot lacks (a generation
built by an earlier version, a damaged file).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import numpy as np
from langchain_core.embeddings import Embeddings

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

_SNAPSHOT_VERSION = 1


@lru_cache(maxsize=1)
def _function_class() -> type:
    """Chroma's embedding-function class for our LangChain ``Embeddings`` (defined on first use, so that
    importing this module does not import chromadb)."""
    from chromadb.api.types import Documents, EmbeddingFunction
    from chromadb.api.types import Embeddings as Embeddings_

    class LangChainEmbeddingFunction(EmbeddingFunction[Documents]):
        """Chroma embedding function backed by our LangChain ``Embeddings``."""

        def __init__(self, embeddings: Embeddings | None, name: str):
            self._embeddings = embeddings
            self._name = name

        def __call__(self, input: Documents) -> Embeddings_:  # noqa: A002 - Chroma's name
            if self._embeddings is None:
                raise RuntimeError("embeddings are computed by the application, not by Chroma")
            return [np.asarray(v, dtype=np.float32) for v in self._embeddings.embed_documents(list(input))]

        @staticmethod
        def name() -> str:
            return "policy-assistant"

        def get_config(self) -> dict[str, Any]:
            return {"model": self._name}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> LangChainEmbeddingFunction:
            # Chroma rebuilds the function from the stored config when it opens a
            # collection; the real model is attached by VectorIndex right after.
            return LangChainEmbeddingFunction(None, str(config.get("model", "")))

        def is_legacy(self) -> bool:
            return False

    return LangChainEmbeddingFunction


def embedding_function(embeddings: Embeddings | None, name: str) -> Any:
    return _function_class()(embeddings, name)


def make_client(*, mode: str, path: Path | None = None, host: str = "127.0.0.1", port: int = 8000) -> ClientAPI:
    if mode not in ("embedded", "server"):
        raise ValueError(f"unknown Chroma mode {mode!r} (expected 'embedded' or 'server')")
    if mode == "embedded" and path is None:
        raise ValueError("embedded Chroma needs a path")
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if mode == "embedded":
        assert path is not None
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=settings)
    return chromadb.HttpClient(host=host, port=port, settings=settings)


class LazyClient:
    """A Chroma client made on first use (``make_client``'s arguments), for processes that may only read
    snapshots: a service answering from them never imports chromadb. Behaves as the client it makes."""

    def __init__(self, factory: Callable[[], ClientAPI]):
        self._factory = factory
        self._client: ClientAPI | None = None
        self._lock = threading.Lock()
        self.epoch = 0  # bumped by ``reset``: collections opened before are opened again

    def get(self) -> ClientAPI:
        with self._lock:
            if self._client is None:
                self._client = self._factory()
            return self._client

    @property
    def opened(self) -> bool:
        return self._client is not None

    def reset(self) -> None:
        """Forget this process's view of Chroma: the next use reads the collections as they are on disk.

        Embedded Chroma keeps what it has loaded of a collection in memory, so a process that had one
        open does not see what another process wrote to it since, and what it writes next is written
        over that stale view. A writer calls this before it writes to a collection another process may
        have written (``Generations.refresh``)."""
        with self._lock:
            if self._client is None:
                return
            from chromadb.api.shared_system_client import SharedSystemClient

            SharedSystemClient.clear_system_cache()
            self._client = None
            self.epoch += 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self.get(), name)


class VectorIndex:
    """One Chroma collection of clause windows (opened on first use), and a generation's snapshot of it."""

    def __init__(
        self,
        client: ClientAPI,
        collection: str,
        embeddings: Embeddings,
        embedder_id: str,
        *,
        create: bool = True,
        snapshot: Path | None = None,
    ):
        """``create=False`` opens an existing collection only (a reader must never create an empty one);
        ``snapshot``: where the generation's snapshot is (``<snapshot>.npy`` and ``<snapshot>.json``)."""
        self.client = client
        self.embeddings = embeddings
        self.embedder_id = embedder_id
        self.collection_name = collection
        self.snapshot_path = snapshot
        self._create = create
        self._opened: Collection | None = None
        self._epoch = 0  # the client's epoch the collection was opened in (see LazyClient.reset)
        self._snapshot: tuple[dict[str, int], np.ndarray] | None = None
        self._snapshot_read = False
        self._lock = threading.Lock()
        if create:
            _ = self._collection  # a writer makes its collection now

    @property
    def _collection(self) -> Collection:
        with self._lock:
            epoch = getattr(self.client, "epoch", 0)
            if self._opened is None or self._epoch != epoch:
                self._epoch = epoch
                function = embedding_function(self.embeddings, self.embedder_id)
                if self._create:
                    self._opened = self.client.get_or_create_collection(
                        self.collection_name, embedding_function=function, metadata={"hnsw:space": "cosine"}
                    )
                else:
                    self._opened = self.client.get_collection(self.collection_name, embedding_function=function)
            return self._opened

    def reset(self) -> None:
        """Drop and recreate the collection (used when the embedder changes)."""
        self.client.delete_collection(self.collection_name)
        with self._lock:
            self._opened = self.client.get_or_create_collection(
                self.collection_name,
                embedding_function=embedding_function(self.embeddings, self.embedder_id),
                metadata={"hnsw:space": "cosine"},
            )
            self._snapshot, self._snapshot_read = None, False

    def count(self) -> int:
        return self._collection.count()

    def ids(self, page: int = 50_000) -> set[str]:
        """Every window id (ids alone come back fine in pages this large; by 5,000 they took twice as long)."""
        return {i for got in self._pages([], page) for i in got["ids"]}

    def _pages(self, include: list[str], page: int) -> Iterator[Any]:
        """The whole collection, ``page`` records per ``get``: Chroma's embedded backend fails on one
        ``get`` of tens of thousands of records (too many SQL variables)."""
        offset = 0
        while True:
            got = self._collection.get(include=include, limit=page, offset=offset)  # type: ignore[arg-type]
            yield got
            if len(got["ids"]) < page:
                return
            offset += page

    def upsert(
        self,
        ids: list[str],
        vectors: list[list[float]],
        texts: list[str],
        metadatas: list[dict[str, Any]],
        batch: int = 4000,
    ) -> None:
        for i in range(0, len(ids), batch):
            self._collection.upsert(
                ids=ids[i : i + batch],
                embeddings=vectors[i : i + batch],  # type: ignore[arg-type]
                documents=texts[i : i + batch],
                metadatas=metadatas[i : i + batch],  # type: ignore[arg-type]
            )

    @contextmanager
    def batched(self, flush_windows: int = 4000) -> Iterator[UpsertBatch]:
        """Upserts of several documents gathered into few large Chroma calls (see ``UpsertBatch``).

        Whatever is pending when the block ends normally is flushed; after an exception it is
        dropped, and nothing that depended on it (``then``) runs.
        """
        batch = UpsertBatch(self, flush_windows)
        yield batch
        batch.flush()

    def metadatas(self, ids: list[str] | None = None, batch: int = 5000) -> dict[str, dict[str, Any]]:
        """Window id → metadata, for these windows (those that exist) or for all."""
        if ids is None:
            pages = list(self._pages(["metadatas"], batch))
        else:
            pages = [
                self._collection.get(ids=ids[i : i + batch], include=["metadatas"])  # type: ignore[list-item]
                for i in range(0, len(ids), batch)
            ]
        out: dict[str, dict[str, Any]] = {}
        for got in pages:
            out.update(zip(got["ids"], got["metadatas"] or [], strict=True))  # type: ignore[arg-type]
        return out

    def copy_from(self, other: VectorIndex, ids: list[str], batch: int = 1000) -> None:
        """Copy these windows (vectors, texts, metadata) from another collection, without embedding."""
        for i in range(0, len(ids), batch):
            got = other._collection.get(ids=ids[i : i + batch], include=["embeddings", "documents", "metadatas"])
            if got["ids"]:
                self._collection.upsert(
                    ids=got["ids"],
                    embeddings=got["embeddings"],  # type: ignore[arg-type]
                    documents=got["documents"],
                    metadatas=got["metadatas"],
                )

    def delete(self, ids: list[str], batch: int = 1000) -> None:
        for i in range(0, len(ids), batch):
            self._collection.delete(ids=ids[i : i + batch])

    def fetch(self, ids: list[str], batch: int = 5000) -> tuple[list[str], np.ndarray]:
        """The vectors of these windows (those that exist), as rows of one float32 matrix: from the
        generation's snapshot, and from Chroma for any the snapshot lacks."""
        found, matrix = self.cached(ids)
        if len(found) == len(ids):
            return found, matrix
        have = set(found)
        more, rows = self._fetch_stored([i for i in ids if i not in have], batch)
        if not found:
            return more, rows
        return found + more, np.concatenate([matrix, rows]) if len(more) else matrix

    def _fetch_stored(self, ids: list[str], batch: int = 5000) -> tuple[list[str], np.ndarray]:
        """From Chroma."""
        found: list[str] = []
        blocks: list[np.ndarray] = []
        for i in range(0, len(ids), batch):
            got = self._collection.get(ids=ids[i : i + batch], include=["embeddings"])
            if got["ids"]:
                found.extend(got["ids"])
                blocks.append(np.asarray(got["embeddings"], dtype=np.float32))
        if not blocks:
            return [], np.zeros((0, 0), dtype=np.float32)
        return found, np.concatenate(blocks) if len(blocks) > 1 else blocks[0]

    # ------------------------------------------------------------------ the generation's snapshot

    def cached(self, ids: list[str]) -> tuple[list[str], np.ndarray]:
        """The vectors of these windows that the snapshot holds (in ``ids`` order), without asking Chroma."""
        snap = self._snapshot_rows()
        if snap is None or not ids:
            return [], np.zeros((0, 0), dtype=np.float32)
        index, matrix = snap
        found = [i for i in ids if i in index]
        if not found:
            return [], np.zeros((0, 0), dtype=np.float32)
        return found, np.asarray(matrix[np.fromiter((index[i] for i in found), dtype=np.int64, count=len(found))])

    def has_snapshot(self) -> bool:
        return self._snapshot_rows() is not None

    def _snapshot_rows(self) -> tuple[dict[str, int], np.ndarray] | None:
        if self.snapshot_path is None:
            return None
        with self._lock:
            if not self._snapshot_read:
                self._snapshot = read_snapshot(self.snapshot_path, self.embedder_id)
                self._snapshot_read = True
            return self._snapshot

    def write_snapshot(self, ids: list[str], reuse: VectorIndex | None = None, chunk: int = 8192) -> int:
        """Write the snapshot of these windows (the generation's, before it is published); ``reuse``: the
        serving generation's index, whose snapshot rows are copied (in their order, a chunk at a time, by
        plain reads and writes: a large index is never in memory twice) instead of read from Chroma.
        Windows Chroma does not have are left out (``fetch`` asks Chroma for them). Returns the rows."""
        if self.snapshot_path is None:
            raise ValueError("this index has no snapshot path")
        wanted = set(ids)
        kept: list[str] = []
        mask = np.zeros(0, dtype=bool)
        old = reuse.snapshot_path if reuse is not None and reuse.embedder_id == self.embedder_id else None
        snap = reuse._snapshot_rows() if reuse is not None and old is not None else None
        if snap is not None:
            order = list(snap[0])  # row order
            mask = np.fromiter((w in wanted for w in order), dtype=bool, count=len(order))
            kept = [w for w, keep in zip(order, mask.tolist(), strict=True) if keep]
        taken = set(kept)
        new_found, new_matrix = self._fetch_stored([i for i in ids if i not in taken])
        dims = {m.shape[1] for m in (snap[1] if snap else None, new_matrix) if m is not None and len(m)}
        if len(dims) > 1:
            raise RuntimeError(f"vectors of different sizes in one generation: {sorted(dims)}")
        dim = dims.pop() if dims else 0
        n = len(kept) + len(new_found)
        path = self.snapshot_path
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".npy.tmp")
        with tmp.open("wb") as out:
            np.lib.format.write_array_header_1_0(out, {"descr": "<f4", "fortran_order": False, "shape": (n, dim)})
            if snap is not None and kept:
                assert old is not None
                with old.with_suffix(".npy").open("rb") as src:
                    major, _ = np.lib.format.read_magic(src)
                    header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
                    header(src)
                    for a in range(0, len(mask), chunk):
                        rows = np.fromfile(src, dtype="<f4", count=min(chunk, len(mask) - a) * dim).reshape(-1, dim)
                        out.write(rows[mask[a : a + chunk]].tobytes())
            if new_found:
                out.write(np.ascontiguousarray(new_matrix, dtype="<f4").tobytes())
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path.with_suffix(".npy"))
        record = {"version": _SNAPSHOT_VERSION, "embedder": self.embedder_id, "rows": n, "ids": kept + new_found}
        tmp_meta = path.with_suffix(".json.tmp")
        with tmp_meta.open("w", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_meta, path.with_suffix(".json"))  # last: a snapshot without its ids is no snapshot
        with self._lock:
            self._snapshot, self._snapshot_read = None, False
        return n


def snapshot_ids(path: Path, embedder_id: str) -> list[str] | None:
    """The window ids of the snapshot at ``path`` (its record only; the vectors are not read), or None."""
    try:
        record = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        ids = record["ids"]
        if record.get("version") != _SNAPSHOT_VERSION or record.get("embedder") != embedder_id:
            return None
        if not isinstance(ids, list) or len(ids) != record.get("rows") or not path.with_suffix(".npy").is_file():
            return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return ids


def read_snapshot(path: Path, embedder_id: str) -> tuple[dict[str, int], np.ndarray] | None:
    """Window id → row, and the rows (memory-mapped), of the snapshot at ``path``; None when there is none,
    it was made by another embedder, or its two files do not agree (then Chroma is read instead)."""
    try:
        record = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        if record.get("version") != _SNAPSHOT_VERSION or record.get("embedder") != embedder_id:
            return None
        ids = record["ids"]
        matrix = np.load(path.with_suffix(".npy"), mmap_mode="r")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if matrix.ndim != 2 or matrix.dtype != np.float32 or not matrix.shape[0] == len(ids) == record.get("rows"):
        return None
    if not ids:
        return None  # nothing to read from it
    return {w: i for i, w in enumerate(ids)}, matrix


@dataclass
class _Pending:
    ids: list[str]
    vectors: list[list[float]]
    texts: list[str]
    metadatas: list[dict[str, Any]]
    then: Callable[[], None]
    failed: Callable[[Exception], None]


@dataclass
class UpsertBatch:
    """Windows of several documents, upserted together once ``flush_windows`` are pending.

    Chroma's cost is mostly per call (one write-ahead-log entry and index update each), so one
    call for many documents is several times faster than one per document. Each document comes
    with ``then`` — what must happen only once its vectors are in (switching the clause store to
    it, deleting its stale windows) — and ``failed``, called instead when the upsert fails.
    """

    index: VectorIndex
    flush_windows: int = 4000
    _pending: list[_Pending] = field(default_factory=list)
    _windows: int = 0

    def add(
        self,
        ids: list[str],
        vectors: list[list[float]],
        texts: list[str],
        metadatas: list[dict[str, Any]],
        *,
        then: Callable[[], None],
        failed: Callable[[Exception], None],
    ) -> None:
        self._pending.append(_Pending(ids, vectors, texts, metadatas, then, failed))
        self._windows += len(ids)
        if self._windows >= self.flush_windows:
            self.flush()

    def flush(self) -> None:
        pending, self._pending, self._windows = self._pending, [], 0
        if not pending:
            return
        try:
            self.index.upsert(
                [i for p in pending for i in p.ids],
                [v for p in pending for v in p.vectors],
                [t for p in pending for t in p.texts],
                [m for p in pending for m in p.metadatas],
            )
        except Exception as exc:  # noqa: BLE001 - every document of the batch is reported, the run goes on
            for p in pending:
                p.failed(exc)
            return
        for p in pending:
            p.then()
