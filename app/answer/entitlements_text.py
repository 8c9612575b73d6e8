"""The answer to "能享受哪些补贴？": the entitlements list in words, each provision with its clause.

``render(result, lookup)`` turns an ``Entitlements`` (``app.tools.entitlements``)
into a ``Draft``: the provisions met first, then those that may be met with the
question to ask for each, each quoting its clause verbatim with an [n] mark;
then the summary — the certain one-off total, the recurring amounts apart, what
depends on unknowns — and what is not met or not placed. ``as_tool`` gives the
same result as a ``ToolResult``, so the answer's numbers are checked against it
like any calculation's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from app.answer.offline import Draft, clause_label, doc_line
from app.frame.schema import QuestionFrame
from app.retrieval import SearchResult
from app.tools.calculators import fmt
from app.tools.entitlements import FIGURELESS, STATUS_ZH, Entitlements, Entry, entity_zh
from app.tools.result import Citation, ToolResult
from app.tools.rules import Rule

Lookup = Callable[[str, str], SearchResult | None]  # (clause_id, doc_id) → the clause with its document
MAX_LISTED = 12  # provisions written out in the answer; the rest are counted (the API and UI list them all)


def render(result: Entitlements, lookup: Lookup) -> Draft:
    draft = Draft()
    p = result.profile
    if result.uncovered:
        missing = "、".join(result.uncovered)
        draft.say(
            f"语料中没有{missing}的文件，无法列出{missing}可以享受的政策。"
            + (f"现有文件涉及：{'、'.join(result.covered)}；" if result.covered else "")
            + "各地政策只适用于本地的企业和人员，不能套用其他地方的标准。"
        )
        draft.refused = True
        return draft
    who = entity_zh(p.entity)
    place = p.place or "各地"
    listed = [e for e in result.entries]
    if not listed:
        draft.say(f"按您说的情况（{place}，{who}），在已收录的文件中没有找到可以确定适用的政策。")
        if result.summary.not_assessed:
            draft.say(f"文件中另有{result.summary.not_assessed}项政策与您说的情况无关，没有列出。")
    else:
        met = sum(1 for e in listed if e.status == "met")
        draft.say(
            f"按您说的情况（{place}，{who}），文件中与您相关的政策有{len(listed)}项"
            + (f"，其中{met}项已满足条件" if met else "")
            + "：\n"
        )
        for i, e in enumerate(listed[:MAX_LISTED], 1):
            _entry(draft, i, e, lookup)
        if len(listed) > MAX_LISTED:
            draft.say(f"\n（另有{len(listed) - MAX_LISTED}项，见完整列表。）")
        draft.say("\n\n" + result.summary.text)
    if result.not_met:
        draft.say("\n不符合条件的：" + "；".join(f"{e.title}（{_why_not(e)}）" for e in result.not_met) + "。")
    if result.summary.unplaced:
        draft.say("\n以下情况没有对应的条款，未计入：" + "、".join(result.summary.unplaced) + "。")
    if result.questions:
        draft.follow_up = result.questions[:6]
        draft.say("\n请补充：" + " ".join(q if q.endswith(("？", "?")) else q + "？" for q in result.questions[:6]))
    draft.warnings += [w for w in result.warnings if w not in draft.warnings]
    _flag_documents(draft)
    return draft


def _entry(draft: Draft, i: int, e: Entry, lookup: Lookup) -> None:
    draft.say(f"\n{i}. 【{STATUS_ZH[e.status]}】{e.title}：{_figure(e)}")
    if e.payee == "unspecified":
        draft.say("，领取方文件未写明")
    elif e.payee != "none":
        draft.say(f"，发给{e.payee_zh}")
    draft.say("。")
    if e.counted:
        draft.say("计入：" + "；".join(e.counted) + "。")
    for x in e.excluded:
        draft.say(f"不计入：{x['label']}{x['count'] if x['count'] is not None else ''}人（{x['reason']}）。")
    if e.not_listed:
        draft.say("文件未列的等级：" + "、".join(e.not_listed) + "。")
    unknown = [c for c in e.conditions if c.status == "unknown"]
    if unknown:
        draft.say("待确认：" + "；".join(c.label for c in unknown) + "。")
    source = lookup(e.clause_id, e.doc_id)
    if source is not None and e.quote in source.clause.text:
        draft.say("依据" + doc_line(source.doc) + clause_label(source) + "：")
        draft.quote(source, e.quote)
    if not e.reviewed:
        draft.say(
            "（本项由系统从原文自动提取，未经人工核对。）"
            if e.figureless
            else "（金额由系统从原文自动提取，未经人工核对。）"
        )


def _figure(e: Entry) -> str:
    q = {"cap": "最高", "floor": "不少于", "after_tax": "（税后）"}.get(e.qualifier, "")
    if e.amount is not None or e.amount_if_met is not None:
        value = e.amount if e.amount is not None else e.amount_if_met
        assert value is not None
        lead = "" if e.amount is not None else "如条件满足，"
        per = f"每{e.per}" if e.recurring and e.per else ""
        text = f"{lead}{per}{q}{fmt(value)}元"
        if per:
            text += f"（按{e.per}发放，不是一次性）"
            if e.period_total is not None and e.period_months:
                text += f"，保障期{e.period_months}个月合计{fmt(e.period_total)}元"
            if e.span_total is not None:
                text += f"，{e.span_text}合计{fmt(e.span_total)}元"
        elif e.formula:
            text += f"（{e.formula}）"
        if e.amount is not None and e.amount_if_met is not None and e.amount_if_met != e.amount:
            text += f"；其余人员条件满足时合计{q}{fmt(e.amount_if_met)}元"
        if not e.money:
            text += "（不是发放的补贴）"
        return text
    if e.not_paid:
        return f"{e.not_paid}（不是发放的补贴，不计入合计）"
    if e.figureless and e.outcome and not re.search(r"未载明|未写明", e.outcome):
        return f"{e.outcome.rstrip('。')}（{FIGURELESS}）"
    if e.figureless and not e.outcome:
        return FIGURELESS
    if e.outcome:
        return e.outcome.rstrip("。")
    needs = e.kind in ("percentage", "per_head", "one_off", "monthly") and bool(e.questions)
    return "文件没有写明金额" if not needs else "还不能计算金额，需先提供计算所需的信息"


def _why_not(e: Entry) -> str:
    failed = [c.label for c in e.conditions if c.status == "not_met"]
    if failed:
        return "不满足：" + "、".join(failed)
    return "；".join(x["reason"] for x in e.excluded) or "不符合条件"


def _flag_documents(draft: Draft) -> None:
    seen: set[str] = set()
    for s in draft.sources:
        doc = s.result.doc
        if doc.id in seen:
            continue
        seen.add(doc.id)
        msg = doc.caution()
        if msg:
            draft.say("\n⚠ " + msg)
            if msg not in draft.warnings:
                draft.warnings.append(msg)


def answer_text(result: Entitlements, lookup: Lookup) -> str:
    """The list in words, with [n] marks (Simplified): what the API and the CLI print."""
    return "".join(s.text for s in render(result, lookup).segments)


def continues_list(frame: QuestionFrame, previous: dict[str, Any] | None) -> bool:
    """A turn after the list that only states facts or people (培训完成了, 社保交了3个月): it fills the list's unknowns."""
    if not previous or previous.get("intent") != "entitlements" or frame.follow_up:
        return False
    return (
        not frame.place_names("about")
        and frame.intent in ("fact", "other", "check")
        and bool(frame.facts or frame.groups)
    )


_BENEFIT = re.compile(r"补贴|补助|津贴|奖励|资助|安家费|奖金|抵免|授信|薪酬|待遇")


def names_one_benefit(text: str, rules: list[Rule]) -> bool:
    """The question names one provision's own benefit (能享受什么生活补贴待遇): that provision answers, not a list."""
    named = {
        r.id
        for r in rules
        if any(
            len(k) >= 4 and _BENEFIT.search(k) and not _GENERIC_FIGURE.fullmatch(k) and k in text
            for k in [*r.hints.keywords, r.title]
        )
    }
    return len(named) == 1


_GENERIC = {"补贴", "补助", "奖励", "资助", "奖金", "待遇", "政策", "企业补贴", "培训补贴"}
# 补贴标准 / 奖励金额: the word for any provision's figure, not one provision's name.
_GENERIC_FIGURE = re.compile(r"(?:补贴|补助|奖励|资助|奖金|待遇)(?:标准|金额|额度|数额|政策)")


def _generic(keyword: str) -> bool:
    return keyword in _GENERIC or bool(_GENERIC_FIGURE.fullmatch(keyword))


def names_a_benefit(text: str, rules: list[Rule]) -> bool:
    """The question names some provision's own benefit (带徒补贴, 安家费, 津贴) — not only 补贴/补助 in general."""
    return any(
        k in text
        for r in rules
        for k in [*r.hints.keywords, r.title]
        if len(k) >= 2 and _BENEFIT.search(k) and not _generic(k)
    )


def as_tool(result: Entitlements) -> ToolResult:
    """The list as one tool result: what the answer's numbers are checked against."""
    s = result.summary
    return ToolResult(
        rule_id="entitlements",
        title="可享受的政策",
        kind="entitlements",
        inputs={"profile": result.profile.model_dump(mode="json")},
        result=s.certain_one_off,
        formula=s.certain_one_off_formula or None,
        result_text=s.text,
        unit="元",
        qualifier="mixed" if s.certain_one_off_qualifiers else "exact",
        status="complete" if not result.questions else "conditional",
        citations=[
            Citation(
                clause_id=e.clause_id,
                doc_id=e.doc_id,
                doc_title=e.doc_title,
                doc_number=e.doc_number,
                status=e.doc_status,
                quote=e.quote,
            )
            for e in result.entries
        ],
        questions=list(result.questions),
        warnings=list(result.warnings),
        details={"entitlements": result.model_dump(mode="json", exclude={"profile"})},
    )
