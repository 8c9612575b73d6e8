"""The lexical index: BM25 (``bm25s``) over jieba tokens of every clause.

Rebuilt from the clause store whenever it changes and saved beside it. A save
goes to a temporary directory that then replaces the old one, so a crash never
leaves a half-written index behind.

Rebuilding is incremental where it costs: the matching copy (Simplified
conversion) and the jieba tokens of each clause are cached by a hash of the
clause's content and context (``TokenCache``, saved with the index), so
updating one document of a 50k-clause index converts and tokenises only that
document; BM25 statistics (document frequencies, lengths) are then recomputed
from the cached token ids, which takes seconds, not minutes.

Scoring works on arrays: ``score_rows`` scores every clause once; ``search``
takes the top ``n`` by partial selection.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np
import scipy.sparse

from ingest.textproc import Tokenizer, index_text, to_simplified

_IDS = "clause_ids.json"
_TOKENS = "tokens.npz"
_TERMS = "terms.json"  # see TermStats
_ROW_KEYS = "row_keys.npy"  # the content key of each row, so the next build reuses rows without their text
# Bump when what a clause is tokenised from changes (index_text, the "∅" placeholder, …).
_CACHE_VERSION = "1"
_EMPTY = "∅"  # a clause without tokens still gets a row


@dataclass(frozen=True)
class LexicalHit:
    clause_id: str
    score: float


def top_indices(scores: np.ndarray, n: int, candidates: np.ndarray | None = None) -> np.ndarray:
    """The ``n`` best of ``candidates`` (ascending indices; default: every finite score), best first,
    ties by index — what a full sort by (-score, index) would keep, by partial selection."""
    idx = np.flatnonzero(np.isfinite(scores)) if candidates is None else candidates
    if n < 1:
        return idx[:0]
    if len(idx) > n:
        vals = scores[idx]
        kth = np.partition(vals, len(vals) - n)[len(vals) - n]  # the n-th largest
        above = idx[vals > kth]
        idx = np.concatenate([above, idx[vals == kth][: n - len(above)]])
    return idx[np.lexsort((idx, -scores[idx]))]


def content_key(text: str, context: Sequence[str] = ()) -> bytes:
    """What a clause's tokens are cached under: its text and the context it is indexed with."""
    h = hashlib.blake2b(digest_size=16)
    for part in (_CACHE_VERSION, *context, text):
        h.update(part.encode("utf-8"))
        h.update(b"\x1f")
    return h.digest()


def _split_keys(keys: np.ndarray) -> list[bytes]:
    """16-byte keys from an "S16" array, whole (``bytes(k)`` of an element drops trailing zero bytes)."""
    raw = keys.tobytes()
    return [raw[i : i + 16] for i in range(0, len(raw), 16)]


def _take_rows(offsets: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions in the flat arrays of the given rows, one after the other, and each row's length."""
    starts = offsets[rows]
    sizes = offsets[rows + 1] - starts
    if not len(rows):
        return np.zeros(0, dtype=np.int64), sizes
    # Row r contributes starts[r], starts[r] + 1, …: a running index shifted at each row's start.
    shift = np.repeat(starts - (np.cumsum(sizes) - sizes), sizes)
    return np.arange(int(sizes.sum()), dtype=np.int64) + shift, sizes


class TokenCache:
    """Each indexed clause's distinct token ids and their counts, by content key, with the vocabulary;
    saved beside the index (counts are all BM25 needs, and smaller than the token sequence).

    Held as it is saved, flat: the rows' ids and counts end to end with an offset per row, and a
    dict from key to row, so that loading 50k clauses, gathering them in the index's order and
    forgetting the ones gone are array operations (a dict of 50k array pairs cost about a hundred
    milliseconds an update, most of it in saving). ``_row`` keeps its keys in row order. Clauses
    tokenised in this run wait in ``_new`` until the next gather.

    Only valid for the tokenizer it was made with (``Tokenizer.signature``): a different
    dictionary or stopword list starts an empty cache.
    """

    def __init__(self, signature: str):
        self.signature = signature
        self.vocab: list[str] = []
        self._vocab_id: dict[str, int] = {}
        self._row: dict[bytes, int] = {}
        self._offsets = np.zeros(1, dtype=np.int64)
        self._ids = np.zeros(0, dtype=np.int32)
        self._counts = np.zeros(0, dtype=np.int32)
        self._new: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._row) + len(self._new)

    def __contains__(self, key: bytes) -> bool:
        return key in self._row or key in self._new

    def ids(self, tokens: Iterable[str]) -> np.ndarray:
        out = []
        for t in tokens:
            i = self._vocab_id.get(t)
            if i is None:
                i = self._vocab_id[t] = len(self.vocab)
                self.vocab.append(t)
            out.append(i)
        return np.asarray(out, dtype=np.int32)

    def lookup(self, key: bytes) -> bool:
        """Whether ``key`` is cached, counted as a hit or a miss."""
        found = key in self
        if found:
            self.hits += 1
        else:
            self.misses += 1
        return found

    def get(self, key: bytes) -> tuple[np.ndarray, np.ndarray] | None:
        """One clause's (token ids, counts), or None; counted as a hit or a miss."""
        if not self.lookup(key):
            return None
        if key in self._new:
            return self._new[key]
        r = self._row[key]
        a, b = int(self._offsets[r]), int(self._offsets[r + 1])
        return self._ids[a:b], self._counts[a:b]

    def put(self, key: bytes, entry: tuple[np.ndarray, np.ndarray]) -> None:
        if key in self._row:  # the same content again: the stored row stands
            return
        self._new[key] = entry

    def _consolidate(self) -> None:
        """Move ``_new`` into the flat arrays."""
        if not self._new:
            return
        new_keys = list(self._new)
        entries = [self._new[k] for k in new_keys]
        sizes = np.fromiter((len(i) for i, _ in entries), dtype=np.int64, count=len(entries))
        self._offsets = np.concatenate([self._offsets, self._offsets[-1] + np.cumsum(sizes)])
        self._ids = np.concatenate([self._ids, *(i for i, _ in entries)]).astype(np.int32, copy=False)
        self._counts = np.concatenate([self._counts, *(c for _, c in entries)]).astype(np.int32, copy=False)
        first = len(self._row)
        self._row.update(zip(new_keys, range(first, first + len(new_keys)), strict=True))
        self._new = {}

    def gather(self, keys: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The token ids and counts of ``keys``' clauses end to end, and each clause's number of distinct
        tokens; a key that is not cached raises ``KeyError``."""
        self._consolidate()
        rows = np.fromiter((self._row[k] for k in keys), dtype=np.int64, count=len(keys))
        where, sizes = _take_rows(self._offsets, rows)
        return self._ids[where], self._counts[where], sizes

    def keep_only(self, keys: Iterable[bytes]) -> None:
        """Forget clauses that are no longer indexed (the cache does not grow without bound); the
        ones kept are stored in the order given (duplicates once)."""
        self._consolidate()
        kept = [k for k in dict.fromkeys(keys) if k in self._row]
        rows = np.fromiter((self._row[k] for k in kept), dtype=np.int64, count=len(kept))
        where, sizes = _take_rows(self._offsets, rows)
        self._ids, self._counts = self._ids[where], self._counts[where]
        self._offsets = np.zeros(len(kept) + 1, dtype=np.int64)
        np.cumsum(sizes, out=self._offsets[1:])
        self._row = dict(zip(kept, range(len(kept)), strict=True))

    def save(self, path: Path) -> None:
        self._consolidate()
        with path.open("wb") as f:
            np.savez(
                f,
                signature=np.array(self.signature),
                vocab=np.array(json.dumps(self.vocab, ensure_ascii=False)),
                keys=np.frombuffer(b"".join(self._row), dtype="S16") if self._row else np.zeros(0, dtype="S16"),
                offsets=self._offsets,
                ids=self._ids,
                counts=self._counts,
            )

    @classmethod
    def load(cls, path: Path, signature: str) -> TokenCache:
        cache = cls(signature)
        if not path.is_file():
            return cache
        try:
            with np.load(path, allow_pickle=False) as data:
                if str(data["signature"]) != signature:
                    return cache
                vocab = json.loads(str(data["vocab"]))
                keys, offsets, ids, counts = data["keys"], data["offsets"], data["ids"], data["counts"]
            n = len(keys)
            consistent = (
                isinstance(vocab, list)
                and offsets.ndim == 1
                and len(offsets) == n + 1
                and len(ids) == len(counts) == int(offsets[-1])
                and int(offsets[0]) == 0
                and bool(np.all(np.diff(offsets) >= 0))
                and (not len(ids) or (0 <= int(ids.min()) and int(ids.max()) < len(vocab)))
            )
        except (OSError, ValueError, KeyError):  # unreadable: start afresh, the index itself is rebuilt anyway
            return cls(signature)
        if not consistent:
            return cls(signature)
        cache.vocab = vocab
        cache._vocab_id = {t: i for i, t in enumerate(vocab)}
        cache._row = dict(zip(_split_keys(keys), range(n), strict=True))
        cache._offsets = offsets.astype(np.int64, copy=False)
        cache._ids = ids.astype(np.int32, copy=False)
        cache._counts = counts.astype(np.int32, copy=False)
        return cache


def text_terms(tokenizer: Tokenizer, text: str) -> set[str]:
    """The distinct tokens of a clause's own text (Simplified; no context), as the sentence scorer counts them."""
    return set(tokenizer.tokenize(to_simplified(text)))


@dataclass
class TermStats:
    """In how many clauses each token of their own text occurs (``df``), out of ``n`` clauses: the word
    weights of the answer layer's sentence scorer, kept beside BM25 (``terms.json``) so that a service
    does not tokenise every clause when it starts. An update changes them by difference: minus the
    replaced and deleted documents' clauses, plus the new ones. Only valid for the tokenizer they were
    counted with (``Tokenizer.signature``)."""

    signature: str
    n: int
    df: dict[str, int]

    @classmethod
    def of(cls, texts: Iterable[str], tokenizer: Tokenizer) -> TermStats:
        return cls(tokenizer.signature, 0, {}).updated((), texts, tokenizer)

    def updated(self, removed: Iterable[str], added: Iterable[str], tokenizer: Tokenizer) -> TermStats:
        df, n = dict(self.df), self.n
        for text in removed:
            n -= 1
            for tok in text_terms(tokenizer, text):
                left = df.get(tok, 0) - 1
                if left > 0:
                    df[tok] = left
                else:
                    df.pop(tok, None)
        for text in added:
            n += 1
            for tok in text_terms(tokenizer, text):
                df[tok] = df.get(tok, 0) + 1
        return TermStats(self.signature, n, df)

    def save(self, directory: Path) -> None:
        record = {"signature": self.signature, "n": self.n, "df": self.df}
        (directory / _TERMS).write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, tokenizer: Tokenizer) -> TermStats | None:
        """The saved statistics, or None (none saved, unreadable, or counted with another tokenizer)."""
        try:
            record = json.loads((directory / _TERMS).read_text(encoding="utf-8"))
            stats = cls(str(record["signature"]), int(record["n"]), dict(record["df"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return stats if stats.signature == tokenizer.signature and stats.n >= 0 else None


def bm25_from_counts(
    doc_idx: np.ndarray, voc_idx: np.ndarray, tf: np.ndarray, lengths: np.ndarray, vocab: dict[str, int]
) -> bm25s.BM25:
    """A ``bm25s.BM25`` (Lucene variant, k1=1.2, b=0.75) from (document, token, count) triples.

    Computed with array operations, operation for operation as ``bm25s.BM25.index`` does, so the
    scores are bit for bit those of bm25s; but from counts instead of a Python loop over every
    document's tokens: 50k clauses in about a second instead of ten, in a fraction of the memory.
    Triples come document by document (``doc_idx`` ascending); ``lengths`` are token counts.
    """
    model = bm25s.BM25(k1=1.2, b=0.75)
    dtype = np.dtype(model.dtype)
    n_docs, n_vocab = len(lengths), len(vocab)
    df = np.bincount(voc_idx, minlength=n_vocab)
    idf = np.zeros(n_vocab, dtype=dtype)
    # math.log, as bm25s, for the same last bit: once per distinct document frequency (a few thousand
    # values for a hundred thousand tokens), each token then given its value.
    used = np.flatnonzero(df)
    values, which = np.unique(df[used], return_inverse=True)
    logs = [math.log(1 + (n_docs - int(v) + 0.5) / (int(v) + 0.5)) for v in values.tolist()]
    idf[used] = np.asarray(logs, dtype=dtype)[which]
    # tf / (k1 * ((1 - b) + b * l_d / l_avg) + tf) in float64 from float32 counts, as bm25s does;
    # a million triples at a time, so that the float64 temporaries stay small.
    norm = model.k1 * ((1 - model.b) + model.b * lengths.astype(np.float64) / lengths.mean())
    scores = np.empty(len(tf), dtype=dtype)
    for a in range(0, len(tf), 1 << 20):
        b = slice(a, a + (1 << 20))
        tf64 = tf[b].astype(dtype).astype(np.float64)
        scores[b] = idf[voc_idx[b]].astype(np.float64) * (tf64 / (norm[doc_idx[b]] + tf64))
    # By token, then document: the (document × token) matrix in compressed rows, turned into compressed
    # columns by scipy in one linear pass (a stable argsort of the token ids took ~0.6 s at 50k clauses).
    # Each column's documents come out ascending, as the triples are by document.
    rows = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(np.bincount(doc_idx, minlength=n_docs), out=rows[1:])
    by_token = scipy.sparse.csr_matrix((scores, voc_idx, rows), shape=(n_docs, n_vocab)).tocsc()
    indptr = np.zeros(n_vocab + 1, dtype=np.int64)
    np.cumsum(df, out=indptr[1:])
    model.scores = {
        "data": by_token.data,
        "indices": by_token.indices.astype(model.int_dtype, copy=False),
        "indptr": indptr,
        "num_docs": n_docs,
    }
    model.nonoccurrence_array = None  # the Lucene variant has none
    model.vocab_dict = {**vocab, "": n_vocab} if "" not in vocab else dict(vocab)  # as index() adds it
    model.unique_token_ids_set = set(model.vocab_dict.values())
    return model


def counts_of(tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A clause's distinct token ids (ascending) and how often each occurs."""
    ids, counts = np.unique(tokens, return_counts=True)
    return ids.astype(np.int32), counts.astype(np.int32)


class LexicalIndex:
    """BM25 over clauses; ``clause_ids[i]`` is the clause of row ``i``."""

    def __init__(
        self,
        model: bm25s.BM25 | None,
        clause_ids: list[str],
        generation: int,
        tokenizer: Tokenizer,
        cache: TokenCache | None = None,
    ):
        self._model = model
        self.clause_ids = clause_ids
        self.generation = generation
        self.tokenizer = tokenizer
        self.cache = cache
        self.keys: list[bytes] | None = None  # content key of each row (incremental builds)
        self.terms: TermStats | None = None  # saved with the index when set (see TermStats)
        self._vocab: set[str] = set(model.vocab_dict) if model is not None else set()

    @classmethod
    def build(cls, items: list[tuple[str, str]], generation: int, tokenizer: Tokenizer) -> LexicalIndex:
        """``items`` are (clause_id, matching text) pairs."""
        if not items:
            return cls(None, [], generation, tokenizer)
        corpus = [tokenizer.tokenize(text) or [_EMPTY] for _, text in items]
        model = bm25s.BM25(k1=1.2, b=0.75)
        model.index(corpus, show_progress=False)
        return cls(model, [cid for cid, _ in items], generation, tokenizer)

    @staticmethod
    def row_keys(directory: Path) -> dict[str, bytes] | None:
        """Clause id → content key of each row of the index saved in ``directory`` (None: not recorded)."""
        try:
            info = json.loads((directory / _IDS).read_text(encoding="utf-8"))
            keys = np.load(directory / _ROW_KEYS, allow_pickle=False)
        except (OSError, ValueError, KeyError):
            return None
        if len(keys) != len(info["clause_ids"]):
            return None
        return dict(zip(info["clause_ids"], _split_keys(keys), strict=True))

    @classmethod
    def build_incremental(
        cls,
        clauses: Sequence[tuple[str, str, Sequence[str]] | tuple[str, bytes]],
        generation: int,
        tokenizer: Tokenizer,
        previous: Path | None = None,
    ) -> LexicalIndex:
        """Index (clause_id, text, context) triples; the matching copy is ``index_text(text, *context)``.

        Clauses whose content was indexed by the index saved in ``previous`` reuse its tokens;
        only new or changed content is converted and tokenised. A clause may also come as
        (clause_id, content key) — a row of ``previous`` that did not change (``row_keys``), which
        needs no text at all; a key the cache does not have raises ``KeyError``. The result
        carries the cache, and ``save`` writes it with the index. Scores are exactly those of ``build``.
        """
        signature = tokenizer.signature
        cache = TokenCache.load(previous / _TOKENS, signature) if previous else TokenCache(signature)
        if not clauses:
            cache.keep_only(set())
            return cls(None, [], generation, tokenizer, cache)
        keys: list[bytes] = []
        for clause in clauses:
            if len(clause) == 2:  # an unchanged row, by its key
                key = clause[1]
                assert isinstance(key, bytes)
                if not cache.lookup(key):
                    raise KeyError(f"no cached tokens for {clause[0]}")
            else:
                _, text, context = clause  # type: ignore[misc]
                key = content_key(text, context)
                if not cache.lookup(key):
                    cache.put(key, counts_of(cache.ids(tokenizer.tokenize(index_text(text, *context)) or [_EMPTY])))
            keys.append(key)
        ids, tf, per_doc = cache.gather(keys)
        cache.keep_only(keys)
        doc_idx = np.repeat(np.arange(len(keys), dtype=np.int32), per_doc)
        lengths = np.add.reduceat(tf.astype(np.int64), np.cumsum(per_doc) - per_doc)
        # The cache's vocabulary, compacted to the tokens in use (a word no clause has any more must
        # not be a known query word), numbered in order of the cache's ids.
        used = np.flatnonzero(np.bincount(ids, minlength=len(cache.vocab)))
        remap = np.full(len(cache.vocab), -1, dtype=np.int32)
        remap[used] = np.arange(len(used), dtype=np.int32)
        vocab = {cache.vocab[int(t)]: i for i, t in enumerate(used)}
        model = bm25_from_counts(doc_idx, remap[ids], tf, lengths, vocab)
        index = cls(model, [c[0] for c in clauses], generation, tokenizer, cache)
        index.keys = keys
        return index

    def save(self, directory: Path) -> None:
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".bm25-", dir=directory.parent))
        try:
            if self._model is not None:
                self._model.save(str(tmp), show_progress=False)
            if self.cache is not None:
                self.cache.save(tmp / _TOKENS)
            if self.terms is not None:
                self.terms.save(tmp)
            if self.keys is not None:
                with (tmp / _ROW_KEYS).open("wb") as f:
                    np.save(f, np.frombuffer(b"".join(self.keys), dtype="S16") if self.keys else np.zeros(0, "S16"))
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

    def score_rows(self, tokens: list[str]) -> np.ndarray | None:
        """BM25 score of every row (``clause_ids`` order); None when no token is indexed."""
        known = [t for t in tokens if t in self._vocab]
        if self._model is None or not known:
            return None
        return np.asarray(self._model.get_scores(known))

    def scores(self, tokens: list[str]) -> dict[str, float]:
        """BM25 score of every clause with a positive score."""
        raw = self.score_rows(tokens)
        if raw is None:
            return {}
        return {self.clause_ids[i]: float(raw[i]) for i in np.flatnonzero(raw > 0)}

    def search(self, tokens: list[str], n: int, allowed: set[str] | None = None) -> list[LexicalHit]:
        """The ``n`` best clauses with a positive score, ties in row order."""
        raw = self.score_rows(tokens)
        if raw is None:
            return []
        candidates = np.flatnonzero(raw > 0)
        if allowed is not None:
            candidates = candidates[[self.clause_ids[i] in allowed for i in candidates]]
        return [LexicalHit(self.clause_ids[i], float(raw[i])) for i in top_indices(raw, n, candidates)]
