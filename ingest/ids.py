"""Document ids from file names: readable, ASCII, and never the same for two different names.

``大连补贴.txt`` becomes ``dalian-butie`` (words by jieba, each word in pinyin),
``Policy 2025.docx`` becomes ``policy-2025``. Document ids are ASCII slugs
(they appear in URLs, Chroma metadata and clause ids), so Chinese is
transliterated rather than dropped: dropping it is what once turned every
Chinese file name into the same id.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata

import jieba

from ingest.textproc import to_simplified

MAX_SLUG_CHARS = 60
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_lock = threading.Lock()
_words: jieba.Tokenizer | None = None


def _cut(text: str) -> list[str]:
    global _words
    with _lock:  # one jieba instance of our own, loaded once; jieba's global one stays untouched
        if _words is None:
            _words = jieba.Tokenizer()
            _words.initialize()
        return list(_words.cut(text, HMM=False))


def slug(name: str) -> str:
    """A lower-case ASCII slug of ``name`` (letters, digits, single hyphens); may be empty."""
    from pypinyin import lazy_pinyin  # ~0.5 s to import: only ingests and uploads name documents

    parts: list[str] = []
    # Traditional names read the same as Simplified ones (臺灣 → taiwan), and split into words better.
    for word in _cut(to_simplified(unicodedata.normalize("NFKC", name))):
        if _HAN.search(word):
            word = "".join(lazy_pinyin(word))
        ascii_word = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
        parts.append(ascii_word.lower())
    text = re.sub(r"[^a-z0-9]+", "-", " ".join(parts)).strip("-")
    return text[:MAX_SLUG_CHARS].rstrip("-")


def short_hash(data: bytes | str, n: int = 8) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()[:n]
