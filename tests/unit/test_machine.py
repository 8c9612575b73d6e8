"""The machine line every report carries: CPU model and vector extensions from /proc/cpuinfo."""

from __future__ import annotations

from pathlib import Path

from evaluation import machine

CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 9004
flags\t\t: fpu sse4_2 avx avx2 fma avx512f avx512_vnni avx_vnni

processor\t: 1
model name\t: something else
flags\t\t: fpu
"""


def test_reads_the_first_processor(tmp_path: Path) -> None:
    path = tmp_path / "cpuinfo"
    path.write_text(CPUINFO)
    info = machine._cpuinfo(path)
    assert machine.cpu_model(info) == "AMD EPYC 9004"
    assert machine.vector_extensions(info) == ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni"]


def test_arm_features_and_missing_file(tmp_path: Path) -> None:
    assert machine.vector_extensions({"features": "fp asimd sve"}) == []
    assert machine._cpuinfo(tmp_path / "absent") == {}
    assert machine.cpu_model({})  # falls back to platform, never empty


def test_summary_names_cpu_isa_and_cores() -> None:
    m = {
        "cpu": "AMD EPYC",
        "vector_extensions": ["avx2", "avx512_vnni"],
        "cores": 2,
        "memory_gb": 23.4,
        "os": "Linux 6.1",
        "python": "3.11.7",
    }
    assert machine.summary(m) == "AMD EPYC (avx2, avx512_vnni), 2 cores, 23.4 GB, Linux 6.1, Python 3.11.7"
    assert machine.summary({"cpu": "x86_64", "cores": 2}) == "x86_64, 2 cores"


def test_describe_reads_this_machine() -> None:
    m = machine.describe()
    assert m["cores"] >= 1 and m["memory_gb"] > 0 and m["cpu"]
    assert set(m["vector_extensions"]) <= set(machine.VECTOR_FLAGS)
