"""app.cpu: the threading policy (wait policy, threads per worker, workers per core)."""

from __future__ import annotations

import os

import pytest

from app import cpu
from app.settings import Settings


def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No threading variables, and whatever apply() sets is undone after the test."""
    for key in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
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


@pytest.mark.parametrize(("name", "env"), [("passive", "PASSIVE"), ("active", "ACTIVE"), ("library", None)])
def test_wait_policy_names_map_to_openmp(name: str, env: str | None) -> None:
    policy = cpu.plan(Settings(threads={"wait_policy": name}), cores=2)
    assert policy.wait_policy == env
    assert policy.environ().get("OMP_WAIT_POLICY") == env
    assert policy.environ()["OMP_NUM_THREADS"] == str(policy.threads)
    assert policy.environ()["OPENBLAS_NUM_THREADS"] == "1"  # one matrix-vector product per query


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
