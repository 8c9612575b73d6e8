"""Multi-part questions split into their sub-questions ("每月多少？干满两年一共多少？").

A new part starts after ？ / ? / ； / ; and before a word of ``part_starts`` (还有 / 另外 / 以及 …,
``app/resources/compare_words.yaml``). A part that names no topic of its own (干满两年一共多少) is
read with the topic of the first part: the first part without its trailing question clause.
The chain answers the whole question as before, then each later part on its own (the same steps on
the part read with the topic), appended under the part's words when it adds a clause or a result.
"""

from __future__ import annotations

import re

from app.answer.compare import pattern
from app.answer.offline import Draft, Segment

_END = re.compile(r"[？?；;]")
_MARK = re.compile(r"\[(\d+)\]")
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


def topic_of(first: str) -> str:
    """What the first part is about, without its question words (评上大连工匠能奖多少 → 评上大连工匠)."""
    t = topic(first)
    if t != first:
        return t
    m = _ASKING.search(first)
    if m is None:
        return first
    return re.sub(r"(?:能|可以|可|要|能够|会|有|给|奖|补|发|拿|领)+$", "", first[: m.start()]) or first


def sub_questions(text: str) -> list[tuple[str, str]]:
    """(topic, part) for the second and later parts; [] for a one-part question. Hotline keywords with
    several asking words (大连 带徒补贴 找哪个部门 去哪里办) give every asking word as a part, the topic
    being the keywords before them."""
    keyword = _keyword_parts(text)
    if keyword:
        return keyword
    found = split(text)
    if len(found) < 2:
        return []
    t = topic_of(found[0])
    return [(t, p) for p in found[1:]]


def question(topic: str, part: str) -> str:
    return part if topic in part else f"{topic} {part}"


def _keyword_parts(text: str) -> list[tuple[str, str]]:
    words = text.split()
    asking = [i for i, w in enumerate(words) if pattern("asks_who").search(w) or pattern("asks_where").search(w)]
    if len(asking) < 2 or asking[0] == 0:
        return []
    t = " ".join(words[: asking[0]])
    return [(t, " ".join(words[a:b])) for a, b in zip(asking, [*asking[1:], len(words)], strict=True)]


def asks_who(part: str) -> bool:
    return bool(pattern("asks_who").search(part))


def asks_where(part: str) -> bool:
    return bool(pattern("asks_where").search(part))


def names_where(quote: str) -> bool:
    return bool(pattern("where_words").search(quote))


def names_where_in(draft: Draft | None) -> bool:
    """A (part's) answer quotes a clause that names a place to go."""
    return draft is not None and any(names_where(s.quote) for s in draft.sources)


def merge(main: Draft, sub: Draft, heading: str) -> bool:
    """Append a sub-question's (already verified) answer under ``heading``, its [n] marks renumbered into
    the main answer's citations. False (nothing added) when it quotes only what the main answer quotes."""
    known = {(s.result.clause.clause_id, s.quote) for s in main.sources}
    new = [s for s in sub.sources if (s.result.clause.clause_id, s.quote) not in known]
    if not new and sub.tool is None:
        return False
    numbers = {i: main.cite(s.result, s.quote) for i, s in enumerate(sub.sources, 1)}
    main.say(f"\n\n关于“{heading}”：")
    for seg in sub.segments:
        if seg.quote:
            main.segments.append(seg)
        else:
            main.segments.append(Segment(_MARK.sub(lambda m: f"[{numbers.get(int(m.group(1)), 0)}]", seg.text)))
    main.warnings.extend(w for w in sub.warnings if w not in main.warnings)
    main.follow_up.extend(q for q in sub.follow_up if q not in main.follow_up)
    return True
