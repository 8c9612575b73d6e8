"""Unit tests for ingest.store (SQLite clause store) and ingest.lexical (BM25 index)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import bm25s
import pytest

from ingest.lexical import LexicalHit, LexicalIndex
from ingest.schema import Clause, DocumentMeta
from ingest.store import ClauseStore
from ingest.textproc import Tokenizer


def meta(doc_id: str, **kw: str) -> DocumentMeta:
    return DocumentMeta(id=doc_id, title=kw.pop("title", f"{doc_id} 标题"), source=f"{doc_id}.txt", **kw)


def clause(doc_id: str, label: str, order: int, text: str = "") -> Clause:
    text = text or f"{label}、条款内容。"
    return Clause(
        clause_id=f"{doc_id}/{label}",
        doc_id=doc_id,
        kind="clause",
        path=(label,),
        heading_path=(f"{label}、标题",),
        title="标题",
        text=text,
        start=order * 100,
        end=order * 100 + len(text),
        order=order,
    )


def windows_for(clauses: list[Clause], n: int = 1) -> dict[str, list[str]]:
    return {c.clause_id: [f"{c.clause_id}#{i}" for i in range(n)] for c in clauses}


@pytest.fixture
def store(tmp_path: Path) -> ClauseStore:
    s = ClauseStore(tmp_path / "db" / "clauses.sqlite")
    yield s
    s.close()


# --------------------------------------------------------------------------- clause store


def test_new_store_is_empty(store: ClauseStore) -> None:
    assert store.documents() == []
    assert store.clauses() == []
    assert store.window_ids() == set()
    assert store.generation == 0
    assert store.document("x") is None
    assert store.clause("x/一") is None
    assert store.path.is_file()


def test_replace_document_stores_meta_clauses_and_windows(store: ClauseStore) -> None:
    m = meta("alpha", city="大连", status="in_force", number="大政办发〔2023〕34号")
    cs = [clause("alpha", "一", 0, "一、总则。内容。"), clause("alpha", "二", 1)]
    store.replace_document(m, "/src/alpha.txt", "fp1", cs, windows_for(cs, 2))

    (doc,) = store.documents()
    assert doc.meta == m
    assert doc.source == "/src/alpha.txt"
    assert doc.fingerprint == "fp1"
    assert doc.ingested_at
    assert store.document("alpha") == doc
    assert store.clauses() == cs
    assert store.clauses("alpha") == cs
    assert store.clause("alpha/一") == cs[0]
    assert store.clause("alpha/一").text == "一、总则。内容。"
    assert store.window_ids("alpha") == {"alpha/一#0", "alpha/一#1", "alpha/二#0", "alpha/二#1"}
    assert store.generation == 1


def test_clause_without_windows_has_none(store: ClauseStore) -> None:
    cs = [clause("alpha", "一", 0), clause("alpha", "二", 1)]
    store.replace_document(meta("alpha"), "a", "fp", cs, {"alpha/一": ["alpha/一#0"]})
    assert store.window_ids("alpha") == {"alpha/一#0"}
    assert store.clauses("alpha") == cs


def test_replace_swaps_the_whole_document(store: ClauseStore) -> None:
    old = [clause("alpha", "一", 0), clause("alpha", "二", 1), clause("alpha", "三", 2)]
    store.replace_document(meta("alpha"), "a", "fp1", old, windows_for(old))
    new = [clause("alpha", "一", 0, "一、改过的内容。"), clause("alpha", "四", 1)]
    store.replace_document(meta("alpha", title="新标题"), "a", "fp2", new, windows_for(new))

    assert store.clauses("alpha") == new
    assert store.clause("alpha/二") is None
    assert store.clause("alpha/一").text == "一、改过的内容。"
    assert store.window_ids("alpha") == {"alpha/一#0", "alpha/四#0"}
    assert store.document("alpha").fingerprint == "fp2"
    assert store.document("alpha").meta.title == "新标题"
    assert len(store.documents()) == 1
    assert store.generation == 2


def test_clauses_are_ordered_by_document_then_order(store: ClauseStore) -> None:
    beta = [clause("beta", "三", 2), clause("beta", "一", 0), clause("beta", "二", 1)]
    alpha = [clause("alpha", "二", 1), clause("alpha", "一", 0)]
    store.replace_document(meta("beta"), "b", "fp", beta, windows_for(beta))
    store.replace_document(meta("alpha"), "a", "fp", alpha, windows_for(alpha))

    assert [c.clause_id for c in store.clauses()] == ["alpha/一", "alpha/二", "beta/一", "beta/二", "beta/三"]
    assert [c.clause_id for c in store.clauses("beta")] == ["beta/一", "beta/二", "beta/三"]
    assert [d.meta.id for d in store.documents()] == ["alpha", "beta"]
    assert store.window_ids() == {f"{c.clause_id}#0" for c in alpha + beta}


def test_delete_document_removes_only_that_document(store: ClauseStore) -> None:
    a, b = [clause("alpha", "一", 0)], [clause("beta", "一", 0)]
    store.replace_document(meta("alpha"), "a", "fp", a, windows_for(a))
    store.replace_document(meta("beta"), "b", "fp", b, windows_for(b))
    store.delete_document("alpha")

    assert store.document("alpha") is None
    assert store.clauses("alpha") == []
    assert store.window_ids("alpha") == set()
    assert store.clauses() == b
    assert store.window_ids() == {"beta/一#0"}
    assert store.generation == 3


def test_generation_bumps_on_every_change(store: ClauseStore) -> None:
    cs = [clause("alpha", "一", 0)]
    seen = [store.generation]
    store.replace_document(meta("alpha"), "a", "fp", cs, windows_for(cs))
    seen.append(store.generation)
    store.replace_document(meta("alpha"), "a", "fp", cs, windows_for(cs))
    seen.append(store.generation)
    store.delete_document("alpha")
    seen.append(store.generation)
    store.clear()
    seen.append(store.generation)
    assert seen == [0, 1, 2, 3, 4]


def test_clear_empties_the_store(store: ClauseStore) -> None:
    cs = [clause("alpha", "一", 0)]
    store.replace_document(meta("alpha"), "a", "fp", cs, windows_for(cs))
    store.clear()
    assert store.documents() == []
    assert store.clauses() == []
    assert store.window_ids() == set()


def test_failed_replace_leaves_the_previous_version_intact(store: ClauseStore) -> None:
    good = [clause("alpha", "一", 0, "一、旧内容。"), clause("alpha", "二", 1)]
    store.replace_document(meta("alpha"), "a", "fp-old", good, windows_for(good))
    generation = store.generation

    dupes = [clause("alpha", "一", 0, "一、新内容。"), clause("alpha", "一", 1, "一、重复。")]
    with pytest.raises(sqlite3.IntegrityError):
        store.replace_document(meta("alpha", title="新"), "a", "fp-new", dupes, windows_for(dupes))

    assert store.clauses("alpha") == good
    assert store.document("alpha").fingerprint == "fp-old"
    assert store.document("alpha").meta.title == "alpha 标题"
    assert store.window_ids("alpha") == {"alpha/一#0", "alpha/二#0"}
    assert store.generation == generation
    # No transaction is left open: the store still accepts writes.
    other = [clause("beta", "一", 0)]
    store.replace_document(meta("beta"), "b", "fp", other, windows_for(other))
    assert store.clauses("beta") == other


def test_store_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "clauses.sqlite"
    first = ClauseStore(path)
    cs = [clause("alpha", "一", 0)]
    first.replace_document(meta("alpha"), "a", "fp", cs, windows_for(cs))
    first.set_info("embedder", "fake:64")
    first.close()

    second = ClauseStore(path)
    try:
        assert second.clauses() == cs
        assert second.generation == 1
        assert second.get_info("embedder") == "fake:64"
        assert second.window_ids() == {"alpha/一#0"}
    finally:
        second.close()


def test_info_values(store: ClauseStore) -> None:
    assert store.get_info("embedder") is None
    store.set_info("embedder", "fake:64")
    store.set_info("embedder", "fake:32")
    assert store.get_info("embedder") == "fake:32"
    assert store.generation == 0  # info is not content


# --------------------------------------------------------------------------- lexical index

ITEMS = [
    ("dalian/七", "大连 对认定的高技能人才给予津贴 领办人享受带徒补贴 高级技师每人2000元"),
    ("dalian/九", "大连 对新引进的高技能人才给予安家费 每人每月4000元薪酬补贴"),
    ("xiamen/学徒", "厦门 企业新型学徒制 中职3000元 高职4000元 给予企业补贴"),
    ("nantong/十八", "南通 技能人才安居工程 人才公寓 租金补贴"),
    ("zhou/一", "建立高技能人才库 收集高技能人才信息"),
]


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer()


@pytest.fixture(scope="module")
def index(tokenizer: Tokenizer) -> LexicalIndex:
    return LexicalIndex.build(ITEMS, generation=7, tokenizer=tokenizer)


def test_search_ranks_the_matching_clause_first(index: LexicalIndex) -> None:
    hits = index.search(index.query_tokens("安家费"), 5)
    assert [h.clause_id for h in hits] == ["dalian/九"]
    hits = index.search(index.query_tokens("带徒补贴 高级技师"), 5)
    assert hits[0].clause_id == "dalian/七"
    assert all(isinstance(h, LexicalHit) and h.score > 0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_search_respects_n(index: LexicalIndex) -> None:
    tokens = index.query_tokens("补贴")
    assert len(index.search(tokens, 10)) == 4
    assert len(index.search(tokens, 2)) == 2
    assert index.search(tokens, 2) == index.search(tokens, 10)[:2]


def test_unknown_query_tokens_give_no_hits(index: LexicalIndex) -> None:
    assert index.query_tokens("量子计算机") == []
    assert index.search(["量子", "计算机"], 5) == []
    assert index.scores(["不存在的词"]) == {}
    assert index.search([], 5) == []


def test_query_tokens_keep_only_indexed_words(index: LexicalIndex) -> None:
    tokens = index.query_tokens("请问南通安居工程和量子计算机")
    assert "南通" in tokens
    assert "量子" not in tokens
    assert "请问" not in tokens


def test_allowed_filter(index: LexicalIndex) -> None:
    tokens = index.query_tokens("补贴")
    hits = index.search(tokens, 10, allowed={"xiamen/学徒", "zhou/一"})
    assert [h.clause_id for h in hits] == ["xiamen/学徒"]
    assert index.search(tokens, 10, allowed=set()) == []
    unfiltered = {h.clause_id: h.score for h in index.search(tokens, 10)}
    assert hits[0].score == unfiltered["xiamen/学徒"]  # filtering does not change scores


def test_ties_are_broken_by_index_order(tokenizer: Tokenizer) -> None:
    same = LexicalIndex.build([("b", "安家费"), ("a", "安家费"), ("c", "安家费")], 1, tokenizer)
    assert [h.clause_id for h in same.search(["安家费"], 3)] == ["b", "a", "c"]


def test_save_and_load_round_trip(tmp_path: Path, index: LexicalIndex, tokenizer: Tokenizer) -> None:
    index.save(tmp_path / "bm25")
    loaded = LexicalIndex.load(tmp_path / "bm25", tokenizer)
    assert loaded is not None
    assert loaded.clause_ids == index.clause_ids
    assert loaded.generation == 7
    for query in ["安家费", "补贴", "带徒补贴 高级技师", "南通 人才公寓", "高技能人才"]:
        tokens = index.query_tokens(query)
        assert tokens
        assert loaded.query_tokens(query) == tokens
        assert loaded.scores(tokens) == pytest.approx(index.scores(tokens))
        assert loaded.search(tokens, 5) == index.search(tokens, 5)


def test_save_replaces_the_previous_index_and_leaves_no_temporary_folders(
    tmp_path: Path, index: LexicalIndex, tokenizer: Tokenizer
) -> None:
    target = tmp_path / "data" / "bm25"
    index.save(target)
    newer = LexicalIndex.build(ITEMS[:2], generation=8, tokenizer=tokenizer)
    newer.save(target)

    assert sorted(p.name for p in target.parent.iterdir()) == ["bm25"]
    loaded = LexicalIndex.load(target, tokenizer)
    assert loaded.generation == 8
    assert loaded.clause_ids == ["dalian/七", "dalian/九"]
    assert loaded.search(loaded.query_tokens("安居工程"), 5) == []


def test_failed_save_keeps_the_old_index_and_cleans_up(
    tmp_path: Path, index: LexicalIndex, tokenizer: Tokenizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "bm25"
    index.save(target)

    def broken_save(self: bm25s.BM25, *args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(bm25s.BM25, "save", broken_save)
    newer = LexicalIndex.build(ITEMS[:1], generation=8, tokenizer=tokenizer)
    with pytest.raises(OSError, match="disk full"):
        newer.save(target)

    assert sorted(p.name for p in tmp_path.iterdir()) == ["bm25"]
    loaded = LexicalIndex.load(target, tokenizer)
    assert loaded.generation == 7
    assert loaded.clause_ids == index.clause_ids


def test_save_recovers_from_a_leftover_old_folder(tmp_path: Path, index: LexicalIndex, tokenizer: Tokenizer) -> None:
    target = tmp_path / "bm25"
    index.save(target)
    leftover = tmp_path / "bm25.old"
    leftover.mkdir()
    (leftover / "clause_ids.json").write_text("{}", encoding="utf-8")

    LexicalIndex.build(ITEMS[:1], generation=8, tokenizer=tokenizer).save(target)
    assert LexicalIndex.load(target, tokenizer).generation == 8


def test_empty_index(tmp_path: Path, tokenizer: Tokenizer) -> None:
    empty = LexicalIndex.build([], generation=3, tokenizer=tokenizer)
    assert empty.clause_ids == []
    assert empty.search(["补贴"], 5) == []
    assert empty.query_tokens("补贴") == []
    empty.save(tmp_path / "bm25")
    loaded = LexicalIndex.load(tmp_path / "bm25", tokenizer)
    assert loaded is not None
    assert loaded.clause_ids == []
    assert loaded.generation == 3
    assert loaded.search(["补贴"], 5) == []


def test_clause_with_no_tokens_is_still_indexed(tokenizer: Tokenizer) -> None:
    idx = LexicalIndex.build([("a", "。。。"), ("b", "安家费")], 1, tokenizer)
    assert idx.clause_ids == ["a", "b"]
    assert [h.clause_id for h in idx.search(["安家费"], 5)] == ["b"]


def test_load_of_a_missing_index_is_none(tmp_path: Path, tokenizer: Tokenizer) -> None:
    assert LexicalIndex.load(tmp_path / "nothing", tokenizer) is None
