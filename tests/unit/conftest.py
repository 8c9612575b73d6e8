"""Fixtures shared by the unit tests that need the real corpus indexed (with the fake embedder)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.embeddings import FakeEmbeddings
from app.retrieval import HybridRetriever
from app.services import Services, build_services
from app.settings import REPO_ROOT, Settings


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """The real corpus ingested once per test module, exactly as ``fake_services`` would be."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("ingested") / "data",
        manifest=REPO_ROOT / "corpus" / "manifest.yaml",
        embedding={"backend": "fake"},
    )
    services = build_services(settings, embedder=FakeEmbeddings(size=64))
    report = services.ingestor.run(services.manifest())
    assert report.errors == [] and len(report.added) == 5
    yield services
    services.close()


@pytest.fixture(scope="module")
def lexical_retriever(ingested: Services) -> HybridRetriever:
    """The same index ranked by BM25 alone: the fake embedder's dense scores are noise."""
    r = ingested.settings.retrieval
    return HybridRetriever(
        ingested.store,
        ingested.vectors,
        ingested.tokenizer,
        ingested.generation.bm25_dir,
        candidates=r.candidates,
        rrf_k=r.rrf_k,
        fusion="relative",
        bm25_weight=1.0,
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """The metamorphic suite's figures (exact rate, wrong totals by class), whatever the outcome."""
    from tests.metamorphic.runner import SUMMARY

    lines = config.stash.get(SUMMARY, [])
    if lines:
        terminalreporter.section("metamorphic")
        for line in lines:
            terminalreporter.write_line(line)
