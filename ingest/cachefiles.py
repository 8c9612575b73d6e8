"""Files a process derives once from packaged data and keeps between runs, to start faster.

Only ever a saving: a cache that cannot be read is made again, one that cannot be written is made
in memory. Keys include what the content is derived from (a file's size and modification time, a
version), so a changed source makes a new file rather than a stale answer.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def cache_dir() -> Path:
    """``PA_CACHE_DIR``, else ``$XDG_CACHE_HOME/policy-assistant``, else ``~/.cache/policy-assistant``."""
    given = os.environ.get("PA_CACHE_DIR")
    if given:
        return Path(given)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "policy-assistant"


def key(*parts: object) -> str:
    """A short key for a cache file name: a hash of ``parts`` (a Path stands for its size and mtime)."""
    h = hashlib.sha1()
    for part in parts:
        if isinstance(part, Path):
            st = part.stat()
            part = f"{part.resolve()}:{st.st_size}:{st.st_mtime_ns}"
        h.update(str(part).encode("utf-8") + b"\x1f")
    return h.hexdigest()[:16]


def cached(path: Path, make: Callable[[], bytes]) -> bytes:
    """``path``'s bytes, made and written (atomically) when missing; made in memory when the
    cache cannot be written (a read-only home), so the cache only ever saves time."""
    try:
        return path.read_bytes()
    except OSError:
        pass
    data = make()
    write(path, data)
    return data


def write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (readers see the old file or the new one); a cache that
    cannot be written is no error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError:
        pass
