"""Conversation sessions, shared between processes, bounded in size and age.

Never process memory: a follow-up must work across separate
``policy-assistant ask --session`` calls and across service workers.

* ``SessionStore`` — a SQLite file in the data folder (the default);
* ``RedisSessionStore`` — Redis, where a deployment has one
  (``PA_SESSIONS__BACKEND=redis``, ``PA_SESSIONS__REDIS_URL``).

Each session keeps its last ``max_turns`` turns; sessions idle for longer than
``ttl_seconds`` are forgotten. Both pass the same contract tests.

Ids are issued by the server (``secrets.token_urlsafe``: 192 random bits) and
never chosen by a client: ``resolve`` turns an id the store did not issue, or
one that has expired, into a fresh one, so nobody can continue, or read back,
a conversation by guessing or picking its id.
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field


class Turn(BaseModel):
    question: str
    standalone: str
    answer: str
    topic: str = Field("", description="what the conversation is about, for a follow-up's search (bounded)")
    city: str | None = None
    places: list[str] = Field(default_factory=list, description="the places the turn was about")
    rule_id: str | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    clause_ids: list[str] = Field(default_factory=list)
    frame: dict[str, Any] | None = Field(None, description="the turn's question frame, carried to the next (bounded)")


_ID = re.compile(r"^[A-Za-z0-9_-]{32}$")  # what new_id() issues


def new_session_id() -> str:
    return secrets.token_urlsafe(24)


class SessionStore:
    def __init__(self, path: Path, *, max_turns: int = 10, ttl_seconds: int = 24 * 3600, max_sessions: int = 10000):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        # A commit without an fsync (WAL's NORMAL: the log is synced at checkpoints): a conversation's
        # last turns may be lost with the machine's power, never the file; each answer writes twice and
        # a synced commit cost ~0.7 ms, 8 % of an offline ask.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, updated REAL NOT NULL, turns TEXT NOT NULL)"
        )
        # Pruning by age reads this index, not the whole table.
        self._db.execute("CREATE INDEX IF NOT EXISTS sessions_updated ON sessions(updated)")
        self._lock = threading.Lock()
        self.max_turns = max_turns
        self.ttl_seconds = ttl_seconds
        self.max_sessions = max_sessions

    new_id = staticmethod(new_session_id)

    def resolve(self, session_id: str | None) -> str:
        """The id to use: the given one if this store issued it and it is live, else a fresh one."""
        if session_id and _ID.fullmatch(session_id):
            with self._lock:
                row = self._db.execute("SELECT updated FROM sessions WHERE id=?", (session_id,)).fetchone()
            if row is not None and time.time() - row[0] <= self.ttl_seconds:
                return session_id
        return self.new_id()

    def history(self, session_id: str) -> list[Turn]:
        with self._lock:
            row = self._db.execute("SELECT updated, turns FROM sessions WHERE id=?", (session_id,)).fetchone()
        if row is None or time.time() - row[0] > self.ttl_seconds:
            return []
        return [Turn.model_validate(t) for t in json.loads(row[1])]

    def append(self, session_id: str, turn: Turn) -> None:
        with self._lock:
            # One write transaction: two processes appending to one session cannot lose a turn.
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._append(session_id, turn)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _append(self, session_id: str, turn: Turn) -> None:
        row = self._db.execute("SELECT updated, turns FROM sessions WHERE id=?", (session_id,)).fetchone()
        fresh = row is not None and time.time() - row[0] <= self.ttl_seconds
        turns = json.loads(row[1]) if fresh else []
        turns = [*turns, turn.model_dump(mode="json")][-self.max_turns :]
        self._db.execute(
            "INSERT OR REPLACE INTO sessions(id, updated, turns) VALUES (?, ?, ?)",
            (session_id, time.time(), json.dumps(turns, ensure_ascii=False)),
        )
        self._prune(new=row is None)

    def _prune(self, *, new: bool) -> None:
        self._db.execute("DELETE FROM sessions WHERE updated < ?", (time.time() - self.ttl_seconds,))
        if new:
            # Only a new session can take the table past its size; a turn of an existing one cannot. The
            # newest session beyond the size is found on the index (no set of every id kept), and it and
            # every older one go.
            beyond = self._db.execute(
                "SELECT updated FROM sessions ORDER BY updated DESC LIMIT 1 OFFSET ?", (self.max_sessions,)
            ).fetchone()
            if beyond is not None:
                self._db.execute("DELETE FROM sessions WHERE updated <= ?", (beyond[0],))

    def close(self) -> None:
        self._db.close()


class RedisSessionStore:
    """Sessions in Redis: one list per session, trimmed and expired in one transaction."""

    def __init__(self, url: str, *, max_turns: int = 10, ttl_seconds: int = 24 * 3600, prefix: str = "pa:session:"):
        import redis

        self._redis = redis.Redis.from_url(url)
        self.max_turns = max_turns
        self.ttl_seconds = ttl_seconds
        self.prefix = prefix

    new_id = staticmethod(new_session_id)

    def resolve(self, session_id: str | None) -> str:
        """The id to use: the given one if this store issued it and it is live, else a fresh one."""
        if session_id and _ID.fullmatch(session_id) and self._redis.exists(self.prefix + session_id):
            return session_id
        return self.new_id()

    def history(self, session_id: str) -> list[Turn]:
        raw = self._redis.lrange(self.prefix + session_id, 0, -1)
        return [Turn.model_validate_json(item) for item in raw]  # type: ignore[union-attr]

    def append(self, session_id: str, turn: Turn) -> None:
        key = self.prefix + session_id
        pipe = self._redis.pipeline(transaction=True)  # MULTI/EXEC: concurrent appends cannot lose a turn
        pipe.rpush(key, turn.model_dump_json())
        pipe.ltrim(key, -self.max_turns, -1)
        pipe.expire(key, self.ttl_seconds)
        pipe.execute()

    def close(self) -> None:
        self._redis.close()
