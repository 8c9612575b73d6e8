"""The product package never loads the evaluation runners or their dependencies (the ``eval`` extra)."""

from __future__ import annotations

import json
import subprocess
import sys

from app.settings import REPO_ROOT

EVALUATION_ONLY = ("evaluation", "matplotlib", "psutil", "langchain_chroma", "langchain_text_splitters")


def test_product_modules_import_nothing_from_evaluation() -> None:
    # A fresh interpreter in which the evaluation-only modules cannot be imported at all (as without the
    # extra); libraries that merely *try* them (opentelemetry tries psutil) carry on without.
    code = (
        "import importlib.abc, json, sys\n"
        f"BLOCKED = {EVALUATION_ONLY!r}\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in BLOCKED:\n"
        "            raise ImportError(f'blocked: {name}')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import app.cli, app.services, app.server.app, app.server.launch, ingest.pipeline\n"
        "print(json.dumps([m for m in BLOCKED if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_evaluation_extra_lists_what_the_runners_import() -> None:
    import tomllib

    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = " ".join(project["dependencies"])
    extra = " ".join(project["optional-dependencies"]["eval"])
    for name in ("matplotlib", "psutil", "langchain-chroma", "langchain-text-splitters"):
        assert name in extra
        assert name not in runtime
