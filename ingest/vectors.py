"""The dense index: clause windows and their embeddings in Chroma.

Chroma runs embedded (``PersistentClient`` under the data directory) or as a
server (``chroma run`` + ``HttpClient``). Either way we compute embeddings
ourselves with the configured LangChain ``Embeddings`` and hand them to
Chroma; the collection is also given an embedding function that wraps the
same model, so Chroma never falls back to its default (which downloads one).
Telemetry is off.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
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


@dataclass(frozen=True)
class DenseHit:
    window_id: str
    clause_id: str
    similarity: float


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

    def ids(self) -> set[str]:
        return set(self._collection.get(include=[])["ids"])

    def upsert(
        self,
        ids: list[str],
        vectors: list[list[float]],
        texts: list[str],
        metadatas: list[dict[str, Any]],
        batch: int = 1000,
    ) -> None:
        for i in range(0, len(ids), batch):
            self._collection.upsert(
                ids=ids[i : i + batch],
                embeddings=vectors[i : i + batch],  # type: ignore[arg-type]
                documents=texts[i : i + batch],
                metadatas=metadatas[i : i + batch],  # type: ignore[arg-type]
            )

    def metadatas(self, ids: list[str] | None = None) -> dict[str, dict[str, Any]]:
        """Window id → metadata, for these windows (those that exist) or for all."""
        if ids is not None and not ids:
            return {}
        got = self._collection.get(ids=ids, include=["metadatas"])
        return dict(zip(got["ids"], got["metadatas"] or [], strict=True))  # type: ignore[arg-type]

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

    def similarities(self, vector: list[float], clause_ids: list[str]) -> dict[str, float]:
        """Cosine similarity of the best window of each given clause to ``vector``."""
        if not clause_ids:
            return {}
        where: Any = {"clause_id": {"$in": clause_ids}}
        got = self._collection.get(where=where, include=["embeddings", "metadatas"])
        q = np.asarray(vector, dtype=np.float32)
        q = q / (np.linalg.norm(q) or 1.0)
        best: dict[str, float] = {}
        for emb, meta in zip(got["embeddings"], got["metadatas"], strict=True):  # type: ignore[arg-type]
            v = np.asarray(emb, dtype=np.float32)
            sim = float(v @ q / (np.linalg.norm(v) or 1.0))
            cid = str(meta["clause_id"])
            best[cid] = max(sim, best.get(cid, -1.0))
        return best

    def query(self, vector: list[float], n: int, where: dict[str, Any] | None = None) -> list[DenseHit]:
        total = self.count()
        if total == 0:
            return []
        res = self._collection.query(
            query_embeddings=[vector],  # type: ignore[arg-type]
            n_results=min(n, total),
            where=where or None,  # type: ignore[arg-type]
            include=["metadatas", "distances"],
        )
        hits = []
        for wid, meta, dist in zip(res["ids"][0], res["metadatas"][0], res["distances"][0], strict=True):  # type: ignore[index]
            hits.append(DenseHit(wid, str(meta["clause_id"]), 1.0 - float(dist)))
        return hits
