"""QueryEncoder: the LRU cache of query embeddings and micro-batching of concurrent queries."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from app.embeddings import FakeEmbeddings, QueryEncoder, normalise_query


class RecordingEmbeddings(Embeddings):
    """Fake vectors from the text (deterministic), recording every model call and its size.

    ``gate`` lets a test hold the model busy while more queries arrive.
    """

    def __init__(self, gate: threading.Event | None = None, fail_on: str | None = None):
        self.fake = FakeEmbeddings(size=8)
        self.calls: list[list[str]] = []
        self.gate = gate
        self.fail_on = fail_on
        self.started = threading.Event()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.fake.embed_documents(texts)

    def _call(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        self.started.set()
        if self.gate is not None:
            self.gate.wait(10)
        if self.fail_on is not None and self.fail_on in texts:
            raise RuntimeError("model failed")
        return [self.fake.embed_query(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._call([text])[0]

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        return self._call(texts)


def expected(text: str) -> np.ndarray:
    return np.asarray(FakeEmbeddings(size=8).embed_query(normalise_query(text)), dtype=np.float32)


def in_threads(fn: Callable[[str], object], texts: list[str]) -> tuple[list[object], list[threading.Thread]]:
    results: list[object] = [None] * len(texts)

    def run(i: int) -> None:
        try:
            results[i] = fn(texts[i])
        except Exception as exc:  # noqa: BLE001 - the test inspects what each caller got
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    return results, threads


def behind_a_busy_model(
    enc: QueryEncoder,
    model: RecordingEmbeddings,
    gate: threading.Event,
    texts: list[str],
    first: str = "busy",
    while_busy: Callable[[], None] = lambda: None,
) -> tuple[object, list[object]]:
    """Keep the model busy with ``first``, queue ``texts`` behind it, then let everything run.

    Returns what the first caller and each of the others got."""
    first_result, first_thread = in_threads(enc, [first])
    assert model.started.wait(5)
    while_busy()
    results, threads = in_threads(enc, texts)
    while len(enc._queue) < len(texts):
        threading.Event().wait(0.001)
    gate.set()
    for t in first_thread + threads:
        t.join(10)
    return first_result[0], results


def test_vector_is_the_models_vector_of_the_normalised_query() -> None:
    model = RecordingEmbeddings()
    enc = QueryEncoder(model, cache_size=0)
    got = enc("  大连   带徒补贴\n标准 ")
    assert model.calls == [["大连 带徒补贴 标准"]]
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, expected("大连 带徒补贴 标准"))
    assert not got.flags.writeable  # shared with other callers: nobody may change it


def test_repeated_queries_are_served_from_the_cache() -> None:
    model = RecordingEmbeddings()
    enc = QueryEncoder(model, cache_size=10)
    first = enc("大连 带徒补贴 标准")
    again = enc("大连  带徒补贴 标准")  # the same once normalised
    assert len(model.calls) == 1
    np.testing.assert_array_equal(first, again)
    assert (enc.stats.queries, enc.stats.cache_hits, enc.stats.model_calls) == (2, 1, 1)


def test_cache_is_bounded_and_forgets_the_least_recently_used() -> None:
    model = RecordingEmbeddings()
    enc = QueryEncoder(model, cache_size=2)
    enc("a")
    enc("b")
    enc("a")  # a is now the most recent
    enc("c")  # evicts b
    calls = len(model.calls)
    enc("a")
    assert len(model.calls) == calls
    enc("b")
    assert len(model.calls) == calls + 1


def test_cache_size_zero_embeds_every_time() -> None:
    model = RecordingEmbeddings()
    enc = QueryEncoder(model, cache_size=0)
    for _ in range(3):
        enc("同一个问题")
    assert len(model.calls) == 3


def test_queries_arriving_while_the_model_is_busy_share_one_call() -> None:
    gate = threading.Event()
    model = RecordingEmbeddings(gate=gate)
    enc = QueryEncoder(model, cache_size=0, max_batch=16)
    texts = [f"问题{i}" for i in range(6)]
    first, rest = behind_a_busy_model(enc, model, gate, texts, first="第一个")
    assert model.calls[0] == ["第一个"]
    assert sorted(model.calls[1]) == sorted(texts)  # one call for all six
    assert len(model.calls) == 2
    for text, got in zip(texts, rest, strict=True):
        np.testing.assert_array_equal(got, expected(text))  # each caller gets its own vector
    np.testing.assert_array_equal(first, expected("第一个"))
    assert enc.stats.largest_batch == 6 and enc.stats.batched == 6


def test_batches_are_capped_and_duplicates_embedded_once() -> None:
    gate = threading.Event()
    model = RecordingEmbeddings(gate=gate)
    enc = QueryEncoder(model, cache_size=0, max_batch=3)
    texts = ["a", "a", "b", "c", "d"]
    _, results = behind_a_busy_model(enc, model, gate, texts)
    assert all(len(call) <= 3 for call in model.calls)
    assert sorted(t for call in model.calls[1:] for t in call) == ["a", "b", "c", "d"]
    for text, got in zip(texts, results, strict=True):
        np.testing.assert_array_equal(got, expected(text))


def test_a_lone_query_waits_for_company_only_when_asked_to() -> None:
    model = RecordingEmbeddings()
    enc = QueryEncoder(model, cache_size=0, max_batch=4, wait_ms=2000)
    results, threads = in_threads(enc, ["一", "二", "三", "四"])
    for t in threads:
        t.join(10)
    # The first query waited for the others (the batch filled up long before 2 s passed).
    assert [sorted(c) for c in model.calls] == [sorted(["一", "二", "三", "四"])]
    assert all(isinstance(r, np.ndarray) for r in results)


def test_a_failing_model_call_raises_in_every_caller_of_the_batch_and_the_encoder_recovers() -> None:
    gate = threading.Event()
    model = RecordingEmbeddings(gate=gate, fail_on="坏")
    enc = QueryEncoder(model, cache_size=10)
    _, results = behind_a_busy_model(enc, model, gate, ["坏", "好"])
    assert all(isinstance(r, RuntimeError) for r in results)
    model.fail_on = None
    np.testing.assert_array_equal(enc("好"), expected("好"))  # nothing was cached by the failed call
    model.fail_on = "好"
    assert enc("好") is not None  # …but a good vector is, once computed
    model.fail_on = "坏"
    with pytest.raises(RuntimeError):
        enc("坏")


def test_backend_without_a_batch_method_is_called_once_per_query() -> None:
    class Counting(Embeddings):
        """Only the two LangChain methods, no ``embed_queries``."""

        def __init__(self) -> None:
            self.fake, self.calls = FakeEmbeddings(size=8), 0

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return self.fake.embed_documents(texts)

        def embed_query(self, text: str) -> list[float]:
            self.calls += 1
            return self.fake.embed_query(text)

    gate = threading.Event()
    blocker = RecordingEmbeddings(gate=gate)
    enc = QueryEncoder(blocker, cache_size=0)
    counting = Counting()

    def swap() -> None:  # the batch after the busy call goes to a backend with embed_query only
        enc.embeddings = counting

    _, results = behind_a_busy_model(enc, blocker, gate, ["x", "y"], while_busy=swap)
    assert counting.calls == 2
    for text, got in zip(["x", "y"], results, strict=True):
        np.testing.assert_array_equal(got, expected(text))
