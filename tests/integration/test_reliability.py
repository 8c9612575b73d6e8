"""The live service while its index changes, and under the inputs an attacker would send (issue 12).

A real ``policy-assistant serve`` process on loopback over a copy of the corpus,
embedded with the real model:

* re-ingest under load: search is polled throughout ``POST /api/admin/ingest?force=true``;
* kill -9 during an update from the CLI: the service keeps serving the previous
  generation, and the re-run completes the update without embedding again what
  the killed run had finished;
* the issue's reproductions, one after another, while a probe measures how long
  ``/healthz`` takes meanwhile.

Figures (request counts, latencies, durations) are printed and written to
``tests/artifacts/reliability.json``; the README's reliability section quotes
them. Nothing here asserts a duration: the assertions are about answers
(every poll a 200, the right generation, the right 4xx).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.embeddings import E5OnnxEmbeddings, FakeEmbeddings
from app.server.launch import start_service, stop_service
from app.services import build_services
from app.settings import REPO_ROOT, Settings
from ingest.manifest import Manifest
from tests.conftest import docx_with_body, wait_for_job

TOKEN = "reliability-admin-token"
AUTH = {"X-Admin-Token": TOKEN}
ARTIFACT = REPO_ROOT / "tests" / "artifacts" / "reliability.json"
QUERIES = ["大连 带徒补贴 标准", "厦门学徒制企业补贴", "南通人才公寓租金补贴", "台湾职业资格采认"]
ADDED = "\n本文件由发布单位负责解释，自印发之日起施行。\n"
FIGURES: dict[str, Any] = {}


@dataclass
class Site:
    url: str
    data: Path
    manifest: Path
    env: dict[str, str]
    log: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, e5: E5OnnxEmbeddings) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("reliability")
    shutil.copytree(REPO_ROOT / "corpus", root / "corpus")
    manifest, data = root / "corpus" / "manifest.yaml", root / "data"
    services = build_services(Settings(data_dir=data, manifest=manifest), embedder=e5)
    assert not services.ingestor.run(services.manifest()).errors
    services.close()
    env = {"PA_MANIFEST": str(manifest), "PA_SERVER__ADMIN_TOKEN": TOKEN, "PA_SERVER__UI": "false"}
    log = root / "server.log"
    proc, url = start_service(data, env=env, log_path=log)
    # The model loads on the first query: that cold start is not what these tests measure.
    httpx.post(f"{url}/api/search", json={"query": QUERIES[0]}, timeout=300, trust_env=False)
    try:
        yield Site(url, data, manifest, {**os.environ, "PA_DATA_DIR": str(data), **env}, log)
    finally:
        stop_service(proc)
        ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
        ARTIFACT.write_text(json.dumps(FIGURES, ensure_ascii=False, indent=2), encoding="utf-8")
        text = log.read_text(encoding="utf-8", errors="replace")
        assert "Traceback" not in text, text[-3000:]


@dataclass
class Poller:
    """Threads that keep asking the service something and record every answer."""

    url: str
    path: str
    body: Callable[[int], dict[str, Any] | None]
    threads: int = 2
    results: list[tuple[float, float, int]] = field(default_factory=list)  # (start, seconds, status)
    _stop: threading.Event = field(default_factory=threading.Event)
    _workers: list[threading.Thread] = field(default_factory=list)

    def _loop(self, n: int) -> None:
        with httpx.Client(base_url=self.url, timeout=60, trust_env=False) as client:
            i = n
            while not self._stop.is_set():
                started = time.perf_counter()
                try:
                    body = self.body(i)
                    r = client.post(self.path, json=body) if body is not None else client.get(self.path)
                    status = r.status_code
                except httpx.HTTPError:
                    status = -1
                self.results.append((started, time.perf_counter() - started, status))
                i += self.threads
                time.sleep(0.02)

    def __enter__(self) -> Poller:
        self._workers = [threading.Thread(target=self._loop, args=(n,), daemon=True) for n in range(self.threads)]
        for t in self._workers:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._workers:
            t.join(timeout=120)

    def between(self, start: float, end: float) -> list[tuple[float, float, int]]:
        return [r for r in self.results if start <= r[0] <= end]


def summary(results: list[tuple[float, float, int]]) -> dict[str, Any]:
    seconds = sorted(r[1] for r in results)
    return {
        "requests": len(results),
        "non_200": sum(1 for r in results if r[2] != 200),
        "p50_ms": round(statistics.median(seconds) * 1000) if seconds else None,
        "p95_ms": round(seconds[int(0.95 * (len(seconds) - 1))] * 1000) if seconds else None,
        "max_ms": round(seconds[-1] * 1000) if seconds else None,
    }


def search_body(i: int) -> dict[str, Any]:
    return {"query": QUERIES[i % len(QUERIES)], "k": 3}


def generation(site: Site) -> int:
    r = httpx.get(f"{site.url}/readyz", timeout=30, trust_env=False)
    assert r.status_code == 200, r.text
    return int(r.json()["generation"])


def finds(site: Site, text: str) -> bool:
    hits = httpx.post(f"{site.url}/api/search", json={"query": text, "k": 5}, timeout=60, trust_env=False).json()
    return any(text.strip() in h["text"] for h in hits)


# ------------------------------------------------------------------ the index changes under load


def test_reingest_under_load_answers_every_request(site: Site) -> None:
    before = generation(site)
    with Poller(site.url, "/api/search", search_body) as poller:
        time.sleep(1.0)
        started = time.perf_counter()
        r = httpx.post(f"{site.url}/api/admin/ingest", params={"force": "true"}, headers=AUTH, timeout=900)
        ended = time.perf_counter()
        time.sleep(1.0)
    assert r.status_code == 200, r.text
    report = r.json()
    assert len(report["updated"]) == 5 and report["generation"] == before + 1
    during = poller.between(started, ended)
    FIGURES["reingest_under_load"] = {
        "ingest_seconds": round(ended - started, 1),
        "windows_embedded": report["embedded"],
        "during": summary(during),
        "overall": summary(poller.results),
    }
    print(json.dumps(FIGURES["reingest_under_load"], indent=2))
    assert len(during) >= 10, "the polls did not overlap the ingest"
    assert [r for r in poller.results if r[2] != 200] == []
    assert generation(site) == before + 1


def _changed_in_build(data: Path, serving: int) -> int:
    """Documents the unfinished build has already re-indexed (their fingerprint differs from the serving one's)."""
    build = data / "generations" / str(serving + 1) / "clauses.sqlite"
    if not build.exists():
        return 0
    try:
        with (
            sqlite3.connect(f"file:{build}?mode=ro", uri=True, timeout=1) as new,
            sqlite3.connect(
                f"file:{data / 'generations' / str(serving) / 'clauses.sqlite'}?mode=ro", uri=True, timeout=1
            ) as old,
        ):
            now = dict(new.execute("SELECT doc_id, fingerprint FROM documents").fetchall())
            was = dict(old.execute("SELECT doc_id, fingerprint FROM documents").fetchall())
    except sqlite3.Error:
        return 0
    return sum(1 for doc_id, fp in now.items() if was.get(doc_id) != fp)


def test_kill_9_during_an_update_keeps_serving_and_the_rerun_completes_it(site: Site) -> None:
    serving = generation(site)
    manifest = Manifest.load(site.manifest)
    for doc in manifest.documents:  # every document changes
        path = manifest.source_path(doc)
        path.write_text(path.read_text(encoding="utf-8") + ADDED, encoding="utf-8")
    cli = [sys.executable, "-m", "app.cli", "ingest", "--json"]
    with Poller(site.url, "/api/search", search_body) as poller:
        ingest = subprocess.Popen(cli, env=site.env, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 600
        while _changed_in_build(site.data, serving) < 2:
            assert ingest.poll() is None, "the ingest finished before it could be killed"
            assert time.monotonic() < deadline, "the ingest did not get going"
            time.sleep(0.05)
        os.kill(ingest.pid, signal.SIGKILL)
        ingest.wait(timeout=60)
        killed_at = time.perf_counter()
        # Still serving the previous generation, whole: ready, and none of the new text.
        assert generation(site) == serving
        assert not finds(site, ADDED)
        time.sleep(1.0)
        rerun = subprocess.run(cli, env=site.env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=900)
        time.sleep(1.0)
    assert ingest.returncode == -signal.SIGKILL
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    report = json.loads(rerun.stdout)
    assert len(report["resumed"]) >= 2
    assert sorted(report["updated"]) == sorted(d.id for d in manifest.documents)
    assert report["embedded"] < report["windows"]
    assert report["generation"] == serving + 1
    assert generation(site) == serving + 1 and finds(site, ADDED)
    FIGURES["kill_9_during_update"] = {
        "resumed_documents": len(report["resumed"]),
        "windows_embedded_by_rerun": report["embedded"],
        "windows_total": report["windows"],
        "after_kill": summary(poller.between(killed_at, time.perf_counter())),
        "overall": summary(poller.results),
    }
    print(json.dumps(FIGURES["kill_9_during_update"], indent=2))
    assert [r for r in poller.results if r[2] != 200] == []


# ------------------------------------------------------------------ malformed requests


def _chunks(size: int) -> Iterator[bytes]:
    yield b'{"question": "\\u5927\\u8fde", "pad": "'
    for _ in range(size // 65536):
        yield b"x" * 65536
    yield b'"}'


def _calc(inputs: dict[str, Any] | bytes) -> dict[str, Any]:
    if isinstance(inputs, bytes):
        return {"content": inputs, "headers": {"content-type": "application/json"}}
    return {"json": {"inputs": inputs}}


def test_no_malformed_request_holds_the_server(site: Site) -> None:
    calc = "/api/calc/dalian.studio-apprentice-subsidy"
    cases: list[tuple[str, str, str, dict[str, Any], set[int]]] = [
        ("head count 1e999999", "POST", calc, _calc({"技师": "1e999999"}), {400}),
        ("head count 1e308", "POST", calc, _calc({"技师": 1e308}), {400}),
        ("head count 10^30", "POST", calc, _calc({"技师": 10**30}), {400}),
        ("4,300-digit number", "POST", calc, _calc(b'{"inputs": {"count": ' + b"9" * 4301 + b"}}"), {400, 422}),
        ("20-digit head count", "POST", calc, _calc({"技师": "9" * 20}), {400}),
        ("head count 1.5万", "POST", calc, _calc({"技师": "1.5万"}), {400}),
        (
            "question with 1,900 digits",
            "POST",
            "/api/ask",
            {"json": {"question": "大连带徒补贴技师" + "9" * 1900 + "个"}},
            {400},
        ),
        (
            "question of 2,000 characters",
            "POST",
            "/api/ask",
            {"json": {"question": ("大连技能大师工作室带徒补贴标准" * 150)[:2000]}},
            {200},
        ),
        ("2 MB JSON body", "POST", "/api/ask", {"json": {"question": "大连", "pad": "x" * 2_000_000}}, {413}),
        (
            "2 MB chunked JSON body",
            "POST",
            "/api/ask",
            {"content": _chunks(2_000_000), "headers": {"content-type": "application/json"}},
            {413},
        ),
        (
            "25 MB upload without a token",
            "POST",
            "/api/admin/documents",
            {"files": {"file": ("big.txt", b"x" * 25_000_000)}},
            {413},
        ),
        ("upload without a token", "POST", "/api/admin/documents", {"files": {"file": ("a.txt", b"x")}}, {401}),
        ("PUT on a POST endpoint", "PUT", "/api/ask", {}, {405}),
    ]
    uploads = [
        ("65 KB .docx, 3.5 M empty paragraphs", docx_with_body(b"<w:p/>" * 3_500_000)),
        (
            "340 KB .docx expanding to 300 MB",
            docx_with_body(b"<w:p><w:r><w:t>" + b"a" * 300_000_000 + b"</w:t></w:r></w:p>"),
        ),
    ]
    rows: list[dict[str, Any]] = []
    with (
        Poller(site.url, "/healthz", lambda i: None, threads=1) as probe,
        httpx.Client(base_url=site.url, timeout=120, trust_env=False) as client,
    ):
        time.sleep(0.5)
        for name, method, path, kwargs, expected in cases:
            started = time.perf_counter()
            r = client.request(method, path, **kwargs)
            rows.append({"case": name, "status": r.status_code, "ms": round((time.perf_counter() - started) * 1000)})
            assert r.status_code in expected, (name, r.status_code, r.text[:300])
            assert "Traceback" not in r.text
        for name, content in uploads:
            started = time.perf_counter()
            job = wait_for_job(
                client, client.post("/api/admin/documents", headers=AUTH, files={"file": ("x.docx", content)}), AUTH
            )
            rows.append({"case": name, "status": job["state"], "ms": round((time.perf_counter() - started) * 1000)})
            assert job["state"] == "failed" and job["error"]["error"] == "unreadable_file", job
        first = client.post("/api/ask", json={"question": "南通人才公寓租金补贴一个月多少钱", "session_id": "1"}).json()
        second = client.post("/api/ask", json={"question": "我刚才问的是什么？", "session_id": "1"}).json()
        assert "1" not in (first["session_id"], second["session_id"]) and first["session_id"] != second["session_id"]
        time.sleep(0.5)
    FIGURES["malformed_requests"] = {"cases": rows, "healthz_meanwhile": summary(probe.results)}
    print(json.dumps(FIGURES["malformed_requests"], ensure_ascii=False, indent=2))
    assert [r for r in probe.results if r[2] != 200] == []


# ------------------------------------------------------------------ Chroma server mode


def test_generations_switch_in_chroma_server_mode(chroma_server: tuple[str, int], tmp_path: Path) -> None:
    host, port = chroma_server
    shutil.copytree(REPO_ROOT / "corpus", tmp_path / "corpus")
    manifest = tmp_path / "corpus" / "manifest.yaml"
    chroma = {"mode": "server", "host": host, "port": port, "collection": "generations_test"}

    def services() -> Any:
        return build_services(
            Settings(data_dir=tmp_path / "data", manifest=manifest, chroma=chroma), embedder=FakeEmbeddings(size=64)
        )

    writer, reader = services(), services()  # two processes' worth: one ingests, one serves
    try:
        assert writer.ingestor.run(writer.manifest()).generation == 1
        assert len(reader.retriever.documents()) == 5
        text = tmp_path / "corpus" / "texts" / "dalian-2023.txt"
        current = "2000"
        for n, amount in ((2, "2100"), (3, "2200")):
            original = text.read_text(encoding="utf-8")
            text.write_text(original.replace(f"高级技师每人{current}元", f"高级技师每人{amount}元"), encoding="utf-8")
            current = amount
            report = writer.ingestor.run(writer.manifest())
            assert report.generation == n and report.updated == ["dalian-2023"] and report.copied > 0
            assert f"高级技师每人{amount}元" in reader.retriever.clause("dalian-2023/三/（七）").text
        names = sorted(
            c.name for c in writer.generations.client.list_collections() if c.name.startswith("generations_test")
        )
        assert names == ["generations_test-g1"]  # shared by the generations (windows addressed by content)
        kept = writer.store.window_ids() | reader.store.window_ids()
        assert writer.store.window_ids() <= writer.vectors.ids() and kept <= writer.vectors.ids()
    finally:
        writer.close()
        reader.close()
