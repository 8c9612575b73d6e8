"""The deterministic answerer: no language model, every word traceable.

It composes the reply from the retrieved clauses and the tool layer:

* a calculation or eligibility result comes first, with its formula, payee,
  qualifier and conditions, quoting the rule's clause;
* otherwise the sentences that answer the question are quoted verbatim with
  [n] marks, with the document's title, number and date;
* amounts are restated from the rule catalogue with their qualifier
  (最高/不少于/税后), unit (每人每月 / 一次性), period and payee;
* a figure the question takes for granted is checked against the clause;
* "how much" with no figure in the text is answered with what the text does
  say, that the figure is not stated, and who is responsible;
* drafts and the document of unknown origin are flagged.

The answer is a list of segments; quotes are marked so that a Traditional
rendering converts only the assistant's own words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from app.answer import guards
from app.answer.sentences import SentenceScorer
from app.query import analyze, extract_amounts
from app.retrieval import SearchResult
from app.tools.calculators import fmt
from app.tools.result import ToolResult
from app.tools.rules import PAYEE_ZH, QUALIFIER_ZH, Catalogue, Rule
from ingest.schema import DocumentMeta
from ingest.textproc import to_simplified

SCOPE = (
    "我是技能人才政策助手，只能回答厦门、大连、南通等地技能人才政策文件中的问题，"
    "例如职业技能培训补贴、学徒制、技能竞赛、职业资格采认、技能人才激励等。"
)
NOT_OFFICE = "本助手不代表任何政府部门，不能出具证明、批复或作出承诺；以下仅为政策文件原文的解读。"
FALLBACK_DEPARTMENT = "当地人力资源和社会保障部门（可拨打12345政务服务便民热线）"
MONEY_KINDS = ("per_head", "monthly", "one_off", "percentage")


@dataclass
class Segment:
    text: str
    quote: bool = False  # verbatim source text: never converted or rephrased


@dataclass
class Source:
    """One cited clause: what the answer quotes from it."""

    result: SearchResult
    quote: str


@dataclass
class Draft:
    segments: list[Segment] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    refused: bool = False
    warnings: list[str] = field(default_factory=list)
    follow_up: list[str] = field(default_factory=list)
    tool: ToolResult | None = None  # a result the answer relies on that the chain did not compute itself

    def say(self, text: str) -> None:
        self.segments.append(Segment(text))

    def cite(self, result: SearchResult, quote: str) -> int:
        for i, s in enumerate(self.sources, 1):
            if s.result.clause.clause_id == result.clause.clause_id and s.quote == quote:
                return i
        self.sources.append(Source(result, quote))
        return len(self.sources)

    def quote(self, result: SearchResult, quote: str) -> None:
        n = self.cite(result, quote)
        self.segments += [Segment("“"), Segment(quote, quote=True), Segment(f"”[{n}]")]


@dataclass
class AnswerContext:
    question: str
    standalone: str
    results: list[SearchResult]
    tool: ToolResult | None = None
    named_cities: tuple[str, ...] = ()
    unknown_city: str | None = None
    terms: tuple[str, ...] = ()  # categories the question names (高职, 技师 …)
    focus_rule: str | None = None  # the rule the question (or the conversation) is about

    @property
    def simplified(self) -> str:
        """The question as typed, in Simplified script: what every check reads."""
        return to_simplified(self.question)


def doc_line(doc: DocumentMeta) -> str:
    bits = [p for p in (doc.number, doc.date) if p]
    return f"《{doc.title}》" + (f"（{'，'.join(bits)}）" if bits else "")


def clause_label(result: SearchResult) -> str:
    c = result.clause
    if c.kind == "row":
        return f"“{c.title}”一栏"
    return c.heading_path[-1] if c.heading_path else c.title


class OfflineAnswerer:
    name = "offline"

    def __init__(self, catalogue: Catalogue, scorer: SentenceScorer):
        self.catalogue = catalogue
        self.scorer = scorer

    # ------------------------------------------------------------------ entry

    def answer(self, ctx: AnswerContext) -> Draft:
        draft = Draft()
        q = ctx.standalone
        if guards.asks_for_certificate(ctx.simplified):
            draft.say(NOT_OFFICE + "\n")
            draft.refused = True
            draft.warnings.append("问题要求出具证明或以政府部门名义作答：本助手不能这样做。")
        if guards.injection_attempt(ctx.simplified):
            draft.warnings.append("问题中含有要求改变助手规则的指令，已忽略；回答只依据政策文件原文。")
        if ctx.unknown_city:
            draft.say(
                f"现有政策文件中没有{ctx.unknown_city}的规定，无法回答。现有文件涉及："
                "厦门、大连、南通，以及一份地区不详的措施文件。"
                f"请咨询{ctx.unknown_city}{FALLBACK_DEPARTMENT}。"
            )
            draft.refused = True
            return draft
        if (
            not ctx.results
            or guards.is_task_request(q)
            or (guards.is_off_topic(q) and not ctx.tool and not self._grounded(ctx))
        ):
            draft.say(SCOPE)
            draft.refused = True
            return draft

        if self._use_tool(ctx):
            self._tool_answer(ctx, draft)
        else:
            self._fact_answer(ctx, draft)
            if ctx.tool is not None and ctx.tool.conditions and ctx.tool.status != "needs_input":
                self._conditions(ctx.tool, draft)
        self._flag_documents(draft)
        return draft

    # ------------------------------------------------------------------ tools

    def _use_tool(self, ctx: AnswerContext) -> bool:
        tool = ctx.tool
        if tool is None:
            return False
        rule = self.catalogue.get(tool.rule_id)
        if rule is not None and not rule.amounts and rule.kind == "eligibility" and guards.asks_amount(ctx.simplified):
            return False  # "how much" about a benefit the text gives no figure for: the fact path says so
        return tool.status != "needs_input" or tool.kind in ("eligibility", "lookup")

    def _tool_answer(self, ctx: AnswerContext, draft: Draft) -> None:
        tool = ctx.tool
        assert tool is not None
        rule = self.catalogue.get(tool.rule_id)
        assert rule is not None
        source = self._source_for(ctx, rule)
        if tool.status == "not_eligible":
            unmet = [c for c in tool.conditions if c.status == "not_met"]
            draft.say(f"按您描述的情况，目前不符合“{tool.title}”的条件：" + "；".join(c.label for c in unmet) + "。")
            for c in unmet:
                if c.remedy:
                    draft.say(f"\n· 需要：{c.remedy}。")
                if c.alternative:
                    draft.say(f"\n· 另一途径：{c.alternative}")
            if rule.kind in MONEY_KINDS:
                draft.say("\n不满足条件的，不能计算补贴金额。")
        elif tool.kind in ("eligibility", "lookup"):
            self._eligibility_lead(tool, draft)
        else:
            self._calculation_lead(rule, tool, draft)
        draft.say("\n依据" + doc_line(source.doc) + clause_label(source) + "：")
        draft.quote(source, rule.quote)
        self._conditions(tool, draft)
        if rule.notes:
            draft.say(f"\n说明：{rule.notes}")
        draft.warnings.extend(w for w in tool.warnings if w not in draft.warnings)

    def _calculation_lead(self, rule: Rule, tool: ToolResult, draft: Draft) -> None:
        who = tool.payee_zh if tool.payee != "none" else ""
        if tool.qualifier == "cap":
            draft.say(f"{who}按标准最多可获得{tool.title} {tool.result_text.replace('最高 ', '')}")
        elif tool.qualifier == "floor":
            draft.say(f"{who}可获得{tool.title}不少于 {tool.result_text.replace('不少于 ', '')}")
        else:
            draft.say(f"{who}可获得{tool.title}共 {tool.result_text}")
        if tool.formula:
            draft.say(f"（算式：{tool.formula} = {fmt(tool.result) if tool.result is not None else ''}）")
        draft.say("。")
        if tool.payee != "none":
            draft.say(f"这笔钱发给{tool.payee_zh}。")
        if tool.details.get("remaining_months") is not None:
            draft.say(
                f"已享受后，保障期内还剩 {tool.details['remaining_months']} 个月，"
                f"共 {tool.details['remaining_amount']} 元（{tool.details['remaining_formula']}）。"
            )

    def _eligibility_lead(self, tool: ToolResult, draft: Draft) -> None:
        if tool.kind == "lookup" and tool.outcome and tool.status != "needs_input":
            draft.say(f"{tool.title}：{tool.outcome}。")
            return
        outcome = tool.outcome.rstrip("。")
        if tool.status == "eligible":
            draft.say(f"按您描述的情况，符合“{tool.title}”的条件：{outcome}。")
        elif tool.status == "needs_input":
            draft.say(f"关于“{tool.title}”：请先说明：{'；'.join(tool.questions)}")
        else:
            draft.say(f"关于“{tool.title}”：满足下列全部条件的，{outcome or '可以享受'}。")

    def _conditions(self, tool: ToolResult, draft: Draft) -> None:
        if not tool.conditions:
            return
        mark = {"met": "✔ 已满足", "not_met": "✘ 不满足", "unknown": "？待确认"}
        draft.say("\n条件：")
        rule = self.catalogue.get(tool.rule_id)
        alternatives = {a.when: a.text for a in rule.alternatives} if rule else {}
        for c in tool.conditions:
            draft.say(f"\n· {c.label}——{mark[c.status]}")
            if c.status == "unknown" and c.id in alternatives:
                draft.say(f"（如不满足：{alternatives[c.id]}）")
        unknown = [c.question for c in tool.conditions if c.status == "unknown"]
        draft.follow_up.extend(unknown + [q for q in tool.questions if q not in unknown])
        if draft.follow_up:
            draft.say("\n请补充：" + "；".join(draft.follow_up))

    def _source_for(self, ctx: AnswerContext, rule: Rule) -> SearchResult:
        for r in ctx.results:
            if r.clause.clause_id == rule.clause_id:
                return r
        raise LookupError(rule.clause_id)

    # ------------------------------------------------------------------ facts

    def _fact_answer(self, ctx: AnswerContext, draft: Draft) -> None:
        top = ctx.results[0]
        query = analyze(ctx.standalone).expanded
        wants_figure = guards.asks_amount(ctx.standalone) or bool(extract_amounts(ctx.simplified))
        if self._unknown_origin(ctx, top, draft):
            return
        self._focus_lead(ctx, draft)
        sentences = self.scorer.best(query, top.clause.text, wants_figure=wants_figure, terms=ctx.terms)
        if not sentences:
            draft.say(SCOPE)
            draft.refused = True
            return
        quote = top.clause.text[sentences[0].start : sentences[-1].end]
        if len(quote) > 320:
            quote = sentences[0].text

        # Whether the figure is stated is judged on the sentence that best matches the question,
        # not on a neighbour quoted for context (南通 rent: the 150万元 is a credit line).
        primary = self.scorer.best(query, top.clause.text, wants_figure=False, terms=ctx.terms, limit=1)
        judged = primary[0].text if primary else quote
        stated = guards.states_figure(judged, money=guards.asks_money(ctx.simplified))
        vague = guards.vague_amount(judged)
        corrected = self._premise(ctx, top, quote, draft)
        if not corrected and wants_figure and not stated and vague:
            dept = guards.departments(top.clause) or FALLBACK_DEPARTMENT
            draft.say(f"文件没有写明具体金额或标准：原文只说“{vague}”。具体标准请咨询负责单位：{dept}。")
            draft.refused = True
            quote = judged  # only what the text says about the thing asked; no other figures beside it
        elif not corrected and ctx.tool is not None and ctx.tool.status == "needs_input":
            draft.say(f"要算出具体金额，还需要知道：{'；'.join(ctx.tool.questions)}")
            draft.follow_up.extend(ctx.tool.questions)
        draft.say(("\n" if draft.segments else "") + "依据" + doc_line(top.doc) + clause_label(top) + "：")
        draft.quote(top, quote)
        if not draft.refused:
            self._amount_notes(top, quote, draft)

        second = self._second_source(ctx, top)
        if second is not None:
            more = self.scorer.best(query, second.clause.text, wants_figure=wants_figure, limit=1)
            if more:
                draft.say("\n另见" + doc_line(second.doc) + clause_label(second) + "：")
                draft.quote(second, more[0].text)
                self._amount_notes(second, more[0].text, draft)

    def _grounded(self, ctx: AnswerContext) -> bool:
        """The question shares distinctive words with the best clause (一试双证 is, 天气 is not)."""
        top = ctx.results[0]
        q = set(self.scorer.tokenizer.tokenize(to_simplified(ctx.standalone)))
        return self.scorer.score(q, top.clause.text, wants_figure=False) >= 3.0

    def _unknown_origin(self, ctx: AnswerContext, top: SearchResult, draft: Draft) -> bool:
        """'Who issued it, when?' about a document whose metadata the corpus does not have."""
        if not guards.asks_origin(ctx.simplified):
            return False
        doc = top.doc
        missing = [
            name
            for name, value in (("发文机关", doc.issuer), ("文号", doc.number), ("日期", doc.date))
            if not value or value in ("未注明", "未知")
        ]
        if doc.city in ("", "未知"):
            missing.insert(0, "适用城市")
        if not missing:
            return False
        known = [
            f"{name}：{value}"
            for name, value in (("标题", doc.title), ("发文机关", doc.issuer), ("文号", doc.number), ("日期", doc.date))
            if value and value not in ("未注明", "未知")
        ]
        draft.say(f"文件没有写明{('、'.join(missing))}，无法回答。")
        if known:
            draft.say("已知信息：" + "；".join(known) + "。")
        draft.refused = True
        return True

    def _focus_lead(self, ctx: AnswerContext, draft: Draft) -> None:
        """For "如果是高职生呢？": the amount of the category asked about, from the rule."""
        rule = self.catalogue.get(ctx.focus_rule) if ctx.focus_rule else None
        if rule is None or not ctx.terms:
            return
        for term in ctx.terms:
            a = rule.amount(term)
            if a is None:
                continue
            q = a.qualifier or rule.qualifier
            prefix = {"cap": "最高", "floor": "不少于", "after_tax": "税后"}.get(q, "")
            payee = f"，发给{PAYEE_ZH[rule.payee]}" if rule.payee != "none" else ""
            draft.say(f"{a.label or a.category}：{prefix}{fmt(a.value)}{rule.unit}{payee}。")

    def _premise(self, ctx: AnswerContext, top: SearchResult, quote: str, draft: Draft) -> bool:
        """Correct a figure, qualifier or status the question takes for granted; True when corrected."""
        text = top.clause.text
        if top.doc.status == "draft" and guards.asks_status(ctx.simplified):
            draft.say(f"需要更正：《{top.doc.title}》是征求意见稿，尚未正式印发生效，不能作为正式依据。")
            return True
        if re.search(r"税前", ctx.simplified) and "税后" in text:
            draft.say("不对：文件写的是税后金额，不是税前。")
            return True
        for p in guards.premises(ctx.simplified):
            units = {"万": ("万", "万元"), "万元": ("万", "万元"), "%": ("%", "％"), "％": ("%", "％")}.get(
                p.unit, (p.unit,)
            )
            stated = re.compile(rf"(?<![\d.]){re.escape(p.value)}\s*(?:{'|'.join(map(re.escape, units))})")
            if stated.search(text):
                continue  # the figure is right
            same_unit = re.findall(rf"\d+(?:\.\d+)?\s*{re.escape(p.unit)}", quote) or re.findall(
                rf"\d+(?:\.\d+)?\s*{re.escape(p.unit)}", text
            )
            if same_unit:
                actual = "、".join(dict.fromkeys(same_unit))
                draft.say(f"不是{p.text}。文件规定的是{actual}。")
                return True
            vague = guards.vague_amount(quote) or guards.vague_amount(text)
            if vague:
                draft.say(f"文件没有规定{p.text}，原文只说“{vague}”。")
                return True
        return False

    def _amount_notes(self, result: SearchResult, quote: str, draft: Draft) -> None:
        """Restate the amounts of the quoted text with qualifier, unit, period and payee."""
        for rule in self.catalogue.rules:
            if rule.clause_id != result.clause.clause_id or rule.kind not in MONEY_KINDS + ("one_off",):
                continue
            if not (rule.quote in quote or quote in rule.quote or _overlap(rule.quote, quote) > 0.5):
                continue
            draft.say("\n· " + amount_summary(rule))

    def _second_source(self, ctx: AnswerContext, top: SearchResult) -> SearchResult | None:
        if ctx.named_cities or len(ctx.results) < 2:
            return None
        second = ctx.results[1]
        if second.doc.id == top.doc.id or second.score < 0.85 * top.score:
            return None
        return second

    # ------------------------------------------------------------------ flags

    def _flag_documents(self, draft: Draft) -> None:
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


def amount_summary(rule: Rule) -> str:
    parts = []
    for a in rule.amounts:
        q = a.qualifier or rule.qualifier
        prefix = {"cap": "最高", "floor": "不少于", "after_tax": "税后"}.get(q, "")
        parts.append(f"{a.label or a.category}{prefix}{fmt(a.value)}")
    if rule.kind == "percentage" and rule.rate is not None:
        parts.append(f"{QUALIFIER_ZH[rule.qualifier] if rule.qualifier != 'exact' else ''}{fmt(rule.rate)}%")
    unit = rule.unit
    period = f"，保障期{rule.period_months}个月" if rule.period_months else ""
    payee = f"，发给{PAYEE_ZH[rule.payee]}" if rule.payee != "none" else ""
    return f"{rule.title}：{'、'.join(parts)}{(' ' + unit) if unit and unit != '%' else ''}{period}{payee}。"


def _overlap(a: str, b: str) -> float:
    """Share of the shorter string's characters found as 6-character runs in the other."""
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) < 6:
        return 0.0
    grams = [short[i : i + 6] for i in range(len(short) - 5)]
    return sum(1 for g in grams if g in long_) / len(grams)


def as_dict(tool: ToolResult | None) -> dict[str, Any] | None:
    return tool.model_dump(mode="json") if tool is not None else None
