"""Integration fixtures: the real e5 model (the default ONNX Runtime engine), real Chroma, the real corpus."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.embeddings import E5OnnxEmbeddings
from app.server.launch import free_port
from app.services import Services, build_services
from app.settings import Settings
from tests.conftest import CORPUS_MANIFEST


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def e5() -> E5OnnxEmbeddings:
    return E5OnnxEmbeddings()


@pytest.fixture(scope="session")
def real_services(tmp_path_factory: pytest.TempPathFactory, e5: E5OnnxEmbeddings) -> Iterator[Services]:
    """The bundled corpus ingested once into an embedded Chroma on a temporary path."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("real") / "data", manifest=CORPUS_MANIFEST)
    services = build_services(settings, embedder=e5)
    report = services.ingestor.run(services.manifest())
    assert not report.errors, report.errors
    yield services
    services.close()


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A real `chroma run` server on loopback, stopped at the end of the session."""
    # The `chroma` command installed beside this interpreter (the venv's bin need not be on PATH).
    beside = Path(sys.executable).parent / "chroma"
    exe = str(beside) if beside.exists() else shutil.which("chroma")
    if exe is None:
        pytest.fail("the `chroma` command (from the chromadb package) is not on PATH")
    port = free_port()
    path: Path = tmp_path_factory.mktemp("chroma-server")
    log = (path / "server.log").open("w")
    proc = subprocess.Popen(
        [exe, "run", "--path", str(path / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"chroma run exited early: {(path / 'server.log').read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("chroma run did not start listening within 60 s")
        yield "127.0.0.1", port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
