"""The load generator: its arithmetic, its report, and a short real run against a tiny in-process app."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from typer.testing import CliRunner

from app.cli import app as cli_app
from evaluation import loadtest as lt


def result(clients: int, p95: float, errors: dict[str, int] | None = None) -> lt.LoadResult:
    return lt.LoadResult(
        clients=clients,
        seconds=1.0,
        elapsed=1.0,
        requests=10 * clients,
        errors=errors or {},
        rps=10.0 * clients,
        p50=p95 / 2,
        p95=p95,
        p99=p95 * 1.2,
        rss_before_mb=100.0,
        rss_after_mb=110.0,
        rss_peak_mb=120.0,
    )


# ------------------------------------------------------------------ arithmetic


def test_summarize_percentiles_rps_and_errors() -> None:
    samples = [lt.Sample("ask" if i % 2 else "search", i / 1000, 200, None) for i in range(1, 101)]
    samples += [lt.Sample("calc", 0.001, 500, "http_500"), lt.Sample("calc", 0.002, None, "ReadTimeout")]
    r = lt.summarize(samples[:100], clients=4, seconds=2.0, elapsed=2.0)
    assert r.requests == 100 and r.rps == 50.0 and r.errors == {} and r.error_count == 0
    assert (r.p50, r.p95, r.p99) == (50.5, 95.0, 99.0)  # numpy linear interpolation over 1..100 ms, rounded
    assert r.by_endpoint["ask"]["requests"] == 50 and r.by_endpoint["search"]["p50"] == 51.0

    r = lt.summarize(samples, clients=4, seconds=2.0, elapsed=4.0, rss_before_mb=100.04, rss_after_mb=101.06)
    assert r.requests == 102 and r.rps == 25.5
    assert r.errors == {"ReadTimeout": 1, "http_500": 1} and r.error_count == 2
    calc = r.by_endpoint["calc"]
    assert (calc["requests"], calc["errors"], calc["p50"]) == (2, 2, 1.5) and calc["p95"] == pytest.approx(
        1.95, abs=0.06
    )
    assert (r.rss_before_mb, r.rss_after_mb, r.rss_peak_mb) == (100.0, 101.1, None)
    assert json.loads(json.dumps(r.to_dict()))["error_count"] == 2


def test_summarize_with_no_samples() -> None:
    r = lt.summarize([], clients=1, seconds=1.0, elapsed=0.0)
    assert (r.requests, r.rps, r.p50, r.p95, r.p99, r.by_endpoint) == (0, 0.0, 0.0, 0.0, 0.0, {})


def test_first_level_over() -> None:
    results = [result(10, 1500.0), result(1, 200.0), result(5, 1000.0), result(20, 3000.0)]
    assert lt.first_level_over(results) == 10  # strictly over 1 s, lowest level, whatever the order
    assert lt.first_level_over(results, ms=100) == 1
    assert lt.first_level_over(results, ms=5000) is None
    assert lt.first_level_over([]) is None
    assert lt.over_line(results) == "p95 > 1 s first at 10 clients (levels measured: 1, 5, 10, 20)"
    assert lt.over_line(results, ms=5000) == "p95 > 5 s: not reached (up to 20 clients)"


def test_default_mix_is_deterministic_and_proportioned() -> None:
    questions = lt.golden_questions()
    assert len(questions) >= 10 and all(q.strip() for q in questions)
    mix = lt.default_mix()
    assert mix == lt.default_mix()
    share = {name: sum(1 for r in mix if r.endpoint == name) / len(mix) for name in ("ask", "search", "calc")}
    assert share == {"ask": 0.5, "search": 0.3, "calc": 0.2}
    assert {r.body["question"] for r in mix if r.endpoint == "ask"} == set(questions)
    assert {r.body["query"] for r in mix if r.endpoint == "search"} == set(questions)
    assert {r.path for r in mix if r.endpoint == "calc"} == {
        "/api/calc/xiamen.student-apprenticeship",
        "/api/calc/dalian.studio-apprentice-subsidy",
    }


def test_write_report(tmp_path: Path) -> None:
    results = [result(1, 200.0), result(2, 900.0), result(5, 1200.0, {"http_500": 3})]
    png = lt.write_report(results, tmp_path / "load.md", tmp_path / "load.json", {"logical_cpus": 2})
    md = (tmp_path / "load.md").read_text(encoding="utf-8")
    assert "| 5 | 50 | 50.0 | 600 | 1200 | 1440 | 3 (http_500: 3) | 100 → 110 (120) | — / — / — |" in md
    assert "p95 > 1 s first at 5 clients" in md and "logical_cpus 2" in md
    data = json.loads((tmp_path / "load.json").read_text(encoding="utf-8"))
    assert data["first_p95_over_1s_clients"] == 5 and data["total_errors"] == 3 and len(data["results"]) == 3
    assert png == tmp_path / "load.png" and png.read_bytes().startswith(b"\x89PNG")


# ------------------------------------------------------------------ a short real run


def tiny_app() -> FastAPI:
    api = FastAPI()

    @api.post("/api/ask")
    def ask(body: dict[str, object]) -> dict[str, object]:
        return {"answer": "……", "citations": [], "session_id": "s1", "question": body.get("question")}

    @api.post("/api/search")
    def search(body: dict[str, object]) -> list[dict[str, object]]:
        return [{"clause_id": "dalian-2023/三/（七）", "score": 1.0, "query": body.get("query")}]

    @api.post("/api/calc/{rule_id}")
    def calc(rule_id: str, body: dict[str, object]) -> dict[str, object]:
        return {"rule_id": rule_id, "result": 7500, "inputs": body.get("inputs")}

    @api.post("/api/broken")
    def broken() -> JSONResponse:
        return JSONResponse({"error": "internal"}, status_code=500)

    return api


@pytest.fixture(scope="module")
def tiny_url() -> Iterator[str]:
    port = lt.free_port()
    server = uvicorn.Server(uvicorn.Config(tiny_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the tiny server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_short_run_against_a_tiny_app(tiny_url: str) -> None:
    r = asyncio.run(lt.run_load(tiny_url, clients=2, seconds=1.5, server_pid=os.getpid()))
    assert r.requests > 0 and r.rps > 0 and r.errors == {} and r.error_count == 0
    assert set(r.by_endpoint) == {"ask", "search", "calc"}
    assert 1.5 <= r.elapsed < 5 and 0 < r.p50 <= r.p95 <= r.p99
    assert r.rss_before_mb and r.rss_after_mb and r.rss_peak_mb and r.rss_peak_mb >= r.rss_before_mb
    assert r.server_cpu_s is not None and r.server_cpu_s > 0  # the tiny server runs in this process
    assert r.host_cpu_percent is not None and "/" in lt.markdown_table([r])


def test_a_500_and_a_refused_connection_are_errors(tiny_url: str) -> None:
    mix = [
        lt.LoadRequest("ask", "/api/ask", {"question": "大连 带徒补贴"}),
        lt.LoadRequest("broken", "/api/broken", {}),
    ]
    r = asyncio.run(lt.run_load(tiny_url, clients=2, seconds=0.5, mix=mix))
    assert r.requests > 2 and set(r.errors) == {"http_500"}
    assert r.by_endpoint["broken"]["errors"] == r.error_count > 0 and r.by_endpoint["ask"]["errors"] == 0
    assert r.rss_before_mb is None and r.rss_after_mb is None

    closed = f"http://127.0.0.1:{lt.free_port()}"
    r = asyncio.run(lt.run_load(closed, clients=1, seconds=0.2, mix=mix[:1]))
    assert r.requests > 0 and r.errors == {"ConnectError": r.requests}


def test_sweep_runs_each_level(tiny_url: str) -> None:
    seen: list[int] = []
    results = lt.sweep(tiny_url, levels=(1, 3), seconds=0.3, progress=lambda r: seen.append(r.clients))
    assert [r.clients for r in results] == seen == [1, 3]
    assert all(r.requests > 0 and r.error_count == 0 for r in results)


def test_cli_help_and_a_run_against_a_url(tiny_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    help_text = runner.invoke(cli_app, ["eval", "load", "--help"]).stdout
    assert "--clients" in help_text and "--sweep" in help_text and "--url" in help_text
    res = runner.invoke(
        cli_app,
        ["eval", "load", "--url", tiny_url, "--clients", "2", "--seconds", "0.5", "--reports", str(tmp_path)],
    )
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert "| 2 |" in res.stdout and "p95 > 1 s: not reached" in res.stdout
    assert {p.name for p in tmp_path.iterdir()} == {"load.md", "load.json", "load.png"}


def test_settle_asks_for_the_ui_then_waits_for_the_memory_to_stop_changing(monkeypatch: pytest.MonkeyPatch) -> None:
    from evaluation import loadtest as lt

    readings = iter([500.0, 560.0, 620.0, 621.0, 700.0])
    asked: list[str] = []
    monkeypatch.setattr(lt, "rss_mb", lambda pid: next(readings))
    monkeypatch.setattr(lt.httpx, "get", lambda url, timeout: asked.append(url))
    monkeypatch.setattr(lt.time, "sleep", lambda s: None)
    lt.settle("http://x", 123, tries=3)
    assert asked == ["http://x/ui/"] * 3
    assert next(readings) == 700.0  # stopped at 620 → 621, the first steady reading
