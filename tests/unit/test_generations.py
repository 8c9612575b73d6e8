"""Index generations: readers never see a half-built index, a killed build is resumed, old ones are collected.

A second ``Services`` on the same data folder plays the part of another service worker: it only reads.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.embeddings import FakeEmbeddings
from app.retrieval import IndexNotReady
from app.services import Services, build_services
from app.settings import REPO_ROOT, Settings
from ingest.generations import CURRENT
from ingest.lexical import LexicalIndex
from ingest.manifest import Manifest
from ingest.store import ClauseStore
from ingest.textproc import Tokenizer

CORPUS = REPO_ROOT / "corpus"
DALIAN_SEVENTH = "dalian-2023/三/（七）"
DALIAN_TWENTIETH = "dalian-2023/六/（二十）"


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    tok = Tokenizer()
    tok.tokenize("预热")
    return tok


@pytest.fixture
def corpus(tmp_path: Path) -> Manifest:
    shutil.copytree(CORPUS, tmp_path / "corpus")
    return Manifest.load(tmp_path / "corpus" / "manifest.yaml")


def _services(settings: Settings, tokenizer: Tokenizer) -> Services:
    services = build_services(settings, embedder=FakeEmbeddings(size=64))
    services.tokenizer = tokenizer
    return services


@pytest.fixture
def writer(fake_settings: Settings, tokenizer: Tokenizer) -> Iterator[Services]:
    services = _services(fake_settings, tokenizer)
    yield services
    services.close()


@pytest.fixture
def reader(fake_settings: Settings, tokenizer: Tokenizer) -> Iterator[Services]:
    services = _services(fake_settings, tokenizer)
    yield services
    services.close()


def edit_dalian(manifest: Manifest) -> None:
    path = manifest.path.parent / "texts" / "dalian-2023.txt"
    text = path.read_text(encoding="utf-8").replace("高级技师每人2000元", "高级技师每人2500元")
    start = text.index("(二十)营造良好氛围")
    path.write_text(text[:start] + text[text.index("\n", start) :], encoding="utf-8")  # drops （二十）


def old_generation_serves(reader: Services) -> None:
    """Everything a reader can ask gives the old version, whole."""
    assert "高级技师每人2000元" in reader.retriever.clause(DALIAN_SEVENTH).text
    assert reader.retriever.clause(DALIAN_TWENTIETH) is not None
    hits = reader.retriever.search("大连 带徒补贴 高级技师 标准", k=3)
    assert hits and all("2500元" not in h.clause.text for h in hits)
    assert reader.store.window_ids() <= reader.vectors.ids()  # the build adds windows beside them, never over them
    assert len(reader.retriever.documents()) == 5


def test_readers_keep_the_old_generation_until_the_switch(writer: Services, reader: Services, corpus: Manifest) -> None:
    writer.ingestor.run(corpus)
    old_generation_serves(reader)
    edit_dalian(corpus)
    checks: list[str] = []

    def progress(stage: str, done: int, total: int) -> None:
        try:
            old_generation_serves(reader)
        except IndexNotReady as exc:  # what a reader used to get during every re-ingest
            pytest.fail(f"during {stage} {done}/{total} the index was not ready: {exc}")
        checks.append(stage)

    report = writer.ingestor.run(corpus, progress=progress)

    assert {"documents", "embedding", "copying"} <= set(checks)
    assert report.updated == ["dalian-2023"] and report.generation == 2
    # Right after the switch the same reader serves the new version, whole.
    assert "高级技师每人2500元" in reader.retriever.clause(DALIAN_SEVENTH).text
    assert reader.retriever.clause(DALIAN_TWENTIETH) is None
    assert reader.store.window_ids() <= reader.vectors.ids()


def windows_of(settings: Settings, *numbers: int) -> set[str]:
    """The window ids the stores of these generations name."""
    out: set[str] = set()
    for n in numbers:
        store = ClauseStore(settings.data_dir / "generations" / str(n) / "clauses.sqlite")
        out |= store.window_ids()
        store.close()
    return out


def test_only_new_windows_are_embedded_the_rest_is_reused(writer: Services, corpus: Manifest) -> None:
    first = writer.ingestor.run(corpus)
    assert first.embedded == first.windows and first.copied == 0
    before = writer.store.window_ids()
    edit_dalian(corpus)
    second = writer.ingestor.run(corpus)
    dalian = writer.store.window_ids("dalian-2023")
    new = writer.store.window_ids() - before
    # Only the edited clause of the edited document has a window with new text; its other windows,
    # like every window of the unchanged documents, are the ones generation 1 embedded.
    assert new and new <= dalian and len(new) < len(dalian)
    assert all(w.startswith(DALIAN_SEVENTH + "#") for w in new)
    assert second.embedded == len(new)
    assert second.copied == second.windows - len(new)
    # One collection for both kept generations, holding exactly their windows.
    assert writer.vectors.ids() == windows_of(writer.settings, 1, 2) == before | writer.store.window_ids()
    # The edited document's dense vectors are exactly what embedding it afresh gives.
    texts = writer.vectors._collection.get(ids=sorted(dalian), include=["documents", "embeddings"])
    fresh = writer.vectors.embeddings.embed_documents(list(texts["documents"]))
    assert np.allclose(np.asarray(texts["embeddings"]), np.asarray(fresh), atol=1e-6)


class Killed(BaseException):
    """Stops an ingest half-way, as kill -9 would (the real kill -9 is in tests/integration/test_reliability.py)."""


def test_a_killed_build_leaves_the_old_generation_serving_and_is_resumed(
    fake_settings: Settings, tokenizer: Tokenizer, reader: Services, corpus: Manifest
) -> None:
    writer = _services(fake_settings, tokenizer)
    writer.ingestor.run(corpus)
    before = writer.store.window_ids()
    for doc in corpus.documents:  # every document changes
        path = corpus.source_path(doc)
        path.write_text(path.read_text(encoding="utf-8") + "\n附则。本文件由发布单位负责解释。\n", encoding="utf-8")
    edit_dalian(corpus)
    finished: list[int] = []

    def die_after_two_documents(stage: str, done: int, total: int) -> None:
        if stage == "documents":
            finished.append(done)
            if done == 2:
                raise Killed

    with pytest.raises(Killed):
        writer.ingestor.run(corpus, progress=die_after_two_documents)

    assert (fake_settings.data_dir / CURRENT).exists()
    assert reader.serving().number == 1
    old_generation_serves(reader)

    again = _services(fake_settings, tokenizer)  # the next run, in a new process
    try:
        report = again.ingestor.run(corpus)
        assert sorted(report.resumed) == sorted(d.id for d in corpus.documents[:2])
        assert sorted(report.updated) == sorted(d.id for d in corpus.documents)
        # Embedded now: the new windows, less those the killed run had embedded for the first two documents.
        new = again.store.window_ids() - before
        assert new
        done = {w for d in corpus.documents[:2] for w in again.store.window_ids(d.id)}
        assert report.embedded == len(new - done)
        assert report.generation == 2
    finally:
        again.close()
        writer.close()
    assert "高级技师每人2500元" in reader.retriever.clause(DALIAN_SEVENTH).text
    assert reader.store.window_ids() <= reader.vectors.ids() == windows_of(fake_settings, 1, 2)


def test_a_change_that_fails_publishes_nothing(writer: Services, corpus: Manifest, tmp_path: Path) -> None:
    writer.ingestor.run(corpus)
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00\x01binary")
    report = writer.ingestor.run_documents([(corpus.documents[0].model_copy(update={"id": "bad"}), bad)])
    assert report.errors and report.generation == 1
    assert writer.serving().number == 1
    assert sorted(p.name for p in (writer.settings.data_dir / "generations").iterdir()) == ["1"]


def test_only_the_serving_and_the_previous_generation_are_kept(writer: Services, corpus: Manifest) -> None:
    writer.ingestor.run(corpus)
    text = corpus.path.parent / "texts" / "dalian-2023.txt"
    for amount in ("2100", "2200", "2300"):
        original = text.read_text(encoding="utf-8")
        text.write_text(original.replace("高级技师每人2", f"高级技师每人{amount}", 1), encoding="utf-8")
        writer.ingestor.run(corpus)
    assert writer.serving().number == 4
    folders = sorted(p.name for p in (writer.settings.data_dir / "generations").iterdir())
    collections = sorted(c.name for c in writer.generations.client.list_collections())
    assert folders == ["3", "4"]
    # The generations share the collection generation 1 created; it holds the windows of 3 and 4, no others.
    assert collections == ["policy_clauses-g1"]
    assert writer.vectors.ids() == windows_of(writer.settings, 3, 4)


def test_an_unchanged_run_writes_nothing(writer: Services, corpus: Manifest) -> None:
    writer.ingestor.run(corpus)
    before = (writer.settings.data_dir / CURRENT).read_text()
    report = writer.ingestor.run(corpus)
    assert report.generation == 1 and not report.changed and report.embedded == report.copied == 0
    assert (writer.settings.data_dir / CURRENT).read_text() == before


def test_before_the_first_ingest_readers_are_not_ready(reader: Services) -> None:
    assert reader.store.documents() == []
    with pytest.raises(IndexNotReady):
        reader.retriever.documents()


def test_the_first_publish_removes_the_single_index_layout(writer: Services, corpus: Manifest) -> None:
    data = writer.settings.data_dir
    data.mkdir(parents=True, exist_ok=True)
    (data / "clauses.sqlite").write_bytes(b"")
    (data / "bm25").mkdir()
    writer.generations.client.get_or_create_collection(writer.generations.collection)
    writer.ingestor.run(corpus)
    assert not (data / "clauses.sqlite").exists() and not (data / "bm25").exists()
    assert writer.generations.collection not in {c.name for c in writer.generations.client.list_collections()}


QUESTIONS = [
    "大连 带徒补贴 高级技师 标准",
    "厦门 新型学徒制 补贴",
    "南通 人才公寓",
    "高技能人才 安家费",
    "营造良好氛围",
]


def test_an_update_serves_what_a_fresh_ingest_of_the_new_corpus_serves(
    writer: Services, corpus: Manifest, tokenizer: Tokenizer, tmp_path: Path
) -> None:
    """Updating in place (windows and tokens reused, one collection shared) and ingesting the edited
    corpus into an empty folder give the same clauses, windows, vectors, BM25 and search results."""
    writer.ingestor.run(corpus)
    edit_dalian(corpus)
    removed = corpus.documents[-1].id
    updated = writer.ingestor.run(corpus)
    assert updated.updated == ["dalian-2023"] and updated.embedded < len(writer.store.window_ids("dalian-2023"))
    writer.ingestor.delete(removed)

    settings = Settings(
        data_dir=tmp_path / "fresh",
        manifest=corpus.path,
        embedding={"backend": "fake"},
        chroma={"share_generations": True},
    )
    fresh = _services(settings, tokenizer)
    try:
        fresh.ingestor.run(corpus)
        fresh.ingestor.delete(removed)
        assert writer.store.clause_ids() == fresh.store.clause_ids()
        assert writer.store.window_ids() == fresh.store.window_ids()
        ids = sorted(writer.store.window_ids())
        a, b = (dict(zip(*s.vectors.fetch(ids), strict=True)) for s in (writer, fresh))
        assert a.keys() == b.keys() == set(ids) and all(np.array_equal(a[w], b[w]) for w in ids)
        lex_a = LexicalIndex.load(writer.generation.bm25_dir, tokenizer)
        lex_b = LexicalIndex.load(fresh.generation.bm25_dir, tokenizer)
        assert lex_a is not None and lex_b is not None and lex_a.clause_ids == lex_b.clause_ids
        for q in QUESTIONS:
            tokens = lex_b.query_tokens(q)
            assert lex_a.query_tokens(q) == tokens
            assert lex_a.scores(tokens) == lex_b.scores(tokens)  # bit for bit
            got = [(r.clause.clause_id, r.score) for r in writer.retriever.search(q, k=8)]
            want = [(r.clause.clause_id, r.score) for r in fresh.retriever.search(q, k=8)]
            assert got == want
    finally:
        fresh.close()


def test_an_update_reads_the_text_of_the_changed_documents_only(
    writer: Services, corpus: Manifest, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer.ingestor.run(corpus)
    edit_dalian(corpus)
    asked: list[list[str] | None] = []
    real = ClauseStore.index_rows

    def index_rows(self: ClauseStore, doc_ids: list[str] | None = None) -> Any:
        asked.append(doc_ids)
        return real(self, doc_ids)

    monkeypatch.setattr(ClauseStore, "index_rows", index_rows)
    writer.ingestor.run(corpus)
    assert asked == [["dalian-2023"]]
    # A BM25 folder without row keys (an earlier version's) is rebuilt from every clause's text.
    (writer.generation.bm25_dir / "row_keys.npy").unlink()
    text = corpus.path.parent / "texts" / "dalian-2023.txt"
    text.write_text(text.read_text(encoding="utf-8").replace("2500元", "2600元"), encoding="utf-8")
    writer.ingestor.run(corpus)
    assert asked[-1] is None
    assert "2600元" in writer.retriever.clause(DALIAN_SEVENTH).text


def test_whole_collection_reads_go_by_pages(fake_services: Services) -> None:
    """One Chroma get of tens of thousands of windows' metadata fails (too many SQL variables): pages."""
    vectors = fake_services.vectors
    vec = vectors.embeddings.embed_documents(["x"])[0]
    ids = [f"a/一#{n}@{n:012x}" for n in range(7)]
    vectors.upsert(ids, [vec] * 7, ["x"] * 7, [{"n": n} for n in range(7)])
    assert vectors.ids(page=3) == vectors.ids() == set(ids)
    assert vectors.metadatas(batch=3) == vectors.metadatas() == {w: {"n": n} for n, w in enumerate(ids)}
    assert vectors.metadatas(ids[:5], batch=2) == {w: {"n": n} for n, w in enumerate(ids[:5])}


def test_without_sharing_each_generation_gets_a_collection_of_its_own(
    fake_settings: Settings, tokenizer: Tokenizer, corpus: Manifest
) -> None:
    """``chroma.share_generations: false``: a collection per generation, the unchanged windows copied into it."""
    assert Settings().chroma.shared is True and Settings(chroma={"mode": "server"}).chroma.shared is True
    settings = fake_settings.model_copy(
        update={"chroma": fake_settings.chroma.model_copy(update={"share_generations": False})}
    )
    services = _services(settings, tokenizer)
    try:
        first = services.ingestor.run(corpus)
        edit_dalian(corpus)
        second = services.ingestor.run(corpus)
        dalian = len(services.store.window_ids("dalian-2023"))
        assert second.embedded == dalian and second.copied == second.windows - dalian and first.copied == 0
        assert services.vectors.ids() == services.store.window_ids()
        names = sorted(c.name for c in services.generations.client.list_collections())
        assert names == ["policy_clauses-g1", "policy_clauses-g2"]
    finally:
        services.close()


_OTHER_PROCESS = """
import sys
from pathlib import Path
from app.embeddings import FakeEmbeddings
from app.services import build_services
from app.settings import Settings
settings = Settings(data_dir=Path(sys.argv[1]), manifest=Path(sys.argv[2]), embedding={"backend": "fake"})
services = build_services(settings, embedder=FakeEmbeddings(size=64))
if sys.argv[3] == "ingest":
    report = services.ingestor.run(services.manifest())
    print(report.generation, sorted(report.updated))
else:  # check: every window of the served generation is in Chroma with its own vector
    gen = services.serving()
    ids = sorted(gen.store.window_ids())
    found, matrix = gen.vectors._fetch_stored(ids)
    texts = dict(zip(*[gen.vectors._collection.get(ids=ids, include=["documents"])[k] for k in ("ids", "documents")]))
    want = FakeEmbeddings(size=64).embed_documents([texts[w] for w in found])
    import numpy as np
    print(gen.number, len(found) == len(ids), bool(np.allclose(matrix, np.asarray(want, dtype=np.float32), atol=1e-6)))
"""


def _other_process(settings: Settings, corpus: Manifest, what: str) -> str:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _OTHER_PROCESS, str(settings.data_dir), str(corpus.path), what],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={**__import__("os").environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


def test_processes_sharing_embedded_chroma_read_and_write_each_others_generations(
    fake_settings: Settings, tokenizer: Tokenizer, corpus: Manifest
) -> None:
    """Embedded Chroma keeps a per-process view of a collection. A reader takes its vectors from the
    generation's snapshot, so it serves what another process published; a writer whose view is older
    than the serving generation reads Chroma afresh before it writes (``Generations.refresh``)."""
    settings = fake_settings.model_copy(update={"manifest": corpus.path})
    mine = _services(settings, tokenizer)
    try:
        mine.ingestor.run(corpus)
        mine.retriever.search("带徒补贴")
        assert mine.vectors.ids() == mine.store.window_ids()  # this process has the collection open
        edit_dalian(corpus)
        assert _other_process(settings, corpus, "ingest") == "2 ['dalian-2023']"
        reader = _services(settings, tokenizer)
        try:
            assert "高级技师每人2500元" in reader.retriever.clause(DALIAN_SEVENTH).text
            hits = reader.retriever.search("大连 带徒补贴 高级技师 标准", k=3, mode="dense")
            assert hits and reader.serving().number == 2
        finally:
            reader.close()
        # This process writes next: its view of the shared collection is older than generation 2.
        path = corpus.path.parent / "texts" / "xiamen-training-2025.txt"
        path.write_text(path.read_text(encoding="utf-8") + "\n十、本方案自印发之日起施行。\n", encoding="utf-8")
        report = mine.ingestor.run(corpus)
        assert report.generation == 3 and report.updated == ["xiamen-training-2025"] and not report.errors
        assert _other_process(settings, corpus, "check") == "3 True True"
    finally:
        mine.close()
