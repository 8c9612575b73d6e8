"""Pick the sentences of a clause that answer a question.

Clauses are split at 。 and ； (policy texts list items with semicolons) and at
line ends (a table row's cells are lines).
A sentence scores by the question's words it contains, rarer words counting
more (IDF over all clauses), with a bonus for a figure when the question asks
for one and for the categories or amounts the question names.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ingest.lexical import TermStats
from ingest.textproc import Tokenizer, to_simplified

_FIGURE = re.compile(r"\d+(?:\.\d+)?\s*(?:万元|元|万|%|％|个月)")
_SPLIT = re.compile(r"[^。；;！？!?\n]*[。；;！？!?\n]?")


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int  # offset in the clause text
    end: int


def split_sentences(text: str) -> list[Sentence]:
    out = []
    for m in _SPLIT.finditer(text):
        raw = m.group(0)
        stripped = raw.strip()
        if len(stripped) < 2:
            continue
        start = m.start() + raw.index(stripped)
        out.append(Sentence(stripped, start, start + len(stripped)))
    return out


class SentenceScorer:
    def __init__(self, tokenizer: Tokenizer, corpus: Iterable[str] = (), *, stats: TermStats | None = None):
        """Word weights from ``stats`` (the index's term statistics) when given, else counted over ``corpus``."""
        self.tokenizer = tokenizer
        if stats is None:
            stats = TermStats.of(corpus, tokenizer)
        n = max(stats.n, 1)
        self._idf = {tok: math.log(1 + n / (1 + c)) for tok, c in stats.df.items()}
        self._default = math.log(1 + n)

    def score(self, query_tokens: set[str], sentence: str, *, wants_figure: bool, terms: Iterable[str] = ()) -> float:
        toks = set(self.tokenizer.tokenize(to_simplified(sentence)))
        score = sum(self._idf.get(t, self._default) for t in query_tokens & toks)
        if wants_figure and re.search(r"\d", sentence):
            score += 1.5
        score += sum(1.0 for t in terms if t and t in sentence)
        return score

    def best(
        self, query: str, text: str, *, wants_figure: bool, terms: Iterable[str] = (), limit: int = 2
    ) -> list[Sentence]:
        """The best sentence, and the next best when it scores close (in text order)."""
        sentences = split_sentences(text)
        if not sentences:
            return []
        q = set(self.tokenizer.tokenize(to_simplified(query)))
        terms = list(terms)
        scored = sorted(
            ((self.score(q, s.text, wants_figure=wants_figure, terms=terms), i) for i, s in enumerate(sentences)),
            reverse=True,
        )
        top_score = scored[0][0]
        chosen = [scored[0][1]]
        for score, i in scored[1:limit]:
            if top_score > 0 and score >= 0.6 * top_score:
                chosen.append(i)
        if wants_figure and not any(_FIGURE.search(sentences[i].text) for i in chosen):
            # Asked for an amount: the best sentence that has one is quoted too.
            figure = next((i for _, i in scored if _FIGURE.search(sentences[i].text)), None)
            if figure is not None:
                chosen.append(figure)
        return _whole_sentences([sentences[i] for i in sorted(chosen)], text)


def _whole_sentences(pieces: list[Sentence], text: str, limit: int = 220) -> list[Sentence]:
    """Widen ；-pieces to their whole 。-sentence when that stays short: a list of targets
    separated by semicolons reads as one statement (40%以上；1/3；260人)."""
    out: list[Sentence] = []
    for p in pieces:
        start = max(text.rfind("。", 0, p.start), text.rfind("\n", 0, p.start)) + 1
        ends = [i for i in (text.find("。", p.end - 1), text.find("\n", p.end - 1)) if i != -1]
        end = min(ends) + 1 if ends else len(text)
        whole = text[start:end].strip()
        if whole and len(whole) <= limit and whole != p.text:
            offset = text.index(whole, start)
            p = Sentence(whole, offset, offset + len(whole))
        if out and p.start < out[-1].end:
            if p.end > out[-1].end:
                out[-1] = Sentence(text[out[-1].start : p.end], out[-1].start, p.end)
            continue
        out.append(p)
    return out
