"""A bounded load generator for the HTTP service, on loopback.

``run_load`` starts N concurrent clients (``httpx.AsyncClient``) that loop for a
fixed time over a fixed, deterministic mix of realistic requests — about 50 %
``POST /api/ask`` with the single-turn questions of ``eval/golden/answers.yaml``,
30 % ``POST /api/search`` with the same questions, 20 % ``POST /api/calc/{rule}``
with valid inputs — and reports requests per second, latency percentiles
(overall and per endpoint), errors by kind (any non-2xx status or exception) and
the server's resident memory before, during (peak) and after the run.

``sweep`` repeats it at several concurrency levels; ``first_level_over`` names the
lowest level whose p95 exceeds a bound (1 s by default); ``write_report`` writes
a Markdown table, the JSON figures and a PNG plot. The service is run by
``app.server.launch`` (``start_service`` / ``stop_service``) in a subprocess on a free port.

Every ``/api/ask`` without a ``session_id`` opens a conversation in the session store, so a long
run fills it up to ``sessions.max_sessions`` (oldest evicted first): load a copy of a production
data folder, not the live one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psutil
import yaml

from app.server.launch import free_port, start_service, stop_service  # noqa: F401 - used by the CLI
from app.settings import REPO_ROOT
from evaluation.machine import describe as describe_machine

GOLDEN_ANSWERS = REPO_ROOT / "eval" / "golden" / "answers.yaml"
DEFAULT_LEVELS = (1, 2, 5, 10, 20)
REQUEST_TIMEOUT = 30.0

# Valid inputs for two calculators (both results are checked by the service tests: 17000 and 7500).
CALC_REQUESTS: tuple[tuple[str, dict[str, Any]], ...] = (
    (
        "xiamen.student-apprenticeship",
        {
            "中职": 3,
            "高职": 2,
            "training_completed": "是",
            "internship_assessment_passed": "是",
            "formal_contract": "是",
            "social_insurance_months": 2,
        },
    ),
    ("dalian.studio-apprentice-subsidy", {"高级技师": 2, "技师": 3, "高级工": 1}),
)

# One block of ten requests: 5 ask, 3 search, 2 calc, interleaved.
_BLOCK = ("ask", "search", "ask", "calc", "ask", "search", "ask", "calc", "ask", "search")


@dataclass(frozen=True)
class LoadRequest:
    """One request of the mix; ``endpoint`` is the label latencies are grouped by."""

    endpoint: str
    path: str
    body: dict[str, Any]
    method: str = "POST"


@dataclass(frozen=True)
class Sample:
    endpoint: str
    latency_s: float
    status: int | None  # None when the request raised
    error: str | None  # None when it succeeded (2xx)


@dataclass
class LoadResult:
    """The figures of one run at one concurrency level (latencies in milliseconds)."""

    clients: int
    seconds: float
    elapsed: float
    requests: int
    errors: dict[str, int]
    rps: float
    p50: float
    p95: float
    p99: float
    by_endpoint: dict[str, dict[str, float]] = field(default_factory=dict)
    rss_before_mb: float | None = None
    rss_after_mb: float | None = None
    rss_peak_mb: float | None = None
    server_cpu_s: float | None = None  # CPU seconds the server (and its workers) used during the run
    client_cpu_s: float | None = None  # CPU seconds this load generator used
    host_cpu_percent: float | None = None  # all CPUs busy, in %: far above server + client means other load

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["error_count"] = self.error_count
        return data


# ------------------------------------------------------------------ the request mix


def golden_questions(path: Path = GOLDEN_ANSWERS) -> list[str]:
    """The questions of the single-turn golden items (those without ``turns``), in file order."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, list):
        raise ValueError(f"{path}: expected a YAML list")
    questions = [str(item["question"]) for item in raw if isinstance(item, dict) and not item.get("turns")]
    if not questions:
        raise ValueError(f"{path}: no single-turn question")
    return questions


def default_mix(questions: Sequence[str] | None = None) -> list[LoadRequest]:
    """The fixed mix: 50 % ask, 30 % search, 20 % calc, cycling over every question and both calculators."""
    qs = list(questions) if questions is not None else golden_questions()
    if not qs:
        raise ValueError("the mix needs at least one question")
    blocks = max(1, -(-len(qs) // 3))  # enough blocks for every question to be searched at least once
    counters = {"ask": 0, "search": 0, "calc": 0}
    mix: list[LoadRequest] = []
    for _ in range(blocks):
        for kind in _BLOCK:
            i = counters[kind]
            counters[kind] += 1
            if kind == "ask":
                mix.append(LoadRequest("ask", "/api/ask", {"question": qs[i % len(qs)]}))
            elif kind == "search":
                # Offset by half the list, so a question is not searched right after it was asked.
                mix.append(LoadRequest("search", "/api/search", {"query": qs[(i + len(qs) // 2) % len(qs)], "k": 5}))
            else:
                rule_id, inputs = CALC_REQUESTS[i % len(CALC_REQUESTS)]
                mix.append(LoadRequest("calc", f"/api/calc/{rule_id}", {"inputs": inputs}))
    return mix


# ------------------------------------------------------------------ memory


def rss_mb(pid: int | None) -> float | None:
    """Resident memory of a process and all its descendants (uvicorn workers), in MiB; None if unknown."""
    if pid is None:
        return None
    try:
        parent = psutil.Process(pid)
        procs = [parent, *parent.children(recursive=True)]
    except psutil.Error:
        return None
    total = 0
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            total += proc.memory_info().rss
    return total / (1024 * 1024)


def cpu_seconds(pid: int | None, children: bool = True) -> float | None:
    """User + system CPU seconds of a process and (by default) all its descendants; None if unknown."""
    if pid is None:
        return None
    try:
        parent = psutil.Process(pid)
        procs = [parent, *(parent.children(recursive=True) if children else [])]
    except psutil.Error:
        return None
    total = 0.0
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            times = proc.cpu_times()
            total += times.user + times.system
    return total


# ------------------------------------------------------------------ the run


def _percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(values, q)) if len(values) else 0.0


def summarize(
    samples: Sequence[Sample],
    clients: int,
    seconds: float,
    elapsed: float,
    rss_before_mb: float | None = None,
    rss_after_mb: float | None = None,
    rss_peak_mb: float | None = None,
) -> LoadResult:
    """Figures from raw samples. Percentiles are over every completed request, failed ones included."""
    ms = [s.latency_s * 1000 for s in samples]
    errors: dict[str, int] = {}
    for s in samples:
        if s.error is not None:
            errors[s.error] = errors.get(s.error, 0) + 1
    by_endpoint: dict[str, dict[str, float]] = {}
    for name in sorted({s.endpoint for s in samples}):
        lat = [s.latency_s * 1000 for s in samples if s.endpoint == name]
        by_endpoint[name] = {
            "requests": len(lat),
            "errors": sum(1 for s in samples if s.endpoint == name and s.error is not None),
            "p50": round(_percentile(lat, 50), 1),
            "p95": round(_percentile(lat, 95), 1),
        }
    return LoadResult(
        clients=clients,
        seconds=seconds,
        elapsed=round(elapsed, 3),
        requests=len(samples),
        errors=dict(sorted(errors.items())),
        rps=round(len(samples) / elapsed, 2) if elapsed > 0 else 0.0,
        p50=round(_percentile(ms, 50), 1),
        p95=round(_percentile(ms, 95), 1),
        p99=round(_percentile(ms, 99), 1),
        by_endpoint=by_endpoint,
        rss_before_mb=None if rss_before_mb is None else round(rss_before_mb, 1),
        rss_after_mb=None if rss_after_mb is None else round(rss_after_mb, 1),
        rss_peak_mb=None if rss_peak_mb is None else round(rss_peak_mb, 1),
    )


async def _send(client: httpx.AsyncClient, req: LoadRequest) -> Sample:
    start = time.perf_counter()
    try:
        response = await client.request(req.method, req.path, json=req.body)
        await response.aread()
    except Exception as exc:  # noqa: BLE001 - every failure is counted, by kind, never raised
        return Sample(req.endpoint, time.perf_counter() - start, None, type(exc).__name__)
    latency = time.perf_counter() - start
    ok = 200 <= response.status_code < 300
    return Sample(req.endpoint, latency, response.status_code, None if ok else f"http_{response.status_code}")


def settle(
    base_url: str, server_pid: int | None, *, tries: int = 8, quiet_s: float = 1.0, limit_s: float = 30.0
) -> None:
    """Let a service that has just answered ``/readyz`` finish starting before its memory is read: each
    worker builds its web UI after start-up (a request to ``/ui/`` waits for it; several requests on new
    connections reach every worker), then wait until the memory stops changing (by ≤ 2 MB over
    ``quiet_s``, at most ``limit_s``). Otherwise that build would count as growth under load."""
    for _ in range(tries):
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(f"{base_url}/ui/", timeout=60)
    deadline = time.monotonic() + limit_s
    last = rss_mb(server_pid)
    while last is not None and time.monotonic() < deadline:
        time.sleep(quiet_s)
        now = rss_mb(server_pid)
        if now is None or abs(now - last) <= 2.0:
            return
        last = now


async def run_load(
    base_url: str,
    clients: int,
    seconds: float,
    mix: Sequence[LoadRequest] | None = None,
    *,
    server_pid: int | None = None,
    timeout: float = REQUEST_TIMEOUT,
) -> LoadResult:
    """``clients`` workers send the mix round-robin until ``seconds`` have passed; requests in flight finish.

    Worker *w* starts at its own offset in the mix, so concurrent workers do not send the same request
    at the same moment. The server's memory (``server_pid`` and its children) is read before, every
    quarter second during (peak) and after the run.
    """
    if clients < 1 or seconds <= 0:
        raise ValueError("clients must be ≥ 1 and seconds > 0")
    requests = list(mix) if mix is not None else default_mix()
    if not requests:
        raise ValueError("the request mix is empty")
    samples: list[Sample] = []
    rss_before = rss_mb(server_pid)
    peak = [rss_before or 0.0]
    # The generator alone: the service it started is one of its children.
    server_cpu_before, client_cpu_before = cpu_seconds(server_pid), cpu_seconds(os.getpid(), children=False)
    psutil.cpu_percent(None)  # starts the host-wide CPU measurement
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=base_url.rstrip("/"), timeout=timeout, limits=limits, trust_env=False
    ) as client:
        start = time.perf_counter()
        deadline = start + seconds

        async def worker(w: int) -> None:
            i = (w * len(requests)) // clients
            while time.perf_counter() < deadline:
                samples.append(await _send(client, requests[i % len(requests)]))
                i += 1

        async def watch_memory() -> None:
            while True:
                await asyncio.sleep(0.25)
                peak[0] = max(peak[0], rss_mb(server_pid) or 0.0)

        watcher = asyncio.create_task(watch_memory()) if server_pid is not None else None
        try:
            await asyncio.gather(*(worker(w) for w in range(clients)))
        finally:
            elapsed = time.perf_counter() - start
            if watcher is not None:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
    host_cpu = psutil.cpu_percent(None)
    server_cpu_after, client_cpu_after = cpu_seconds(server_pid), cpu_seconds(os.getpid(), children=False)
    rss_after = rss_mb(server_pid)
    rss_peak = max(peak[0], rss_after or 0.0) if server_pid is not None else None
    result = summarize(samples, clients, seconds, elapsed, rss_before, rss_after, rss_peak)
    if server_cpu_before is not None and server_cpu_after is not None:
        result.server_cpu_s = round(server_cpu_after - server_cpu_before, 2)
    if client_cpu_before is not None and client_cpu_after is not None:
        result.client_cpu_s = round(client_cpu_after - client_cpu_before, 2)
    result.host_cpu_percent = round(host_cpu, 1)
    return result


async def warm_up(base_url: str, mix: Sequence[LoadRequest] | None = None, timeout: float = 120.0) -> dict[str, int]:
    """Send the first request of each endpoint once (lazy model loads), not measured; returns the statuses."""
    requests = list(mix) if mix is not None else default_mix()
    firsts: dict[str, LoadRequest] = {}
    for req in requests:
        firsts.setdefault(req.endpoint, req)
    statuses: dict[str, int] = {}
    async with httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout, trust_env=False) as client:
        for name, req in firsts.items():
            response = await client.request(req.method, req.path, json=req.body)
            statuses[name] = response.status_code
    return statuses


def sweep(
    base_url: str,
    levels: Sequence[int] = DEFAULT_LEVELS,
    seconds: float = 20.0,
    server_pid: int | None = None,
    mix: Sequence[LoadRequest] | None = None,
    progress: Callable[[LoadResult], None] | None = None,
) -> list[LoadResult]:
    """``run_load`` at each concurrency level in turn, ``seconds`` each; ``progress`` sees each result."""
    requests = list(mix) if mix is not None else default_mix()
    results = []
    for clients in levels:
        result = asyncio.run(run_load(base_url, clients, seconds, requests, server_pid=server_pid))
        results.append(result)
        if progress is not None:
            progress(result)
    return results


def first_level_over(results: Sequence[LoadResult], ms: float = 1000.0) -> int | None:
    """The lowest concurrency whose p95 exceeds ``ms`` milliseconds, or None."""
    over = [r.clients for r in results if r.p95 > ms]
    return min(over) if over else None


# ------------------------------------------------------------------ the service


# ------------------------------------------------------------------ the report


def machine_info(**extra: Any) -> dict[str, Any]:
    """Where the figures were measured: they mean little without it."""
    freq = psutil.cpu_freq()
    m = describe_machine()
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "python": m["python"],
        "cpu": m["cpu"],
        "vector_extensions": " ".join(m["vector_extensions"]) or None,
        "logical_cpus": psutil.cpu_count(logical=True),
        "cpu_mhz": round(freq.max or freq.current) if freq else None,
        "memory_gb": m["memory_gb"],
        **extra,
    }


def _mb(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def _errors_text(result: LoadResult) -> str:
    if not result.errors:
        return "0"
    return f"{result.error_count} (" + ", ".join(f"{k}: {v}" for k, v in result.errors.items()) + ")"


def _cpu_text(result: LoadResult) -> str:
    """CPU busy, all in % of one core (so 200 = two cores): the whole host, the server, the generator."""

    def share(cpu_s: float | None) -> str:
        return "—" if cpu_s is None or result.elapsed <= 0 else f"{100 * cpu_s / result.elapsed:.0f}"

    cores = psutil.cpu_count() or 1
    host = "—" if result.host_cpu_percent is None else f"{result.host_cpu_percent * cores:.0f}"
    return f"{host} / {share(result.server_cpu_s)} / {share(result.client_cpu_s)}"


def over_line(results: Sequence[LoadResult], ms: float = 1000.0) -> str:
    level = first_level_over(results, ms)
    bound = f"{ms / 1000:g} s" if ms >= 1000 else f"{ms:g} ms"
    if level is None:
        top = max((r.clients for r in results), default=0)
        return f"p95 > {bound}: not reached (up to {top} clients)"
    measured = ", ".join(str(c) for c in sorted({r.clients for r in results}))
    return f"p95 > {bound} first at {level} clients (levels measured: {measured})"


def markdown_table(results: Sequence[LoadResult]) -> str:
    lines = [
        "| clients | requests | req/s | p50 ms | p95 ms | p99 ms | errors | server RSS MB before → after (peak) "
        "| CPU % of a core: host / server / generator |",
        "|---:|---:|---:|---:|---:|---:|---|---|---|",
    ]
    for r in results:
        rss = f"{_mb(r.rss_before_mb)} → {_mb(r.rss_after_mb)} ({_mb(r.rss_peak_mb)})"
        lines.append(
            f"| {r.clients} | {r.requests} | {r.rps:.1f} | {r.p50:.0f} | {r.p95:.0f} | {r.p99:.0f} | "
            f"{_errors_text(r)} | {rss} | {_cpu_text(r)} |"
        )
    return "\n".join(lines)


def endpoint_table(results: Sequence[LoadResult]) -> str:
    names = sorted({name for r in results for name in r.by_endpoint})
    head = "| clients | " + " | ".join(f"{n} n / p50 / p95 ms" for n in names) + " |"
    lines = [head, "|---:|" + "---:|" * len(names)]
    for r in results:
        cells = []
        for n in names:
            e = r.by_endpoint.get(n)
            cells.append("—" if e is None else f"{e['requests']:.0f} / {e['p50']:.0f} / {e['p95']:.0f}")
        lines.append(f"| {r.clients} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(results: Sequence[LoadResult], path: Path, ms: float = 1000.0) -> Path:
    """p95 latency and requests/s against the number of clients, on two axes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ordered = sorted(results, key=lambda r: r.clients)
    xs = [r.clients for r in ordered]
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    ax.plot(xs, [r.p95 for r in ordered], "o-", color="tab:red", label="p95 latency (ms)")
    ax.axhline(ms, color="tab:red", linestyle=":", linewidth=1, label=f"{ms:g} ms")
    ax.set_xlabel("concurrent clients")
    ax.set_ylabel("p95 latency (ms)", color="tab:red")
    ax.set_xticks(xs)
    ax.grid(alpha=0.3)
    ax2 = ax.twinx()
    ax2.plot(xs, [r.rps for r in ordered], "s--", color="tab:blue", label="requests/s")
    ax2.set_ylabel("requests/s", color="tab:blue")
    ax2.set_ylim(0, max([r.rps for r in ordered] + [1.0]) * 1.15)
    ax.set_ylim(0, max([r.p95 for r in ordered] + [ms]) * 1.15)
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    labels = [str(h.get_label()) for h in handles]
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    ax.set_title("Policy assistant service under load (mixed ask / search / calc)")
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def write_report(
    results: Sequence[LoadResult], path_md: Path, path_json: Path, machine: dict[str, Any] | None = None
) -> Path:
    """Markdown table + JSON figures + a PNG plot next to the Markdown (same name, ``.png``); returns the PNG."""
    machine = machine or machine_info()
    path_png = path_md.with_suffix(".png")
    path_md.parent.mkdir(parents=True, exist_ok=True)
    path_json.parent.mkdir(parents=True, exist_ok=True)
    level = first_level_over(results)
    errors = sum(r.error_count for r in results)
    md = [
        "# Load test",
        "",
        "Concurrent clients loop for a fixed time over a fixed mix: 50 % `POST /api/ask` (single-turn "
        "questions of `eval/golden/answers.yaml`), 30 % `POST /api/search` (the same questions), 20 % "
        "`POST /api/calc/{rule}` (two calculators with valid inputs). Latencies are client-side, per "
        "request, over every completed request; an error is any non-2xx status or exception. RSS is "
        "the server process and its workers. CPU is in % of one core (200 = two cores busy) for the "
        "whole host, the server and the load generator; a host figure well above server + generator "
        "means other work shared the machine and the latencies are pessimistic.",
        "",
        markdown_table(results),
        "",
        f"**{over_line(results)}.** Errors in total: {errors}.",
        "",
        "By endpoint (requests / p50 / p95):",
        "",
        endpoint_table(results),
        "",
        f"![p95 and requests/s against clients]({path_png.name})",
        "",
        "Measured on: " + ", ".join(f"{k} {v}" for k, v in machine.items() if v not in (None, "")),
        "",
    ]
    path_md.write_text("\n".join(md), encoding="utf-8")
    payload = {
        "machine": machine,
        "first_p95_over_1s_clients": level,
        "total_errors": errors,
        "results": [r.to_dict() for r in results],
    }
    path_json.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return plot(results, path_png)
