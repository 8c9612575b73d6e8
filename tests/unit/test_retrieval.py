"""Unit tests for app.retrieval: hybrid search over the ingested corpus with the fake embedder.

Most tests share one ingested index (module scope, built like ``fake_services``); tests that
need an empty or stale index use ``fake_services`` itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.retrieval import Filters, HybridRetriever, IndexNotReady, SearchResult
from app.services import Services
from app.settings import REPO_ROOT
from ingest.loaders import load_text
from ingest.manifest import Manifest

MANIFEST = Manifest.load(REPO_ROOT / "corpus" / "manifest.yaml")
SOURCES = {d.id: load_text(MANIFEST.source_path(d)).text for d in MANIFEST.documents}
RESULT_KEYS = {"clause_id", "doc_id", "doc_title", "doc_number", "city", "status", "heading_path", "text", "score"}
MODES = ["hybrid", "bm25", "dense"]


@pytest.fixture(scope="module")
def retriever(ingested: Services) -> HybridRetriever:
    return ingested.retriever


def ids(results: list[SearchResult]) -> list[str]:
    return [r.clause.clause_id for r in results]


def rank(results: list[SearchResult], clause_id: str) -> int:
    return ids(results).index(clause_id) if clause_id in ids(results) else len(results) + 1


# --------------------------------------------------------------------------- readiness and bad input


def test_search_before_ingest_raises_index_not_ready(fake_services: Services) -> None:
    with pytest.raises(IndexNotReady, match="policy-assistant ingest"):
        fake_services.retriever.search("带徒补贴")
    with pytest.raises(IndexNotReady):
        fake_services.retriever.documents()


def test_stale_bm25_index_is_not_ready(fake_services: Services) -> None:
    fake_services.ingestor.run(fake_services.manifest())
    assert fake_services.retriever.search("带徒补贴", k=1)
    fake_services.store.delete_document("nantong-draft")  # the store moves on, BM25 does not
    with pytest.raises(IndexNotReady):
        fake_services.retriever.search("带徒补贴", k=1)
    fake_services.ingestor.rebuild_lexical(fake_services.generation)
    assert all(r.doc.id != "nantong-draft" for r in fake_services.retriever.search("南通 安居工程", k=10))


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_empty_query_is_rejected(retriever: HybridRetriever, query: str) -> None:
    with pytest.raises(ValueError, match="empty"):
        retriever.search(query)


@pytest.mark.parametrize("k", [0, -1])
def test_k_below_one_is_rejected(retriever: HybridRetriever, k: int) -> None:
    with pytest.raises(ValueError, match="k"):
        retriever.search("带徒补贴", k=k)


# --------------------------------------------------------------------------- result shape


def test_results_are_whole_clauses_with_their_document(ingested: Services, retriever: HybridRetriever) -> None:
    results = retriever.search("大连 带徒补贴 标准", k=5)
    assert len(results) == 5
    for r in results:
        stored = ingested.store.clause(r.clause.clause_id)
        assert r.clause == stored
        assert SOURCES[r.doc.id][stored.start : stored.end] == r.clause.text
        assert r.doc == MANIFEST.get(r.clause.doc_id)


def test_to_dict_has_the_documented_keys(retriever: HybridRetriever) -> None:
    results = retriever.search("大连 带徒补贴 标准", k=3)
    for r in results:
        d = r.to_dict()
        assert RESULT_KEYS <= set(d)
        assert d["clause_id"] == r.clause.clause_id
        assert d["doc_id"] == r.doc.id == r.clause.doc_id
        assert d["doc_title"] == MANIFEST.get(r.doc.id).title
        assert d["doc_number"] == MANIFEST.get(r.doc.id).number
        assert (d["city"], d["status"]) == (r.doc.city, r.doc.status)
        assert d["heading_path"] == list(r.clause.heading_path)
        assert d["text"] == r.clause.text
        assert d["score"] == round(r.score, 6)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("k", [1, 3, 8])
def test_k_is_respected_and_scores_descend(retriever: HybridRetriever, mode: str, k: int) -> None:
    results = retriever.search("高技能人才 补贴", k=k, mode=mode)
    assert len(results) == k
    scores = [r.score for r in results]
    assert scores == sorted(scores, reverse=True)
    assert len(set(ids(results))) == k


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_reports_its_own_ranks(retriever: HybridRetriever, mode: str) -> None:
    results = retriever.search("带徒补贴", k=5, mode=mode)
    assert results
    for r in results:
        if mode == "bm25":
            assert r.bm25_rank is not None and r.dense_rank is None and r.signals == ()
        elif mode == "dense":
            assert r.dense_rank is not None and r.bm25_rank is None and r.signals == ()
            assert r.score == r.dense_similarity
        else:
            assert r.bm25_rank is not None or r.dense_rank is not None


def test_dense_results_are_ordered_by_similarity(retriever: HybridRetriever) -> None:
    results = retriever.search("带徒补贴", k=10, mode="dense")
    assert [r.dense_rank for r in results] == list(range(1, 11))


# --------------------------------------------------------------------------- filters


FILTER_CASES = [
    (Filters(city="厦门"), lambda d: d.city == "厦门"),
    (Filters(city="未知"), lambda d: d.id == "unknown-zhou-measures"),
    (Filters(doc_id="nantong-draft"), lambda d: d.id == "nantong-draft"),
    (Filters(status="draft"), lambda d: d.status == "draft"),
    (Filters(status="in_force"), lambda d: d.status == "in_force"),
    (Filters(city="厦门", status="in_force", doc_id="xiamen-tasks"), lambda d: d.id == "xiamen-tasks"),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("filters", "accepts"), FILTER_CASES)
def test_filters_restrict_every_mode(retriever: HybridRetriever, mode: str, filters: Filters, accepts) -> None:
    results = retriever.search("高技能人才 培训 补贴", k=10, filters=filters, mode=mode)
    assert results
    assert all(accepts(r.doc) for r in results), ids(results)


def test_filter_on_a_city_overrides_a_city_in_the_query(retriever: HybridRetriever) -> None:
    results = retriever.search("大连 带徒补贴", k=5, filters=Filters(city="南通"))
    assert results
    assert {r.doc.city for r in results} == {"南通"}
    assert all("city" not in r.signals for r in results)


def test_filter_matching_nothing_gives_no_results(retriever: HybridRetriever) -> None:
    assert retriever.search("带徒补贴", filters=Filters(city="北京")) == []
    assert retriever.search("带徒补贴", filters=Filters(doc_id="dalian-2023", status="draft")) == []


# --------------------------------------------------------------------------- ranking


def test_bm25_finds_the_apprentice_subsidy_clause(retriever: HybridRetriever) -> None:
    results = retriever.search("大连 带徒补贴 标准", k=5, mode="bm25")
    assert ids(results)[0] == "dalian-2023/三/（七）"
    assert results[0].bm25_rank == 1


def test_bm25_led_fusion_puts_the_apprentice_subsidy_clause_first(ingested: Services) -> None:
    bm25_led = HybridRetriever(
        ingested.store, ingested.vectors, ingested.tokenizer, ingested.generation.bm25_dir, bm25_weight=1.0
    )
    results = bm25_led.search("大连 带徒补贴 标准", k=5)
    assert ids(results)[0] == "dalian-2023/三/（七）"
    assert "city" in results[0].signals


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("大连 带徒补贴 标准", "dalian-2023/三/（七）"),
    ],
)
def test_bm25_still_drives_hybrid_ranking_with_the_fake_embedder(
    retriever: HybridRetriever, query: str, first: str
) -> None:
    assert ids(retriever.search(query, k=5))[0] == first


def test_relative_fusion_keeps_score_gaps(retriever: HybridRetriever) -> None:
    """A clause far ahead in BM25 and close behind in dense beats one that is second in both."""
    bm25 = {"a": 10.0, "b": 6.0, "c": 1.0}
    dense = {"a": 0.80, "b": 0.82, "c": 0.70}
    fused = retriever.with_fusion("relative")._fuse(bm25, dense, {}, {})
    assert max(fused, key=fused.get) == "a"
    rrf = retriever.with_fusion("rrf")._fuse(bm25, dense, {"a": 1, "b": 2, "c": 3}, {"b": 1, "a": 2, "c": 3})
    assert rrf["a"] == rrf["b"]  # rank fusion cannot tell them apart


def test_city_in_the_query_boosts_that_city(retriever: HybridRetriever) -> None:
    results = retriever.search("大连 带徒补贴 标准", k=10)
    assert results[0].doc.city == "大连"
    for r in results:
        assert ("city" in r.signals) == (r.doc.city == "大连"), r.clause.clause_id
    unboosted = retriever.search("带徒补贴 标准", k=10)
    assert all("city" not in r.signals for r in unboosted)


def test_own_document_number_ranks_the_clause_above_the_header(retriever: HybridRetriever) -> None:
    results = retriever.search("大政办发〔2023〕34号 安家费", k=10)
    assert rank(results, "dalian-2023/三/（九）") < rank(results, "dalian-2023/文件信息")
    assert rank(results, "dalian-2023/三/（九）") < 3
    nine = results[rank(results, "dalian-2023/三/（九）")]
    assert "doc_number" in nine.signals
    assert {r.doc.id for r in results[:3]} == {"dalian-2023"}


def test_question_about_a_document_boosts_its_header(retriever: HybridRetriever) -> None:
    results = retriever.search("厦人社〔2025〕189号 是哪天发布的", k=5)
    header = "xiamen-training-2025/文件信息"
    assert rank(results, header) < 2
    assert {"doc_number", "about_document"} <= set(results[rank(results, header)].signals)
    for r in results:
        if r.clause.kind in ("header", "preamble", "signature"):
            assert "about_document" in r.signals


def test_cited_document_number_boosts_the_citing_clause(retriever: HybridRetriever) -> None:
    results = retriever.search("人社部发〔2025〕10号", k=5)
    preamble = "xiamen-training-2025/前言"
    assert preamble in ids(results)
    assert "cited_number" in results[rank(results, preamble)].signals
    for r in results:
        assert ("cited_number" in r.signals) == ("人社部发〔2025〕10号" in r.clause.text)


def test_amount_in_the_query_boosts_clauses_that_state_it(retriever: HybridRetriever) -> None:
    results = retriever.search("带徒补贴 2000", k=10)
    seventh = rank(results, "dalian-2023/三/（七）")
    assert seventh < 3
    assert "amount:2000" in results[seventh].signals
    for r in results:
        if "amount:2000" in r.signals:
            assert "2000" in r.clause.text


def test_traditional_query_finds_the_taiwan_qualification_row(retriever: HybridRetriever) -> None:
    results = retriever.search("台灣居民的證照能在廈門用嗎", k=5, mode="bm25")
    assert ids(results)[0] == "xiamen-tasks/开展台湾地区职业资格采认试点工作"


def test_rrf_fusion(retriever: HybridRetriever) -> None:
    rrf = retriever.with_fusion("rrf")
    assert rrf.fusion == "rrf" and retriever.fusion == "relative"
    results = rrf.search("大连 带徒补贴 标准", k=10)
    assert len(results) == 10
    vote = 1.0 / (rrf.rrf_k + 1)
    for r in results:
        expected = sum(
            2 * w / (rrf.rrf_k + rk) for w, rk in ((0.5, r.bm25_rank), (0.5, r.dense_rank)) if rk is not None
        )
        assert r.score == pytest.approx(expected + vote * len(r.signals))
    assert all(r.doc.city == "大连" for r in results if "city" in r.signals)


def test_search_is_deterministic(ingested: Services, retriever: HybridRetriever) -> None:
    query = "大连 带徒补贴 标准"
    first = [(r.clause.clause_id, r.score, r.signals) for r in retriever.search(query, k=10)]
    second = [(r.clause.clause_id, r.score, r.signals) for r in retriever.search(query, k=10)]
    fresh = HybridRetriever(ingested.store, ingested.vectors, ingested.tokenizer, ingested.generation.bm25_dir)
    third = [(r.clause.clause_id, r.score, r.signals) for r in fresh.search(query, k=10)]
    assert first == second == third


# --------------------------------------------------------------------------- lookups


def test_document_and_clause_lookups(retriever: HybridRetriever) -> None:
    assert sorted(d.id for d in retriever.documents()) == sorted(d.id for d in MANIFEST.documents)
    assert retriever.document("dalian-2023").number == "大政办发〔2023〕34号"
    assert retriever.document("nope") is None
    assert retriever.clause("dalian-2023/三/（七）").text.startswith("(七)健全高技能人才岗位使用机制")
    assert retriever.clause("dalian-2023/二") is None


def test_data_stays_in_the_temporary_folder(ingested: Services) -> None:
    data = ingested.settings.data_dir
    assert ingested.generation.store.path.is_file() and data in ingested.generation.store.path.parents
    assert ingested.generation.bm25_dir.is_dir() and data in ingested.generation.bm25_dir.parents
    assert Path(ingested.settings.chroma_dir).is_dir()
    assert REPO_ROOT not in data.parents
