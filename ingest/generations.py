"""Index generations: a change builds the next generation beside the serving one, then switches over atomically.

A generation is one complete, consistent set of indexes over the same clauses:

    <data>/generations/<n>/clauses.sqlite   the clause store (the source of truth)
    <data>/generations/<n>/bm25/            BM25 over exactly those clauses
    <data>/generations/<n>/vectors.npy|json  a snapshot of its windows' vectors (see ingest.vectors)
    Chroma collection <name>-g<n>           the embedded windows of exactly those clauses

``<data>/CURRENT`` names the generation being served. It is replaced by one
``rename`` once the next generation is complete and checked, so every process
(the CLI, each service worker, an admin request) reads the old generation or
the new one, never a half state. Readers look at CURRENT on each request and
open the newer generation when there is one; a published generation is never
written again.

Writers hold ``<data>/ingest.lock`` (an exclusive ``flock``, which the OS
releases when a process dies). A build that did not finish, because its process
was killed, stays on disk and the next build resumes it, keeping what it had
indexed. After a switch the previous generation is kept for readers still on
it; older ones are deleted.

Generations built with the same embedder share one Chroma collection (named
after the generation that first created it). A window's id is addressed by
its content (``<clause id>#<n>@<hash of the embedded text>``), so the vector
under an id never changes: the next generation adds only the windows that
are new, and a reader of an older generation still finds every window its
store names. A window that no kept generation names any more is deleted when
a generation is published (``collect``). Copying every unchanged window into
a collection of its own cost minutes at 50k clauses; this costs nothing.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.embeddings import Embeddings

from ingest.store import ClauseStore
from ingest.vectors import LazyClient, VectorIndex, snapshot_ids

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

CURRENT = "CURRENT"
LOCK = "ingest.lock"
_BUILD = "build.json"


@dataclass
class Generation:
    number: int  # 0: nothing has been published yet (an empty, in-memory generation)
    store: ClauseStore
    vectors: VectorIndex
    bm25_dir: Path

    def close(self) -> None:
        self.store.close()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Generations:
    """Where generations live, which one is served, and the switch from one to the next."""

    def __init__(
        self,
        data_dir: Path,
        client: ClientAPI,
        collection: str,
        embeddings: Embeddings,
        embedder_id: str,
        *,
        share_collection: bool = True,
    ):
        """``share_collection``: a new generation uses the serving one's collection (see the module's docstring);
        otherwise one of its own, into which the caller copies the unchanged windows."""
        self.share_collection = share_collection
        self.data_dir = data_dir
        self.root = data_dir / "generations"
        self.client = client
        self.collection = collection
        self.embeddings = embeddings
        self.embedder_id = embedder_id
        self._name = re.compile(rf"^{re.escape(collection)}-g(\d+)$")
        self._seen: int | None = None  # the generation this object last published or refreshed at

    def refresh(self) -> None:
        """Before writing (under ``writing()``): when another process published since this one last wrote,
        read Chroma afresh (``LazyClient.reset``), since generations share a collection."""
        number = self.serving_number()
        if number != self._seen and self.share_collection and isinstance(self.client, LazyClient):
            self.client.reset()
        self._seen = number

    # ------------------------------------------------------------------ reading

    def collection_name(self, number: int) -> str:
        return f"{self.collection}-g{number}"

    def directory(self, number: int) -> Path:
        return self.root / str(number)

    def serving_number(self) -> int | None:
        """The published generation, or None before the first one. Cheap: read on every request."""
        try:
            return int(json.loads((self.data_dir / CURRENT).read_text(encoding="utf-8"))["generation"])
        except FileNotFoundError:
            return None

    def collection_of(self, number: int) -> str:
        """The Chroma collection generation ``number`` keeps its windows in (see the module's docstring)."""
        try:
            return str(json.loads((self.directory(number) / _BUILD).read_text(encoding="utf-8"))["collection"])
        except (FileNotFoundError, ValueError, KeyError):
            return self.collection_name(number)  # a generation of its own collection (earlier versions)

    def open(self, number: int, *, create: bool = False) -> Generation:
        folder = self.directory(number)
        vectors = VectorIndex(
            self.client,
            self.collection_of(number),
            self.embeddings,
            self.embedder_id,
            create=create,
            snapshot=folder / "vectors",
        )
        return Generation(number, ClauseStore(folder / "clauses.sqlite"), vectors, folder / "bm25")

    def empty(self) -> Generation:
        """What readers see before anything is published: no clauses (``/readyz`` says not ready)."""
        vectors = VectorIndex(self.client, self.collection_name(0), self.embeddings, self.embedder_id)
        return Generation(0, ClauseStore(Path(":memory:")), vectors, self.directory(0) / "bm25")

    def serving(self) -> Generation | None:
        number = self.serving_number()
        return self.open(number) if number is not None else None

    # ------------------------------------------------------------------ writing

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """One writer at a time, across threads and processes."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with (self.data_dir / LOCK).open("a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def begin(self, serving: Generation | None) -> tuple[Generation, bool]:
        """The next generation, open for writing; True when an interrupted build is being resumed.

        Its clause store always starts as a fresh copy of the serving one. Its collection is the
        serving generation's when that was built with the same embedder (windows are addressed by
        content, so what is there is reused as it is, and what an interrupted build had embedded is
        found there too); otherwise a new one. The caller indexes, rebuilds BM25 and publishes.
        Call under ``writing()``.
        """
        base = serving.number if serving else 0
        keep = self._in_use({base} if serving else set())
        left = sorted(n for n in self._directories() if n > base)
        for n in left[:-1]:
            self._remove(n, keep)
        resumed = bool(left) and self._built_with(left[-1]) == self.embedder_id
        if resumed:
            number = left[-1]
        else:
            if left:
                self._remove(left[-1], keep)  # built for another model: its vectors cannot be mixed with ours
            number = max({base, *self._directories(), *self._collections()}) + 1
            self._remove(number, keep)
        shared = (
            self.share_collection
            and serving is not None
            and serving.store.get_info("embedder") in (None, self.embedder_id)
        )
        collection = serving.vectors.collection_name if shared and serving is not None else self.collection_name(number)
        folder = self.directory(number)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / _BUILD).write_text(
            json.dumps({"embedder": self.embedder_id, "collection": collection}), encoding="utf-8"
        )
        self._fresh_store(folder, serving)
        build = self.open(number, create=True)
        build.store.set_info("embedder", self.embedder_id)
        if serving is not None and not resumed:
            serving.store.share_windows(build.store)
        return build, resumed

    def _built_with(self, number: int) -> str | None:
        try:
            return str(json.loads((self.directory(number) / _BUILD).read_text(encoding="utf-8"))["embedder"])
        except (FileNotFoundError, ValueError, KeyError):
            return None

    @staticmethod
    def _fresh_store(folder: Path, serving: Generation | None) -> None:
        path = folder / "clauses.sqlite"
        tmp = folder / "clauses.sqlite.tmp"
        tmp.unlink(missing_ok=True)
        if serving is not None:
            serving.store.copy_to(tmp)
        else:
            tmp.touch()  # an empty file is an empty SQLite database
        for stale in (path, folder / "clauses.sqlite-wal", folder / "clauses.sqlite-shm"):
            stale.unlink(missing_ok=True)  # nobody has a build open: readers never open one
        tmp.rename(path)
        _fsync_dir(folder)

    def publish(self, build: Generation, present: set[str] | None = None, serving: Generation | None = None) -> None:
        """Serve ``build`` from now on (one atomic rename), then delete generations nobody needs.

        ``present``: the window ids in ``build``'s collection, when the caller knows them (saves reading them);
        ``serving``: the generation served until now, open (its store need not be read again)."""
        previous = self.serving_number()
        tmp = self.data_dir / f".{CURRENT}.tmp"
        record = {
            "generation": build.number,
            "collection": build.vectors.collection_name,
            "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        with tmp.open("w", encoding="utf-8") as handle:
            handle.write(json.dumps(record))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.data_dir / CURRENT)
        _fsync_dir(self.data_dir)
        self._seen = build.number
        known = {build.vectors.collection_name: present} if present is not None else {}
        stores = {build.number: build.store}
        if serving is not None and serving.number == previous:
            stores[serving.number] = serving.store
        self.collect({build.number, *([previous] if previous is not None else [])}, known, stores)

    def drop_unfinished(self, serving: int | None) -> None:
        """Forget builds newer than the serving generation (nothing is left for them to do)."""
        if any(serving is None or n > serving for n in self._directories()):
            self._keep_published(serving)

    def discard(self, build: Generation) -> None:
        """Drop a build that changed nothing."""
        build.close()
        self._keep_published(self.serving_number())

    def _keep_published(self, serving: int | None) -> None:
        """Drop every build newer than ``serving``; the published generations kept so far stay."""
        self.collect({n for n in self._directories() if serving is not None and n <= serving})

    def collect(
        self, keep: set[int], known: dict[str, set[str]] | None = None, stores: dict[int, ClauseStore] | None = None
    ) -> None:
        """Delete every generation not in ``keep`` (its folder; its collection unless a kept one shares it),
        the windows of shared collections that no kept generation names, and stray temporary folders."""
        in_use = self._in_use(keep)
        for number in ({*self._directories(), *self._collections()} - keep) - {0}:
            self._remove(number, in_use)
        self._remove(0, in_use)  # the empty placeholder readers may have created before the first publish
        self._prune(keep, known or {}, stores or {})
        if self.root.exists():
            for tmp in self.root.glob(".*.tmp"):
                shutil.rmtree(tmp, ignore_errors=True)
        self._remove_single_layout()

    def _remove_single_layout(self) -> None:
        """The one-index layout of earlier versions (rebuilt as generation 1 by the first ingest): derived data."""
        for name in ("clauses.sqlite", "clauses.sqlite-wal", "clauses.sqlite-shm"):
            (self.data_dir / name).unlink(missing_ok=True)
        shutil.rmtree(self.data_dir / "bm25", ignore_errors=True)
        if self.collection in self._collection_names():
            self.client.delete_collection(self.collection)

    def prune_orphans(self, serving: Generation, present: set[str]) -> None:
        """Delete the windows of the serving collection (ids ``present``) that no kept generation names:
        left there by hand or by a build that was dropped. Call under ``writing()``."""
        named = set(serving.store.window_ids())
        for number in self._directories():
            if number < serving.number and self.collection_of(number) == serving.vectors.collection_name:
                store = ClauseStore(self.directory(number) / "clauses.sqlite")
                try:
                    named |= store.window_ids()
                finally:
                    store.close()
        stale = present - named
        if stale:
            serving.vectors.delete(sorted(stale))

    def _in_use(self, numbers: set[int]) -> set[str]:
        """The collections these generations keep their windows in."""
        return {self.collection_of(n) for n in numbers}

    def _prune(self, keep: set[int], known: dict[str, set[str]], stores: dict[int, ClauseStore]) -> None:
        """Delete, from each collection the ``keep`` generations use, the windows none of their stores names
        (``known``: the ids of a collection, when they are known already)."""
        named: dict[str, set[str]] = {}
        for number in keep:
            if number in stores:  # open already (its window ids parsed once)
                named.setdefault(self.collection_of(number), set()).update(stores[number].window_ids())
                continue
            path = self.directory(number) / "clauses.sqlite"
            if not path.is_file():
                continue
            store = ClauseStore(path)
            try:
                named.setdefault(self.collection_of(number), set()).update(store.window_ids())
            finally:
                store.close()
        existing = self._collection_names()
        for name, windows in named.items():
            if name not in existing:
                continue
            vectors = VectorIndex(self.client, name, self.embeddings, self.embedder_id, create=False)
            stale = (known[name] if name in known else vectors.ids()) - windows
            if stale:
                vectors.delete(sorted(stale))

    def _remove(self, number: int, in_use: set[str]) -> None:
        """Delete generation ``number``: its folder, and its collection unless one of ``in_use``."""
        name = self.collection_of(number)
        for collection in {name, self.collection_name(number)} - set(in_use):
            if collection in self._collection_names():
                self.client.delete_collection(collection)
        shutil.rmtree(self.directory(number), ignore_errors=True)

    def snapshot_ids(self, collection: str) -> set[str] | None:
        """The window ids in the snapshots of every generation on disk that keeps its windows in
        ``collection``: what the collection holds when nothing went wrong (``collect`` deletes exactly
        the windows no kept generation names). None when one of them has no snapshot (a build, a
        generation of an earlier version): then only Chroma can say."""
        out: set[str] = set()
        for number in self._directories():
            if self.collection_of(number) != collection:
                continue
            ids = snapshot_ids(self.directory(number) / "vectors", self.embedder_id)
            if ids is None:
                return None
            out.update(ids)
        return out

    def _directories(self) -> set[int]:
        if not self.root.exists():
            return set()
        return {int(p.name) for p in self.root.iterdir() if p.is_dir() and p.name.isdigit() and p.name != "0"}

    def _collection_names(self) -> set[str]:
        return {c.name for c in self.client.list_collections()}

    def _collections(self) -> set[int]:
        return {int(m.group(1)) for name in self._collection_names() if (m := self._name.match(name))}
