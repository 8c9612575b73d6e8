"""Retrieval evaluation: Recall@1, Recall@5 and MRR@10 on the golden set.

Four systems are measured in one run, on the same questions and the same
embedding model:

* ``bm25`` — our BM25 alone (jieba + domain dictionary + synonyms);
* ``dense`` — our Chroma clause windows alone;
* ``hybrid`` — both fused (relative score fusion by default) with the
  exact-match signals: the product;
* ``hybrid-rrf`` (or ``hybrid-relative``) — the same with the other fusion;
* ``naive`` — what LangChain tutorials build: RecursiveCharacterTextSplitter
  (500 characters, 50 overlap) over each raw document, the same embeddings,
  Chroma top-k. A chunk counts as a hit when its characters overlap a
  relevant clause, which is generous to the baseline.

Recall@k is the share of questions with at least one relevant clause in the
top k; MRR@10 uses the rank of the first relevant result.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import chromadb
from chromadb.config import Settings as ChromaSettings
from pydantic import BaseModel, Field

from app.retrieval import Filters
from app.services import Services
from evaluation import load_golden_set
from evaluation.machine import summary as machine_summary
from ingest.loaders import load_text


class GoldenQuestion(BaseModel):
    id: str
    question: str
    persona: str
    style: str
    city: str | None = None
    relevant: list[str] = Field(min_length=1)
    note: str = ""


def load_golden(path: Path) -> list[GoldenQuestion]:
    return load_golden_set(path, GoldenQuestion)


@dataclass
class Scores:
    ranks: dict[str, int | None] = field(default_factory=dict)  # question id → rank of first relevant (1-based)
    seconds: float = 0.0

    def recall(self, k: int, ids: list[str] | None = None) -> float:
        ids = ids if ids is not None else list(self.ranks)
        return sum(1 for q in ids if (r := self.ranks[q]) is not None and r <= k) / max(len(ids), 1)

    def mrr(self, k: int = 10, ids: list[str] | None = None) -> float:
        ids = ids if ids is not None else list(self.ranks)
        return sum(1 / r for q in ids if (r := self.ranks[q]) is not None and r <= k) / max(len(ids), 1)


@dataclass
class RetrievalEvalResult:
    questions: list[GoldenQuestion]
    scores: dict[str, Scores]
    top: dict[str, list[str]]  # hybrid: question id → top-5 clause ids
    report_path: Path | None = None

    def summary(self) -> dict[str, dict[str, float]]:
        return {
            name: {
                "recall@1": round(s.recall(1), 4),
                "recall@5": round(s.recall(5), 4),
                "mrr@10": round(s.mrr(10), 4),
                "ms_per_query": round(1000 * s.seconds / max(len(s.ranks), 1), 1),
            }
            for name, s in self.scores.items()
        }

    def markdown_table(self) -> str:
        lines = [
            "| system | Recall@1 | Recall@5 | MRR@10 | ms/query |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, row in self.summary().items():
            lines.append(
                f"| {name} | {row['recall@1']:.3f} | {row['recall@5']:.3f} | {row['mrr@10']:.3f} | "
                f"{row['ms_per_query']:.1f} |"
            )
        return "\n".join(lines)

    def breakdown(self, attr: str) -> str:
        groups: dict[str, list[str]] = {}
        for q in self.questions:
            groups.setdefault(str(getattr(q, attr) or "—"), []).append(q.id)
        header = "| " + attr + " | n | " + " | ".join(f"{s} R@1" for s in self.scores) + " | hybrid R@5 |"
        lines = [header, "|---|---:|" + "---:|" * (len(self.scores) + 1)]
        for key, ids in sorted(groups.items()):
            cells = " | ".join(f"{s.recall(1, ids):.2f}" for s in self.scores.values())
            lines.append(f"| {key} | {len(ids)} | {cells} | {self.scores['hybrid'].recall(5, ids):.2f} |")
        return "\n".join(lines)


def _rank(ranked: list[set[str]], relevant: set[str], k: int = 10) -> int | None:
    for i, hit in enumerate(ranked[:k], 1):
        if hit & relevant:
            return i
    return None


def _measure(questions: list[GoldenQuestion], search: Callable[[GoldenQuestion], list[set[str]]]) -> Scores:
    scores = Scores()
    started = time.perf_counter()
    for q in questions:
        scores.ranks[q.id] = _rank(search(q), set(q.relevant))
    scores.seconds = time.perf_counter() - started
    return scores


class NaiveBaseline:
    """RecursiveCharacterTextSplitter(500/50) + the same embeddings + Chroma top-k."""

    def __init__(self, services: Services):
        from langchain_chroma import Chroma
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50, add_start_index=True)
        self.store = Chroma(
            collection_name="naive_baseline",
            embedding_function=services.vectors.embeddings,
            client=chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False)),
        )
        # Clause spans per document, to map a chunk back to the clauses it overlaps.
        self.spans: dict[str, list[tuple[int, int, str]]] = {}
        manifest = services.manifest()
        texts, metas = [], []
        for doc in manifest.documents:
            text = load_text(manifest.source_path(doc)).text
            self.spans[doc.id] = [(c.start, c.end, c.clause_id) for c in services.store.clauses(doc.id)]
            for chunk in splitter.create_documents([text], metadatas=[{"doc_id": doc.id}]):
                texts.append(chunk.page_content)
                metas.append({"doc_id": doc.id, "start": chunk.metadata["start_index"]})
        self.store.add_texts(texts, metadatas=metas)

    def search(self, question: str, k: int = 10) -> list[set[str]]:
        out = []
        for doc in self.store.similarity_search(question, k=k):
            start = int(doc.metadata["start"])
            end = start + len(doc.page_content)
            spans = self.spans.get(str(doc.metadata["doc_id"]), [])
            out.append({cid for a, b, cid in spans if a < end and start < b})
        return out


def run_retrieval_eval(
    services: Services, golden: Path, reports: Path | None, *, baseline: bool = True
) -> RetrievalEvalResult:
    questions = load_golden(golden)
    known = {c.clause_id for c in services.store.clauses()}
    unknown = sorted({cid for q in questions for cid in q.relevant if cid not in known})
    if unknown:
        raise ValueError(f"{golden}: clause ids not in the index: {', '.join(unknown[:10])}")
    retriever = services.retriever
    top: dict[str, list[str]] = {}

    other = "rrf" if retriever.fusion == "relative" else "relative"
    alternative = retriever.with_fusion(other)  # type: ignore[arg-type]

    def ours(mode: str) -> Callable[[GoldenQuestion], list[set[str]]]:
        engine, mode = (alternative, "hybrid") if mode.startswith("hybrid-") else (retriever, mode)

        def search(q: GoldenQuestion) -> list[set[str]]:
            results = engine.search(q.question, k=10, filters=Filters(), mode=mode)  # type: ignore[arg-type]
            if mode == "hybrid" and engine is retriever:
                top[q.id] = [r.clause.clause_id for r in results[:5]]
            return [{r.clause.clause_id} for r in results]

        return search

    retriever.search("预热", k=1)  # load indexes and model outside the timings
    scores = {name: _measure(questions, ours(name)) for name in ("hybrid", f"hybrid-{other}", "bm25", "dense")}
    if baseline:
        naive = NaiveBaseline(services)
        scores["naive"] = _measure(questions, lambda q: naive.search(q.question))
    result = RetrievalEvalResult(questions, scores, top)
    if reports is not None:
        result.report_path = write_report(result, reports, golden, services)
    return result


def write_report(result: RetrievalEvalResult, reports: Path, golden: Path, services: Services) -> Path:
    reports.mkdir(parents=True, exist_ok=True)
    embedder = services.vectors.embedder_id
    misses = [q for q in result.questions if result.scores["hybrid"].ranks[q.id] != 1]
    lines = [
        "# Retrieval evaluation",
        "",
        f"- golden set: `{golden}` ({len(result.questions)} questions)",
        f"- embeddings: `{embedder}`; clauses indexed: {sum(1 for _ in services.store.clauses())}",
        f"- machine: {machine_summary()}",
        f"- generated: {datetime.now(UTC).isoformat(timespec='seconds')} by `policy-assistant eval retrieval`",
        "",
        "## Overall",
        "",
        result.markdown_table(),
        "",
        f"hybrid = the product ({services.retriever.fusion} fusion); hybrid-{'rrf' if services.retriever.fusion == 'relative' else 'relative'} = the same indexes and signals with the other fusion.",
        "",
        "naive = RecursiveCharacterTextSplitter(500, overlap 50) + the same embeddings + Chroma top-k;"
        " a chunk counts as a hit if it overlaps a relevant clause.",
        "",
        "## By question style",
        "",
        result.breakdown("style"),
        "",
        "## By persona",
        "",
        result.breakdown("persona"),
        "",
        "## By city",
        "",
        result.breakdown("city"),
        "",
        f"## Hybrid: questions where the first result is not a relevant clause ({len(misses)})",
        "",
        "| id | question | expected | rank | hybrid top 3 |",
        "|---|---|---|---:|---|",
    ]
    for q in misses:
        rank = result.scores["hybrid"].ranks[q.id]
        lines.append(
            f"| {q.id} | {q.question} | {', '.join(q.relevant)} | {rank or '—'} | "
            f"{', '.join(result.top.get(q.id, [])[:3])} |"
        )
    path = reports / "retrieval.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary: dict[str, Any] = {"questions": len(result.questions), "embedder": embedder, **result.summary()}
    (reports / "retrieval.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
