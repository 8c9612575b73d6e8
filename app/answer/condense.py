"""Turn a follow-up into a standalone question, without a language model.

"那大连呢？" after a question about Xiamen becomes the same question about
Dalian; "如果是高职生呢？" adds to the previous question and keeps the rule
and the facts already given. A question that stands on its own is left as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from app.answer import guards
from app.answer.sessions import Turn

_FOLLOW_UP = re.compile(
    r"^(?:那么?|如果|要是|假如|换成|若是?|还有|再问|另外)|呢\s*[？?]?\s*$|"
    r"这份|这个文件|该文件|这个政策|这项政策|这条|上面(?:说的|那个)|刚才|前面说的"
)
_FILLER = re.compile(r"^(?:那么?|如果是?|要是|假如|换成|若是?|还有|再问一下|另外)|呢\s*[？?]?\s*$|[？?]\s*$")


@dataclass
class Condensed:
    standalone: str
    follow_up: bool = False
    carried_rule: str | None = None
    carried_inputs: dict[str, Any] = field(default_factory=dict)
    city: str | None = None


def is_follow_up(question: str) -> bool:
    """Marked as one (那…呢, 这份文件…), or a bare word or two (高职, 技师呢)."""
    q = question.strip().rstrip("？?。")
    return bool(_FOLLOW_UP.search(question.strip())) or len(q) <= 4


def condense(question: str, history: list[Turn], cities: tuple[str, ...]) -> Condensed:
    q = question.strip()
    named = [c for c in cities if c in q]
    # A follow-up says so (那…呢), or cannot stand alone: it names no city and no policy term (青年才俊是多少？).
    if not history or not (is_follow_up(q) or (not named and guards.is_off_topic(q) and len(q) <= 20)):
        return Condensed(q, city=named[0] if named else None)
    last = history[-1]
    if named and last.city and named[0] != last.city:
        base = last.standalone.replace(last.city, named[0])
        if named[0] not in base:
            base = f"{named[0]} {base}"
        return Condensed(base, follow_up=True, city=named[0])
    rest = _FILLER.sub("", q).strip()
    standalone = f"{last.standalone} {rest}".strip()
    return Condensed(
        standalone,
        follow_up=True,
        carried_rule=last.rule_id,
        carried_inputs=dict(last.inputs),
        city=named[0] if named else last.city,
    )
