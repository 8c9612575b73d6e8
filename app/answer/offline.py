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
from decimal import Decimal
from typing import Any

from app.answer import guards
from app.answer.sentences import SentenceScorer
from app.frame.places import find_places
from app.frame.schema import QuestionFrame
from app.query import analyze, extract_amounts
from app.retrieval import SearchResult
from app.scope import Scope
from app.tools.accounting import Plan
from app.tools.calculators import fmt
from app.tools.engine import UNREVIEWED
from app.tools.result import ToolResult
from app.tools.rules import PAYEE_ZH, QUALIFIER_ZH, Catalogue, Rule
from ingest.schema import DocumentMeta
from ingest.textproc import to_simplified
from ingest.vocab import vocabulary


def scope_text(covered: list[str]) -> str:
    places = "、".join(covered) if covered else "已收录地区"
    return (
        f"我是技能人才政策助手，只能回答已收录的技能人才政策文件（{places}等地）中的问题，"
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
    computed: list[ToolResult] = field(default_factory=list)  # further calculator results it states (per place)
    absent: bool = False  # refused because the asked level is not among those the provision lists

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
    frame: QuestionFrame | None = None
    scope: Scope | None = None
    rule: Rule | None = None  # the rule the question (or the conversation) is about
    plan: Plan | None = None  # where every number of the question went
    rules: list[Rule] = field(default_factory=list)  # the rules of the documents in scope
    parts: list[Any] = field(default_factory=list)  # (Part, ToolResult) when several provisions answer
    doc_clauses: Any = None  # doc_id → its clauses (for a department named in another clause)

    @property
    def simplified(self) -> str:
        """The question as typed, in Simplified script: what every check reads."""
        return self.frame.text if self.frame is not None else to_simplified(self.question)

    @property
    def terms(self) -> tuple[str, ...]:
        """Categories of the rule the question names (高职, 技师 …)."""
        if self.rule is None:
            return ()
        text = self.simplified
        return tuple(a.category for a in self.rule.amounts if any(f in text for f in self.rule.forms(a)))

    @property
    def covered(self) -> list[str]:
        return self.scope.covered if self.scope is not None else []


def doc_line(doc: DocumentMeta, ctx: AnswerContext | None = None) -> str:
    """Place《title》（number, date）: the document's place in one glance, unless the title names it."""
    bits = [p for p in (doc.number, doc.date) if p]
    place = ""
    if doc.city in ("", "未知"):
        if ctx is not None and ctx.scope is not None and not ctx.scope.restricted:
            place = "（地区不详）"
    elif doc.city not in doc.title:
        place = doc.city
    return f"{place}《{doc.title}》" + (f"（{'，'.join(bits)}）" if bits else "")


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
        if guards.injection_attempt(to_simplified(ctx.question)):
            draft.warnings.append("问题中含有要求改变助手规则的指令，已忽略；回答只依据政策文件原文。")
        scope = ctx.scope
        if scope is not None and scope.restricted and not scope.doc_ids:
            missing = "、".join(scope.uncovered)
            covered = "、".join(scope.covered)
            draft.say(
                f"语料中没有{missing}的文件，无法回答{missing}的规定。"
                + (f"现有文件涉及：{covered}。" if covered else "")
                + f"请咨询{missing}{FALLBACK_DEPARTMENT}。"
            )
            draft.refused = True
            return draft
        if (
            not ctx.results
            or guards.is_task_request(q)
            or (guards.is_off_topic(q) and not ctx.tool and not self._grounded(ctx))
        ):
            draft.say(scope_text(ctx.covered))
            draft.refused = True
            return draft

        if (
            self._absent(ctx, draft)
            or self._unlisted_category(ctx, draft)
            or self._below_threshold(ctx, draft)
            or self._unstated_money(ctx, draft)
        ):
            pass
        elif ctx.parts:
            self._basket_answer(ctx, draft)
        elif self._use_tool(ctx):
            self._tool_answer(ctx, draft)
        else:
            self._fact_answer(ctx, draft)
            if not draft.refused and ctx.tool is not None and ctx.tool.conditions and ctx.tool.status != "needs_input":
                self._conditions(ctx.tool, draft, ctx.rule)
        self._flag_documents(draft)
        return draft

    # ------------------------------------------------------------------ tools

    def _use_tool(self, ctx: AnswerContext) -> bool:
        tool, rule = ctx.tool, ctx.rule
        if tool is None or rule is None:
            return False
        if rule.kind == "unstated" or (
            not rule.amounts and rule.kind == "eligibility" and guards.asks_amount(ctx.simplified)
        ):
            return False  # "how much" about a benefit the text gives no figure for: the fact path says so
        if tool.status == "needs_input" and ctx.plan is not None and (ctx.plan.groups or ctx.plan.missing):
            return True  # the user gave figures: say what was understood and what is missing
        return tool.status != "needs_input" or tool.kind in ("eligibility", "lookup")

    def _status_and_tax(self, ctx: AnswerContext, source: SearchResult, draft: Draft) -> bool:
        """A draft taken as in force, or 税前 where the text says 税后: corrected first."""
        if source.doc.status == "draft" and guards.asks_status(ctx.simplified):
            draft.say(f"需要更正：《{source.doc.title}》是征求意见稿，尚未正式印发生效，不能作为正式依据。\n")
            return True
        if re.search(r"税前", ctx.simplified) and "税后" in source.clause.text:
            draft.say("不对：文件写的是税后金额，不是税前。\n")
            return True
        return False

    def _tool_answer(self, ctx: AnswerContext, draft: Draft) -> None:
        tool, rule, p = ctx.tool, ctx.rule, ctx.plan
        assert tool is not None and rule is not None
        source = self._source_for(ctx, rule)
        self._status_and_tax(ctx, source, draft)
        if _asks_for_self(ctx.simplified) and rule.payee in _ORG_PAYEES:
            draft.say(f"需要更正：这笔钱不发给个人，发给{PAYEE_ZH[rule.payee]}。\n")
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
        elif tool.result is not None:
            self._calculation_lead(rule, tool, draft)
        else:
            self._no_total_lead(rule, tool, p, draft)
        if p is not None:
            self._accounting_lines(rule, tool, p, draft)
        draft.say("\n依据" + doc_line(source.doc, ctx) + clause_label(source) + "：")
        draft.quote(source, rule.quote)
        self._conditions(tool, draft, rule)
        if rule.notes:
            draft.say(f"\n说明：{rule.notes}")
        if not rule.reviewed and rule.kind in MONEY_KINDS + ("percentage",):
            draft.say("\n" + UNREVIEWED)
        draft.warnings.extend(w for w in tool.warnings if w not in draft.warnings)

    def _unlisted_category(self, ctx: AnswerContext, draft: Draft) -> bool:
        """拔尖人才 where the provision lists 领军人才、高端人才、青年才俊: a name of the same kind as the
        listed categories (the same head word) that is none of them and that the text does not use."""
        frame, rule = ctx.frame, ctx.rule
        if frame is None or rule is None or len(rule.amounts) < 2 or frame.groups:
            return False
        labels = [a.label or a.category for a in rule.amounts]
        heads = [h for h in {lab[-2:] for lab in labels} if sum(lab.endswith(h) for lab in labels) >= 2]
        text = frame.text
        forms = [f for a in rule.amounts for f in rule.forms(a) if f]
        if any(f in text for f in forms):
            return False
        own = rule.quote + rule.title
        places = "".join(p.text for p in frame.places)
        # 引进人才 / 台湾人才: the provision's own words (新引进的…) or a place describe, they do not name a class.
        unlisted = [
            m.group(0)
            for h in heads
            for m in re.finditer(r"([\u4e00-\u9fff]{2})" + re.escape(h), text)
            if m.group(0) not in own
            and m.group(1) not in own
            and m.group(1) not in places
            and not find_places(m.group(1))
            and not any(m.group(0) in f or f in m.group(0) for f in forms)
        ]
        if not unlisted:
            return False
        source = next((r for r in ctx.results if r.clause.clause_id == rule.clause_id), None)
        if source is None:
            return False
        names = "、".join(dict.fromkeys(unlisted))
        draft.say(f"文件没有写{names}的标准：这一条只列了" + "、".join(dict.fromkeys(labels)) + "，没有这一类。")
        draft.say("\n依据" + doc_line(source.doc, ctx) + clause_label(source) + "：")
        draft.quote(source, rule.quote)
        siblings = ctx.doc_clauses(source.doc.id) if ctx.doc_clauses else []
        dept = guards.departments(source.clause, siblings)
        if dept:
            draft.say(f"\n如需了解，请咨询：{dept}。")
        draft.refused = True
        draft.absent = True
        return True

    def _below_threshold(self, ctx: AnswerContext, draft: Draft) -> bool:
        """区级技能大师工作室领办人 where the provision requires 市级及以上: the level asked does not meet
        it — said so with the clause, never answered with the provision's figure as if it applied."""
        frame, rule = ctx.frame, ctx.rule
        if frame is None or rule is None or not frame.levels or frame.groups:
            return False
        if frame.intent in ("check", "entitlements"):
            return False  # 我只有中级工证书，能申请吗: the eligibility answer says it is not met
        for cond in rule.conditions:
            if cond.min_rank is None:
                continue
            asked = [lv for lv in frame.levels if lv.ladder == cond.ladder]
            if not asked or any(lv.rank >= cond.min_rank for lv in asked):
                continue
            source = next((r for r in ctx.results if r.clause.clause_id == rule.clause_id), None)
            if source is None:
                return False
            names = "、".join(dict.fromkeys(lv.text for lv in asked))
            draft.say(f"这一条要求{cond.label}；您说的{names}低于这一等级，文件没有规定{names}的。")
            draft.say("\n依据" + doc_line(source.doc, ctx) + clause_label(source) + "：")
            draft.quote(source, rule.quote)
            siblings = ctx.doc_clauses(source.doc.id) if ctx.doc_clauses else []
            dept = guards.departments(source.clause, siblings)
            if dept:
                draft.say(f"\n如需了解，请咨询：{dept}。")
            draft.refused = True
            draft.absent = True
            return True
        return False

    def _unstated_money(self, ctx: AnswerContext, draft: Draft) -> bool:
        """请确认：每人发放10万元补助 — a sum the user asks us to confirm that no provision found states: the
        text does not say it (refused), and what the best clause does say is quoted. A provision with
        amounts of its own corrects the figure instead (``_premise``)."""
        frame, rule = ctx.frame, ctx.rule
        claims = [c for c in (frame.claims if frame is not None else []) if c.unit == "元"]
        if not claims or (rule is not None and rule.kind in MONEY_KINDS):
            return False
        if any(_TEXT_MONEY.search(r.clause.text) for r in ctx.results[:3]):
            return False
        said = "、".join(_claimed(c.value, c.unit, c.text) for c in claims)
        draft.say(f"不能确认：所收录的文件没有规定{said}这笔钱。")
        draft.refused = True
        draft.warnings.append(f"文件没有规定{said}。")
        top = ctx.results[0]
        draft.say("\n相关条款是" + doc_line(top.doc, ctx) + clause_label(top) + "：")
        best = self.scorer.best(ctx.standalone, top.clause.text, wants_figure=False, terms=ctx.terms, limit=1)
        draft.quote(top, best[0].text if best else top.clause.text[:200])
        return True

    def _absent(self, ctx: AnswerContext, draft: Draft) -> bool:
        """A level the provision does not list (初级工 where the text lists 中级工 and up): the text does
        not state it — said so, with what it does state. Never priced at another level's rate.

        The provision is the rule the question was routed to; with none (the question names the level but
        not the benefit: 考了初级工证书能补多少钱), the provisions of the best-matching clause, when every
        one of them is priced by the ladder of the level asked and none lists it."""
        frame = ctx.frame
        if frame is None or not frame.levels:
            return False
        if ctx.rule is not None:
            if not ctx.rule.amounts:
                return False
            rules = [ctx.rule]
        else:
            top = ctx.results[0].clause.clause_id if ctx.results else ""
            rules = [r for r in ctx.rules if r.clause_id == top and r.amounts]
        if not rules:
            return False
        amounts = [a for r in rules for a in r.amounts]
        ladders = {a.ladder for a in amounts if a.ladder}
        listed = {(a.ladder, a.rank) for a in amounts if a.ladder}
        # 中职（中级工）、高职（高级工）: the levels the categories' labels stand for are listed too — when
        # they differ between categories (a 市级 said of every prize is where, not what is listed).
        said = [(lv.ladder, lv.rank) for a in amounts for _, _, lv in vocabulary().levels_in(a.label or "")]
        for ladder in {lad for lad, _ in said}:
            ranks = {r for lad, r in said if lad == ladder}
            if len(ranks) >= 2:
                ladders.add(ladder)
                listed.update((ladder, r) for r in ranks)
        asked = [lv for lv in frame.levels if lv.ladder in ladders]
        if not asked or any((lv.ladder, lv.rank) in listed for lv in asked):
            return False
        if ctx.rule is None and any(not any(a.ladder in ladders for a in r.amounts) for r in rules):
            return False  # a provision of the clause priced by something else may be the one asked about
        rule = rules[0]
        source = next((r for r in ctx.results if r.clause.clause_id == rule.clause_id), None)
        if source is None:
            return False
        first = {(lv.ladder, lv.rank): lv for lv in reversed(asked)}  # 初级工（五级）: one level, said once
        names = "、".join(
            dict.fromkeys(
                _as_listed(frame.text, lv.text, lv.span.end, amounts)
                for lv in asked
                if first[(lv.ladder, lv.rank)] is lv
            )
        )
        title = rule.title if len(rules) == 1 else re.split(r"[（(]", rule.title)[0]
        draft.say(
            f"文件没有写{names}的标准：“{title}”只列了"
            + "、".join(dict.fromkeys(a.label or a.category for a in amounts))
            + "，不能按其他等级的标准计算。"
        )
        draft.say("\n依据" + doc_line(source.doc, ctx) + clause_label(source) + "：")
        draft.quote(source, rule.quote)
        siblings = ctx.doc_clauses(source.doc.id) if ctx.doc_clauses else []
        dept = guards.departments(source.clause, siblings)
        if dept:
            draft.say(f"\n如需了解，请咨询：{dept}。")
        draft.refused = True
        draft.absent = True
        return True

    def _basket_answer(self, ctx: AnswerContext, draft: Draft) -> None:
        """Several provisions: each with its own figure and clause, then the sum (or why there is none)."""
        total = ctx.tool
        assert total is not None
        if total.result is not None:
            prefix = {"cap": "最高", "floor": "不少于"}.get(total.qualifier, "")
            draft.say(f"合计{prefix} {fmt(total.result)} 元（算式：{total.formula} = {fmt(total.result)}）。")
            if total.qualifier == "mixed":
                draft.say("其中各项标准性质不同（有的是上限或下限），请分别看下面各项。")
        else:
            draft.say("问题涉及几项政策，其中有的还不能算出金额，暂不给出合计。")
        for i, (part, tool) in enumerate(ctx.parts, 1):
            rule = part.rule
            draft.say(f"\n{i}. ")
            if tool.result is not None:
                self._calculation_lead(rule, tool, draft)
            else:
                self._no_total_lead(rule, tool, part.plan, draft)
            self._accounting_lines(rule, tool, part.plan, draft)
            source = self._source_for(ctx, rule)
            draft.say("\n依据" + doc_line(source.doc, ctx) + clause_label(source) + "：")
            draft.quote(source, rule.quote)
            if not rule.reviewed:
                draft.say("\n" + UNREVIEWED)
        for q in total.questions:
            if q not in draft.follow_up:
                draft.follow_up.append(q)
        if draft.follow_up:
            draft.say("\n请补充：" + "；".join(draft.follow_up))
        draft.warnings.extend(w for w in total.warnings if w not in draft.warnings)

    def _calculation_lead(self, rule: Rule, tool: ToolResult, draft: Draft) -> None:
        who = tool.payee_zh if tool.payee not in ("none", "unspecified") else ""
        if tool.qualifier == "cap":
            draft.say(f"{who}按标准最多可获得{tool.title} {tool.result_text.replace('最高 ', '').replace('最多 ', '')}")
        elif tool.qualifier == "floor":
            draft.say(f"{who}可获得{tool.title}不少于 {tool.result_text.replace('不少于 ', '').replace('至少 ', '')}")
        else:
            draft.say(f"{who}可获得{tool.title}共 {tool.result_text}")
        if tool.formula:
            draft.say(f"（算式：{tool.formula} = {fmt(tool.result) if tool.result is not None else ''}）")
        draft.say("。")
        if tool.status == "conditional":
            draft.say("以上金额以满足下列全部条件为前提。")
        if tool.payee not in ("none", "unspecified"):
            draft.say(f"这笔钱发给{tool.payee_zh}。")
        elif tool.payee == "unspecified":
            draft.say("文件没有写明这笔钱发给谁。")
        if tool.details.get("remaining_months") is not None:
            draft.say(
                f"已享受后，保障期内还剩 {tool.details['remaining_months']} 个月，"
                f"共 {tool.details['remaining_amount']} 元（{tool.details['remaining_formula']}）。"
            )

    def _no_total_lead(self, rule: Rule, tool: ToolResult, p: Plan | None, draft: Draft) -> None:
        """What was understood, and why no total can be given yet."""
        draft.say(f"关于“{tool.title}”：")
        if p is not None and p.not_listed:
            listed = "、".join(a.label or a.category for a in rule.amounts)
            names = "、".join(
                f"{g.label}{'（' + str(g.count) + '人）' if g.count is not None else ''}" for g in p.not_listed
            )
            draft.say(f"文件只列了{listed}的标准，没有写{names}的标准，不能按其他类别的标准计算，因此无法给出合计。")
        elif p is not None and p.not_understood:
            draft.say("问题中有数字我没能确定含义，为避免算错，暂不给出合计。")
        else:
            draft.say("还缺少计算所需的信息，暂不给出合计。")
        amounts = amount_summary(rule)
        draft.say("\n· " + amounts)

    def _accounting_lines(self, rule: Rule, tool: ToolResult, p: Plan, draft: Draft) -> None:
        reading = p.reading()
        if reading:
            draft.say("\n按您说的：" + reading + "。")
        for g in p.excluded:
            failed = [c for c in rule.conditions if g.verdicts.get(c.id) == "not_met"]
            fix = "；".join(c.remedy or f"满足“{c.label}”" for c in failed)
            draft.say(
                f"\n· 未计入：{g.label}{g.count if g.count is not None else ''}人——{g.reason}；{fix}后可按标准计入。"
            )
        for c in p.claims:
            if c.correct is False and c.actual:
                draft.say(
                    f"\n· 需要更正：不是{_claimed(c.claimed, c.unit, c.text)}，文件规定的是{'、'.join(dict.fromkeys(c.actual))}。"
                )
            elif c.correct is True:
                draft.say(f"\n· 您说的{_claimed(c.claimed, c.unit, c.text)}与文件一致。")
        if tool.result is None:
            for a in p.missing:
                if a not in draft.follow_up:
                    draft.follow_up.append(a)

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

    def _conditions(self, tool: ToolResult, draft: Draft, rule: Rule | None = None) -> None:
        """Each condition with its status, then one line with everything still to ask."""
        if tool.conditions:
            mark = {"met": "✔ 已满足", "not_met": "✘ 不满足", "unknown": "？待确认"}
            draft.say("\n条件：")
            alternatives = {a.when: a.text for a in rule.alternatives} if rule else {}
            for c in tool.conditions:
                draft.say(f"\n· {c.label}——{mark[c.status]}")
                if c.status == "unknown" and c.id in alternatives:
                    draft.say(f"（如不满足：{alternatives[c.id]}）")
        unknown = [c.question for c in tool.conditions if c.status == "unknown"]
        for q in [*tool.questions, *unknown]:
            if q not in draft.follow_up:
                draft.follow_up.append(q)
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
        focused = self._focus_lead(ctx, draft)
        sentences = self.scorer.best(query, top.clause.text, wants_figure=wants_figure, terms=ctx.terms)
        if not sentences:
            draft.say(scope_text(ctx.covered))
            draft.refused = True
            return
        quote = top.clause.text[sentences[0].start : sentences[-1].end]
        if len(quote) > 320:
            # Too long to quote whole: the sentence that answers best, not the first in the text.
            best = self.scorer.best(query, top.clause.text, wants_figure=wants_figure, terms=ctx.terms, limit=1)
            quote = best[0].text if best else sentences[0].text
        rule = ctx.rule
        if (
            focused
            and rule is not None
            and rule.clause_id == top.clause.clause_id
            and rule.quote in top.clause.text
            and not (rule.quote in quote or _overlap(rule.quote, quote) > 0.5)
        ):
            # The lead states the provision's amount: its own words are quoted, not a neighbour that
            # only shares the question's words (培养平台…劳模创新工作室等 beside 每家3万元).
            quote = rule.quote

        # Whether the figure is stated is judged on the sentence that best matches the question,
        # not on a neighbour quoted for context (南通 rent: the 150万元 is a credit line).
        primary = self.scorer.best(query, top.clause.text, wants_figure=False, terms=ctx.terms, limit=1)
        judged = primary[0].text if primary else quote
        stated = guards.states_figure(judged, money=guards.asks_money(ctx.simplified))
        vague = guards.vague_amount(judged)
        corrected = self._premise(ctx, top, quote, draft)
        if not corrected and wants_figure and not stated and vague:
            siblings = ctx.doc_clauses(top.doc.id) if ctx.doc_clauses else []
            dept = guards.departments(top.clause, siblings) or FALLBACK_DEPARTMENT
            draft.say(f"文件没有写明具体金额或标准：原文只说“{vague}”。具体标准请咨询负责单位：{dept}。")
            draft.refused = True
            quote = judged  # only what the text says about the thing asked; no other figures beside it
        elif (
            not corrected
            and guards.asks_money(ctx.simplified)
            and not guards.states_figure(top.clause.text, money=True)
            and not (rule is not None and rule.amounts)
        ):
            # 评上的每人奖励多少钱 where the clause gives no sum at all: the text does not say.
            siblings = ctx.doc_clauses(top.doc.id) if ctx.doc_clauses else []
            dept = guards.departments(top.clause, siblings) or FALLBACK_DEPARTMENT
            draft.say(f"文件没有写明金额：这一条没有规定具体数额。具体标准请咨询负责单位：{dept}。")
            draft.refused = True
            quote = judged
        elif not corrected and ctx.tool is not None and ctx.tool.status == "needs_input":
            draft.say(f"要算出具体金额，还需要知道：{'；'.join(ctx.tool.questions)}")
            draft.follow_up.extend(ctx.tool.questions)
        draft.say(("\n" if draft.segments else "") + "依据" + doc_line(top.doc, ctx) + clause_label(top) + "：")
        draft.quote(top, quote)
        if not draft.refused:
            self._amount_notes(ctx, top, quote, draft)

        second = self._second_source(ctx, top)
        if second is not None:
            more = self.scorer.best(query, second.clause.text, wants_figure=wants_figure, limit=1)
            if more:
                draft.say("\n另见" + doc_line(second.doc, ctx) + clause_label(second) + "：")
                draft.quote(second, more[0].text)
                self._amount_notes(ctx, second, more[0].text, draft)

    def _grounded(self, ctx: AnswerContext) -> bool:
        """The question shares distinctive words with the best clause (一试双证 is, 天气 is not)."""
        top = ctx.results[0]
        q = set(self.scorer.tokenizer.tokenize(to_simplified(ctx.standalone)))
        return self.scorer.score(q, top.clause.text, wants_figure=False) >= 3.0

    def _unknown_origin(self, ctx: AnswerContext, top: SearchResult, draft: Draft) -> bool:
        """'Who issued it, when, what number?': the document's metadata (from the manifest, or found in its
        text). Refused only when what is asked is not known; True when the answer is complete."""
        if not (guards.asks_origin(ctx.simplified) or (ctx.frame is not None and ctx.frame.intent == "meta")):
            return False
        doc = top.doc
        text = ctx.simplified

        def known(v: str) -> bool:
            return bool(v) and v not in ("未注明", "未知") and "未注明" not in v

        fields = {"发文机关": doc.issuer, "文号": doc.number, "日期": doc.date}
        asked = [
            name
            for name, pattern in (
                (
                    "发文机关",
                    r"谁|哪个(?:部门|单位|机关)|哪些(?:部门|单位)|发文机关|发布机构|印发单位|哪[^，。？?]{0,6}发的",
                ),
                ("文号", r"文号|字号|几号文"),
                ("日期", r"哪天|哪一天|日期|什么时候|时间|几月"),
            )
            if re.search(pattern, text)
        ]
        if not asked and guards.asks_status(text) and not guards.asks_origin(text):
            return False  # 已经正式印发的方案里…可以直接按这个申报吧: its status, not its origin
        missing = [n for n in (asked or list(fields)) if not known(fields[n])]
        if doc.city in ("", "未知") and re.search(r"哪个(?:地方|城市)|哪里", text):
            missing.insert(0, "适用地区")
        parts = [f"{n}：{v}" for n, v in fields.items() if known(v)]
        status = {"draft": "征求意见稿，尚未正式生效", "unknown": "来源不详"}.get(doc.status, "")
        if parts or status:
            draft.say(
                f"《{doc.title}》"
                + ("：" + "；".join(parts) if parts else "")
                + (f"；{status}" if status else "")
                + "。"
            )
        if missing and (asked or not parts):
            draft.say(f"文件没有写明{'、'.join(missing)}，无法回答。")
            draft.refused = True
            return True
        # The clause that states it (the header or the signature) is quoted when it is there: the line of
        # each field asked (a date as the text writes it, 2024年4月18日 for 2024-04-18), else the first.
        clauses = ctx.doc_clauses(doc.id) if ctx.doc_clauses else []
        written = {n: _written_forms(n, v) for n, v in fields.items() if known(v)}
        wanted = [n for n in (asked or list(written)) if n in written]
        quoted: list[str] = []
        for c in clauses:
            if c.kind not in ("header", "signature"):
                continue
            lines = [ln.strip() for ln in c.text.splitlines() if ln.strip()]
            chosen = [
                next((ln for ln in lines if any(f in ln for f in written[n])), "") for n in wanted if n not in quoted
            ]
            if not any(chosen) and not quoted and not wanted:
                continue
            source = SearchResult(clause=c, doc=doc, score=0.0)
            new = [ln for ln in dict.fromkeys(chosen) if ln]
            if not new:
                continue
            draft.say("\n依据" + clause_label(source) + "：")
            for ln in new:
                draft.quote(source, ln)
            quoted += [n for n in wanted if any(f in ln for ln in new for f in written[n])]
            if set(wanted) <= set(quoted):
                break
        if not re.search(_ASKS_PERIOD, text):
            return True
        # 从哪天开始施行 / 有效期到什么时候 / 意见征求到什么时候: the sentences of the text that state it.
        found = period_sentences(text, clauses)
        for c, sentence in found:
            source = SearchResult(clause=c, doc=doc, score=0.0)
            draft.say("\n依据" + clause_label(source) + "：")
            draft.quote(source, sentence)
        return bool(found)

    def _focus_lead(self, ctx: AnswerContext, draft: Draft) -> bool:
        """For "如果是高职生呢？": the amount of the category asked about, from the rule; True when said."""
        rule = ctx.rule
        if rule is None or not ctx.terms:
            return False
        said = False
        for term in ctx.terms:
            a = rule.amount(term)
            if a is None:
                continue
            q = a.qualifier or rule.qualifier
            prefix = {"cap": "最高", "floor": "不少于", "after_tax": "税后"}.get(q, "")
            payee = f"，发给{PAYEE_ZH[rule.payee]}" if rule.payee != "none" else ""
            draft.say(f"{a.label or a.category}：{prefix}{fmt(a.value)}{rule.unit}{payee}。")
            said = True
        return said

    def _premise(self, ctx: AnswerContext, top: SearchResult, quote: str, draft: Draft) -> bool:
        """Correct a figure, qualifier or status the question takes for granted; True when corrected."""
        text = top.clause.text
        if self._status_and_tax(ctx, top, draft):
            return True
        if ctx.plan is not None and ctx.rule is not None and ctx.rule.clause_id == top.clause.clause_id:
            for c in ctx.plan.claims:
                if c.correct is False and c.actual:
                    draft.say(
                        f"需要更正：不是{_claimed(c.claimed, c.unit, c.text)}。文件规定的是{'、'.join(c.actual)}。"
                    )
                    return True
            if all(c.correct is not None for c in ctx.plan.claims) and ctx.plan.claims:
                return False
        for claim in ctx.frame.claims if ctx.frame is not None else []:
            stated, actual = _claim_in_text(claim.value, claim.unit, text, quote)
            if stated:
                continue  # the figure is right
            said = _claimed(claim.value, claim.unit, claim.text)
            if actual:
                draft.say(f"需要更正：不是{said}。文件规定的是{'、'.join(actual)}。")
                return True
            vague = guards.vague_amount(quote) or guards.vague_amount(text)
            if vague:
                draft.say(f"不对：文件没有规定{said}，原文只说“{vague}”。")
                return True
        return False

    def _amount_notes(self, ctx: AnswerContext, result: SearchResult, quote: str, draft: Draft) -> None:
        """Restate the amounts of the quoted text with qualifier, unit, period and payee."""
        for rule in ctx.rules or self.catalogue.rules:
            capped_rate = rule.kind == "percentage" and bool(rule.limits or rule.period_months)
            if rule.clause_id != result.clause.clause_id or (
                rule.kind not in MONEY_KINDS + ("one_off",) and not capped_rate
            ):
                continue
            if not (rule.quote in quote or quote in rule.quote or _overlap(rule.quote, quote) > 0.5):
                continue
            draft.say("\n· " + amount_summary(rule))
            self._period_source(ctx, result, quote, rule, draft)

    def _period_source(self, ctx: AnswerContext, result: SearchResult, quote: str, rule: Rule, draft: Draft) -> None:
        """A period stated in the next item of the section (2. 补助期限…最长不超过24个月) is quoted from there."""
        months = rule.period_months
        if not months or not ctx.doc_clauses:
            return
        forms = [f"{months}个月"] + ([f"{months // 12}年"] if months % 12 == 0 else [])
        if any(f in quote for f in forms):
            return
        section = tuple(result.clause.heading_path[:-1])
        for sib in ctx.doc_clauses(result.doc.id):
            if sib.clause_id == result.clause.clause_id or tuple(sib.heading_path[:-1]) != section:
                continue
            for m in re.finditer(r"[^。；;]+[。；;]?", sib.text):
                if any(f in m.group(0) for f in forms):
                    draft.say("\n期限：")
                    draft.quote(SearchResult(clause=sib, doc=result.doc, score=result.score), m.group(0).strip())
                    return

    def _second_source(self, ctx: AnswerContext, top: SearchResult) -> SearchResult | None:
        if (ctx.scope is not None and ctx.scope.restricted) or len(ctx.results) < 2:
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


_ASKS_PERIOD = r"施行|实施|生效|有效|截止|截至|到什么时候|到哪天|多长|多久|期限|征求意见|意见征求|执行年限"
# What the question asks about a period (its start, its end, a consultation's window) → the words a
# sentence of the text states it with.
_PERIOD_ASKS = (
    (r"施行|实施|生效|开始|起", r"施行|实施|生效|起"),
    (r"有效|到期|截止|截至|到什么时候|到哪天|多长|多久|期限|执行年限", r"有效期|至|截止|截至|期满|执行年限"),
    (r"征求意见|意见征求", r"征求意见"),
)
_STATES_DATE = re.compile(
    r"\d{4}年\d{1,2}月\d{1,2}日|[〇零一二三四五六七八九]{4}年[一二三四五六七八九十]{1,2}月|有效期[^，。；]{0,3}\d+年"
    r"|有效期[一二三四五六七八九十]+年|(?:印发|发布|公布)之日起"
)


def period_sentences(question: str, clauses: list[Any]) -> list[tuple[Any, str]]:
    """The sentence that best states each period the question asks about (its start, its end, a
    consultation's window), in clause order: one with a date (or 有效期N年, 自印发之日起) and the words of
    what is asked."""
    best: dict[int, tuple[int, int, Any, str]] = {}
    asked = [(i, says) for i, (q, says) in enumerate(_PERIOD_ASKS) if re.search(q, question)]
    order = 0
    for c in clauses:
        for m in re.finditer(r"[^。；\n]+[。；]?", c.text):
            sentence = m.group(0).strip()
            order += 1
            if not sentence or not _STATES_DATE.search(sentence):
                continue
            hits = [i for i, says in asked if re.search(says, sentence)]
            for i in hits:
                if i not in best or len(hits) > best[i][0]:
                    best[i] = (len(hits), order, c, sentence)
    out: dict[tuple[str, str], tuple[Any, str]] = {}
    for _, _, c, s in sorted(best.values(), key=lambda b: b[1]):
        out.setdefault((c.clause_id, s), (c, s))
    return list(out.values())


def _written_forms(field: str, value: str) -> list[str]:
    """How the text may write a field's value: a date 2024-04-18 also as 2024年4月18日."""
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value) if field == "日期" else None
    if m:
        return [value, f"{m.group(1)}年{int(m.group(2))}月{int(m.group(3))}日"]
    return [value]


def _as_listed(text: str, said: str, end: int, amounts: list[Any]) -> str:
    """The asked level as the user wrote it, with the word the listed categories write after their level
    (中级工 + 班 when the text lists 高级工班、技师班 and the question says 中级工班)."""
    for a in amounts:
        label = a.label or a.category
        found = vocabulary().levels_in(label)
        if found:
            tail = re.match(r"[\u4e00-\u9fff]{1,2}", label[found[-1][1] :])
            if tail and text[end : end + len(tail.group(0))] == tail.group(0):
                return said + tail.group(0)
    return said


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
    if rule.kind == "percentage":
        # 按发放额的50%，每名师傅每月不超过500元，最长24个月: the rate's caps and longest period.
        for lim in rule.limits:
            if lim.kind == "per_person":
                each = {"month": "每人每月", "year": "每人每年"}.get(lim.period, "每人")
                parts.append(f"{each}最高{fmt(lim.value)}{lim.unit}")
        period = f"，最长{rule.period_months}个月" if rule.period_months else ""
    payee = f"，发给{PAYEE_ZH[rule.payee]}" if rule.payee != "none" else ""
    return f"{rule.title}：{'、'.join(parts)}{(' ' + unit) if unit and unit != '%' else ''}{period}{payee}。"


_ORG_PAYEES = ("enterprise", "institution", "employer", "studio_leader")


def _asks_for_self(text: str) -> bool:
    """给我个人发 / 打到我卡上 / 我本人能领: the asker takes the money to be paid to himself — said by a
    person, not by an organisation speaking of itself (给我们单位)."""
    if re.search(r"我们|咱们|我司|本公司|本单位|我单位|我厂|我校", text):
        return False
    return bool(re.search(r"我个人|我本人|(?:给|发给|打到|打给|转给)我(?:的|卡|账|个人|本人)?", text))


def _claimed(value: Decimal, unit: str, typed: str = "") -> str:
    """The user's figure as typed when it has digits (8万元, 48个月), else in digits (一万元 → 10000元)."""
    if typed and re.search(r"\d", typed):
        return typed
    return f"{fmt(value)}{unit}"


_TEXT_MONEY = re.compile(r"\d+(?:\.\d+)?\s*(?:万元|元)|[一二两三四五六七八九十百千万]+元")
_TEXT_FIGURE = re.compile(r"(\d+(?:\.\d+)?)\s*(万元|元|万|个月|年|%|％)")


def _claim_in_text(value: Decimal, unit: str, text: str, quote: str) -> tuple[bool, list[str]]:
    """Whether the clause states the claimed figure, and the figures of the same kind it does state."""
    same: list[str] = []
    found = False
    for source in (quote, text):
        for m in _TEXT_FIGURE.finditer(source):
            n, u = Decimal(m.group(1)), m.group(2)
            if unit == "元" and u in ("元", "万元", "万"):
                v = n * 10000 if u.startswith("万") else n
            elif unit == "个月" and u in ("个月", "年"):
                v = n * 12 if u == "年" else n
            elif unit == "%" and u in ("%", "％"):
                v = n
            else:
                continue
            if v == value:
                found = True
            same.append(m.group(0).replace(" ", ""))
        if same:
            break
    return found, list(dict.fromkeys(same))


def _overlap(a: str, b: str) -> float:
    """Share of the shorter string's characters found as 6-character runs in the other."""
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) < 6:
        return 0.0
    grams = [short[i : i + 6] for i in range(len(short) - 5)]
    return sum(1 for g in grams if g in long_) / len(grams)


def as_dict(tool: ToolResult | None) -> dict[str, Any] | None:
    return tool.model_dump(mode="json") if tool is not None else None
