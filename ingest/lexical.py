"""The lexical index: BM25 (``bm25s``) over jieba tokens of every clause.

Rebuilt from the clause store whenever it changes (tokenising the bundled
corpus takes well under a second) and saved beside it. A save goes to a
temporary directory that then replaces the old one, so a crash never leaves
a half-written index behind.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np

from ingest.textproc import Tokenizer

_IDS = "clause_ids.json"


@dataclass(frozen=True)
class LexicalHit:
    clause_id: str
    score: float


class LexicalIndex:
    """BM25 over clauses; ``clause_ids[i]`` is the clause of row ``i``."""

    def __init__(self, model: bm25s.BM25 | None, clause_ids: list[str], generation: int, tokenizer: Tokenizer):
        self._model = model
        self.clause_ids = clause_ids
        self.generation = generation
        self.tokenizer = tokenizer
        self._row = {cid: i for i, cid in enumerate(clause_ids)}
        self._vocab: set[str] = set(model.vocab_dict) if model is not None else set()

    @classmethod
    def build(cls, items: list[tuple[str, str]], generation: int, tokenizer: Tokenizer) -> LexicalIndex:
        """``items`` are (clause_id, matching text) pairs."""
        if not items:
            return cls(None, [], generation, tokenizer)
        corpus = [tokenizer.tokenize(text) or ["∅"] for _, text in items]
        model = bm25s.BM25(k1=1.2, b=0.75)
        model.index(corpus, show_progress=False)
        return cls(model, [cid for cid, _ in items], generation, tokenizer)

    def save(self, directory: Path) -> None:
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".bm25-", dir=directory.parent))
        try:
            if self._model is not None:
                self._model.save(str(tmp), show_progress=False)
            (tmp / _IDS).write_text(
                json.dumps({"generation": self.generation, "clause_ids": self.clause_ids}, ensure_ascii=False),
                encoding="utf-8",
            )
            old = directory.with_name(directory.name + ".old")
            shutil.rmtree(old, ignore_errors=True)  # left by an interrupted save
            if directory.exists():
                directory.rename(old)
            tmp.rename(directory)
            shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    @classmethod
    def load(cls, directory: Path, tokenizer: Tokenizer) -> LexicalIndex | None:
        ids_file = directory / _IDS
        if not ids_file.exists():
            return None
        info = json.loads(ids_file.read_text(encoding="utf-8"))
        model = None
        if info["clause_ids"]:
            model = bm25s.BM25.load(str(directory), show_progress=False, verbosity=0)
        return cls(model, info["clause_ids"], int(info["generation"]), tokenizer)

    def query_tokens(self, text: str) -> list[str]:
        return [t for t in self.tokenizer.tokenize(text) if t in self._vocab]

    def scores(self, tokens: list[str]) -> dict[str, float]:
        """BM25 score of every clause with a positive score."""
        known = [t for t in tokens if t in self._vocab]
        if self._model is None or not known:
            return {}
        raw = self._model.get_scores(known)
        nz = np.nonzero(raw > 0)[0]
        return {self.clause_ids[i]: float(raw[i]) for i in nz}

    def search(self, tokens: list[str], n: int, allowed: set[str] | None = None) -> list[LexicalHit]:
        scored = self.scores(tokens)
        if allowed is not None:
            scored = {cid: s for cid, s in scored.items() if cid in allowed}
        best = sorted(scored.items(), key=lambda kv: (-kv[1], self._row[kv[0]]))[:n]
        return [LexicalHit(cid, s) for cid, s in best]
