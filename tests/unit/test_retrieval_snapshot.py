"""The retriever's per-generation snapshot: dense vectors in memory, reused per unchanged document,
filters cached; and the batched Chroma upserts of the ingest pipeline."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.retrieval import Filters
from app.services import Services
from app.settings import REPO_ROOT
from ingest.manifest import Manifest
from ingest.vectors import UpsertBatch, VectorIndex

CORPUS = REPO_ROOT / "corpus"


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    shutil.copytree(CORPUS, tmp_path / "corpus")
    return tmp_path / "corpus" / "manifest.yaml"


class FetchRecorder:
    """Records which window ids the retriever fetches from Chroma."""

    def __init__(self, services: Services):
        self.real = services.vectors.fetch
        self.calls: list[list[str]] = []

    def __call__(self, ids: list[str], batch: int = 5000) -> Any:
        self.calls.append(list(ids))
        return self.real(ids, batch)


def edit_dalian(manifest_path: Path) -> None:
    path = manifest_path.parent / "texts" / "dalian-2023.txt"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("高级技师每人2000元", "高级技师每人2500元"), encoding="utf-8")


def test_dense_matrix_holds_every_stored_window_normalised(fake_services: Services) -> None:
    fake_services.ingestor.run(fake_services.manifest())
    fake_services.retriever.search("带徒补贴")
    snap = fake_services.retriever._snapshot
    assert snap is not None
    assert len(snap.matrix) == len(fake_services.store.window_ids()) == len(fake_services.vectors.ids())
    np.testing.assert_allclose(np.linalg.norm(snap.matrix, axis=1), 1.0, rtol=1e-5)
    assert np.all(np.diff(snap.window_clause) >= 0)  # sorted by clause, as the per-clause ranges assume
    windows = fake_services.store.window_ids()
    for i, c in enumerate(snap.clause_list):
        owners = snap.window_clause[snap.window_start[i] : snap.window_end[i]]
        assert len(owners) == sum(1 for w in windows if w.rpartition("#")[0] == c.clause_id) >= 1
        assert set(owners.tolist()) == {i}


def test_an_update_fetches_only_the_changed_documents_vectors(
    fake_services: Services, corpus_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = Manifest.load(corpus_copy)
    fake_services.ingestor.run(manifest)
    retriever = fake_services.retriever
    assert retriever.search("带徒补贴", k=1)
    first = retriever._snapshot
    assert first is not None
    kept = {doc_id: b for doc_id, b in first.blocks.items() if doc_id != "dalian-2023"}

    edit_dalian(corpus_copy)
    fake_services.ingestor.run(manifest)  # a new generation: its retriever starts from the old snapshot
    recorder = FetchRecorder(fake_services)
    monkeypatch.setattr(fake_services.vectors, "fetch", recorder)
    retriever = fake_services.retriever
    hits = retriever.search("大连 高级技师 带徒补贴", k=3)

    assert [sorted(c) for c in recorder.calls] == [sorted(fake_services.store.window_ids("dalian-2023"))]
    second = retriever._snapshot
    assert second is not first and second is not None
    for doc_id, block in kept.items():
        assert second.blocks[doc_id] is block  # unchanged documents are reused, not re-read
    assert any("2500元" in h.clause.text for h in hits)
    # The same vectors as a snapshot read from scratch.
    fresh = type(second)(fake_services.store, fake_services.vectors)
    # (copied between generations' collections, a vector may differ in the last float32 bit)
    np.testing.assert_allclose(fresh.matrix, second.matrix, rtol=0, atol=1e-6)
    assert [c.clause_id for c in fresh.clause_list] == [c.clause_id for c in second.clause_list]


def test_a_window_missing_from_chroma_is_fetched_again_on_the_next_search(fake_services: Services) -> None:
    fake_services.ingestor.run(fake_services.manifest())
    snapshot = fake_services.vectors.snapshot_path
    assert snapshot is not None
    for suffix in (".npy", ".json"):  # a generation published before snapshots: its vectors are in Chroma only
        snapshot.with_suffix(suffix).unlink()
    lost = sorted(fake_services.store.window_ids("dalian-2023"))[0]
    vectors, texts, metas = (
        fake_services.vectors._collection.get(ids=[lost], include=["embeddings", "documents", "metadatas"])[k]
        for k in ("embeddings", "documents", "metadatas")
    )
    fake_services.vectors.delete([lost])
    retriever = fake_services.retriever
    retriever.search("带徒补贴")
    assert retriever._snapshot is not None and not retriever._snapshot.blocks["dalian-2023"].complete
    fake_services.vectors.upsert([lost], [list(vectors[0])], list(texts), list(metas))
    retriever.search("带徒补贴")
    assert retriever._snapshot.blocks["dalian-2023"].complete
    assert len(retriever._snapshot.matrix) == len(fake_services.store.window_ids())


def test_filters_are_cached_per_snapshot_and_match_the_documents(fake_services: Services) -> None:
    fake_services.ingestor.run(fake_services.manifest())
    retriever = fake_services.retriever
    retriever.search("补贴")
    snap = retriever._snapshot
    assert snap is not None
    assert snap.allowed(Filters()) is None
    xiamen = snap.allowed(Filters(city="厦门"))
    assert xiamen is snap.allowed(Filters(city="厦门"))  # the same mask, not recomputed
    assert [c.clause_id for c, ok in zip(snap.clause_list, xiamen, strict=True) if ok] == [
        c.clause_id for c in snap.clause_list if snap.docs[c.doc_id].city == "厦门"
    ]
    assert not snap.allowed(Filters(city="火星")).any()
    assert retriever.search("补贴", filters=Filters(city="火星")) == []


# --------------------------------------------------------------------------- batched upserts


class CountingUpserts:
    """Every upsert into any generation's collection (the build is not the serving index)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, fail: bool = False):
        self.calls: list[int] = []
        real = VectorIndex.upsert

        def upsert(index: VectorIndex, ids: list[str], *args: Any, **kwargs: Any) -> None:
            self.calls.append(len(ids))
            if fail:
                raise RuntimeError("chroma is down")
            real(index, ids, *args, **kwargs)

        monkeypatch.setattr(VectorIndex, "upsert", upsert)


def test_ingest_upserts_many_documents_in_one_call(fake_services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    counting = CountingUpserts(monkeypatch)
    report = fake_services.ingestor.run(fake_services.manifest())
    assert len(report.added) == 5 and report.errors == []
    assert counting.calls == [report.windows]  # the bundled corpus fits one batch
    assert fake_services.vectors.ids() == fake_services.store.window_ids()


def test_a_failed_batch_reports_each_document_and_switches_nothing(
    fake_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    CountingUpserts(monkeypatch, fail=True)
    report = fake_services.ingestor.run(fake_services.manifest())
    assert report.added == []
    assert len(report.errors) == 5 and all("chroma is down" in reason for _, reason in report.errors)
    assert fake_services.store.documents() == []


def test_upsert_batch_flushes_at_its_size_and_runs_then_after_the_upsert(fake_services: Services) -> None:
    order: list[str] = []
    real = fake_services.vectors.upsert

    def upsert(ids: list[str], *args: Any, **kwargs: Any) -> None:
        order.append(f"upsert {len(ids)}")
        real(ids, *args, **kwargs)

    fake_services.vectors.upsert = upsert  # type: ignore[method-assign]
    vec = fake_services.vectors.embeddings.embed_documents(["x"])[0]
    meta = {"clause_id": "a/一", "doc_id": "a", "city": "", "status": "unknown", "kind": "clause"}
    batch = UpsertBatch(fake_services.vectors, flush_windows=3)
    for n in range(4):
        ids = [f"a/一#{n}a", f"a/一#{n}b"]
        batch.add(ids, [vec, vec], ["x", "x"], [meta, meta], then=lambda n=n: order.append(f"then {n}"), failed=print)
    assert order == ["upsert 4", "then 0", "then 1", "upsert 4", "then 2", "then 3"]
    batch.flush()
    assert order[-1] == "then 3"  # nothing pending: no further call
