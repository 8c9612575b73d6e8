"""Each published generation's snapshot of its window vectors (ingest/vectors.py): what a service reads
its dense matrix from without opening Chroma, reused row by row from one generation to the next."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from app.embeddings import FakeEmbeddings
from app.services import Services, build_services
from app.settings import REPO_ROOT, Settings
from ingest.lexical import TermStats
from ingest.vectors import LazyClient, VectorIndex, read_snapshot

CORPUS = REPO_ROOT / "corpus"


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    shutil.copytree(CORPUS, tmp_path / "corpus")
    return tmp_path / "corpus" / "manifest.yaml"


def _reader(settings: Settings) -> Services:
    """Another process's services on the same data folder (a fresh client, opened only if needed)."""
    return build_services(settings, embedder=FakeEmbeddings(size=64))


def test_the_snapshot_holds_the_vectors_chroma_holds_for_exactly_the_generations_windows(
    fake_services: Services,
) -> None:
    fake_services.ingestor.run(fake_services.manifest())
    vectors = fake_services.vectors
    assert vectors.snapshot_path is not None
    snap = read_snapshot(vectors.snapshot_path, vectors.embedder_id)
    assert snap is not None
    index, matrix = snap
    windows = sorted(fake_services.store.window_ids())
    assert sorted(index) == windows and matrix.shape == (len(windows), 64)
    stored_ids, stored = vectors._fetch_stored(windows)
    rows = [index[w] for w in stored_ids]
    np.testing.assert_array_equal(matrix[rows], stored)
    assert read_snapshot(vectors.snapshot_path, "another-model") is None  # made by another embedder: not used


def test_a_service_answers_from_the_snapshot_without_opening_chroma(fake_settings: Settings) -> None:
    writer = _reader(fake_settings)
    try:
        writer.ingestor.run(writer.manifest())
        expected = [(h.clause.clause_id, round(h.score, 6)) for h in writer.retriever.search("带徒补贴", k=5)]
    finally:
        writer.close()
    reader = _reader(fake_settings)
    try:
        client = reader.generations.client
        assert isinstance(client, LazyClient)
        got = [(h.clause.clause_id, round(h.score, 6)) for h in reader.retriever.search("带徒补贴", k=5)]
        assert got == expected and len(got) == 5
        assert reader.serving().retriever.documents()
        assert not client.opened  # neither chromadb's client nor the collection was needed
    finally:
        reader.close()


def test_a_damaged_snapshot_is_ignored_and_chroma_read_instead(fake_settings: Settings) -> None:
    writer = _reader(fake_settings)
    try:
        writer.ingestor.run(writer.manifest())
        expected = [h.clause.clause_id for h in writer.retriever.search("带徒补贴", k=5)]
        path = writer.vectors.snapshot_path
    finally:
        writer.close()
    assert path is not None
    for damage in ("truncate", "rows", "ids"):
        npy, meta = path.with_suffix(".npy"), path.with_suffix(".json")
        backup = npy.read_bytes(), meta.read_text(encoding="utf-8")
        if damage == "truncate":
            npy.write_bytes(backup[0][: len(backup[0]) // 2])
        elif damage == "rows":
            meta.write_text(backup[1].replace('"rows": ', '"rows": 1'), encoding="utf-8")
        else:
            meta.write_text("{", encoding="utf-8")
        assert read_snapshot(path, "fake") is None or damage != "truncate"
        reader = _reader(fake_settings)
        try:
            assert [h.clause.clause_id for h in reader.retriever.search("带徒补贴", k=5)] == expected
            client = reader.generations.client
            assert isinstance(client, LazyClient) and client.opened  # read from Chroma
        finally:
            reader.close()
        npy.write_bytes(backup[0])
        meta.write_text(backup[1], encoding="utf-8")


def test_the_next_generation_copies_unchanged_rows_and_reads_only_new_windows_from_chroma(
    fake_settings: Settings, corpus_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = fake_settings.model_copy(update={"manifest": corpus_copy})
    services = _reader(settings)
    try:
        services.ingestor.run(services.manifest())
        before = set(services.store.window_ids())
        asked: list[str] = []
        real = VectorIndex._fetch_stored

        def recording(self: VectorIndex, ids: list[str], batch: int = 5000) -> object:
            asked.extend(ids)
            return real(self, ids, batch)

        monkeypatch.setattr(VectorIndex, "_fetch_stored", recording)
        path = corpus_copy.parent / "texts" / "dalian-2023.txt"
        path.write_text(path.read_text(encoding="utf-8") + "\n十、本通知自印发之日起施行。\n", encoding="utf-8")
        report = services.ingestor.run(services.manifest())
        assert report.updated == ["dalian-2023"]
        after = set(services.serving().store.window_ids())
        assert asked and set(asked) == after - before  # only the new windows came from Chroma
        vectors = services.serving().vectors
        assert vectors.snapshot_path is not None
        snap = read_snapshot(vectors.snapshot_path, vectors.embedder_id)
        assert snap is not None and sorted(snap[0]) == sorted(after)
        monkeypatch.undo()
        stored_ids, stored = vectors._fetch_stored(sorted(after))
        np.testing.assert_array_equal(snap[1][[snap[0][w] for w in stored_ids]], stored)
    finally:
        services.close()


def test_a_generation_published_without_a_snapshot_gets_one_on_the_next_ingest(fake_services: Services) -> None:
    fake_services.ingestor.run(fake_services.manifest())
    path = fake_services.vectors.snapshot_path
    assert path is not None
    path.with_suffix(".npy").unlink()
    path.with_suffix(".json").unlink()
    report = fake_services.ingestor.run(fake_services.manifest())  # nothing changed
    assert not report.added and not report.updated
    snap = read_snapshot(path, fake_services.vectors.embedder_id)
    assert snap is not None and sorted(snap[0]) == sorted(fake_services.store.window_ids())


def test_term_statistics_updated_by_difference_equal_those_counted_afresh(
    fake_settings: Settings, corpus_copy: Path
) -> None:
    settings = fake_settings.model_copy(update={"manifest": corpus_copy})
    services = _reader(settings)
    try:
        services.ingestor.run(services.manifest())
        texts = corpus_copy.parent / "texts"
        path = texts / "dalian-2023.txt"
        path.write_text(path.read_text(encoding="utf-8") + "\n十、企业新型学徒制培训补贴另行规定。\n", encoding="utf-8")
        services.ingestor.run(services.manifest())
        assert services.ingestor.delete("nantong-draft").deleted == ["nantong-draft"]
        serving = services.serving()
        saved = TermStats.load(serving.generation.bm25_dir, services.tokenizer)
        fresh = TermStats.of((c.text for c in serving.store.clauses()), services.tokenizer)
        assert saved is not None and saved.n == fresh.n == serving.store.clause_count()
        assert saved.df == fresh.df and "学徒制" in "".join(saved.df)
    finally:
        services.close()


def test_an_update_takes_the_collections_window_ids_from_the_snapshots_when_chroma_holds_as_many(
    fake_settings: Settings, corpus_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = fake_settings.model_copy(update={"manifest": corpus_copy})
    services = _reader(settings)
    try:
        services.ingestor.run(services.manifest())
        path = corpus_copy.parent / "texts" / "dalian-2023.txt"
        path.write_text(path.read_text(encoding="utf-8") + "\n十、本通知自印发之日起施行。\n", encoding="utf-8")
        listed: list[str] = []
        real = VectorIndex.ids

        def ids(self: VectorIndex, page: int = 50_000) -> set[str]:
            listed.append(self.collection_name)
            return real(self, page)

        monkeypatch.setattr(VectorIndex, "ids", ids)
        assert services.ingestor.run(services.manifest()).updated == ["dalian-2023"]
        assert listed == []  # the count agreed with the snapshots: no listing of the whole collection
        # A window lost from Chroma shows in the count: the ids are read, and the document indexed again.
        lost = sorted(services.store.window_ids("xiamen-tasks"))[0]
        services.vectors.delete([lost])
        report = services.ingestor.run(services.manifest())
        assert listed and report.updated == ["xiamen-tasks"] and lost in services.vectors.ids()
    finally:
        services.close()
