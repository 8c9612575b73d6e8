"""Incremental ingest: files → clauses → the next index generation (clause store, Chroma, BM25).

* A document's fingerprint covers its bytes, its manifest entry, the
  segmenter version, the embedder and the window settings. When no
  fingerprint changed and the serving generation is consistent, an ingest
  changes nothing at all.
* Otherwise the next generation is built beside the serving one
  (``ingest.generations``): changed documents are parsed, and those of their
  windows whose text is new are embedded (window ids are addressed by
  content, so an unchanged window of a changed document, like every window
  of an unchanged one, is already in the collection the generations share);
  removed ones are left out, BM25 is updated for it (only changed clauses
  are tokenised), and it is checked (every clause's windows present; BM25
  over exactly its clauses) before readers are switched to it in one step.
  Until then the previous generation serves every reader, unchanged.
* A run that is killed leaves its build behind; the next run resumes it and
  does not embed again what it had finished.
* A document that left the manifest, or whose file is gone, is deleted.
* A bad file is reported with its reason and skipped (a previous version of it
  stays); the others proceed.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.embeddings import Embeddings

from ingest.generations import Generation, Generations
from ingest.ids import short_hash, slug
from ingest.lexical import LexicalIndex, TermStats
from ingest.loaders import SUPPORTED_SUFFIXES, LoaderError, load_text
from ingest.manifest import Manifest
from ingest.metadata import complete_metadata
from ingest.provisions import EXTRACTOR_VERSION, with_provisions
from ingest.schema import Clause, DocumentMeta
from ingest.segment import SEGMENTER_VERSION, iter_text_windows, segment
from ingest.store import ClauseStore, StoredDocument
from ingest.textproc import Tokenizer, index_text

# progress(stage, done, total): called as work advances; the CLI draws bars with it.
ProgressFn = Callable[[str, int, int], None]


_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextlib.contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Python's cyclic collector off while a generation is written, back as it was afterwards.

    An update allocates millions of small objects that live until it ends (clause rows,
    token lists, id strings) and makes no reference cycles worth collecting, so every
    generation-0 threshold crossing promotes and rescans them: on a 50k-clause update that
    was 0.25-0.3 s of 4-5 s. Reference counting still frees everything as usual. Nested and
    concurrent pauses (two ingests in one service) count; the last one out restores the state.
    """
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


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
    generation: int = 0  # the generation serving when the run ended (0: none yet)
    embedded: int = 0  # windows embedded by this run
    copied: int = 0  # windows copied unchanged from the serving generation
    resumed: list[str] = field(default_factory=list)  # documents an interrupted run had already indexed

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deleted or self.lexical_rebuilt)


@dataclass(frozen=True)
class Source:
    meta: DocumentMeta
    path: Path
    replaces: bool = False  # may take over an id stored from another file


@dataclass(frozen=True)
class WindowSettings:
    max_chars: int = 400
    overlap: int = 80


def embed_context(meta: DocumentMeta, clause: Clause) -> str:
    """What is prepended to a clause's text in the matching copy: where it stands."""
    return context_of(meta, clause.heading_path)


def context_of(meta: DocumentMeta, heading_path: tuple[str, ...]) -> str:
    city = meta.city if meta.city != "未知" else ""
    draft = "征求意见稿" if meta.status == "draft" and "征求意见稿" not in meta.display_title else ""
    return " ".join(p for p in (city, meta.display_title, draft, " ".join(heading_path)) if p)


def public_source(path: Path) -> str:
    """How a file is named in public metadata: relative to the working directory, never a server path."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path.name


def default_meta(path: Path, taken: set[str] | frozenset[str] = frozenset()) -> DocumentMeta:
    """Metadata for a file that is not in the manifest: nothing is assumed.

    The id is the file name as a slug (Chinese in pinyin: 大连补贴.txt → dalian-butie);
    when another file already has that id (a/policy.txt and b/policy.txt), a hash
    of the path keeps them apart.
    """
    base = slug(path.stem)
    digest = short_hash(str(path.resolve()))
    if not base:
        doc_id = f"doc-{digest}"
    else:
        doc_id = base if base not in taken else f"{base}-{digest}"
    return DocumentMeta(id=doc_id, title=path.stem, source=public_source(path), status="unknown")


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


def window_id(clause_id: str, n: int, text: str) -> str:
    """A window's id: its clause, its position, and a hash of the text it embeds (model and window
    settings are the collection's), so one id always stands for the same vector."""
    return f"{clause_id}#{n}@{short_hash(text, 12)}"


@dataclass
class _Prepared:
    """A document parsed, split and cut into windows, ready to embed."""

    src: Source
    fingerprint: str
    clauses: list[Clause]
    ids: list[str]
    texts: list[str]
    metas: list[dict]
    windows: dict[str, list[str]]


class Ingestor:
    def __init__(
        self,
        generations: Generations,
        tokenizer: Tokenizer,
        windows: WindowSettings = WindowSettings(),
        batch_size: int = 16,
        uploads_dir: Path | None = None,
        max_windows: int = 2000,
    ):
        self.generations = generations
        self.tokenizer = tokenizer
        self.windows = windows
        self.batch_size = batch_size
        # Documents uploaded through the admin API live here; a manifest sync keeps them.
        self.uploads_dir = uploads_dir.resolve() if uploads_dir else None
        # One document may not ask for more embedding than this (2000 windows ≈ 800k characters).
        self.max_windows = max_windows

    @property
    def embeddings(self) -> Embeddings:
        return self.generations.embeddings

    @property
    def embedder_id(self) -> str:
        return self.generations.embedder_id

    # ------------------------------------------------------------------ planning

    def sources(
        self, manifest: Manifest | None, paths: list[Path] | None, stored: dict[str, StoredDocument]
    ) -> tuple[list[Source], list[str]]:
        """Sources to ingest and document ids that should no longer be indexed (``stored``: the serving ones)."""
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
            self.embedder_id.encode(),
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
        """Bring the index up to date with the manifest (or add these files)."""
        return self._locked(lambda stored: self.sources(manifest, paths, stored), force, progress)

    def run_documents(
        self,
        documents: list[tuple[DocumentMeta, Path]],
        *,
        force: bool = False,
        replace: bool = False,
        progress: ProgressFn = _no_progress,
    ) -> IngestReport:
        """Ingest these files with this metadata (an upload); every other document stays as it is.

        ``replace``: a document already stored under one of these ids from another file gets this file instead
        (otherwise that is refused as an id conflict).
        """
        sources = [Source(m, p, replace) for m, p in documents]
        return self._locked(lambda stored: (sources, []), force, progress)

    def delete(self, doc_id: str) -> IngestReport:
        """A generation without this document."""
        return self._locked(lambda stored: ([], [doc_id]), False, _no_progress)

    def _locked(
        self,
        plan: Callable[[dict[str, StoredDocument]], tuple[list[Source], list[str]]],
        force: bool,
        progress: ProgressFn,
    ) -> IngestReport:
        """Under the writer lock: ``plan`` (given the serving documents) says what to ingest and what to drop."""
        started = time.perf_counter()
        with self.generations.writing(), cyclic_gc_paused():
            self.generations.refresh()
            serving = self.generations.serving()
            try:
                stored = {d.meta.id: d for d in serving.store.documents()} if serving else {}
                sources, gone = plan(stored)
                return self._update(serving, sources, gone, force, progress, started)
            finally:
                if serving is not None:
                    serving.close()

    def _update(
        self,
        serving: Generation | None,
        sources: list[Source],
        gone: list[str],
        force: bool,
        progress: ProgressFn,
        started: float,
    ) -> IngestReport:
        report = IngestReport()
        old = {d.meta.id: d for d in serving.store.documents()} if serving else {}
        same_model = serving is not None and serving.store.get_info("embedder") in (None, self.embedder_id)
        present = self._present(serving) if serving else set()
        serving_windows = serving.store.windows_by_document() if serving else {}

        def complete_in_serving(doc_id: str) -> bool:
            return same_model and serving is not None and serving_windows.get(doc_id, set()) <= present

        # A stored document nobody named whose windows went missing is indexed again from its file.
        named = {s.meta.id for s in sources} | set(gone)
        sources = sources + [
            Source(d.meta, Path(d.source))
            for doc_id, d in old.items()
            if doc_id not in named and not complete_in_serving(doc_id) and Path(d.source).is_file()
        ]
        prepared: list[_Prepared] = []
        for src in sources:
            item = self._prepare(src, old, force, complete_in_serving, report)
            if item is not None:
                prepared.append(item)
        gone = [g for g in gone if g in old]
        if not prepared and not gone and (serving is None or self._consistent(serving, present)):
            self.generations.drop_unfinished(serving.number if serving else None)
            if serving is not None:
                self.generations.prune_orphans(serving, present)
                if not serving.vectors.has_snapshot():  # published by an earlier version: give it one
                    serving.vectors.write_snapshot(sorted(serving.store.window_ids()))
            return self._finish(report, serving, started)

        # jieba's dictionary (seconds on a busy machine) loads while the changed windows are embedded.
        threading.Thread(target=self.tokenizer.tokenize, args=("预热",), daemon=True).start()
        build, resumed = self.generations.begin(serving)
        try:
            shared = serving is not None and build.vectors.collection_name == serving.vectors.collection_name
            # Window ids known to be in the build's collection: read once, then kept up to date.
            have = set(present) if shared and not resumed else build.vectors.ids()
            self._index(build, prepared, old, have, resumed, report, progress)
            for doc_id in gone:
                if not shared:  # a shared collection drops them once no kept generation names them (collect)
                    build.vectors.delete(sorted(build.store.window_ids(doc_id)))
                build.store.delete_document(doc_id)
                report.deleted.append(doc_id)
            self._complete(build, serving, old, same_model, present, have, report, progress)
            if not shared:
                orphans = build.vectors.ids() - build.store.window_ids()
                if orphans:  # left by an interrupted run
                    build.vectors.delete(sorted(orphans))
            indexed = {*report.added, *report.updated}
            lexical = self.rebuild_lexical(
                build, serving.bm25_dir if serving else None, indexed, serving.store if serving else None
            )
            self._check(build, lexical, have)
            changed = report.added or report.updated or report.deleted
            if serving is not None and not changed and self._consistent(serving, present):
                self.generations.discard(build)  # nothing to switch to: every change failed
                return self._finish(report, serving, started)
            # What the service reads its vectors from (see ingest.vectors): unchanged rows come from the
            # serving generation's snapshot, the new ones from Chroma.
            build.vectors.write_snapshot(sorted(build.store.window_ids()), reuse=serving.vectors if serving else None)
            self.generations.publish(build, have, serving)
            report.lexical_rebuilt = True
            return self._finish(report, build, started)
        finally:
            build.close()

    def _present(self, serving: Generation) -> set[str]:
        """The window ids in the serving generation's collection. Reading them from Chroma takes seconds at
        a province's scale; the generations' snapshots name them too, and are taken when Chroma holds
        exactly as many windows (a window lost, or one left by an interrupted build, shows in the count;
        then the ids are read from Chroma, and what is missing is indexed again)."""
        known = self.generations.snapshot_ids(serving.vectors.collection_name)
        if known is not None and serving.vectors.count() == len(known):
            return known
        return serving.vectors.ids()

    def _prepare(
        self,
        src: Source,
        old: dict[str, StoredDocument],
        force: bool,
        complete_in_serving: Callable[[str], bool],
        report: IngestReport,
    ) -> _Prepared | None:
        """Read, fingerprint, parse and cut one document; None when it stays as it is (or is unreadable)."""
        label = str(src.path)
        try:
            data = src.path.read_bytes() if src.path.is_file() else b""
        except OSError as exc:
            report.errors.append((label, f"cannot read file ({exc.strerror})"))
            return None
        fp = self.fingerprint(src.meta, data)
        previous = old.get(src.meta.id)
        # Stored sources are resolved paths: one equal to this path as given names the same file (no resolve).
        moved = previous is not None and previous.source != str(src.path) and previous.source != str(src.path.resolve())
        if moved and not src.replaces and previous is not None and Path(previous.source).exists():
            report.errors.append((label, f"document id {src.meta.id!r} is already used by {previous.source}"))
            return None
        if previous is not None and previous.fingerprint == fp and complete_in_serving(src.meta.id) and not force:
            report.unchanged.append(src.meta.id)
            return None
        try:
            loaded = load_text(src.path)
        except LoaderError as exc:
            report.errors.append((label, exc.reason))
            return None
        # The text fills the issuer, number and date the manifest leaves empty; the stored document carries them.
        src = Source(complete_metadata(src.meta, loaded.text), src.path, src.replaces)
        clauses = with_provisions(segment(loaded.text, src.meta))
        if not clauses:
            report.errors.append((label, "no text to index was found in the file"))
            return None
        ids, texts, metas, windows = self._windows(src.meta, clauses, fp)
        if len(ids) > self.max_windows:
            report.errors.append(
                (label, f"document too long: {len(ids)} passages to embed (at most {self.max_windows} per document)")
            )
            return None
        return _Prepared(src, fp, clauses, ids, texts, metas, windows)

    def _index(
        self,
        build: Generation,
        prepared: list[_Prepared],
        old: dict[str, StoredDocument],
        have: set[str],
        resumed: bool,
        report: IngestReport,
        progress: ProgressFn,
    ) -> None:
        """Embed the windows of the changed documents that the build's collection does not have yet
        (``have``; what an interrupted build, or an earlier version of the document, embedded is reused)."""

        def stored(item: _Prepared, added: Iterable[str] = ()) -> None:  # once its vectors are in the build
            have.update(added)
            build.store.replace_document(
                item.src.meta, str(item.src.path.resolve()), item.fingerprint, item.clauses, item.windows
            )
            (report.updated if item.src.meta.id in old else report.added).append(item.src.meta.id)

        def failed(item: _Prepared, todo: int, exc: Exception) -> None:
            report.errors.append((str(item.src.path), f"indexing failed: {exc}"))
            report.embedded -= todo

        # Upserts are gathered across documents into few large Chroma calls (see UpsertBatch). The
        # build is not served, so what was embedded before an interruption is flushed into it all
        # the same: the next run resumes from there.
        with build.vectors.batched() as batch:
            try:
                for i, item in enumerate(prepared):
                    progress("documents", i, len(prepared))
                    todo = [j for j, w in enumerate(item.ids) if w not in have]
                    report.copied += len(item.ids) - len(todo)
                    if not todo:
                        if resumed:
                            report.resumed.append(item.src.meta.id)
                        stored(item)
                        continue
                    try:
                        vectors = self._embed([item.texts[j] for j in todo], progress)
                    except Exception as exc:  # noqa: BLE001 - any backend failure skips only this document
                        report.errors.append((str(item.src.path), f"indexing failed: {exc}"))
                        continue
                    report.embedded += (n := len(todo))
                    added = [item.ids[j] for j in todo]
                    batch.add(
                        added,
                        vectors,
                        [item.texts[j] for j in todo],
                        [item.metas[j] for j in todo],
                        then=lambda item=item, added=added: stored(item, added),  # type: ignore[misc]
                        failed=lambda exc, item=item, n=n: failed(item, n, exc),  # type: ignore[misc]
                    )
            finally:
                batch.flush()
        progress("documents", len(prepared), len(prepared))

    def _complete(
        self,
        build: Generation,
        serving: Generation | None,
        old: dict[str, StoredDocument],
        same_model: bool,
        present: set[str],
        have: set[str],
        report: IngestReport,
        progress: ProgressFn,
    ) -> None:
        """Give every document of the build its windows: an unchanged document's are in the collection the
        generations share already (counted as copied), or copied from the serving generation's collection."""
        indexed = {*report.added, *report.updated}
        to_copy: list[str] = []
        windows = build.store.windows_by_document()
        for doc in build.store.documents():
            doc_id = doc.meta.id
            mine = windows.get(doc_id, frozenset[str]())
            missing = sorted(mine - have)
            if doc_id not in indexed:
                report.copied += len(mine) - len(missing)
            if not missing:
                continue
            previous = old.get(doc_id)
            if (
                serving is not None
                and previous is not None
                and previous.fingerprint == doc.fingerprint
                and same_model
                and set(missing) <= present
            ):
                to_copy.extend(missing)  # the serving version, unchanged: its vectors are reused
            else:
                # No complete version of it anywhere: left out, and indexed by the next run that names it.
                build.store.delete_document(doc_id)
                if previous is not None:
                    report.errors.append((doc_id, "its stored passages were lost; it is indexed again next run"))
        progress("copying", 0, len(to_copy))
        if to_copy and serving is not None:
            for i in range(0, len(to_copy), 1000):
                progress("copying", i, len(to_copy))
                build.vectors.copy_from(serving.vectors, to_copy[i : i + 1000])
                have.update(to_copy[i : i + 1000])
            report.copied += len(to_copy)
        progress("copying", len(to_copy), len(to_copy))

    def _consistent(self, gen: Generation, present: set[str]) -> bool:
        """Every clause's windows are there; BM25 covers exactly these clauses."""
        if not gen.store.window_ids() <= present:
            return False
        lexical = LexicalIndex.load(gen.bm25_dir, self.tokenizer)
        return lexical is not None and lexical.generation == gen.store.generation

    def _check(self, build: Generation, lexical: LexicalIndex, vectors: set[str]) -> None:
        """``vectors``: the window ids in the build's collection (read from it, plus what this run put in)."""
        windows = build.store.window_ids()
        clause_ids = build.store.clause_ids()
        if not windows <= vectors or sorted(lexical.clause_ids) != sorted(clause_ids):
            raise RuntimeError(
                f"generation {build.number} is inconsistent ({len(windows)} windows in the store, "
                f"{len(vectors)} in Chroma); it is not served, and the next ingest resumes it"
            )

    def _finish(self, report: IngestReport, gen: Generation | None, started: float) -> IngestReport:
        if gen is not None:
            report.generation = gen.number
            report.clauses = gen.store.clause_count()
            report.windows = len(gen.store.window_ids())
        report.seconds = time.perf_counter() - started
        return report

    def _windows(
        self, meta: DocumentMeta, clauses: list[Clause], fingerprint: str
    ) -> tuple[list[str], list[str], list[dict], dict[str, list[str]]]:
        ids, texts, metas = [], [], []
        by_clause: dict[str, list[str]] = {}
        for c in clauses:
            context = embed_context(meta, c)
            for n, (a, b) in enumerate(iter_text_windows(c.text, self.windows.max_chars, self.windows.overlap)):
                text = index_text(c.text[a:b], context)
                wid = window_id(c.clause_id, n, text)
                ids.append(wid)
                texts.append(text)
                metas.append(
                    {
                        "clause_id": c.clause_id,
                        "doc_id": meta.id,
                        "city": meta.city,
                        "status": meta.status,
                        "kind": c.kind,
                        "start": c.start + a,
                        "end": c.start + b,
                        "version": fingerprint,
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

    def rebuild_lexical(
        self,
        gen: Generation,
        previous: Path | None = None,
        changed: set[str] | None = None,
        before: ClauseStore | None = None,
    ) -> LexicalIndex:
        """BM25 over the generation's clauses, and their term statistics, saved in its folder.

        Clauses whose content the index in ``previous`` (the serving generation's) already has reuse
        its tokens, so a change to one document re-tokenises only that document (see LexicalIndex).
        With ``changed`` (the documents whose clauses may differ from ``previous``'s), the other
        documents' rows are taken from ``previous`` by their content keys: their text is not read;
        with ``before`` too (the serving generation's store), the term statistics are updated by
        difference rather than counted again (``TermStats``).
        """
        index = None
        rows = LexicalIndex.row_keys(previous) if previous is not None and changed is not None else None
        if rows is not None and changed is not None:
            items = self._lexical_items(gen, changed, rows)
            if items is not None:
                try:
                    index = LexicalIndex.build_incremental(items, gen.store.generation, self.tokenizer, previous)
                except KeyError:  # a row's tokens are not cached (another tokenizer): from the text
                    index = None
        if index is None:
            every = self._lexical_items(gen, None, {})
            assert every is not None  # every document's text is read: nothing is missing
            index = LexicalIndex.build_incremental(every, gen.store.generation, self.tokenizer, previous)
        index.terms = self._term_stats(gen, previous, changed, before)
        index.save(gen.bm25_dir)
        return index

    def _term_stats(
        self, gen: Generation, previous: Path | None, changed: set[str] | None, before: ClauseStore | None
    ) -> TermStats:
        stats = TermStats.load(previous, self.tokenizer) if previous is not None else None
        if stats is None or changed is None or before is None:
            return TermStats.of((c.text for c in gen.store.clauses()), self.tokenizer)
        now = {d.meta.id for d in gen.store.documents()}
        was = {d.meta.id for d in before.documents()}
        removed = (c.text for doc_id in sorted((changed & was) | (was - now)) for c in before.clauses(doc_id))
        added = (c.text for doc_id in sorted(changed & now) for c in gen.store.clauses(doc_id))
        return stats.updated(removed, added, self.tokenizer)

    def _lexical_items(
        self, gen: Generation, changed: set[str] | None, rows: dict[str, bytes]
    ) -> list[tuple[str, str, tuple[str]] | tuple[str, bytes]] | None:
        """The store's clauses in order: (id, text, context) for ``changed`` documents (all when None),
        (id, key) for the others; None when a row of an unchanged document is not in ``rows``."""
        metas = {d.meta.id: d.meta for d in gen.store.documents()}
        contexts: dict[tuple[str, tuple[str, ...]], tuple[str]] = {}  # clauses under one heading share it
        texts = {}
        for cid, doc, text, path in gen.store.index_rows(None if changed is None else sorted(changed)):
            context = contexts.get((doc, path))
            if context is None:
                context = contexts[(doc, path)] = (context_of(metas[doc], path),)
            texts[cid] = (text, context)
        out: list[tuple[str, str, tuple[str]] | tuple[str, bytes]] = []
        for cid, doc in gen.store.clause_docs():
            if changed is None or doc in changed:
                text, context = texts[cid]
                out.append((cid, text, context))
            elif cid in rows:
                out.append((cid, rows[cid]))
            else:
                return None
        return out
