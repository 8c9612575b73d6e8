"""Text processing shared by indexing and querying, so both sides agree.

* ``to_simplified`` — Traditional→Simplified (OpenCC ``t2s``), for queries and
  for the *matching copy* of indexed text; stored clause text stays verbatim.
  Taiwan wording (證照, 台胞) is handled by the synonym table instead.
* ``Tokenizer`` — jieba in search mode with a policy-domain user dictionary and
  question-filler stopwords, for BM25.
* ``is_traditional`` — whether a question is written in Traditional script,
  so an answer can be given back in it.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from importlib import resources
from pathlib import Path

import jieba
import opencc

_RESOURCES = resources.files("ingest") / "resources"
_TOKEN = re.compile(r"[\u4e00-\u9fff]|[A-Za-z]+|\d+(?:\.\d+)?")
_PUNCT_ONLY = re.compile(r"^[\W_]+$")

jieba.setLogLevel(60)  # jieba prints its cache path at INFO on first use


@lru_cache(maxsize=4)
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    """Character-level Traditional→Simplified. (OpenCC's Taiwan *phrase* table is not used:
    it also rewrites Simplified words, e.g. 文件→文档, 什么→什幺.)"""
    return _converter("t2s").convert(text)


# Policy terms that OpenCC's Taiwan phrase table would mistranslate (文件→檔案, 高级工→高階工):
# they are converted character by character instead.
_KEEP_TERMS = ("文件", "高级工", "中级工", "初级工", "技工", "工种", "职业技能等级", "八级工")


@lru_cache(maxsize=1)
def _protected() -> re.Pattern[str]:
    words = {ln.split()[0] for ln in _read_lines("userdict.txt")} | set(_KEEP_TERMS)
    words = {w for w in words if _converter("s2twp").convert(w) != _converter("s2tw").convert(w)}
    return re.compile("|".join(sorted(map(re.escape, words), key=len, reverse=True)) or "(?!)")


def to_traditional(text: str) -> str:
    """Simplified→Traditional with Taiwan phrasing (s2twp), policy terms kept as terms."""
    parts = _protected().split(text)
    terms = _protected().findall(text)
    out = [_converter("s2twp").convert(parts[0])]
    for term, part in zip(terms, parts[1:], strict=True):
        out += [_converter("s2tw").convert(term), _converter("s2twp").convert(part)]
    return "".join(out)


def is_traditional(text: str) -> bool:
    """True when converting to Simplified changes at least one Han character."""
    han = "".join(ch for ch in text if "\u4e00" <= ch <= "\u9fff")
    if not han:
        return False
    simplified = to_simplified(han)
    changed = sum(1 for a, b in zip(han, simplified, strict=False) if a != b)
    return changed >= 1 and changed / len(han) >= 0.03


def _read_lines(name: str) -> list[str]:
    text = (_RESOURCES / name).read_text(encoding="utf-8")
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


class Tokenizer:
    """jieba search-mode tokens with the domain dictionary, minus stopwords.

    Each instance owns its own ``jieba.Tokenizer`` so that loading the user
    dictionary never touches jieba's global state.
    """

    def __init__(self, userdict: Path | None = None, stopwords: set[str] | None = None):
        self._jieba = jieba.Tokenizer()
        self._lock = threading.Lock()
        self._userdict = userdict
        self.stopwords = stopwords if stopwords is not None else set(_read_lines("stopwords.txt"))
        self._ready = False

    def _ensure_ready(self) -> None:
        with self._lock:
            if self._ready:
                return
            self._jieba.initialize()
            if self._userdict is not None:
                self._jieba.load_userdict(str(self._userdict))
            else:
                with resources.as_file(_RESOURCES / "userdict.txt") as path:
                    self._jieba.load_userdict(str(path))
            self._ready = True

    def add_word(self, word: str) -> None:
        self._ensure_ready()
        self._jieba.add_word(word)

    def words(self, text: str) -> list[str]:
        """jieba's precise segmentation with the domain dictionary: every character in exactly one word."""
        self._ensure_ready()
        return list(self._jieba.cut(text))

    def tokenize(self, text: str) -> list[str]:
        self._ensure_ready()
        tokens = []
        for tok in self._jieba.cut_for_search(text):
            tok = tok.strip().lower()
            if not tok or _PUNCT_ONLY.match(tok) or tok in self.stopwords:
                continue
            tokens.append(tok)
        return tokens


def index_text(text: str, *context: str) -> str:
    """The matching copy of a clause: context (city, titles) + Simplified text."""
    return to_simplified("\n".join([*[c for c in context if c], text]))
