"""Admin jobs: work that must not run on the event loop (parsing and indexing an upload).

A job is recorded in a SQLite file in the data folder before it is queued, so
``GET /api/admin/jobs/{id}`` answers from whichever worker process the request
reaches. One worker thread per process runs the jobs that process accepted, one
at a time; index writers are serialised across processes anyway. A job whose
process died before finishing is reported as failed.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.server.errors import ApiError, error_body
from app.server.schemas import ErrorBody, Job

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL,
    host TEXT NOT NULL, pid INTEGER NOT NULL, result TEXT, error TEXT
)
"""
_KEEP = 1000  # finished jobs remembered


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class JobStore:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(_SCHEMA)
        self._lock = threading.Lock()

    def create(self, kind: str) -> str:
        job_id = secrets.token_urlsafe(12)
        now = _now()
        with self._lock:
            self._db.execute(
                "INSERT INTO jobs(id, kind, state, created, updated, host, pid) VALUES (?, ?, 'queued', ?, ?, ?, ?)",
                (job_id, kind, now, now, socket.gethostname(), os.getpid()),
            )
            self._db.execute(
                "DELETE FROM jobs WHERE state IN ('done', 'failed') AND id NOT IN "
                "(SELECT id FROM jobs ORDER BY created DESC LIMIT ?)",
                (_KEEP,),
            )
        return job_id

    def _set(self, job_id: str, state: str, result: object = None, error: object = None) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE jobs SET state=?, updated=?, result=?, error=? WHERE id=?",
                (
                    state,
                    _now(),
                    None if result is None else json.dumps(result, ensure_ascii=False),
                    None if error is None else json.dumps(error, ensure_ascii=False),
                    job_id,
                ),
            )

    def start(self, job_id: str) -> None:
        self._set(job_id, "running")

    def finish(self, job_id: str, result: dict[str, Any]) -> None:
        self._set(job_id, "done", result=result)

    def fail(self, job_id: str, error: ApiError) -> None:
        self._set(job_id, "failed", error=error_body(error))

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, kind, state, created, updated, host, pid, result, error FROM jobs WHERE id=?", (job_id,)
            ).fetchone()
        if row is None:
            return None
        jid, kind, state, created, updated, host, pid, result, error = row
        job = Job(
            id=jid,
            kind=kind,
            state=state,
            created_at=created,
            updated_at=updated,
            result=json.loads(result) if result else None,
            error=ErrorBody.model_validate(json.loads(error)) if error else None,
        )
        if state in ("queued", "running") and host == socket.gethostname() and not _alive(pid):
            job.state = "failed"
            job.error = ErrorBody(
                error="job_lost",
                message="处理该任务的服务进程已停止，请重新上传。",
                message_en="The worker process running this job stopped; upload the file again.",
            )
        return job

    def close(self) -> None:
        self._db.close()


class JobRunner:
    """Runs jobs on one background thread of this process and records how they end."""

    def __init__(self, store: JobStore):
        self.store = store
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pa-job")

    def submit(self, kind: str, work: Callable[[], dict[str, Any]]) -> str:
        job_id = self.store.create(kind)
        self._pool.submit(self._run, job_id, work)
        return job_id

    def _run(self, job_id: str, work: Callable[[], dict[str, Any]]) -> None:
        self.store.start(job_id)
        try:
            result = work()
        except ApiError as exc:
            self.store.fail(job_id, exc)
        except Exception as exc:  # noqa: BLE001 - a job's failure is recorded, never lost
            self.store.fail(job_id, ApiError(500, "job_failed", f"任务失败：{exc}", f"The job failed: {exc}"))
        else:
            self.store.finish(job_id, result)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.store.close()
