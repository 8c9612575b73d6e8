"""Check an answer before it leaves: quotes verbatim, numbers grounded.

* Every cited quote must be a verbatim substring of the clause it names;
  a citation that is not is removed (its [n] mark and quote with it) and
  reported in ``warnings``.
* Every number in the assistant's own words must come from a cited clause,
  the document's metadata, or the calculator; a sentence carrying any other
  number is removed and reported. This is what stops a language model (or a
  bug) from stating an amount the documents do not contain.
"""

from __future__ import annotations

import re

from app.answer.offline import Draft, Segment
from app.query import arabic_numbers
from app.tools.result import ToolResult

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_MARK = re.compile(r"\[(\d+)\]")
_SENTENCE = re.compile(r"[^。！？!?\n]*[。！？!?\n]?")
_ALWAYS = {"12345"}  # the government service hotline


def _numbers(text: str) -> set[str]:
    """Numbers in ``text``, Chinese numerals included (十九 → 19, 一万 → 10000)."""
    plain = text.replace(",", "")
    found = _NUMBER.findall(plain) + _NUMBER.findall(arabic_numbers(plain))
    return {n.lstrip("0") or "0" for n in found}


def allowed_numbers(draft: Draft, tool: ToolResult | None) -> set[str]:
    allowed = set(_ALWAYS)
    for s in draft.sources:
        allowed |= _numbers(s.result.clause.text)
        doc = s.result.doc
        allowed |= _numbers(" ".join([doc.number, doc.date, doc.title, *s.result.clause.heading_path]))
    allowed |= {str(i) for i in range(1, len(draft.sources) + 1)}
    for t in [tool, *draft.computed]:
        if t is not None:
            allowed |= _numbers(t.model_dump_json())
    return allowed


_DENIAL = re.compile(r"不是|并非|不对|而不是|不能确认|没有规定")


def verify_draft(
    draft: Draft, tool: ToolResult | None, question: str = "", question_values: set[str] | None = None
) -> Draft:
    """``question_values``: the question's numbers as values (8万 → 80000), which a denial may repeat."""
    # 1. quotes: verbatim or gone
    bad = [i for i, s in enumerate(draft.sources, 1) if not s.quote or s.quote not in s.result.clause.text]
    if bad:
        for n in bad:
            draft.warnings.append(f"引用[{n}]与所引条款原文不符，已删除。")
        draft.segments = _drop_citations(draft.segments, set(bad))
        keep = [s for i, s in enumerate(draft.sources, 1) if i not in bad]
        renumber = {
            old: new for new, old in enumerate([i for i in range(1, len(draft.sources) + 1) if i not in bad], 1)
        }
        draft.sources = keep
        draft.segments = [
            seg if seg.quote else Segment(_MARK.sub(lambda m: f"[{renumber.get(int(m.group(1)), 0)}]", seg.text))
            for seg in draft.segments
        ]
    # 2. numbers in the assistant's own words
    allowed = allowed_numbers(draft, tool)
    cleaned: list[Segment] = []
    for seg in draft.segments:
        if seg.quote:
            cleaned.append(seg)
            continue
        kept = []
        for m in _SENTENCE.finditer(seg.text):
            sentence = m.group(0)
            # Chinese numerals count too: 一万元 is 10000.
            stray = _numbers(_MARK.sub("", sentence)) - allowed
            if stray and _DENIAL.search(sentence) and stray <= _numbers(question) | (question_values or set()):
                stray = set()  # "不是10000元": repeating the user's figure in order to deny it
            if stray:
                draft.warnings.append(
                    f"回答中的数字{'、'.join(sorted(stray))}在引用条款和计算结果中都找不到，已删除该句。"
                )
                continue
            kept.append(sentence)
        cleaned.append(Segment("".join(kept)))
    draft.segments = [s for s in cleaned if s.text]
    return draft


def _drop_citations(segments: list[Segment], bad: set[int]) -> list[Segment]:
    """Remove quotes whose [n] mark is bad, and the marks themselves."""
    out: list[Segment] = []
    i = 0
    while i < len(segments):
        seg = segments[i]
        if (
            seg.quote
            and i + 1 < len(segments)
            and (m := _MARK.match(segments[i + 1].text.lstrip("”」\"'")))
            and int(m.group(1)) in bad
        ):
            if out and out[-1].text.endswith(("“", "「")):
                out[-1] = Segment(out[-1].text[:-1])
            nxt = segments[i + 1].text
            segments[i + 1] = Segment(_MARK.sub("", nxt.lstrip("”」\"'"), count=1))
            i += 1
            continue
        out.append(
            seg if seg.quote else Segment(_MARK.sub(lambda m: "" if int(m.group(1)) in bad else m.group(0), seg.text))
        )
        i += 1
    return out
