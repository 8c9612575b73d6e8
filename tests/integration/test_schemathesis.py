"""A bounded schemathesis run against the live service: every operation, admin token set.

The service is a real ``policy-assistant serve`` process on loopback over the real
corpus. Its embedder is the deterministic fake one: schemathesis calls
``POST /api/admin/ingest?force=true`` again and again, and each forced ingest
with the real model takes half a minute (the real model is exercised by every
other service test). Every check runs (no server errors, status codes, content
types, headers and bodies as the schema declares them, invalid data rejected,
unsupported methods answered 405 with ``Allow``); ``schemathesis.toml`` beside
this file lists the business-rule 4xx statuses that answer schema-valid data.
The run is deterministic and bounded (30 examples per operation and phase:
about a minute on a quiet machine, two on a busy one).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.embeddings import FakeEmbeddings
from app.server.launch import start_service, stop_service
from app.services import build_services
from app.settings import Settings
from tests.conftest import CORPUS_MANIFEST

TOKEN = "schemathesis-admin-token"
CONFIG = Path(__file__).with_name("schemathesis.toml")


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("schemathesis") / "data"
    settings = Settings(data_dir=data, manifest=CORPUS_MANIFEST, embedding={"backend": "fake"})
    services = build_services(settings, embedder=FakeEmbeddings(size=384))
    assert not services.ingestor.run(services.manifest()).errors
    services.close()
    env = {"PA_EMBEDDING__BACKEND": "fake", "PA_SERVER__ADMIN_TOKEN": TOKEN, "PA_SERVER__UI": "false"}
    proc, url = start_service(data, env=env, log_path=data.parent / "server.log")
    # Start the index worker's child once, so no case waits for its interpreter to start.
    warm = httpx.post(f"{url}/api/admin/ingest", headers={"X-Admin-Token": TOKEN}, timeout=300, trust_env=False)
    assert warm.status_code == 200, warm.text
    try:
        yield url
    finally:
        stop_service(proc)
        log = (data.parent / "server.log").read_text(encoding="utf-8", errors="replace")
        assert "Traceback" not in log, log[-3000:]


def test_schemathesis_finds_no_server_error_and_no_schema_violation(live_url: str) -> None:
    paths = httpx.get(f"{live_url}/openapi.json", timeout=30).json()["paths"]
    operations = sum(len(methods) for methods in paths.values())
    exe = Path(sys.executable).parent / "schemathesis"
    cmd = [str(exe), "--config-file", str(CONFIG), "--no-color", "run", f"{live_url}/openapi.json"]
    cmd += ["--header", f"X-Admin-Token: {TOKEN}", "--max-examples", "30", "--workers", "1"]
    cmd += ["--generation-deterministic", "--request-timeout", "120"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    print(done.stdout[-4000:])
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert f"Selected: {operations}/{operations}" in done.stdout and f"Tested: {operations}" in done.stdout
    counts = re.search(r"(\d+) generated, (\d+) passed", done.stdout)
    assert counts and int(counts[1]) > 0 and counts[1] == counts[2], done.stdout[-2000:]
