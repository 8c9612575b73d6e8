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

import hashlib
import json
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import jieba
import numpy as np
import opencc

from ingest import cachefiles

if TYPE_CHECKING:  # the part-of-speech tagger is imported when first used: its tables take ~0.5 s to import
    import jieba.posseg

_RESOURCES = resources.files("ingest") / "resources"
_TOKEN = re.compile(r"[\u4e00-\u9fff]|[A-Za-z]+|\d+(?:\.\d+)?")
_PUNCT_ONLY = re.compile(r"^[\W_]+$")

jieba.setLogLevel(60)  # jieba prints its cache path at INFO on first use


@lru_cache(maxsize=4)
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


@lru_cache(maxsize=4)
def _key_runs(config: str) -> re.Pattern[str]:
    """Runs of characters that occur in some key of the conversion's dictionaries.

    OpenCC converts by longest dictionary match, and no match can contain a character that is
    in no key, so converting only these runs gives exactly its output. In policy text about one
    Han character in seven is such a character: the rest is copied without OpenCC's per-character work.
    """
    keys: set[str] = set()

    def collect(dictionaries: object) -> None:
        if isinstance(dictionaries, list):
            for d in dictionaries:
                collect(d)
        else:
            keys.update(ch for key in dictionaries[2] for ch in key)  # type: ignore[index]

    converter = _converter(config)
    converter.convert("")  # loads the dictionaries
    collect(converter._dict_chain_data)
    return re.compile("[" + "".join(re.escape(ch) for ch in sorted(keys)) + "]+")


@lru_cache(maxsize=65536)
def _simplified_run(run: str) -> str:
    return _converter("t2s").convert(run)  # runs are short and repeat: 为, 发, 于, 台湾 …


def _simplified_match(m: re.Match[str]) -> str:
    return _simplified_run(m.group())


@lru_cache(maxsize=8192)
def _to_simplified_short(text: str) -> str:
    return _key_runs("t2s").sub(_simplified_match, text)


def to_simplified(text: str) -> str:
    """Character-level Traditional→Simplified. (OpenCC's Taiwan *phrase* table is not used:
    it also rewrites Simplified words, e.g. 文件→文档, 什么→什幺.) Short texts — queries,
    sentences — are remembered: the same ones come back with every question."""
    if len(text) <= 256:
        return _to_simplified_short(text)
    return _key_runs("t2s").sub(_simplified_match, text)


# Policy terms that OpenCC's Taiwan phrase table would mistranslate (文件→檔案, 高级工→高階工, 通过考核→
# 透過考核, 审核→稽核, 竞赛项目→競賽專案, 按程序→按程式): they are converted character by character instead.
_KEEP_TERMS = (
    "文件",
    "高级工",
    "中级工",
    "初级工",
    "高级技师",
    "技工",
    "工种",
    "职业技能等级",
    "八级工",
    "通过",
    "审核",
    "项目",
    "程序",
    "支持",
)


@lru_cache(maxsize=1)
def _protected() -> re.Pattern[str]:
    words = {ln.split()[0] for ln in _read_lines("userdict.txt")} | set(_KEEP_TERMS)
    words = {w for w in words if _converter("s2twp").convert(w) != _converter("s2tw").convert(w)}
    return re.compile("|".join(sorted(map(re.escape, words), key=len, reverse=True)) or "(?!)")


def to_traditional(text: str) -> str:
    """Simplified→Traditional with Taiwan phrasing (s2twp), policy terms kept as terms. Short texts
    (an answer's segments, warnings, follow-up questions) are remembered: they repeat across answers,
    and each costs about half a millisecond of OpenCC."""
    if len(text) <= 256:
        return _to_traditional_short(text)
    return _to_traditional(text)


@lru_cache(maxsize=8192)
def _to_traditional_short(text: str) -> str:
    return _to_traditional(text)


def _to_traditional(text: str) -> str:
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


@dataclass(frozen=True)
class _Dictionary:
    """jieba's prefix dictionary with a user dictionary loaded: what ``initialize`` and
    ``load_userdict`` compute (about a second), shared read-only by the tokenizers that use it."""

    freq: dict[str, int]
    total: int
    user_tags: dict[str, str]


@lru_cache(maxsize=4)
def _dictionary_key(userdict: str | None) -> str:
    """What the dictionary is made of (jieba, its main dictionary, the user dictionary), as a cache key."""
    with resources.as_file(_RESOURCES / "userdict.txt") as bundled, jieba.Tokenizer().get_dict_file() as main:
        user = Path(userdict) if userdict is not None else bundled
        digest = hashlib.sha256(user.read_bytes()).hexdigest()
        return cachefiles.key(jieba.__version__, Path(main.name), digest)


@lru_cache(maxsize=4)
def _dictionary(userdict: str | None) -> _Dictionary:
    """jieba's prefix dictionary with the user dictionary loaded, from the cache folder when it is there."""
    path = cachefiles.cache_dir() / f"jieba-{_dictionary_key(userdict)}.bin"

    def make() -> bytes:
        with resources.as_file(_RESOURCES / "userdict.txt") as bundled:
            return _pack(_load_dictionary(userdict if userdict is not None else str(bundled)))

    try:
        return _unpack(cachefiles.cached(path, make))
    except (ValueError, KeyError, UnicodeDecodeError):  # a damaged file: made again
        path.unlink(missing_ok=True)
        return _unpack(cachefiles.cached(path, make))


class _TagMemo:
    """(word, part of speech) of the texts tagged before, kept in the cache folder, per dictionary.

    Loading the tagger costs a start-up ~0.4 s (``jieba.posseg`` and its word table), and what a
    service tags as it starts (the conditions of the extracted rules) is the same from one start to
    the next: with the memo the tagger is not loaded at all. Texts are tagged by jieba all the same
    the first time; a memo that cannot be read is started afresh.
    """

    LIMIT = 20_000  # texts kept (the memo is read whole at the first tag)

    def __init__(self, path: Path):
        self.path = path
        self._tags: dict[str, list[tuple[str, str]]] | None = None
        self._lock = threading.Lock()

    def get(self, text: str) -> list[tuple[str, str]] | None:
        with self._lock:
            if self._tags is None:
                self._tags = self._read()
            hit = self._tags.get(text)
        return list(hit) if hit is not None else None

    def put(self, text: str, tags: list[tuple[str, str]]) -> None:
        with self._lock:
            if self._tags is None:
                self._tags = self._read()
            if len(self._tags) >= self.LIMIT:
                return
            self._tags[text] = tags
            data = json.dumps(self._tags, ensure_ascii=False).encode("utf-8")
        cachefiles.write(self.path, data)

    def _read(self) -> dict[str, list[tuple[str, str]]]:
        try:
            raw = json.loads(self.path.read_bytes())
            return {str(t): [(str(w), str(p)) for w, p in tags] for t, tags in raw.items()}
        except (OSError, ValueError, TypeError, AttributeError):
            return {}


@lru_cache(maxsize=4)
def _tag_memo(userdict: str | None) -> _TagMemo:
    return _TagMemo(cachefiles.cache_dir() / f"jieba-pos-{_dictionary_key(userdict)}.json")


def _load_dictionary(userdict: str) -> _Dictionary:
    loader = jieba.Tokenizer()
    loader.initialize()
    loader.load_userdict(userdict)
    return _Dictionary(loader.FREQ, loader.total, dict(loader.user_word_tag_tab))


# The dictionary as a file of our own: jieba's cache is a marshal of the dict, which takes ~1.5 s to read
# on the bench machine; the words joined by newlines and their counts as an array read in ~0.45 s.
def _pack(d: _Dictionary) -> bytes:
    words = "\n".join(d.freq).encode("utf-8")
    head = json.dumps({"total": d.total, "user_tags": d.user_tags, "words": len(words)}, ensure_ascii=False).encode()
    counts = np.fromiter(d.freq.values(), dtype=np.int64, count=len(d.freq)).tobytes()
    return len(head).to_bytes(8, "little") + head + words + counts


def _unpack(data: bytes) -> _Dictionary:
    n = int.from_bytes(data[:8], "little")
    head = json.loads(data[8 : 8 + n])
    end = 8 + n + head["words"]
    words = data[8 + n : end].decode("utf-8").split("\n")
    counts = np.frombuffer(data, dtype=np.int64, offset=end).tolist()
    if len(words) != len(counts):
        raise ValueError("a damaged jieba dictionary cache")
    return _Dictionary(dict(zip(words, counts, strict=True)), head["total"], head["user_tags"])


@lru_cache(maxsize=4)
def _word_tags(dict_file: str | None) -> dict[str, str]:
    """word → part of speech of jieba's main dictionary (what ``POSTokenizer.load_word_tag`` reads,
    line by line, in ~0.6 s): every line is ``word frequency tag``."""
    tokenizer = jieba.Tokenizer() if dict_file is None else jieba.Tokenizer(dict_file)
    with tokenizer.get_dict_file() as f:
        fields = f.read().decode("utf-8").split()
    if len(fields) % 3:
        raise ValueError(f"jieba's dictionary {dict_file or '(default)'} is not 'word frequency tag' lines")
    return dict(zip(fields[0::3], fields[2::3], strict=True))


def _import_posseg() -> None:
    """Import ``jieba.posseg`` without the ~1 s its module-level tagger spends reading jieba's
    dictionary line by line: during the import it reads nothing, then gets the same table from
    :func:`_word_tags` (shared, ~0.3 s, once per process)."""
    import importlib
    import io
    import sys

    if "jieba.posseg" in sys.modules:
        return
    original = jieba.Tokenizer.get_dict_file
    jieba.Tokenizer.get_dict_file = lambda self: io.BytesIO(b"")  # type: ignore[method-assign]
    try:
        posseg = importlib.import_module("jieba.posseg")
    finally:
        jieba.Tokenizer.get_dict_file = original  # type: ignore[method-assign]
    posseg.dt.word_tag_tab = dict(_word_tags(None))


def _pos_tokenizer(tokenizer: jieba.Tokenizer) -> jieba.posseg.POSTokenizer:
    _import_posseg()
    import jieba.posseg

    class POSTokenizer(jieba.posseg.POSTokenizer):  # type: ignore[misc]
        def load_word_tag(self, f: object) -> None:
            f.close()  # type: ignore[attr-defined]
            default = self.tokenizer.dictionary == jieba.DEFAULT_DICT
            self.word_tag_tab = dict(_word_tags(None if default else self.tokenizer.dictionary))

    return POSTokenizer(tokenizer)


class Tokenizer:
    """jieba search-mode tokens with the domain dictionary, minus stopwords.

    Each instance owns its own ``jieba.Tokenizer`` so that loading the user
    dictionary never touches jieba's global state. The loaded dictionary itself
    is shared by the instances of one process with the same user dictionary
    (loading it is most of a second); ``add_word`` gives an instance its own copy.
    """

    def __init__(self, userdict: Path | None = None, stopwords: set[str] | None = None):
        self._jieba = jieba.Tokenizer()
        self._lock = threading.Lock()
        self._userdict = userdict
        self.stopwords = stopwords if stopwords is not None else set(_read_lines("stopwords.txt"))
        self._ready = False
        self._shared = False
        self._added: list[str] = []
        self._memo: dict[str, tuple[str, ...]] = {}
        self._words_memo: dict[str, tuple[str, ...]] = {}
        self._pos: jieba.posseg.POSTokenizer | None = None

    def _ensure_ready(self) -> None:
        with self._lock:
            if self._ready:
                return
            shared = _dictionary(None if self._userdict is None else str(self._userdict))
            j = self._jieba
            j.FREQ, j.total, j.user_word_tag_tab = shared.freq, shared.total, dict(shared.user_tags)
            j.initialized = True
            self._shared = True
            self._ready = True

    def add_word(self, word: str) -> None:
        self._ensure_ready()
        with self._lock:
            if self._shared:  # the process's shared dictionary stays as loaded
                self._jieba.FREQ = dict(self._jieba.FREQ)
                self._shared = False
        self._jieba.add_word(word)
        self._added.append(word)
        self._memo.clear()
        self._words_memo.clear()

    @property
    def signature(self) -> str:
        """Changes whenever the tokens of some text could: jieba, the dictionary, stopwords, added words."""
        h = hashlib.sha256(jieba.__version__.encode())
        if self._userdict is not None:
            h.update(Path(self._userdict).read_bytes())
        else:
            h.update((_RESOURCES / "userdict.txt").read_bytes())
        for part in (sorted(self.stopwords), self._added):
            h.update("\x1f".join(part).encode("utf-8") + b"\x1e")
        return h.hexdigest()

    def words(self, text: str) -> list[str]:
        """jieba's precise segmentation with the domain dictionary: every character in exactly one word.
        Short texts (the question, read by the frame more than once) are remembered, as in ``tokenize``."""
        if len(text) <= 256:
            hit = self._words_memo.get(text)
            if hit is not None:
                return list(hit)
        self._ensure_ready()
        words = list(self._jieba.cut(text))
        if len(text) <= 256:
            if len(self._words_memo) >= 20000:
                self._words_memo.clear()
            self._words_memo[text] = tuple(words)
        return words

    def tagged(self, text: str) -> list[tuple[str, str]]:
        """(word, part of speech) of jieba's precise segmentation with the domain dictionary (remembered
        between runs: ``_TagMemo``)."""
        memo = _tag_memo(None if self._userdict is None else str(self._userdict)) if not self._added else None
        if memo is not None and (hit := memo.get(text)) is not None:
            return hit
        self._ensure_ready()
        with self._lock:
            if self._pos is None:
                self._pos = _pos_tokenizer(self._jieba)
        tags = [(w.word, w.flag) for w in self._pos.cut(text)]
        if memo is not None:
            memo.put(text, tags)
        return tags

    def tokenize(self, text: str) -> list[str]:
        # Short texts (questions, sentences of the clauses an answer quotes) come back with every
        # question: their tokens are remembered. A copy is returned, callers may change it.
        if len(text) <= 256:
            hit = self._memo.get(text)
            if hit is not None:
                return list(hit)
        self._ensure_ready()
        tokens = []
        for tok in self._jieba.cut_for_search(text):
            tok = tok.strip().lower()
            if not tok or _PUNCT_ONLY.match(tok) or tok in self.stopwords:
                continue
            tokens.append(tok)
        if len(text) <= 256:
            if len(self._memo) >= 20000:
                self._memo.clear()
            self._memo[text] = tuple(tokens)
        return tokens


def index_text(text: str, *context: str) -> str:
    """The matching copy of a clause: context (city, titles) + Simplified text."""
    return to_simplified("\n".join([*[c for c in context if c], text]))
