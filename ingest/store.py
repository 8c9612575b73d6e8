"""The clause store: the source of truth for what has been ingested.

A small SQLite file beside the indexes. It holds every document's metadata,
its content fingerprint and its clauses; Chroma and BM25 are derived from it
and can be rebuilt from it. Each document is replaced in one transaction.
Every index generation has a store of its own (``ingest.generations``): the
next one starts as a copy of the serving one (``copy_to``) and is changed
only while nobody reads it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ingest.schema import Clause, DocumentMeta

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    meta TEXT NOT NULL,
    ingested_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS clauses (
    clause_id TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    windows TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS clauses_doc ON clauses(doc_id, ord);
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class StoredDocument:
    meta: DocumentMeta
    source: str
    fingerprint: str
    ingested_at: str


class ClauseStore:
    """Documents and clauses in SQLite. One instance per process is enough."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)
        # One connection shared by a server's threads: a transaction must not interleave with another.
        self._lock = threading.RLock()
        # Window ids by document, as of one store generation: parsed once (a second at 50k clauses) and
        # read many times by an ingest. Only this connection writes a store, and every write bumps it.
        self._windows: tuple[int, dict[str, frozenset[str]]] | None = None
        self._documents: tuple[int, list[StoredDocument]] | None = None

    def close(self) -> None:
        self._db.close()

    def copy_to(self, path: Path) -> None:
        """Write a consistent copy of the whole store to ``path`` (SQLite's online backup)."""
        target = sqlite3.connect(path)
        try:
            with self._lock:
                self._db.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, safe to rename
        finally:
            target.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # ------------------------------------------------------------------ info

    def get_info(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM info WHERE key=?", (key,))
        return rows[0][0] if rows else None

    def set_info(self, key: str, value: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO info(key, value) VALUES (?, ?)", (key, value))

    @property
    def generation(self) -> int:
        """Bumped on every change, so readers can tell their copy is stale."""
        return int(self.get_info("generation") or 0)

    def _bump(self, db: sqlite3.Connection) -> None:
        db.execute(
            "INSERT INTO info(key, value) VALUES ('generation', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    # ------------------------------------------------------------------ writes

    def replace_document(
        self,
        meta: DocumentMeta,
        source: str,
        fingerprint: str,
        clauses: list[Clause],
        windows: dict[str, list[str]],
    ) -> None:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        before = self.generation
        with self._tx() as db:
            db.execute("DELETE FROM clauses WHERE doc_id=?", (meta.id,))
            db.execute(
                "INSERT OR REPLACE INTO documents(doc_id, source, fingerprint, meta, ingested_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (meta.id, source, fingerprint, meta.model_dump_json(), now),
            )
            db.executemany(
                "INSERT INTO clauses(clause_id, doc_id, ord, windows, body) VALUES (?, ?, ?, ?, ?)",
                [
                    (c.clause_id, c.doc_id, c.order, json.dumps(windows.get(c.clause_id, [])), c.model_dump_json())
                    for c in clauses
                ],
            )
            self._bump(db)
        mine = frozenset(w for c in clauses for w in windows.get(c.clause_id, []))
        self._patch_windows(before, meta.id, mine if clauses else None)

    def delete_document(self, doc_id: str) -> None:
        before = self.generation
        with self._tx() as db:
            db.execute("DELETE FROM clauses WHERE doc_id=?", (doc_id,))
            db.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,))
            self._bump(db)
        self._patch_windows(before, doc_id, None)

    def _patch_windows(self, before: int, doc_id: str, windows: frozenset[str] | None) -> None:
        """After a change of one document: the parsed window ids, when they were those of the store as it
        was just before, follow it (one document's entry) instead of being parsed again for every clause."""
        with self._lock:
            if self._windows is None or self._windows[0] != before:
                return
            by_doc = dict(self._windows[1])
            if windows is None:
                by_doc.pop(doc_id, None)
            else:
                by_doc[doc_id] = windows
            self._windows = (before + 1, by_doc)

    def clear(self) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM clauses")
            db.execute("DELETE FROM documents")
            self._bump(db)

    # ------------------------------------------------------------------ reads

    def documents(self) -> list[StoredDocument]:
        """Every document (by id), parsed once per store generation (a province's 2,000 take ~0.1 s)."""
        generation = self.generation
        with self._lock:
            if self._documents is not None and self._documents[0] == generation:
                return list(self._documents[1])
        rows = self._query("SELECT meta, source, fingerprint, ingested_at FROM documents ORDER BY doc_id")
        docs = [StoredDocument(DocumentMeta.model_validate_json(m), s, f, t) for m, s, f, t in rows]
        with self._lock:
            self._documents = (generation, docs)
        return list(docs)

    def document(self, doc_id: str) -> StoredDocument | None:
        rows = self._query("SELECT meta, source, fingerprint, ingested_at FROM documents WHERE doc_id=?", (doc_id,))
        return next((StoredDocument(DocumentMeta.model_validate_json(m), s, f, t) for m, s, f, t in rows), None)

    def windows(self, doc_id: str) -> dict[str, list[str]]:
        """Window ids of each clause of a document (what ``replace_document`` was given)."""
        rows = self._query("SELECT clause_id, windows FROM clauses WHERE doc_id=? ORDER BY ord", (doc_id,))
        return {cid: json.loads(ws) for cid, ws in rows}

    def clauses(self, doc_id: str | None = None) -> list[Clause]:
        if doc_id is None:
            rows = self._query("SELECT body FROM clauses ORDER BY doc_id, ord")
        else:
            rows = self._query("SELECT body FROM clauses WHERE doc_id=? ORDER BY ord", (doc_id,))
        return [Clause.model_validate_json(r[0]) for r in rows]

    def clause_ids(self) -> list[str]:
        """Every clause's id, in ``clauses()`` order, without reading the clauses."""
        return [r[0] for r in self._query("SELECT clause_id FROM clauses ORDER BY doc_id, ord")]

    def clause_count(self) -> int:
        return int(self._query("SELECT COUNT(*) FROM clauses")[0][0])

    def index_rows(self, doc_ids: list[str] | None = None) -> list[tuple[str, str, str, tuple[str, ...]]]:
        """(clause_id, doc_id, text, heading_path) of every clause (of these documents) in ``clauses()``
        order: what BM25 is built from, read by SQLite from the stored JSON without building every
        ``Clause`` (seconds at 50k)."""
        sql = (
            "SELECT clause_id, doc_id, json_extract(body, '$.text'), json_extract(body, '$.heading_path') FROM clauses"
        )
        rows: list[tuple] = []
        if doc_ids is None:
            rows = self._query(sql + " ORDER BY doc_id, ord")
        else:
            for i in range(0, len(doc_ids), 500):
                part = doc_ids[i : i + 500]
                rows += self._query(sql + f" WHERE doc_id IN ({','.join('?' * len(part))})", tuple(part))
        return [(cid, doc, text, tuple(json.loads(path))) for cid, doc, text, path in rows]

    def clause_docs(self) -> list[tuple[str, str]]:
        """(clause_id, doc_id) of every clause, in ``clauses()`` order."""
        return [(c, d) for c, d in self._query("SELECT clause_id, doc_id FROM clauses ORDER BY doc_id, ord")]

    def share_windows(self, copy: ClauseStore) -> None:
        """Let ``copy`` (made by ``copy_to``, not changed since) start with this store's parsed window ids."""
        with self._lock:
            if self._windows is not None and copy.generation == self._windows[0] == self.generation:
                copy._windows = self._windows

    def windows_by_document(self) -> dict[str, frozenset[str]]:
        """Window ids of every document."""
        with self._lock:
            generation = self.generation
            if self._windows is None or self._windows[0] != generation:
                # SQLite unpacks the JSON lists (one row per window): a json.loads per clause took ~0.5 s at 50k.
                out: dict[str, set[str]] = {d: set() for (d,) in self._query("SELECT DISTINCT doc_id FROM clauses")}
                for doc_id, w in self._query("SELECT doc_id, value FROM clauses, json_each(clauses.windows)"):
                    out[doc_id].add(w)
                self._windows = (generation, {d: frozenset(w) for d, w in out.items()})
            return self._windows[1]

    def clause(self, clause_id: str) -> Clause | None:
        rows = self._query("SELECT body FROM clauses WHERE clause_id=?", (clause_id,))
        return Clause.model_validate_json(rows[0][0]) if rows else None

    def window_ids(self, doc_id: str | None = None) -> set[str]:
        if doc_id is None:
            return set().union(*self.windows_by_document().values())
        else:
            rows = self._query("SELECT windows FROM clauses WHERE doc_id=?", (doc_id,))
        return {w for (ws,) in rows for w in json.loads(ws)}
