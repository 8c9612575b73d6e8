"""Multi-part questions split into their sub-questions ("每月多少？干满两年一共多少？").

A new part starts after ？ / ? / ； / ; and before a word of ``part_starts`` (还有 / 另外 / 以及 …,
``app/resources/compare_words.yaml``). A part that names no topic of its own (干满两年一共多少) is
read with the topic of the first part: the first part without its trailing question clause.
Not yet called from the chain (see the report of issue 11).
"""

from __future__ import annotations

import re

from app.answer.compare import pattern

_END = re.compile(r"[？?；;]")
_ASKING = re.compile(r"多少|几|吗|么|什么|哪|怎么|如何|是否|谁")


def split(text: str) -> list[str]:
    """The sub-questions of ``text``, in order; one part when it asks one thing."""
    pieces = [p.strip(" ，,。") for p in _END.split(text)]
    out: list[str] = []
    starts = pattern("part_starts")
    for piece in pieces:
        if not piece:
            continue
        cut = [m.start() for m in starts.finditer(piece) if m.start() > 0 and _ASKING.search(piece[: m.start()])]
        prev = 0
        for c in cut:
            out.append(piece[prev:c].strip(" ，,"))
            prev = c
        out.append(piece[prev:].strip(" ，,"))
    return [p for p in out if p]


def topic(first: str) -> str:
    """The first part without its trailing question clause (大连…薪酬补贴，每月多少 → 大连…薪酬补贴)."""
    clauses = [c for c in re.split(r"[，,]", first) if c.strip()]
    if len(clauses) > 1 and _ASKING.search(clauses[-1]):
        return "，".join(clauses[:-1])
    return first
