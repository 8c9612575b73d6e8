"""ingest.lexical: partial top-k selection, and the incremental rebuild with its token cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest import lexical
from ingest.lexical import LexicalIndex, TokenCache, content_key, top_indices
from ingest.textproc import Tokenizer, index_text

CLAUSES = [
    ("dalian/七", "对认定的高技能人才给予津贴，领办人享受带徒补贴，高级技师每人2000元。", ("大连 人才政策 三、",)),
    ("dalian/九", "对新引进的高技能人才給予安家費，每人每月4000元薪酬補貼。", ("大连 人才政策 三、",)),
    ("xiamen/学徒", "企业新型学徒制：中职3000元、高职4000元，给予企业补贴。", ("厦门 培训方案",)),
    ("nantong/十八", "技能人才安居工程，人才公寓，租金补贴。", ("南通 征求意见稿",)),
    ("zhou/一", "建立高技能人才库，收集高技能人才信息。", ()),
    ("zhou/二", "。。。", ()),
]
QUERIES = ["安家费", "补贴", "带徒补贴 高级技师", "南通 人才公寓", "高技能人才", "大连", "厦门 学徒 中职"]


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer()


# --------------------------------------------------------------------------- top-k


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, float("-inf")]), max_size=60),
    st.integers(min_value=0, max_value=70),
)
def test_top_indices_equals_a_full_sort_by_score_then_index(values: list[float], n: int) -> None:
    scores = np.asarray(values, dtype=np.float64)
    full = sorted((i for i, v in enumerate(values) if np.isfinite(v)), key=lambda i: (-values[i], i))[:n]
    assert top_indices(scores, n).tolist() == full


def test_top_indices_among_candidates() -> None:
    scores = np.asarray([5.0, 1.0, 5.0, 3.0, 5.0])
    assert top_indices(scores, 2, np.asarray([1, 2, 3, 4])).tolist() == [2, 4]
    assert top_indices(scores, 5, np.asarray([], dtype=np.int64)).tolist() == []


# --------------------------------------------------------------------------- incremental rebuild


def full_build(tokenizer: Tokenizer, clauses: list[tuple[str, str, tuple[str, ...]]]) -> LexicalIndex:
    return LexicalIndex.build([(cid, index_text(text, *ctx)) for cid, text, ctx in clauses], 1, tokenizer)


def test_incremental_build_scores_exactly_like_a_full_build(tokenizer: Tokenizer, tmp_path: Path) -> None:
    full = full_build(tokenizer, CLAUSES)
    fresh = LexicalIndex.build_incremental(CLAUSES, 1, tokenizer, tmp_path / "none")
    fresh.save(tmp_path / "bm25")
    reused = LexicalIndex.build_incremental(CLAUSES, 2, tokenizer, tmp_path / "bm25")
    assert reused.cache is not None and reused.cache.misses == 0 and reused.cache.hits == len(CLAUSES)
    for index in (fresh, reused, LexicalIndex.load(tmp_path / "bm25", tokenizer)):
        assert index is not None and index.clause_ids == full.clause_ids
        for q in QUERIES:
            tokens = full.query_tokens(q)
            assert index.query_tokens(q) == tokens
            assert index.scores(tokens) == pytest.approx(full.scores(tokens))
            assert index.search(tokens, 3) == full.search(tokens, 3)


def test_changing_one_clause_tokenises_only_that_clause(
    tokenizer: Tokenizer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    LexicalIndex.build_incremental(CLAUSES, 1, tokenizer, None).save(tmp_path / "bm25")
    edited = [
        *CLAUSES[:2],
        ("xiamen/学徒", "企业新型学徒制：中职5000元，给予企业补贴。", ("厦门 培训方案",)),
        *CLAUSES[3:],
    ]
    converted: list[str] = []
    real = lexical.index_text
    monkeypatch.setattr(lexical, "index_text", lambda text, *ctx: converted.append(text) or real(text, *ctx))
    index = LexicalIndex.build_incremental(edited, 2, tokenizer, tmp_path / "bm25")
    assert converted == ["企业新型学徒制：中职5000元，给予企业补贴。"]
    assert index.cache is not None and (index.cache.hits, index.cache.misses) == (len(CLAUSES) - 1, 1)
    expected = full_build(tokenizer, edited)
    for q in [*QUERIES, "5000元"]:
        tokens = expected.query_tokens(q)
        assert index.scores(tokens) == pytest.approx(expected.scores(tokens))


def test_removed_clauses_leave_the_cache_and_their_words_the_vocabulary(tokenizer: Tokenizer, tmp_path: Path) -> None:
    LexicalIndex.build_incremental(CLAUSES, 1, tokenizer, None).save(tmp_path / "bm25")
    without_nantong = [c for c in CLAUSES if not c[0].startswith("nantong")]
    index = LexicalIndex.build_incremental(without_nantong, 2, tokenizer, tmp_path / "bm25")
    assert "公寓" not in index.query_tokens("人才公寓 租金")  # only that clause had the word
    index.save(tmp_path / "bm25")
    cache = TokenCache.load(tmp_path / "bm25" / "tokens.npz", tokenizer.signature)
    assert len(cache) == len(without_nantong)


def test_context_is_part_of_the_content(tokenizer: Tokenizer, tmp_path: Path) -> None:
    assert content_key("补贴", ("大连",)) != content_key("补贴", ("厦门",))
    assert content_key("大连补贴", ()) != content_key("补贴", ("大连",))
    LexicalIndex.build_incremental(CLAUSES, 1, tokenizer, None).save(tmp_path / "bm25")
    moved = [(cid, text, ("上海 新文件",)) if cid == "zhou/一" else (cid, text, ctx) for cid, text, ctx in CLAUSES]
    index = LexicalIndex.build_incremental(moved, 2, tokenizer, tmp_path / "bm25")
    assert index.cache is not None and index.cache.misses == 1
    assert [h.clause_id for h in index.search(index.query_tokens("上海"), 5)] == ["zhou/一"]


def test_a_cache_from_another_tokenizer_is_not_used(tokenizer: Tokenizer, tmp_path: Path) -> None:
    LexicalIndex.build_incremental(CLAUSES, 1, tokenizer, None).save(tmp_path / "bm25")
    other = Tokenizer(stopwords={"补贴"})
    assert other.signature != tokenizer.signature
    index = LexicalIndex.build_incremental(CLAUSES, 2, other, tmp_path / "bm25")
    assert index.cache is not None and index.cache.hits == 0
    assert index.query_tokens("补贴") == []


def test_a_damaged_cache_file_is_ignored(tokenizer: Tokenizer, tmp_path: Path) -> None:
    LexicalIndex.build_incremental(CLAUSES, 1, tokenizer, None).save(tmp_path / "bm25")
    (tmp_path / "bm25" / "tokens.npz").write_bytes(b"not a zip")
    index = LexicalIndex.build_incremental(CLAUSES, 2, tokenizer, tmp_path / "bm25")
    assert index.cache is not None and index.cache.misses == len(CLAUSES)
    assert index.search(index.query_tokens("安家费"), 1)[0].clause_id == "dalian/九"


def test_empty_incremental_build(tokenizer: Tokenizer, tmp_path: Path) -> None:
    index = LexicalIndex.build_incremental([], 4, tokenizer, tmp_path / "none")
    assert index.clause_ids == [] and index.search(["补贴"], 5) == []
    index.save(tmp_path / "bm25")
    assert LexicalIndex.load(tmp_path / "bm25", tokenizer).generation == 4  # type: ignore[union-attr]


def test_tokenizer_signature_follows_added_words() -> None:
    t = Tokenizer()
    before = t.signature
    assert t.signature == before
    t.add_word("新词汇甲")
    assert t.signature != before


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=30), min_size=1, max_size=60),
    st.integers(min_value=41, max_value=60),
)
def test_bm25_from_counts_is_bm25s_bit_for_bit(docs: list[list[int]], n_vocab: int) -> None:
    import bm25s

    vocab = {f"t{i}": i for i in range(n_vocab)}  # some tokens in no document
    reference = bm25s.BM25(k1=1.2, b=0.75)
    reference.index((docs, dict(vocab)), show_progress=False)
    counted = [lexical.counts_of(np.asarray(d)) for d in docs]
    ours = lexical.bm25_from_counts(
        np.repeat(np.arange(len(docs), dtype=np.int32), [len(i) for i, _ in counted]),
        np.concatenate([i for i, _ in counted]),
        np.concatenate([c for _, c in counted]),
        np.asarray([len(d) for d in docs]),
        vocab,
    )
    for key in ("data", "indices", "indptr"):
        assert ours.scores[key].dtype == reference.scores[key].dtype
        np.testing.assert_array_equal(ours.scores[key], reference.scores[key])
    assert ours.scores["num_docs"] == reference.scores["num_docs"]
    assert ours.vocab_dict == reference.vocab_dict
    tokens = ["t1", "t3", "t7"]
    np.testing.assert_array_equal(ours.get_scores(tokens), reference.get_scores(tokens))


def test_unchanged_rows_by_their_keys_score_like_a_full_build(
    tokenizer: Tokenizer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An update names unchanged rows by the keys the previous index saved; only the edited clause is read."""
    LexicalIndex.build_incremental(CLAUSES, 1, tokenizer, None).save(tmp_path / "bm25")
    rows = LexicalIndex.row_keys(tmp_path / "bm25")
    assert rows is not None and list(rows) == [cid for cid, _, _ in CLAUSES]
    edited = ("xiamen/学徒", "企业新型学徒制：中职5000元，给予企业补贴。", ("厦门 培训方案",))
    items = [edited if cid == edited[0] else (cid, rows[cid]) for cid, _, _ in CLAUSES]
    converted: list[str] = []
    real = lexical.index_text
    monkeypatch.setattr(lexical, "index_text", lambda text, *ctx: converted.append(text) or real(text, *ctx))
    index = LexicalIndex.build_incremental(items, 2, tokenizer, tmp_path / "bm25")
    assert converted == [edited[1]]
    expected = full_build(tokenizer, [edited if c[0] == edited[0] else c for c in CLAUSES])
    assert index.clause_ids == expected.clause_ids
    for q in [*QUERIES, "5000元", "3000元"]:
        tokens = expected.query_tokens(q)
        assert index.query_tokens(q) == tokens
        assert index.scores(tokens) == expected.scores(tokens)  # bit for bit
    with pytest.raises(KeyError):
        LexicalIndex.build_incremental([("new/一", b"\0" * 16)], 3, tokenizer, tmp_path / "bm25")


def test_keys_ending_in_zero_bytes_survive_a_save() -> None:
    keys = [b"a" * 15 + b"\0", b"\0" * 16, b"b" * 16]
    assert lexical._split_keys(np.frombuffer(b"".join(keys), dtype="S16")) == keys


# --------------------------------------------------------------------------- the flat token cache


def _entry(*ids: int) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(ids, dtype=np.int32), np.arange(1, len(ids) + 1, dtype=np.int32)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 9), min_size=1, max_size=5, unique=True), min_size=1, max_size=12),
    st.data(),
)
def test_cache_gathers_and_keeps_like_a_dict_of_rows(rows: list[list[int]], data: st.DataObject) -> None:
    """Whatever is put, saved and loaded, gathered and kept, the flat cache answers as a plain dict would."""
    import tempfile

    cache = TokenCache("sig")
    cache.vocab = [str(i) for i in range(10)]
    expected: dict[bytes, tuple[list[int], list[int]]] = {}
    keys = [bytes([i]) * 16 for i in range(len(rows))]
    half = len(rows) // 2
    for key, ids in zip(keys[:half], rows[:half], strict=True):
        cache.put(key, _entry(*ids))
        expected[key] = (ids, list(range(1, len(ids) + 1)))
    with tempfile.TemporaryDirectory() as d:
        cache.save(Path(d) / "t.npz")
        cache = TokenCache.load(Path(d) / "t.npz", "sig")
    assert len(cache) == half
    for key, ids in zip(keys[half:], rows[half:], strict=True):  # new ones on top of the loaded rows
        cache.put(key, _entry(*ids))
        expected[key] = (ids, list(range(1, len(ids) + 1)))
    order = data.draw(st.lists(st.sampled_from(keys), max_size=20))  # repeats allowed
    got_ids, got_counts, sizes = cache.gather(order)
    assert got_ids.tolist() == [i for k in order for i in expected[k][0]]
    assert got_counts.tolist() == [c for k in order for c in expected[k][1]]
    assert sizes.tolist() == [len(expected[k][0]) for k in order]
    cache.keep_only(order)
    assert len(cache) == len(set(order))
    for key in keys:
        entry = cache.get(key)
        if key in order:
            assert entry is not None and entry[0].tolist() == expected[key][0]
        else:
            assert entry is None


def test_cache_misses_unknown_keys_and_keeps_the_first_copy() -> None:
    cache = TokenCache("sig")
    cache.put(b"k" * 16, _entry(1, 2))
    cache.keep_only([b"k" * 16])  # now a stored row
    cache.put(b"k" * 16, _entry(7))  # the same content again: the stored row stands
    assert cache.get(b"k" * 16)[0].tolist() == [1, 2]  # type: ignore[index]
    assert cache.lookup(b"x" * 16) is False and cache.misses == 1 and cache.hits == 1
    with pytest.raises(KeyError):
        cache.gather([b"x" * 16])


def test_an_inconsistent_cache_file_is_ignored(tmp_path: Path) -> None:
    cache = TokenCache("sig")
    cache.vocab = ["a", "b"]
    cache.put(b"k" * 16, _entry(0, 1))
    cache.save(tmp_path / "t.npz")
    assert len(TokenCache.load(tmp_path / "t.npz", "sig")) == 1
    with np.load(tmp_path / "t.npz") as data:
        parts = dict(data)
    parts["offsets"] = np.asarray([0, 5], dtype=np.int64)  # says five ids, holds two
    np.savez(tmp_path / "bad.npz", **parts)
    assert len(TokenCache.load(tmp_path / "bad.npz", "sig")) == 0
    parts["offsets"] = np.asarray([0, 2], dtype=np.int64)
    parts["ids"] = np.asarray([0, 9], dtype=np.int32)  # a token id beyond the vocabulary
    np.savez(tmp_path / "bad2.npz", **parts)
    assert len(TokenCache.load(tmp_path / "bad2.npz", "sig")) == 0
