"""Hybrid clause retrieval: BM25 + dense, fused, with exact-match signals.

Dense hits are windows; they are folded into their clause (best window wins),
so results are always whole clauses. Two fusions are available:

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

from langchain_core.embeddings import Embeddings

from app.query import AnalyzedQuery, amount_patterns, analyze
from ingest.lexical import LexicalIndex
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

    def chroma_where(self) -> dict[str, Any] | None:
        parts: list[dict[str, Any]] = [
            {k: v} for k, v in (("city", self.city), ("doc_id", self.doc_id), ("status", self.status)) if v
        ]
        if self.doc_ids is not None:
            parts.append({"doc_id": {"$in": list(self.doc_ids) or [""]}})
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
        self.numbers = {d.number for d in self.docs.values() if d.number}
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
        fusion: Fusion = "relative",
        bm25_weight: float = 0.5,
    ):
        self.store = store
        self.vectors = vectors
        self.tokenizer = tokenizer
        self.lexical_dir = lexical_dir
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.fusion = fusion
        self.bm25_weight = bm25_weight
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None
        self._lexical: LexicalIndex | None = None

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
        )

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

        # A document number names the document; what to look for in it is the rest of the question.
        # A number cited inside the texts (人社部发〔2025〕10号) is searched for like any other words.
        own = [n for n in snap.numbers if n in q.simplified]
        text = q.expanded
        strip_numbers = bool(own) and bool(lexical.query_tokens(q.residual))
        if strip_numbers:
            text = q.expanded.replace(q.simplified, q.residual)
        tokens = lexical.query_tokens(text)
        bm25: dict[str, float] = {}
        if mode in ("hybrid", "bm25"):
            bm25 = {h.clause_id: h.score for h in lexical.search(tokens, self.candidates, allowed)}
        dense: dict[str, float] = {}
        vector: list[float] = []
        if mode in ("hybrid", "dense"):
            vector = self.embeddings.embed_query(q.residual if strip_numbers else q.simplified)
            for hit in self.vectors.query(vector, self.candidates * 2, filters.chroma_where()):
                if hit.clause_id in allowed and hit.clause_id not in dense and len(dense) < self.candidates:
                    dense[hit.clause_id] = hit.similarity  # windows arrive best first
        bm25_rank = {cid: r for r, cid in enumerate(bm25, 1)}
        dense_rank = {cid: r for r, cid in enumerate(dense, 1)}
        if mode == "hybrid" and self.fusion == "relative":
            # Score every candidate by both retrievers, so that a clause only one of them
            # listed is not judged as if the other had scored it zero.
            all_bm25 = lexical.scores(tokens)
            bm25 = {cid: all_bm25.get(cid, 0.0) for cid in {*bm25, *dense}}
            missing = [cid for cid in bm25 if cid not in dense]
            dense = {**dense, **self.vectors.similarities(vector, missing)}

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
