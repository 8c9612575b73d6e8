"""Offline routing: from a question in everyday Chinese to a rule and its inputs.

No language model is involved. A rule is chosen by what the question names
(its keywords, its categories, its city) and by whether retrieval found the
rule's clause; then slots are filled:

* head counts — a number (Arabic or Chinese: 3, 三个, 两名) next to a category
  or an alias (中职, 高级技师, 中专生);
* facts for conditions — a cue word of the condition (社保, 合同, 考核) with a
  yes/no word beside it (签了合同 → yes, 社保还没交 → no), and for thresholds
  the number of months or years near the cue (交了两个月社保 → 2);
* months, a base amount (投资200万 → 2000000) or a head count base (就业人员10万人).

What the question does not say stays unknown, and the engine turns it into a
follow-up question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from app.query import arabic_numbers, extract_amounts
from app.tools.rules import Catalogue, Condition, Rule
from ingest.textproc import Tokenizer, to_simplified

Intent = Literal["calculate", "check"]

_NUM = r"(\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万]+)"
_MEASURE = r"(?:个|名|位|人|家|项)?"
_SEGMENT = re.compile(r"[，,。；;？?！!\n]")
_NEGATION = re.compile(r"没有|没|未|尚未|还没|不|无")
_AFFIRM = re.compile(r"了|过|完|已|都|有|满|通过|签|交|缴|是|在")
_MONTHS = re.compile(_NUM + r"\s*个?\s*(月|年)")
_AGE = re.compile(_NUM + r"\s*(?:周岁|岁)")
_PEOPLE_BASE = re.compile(_NUM + r"\s*(万)?\s*(?:人|名)")
_CALC_WORDS = re.compile(r"多少|几|能拿|能领|一共|合计|总共|总额|算一下|算算|计算|补多少|给多少|发多少|拿多少")
_CHECK_WORDS = re.compile(
    r"能不能|可不可以|可以吗|能否|是否|符合|资格|承认|认可|采认|算不算|有没有|行不行|能.{0,6}吗|享受|待遇|啥补贴|什么补贴|哪些补贴"
)

_QUESTION = re.compile(r"吗|么|是否|能不能|可不可以|有没有|需不需要|要不要|[？?]")
_MONEY_WORDS = re.compile(r"补贴|补助|奖励|津贴|资助|安家费|奖补|薪酬")
_SMALL = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}


def to_number(token: str) -> Decimal | None:
    token = token.strip()
    if not token:
        return None
    if re.fullmatch(r"\d+(?:\.\d+)?", token):
        return Decimal(token)
    if token in _SMALL:
        return Decimal(_SMALL[token])
    converted = arabic_numbers(token)
    return Decimal(converted) if re.fullmatch(r"\d+(?:\.\d+)?", converted) else None


@dataclass
class Route:
    rule: Rule
    intent: Intent
    inputs: dict[str, Any]
    score: float
    reasons: list[str] = field(default_factory=list)


def _terms(rule: Rule) -> list[tuple[str, str]]:
    """(surface form, category) for every category and alias, longest first."""
    pairs = []
    for a in rule.amounts:
        for form in {a.category, a.label, *a.aliases}:
            if form:
                pairs.append((form, a.category))
    for key in rule.lookup:
        pairs.append((key, key))
    return sorted(pairs, key=lambda p: -len(p[0]))


def named_categories(text: str, rule: Rule) -> list[str]:
    """Categories the text names, longest form first (高级技师 does not also name 技师)."""
    taken = [False] * len(text)
    found: list[str] = []
    for form, category in _terms(rule):
        for m in re.finditer(re.escape(form), text):
            if any(taken[m.start() : m.end()]):
                continue
            for i in range(m.start(), m.end()):
                taken[i] = True
            if category not in found:
                found.append(category)
    order = [a.category for a in rule.amounts]
    return sorted(found, key=lambda c: order.index(c) if c in order else len(order))


def extract_counts(text: str, rule: Rule) -> dict[str, int]:
    """Head counts by category: 3个中职 / 两名高职学徒 / 高级技师2人."""
    counts: dict[str, int] = {}
    taken = [False] * len(text)
    used: set[int] = set()  # where each count number starts: a number counts once
    for form, category in _terms(rule):
        for m in re.finditer(re.escape(form), text):
            if any(taken[m.start() : m.end()]):
                continue
            # 3个中职 / 3中职, or with a few words between once a measure word marks the count:
            # 2人取得高级技师, 3名员工进了市级竞赛.
            window = text[max(0, m.start() - 14) : m.start()]
            before = re.search(_NUM + r"\s*" + _MEASURE + r"\s*$", window) or re.search(
                _NUM + r"\s*(?:个|名|位|人)[\u4e00-\u9fff]{0,6}?$", window
            )
            # 高级技师2人 / 市赛进了四个人 / 省赛两个: a count after the category, a short verb between.
            after = re.match(r"\s*(?:有|共)?\s*" + _NUM + r"\s*" + _MEASURE, text[m.end() : m.end() + 6]) or re.match(
                r"[\u4e00-\u9fff]{0,3}?" + _NUM + r"\s*(?:个|名|位|人)", text[m.end() : m.end() + 9]
            )
            n, at = None, -1
            if before:
                n, at = to_number(before.group(1)), max(0, m.start() - 14) + before.start(1)
            elif after:
                n, at = to_number(after.group(1)), m.end() + after.start(1)
            if n is None or n != n.to_integral_value() or at in used:
                continue
            used.add(at)
            counts[category] = counts.get(category, 0) + int(n)
            for i in range(m.start(), m.end()):
                taken[i] = True
    return counts


def _cue_spans(text: str, rule: Rule) -> list[tuple[int, int, Condition]]:
    spans = []
    for cond in rule.conditions:
        for cue in cond.cues:
            for m in re.finditer(re.escape(cue), text):
                spans.append((m.start(), m.end(), cond))
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    kept: list[tuple[int, int, Condition]] = []
    for s in spans:  # drop cues inside a longer cue (社会保险 ⊃ 保险)
        if not kept or s[0] >= kept[-1][1]:
            kept.append(s)
    return kept


def _verdict(cond: Condition, before: str, after: str, cue: str = "") -> Any:
    """What the words around one cue say about its condition, or None."""
    window = before + after
    negated = bool(_NEGATION.search(before[-4:]) or _NEGATION.search(after[:4]))
    if cond.type == "threshold":
        if cond.unit in ("周岁", "岁"):
            # "25岁": the number stands right before the cue 岁; "年龄25" after it.
            age = re.search(_NUM + r"\s*$", before) or _AGE.search(window) or re.match(r"\s*是?\s*" + _NUM, after)
            return to_number(age.group(1)) if age else None
        m = _MONTHS.search(window)
        if m and (n := to_number(m.group(1))) is not None:
            return n * 12 if m.group(2) == "年" and cond.unit == "个月" else n
        if "半年" in window:
            return Decimal(6)
        return Decimal(0) if negated else None
    if cond.type == "boolean":
        if negated:
            return False
        # A cue that carries its own verb (在厦门工作) states the fact unless it is asked about.
        if _AFFIRM.search(window) or (_AFFIRM.match(cue) and not _QUESTION.search(window)):
            return True
        return None
    return next((o for o in cond.options if o in window), None)


def extract_facts(text: str, rule: Rule) -> dict[str, Any]:
    """Condition facts stated in the question; the rest stay unknown.

    Each cue is read within its own stretch of the sentence: from the previous
    cue (or punctuation) to the next. Cues joined only by 和/、 share the words
    that follow the last one (培训考核都过了 → both passed).
    """
    spans = _cue_spans(text, rule)
    cuts = [m.start() for m in _SEGMENT.finditer(text)]
    verdicts: list[Any] = []
    gaps: list[str] = []
    for i, (start, end, cond) in enumerate(spans):
        seg_start = max([c + 1 for c in cuts if c < start], default=0)
        seg_end = min([c for c in cuts if c >= end], default=len(text))
        left = max(seg_start, spans[i - 1][1] if i > 0 else 0)
        right = min(seg_end, spans[i + 1][0] if i + 1 < len(spans) else len(text))
        verdicts.append(_verdict(cond, text[left:start], text[end:right], text[start:end]))
        gaps.append(text[end:right])
    for i in range(len(spans) - 2, -1, -1):
        if (
            verdicts[i] is None
            and re.fullmatch(r"[和、及与跟\s]*", gaps[i])
            and spans[i + 1][0] == spans[i][1] + len(gaps[i])
        ):
            nxt, cond = verdicts[i + 1], spans[i][2]
            if cond.type == spans[i + 1][2].type:
                verdicts[i] = nxt
    facts: dict[str, Any] = {}
    for (_, _, cond), verdict in zip(spans, verdicts, strict=True):
        if verdict is not None and cond.id not in facts:
            facts[cond.id] = verdict
    return facts


def extract_base(text: str, rule: Rule) -> Decimal | None:
    if rule.kind == "target":
        m = _PEOPLE_BASE.search(text)
        if m and (n := to_number(m.group(1))) is not None:
            return n * 10000 if m.group(2) else n
        return None
    amounts = extract_amounts(text)
    return amounts[0] if amounts else None


class Router:
    def __init__(self, catalogue: Catalogue, tokenizer: Tokenizer | None = None):
        self.catalogue = catalogue
        self.tokenizer = tokenizer or Tokenizer()

    def _tokens(self, text: str) -> set[str]:
        return set(self.tokenizer.tokenize(to_simplified(text)))

    def candidates(
        self, question: str, *, city: str | None = None, clause_ids: list[str] | tuple[str, ...] = ()
    ) -> list[Route]:
        text = to_simplified(question)
        cities = {r.city for r in self.catalogue.rules if r.city and r.city != "未知"}
        named = {c for c in cities if c in text}
        wanted = {city} if city else named
        routes = []
        for rule in self.catalogue.rules:
            if wanted and rule.city not in wanted:
                continue
            score, reasons = 0.0, []
            hits = [k for k in rule.keywords if k in text]
            counts = extract_counts(text, rule)
            if not hits and not counts:
                continue  # a rule is chosen for what the question names, never for retrieval alone
            inputs = self.fill(text, rule)
            intent = self._intent(text, rule)
            facts = [c.id for c in rule.conditions if c.id in inputs]
            if rule.kind in ("eligibility", "lookup") and not (
                _CHECK_WORDS.search(text) or facts or "category" in inputs
            ):
                continue  # "每年什么时候更新？" is a question about the text, not an eligibility check
            score = 1.0 + 0.75 * (len(hits) - 1) + 0.05 * sum(len(k) for k in hits) if hits else 0.0
            reasons = ["keywords:" + ",".join(hits)] if hits else []
            if counts:
                score += 2.0 + 0.5 * len(counts)
                reasons.append("counts")
            if facts:
                score += 0.5 * len(facts)
                reasons.append("facts")
            # Words of the rule's own quote that the question uses tell similar rules apart
            # (高技能人才 … 1/3 vs 技能人才 … 40%).
            shared = {t for t in self._tokens(text) if len(t) >= 3} & self._tokens(rule.quote)
            score += min(0.1 * len(shared), 1.0)
            if clause_ids:
                if rule.clause_id == clause_ids[0]:
                    score += 1.0
                    reasons.append("top clause")
                elif rule.clause_id in clause_ids[:3]:
                    score += 0.5
                    reasons.append("retrieved clause")
            if rule.city in named:
                score += 0.5
            if _MONEY_WORDS.search(text) and _MONEY_WORDS.search(rule.title):
                score += 0.75  # a question about a subsidy goes to a rule about a subsidy
            routes.append(Route(rule, intent, inputs, score, reasons))
        routes.sort(key=lambda r: -r.score)
        return routes

    def route(self, question: str, **kwargs: Any) -> Route | None:
        found = self.candidates(question, **kwargs)
        return found[0] if found else None

    @staticmethod
    def _intent(text: str, rule: Rule) -> Intent:
        if rule.kind in ("eligibility", "lookup"):
            return "check"
        if _CALC_WORDS.search(text):
            return "calculate"
        return "check" if _CHECK_WORDS.search(text) else "calculate"

    @staticmethod
    def fill(text: str, rule: Rule) -> dict[str, Any]:
        inputs: dict[str, Any] = dict(extract_counts(text, rule))
        inputs.update(extract_facts(text, rule))
        if rule.kind in ("monthly", "lookup"):
            for form, category in _terms(rule):
                if form in text and "category" not in inputs:
                    inputs["category"] = category
            inputs = {k: v for k, v in inputs.items() if k not in {a.category for a in rule.amounts} or k == "category"}
        if rule.kind == "monthly":
            heads = sum(v for k, v in extract_counts(text, rule).items())
            people = heads or next(
                (
                    int(n)
                    for m in re.finditer(_NUM + r"\s*(?:名|位|个人|人)(?!月)", text)
                    if (n := to_number(m.group(1)))
                ),
                None,
            )
            if people:
                inputs["people"] = people
            counted = [m for m in _MONTHS.finditer(text)]
            if counted and (n := to_number(counted[0].group(1))) is not None:
                months = int(n * 12) if counted[0].group(2) == "年" else int(n)
                key = "elapsed_months" if re.search(r"已经|拿了|领了|享受了", text) else "months"
                inputs[key] = months
        if rule.kind in ("percentage", "target"):
            base = extract_base(text, rule)
            if base is not None:
                inputs["base"] = base
        return inputs
