"""Hybrid clause retrieval: BM25 + dense, fused, with exact-match signals.

Dense hits are windows; they are folded into their clause (best window wins),
so results are always whole clauses. Dense scores are exact cosine similarities
over an in-memory matrix of every window vector, read from Chroma once per
index generation (only documents that changed are read again): one matrix
product per query instead of a Chroma query plus a lookup of the BM25
candidates' vectors. BM25 is scored once per query over all clauses, and
candidates are taken by partial selection. Query vectors come from the
``QueryEncoder`` (LRU cache, micro-batching). Two fusions are available:

* ``relative`` (default): each retriever's scores are min-max normalised over
  its candidates and mixed with equal weights. Unlike rank fusion it keeps
  the *gap* between scores, so a clause that BM25 finds far ahead of the rest
  is not pulled level with the dense retriever's uncertain first pick.
  Measured on the golden set it beats RRF for every weight tried (see
  eval/reports/retrieval.md).
* ``rrf``: reciprocal rank fusion, sum of 1/(k + rank).

On top of either, exact signals add a fixed vote each, because users who type
them mean them: a city the question names, the number of an indexed document,
a document number cited inside a clause, an amount that appears verbatim in
the clause, and — for questions about a document itself (who issued it,
when, is it in force) — its header, preamble and signature.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from langchain_core.embeddings import Embeddings

from app.embeddings import QueryEncoder
from app.query import AnalyzedQuery, amount_patterns, analyze
from ingest.lexical import LexicalIndex, top_indices
from ingest.schema import Clause, DocumentMeta
from ingest.store import ClauseStore
from ingest.textproc import Tokenizer
from ingest.vectors import VectorIndex

Mode = Literal["hybrid", "bm25", "dense"]
Fusion = Literal["relative", "rrf"]
_ABOUT_DOCUMENT = ("header", "preamble", "signature")


class IndexNotReady(RuntimeError):
    """The indexes are missing or out of date; run ``policy-assistant ingest``."""


@dataclass(frozen=True)
class Filters:
    city: str | None = None
    doc_id: str | None = None
    status: str | None = None
    doc_ids: tuple[str, ...] | None = None  # the documents of the place asked about (scope)

    def accepts(self, doc: DocumentMeta) -> bool:
        return (
            (self.city is None or doc.city == self.city)
            and (self.doc_id is None or doc.id == self.doc_id)
            and (self.status is None or doc.status == self.status)
            and (self.doc_ids is None or doc.id in self.doc_ids)
        )


@dataclass(frozen=True)
class SearchResult:
    clause: Clause
    doc: DocumentMeta
    score: float
    bm25_rank: int | None = None
    dense_rank: int | None = None
    dense_similarity: float | None = None
    signals: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        c, d = self.clause, self.doc
        return {
            "clause_id": c.clause_id,
            "doc_id": d.id,
            "doc_title": d.title,
            "doc_number": d.number,
            "doc_date": d.date,
            "issuer": d.issuer,
            "city": d.city,
            "status": d.status,
            "heading_path": list(c.heading_path),
            "kind": c.kind,
            "text": c.text,
            "start": c.start,
            "end": c.end,
            "score": round(self.score, 6),
            "bm25_rank": self.bm25_rank,
            "dense_rank": self.dense_rank,
            "signals": list(self.signals),
        }


@dataclass
class _DocBlock:
    """One document's clauses and window vectors, reused by the next snapshot while it is unchanged."""

    version: tuple[str, str]  # (fingerprint, ingested_at)
    clauses: list[Clause]
    window_clause: np.ndarray  # int: index into ``clauses`` of each window row
    vectors: np.ndarray  # float32, one normalised row per window that has a stored vector
    complete: bool  # every window of the store had a vector in Chroma


class _Snapshot:
    """Clauses, documents and dense vectors as of one store generation, as flat arrays.

    Clause ``i`` is ``clause_list[i]`` (store order: by document, then position); windows are the
    rows of ``matrix``, sorted by clause, with ``window_clause[row]`` their clause. Documents
    whose (fingerprint, ingest time) did not change keep the previous snapshot's block, so an
    update of one document fetches only that document's clauses and vectors.
    """

    def __init__(self, store: ClauseStore, vectors: VectorIndex, previous: _Snapshot | None = None):
        self.generation = store.generation
        stored = store.documents()
        self.docs = {d.meta.id: d.meta for d in stored}
        old = previous.blocks if previous is not None else {}
        blocks: dict[str, _DocBlock] = {}
        fresh: list[str] = []
        for d in stored:
            block = old.get(d.meta.id)
            if block is not None and block.complete and block.version == (d.fingerprint, d.ingested_at):
                blocks[d.meta.id] = block
            else:
                fresh.append(d.meta.id)
        if fresh:
            versions = {d.meta.id: (d.fingerprint, d.ingested_at) for d in stored}
            blocks.update(_load_blocks(store, vectors, fresh, versions, everything=len(fresh) == len(stored)))
        self.blocks: dict[str, _DocBlock] = {d.meta.id: blocks[d.meta.id] for d in stored}

        self.clause_list: list[Clause] = [c for b in self.blocks.values() for c in b.clauses]
        self.clauses = {c.clause_id: c for c in self.clause_list}
        self.order = {c.clause_id: i for i, c in enumerate(self.clause_list)}
        doc_index = {doc_id: i for i, doc_id in enumerate(self.docs)}
        self.doc_list = list(self.docs.values())
        self.clause_doc = np.fromiter((doc_index[c.doc_id] for c in self.clause_list), dtype=np.int64)
        self.numbers = {d.number for d in self.docs.values() if d.number}
        self.cities = tuple(sorted({d.city for d in self.docs.values() if d.city and d.city != "未知"}))

        offset, owners, rows = 0, [], []
        for b in self.blocks.values():
            owners.append(b.window_clause + offset)
            rows.append(b.vectors)
            offset += len(b.clauses)
        self.window_clause = np.concatenate(owners) if owners else np.zeros(0, dtype=np.int64)
        filled = [r for r in rows if len(r)]
        self.matrix = np.concatenate(filled) if filled else np.zeros((0, 0), dtype=np.float32)
        at = 0
        for b in self.blocks.values():  # each block now points into the one matrix: no second copy
            b.vectors = self.matrix[at : at + len(b.vectors)]
            at += len(b.vectors)
        n = len(self.clause_list)
        self.window_start = np.searchsorted(self.window_clause, np.arange(n), side="left")
        self.window_end = np.searchsorted(self.window_clause, np.arange(n), side="right")
        self._allowed: dict[Filters, np.ndarray | None] = {}
        self._lock = threading.Lock()

    def allowed(self, filters: Filters) -> np.ndarray | None:
        """Clauses the filters let through, as a boolean mask (None: all), cached per filter."""
        if filters == Filters():
            return None
        with self._lock:
            if filters not in self._allowed:
                if len(self._allowed) >= 256:
                    self._allowed.pop(next(iter(self._allowed)))
                docs_ok = np.fromiter((filters.accepts(d) for d in self.doc_list), dtype=bool, count=len(self.doc_list))
                self._allowed[filters] = docs_ok[self.clause_doc] if len(self.clause_doc) else docs_ok[:0]
            return self._allowed[filters]


def _load_blocks(
    store: ClauseStore,
    vectors: VectorIndex,
    doc_ids: list[str],
    versions: dict[str, tuple[str, str]],
    *,
    everything: bool,
) -> dict[str, _DocBlock]:
    """Clauses and vectors of these documents (all of them in a few bulk reads when ``everything``)."""
    if everything:
        by_doc: dict[str, list[Clause]] = {}
        for c in store.clauses():
            by_doc.setdefault(c.doc_id, []).append(c)
        windows = store.window_ids()
    else:
        by_doc = {doc_id: store.clauses(doc_id) for doc_id in doc_ids}
        windows = {w for doc_id in doc_ids for w in store.window_ids(doc_id)}
    by_clause: dict[str, list[tuple[int, str]]] = {}
    for w in windows:
        clause_id, _, n = w.rpartition("#")  # window ids are "<clause id>#<n>@<content hash>" (or "…#<n>")
        by_clause.setdefault(clause_id, []).append((int(n.partition("@")[0]), w))
    found, matrix = vectors.fetch(sorted(windows))
    if matrix.size:
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        matrix /= np.where(norms > 0, norms, 1.0)
    row_of = {w: i for i, w in enumerate(found)}
    dim = matrix.shape[1] if matrix.ndim == 2 else 0
    out = {}
    for doc_id in doc_ids:
        clauses = by_doc.get(doc_id, [])
        owners, rows, expected = [], [], 0
        for i, c in enumerate(clauses):
            for _, w in sorted(by_clause.get(c.clause_id, ())):
                expected += 1
                if w in row_of:
                    owners.append(i)
                    rows.append(row_of[w])
        out[doc_id] = _DocBlock(
            version=versions[doc_id],
            clauses=clauses,
            window_clause=np.asarray(owners, dtype=np.int64),
            vectors=matrix[rows] if rows else np.zeros((0, dim), dtype=np.float32),
            complete=len(rows) == expected,
        )
    return out


class HybridRetriever:
    def __init__(
        self,
        store: ClauseStore,
        vectors: VectorIndex,
        tokenizer: Tokenizer,
        lexical_dir: Any,
        *,
        candidates: int = 50,
        rrf_k: int = 60,
        fusion: Fusion = "relative",
        bm25_weight: float = 0.5,
        encoder: QueryEncoder | None = None,
    ):
        self.store = store
        self.vectors = vectors
        self.tokenizer = tokenizer
        self.lexical_dir = lexical_dir
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.fusion = fusion
        self.bm25_weight = bm25_weight
        self.encoder = encoder or QueryEncoder(vectors.embeddings, cache_size=0)
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None
        self._lexical: LexicalIndex | None = None
        self._lexical_rows: np.ndarray | None = None  # snapshot index of each BM25 row (-1: not in the snapshot)
        self._inherited = False  # the snapshot is another generation's: rebuilt (reusing its blocks) on first use

    def with_fusion(self, fusion: Fusion) -> HybridRetriever:
        """The same indexes, fused the other way (for side-by-side evaluation)."""
        return HybridRetriever(
            self.store,
            self.vectors,
            self.tokenizer,
            self.lexical_dir,
            candidates=self.candidates,
            rrf_k=self.rrf_k,
            fusion=fusion,
            bm25_weight=self.bm25_weight,
            encoder=self.encoder,
        )

    @property
    def embeddings(self) -> Embeddings:
        return self.vectors.embeddings

    def inherit(self, other: HybridRetriever) -> None:
        """Start from another generation's snapshot: its unchanged documents' vectors are not read again."""
        with self._lock:
            if self._snapshot is None and other._snapshot is not None:
                self._snapshot = other._snapshot
                self._inherited = True

    def _current(self) -> tuple[_Snapshot, LexicalIndex, np.ndarray]:
        with self._lock:
            generation = self.store.generation
            snap, lexical = self._snapshot, self._lexical
            if (
                snap is None
                or self._inherited
                or snap.generation != generation
                or not all(b.complete for b in snap.blocks.values())
            ):
                self._inherited = False
                # An incomplete block (a window whose vector is not in Chroma yet) is fetched again.
                snap = self._snapshot = _Snapshot(self.store, self.vectors, snap)
                self._lexical_rows = None
            if lexical is None or lexical.generation != generation:
                lexical = self._lexical = LexicalIndex.load(self.lexical_dir, self.tokenizer)
                self._lexical_rows = None
            if lexical is None or lexical.generation != generation or not snap.clauses:
                raise IndexNotReady("the index is missing or out of date: run `policy-assistant ingest`")
            if self._lexical_rows is None:
                self._lexical_rows = np.fromiter(
                    (snap.order.get(cid, -1) for cid in lexical.clause_ids),
                    dtype=np.int64,
                    count=len(lexical.clause_ids),
                )
            return snap, lexical, self._lexical_rows

    def documents(self) -> list[DocumentMeta]:
        return list(self._current()[0].docs.values())

    def clause(self, clause_id: str) -> Clause | None:
        return self._current()[0].clauses.get(clause_id)

    def clauses_of(self, doc_id: str) -> list[Clause]:
        """A document's clauses, in order."""
        return sorted((c for c in self._current()[0].clauses.values() if c.doc_id == doc_id), key=lambda c: c.order)

    def document(self, doc_id: str) -> DocumentMeta | None:
        return self._current()[0].docs.get(doc_id)

    def search(
        self, query: str, k: int = 5, filters: Filters | None = None, mode: Mode = "hybrid"
    ) -> list[SearchResult]:
        if not query or not query.strip():
            raise ValueError("the query is empty")
        if k < 1:
            raise ValueError("k must be at least 1")
        filters = filters or Filters()
        snap, lexical, lexical_rows = self._current()
        q = analyze(query, snap.cities)
        allowed = snap.allowed(filters)
        if allowed is not None and not allowed.any():
            return []

        # A document number names the document; what to look for in it is the rest of the question.
        # A number cited inside the texts (人社部发〔2025〕10号) is searched for like any other words.
        own = [n for n in snap.numbers if n in q.simplified]
        text = q.expanded
        strip_numbers = bool(own) and bool(lexical.query_tokens(q.residual))
        if strip_numbers:
            text = q.expanded.replace(q.simplified, q.residual)
        n_clauses = len(snap.clause_list)

        # BM25, scored once over every clause; -inf marks what cannot be a candidate.
        bm25_all = np.zeros(n_clauses, dtype=np.float64)
        bm25: dict[str, float] = {}
        if mode in ("hybrid", "bm25"):
            raw = lexical.score_rows(lexical.query_tokens(text))
            if raw is not None:
                ok = lexical_rows >= 0
                bm25_all[lexical_rows[ok]] = raw[ok]
            pick = np.where(bm25_all > 0, bm25_all, -np.inf)
            if allowed is not None:
                pick[~allowed] = -np.inf
            bm25 = {snap.clause_list[i].clause_id: float(bm25_all[i]) for i in top_indices(pick, self.candidates)}

        # Dense: exact cosine over the window matrix; a clause counts with its best window.
        dense: dict[str, float] = {}
        sims = np.zeros(0, dtype=np.float32)
        if mode in ("hybrid", "dense") and len(snap.matrix):
            vector = self.encoder(q.residual if strip_numbers else q.simplified)
            qv = vector / (np.linalg.norm(vector) or 1.0)
            sims = snap.matrix @ qv.astype(np.float32, copy=False)
            pick_w = sims.astype(np.float64)
            if allowed is not None:
                pick_w[~allowed[snap.window_clause]] = -np.inf
            for row in top_indices(pick_w, self.candidates * 2):  # windows best first, folded into their clauses
                cid = snap.clause_list[snap.window_clause[row]].clause_id
                if cid not in dense:
                    dense[cid] = float(sims[row])
                    if len(dense) == self.candidates:
                        break
        bm25_rank = {cid: r for r, cid in enumerate(bm25, 1)}
        dense_rank = {cid: r for r, cid in enumerate(dense, 1)}
        if mode == "hybrid" and self.fusion == "relative":
            # Score every candidate by both retrievers, so that a clause only one of them
            # listed is not judged as if the other had scored it zero.
            bm25 = {cid: float(bm25_all[snap.order[cid]]) for cid in {*bm25, *dense}}
            if len(sims):
                for cid in bm25:
                    if cid not in dense:
                        i = snap.order[cid]
                        a, b = snap.window_start[i], snap.window_end[i]
                        if b > a:
                            dense[cid] = float(sims[a:b].max())

        if mode == "bm25":
            scores = dict(bm25)
        elif mode == "dense":
            scores = dict(dense)
        else:
            scores = self._fuse(bm25, dense, bm25_rank, dense_rank)
        signals: dict[str, list[str]] = {}
        if mode == "hybrid":
            self._boost(q, snap, scores, signals, filters)

        ranked = sorted(scores, key=lambda cid: (-scores[cid], snap.order[cid]))[:k]
        return [
            SearchResult(
                clause=snap.clauses[cid],
                doc=snap.docs[snap.clauses[cid].doc_id],
                score=scores[cid],
                bm25_rank=bm25_rank.get(cid),
                dense_rank=dense_rank.get(cid),
                dense_similarity=dense.get(cid),
                signals=tuple(signals.get(cid, ())),
            )
            for cid in ranked
        ]

    def _fuse(
        self,
        bm25: dict[str, float],
        dense: dict[str, float],
        bm25_rank: dict[str, int],
        dense_rank: dict[str, int],
    ) -> dict[str, float]:
        scores: dict[str, float] = {}
        weights = (self.bm25_weight, 1.0 - self.bm25_weight)
        if self.fusion == "rrf":
            for w, ranks in zip(weights, (bm25_rank, dense_rank), strict=True):
                for cid, r in ranks.items():
                    scores[cid] = scores.get(cid, 0.0) + 2 * w / (self.rrf_k + r)
            return scores
        for w, raw in zip(weights, (bm25, dense), strict=True):
            if not raw:
                continue
            hi, lo = max(raw.values()), min(raw.values())
            if hi <= 0:
                continue
            # BM25 has a natural zero; similarities do not, so they are scaled over the candidates.
            lo = 0.0 if raw is bm25 else lo
            for cid, v in raw.items():
                scores[cid] = scores.get(cid, 0.0) + w * (v - lo) / (hi - lo or 1.0)
        return scores

    def _vote(self) -> float:
        """What one exact signal adds: a first place in RRF, a fifth of the scale otherwise."""
        return 1.0 / (self.rrf_k + 1) if self.fusion == "rrf" else 0.2

    def _boost(
        self,
        q: AnalyzedQuery,
        snap: _Snapshot,
        scores: dict[str, float],
        signals: dict[str, list[str]],
        filters: Filters,
    ) -> None:
        vote = self._vote()

        def add(cids: Iterable[str], name: str) -> None:
            for cid in cids:
                scores[cid] += vote
                signals.setdefault(cid, []).append(name)

        candidates = list(scores)
        if q.cities and filters.city is None:
            add((c for c in candidates if snap.docs[snap.clauses[c].doc_id].city in q.cities), "city")
        for number in (n for n in snap.numbers if n in q.simplified):
            add((c for c in candidates if snap.docs[snap.clauses[c].doc_id].number == number), "doc_number")
        for number in q.doc_numbers:
            if not any(number.endswith(n) or n.endswith(number) for n in snap.numbers):
                add((c for c in candidates if number in snap.clauses[c].text), "cited_number")
        if q.about_document or (q.doc_numbers and not q.residual):
            # Who issued it, when, is it in force: the header, preamble and signature say.
            add((c for c in candidates if snap.clauses[c].kind in _ABOUT_DOCUMENT), "about_document")
        for amount in q.amounts:
            patterns = amount_patterns(amount)
            add((c for c in candidates if any(p.search(snap.clauses[c].text) for p in patterns)), f"amount:{amount}")
