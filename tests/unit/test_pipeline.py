"""Unit tests for ingest.pipeline: incremental ingest into the clause store, Chroma and BM25.

Uses ``fake_services`` (fake embedder, embedded Chroma in tmp_path). Edits are made on a copy of
the corpus so the repository's files are never touched.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.embeddings import FakeEmbeddings
from app.services import Services, build_services
from app.settings import REPO_ROOT, Settings
from ingest.lexical import LexicalIndex
from ingest.loaders import load_text
from ingest.manifest import Manifest
from ingest.pipeline import IngestReport, default_meta, embed_context, expand_paths
from ingest.provisions import with_provisions
from ingest.schema import DocumentMeta
from ingest.segment import segment
from ingest.store import ClauseStore
from ingest.textproc import Tokenizer, index_text

CORPUS = REPO_ROOT / "corpus"
REAL_MANIFEST = Manifest.load(CORPUS / "manifest.yaml")
DOC_IDS = [d.id for d in REAL_MANIFEST.documents]


@pytest.fixture(scope="module")
def shared_tokenizer() -> Tokenizer:
    """One warmed-up jieba tokenizer for the module: loading its dictionary is the slowest step."""
    tokenizer = Tokenizer()
    tokenizer.tokenize("预热")
    return tokenizer


@pytest.fixture
def services(fake_services: Services, shared_tokenizer: Tokenizer) -> Services:
    fake_services.tokenizer = shared_tokenizer  # before the ingestor and retriever are built
    return fake_services


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A copy of corpus/ (manifest + texts); returns the copied manifest's path."""
    shutil.copytree(CORPUS, tmp_path / "corpus")
    return tmp_path / "corpus" / "manifest.yaml"


def chroma(services: Services, doc_id: str | None = None) -> dict[str, dict[str, Any]]:
    """What Chroma holds for the serving generation: window id → {document, metadata}.

    Generations share a collection (the previous one's windows stay until the next switch);
    a generation's windows are the ones its store names.
    """
    got = services.vectors._collection.get(
        where={"doc_id": doc_id} if doc_id else None, include=["documents", "metadatas"]
    )
    served = services.store.window_ids()
    return {
        wid: {"document": doc, "metadata": meta}
        for wid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        if wid in served
    }


def kept_windows(services: Services) -> set[str]:
    """Window ids the kept generations (the serving one and the one before) name."""
    out: set[str] = set()
    for folder in (services.settings.data_dir / "generations").iterdir():
        if folder.name.isdigit():
            store = ClauseStore(folder / "clauses.sqlite")
            out |= store.window_ids()
            store.close()
    return out


def plain(ids: set[str]) -> set[str]:
    """Window ids without their content hash: "<clause id>#<n>"."""
    return {w.partition("@")[0] for w in ids}


def chroma_clause_ids(services: Services, doc_id: str) -> set[str]:
    return {w["metadata"]["clause_id"] for w in chroma(services, doc_id).values()}


def expected_clause_count(manifest: Manifest) -> int:
    return sum(len(segment(load_text(manifest.source_path(d)).text, d)) for d in manifest.documents)


def ingest(services: Services, manifest: Manifest | None = None, **kw: Any) -> IngestReport:
    return services.ingestor.run(manifest if manifest is not None else REAL_MANIFEST, **kw)


# --------------------------------------------------------------------------- full ingest


def test_first_ingest_adds_every_document(services: Services) -> None:
    report = ingest(services)

    assert sorted(report.added) == sorted(DOC_IDS)
    assert report.updated == report.unchanged == report.deleted == report.errors == []
    assert report.changed and report.lexical_rebuilt
    assert report.clauses == expected_clause_count(REAL_MANIFEST) == len(services.store.clauses())
    assert report.windows == len(services.store.window_ids()) == services.vectors.count()
    assert services.vectors.ids() == services.store.window_ids()
    assert sorted(d.meta.id for d in services.store.documents()) == sorted(DOC_IDS)
    for stored in services.store.documents():
        assert stored.meta == REAL_MANIFEST.get(stored.meta.id)
        assert stored.source == str(REAL_MANIFEST.source_path(stored.meta))
    assert services.store.get_info("embedder") == "fake:64"


def test_store_holds_the_segmenter_output_verbatim(services: Services) -> None:
    ingest(services)
    for doc in REAL_MANIFEST.documents:
        expected = with_provisions(segment(load_text(REAL_MANIFEST.source_path(doc)).text, doc))
        assert services.store.clauses(doc.id) == expected


def test_windows_carry_metadata_and_point_into_the_source(services: Services) -> None:
    ingest(services)
    sources = {d.id: load_text(REAL_MANIFEST.source_path(d)).text for d in REAL_MANIFEST.documents}
    clauses = {c.clause_id: c for c in services.store.clauses()}
    windows = chroma(services)
    assert set(windows) == services.store.window_ids()
    for wid, window in windows.items():
        m = window["metadata"]
        clause = clauses[m["clause_id"]]
        doc = REAL_MANIFEST.get(m["doc_id"])
        assert wid.startswith(clause.clause_id + "#")
        assert (m["doc_id"], m["city"], m["status"], m["kind"]) == (doc.id, doc.city, doc.status, clause.kind)
        assert clause.start <= m["start"] < m["end"] <= clause.end
        assert sources[doc.id][m["start"] : m["end"]] in clause.text
    for clause in clauses.values():
        wids = sorted(
            services.store.window_ids(clause.doc_id) & {w for w in windows if w.startswith(clause.clause_id + "#")}
        )
        assert wids, clause.clause_id
        if len(wids) == 1:  # a short clause is embedded whole, with its context in front
            meta = REAL_MANIFEST.get(clause.doc_id)
            assert windows[wids[0]]["document"] == index_text(clause.text, embed_context(meta, clause))


def test_long_clauses_are_split_into_windows(services: Services) -> None:
    ingest(services)
    clause = services.store.clause("dalian-2023/二/（五）")
    assert len(clause.text) > 400
    wids = {w for w in services.store.window_ids("dalian-2023") if w.startswith(clause.clause_id + "#")}
    assert len(wids) >= 2
    assert wids <= services.vectors.ids()


def test_bm25_index_is_saved_for_the_current_generation(services: Services) -> None:
    ingest(services)
    lexical = LexicalIndex.load(services.generation.bm25_dir, services.tokenizer)
    assert lexical is not None
    assert lexical.generation == services.store.generation
    assert sorted(lexical.clause_ids) == sorted(c.clause_id for c in services.store.clauses())


def test_second_run_is_a_no_op(services: Services) -> None:
    ingest(services)
    generation, ids = services.store.generation, services.vectors.ids()
    report = ingest(services)
    assert sorted(report.unchanged) == sorted(DOC_IDS)
    assert report.added == report.updated == report.deleted == report.errors == []
    assert report.changed is False
    assert report.lexical_rebuilt is False
    assert services.store.generation == generation
    assert services.vectors.ids() == ids


def test_progress_is_reported_to_completion(services: Services) -> None:
    calls: list[tuple[str, int, int]] = []
    ingest(services, progress=lambda stage, done, total: calls.append((stage, done, total)))
    documents = [c for c in calls if c[0] == "documents"]
    assert documents[0] == ("documents", 0, 5)
    assert documents[-1] == ("documents", 5, 5)
    embedding = [c for c in calls if c[0] == "embedding"]
    assert embedding and all(done <= total for _, done, total in embedding)
    assert sum(total for _, done, total in embedding if done == total) == services.vectors.count()


def test_force_reindexes_everything(services: Services) -> None:
    ingest(services)
    ids, generation = services.vectors.ids(), services.store.generation
    report = ingest(services, force=True)
    assert report.updated == DOC_IDS
    assert report.added == report.unchanged == report.errors == []
    assert services.vectors.ids() == ids
    assert services.store.generation == generation + len(DOC_IDS)


# --------------------------------------------------------------------------- changes


def edit_dalian(manifest_path: Path) -> None:
    path = manifest_path.parent / "texts" / "dalian-2023.txt"
    text = path.read_text(encoding="utf-8")
    assert text.count("高级技师每人2000元") == 1
    text = text.replace("高级技师每人2000元", "高级技师每人2500元")
    start = text.index("(二十)营造良好氛围")
    end = text.index("\n", start)
    path.write_text(text[:start] + text[end:], encoding="utf-8")  # drop clause （二十）


def test_edited_document_is_updated_and_others_unchanged(services: Services, corpus_copy: Path) -> None:
    manifest = Manifest.load(corpus_copy)
    ingest(services, manifest)
    assert "高级技师每人2000元" in services.retriever.clause("dalian-2023/三/（七）").text

    edit_dalian(corpus_copy)
    report = ingest(services, manifest)

    assert report.updated == ["dalian-2023"]
    assert sorted(report.unchanged) == sorted(set(DOC_IDS) - {"dalian-2023"})
    assert report.added == report.deleted == report.errors == []
    seventh = services.store.clause("dalian-2023/三/（七）")
    assert "高级技师每人2500元" in seventh.text
    assert "高级技师每人2000元" not in seventh.text
    assert services.store.clause("dalian-2023/六/（二十）") is None
    assert "dalian-2023/六/（二十）" not in chroma_clause_ids(services, "dalian-2023")
    seventh_windows = [w["document"] for wid, w in chroma(services, "dalian-2023").items() if "（七）#" in wid]
    assert any("高级技师每人2500元" in doc for doc in seventh_windows)
    assert not any("高级技师每人2000元" in doc for doc in seventh_windows)
    assert services.store.window_ids() <= services.vectors.ids() == kept_windows(services)
    # The retriever notices the new generation and serves the new text.
    assert "高级技师每人2500元" in services.retriever.clause("dalian-2023/三/（七）").text


def test_document_removed_from_manifest_is_deleted(services: Services, corpus_copy: Path) -> None:
    ingest(services, Manifest.load(corpus_copy))
    nantong_windows = services.store.window_ids("nantong-draft")
    assert nantong_windows and nantong_windows <= services.vectors.ids()

    raw = yaml.safe_load(corpus_copy.read_text(encoding="utf-8"))
    raw["documents"] = [d for d in raw["documents"] if d["id"] != "nantong-draft"]
    corpus_copy.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    report = ingest(services, Manifest.load(corpus_copy))

    assert report.deleted == ["nantong-draft"]
    assert sorted(report.unchanged) == sorted(set(DOC_IDS) - {"nantong-draft"})
    assert services.store.document("nantong-draft") is None
    assert services.store.clauses("nantong-draft") == []
    assert chroma(services, "nantong-draft") == {}
    assert not nantong_windows & services.store.window_ids()
    assert nantong_windows <= services.vectors.ids()  # the previous generation's, until the next switch
    lexical = LexicalIndex.load(services.generation.bm25_dir, services.tokenizer)
    assert not [cid for cid in lexical.clause_ids if cid.startswith("nantong-draft/")]
    assert services.retriever.document("nantong-draft") is None
    assert all(r.doc.id != "nantong-draft" for r in services.retriever.search("南通 安居工程", k=10))
    edit_dalian(corpus_copy)
    ingest(services, Manifest.load(corpus_copy))  # the next switch: no kept generation has the document
    assert not nantong_windows & services.vectors.ids()
    assert services.vectors.ids() == kept_windows(services)


def test_missing_windows_are_repaired(services: Services) -> None:
    ingest(services)
    lost = sorted(services.store.window_ids("unknown-zhou-measures"))[:2]
    services.vectors.delete(lost)
    report = ingest(services)
    assert report.updated == ["unknown-zhou-measures"]
    assert set(lost) <= services.vectors.ids()
    assert services.vectors.ids() == services.store.window_ids()


def test_orphan_windows_are_removed(services: Services) -> None:
    ingest(services)
    vector = services.vectors.embeddings.embed_documents(["幽灵条款"])[0]
    meta = {"clause_id": "ghost/一", "doc_id": "ghost", "city": "未知", "status": "unknown", "kind": "clause"}
    services.vectors.upsert(["ghost/一#0"], [vector], ["幽灵条款"], [{**meta, "start": 0, "end": 4}])
    assert "ghost/一#0" in services.vectors.ids()

    report = ingest(services)
    assert sorted(report.unchanged) == sorted(DOC_IDS)
    assert "ghost/一#0" not in services.vectors.ids()
    assert services.vectors.ids() == services.store.window_ids()
    assert report.generation == 1  # removed without a new generation


def test_changing_the_embedder_resets_the_collection(fake_settings: Settings, services: Services) -> None:
    ingest(services)
    windows = services.store.window_ids()
    other = build_services(fake_settings, embedder=FakeEmbeddings(size=32))
    other.tokenizer = services.tokenizer
    try:
        report = other.ingestor.run(REAL_MANIFEST)
        assert report.updated == DOC_IDS
        assert report.errors == []
        assert other.store.get_info("embedder") == "fake:32"
        got = other.vectors._collection.get(include=["embeddings"])
        assert set(got["ids"]) == windows
        assert {len(v) for v in got["embeddings"]} == {32}
        assert other.retriever.search("带徒补贴", k=3, mode="dense")
        assert sorted(other.ingestor.run(REAL_MANIFEST).unchanged) == sorted(DOC_IDS)
    finally:
        other.close()


def test_same_id_from_another_file_is_refused(services: Services, corpus_copy: Path) -> None:
    ingest(services)
    before = services.store.clauses()
    report = ingest(services, Manifest.load(corpus_copy))
    assert sorted(Path(f).name for f, _ in report.errors) == sorted(f"{d}.txt" for d in DOC_IDS)
    for _, reason in report.errors:
        assert "already used by" in reason
    assert report.added == report.updated == []
    assert services.store.clauses() == before


def test_missing_manifest_file_is_reported(services: Services, corpus_copy: Path) -> None:
    manifest = Manifest.load(corpus_copy)
    (corpus_copy.parent / "texts" / "xiamen-tasks.txt").unlink()
    report = ingest(services, manifest)
    assert [(Path(f).name, r) for f, r in report.errors] == [("xiamen-tasks.txt", "file not found")]
    assert sorted(report.added) == sorted(set(DOC_IDS) - {"xiamen-tasks"})


# --------------------------------------------------------------------------- files named on the command line


def write_bad_files(folder: Path) -> dict[str, str]:
    """Bad files and a word their error reason must contain."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02\x03binary\x00")
    (folder / "notes.xyz").write_text("一、总则。内容。", encoding="utf-8")
    (folder / "corrupt.docx").write_bytes(b"PK\x03\x04 this is not a zip archive")
    return {"empty.txt": "empty", "binary.txt": "binary", "notes.xyz": "unsupported", "corrupt.docx": "corrupt"}


GOOD_TEXT = "一、总则。本办法适用于全市高技能人才。\n二、补贴。对取得技师证书的给予2000元补贴。\n"


def test_bad_files_are_reported_and_good_ones_ingested(services: Services, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    bad = write_bad_files(folder)
    (folder / "good.txt").write_text(GOOD_TEXT, encoding="utf-8")
    paths = [folder / name for name in bad] + [folder / "good.txt"]

    report = services.ingestor.run(None, paths)

    errors = {Path(f).name: reason for f, reason in report.errors}
    assert set(errors) == set(bad)
    for name, word in bad.items():
        assert word in errors[name].lower(), errors[name]
    assert report.added == ["good"]
    assert [d.meta.id for d in services.store.documents()] == ["good"]
    assert [c.clause_id for c in services.store.clauses()] == ["good/一", "good/二"]
    assert plain(services.vectors.ids()) == {"good/一#0", "good/二#0"}
    assert {w["metadata"]["doc_id"] for w in chroma(services).values()} == {"good"}


def test_missing_path_is_reported(services: Services, tmp_path: Path) -> None:
    report = services.ingestor.run(None, [tmp_path / "nonexistent.txt"])
    assert report.errors == [(str(tmp_path / "nonexistent.txt"), "file not found")]
    assert services.store.documents() == []


def test_file_in_the_manifest_keeps_its_manifest_metadata(services: Services) -> None:
    dalian = REAL_MANIFEST.get("dalian-2023")
    report = services.ingestor.run(REAL_MANIFEST, [REAL_MANIFEST.source_path(dalian)])
    assert report.added == ["dalian-2023"]
    assert services.store.document("dalian-2023").meta == dalian


def test_file_outside_the_manifest_gets_default_metadata(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "Skill Policy.txt"
    path.write_text(GOOD_TEXT, encoding="utf-8")
    report = services.ingestor.run(REAL_MANIFEST, [path])
    assert report.added == ["skill-policy"]
    stored = services.store.document("skill-policy")
    assert (stored.meta.title, stored.meta.status, stored.meta.city) == ("Skill Policy", "unknown", "未知")
    assert stored.source == str(path.resolve())


def test_paths_run_deletes_documents_whose_file_is_gone(services: Services, tmp_path: Path) -> None:
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text(GOOD_TEXT, encoding="utf-8")
    second.write_text(GOOD_TEXT.replace("2000", "3000"), encoding="utf-8")
    services.ingestor.run(None, [first, second])
    first.unlink()

    report = services.ingestor.run(None, [second])
    assert report.deleted == ["first"]
    assert report.unchanged == ["second"]
    assert [d.meta.id for d in services.store.documents()] == ["second"]
    assert plain(services.store.window_ids()) == {"second/一#0", "second/二#0"}
    assert services.vectors.ids() == kept_windows(services)


def test_two_files_with_the_same_stem_in_one_batch(services: Services, tmp_path: Path) -> None:
    for sub, amount in (("a", "2000"), ("b", "3000")):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "policy.txt").write_text(GOOD_TEXT.replace("2000", amount), encoding="utf-8")
    report = services.ingestor.run(None, [tmp_path / "a" / "policy.txt", tmp_path / "b" / "policy.txt"])
    stored_sources = {d.source for d in services.store.documents()}
    error_files = {f for f, _ in report.errors}
    for sub in ("a", "b"):
        path = str((tmp_path / sub / "policy.txt").resolve())
        assert path in stored_sources or path in error_files
    assert len(report.added) == len(services.store.documents())


def test_document_with_an_attachment_is_ingested(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "notice.txt"
    path.write_text(GOOD_TEXT + "附件\n一、申报条件。年满18周岁。\n二、申报材料。身份证明。\n", encoding="utf-8")
    report = services.ingestor.run(None, [path])
    assert report.errors == []
    assert report.added == ["notice"]
    ids = [c.clause_id for c in services.store.clauses()]
    assert len(ids) == len(set(ids)) and any(i.endswith("/一~2") for i in ids)


def test_expand_paths(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    for name in ["a.txt", "b/c.md", "b/d.docx", "b/E.PDF", "f.html", ".hidden.txt", "g.xyz", "b/h.json"]:
        (tmp_path / name).write_text("x", encoding="utf-8")
    missing = tmp_path / "missing.txt"
    odd = tmp_path / "g.xyz"
    got = expand_paths([tmp_path, missing, odd])
    assert got == [
        tmp_path / "a.txt",
        tmp_path / "b" / "E.PDF",
        tmp_path / "b" / "c.md",
        tmp_path / "b" / "d.docx",
        tmp_path / "f.html",
        missing,  # named files pass through; the loader reports them
        odd,
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("dalian-2023.txt", "dalian-2023"),
        ("My Policy_2024.TXT", "my-policy-2024"),
        ("  Xiamen--Tasks  .docx", "xiamen-tasks"),
        ("2024年政策.txt", "2024-nian-zhengce"),
        ("高技能人才政策.txt", "gaojineng-rencai-zhengce"),
        ("大连补贴.txt", "dalian-butie"),
        ("臺灣證照.docx", "taiwan-zhengzhao"),
        ("—.txt", None),
    ],
)
def test_default_meta_ids(tmp_path: Path, name: str, expected: str | None) -> None:
    meta = default_meta(tmp_path / name)
    if expected is None:
        assert re.fullmatch(r"doc-[0-9a-f]{8}", meta.id), meta.id
    else:
        assert meta.id == expected
    assert meta.title == (tmp_path / name).stem
    assert meta.status == "unknown"
    assert meta.city == "未知"
    assert isinstance(meta, DocumentMeta)


def test_default_meta_for_chinese_names_is_stable_and_distinct(tmp_path: Path) -> None:
    a1, a2 = default_meta(tmp_path / "甲政策.txt"), default_meta(tmp_path / "甲政策.txt")
    b = default_meta(tmp_path / "乙政策.txt")
    assert a1.id == a2.id
    assert a1.id != b.id


@pytest.mark.parametrize(
    ("doc_id", "expected"),
    [
        (
            "dalian-2023",
            "大连 大连高技能人才队伍建设实施方案 三、完善技能导向的使用制度 （七）健全高技能人才岗位使用机制",
        ),
        ("unknown-zhou-measures", "某州高技能人才十九条措施（来源不详） 一、建立高技能人才库"),
    ],
)
def test_embed_context(doc_id: str, expected: str) -> None:
    label = {"dalian-2023": "dalian-2023/三/（七）", "unknown-zhou-measures": "unknown-zhou-measures/一"}[doc_id]
    doc = REAL_MANIFEST.get(doc_id)
    clause = next(c for c in segment(load_text(REAL_MANIFEST.source_path(doc)).text, doc) if c.clause_id == label)
    assert embed_context(doc, clause) == expected


def test_embed_context_marks_drafts_once() -> None:
    doc = REAL_MANIFEST.get("nantong-draft")
    clause = segment("一、总则。内容。", doc)[0]
    assert embed_context(doc, clause).count("征求意见稿") == 1
    plain = doc.model_copy(update={"short_title": "南通实施方案", "title": "南通实施方案"})
    assert embed_context(plain, clause) == "南通 南通实施方案 征求意见稿 一、总则"


# --------------------------------------------------------------------------- the collector during an update


def test_gc_is_paused_while_a_generation_is_written_and_restored_after(services: Services) -> None:
    import gc

    from ingest import pipeline

    seen: list[bool] = []
    real_update = services.ingestor._update

    def spying(*args: Any, **kwargs: Any) -> IngestReport:
        seen.append(gc.isenabled())
        return real_update(*args, **kwargs)

    services.ingestor._update = spying  # type: ignore[method-assign]
    assert gc.isenabled()
    ingest(services)
    assert seen == [False]
    assert gc.isenabled()

    # A failing update restores it too.
    def failing(*args: Any, **kwargs: Any) -> IngestReport:
        raise RuntimeError("disk full")

    services.ingestor._update = failing  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        ingest(services)
    assert gc.isenabled()
    assert pipeline._gc_pauses == 0


def test_gc_pause_nests_and_keeps_a_disabled_collector_disabled() -> None:
    import gc

    from ingest.pipeline import cyclic_gc_paused

    with cyclic_gc_paused():
        with cyclic_gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled()
    gc.disable()
    try:
        with cyclic_gc_paused():
            pass
        assert not gc.isenabled()  # it was off before: stays off
    finally:
        gc.enable()
