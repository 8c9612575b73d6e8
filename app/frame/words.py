"""The question reader's closed-class word lists (``app/resources/question_words.yaml``)."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from ingest.yamlio import load_yaml


@lru_cache(maxsize=1)
def question_words() -> dict[str, tuple[str, ...]]:
    """The closed-class word lists of ``question_words.yaml``, each sorted longest first."""
    data = load_yaml((resources.files("app") / "resources" / "question_words.yaml").read_text(encoding="utf-8"))
    return {k: tuple(sorted((str(w) for w in v), key=len, reverse=True)) for k, v in data.items()}


def words_pattern(key: str) -> re.Pattern[str]:
    return _pattern(key)


@lru_cache(maxsize=64)
def _pattern(key: str) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(w) for w in question_words()[key]))
