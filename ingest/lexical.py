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

from ingest.textproc import Tokenizer, index_text

_IDS = "clause_ids.json"
_TOKENS = "tokens.npz"
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


class TokenCache:
    """Token ids of indexed clauses by content key, with their vocabulary; saved beside the index.

    Only valid for the tokenizer it was made with (``Tokenizer.signature``): a different
    dictionary or stopword list starts an empty cache.
    """

    def __init__(self, signature: str):
        self.signature = signature
        self.vocab: list[str] = []
        self._vocab_id: dict[str, int] = {}
        self._entries: dict[bytes, np.ndarray] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def ids(self, tokens: Iterable[str]) -> np.ndarray:
        out = []
        for t in tokens:
            i = self._vocab_id.get(t)
            if i is None:
                i = self._vocab_id[t] = len(self.vocab)
                self.vocab.append(t)
            out.append(i)
        return np.asarray(out, dtype=np.int32)

    def get(self, key: bytes) -> np.ndarray | None:
        found = self._entries.get(key)
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def put(self, key: bytes, ids: np.ndarray) -> None:
        self._entries[key] = ids

    def keep_only(self, keys: set[bytes]) -> None:
        """Forget clauses that are no longer indexed (the cache does not grow without bound)."""
        self._entries = {k: v for k, v in self._entries.items() if k in keys}

    def save(self, path: Path) -> None:
        keys = list(self._entries)
        arrays = [self._entries[k] for k in keys]
        offsets = np.zeros(len(keys) + 1, dtype=np.int64)
        np.cumsum([len(a) for a in arrays], out=offsets[1:])
        with path.open("wb") as f:
            np.savez(
                f,
                signature=np.array(self.signature),
                vocab=np.array(json.dumps(self.vocab, ensure_ascii=False)),
                keys=np.frombuffer(b"".join(keys), dtype="S16") if keys else np.zeros(0, dtype="S16"),
                offsets=offsets,
                ids=np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int32),
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
                cache.vocab = json.loads(str(data["vocab"]))
                keys, offsets, ids = data["keys"], data["offsets"], data["ids"]
        except (OSError, ValueError, KeyError):  # unreadable: start afresh, the index itself is rebuilt anyway
            return cls(signature)
        cache._vocab_id = {t: i for i, t in enumerate(cache.vocab)}
        cache._entries = {bytes(k): ids[offsets[i] : offsets[i + 1]] for i, k in enumerate(keys)}
        return cache


class _ArrayBM25(bm25s.BM25):
    """bm25s with its index built by array operations instead of a Python loop per document.

    ``build_index_from_ids`` is the method bm25s offers for overriding. This one computes the
    same Lucene BM25 matrix operation for operation (so the scores are bit for bit those of
    bm25s), from one token-id array per document: 50k clauses in about a second instead of ten.
    """

    def build_index_from_ids(
        self,
        unique_token_ids: list[int],
        corpus_token_ids: list[np.ndarray],  # type: ignore[override]
        show_progress: bool = True,
        leave_progress: bool = False,
    ) -> dict:
        if self.method != "lucene" or self.idf_method != "lucene":
            return super().build_index_from_ids(unique_token_ids, corpus_token_ids, show_progress, leave_progress)
        self.nonoccurrence_array = None  # Lucene BM25 has no non-occurrence scores
        n_docs, n_vocab = len(corpus_token_ids), len(unique_token_ids)
        lengths = np.asarray([len(d) for d in corpus_token_ids], dtype=np.int64)
        avg_doc_len = lengths.mean()
        flat = np.concatenate(corpus_token_ids).astype(np.int64) if n_docs else np.zeros(0, np.int64)
        doc_of = np.repeat(np.arange(n_docs, dtype=np.int64), lengths)
        pairs, tf = np.unique(doc_of * n_vocab + flat, return_counts=True)  # (document, token) → count
        doc_idx, voc_idx = pairs // n_vocab, pairs % n_vocab
        df = np.bincount(voc_idx, minlength=n_vocab)
        idf = np.zeros(n_vocab, dtype=self.dtype)
        for token in np.flatnonzero(df):  # math.log, as bm25s, for the same last bit
            idf[token] = math.log(1 + (n_docs - int(df[token]) + 0.5) / (int(df[token]) + 0.5))
        # tf / (k1 * ((1 - b) + b * l_d / l_avg) + tf), in float64 from float32 counts, as bm25s does
        norm = self.k1 * ((1 - self.b) + self.b * lengths.astype(np.float64) / avg_doc_len)
        tf64 = tf.astype(self.dtype).astype(np.float64)
        scores = (idf[voc_idx].astype(np.float64) * (tf64 / (norm[doc_idx] + tf64))).astype(self.dtype)
        order = np.argsort(voc_idx * max(n_docs, 1) + doc_idx, kind="stable")
        indptr = np.zeros(n_vocab + 1, dtype=np.int64)
        np.cumsum(df, out=indptr[1:])
        return {
            "data": scores[order],
            "indices": doc_idx[order].astype(self.int_dtype),
            "indptr": indptr,
            "num_docs": n_docs,
        }


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

    @classmethod
    def build_incremental(
        cls,
        clauses: Sequence[tuple[str, str, Sequence[str]]],
        generation: int,
        tokenizer: Tokenizer,
        previous: Path | None = None,
    ) -> LexicalIndex:
        """Index (clause_id, text, context) triples; the matching copy is ``index_text(text, *context)``.

        Clauses whose content was indexed by the index saved in ``previous`` reuse its tokens;
        only new or changed content is converted and tokenised. The result carries the cache,
        and ``save`` writes it with the index. Scores are exactly those of ``build``.
        """
        signature = tokenizer.signature
        cache = TokenCache.load(previous / _TOKENS, signature) if previous else TokenCache(signature)
        if not clauses:
            cache.keep_only(set())
            return cls(None, [], generation, tokenizer, cache)
        keys: list[bytes] = []
        rows: list[np.ndarray] = []
        for _, text, context in clauses:
            key = content_key(text, context)
            ids = cache.get(key)
            if ids is None:
                ids = cache.ids(tokenizer.tokenize(index_text(text, *context)) or [_EMPTY])
                cache.put(key, ids)
            keys.append(key)
            rows.append(ids)
        cache.keep_only(set(keys))
        # bm25s numbers the vocabulary itself from string tokens; from ids, it takes ours, compacted
        # to the tokens in use (a token no clause has any more must not be a known query word).
        flat = np.concatenate(rows)
        used, inverse = np.unique(flat, return_inverse=True)
        bounds = np.cumsum([len(r) for r in rows])[:-1]
        corpus_ids = np.split(inverse.astype(np.int32), bounds)
        vocab = {cache.vocab[int(t)]: i for i, t in enumerate(used)}
        model = _ArrayBM25(k1=1.2, b=0.75)
        model.index((corpus_ids, vocab), show_progress=False)
        return cls(model, [cid for cid, _, _ in clauses], generation, tokenizer, cache)

    def save(self, directory: Path) -> None:
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".bm25-", dir=directory.parent))
        try:
            if self._model is not None:
                self._model.save(str(tmp), show_progress=False)
            if self.cache is not None:
                self.cache.save(tmp / _TOKENS)
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
