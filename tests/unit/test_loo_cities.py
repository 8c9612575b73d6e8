"""Helpers of the leave-one-document-out and cities evaluations, and the per-document exclusion setting."""

from __future__ import annotations

from pathlib import Path

from app.embeddings import FakeEmbeddings
from app.services import Services, build_services
from app.settings import REPO_ROOT, Settings
from evaluation.answers import AnswerItem
from evaluation.cities import FIXTURE_MANIFEST, combined_manifest, subset
from evaluation.loo import item_documents
from ingest.manifest import Manifest


def test_excluding_a_documents_curated_rules_leaves_its_extraction_and_the_others_curated(
    ingested: Services,
) -> None:
    settings = ingested.settings.model_copy(update={"curated_rules_exclude": ["xiamen-tasks"]})
    held = build_services(settings, embedder=FakeEmbeddings(size=64))
    try:
        rules = held.rules().rules
        assert not [r for r in rules if r.doc_id == "xiamen-tasks" and r.reviewed]
        assert [r for r in rules if r.doc_id == "xiamen-tasks" and not r.reviewed]  # extraction answers alone
        curated_elsewhere = {r.id for r in ingested.catalogue.rules if r.doc_id != "xiamen-tasks"}
        assert curated_elsewhere <= {r.id for r in rules if r.reviewed}
        assert not [f for f in held.catalogue.figures if f.clause_id.startswith("xiamen-tasks/")]
    finally:
        held.close()


def _item(**expect: object) -> AnswerItem:
    return AnswerItem.model_validate({"id": "q", "question": "?", "persona": "p", "type": "fact", "expect": expect})


def test_item_documents_from_clauses_docs_and_places() -> None:
    assert item_documents(_item(clauses=["a-doc/一/（二）"])) == {"a-doc"}
    assert item_documents(_item(docs=["b"], places=[{"place": "某地", "clauses": ["c/1"]}])) == {"b", "c"}
    assert item_documents(_item()) == set()


def test_combined_manifest_resolves_every_source(tmp_path: Path) -> None:
    out = combined_manifest([REPO_ROOT / "corpus" / "manifest.yaml", FIXTURE_MANIFEST], tmp_path / "m.yaml")
    merged = Manifest.load(out)
    bundled, fixture = Manifest.load(REPO_ROOT / "corpus" / "manifest.yaml"), Manifest.load(FIXTURE_MANIFEST)
    assert [d.id for d in merged.documents] == [d.id for d in bundled.documents + fixture.documents]
    for doc in merged.documents:
        source = merged.source_path(doc)
        assert source.is_file()
        original = bundled.get(doc.id) or fixture.get(doc.id)
        assert original is not None
        owner = bundled if bundled.get(doc.id) else fixture
        assert source == owner.source_path(original)


def test_subset_is_seeded_ordered_and_complete_when_large() -> None:
    items = [_item().model_copy(update={"id": f"q{i}"}) for i in range(30)]
    a, b = subset(items, 10), subset(items, 10)
    assert [i.id for i in a] == [i.id for i in b] and len(a) == 10
    assert [i.id for i in a] == sorted((i.id for i in a), key=lambda x: int(x[1:]))
    assert subset(items, None) == items and subset(items, 99) == items
    assert Settings().curated_rules_exclude == []
