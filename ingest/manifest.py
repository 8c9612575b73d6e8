"""Read ``corpus/manifest.yaml``: the per-document metadata a newcomer edits."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from ingest.schema import DocumentMeta


class ManifestError(Exception):
    """The manifest cannot be read or is invalid; the message says where."""


class _ManifestFile(BaseModel):
    documents: list[DocumentMeta]


class Manifest:
    """The documents of a corpus, with their source files resolved."""

    def __init__(self, path: Path, documents: list[DocumentMeta]):
        self.path = path
        self.documents = documents
        self._by_id = {d.id: d for d in documents}

    @classmethod
    def load(cls, path: Path) -> Manifest:
        try:
            # libyaml when available: a province's manifest (thousands of entries) loads in a blink.
            raw = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
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
