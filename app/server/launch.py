"""Start and stop the service as a separate process on loopback (benchmarks, load test, tests)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from app import cpu
from app.settings import REPO_ROOT


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_service(
    data_dir: Path,
    port: int | None = None,
    workers: int | None = 1,
    *,
    env: dict[str, str] | None = None,
    log_path: Path | None = None,
    ready_timeout: float = 180.0,
) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``policy-assistant serve --no-ingest`` on loopback and wait until ``/readyz`` answers 200.

    The server's output (one access-log line per request) goes to ``log_path`` (a temporary file by
    default), never to a pipe that nobody reads: a full pipe would stall the server under load.
    """
    port = port or free_port()
    cmd = [sys.executable, "-m", "app.cli", "serve", "--no-ingest", "--host", "127.0.0.1"]
    cmd += ["--port", str(port)] + (["--workers", str(workers)] if workers else [])  # None: the service's choice
    # The service picks its own threading policy: not the one this process applied for itself.
    full_env = {**cpu.clean_environ(), "PA_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", **(env or {})}
    if log_path is None:
        fd, name = tempfile.mkstemp(prefix="pa-loadtest-", suffix=".log")
        os.close(fd)
        log_path = Path(name)
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, env=full_env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO_ROOT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
            raise RuntimeError(f"the service exited with code {proc.returncode}:\n{tail}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2, trust_env=False).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)  # the cold-start benchmark times this wait
    stop_service(proc)
    raise RuntimeError(f"the service did not become ready in {ready_timeout:.0f} s (log: {log_path})")


def stop_service(proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """Terminate the service (uvicorn stops its workers), killing it if it does not stop in time."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        import psutil  # the `eval` extra: only benchmarks and tests start the service this way

        with contextlib.suppress(psutil.Error):
            for child in psutil.Process(proc.pid).children(recursive=True):
                child.kill()
        proc.kill()
        proc.wait(timeout=timeout)
