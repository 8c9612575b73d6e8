"""The five bundled documents segment exactly as before web-page support: same ids, kinds, spans and fields.

``tests/fixtures/bundled_segmentation.json`` was written by the segmenter of
SEGMENTER_VERSION 5 (before unnumbered pages, Q&A and page chrome were
handled); golden sets cite these clause ids, so any change here is a break.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from app.settings import REPO_ROOT
from ingest.loaders import load_text
from ingest.manifest import Manifest
from ingest.metadata import complete_metadata
from ingest.segment import detect_layout, segment

SNAPSHOT = json.loads((Path(__file__).parent.parent / "fixtures" / "bundled_segmentation.json").read_text("utf-8"))
MANIFEST = Manifest.load(REPO_ROOT / "corpus" / "manifest.yaml")


def _fields_sha1(fields: dict[str, str]) -> str:
    return hashlib.sha1(json.dumps(fields, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:12]


@pytest.mark.parametrize("doc_id", sorted(SNAPSHOT))
def test_bundled_document_segments_as_before(doc_id: str) -> None:
    doc = MANIFEST.get(doc_id)
    assert doc is not None
    text = load_text(MANIFEST.source_path(doc)).text
    got = [
        {
            "id": c.clause_id,
            "kind": c.kind,
            "span": [c.start, c.end],
            "title": c.title,
            "heading_path": list(c.heading_path),
            "fields_sha1": _fields_sha1(c.fields),
        }
        for c in segment(text, doc)
    ]
    assert got == SNAPSHOT[doc_id]


@pytest.mark.parametrize("doc_id", sorted(SNAPSHOT))
def test_bundled_layout_is_unchanged_without_the_manifest_hint(doc_id: str) -> None:
    doc = MANIFEST.get(doc_id)
    assert doc is not None
    expected = "table" if doc_id == "xiamen-tasks" else "numbered"
    assert detect_layout(load_text(MANIFEST.source_path(doc)).text) == expected


@pytest.mark.parametrize("doc_id", sorted(SNAPSHOT))
def test_text_adds_nothing_the_bundled_manifest_lacks(doc_id: str) -> None:
    """Where the bundled manifest is empty, the texts state nothing (no signature, no number line)."""
    doc = MANIFEST.get(doc_id)
    assert doc is not None
    assert complete_metadata(doc, load_text(MANIFEST.source_path(doc)).text) == doc
