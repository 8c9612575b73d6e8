"""Hybrid clause retrieval: BM25 + dense, fused by reciprocal rank fusion.

Dense hits are windows; they are folded into their clause (best window wins),
so results are always whole clauses. On top of the fused score, three exact
signals add one first-place vote each (1/(k+1)), because users who type them
mean them: a city the question names, a document number, and an amount
that appears verbatim in the clause.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from langchain_core.embeddings import Embeddings

from app.query import AnalyzedQuery, amount_patterns, analyze
from ingest.lexical import LexicalIndex
from ingest.schema import Clause, DocumentMeta
from ingest.store import ClauseStore
from ingest.textproc import Tokenizer
from ingest.vectors import VectorIndex

Mode = Literal["hybrid", "bm25", "dense"]


class IndexNotReady(RuntimeError):
    """The indexes are missing or out of date; run ``policy-assistant ingest``."""


@dataclass(frozen=True)
class Filters:
    city: str | None = None
    doc_id: str | None = None
    status: str | None = None

    def accepts(self, doc: DocumentMeta) -> bool:
        return (
            (self.city is None or doc.city == self.city)
            and (self.doc_id is None or doc.id == self.doc_id)
            and (self.status is None or doc.status == self.status)
        )

    def chroma_where(self) -> dict[str, Any] | None:
        parts = [{k: v} for k, v in (("city", self.city), ("doc_id", self.doc_id), ("status", self.status)) if v]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else {"$and": parts}


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


class _Snapshot:
    """Clauses and documents as of one store generation."""

    def __init__(self, store: ClauseStore):
        self.generation = store.generation
        self.docs = {d.meta.id: d.meta for d in store.documents()}
        self.clauses = {c.clause_id: c for c in store.clauses()}
        self.order = {cid: i for i, cid in enumerate(self.clauses)}
        self.cities = tuple(sorted({d.city for d in self.docs.values() if d.city and d.city != "未知"}))


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
    ):
        self.store = store
        self.vectors = vectors
        self.tokenizer = tokenizer
        self.lexical_dir = lexical_dir
        self.candidates = candidates
        self.rrf_k = rrf_k
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None
        self._lexical: LexicalIndex | None = None

    @property
    def embeddings(self) -> Embeddings:
        return self.vectors.embeddings

    def _current(self) -> tuple[_Snapshot, LexicalIndex]:
        with self._lock:
            generation = self.store.generation
            if self._snapshot is None or self._snapshot.generation != generation:
                self._snapshot = _Snapshot(self.store)
            if self._lexical is None or self._lexical.generation != generation:
                self._lexical = LexicalIndex.load(self.lexical_dir, self.tokenizer)
            if self._lexical is None or self._lexical.generation != generation or not self._snapshot.clauses:
                raise IndexNotReady("the index is missing or out of date: run `policy-assistant ingest`")
            return self._snapshot, self._lexical

    def documents(self) -> list[DocumentMeta]:
        return list(self._current()[0].docs.values())

    def clause(self, clause_id: str) -> Clause | None:
        return self._current()[0].clauses.get(clause_id)

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
        snap, lexical = self._current()
        q = analyze(query, snap.cities)
        allowed = {cid for cid, c in snap.clauses.items() if filters.accepts(snap.docs[c.doc_id])}
        if not allowed:
            return []

        bm25: dict[str, int] = {}
        if mode in ("hybrid", "bm25"):
            tokens = lexical.query_tokens(q.expanded)
            hits = lexical.search(tokens, self.candidates, allowed)
            bm25 = {h.clause_id: r for r, h in enumerate(hits, 1)}
        dense: dict[str, int] = {}
        similarity: dict[str, float] = {}
        if mode in ("hybrid", "dense"):
            vector = self.embeddings.embed_query(q.simplified)
            for hit in self.vectors.query(vector, self.candidates * 2, filters.chroma_where()):
                if hit.clause_id in allowed and hit.clause_id not in similarity:
                    similarity[hit.clause_id] = hit.similarity  # windows arrive best first
            dense = {cid: r for r, cid in enumerate(similarity, 1)}

        scores: dict[str, float] = {}
        for ranks in (bm25, dense):
            for cid, r in ranks.items():
                scores[cid] = scores.get(cid, 0.0) + 1.0 / (self.rrf_k + r)
        signals: dict[str, list[str]] = {}
        if mode == "hybrid":
            self._boost(q, snap, scores, signals, filters)

        ranked = sorted(scores, key=lambda cid: (-scores[cid], snap.order[cid]))[:k]
        return [
            SearchResult(
                clause=snap.clauses[cid],
                doc=snap.docs[snap.clauses[cid].doc_id],
                score=scores[cid],
                bm25_rank=bm25.get(cid),
                dense_rank=dense.get(cid),
                dense_similarity=similarity.get(cid),
                signals=tuple(signals.get(cid, ())),
            )
            for cid in ranked
        ]

    def _boost(
        self,
        q: AnalyzedQuery,
        snap: _Snapshot,
        scores: dict[str, float],
        signals: dict[str, list[str]],
        filters: Filters,
    ) -> None:
        vote = 1.0 / (self.rrf_k + 1)

        def add(cids: Iterable[str], name: str) -> None:
            for cid in cids:
                scores[cid] += vote
                signals.setdefault(cid, []).append(name)

        candidates = list(scores)
        if q.cities and filters.city is None:
            add((c for c in candidates if snap.docs[snap.clauses[c].doc_id].city in q.cities), "city")
        for number in q.doc_numbers:
            add((c for c in candidates if snap.docs[snap.clauses[c].doc_id].number == number), "doc_number")
            add((c for c in candidates if number in snap.clauses[c].text), "doc_number_text")
        for amount in q.amounts:
            patterns = amount_patterns(amount)
            add((c for c in candidates if any(p.search(snap.clauses[c].text) for p in patterns)), f"amount:{amount}")
