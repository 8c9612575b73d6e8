"""Where a figure was measured: the CPU model and its vector extensions, not only the core count.

The same code ran the e5 encoder about three times faster on one 2-core machine of this
workplace than on another (29 vs 8 passages/s): the faster one had AVX-512 VNNI, which the
int8/4-bit kernels use. A report that says only "2 cores" cannot be compared across runs,
so every report (bench, load, scaling, eval) takes its machine line from here.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

# The extensions that change what the quantised matrix kernels can do, fastest last.
VECTOR_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8")


def _cpuinfo(path: Path = Path("/proc/cpuinfo")) -> dict[str, str]:
    """The first processor's fields (Linux); empty elsewhere."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if fields:
                break
            continue
        key, _, value = line.partition(":")
        fields.setdefault(key.strip().lower(), value.strip())
    return fields


def cpu_model(cpuinfo: dict[str, str] | None = None) -> str:
    info = _cpuinfo() if cpuinfo is None else cpuinfo
    return info.get("model name") or info.get("cpu model") or platform.processor() or platform.machine()


def vector_extensions(cpuinfo: dict[str, str] | None = None) -> list[str]:
    """The :data:`VECTOR_FLAGS` this CPU reports, in that order (``flags`` on x86, ``features`` on Arm)."""
    info = _cpuinfo() if cpuinfo is None else cpuinfo
    have = set((info.get("flags") or info.get("features") or "").split())
    return [f for f in VECTOR_FLAGS if f in have]


def _cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def describe(cpuinfo: dict[str, str] | None = None) -> dict[str, Any]:
    import psutil

    info = _cpuinfo() if cpuinfo is None else cpuinfo
    return {
        "cpu": cpu_model(info),
        "vector_extensions": vector_extensions(info),
        "cores": _cores(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


def summary(m: dict[str, Any] | None = None) -> str:
    """One line for a report header: ``AMD EPYC (avx2, avx512_vnni), 2 cores, 23.4 GB, Linux 6.1, Python 3.11.7``."""
    m = describe() if m is None else m
    isa = m.get("vector_extensions") or []
    cpu = str(m.get("cpu") or "unknown CPU") + (f" ({', '.join(isa)})" if isa else "")
    parts = [cpu, f"{m.get('cores', '?')} cores"]
    if m.get("memory_gb") is not None:
        parts.append(f"{m['memory_gb']} GB")
    if m.get("os"):
        parts.append(str(m["os"]))
    if m.get("python"):
        parts.append(f"Python {m['python']}")
    return ", ".join(parts)
