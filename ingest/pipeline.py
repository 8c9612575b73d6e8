"""Incremental ingest: files → clauses → clause store, Chroma and BM25.

* A document's fingerprint covers its bytes, its manifest entry, the
  segmenter version, the embedder and the window settings; an unchanged
  fingerprint makes re-ingesting it a no-op.
* A changed document is embedded completely first, then its windows are
  upserted under their stable ids (so the old version stays searchable until
  the new one is in), then the clause store is switched in one transaction,
  and only then are windows that no longer exist deleted.
* A document that left the manifest, or whose file is gone, is deleted.
* A bad file is reported with its reason and skipped; the others proceed.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.embeddings import Embeddings

from ingest.lexical import LexicalIndex
from ingest.loaders import SUPPORTED_SUFFIXES, LoaderError, load_text
from ingest.manifest import Manifest
from ingest.metadata import complete_metadata
from ingest.provisions import EXTRACTOR_VERSION, with_provisions
from ingest.schema import Clause, DocumentMeta
from ingest.segment import SEGMENTER_VERSION, iter_text_windows, segment
from ingest.store import ClauseStore
from ingest.textproc import Tokenizer, index_text
from ingest.vectors import UpsertBatch, VectorIndex

# progress(stage, done, total): called as work advances; the CLI draws bars with it.
ProgressFn = Callable[[str, int, int], None]


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    clauses: int = 0
    windows: int = 0
    seconds: float = 0.0
    lexical_rebuilt: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deleted or self.lexical_rebuilt)


@dataclass(frozen=True)
class Source:
    meta: DocumentMeta
    path: Path


@dataclass(frozen=True)
class WindowSettings:
    max_chars: int = 400
    overlap: int = 80


def embed_context(meta: DocumentMeta, clause: Clause) -> str:
    """What is prepended to a clause's text in the matching copy: where it stands."""
    city = meta.city if meta.city != "未知" else ""
    draft = "征求意见稿" if meta.status == "draft" and "征求意见稿" not in meta.display_title else ""
    return " ".join(p for p in (city, meta.display_title, draft, " ".join(clause.heading_path)) if p)


def default_meta(path: Path, taken: set[str] | frozenset[str] = frozenset()) -> DocumentMeta:
    """Metadata for a file that is not in the manifest: nothing is assumed.

    The id is the file name as a slug; when another file already has that id
    (a/policy.txt and b/policy.txt), a hash of the path keeps them apart.
    """
    slug = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:8]
    if not slug or not slug[0].isalnum():
        doc_id = f"doc-{digest}"
    else:
        doc_id = slug if slug not in taken else f"{slug}-{digest}"
    return DocumentMeta(id=doc_id, title=path.stem, source=str(path), status="unknown")


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, and supported files found under named directories."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(
                sorted(
                    f
                    for f in p.rglob("*")
                    if f.is_file() and f.suffix.lower() in SUPPORTED_SUFFIXES and not f.name.startswith(".")
                )
            )
        else:
            out.append(p)  # missing or odd files are reported by the loader
    return out


class Ingestor:
    def __init__(
        self,
        store: ClauseStore,
        vectors: VectorIndex,
        lexical_dir: Path,
        tokenizer: Tokenizer,
        windows: WindowSettings = WindowSettings(),
        batch_size: int = 16,
        uploads_dir: Path | None = None,
    ):
        self.store = store
        self.vectors = vectors
        self.lexical_dir = lexical_dir
        self.tokenizer = tokenizer
        self.windows = windows
        self.batch_size = batch_size
        # Documents uploaded through the admin API live here; a manifest sync keeps them.
        self.uploads_dir = uploads_dir.resolve() if uploads_dir else None

    @property
    def embeddings(self) -> Embeddings:
        return self.vectors.embeddings

    # ------------------------------------------------------------------ planning

    def sources(self, manifest: Manifest | None, paths: list[Path] | None) -> tuple[list[Source], list[str]]:
        """Sources to ingest and document ids that should no longer be indexed."""
        stored = {d.meta.id: d for d in self.store.documents()}
        if paths:
            sources = []
            # An id belongs to the file stored under it; another file of the same name gets its own.
            taken = {doc_id: d.source for doc_id, d in stored.items()}
            for f in expand_paths(paths):
                meta = manifest.by_source(f) if manifest else None
                if meta is None:
                    resolved = str(f.resolve())
                    meta = default_meta(f, {i for i, src in taken.items() if src != resolved})
                taken.setdefault(meta.id, str(f.resolve()))
                sources.append(Source(meta, f))
            keep = set(stored)
        else:
            if manifest is None:
                raise ValueError("either a manifest or paths are needed")
            sources = [Source(d, manifest.source_path(d)) for d in manifest.documents]
            keep = {d.id for d in manifest.documents}
            if self.uploads_dir is not None:
                keep |= {i for i, d in stored.items() if Path(d.source).parent == self.uploads_dir}
        gone = [doc_id for doc_id, d in stored.items() if doc_id not in keep or not Path(d.source).exists()]
        # A file that is gone takes its document with it, even while the manifest still names it.
        missing = {s.meta.id for s in sources if not s.path.exists()}
        named = {s.meta.id for s in sources} - missing
        return sources, [g for g in gone if g not in named]

    def fingerprint(self, meta: DocumentMeta, data: bytes) -> str:
        h = hashlib.sha256()
        for part in (
            data,
            meta.model_dump_json().encode(),
            SEGMENTER_VERSION.encode(),
            EXTRACTOR_VERSION.encode(),
            self.vectors.embedder_id.encode(),
            f"{self.windows.max_chars}/{self.windows.overlap}".encode(),
        ):
            h.update(hashlib.sha256(part).digest())
        return h.hexdigest()

    # ------------------------------------------------------------------ running

    def run(
        self,
        manifest: Manifest | None = None,
        paths: list[Path] | None = None,
        *,
        force: bool = False,
        progress: ProgressFn = _no_progress,
    ) -> IngestReport:
        started = time.perf_counter()
        force = self._check_embedder() or force

        sources, gone = self.sources(manifest, paths)
        return self._run(sources, gone, force, progress, started)

    def run_documents(
        self, documents: list[tuple[DocumentMeta, Path]], *, force: bool = False, progress: ProgressFn = _no_progress
    ) -> IngestReport:
        """Ingest these files with this metadata (an upload); nothing else is touched."""
        self._check_embedder()
        return self._run([Source(m, p) for m, p in documents], [], force, progress, time.perf_counter())

    def delete(self, doc_id: str) -> None:
        """Remove one document from every index."""
        self.vectors.delete(sorted(self.store.window_ids(doc_id)))
        self.store.delete_document(doc_id)
        self.rebuild_lexical()

    def _check_embedder(self) -> bool:
        """Start the dense index afresh when the embedder changed; True when it did."""
        changed = self.store.get_info("embedder") not in (None, self.vectors.embedder_id)
        if changed:
            self.vectors.reset()  # another model's vectors cannot be compared with ours
        self.store.set_info("embedder", self.vectors.embedder_id)
        return changed

    def _run(
        self, sources: list[Source], gone: list[str], force: bool, progress: ProgressFn, started: float
    ) -> IngestReport:
        report = IngestReport()
        present = self.vectors.ids()
        stored = {d.meta.id: d for d in self.store.documents()}
        with self.vectors.batched() as batch:
            for i, src in enumerate(sources):
                progress("documents", i, len(sources))
                self._ingest_one(src, stored, present, force, report, progress, batch)
        progress("documents", len(sources), len(sources))

        for doc_id in gone:
            self.vectors.delete(sorted(self.store.window_ids(doc_id)))
            self.store.delete_document(doc_id)
            report.deleted.append(doc_id)

        orphans = self.vectors.ids() - self.store.window_ids()
        if orphans:  # left by an interrupted run
            self.vectors.delete(sorted(orphans))

        lexical = LexicalIndex.load(self.lexical_dir, self.tokenizer)
        if (
            report.added
            or report.updated
            or report.deleted
            or lexical is None
            or lexical.generation != self.store.generation
        ):
            self.rebuild_lexical()
            report.lexical_rebuilt = True
        report.clauses = sum(1 for _ in self.store.clauses())
        report.windows = len(self.store.window_ids())
        report.seconds = time.perf_counter() - started
        return report

    def _ingest_one(
        self,
        src: Source,
        stored: dict,
        present: set[str],
        force: bool,
        report: IngestReport,
        progress: ProgressFn,
        batch: UpsertBatch,
    ) -> None:
        label = str(src.path)
        try:
            data = src.path.read_bytes() if src.path.is_file() else b""
        except OSError as exc:
            report.errors.append((label, f"cannot read file ({exc.strerror})"))
            return
        fp = self.fingerprint(src.meta, data)
        old = stored.get(src.meta.id)
        if old is not None and old.source != str(src.path.resolve()) and Path(old.source).exists():
            report.errors.append((label, f"document id {src.meta.id!r} is already used by {old.source}"))
            return
        complete = old is not None and self.store.window_ids(src.meta.id) <= present
        if old is not None and old.fingerprint == fp and complete and not force:
            report.unchanged.append(src.meta.id)
            return
        try:
            loaded = load_text(src.path)
        except LoaderError as exc:
            report.errors.append((label, exc.reason))
            return
        # The text fills the issuer, number and date the manifest leaves empty; the stored document carries them.
        src = Source(complete_metadata(src.meta, loaded.text), src.path)
        clauses = with_provisions(segment(loaded.text, src.meta))
        if not clauses:
            report.errors.append((label, "no text to index was found in the file"))
            return
        ids, texts, metas, windows = self._windows(src.meta, clauses)
        try:
            vectors = self._embed(texts, progress)
        except Exception as exc:  # noqa: BLE001 - any backend failure skips only this document
            report.errors.append((label, f"indexing failed: {exc}"))
            return
        old_windows = self.store.window_ids(src.meta.id)

        def commit() -> None:  # once the new windows are in Chroma (upserts are batched across documents)
            self.store.replace_document(src.meta, str(src.path.resolve()), fp, clauses, windows)
            stale = sorted(old_windows - set(ids))
            if stale:
                self.vectors.delete(stale)
            (report.updated if old is not None else report.added).append(src.meta.id)

        def failed(exc: Exception) -> None:
            report.errors.append((label, f"indexing failed: {exc}"))

        batch.add(ids, vectors, texts, metas, then=commit, failed=failed)

    def _windows(
        self, meta: DocumentMeta, clauses: list[Clause]
    ) -> tuple[list[str], list[str], list[dict], dict[str, list[str]]]:
        ids, texts, metas = [], [], []
        by_clause: dict[str, list[str]] = {}
        for c in clauses:
            context = embed_context(meta, c)
            for n, (a, b) in enumerate(iter_text_windows(c.text, self.windows.max_chars, self.windows.overlap)):
                wid = f"{c.clause_id}#{n}"
                ids.append(wid)
                texts.append(index_text(c.text[a:b], context))
                metas.append(
                    {
                        "clause_id": c.clause_id,
                        "doc_id": meta.id,
                        "city": meta.city,
                        "status": meta.status,
                        "kind": c.kind,
                        "start": c.start + a,
                        "end": c.start + b,
                    }
                )
                by_clause.setdefault(c.clause_id, []).append(wid)
        return ids, texts, metas, by_clause

    def _embed(self, texts: list[str], progress: ProgressFn) -> list[list[float]]:
        out: list[list[float]] = []
        for i in range(0, len(texts), self.batch_size):
            progress("embedding", i, len(texts))
            out.extend(self.embeddings.embed_documents(texts[i : i + self.batch_size]))
        progress("embedding", len(texts), len(texts))
        return out

    def rebuild_lexical(self) -> LexicalIndex:
        metas = {d.meta.id: d.meta for d in self.store.documents()}
        items = [(c.clause_id, c.text, (embed_context(metas[c.doc_id], c),)) for c in self.store.clauses()]
        # Clauses whose content the saved index already has reuse its tokens (see LexicalIndex).
        index = LexicalIndex.build_incremental(items, self.store.generation, self.tokenizer, self.lexical_dir)
        index.save(self.lexical_dir)
        return index
