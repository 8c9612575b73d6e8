"""Read ``corpus/manifest.yaml``: the per-document metadata a newcomer edits."""

from __future__ import annotations

import datetime
import json
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from ingest import cachefiles
from ingest.schema import DocumentMeta


class ManifestError(Exception):
    """The manifest cannot be read or is invalid; the message says where."""


class _ManifestFile(BaseModel):
    documents: list[DocumentMeta]


def _parsed(path: Path) -> Any:
    """The YAML of ``path``, parsed. libyaml parses a province's manifest (thousands of entries) in a
    blink, but PyYAML's constructor still takes ~1.5 s for 2,000 documents; so what it built is kept in
    the cache folder as JSON (dates tagged), keyed by the file's path, size and modification time."""
    cache = cachefiles.cache_dir() / f"manifest-{cachefiles.key(path, _CACHE_VERSION)}.json"
    try:
        return json.loads(cache.read_bytes(), object_hook=_undate)
    except (OSError, ValueError):
        pass
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    try:
        data = json.dumps(raw, ensure_ascii=False, default=_date).encode("utf-8")
    except TypeError:  # something JSON cannot hold (a YAML set, bytes): not cached
        return raw
    cachefiles.write(cache, data)
    return raw


_CACHE_VERSION = "1"


def _date(value: object) -> dict[str, str]:
    if isinstance(value, datetime.datetime):
        return {"\x00datetime": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"\x00date": value.isoformat()}
    raise TypeError(type(value).__name__)


def _undate(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "\x00date" in obj:
            return datetime.date.fromisoformat(obj["\x00date"])
        if "\x00datetime" in obj:
            return datetime.datetime.fromisoformat(obj["\x00datetime"])
    return obj


class Manifest:
    """The documents of a corpus, with their source files resolved."""

    def __init__(self, path: Path, documents: list[DocumentMeta]):
        self.path = path
        self.documents = documents
        self._by_id = {d.id: d for d in documents}

    @classmethod
    def load(cls, path: Path) -> Manifest:
        try:
            raw = _parsed(path)
        except FileNotFoundError as exc:
            raise ManifestError(f"{path}: manifest not found") from exc
        except yaml.YAMLError as exc:
            raise ManifestError(f"{path}: not valid YAML ({exc})") from exc
        try:
            parsed = _ManifestFile.model_validate(raw)
        except ValidationError as exc:
            raise ManifestError(f"{path}: invalid manifest:\n{exc}") from exc
        ids = [d.id for d in parsed.documents]
        dupes = sorted(i for i, n in Counter(ids).items() if n > 1)
        if dupes:
            raise ManifestError(f"{path}: duplicate document ids: {', '.join(dupes)}")
        return cls(path, parsed.documents)

    def get(self, doc_id: str) -> DocumentMeta | None:
        return self._by_id.get(doc_id)

    def source_path(self, doc: DocumentMeta) -> Path:
        return (self.path.parent / doc.source).resolve()

    def by_source(self, path: Path) -> DocumentMeta | None:
        resolved = path.resolve()
        for doc in self.documents:
            if self.source_path(doc) == resolved:
                return doc
        return None
