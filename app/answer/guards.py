"""Honesty checks, in code: what a question asks, and what a clause does not say.

* off-topic questions and instructions smuggled into a question are detected;
* "how much" questions whose clause gives no figure (一定 / 按规定 / 探索给予 /
  相关标准) are recognised, so the answer says the figure is not stated;
* the patterns are data (``app/resources/guards.yaml``), each a general pattern
  of phrasing, not a question's words; figures a question takes for granted are
  read into the frame's claims (``app.frame``), not here;
* the responsible department is read from the clause (责任单位 / 牵头单位 /
  …按职责分工负责 / a task table's 责任单位 column).
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from ingest.schema import Clause
from ingest.yamlio import load_yaml


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern[str]]:
    data = load_yaml((resources.files("app") / "resources" / "guards.yaml").read_text(encoding="utf-8"))
    return {
        key: re.compile(entry["pattern"], re.I if "i" in str(entry.get("flags", "")) else 0)
        for key, entry in data.items()
    }


def _p(key: str) -> re.Pattern[str]:
    return _patterns()[key]


_FIGURE = re.compile(r"(\d+(?:\.\d+)?)\s*(万元|元|万|个月|年|%|％|人|家|名)")


def is_off_topic(question: str) -> bool:
    """No policy word at all, or a task for a general chatbot (a poem, the weather, code)."""
    return _p("domain").search(question) is None or is_task_request(question)


def is_task_request(question: str) -> bool:
    return _p("task").search(question) is not None


def injection_attempt(question: str) -> bool:
    return _p("injection").search(question) is not None


def asks_for_certificate(question: str) -> bool:
    return _p("certificate").search(question) is not None


def asks_amount(question: str) -> bool:
    return _p("asks_amount").search(question) is not None


def asks_money(question: str) -> bool:
    return _p("asks_money").search(question) is not None


def states_figure(sentence: str, *, money: bool = False) -> bool:
    """A money amount or rate (and, unless ``money``, a period) written as a number."""
    units = r"(?:万元|元|万|%|％)" if money else r"(?:万元|元|万|%|％|个月)"
    return re.search(rf"\d+(?:\.\d+)?\s*{units}", sentence) is not None


def vague_amount(sentence: str) -> str | None:
    """The vague wording a sentence uses instead of a figure, if any."""
    m = _p("vague").search(sentence)
    return m.group(0) if m else None


def asks_origin(question: str) -> bool:
    return _p("asks_origin").search(question) is not None


def asks_status(question: str) -> bool:
    return _p("asks_status").search(question) is not None


def without_instructions(question: str) -> str:
    """The question minus sentences that try to instruct the assistant (for searching)."""
    from ingest.textproc import to_simplified

    parts = re.split(r"(?<=[。！？!?；;，,：:])", question)
    kept = [p for p in parts if not _p("injection").search(to_simplified(p))]
    return "".join(kept).strip() or question


def without_figures(question: str) -> str:
    from app.query import arabic_numbers

    return _FIGURE.sub(" ", arabic_numbers(question))


_RESPONSIBLE = re.compile(
    r"(?:由|可咨询|咨询|请咨询|报|向)((?:市|区|县|省|园区)?[\u4e00-\u9fff]{1,24}?(?:局|中心|处|委员会|委|办公室|办|部门|政府|管委会))"
    r"(?:会同[\u4e00-\u9fff]{1,20}?(?:局|中心|处|委|办))?(?:负责|组织实施|另行制定|研究确定|结合|审核|确定|统一|牵头|受理|办理|$|[，。；])"
)
_DEPARTMENT_KEYS = re.compile(r"受理部门|受理单位|咨询部门|经办机构|办理部门|责任单位|牵头单位|主管部门|联系部门")


def departments(clause: Clause, siblings: list[Clause] | None = None) -> str:
    """Who is responsible, as the text says: 牵头单位/责任单位, a table's 责任单位 cell, a sentence
    (由市人社局另行制定 / 可咨询…处), or a sibling "受理部门：…" line of the same section.

    The note is the last bracketed group of the clause; it may contain brackets of its
    own (各县（市、区）人民政府), so the group is found by matching brackets backwards.
    """
    if clause.fields.get("责任单位"):
        return clause.fields["责任单位"]
    note = _bracket_note(clause)
    if note:
        return note
    m = _RESPONSIBLE.search(clause.text)
    if m:
        return m.group(1)
    section = clause.heading_path[:-1]
    for sib in siblings or []:
        if (
            sib.clause_id != clause.clause_id
            and sib.heading_path[:-1] == section
            and _DEPARTMENT_KEYS.search(sib.title)
        ):
            return re.split(r"[，,。；;]", sib.text.split("：", 1)[-1])[0].strip()
    return ""


def _bracket_note(clause: Clause) -> str:
    text = clause.text.rstrip("。； \n")
    if not text or text[-1] not in "）)":
        return ""
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        if text[i] in "）)":
            depth += 1
        elif text[i] in "（(":
            depth -= 1
            if depth == 0:
                note = text[i + 1 : -1].strip()
                return note if re.search(r"单位[:：]|分工负责", note) else ""
    return ""
