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
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.types import Documents, EmbeddingFunction
from chromadb.api.types import Embeddings as Embeddings_
from chromadb.config import Settings as ChromaSettings
from langchain_core.embeddings import Embeddings


class _LangChainEmbeddingFunction(EmbeddingFunction[Documents]):
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
    def build_from_config(config: dict[str, Any]) -> _LangChainEmbeddingFunction:
        # Chroma rebuilds the function from the stored config when it opens a
        # collection; the real model is attached by VectorIndex right after.
        return _LangChainEmbeddingFunction(None, str(config.get("model", "")))

    def is_legacy(self) -> bool:
        return False


def make_client(*, mode: str, path: Path | None = None, host: str = "127.0.0.1", port: int = 8000) -> ClientAPI:
    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if mode == "embedded":
        if path is None:
            raise ValueError("embedded Chroma needs a path")
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=settings)
    if mode == "server":
        return chromadb.HttpClient(host=host, port=port, settings=settings)
    raise ValueError(f"unknown Chroma mode {mode!r} (expected 'embedded' or 'server')")


class VectorIndex:
    """One Chroma collection of clause windows."""

    def __init__(
        self, client: ClientAPI, collection: str, embeddings: Embeddings, embedder_id: str, *, create: bool = True
    ):
        """``create=False`` opens an existing collection only (a reader must never create an empty one)."""
        self.client = client
        self.embeddings = embeddings
        self.embedder_id = embedder_id
        self.collection_name = collection
        function = _LangChainEmbeddingFunction(embeddings, embedder_id)
        if create:
            self._collection = client.get_or_create_collection(
                collection,
                embedding_function=function,  # type: ignore[arg-type]
                metadata={"hnsw:space": "cosine"},
            )
        else:
            self._collection = client.get_collection(collection, embedding_function=function)  # type: ignore[arg-type]

    def reset(self) -> None:
        """Drop and recreate the collection (used when the embedder changes)."""
        self.client.delete_collection(self.collection_name)
        self._collection = self.client.get_or_create_collection(
            self.collection_name,
            embedding_function=_LangChainEmbeddingFunction(self.embeddings, self.embedder_id),  # type: ignore[arg-type]
            metadata={"hnsw:space": "cosine"},
        )

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
        """The stored vectors of these windows (those that exist), as rows of one float32 matrix."""
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
