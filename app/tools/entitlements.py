""" "What can we get?": every provision in scope that a profile meets or may meet, with its amount.

``match(profile_or_frame, rules, engine, documents)`` judges each provision of
the documents of the profile's place on its own:

* which of the profile's people or units it concerns — a group whose own words
  name one of its categories (a 技师 group can be in a training subsidy and in a
  studio-leader's apprentice subsidy at once), a unit (studio, base) whose kind
  and level its categories name, a lookup key, a base for its rate, or a fact
  that meets one of its conditions. A provision nothing in the profile concerns
  is not listed (it is counted as not assessed);
* its conditions, for each group, through the accounting (``plan``): met, not
  met (the group is excluded, with the reason) or unknown (with the follow-up
  question);
* its amount, through the engine: the certain amount for the groups that meet
  every condition, and what it would be once the unknown conditions are met.
  No amount is stated when the plan cannot total (a count not known, a base
  not given). Recurring amounts are stated per month or year, with the
  period's total when the text states a period and the span's total when the
  profile gives one.

A provision that cannot apply to the profile's kind of applicant (an
enterprise's subsidy for a person asking for themself) or place is not
listed. The summary states the certain one-off total and the certain recurring
amounts apart — never added together — and what depends on unknown facts.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field, field_serializer

from app.frame.schema import QuestionFrame
from app.scope import scope_for
from app.tools.accounting import GroupReading, Plan, category_of, plan
from app.tools.basket import _lcs
from app.tools.calculators import fmt
from app.tools.engine import RuleEngine
from app.tools.profile import (
    ENTITY_ZH,
    MoneyFigure,
    People,
    Profile,
    ProfileFact,
    Unit,
    negative_concepts,
    profile_from_frame,
    profile_words,
    to_frame,
)
from app.tools.result import ToolError, ToolResult
from app.tools.rules import PAYEE_ZH, QUALIFIER_ZH, Condition, Rule
from ingest.schema import DocumentMeta
from ingest.vocab import vocabulary

__all__ = [
    "Entitlements",
    "Entry",
    "MoneyFigure",
    "People",
    "Profile",
    "ProfileFact",
    "Summary",
    "Unit",
    "match",
    "profile_from_frame",
    "to_frame",
]

Status = Literal["met", "unknown", "not_met"]
MONEY = ("per_head", "one_off", "monthly")
STATUS_ZH = {"met": "符合", "unknown": "可能符合（待确认）", "not_met": "不符合"}
_PER = {"day": "天", "month": "月", "year": "年", "none": ""}
FIGURELESS = "金额文件未写明"
_NO_FIGURE = ("eligibility", "lookup", "unstated")
_BRACKETS = re.compile(r"[（）()\s“”\"]")


def _money(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


class ConditionState(BaseModel):
    id: str
    key: str = Field(description="rule_id:condition_id — the key of an answer in Profile.answers")
    label: str
    status: Status
    quote: str
    question: str = ""
    remedy: str = ""
    alternative: str = ""
    who: str = Field("", description="the groups it holds for, when not for everyone counted")


class Entry(BaseModel):
    """One provision and what it gives this profile."""

    rule_id: str
    title: str
    city: str
    doc_id: str
    doc_title: str = ""
    doc_number: str = ""
    doc_status: str = ""
    clause_id: str
    quote: str = Field(description="verbatim words of the clause")
    kind: str
    status: Status
    amount: Decimal | None = Field(None, description="certain: for everyone counted who meets every condition, in 元")
    amount_if_met: Decimal | None = Field(None, description="once the unknown conditions are met, in 元")
    formula: str | None = None
    unit: str = "元"
    qualifier: str = "exact"
    qualifier_zh: str = ""
    payee: str
    payee_zh: str
    payee_text: str = ""
    money: bool = Field(True, description="money paid or credited; false: a credit line or an obligation (no payment)")
    recurring: bool = False
    per: str = Field("", description="月 / 年 for a recurring amount: ``amount`` is per this period")
    period_months: int | None = None
    period_total: Decimal | None = Field(None, description="recurring: the total over the period the text states")
    span_total: Decimal | None = Field(None, description="recurring: the total over the span the profile gives")
    span_text: str = ""
    outcome: str = Field("", description="what meeting it gives, when it is not a sum (采认, 视同本科学历)")
    counted: list[str] = Field(default_factory=list)
    excluded: list[dict[str, Any]] = Field(default_factory=list)
    not_listed: list[str] = Field(default_factory=list)
    conditions: list[ConditionState] = Field(default_factory=list)
    questions: list[str] = Field(default_factory=list)
    draft: bool = False
    reviewed: bool = True
    figureless: bool = Field(False, description="a benefit the text states without a figure: 金额文件未写明")
    warnings: list[str] = Field(default_factory=list)
    notes: str = ""
    not_paid: str = Field(
        "", description="a figure the text gives that no one is paid (最高N万元的贷款额度): shown, never summed"
    )

    @field_serializer("amount", "amount_if_met", "period_total", "span_total")
    def _plain(self, value: Decimal | None) -> int | float | None:
        return _money(value)

    def amount_text(self) -> str:
        q = {"cap": "最高", "floor": "不少于", "after_tax": "（税后）"}.get(self.qualifier, "")
        per = f"/{self.per}" if self.recurring and self.per else ""
        if self.amount is not None:
            return f"{q}{fmt(self.amount)}元{per}"
        if self.amount_if_met is not None:
            return f"（条件满足时）{q}{fmt(self.amount_if_met)}元{per}"
        if self.not_paid:
            return f"{self.not_paid}（不是发放的补贴，不计入合计）"
        if self.figureless:
            return FIGURELESS
        return self.outcome or "文件未写明金额"


class RecurringLine(BaseModel):
    rule_id: str
    title: str
    amount: Decimal
    per: str
    period_total: Decimal | None = None
    span_total: Decimal | None = None

    @field_serializer("amount", "period_total", "span_total")
    def _plain(self, value: Decimal | None) -> int | float | None:
        return _money(value)


class Summary(BaseModel):
    certain_one_off: Decimal | None = Field(None, description="sum of the certain one-off amounts in 元 (null: none)")
    certain_one_off_formula: str = ""
    certain_one_off_qualifiers: list[str] = Field(
        default_factory=list, description="cap / floor / after_tax among them"
    )
    by_payee: dict[str, Decimal] = Field(default_factory=dict, description="the certain one-off total by who is paid")
    certain_recurring: list[RecurringLine] = Field(
        default_factory=list, description="stated apart, never summed with one-off"
    )
    pending: list[str] = Field(default_factory=list, description="provisions that depend on unknown facts")
    no_figure: list[str] = Field(default_factory=list, description="met, but the text gives no figure")
    not_paid: list[str] = Field(
        default_factory=list, description="met, with a figure that is not money paid (a credit line): never summed"
    )
    not_assessed: int = Field(0, description="provisions in scope nothing in the profile concerns")
    unplaced: list[str] = Field(
        default_factory=list, description="people and units of the profile no provision concerns"
    )
    text: str = ""

    @field_serializer("certain_one_off")
    def _plain(self, value: Decimal | None) -> int | float | None:
        return _money(value)

    @field_serializer("by_payee")
    def _plain_map(self, value: dict[str, Decimal]) -> dict[str, int | float | None]:
        return {k: _money(v) for k, v in value.items()}


class Entitlements(BaseModel):
    profile: Profile
    places: list[str] = Field(default_factory=list)
    uncovered: list[str] = Field(default_factory=list, description="places named that no document covers")
    covered: list[str] = Field(default_factory=list)
    entries: list[Entry] = Field(default_factory=list, description="met, then may meet; by amount")
    not_met: list[Entry] = Field(
        default_factory=list, description="provisions the profile was judged against and fails"
    )
    summary: Summary = Field(default_factory=Summary)
    questions: list[str] = Field(default_factory=list, description="every follow-up question, once")
    warnings: list[str] = Field(default_factory=list)

    def rows(self) -> list[dict[str, str]]:
        """One row per provision (met, may meet, not met), for a table or CSV."""
        out = []
        for e in [*self.entries, *self.not_met]:
            out.append(
                {
                    "状态": STATUS_ZH[e.status],
                    "政策": e.title,
                    "金额": e.amount_text(),
                    "待遇": e.outcome,
                    "性质": "按" + e.per
                    if e.recurring and e.per
                    else ("" if not e.money else "一次性" if e.kind in MONEY + ("percentage",) else ""),
                    "期限合计": fmt(e.period_total) + "元" if e.period_total is not None else "",
                    "所问期限合计": fmt(e.span_total) + "元" if e.span_total is not None else "",
                    "领取方": e.payee_text or e.payee_zh,
                    "算式": e.formula or "",
                    "条件": "；".join(f"{c.label}：{STATUS_ZH[c.status]}" for c in e.conditions),
                    "待确认": "；".join(e.questions),
                    "不计入": "；".join(f"{x['label']}{x['count'] or ''}人（{x['reason']}）" for x in e.excluded),
                    "文件": e.doc_title + (f"（{e.doc_number}）" if e.doc_number else ""),
                    "条款": e.clause_id,
                    "原文": e.quote,
                    "征求意见稿": "是" if e.draft else "",
                }
            )
        return out

    def csv(self) -> str:
        rows = self.rows()
        buf = io.StringIO()
        if rows:
            writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        return buf.getvalue()


# ---------------------------------------------------------------------------------------------- who a provision is for


def applies_to_entity(rule: Rule, entity: str | None) -> bool:
    """Whether the provision can benefit this kind of applicant (by who the text says is paid)."""
    if entity is None:
        return True
    if entity == "individual":
        return rule.payee not in ("enterprise", "employer", "institution")
    if rule.kind == "lookup" and rule.payee == "none":
        return entity == "individual"  # a person's category → an outcome (学历视同, 技能等级认定)
    if entity == "institution":
        return rule.payee not in ("individual", "studio_leader", "enterprise")
    # An enterprise: what its people and units get is listed (with who is paid); a person's own
    # benefit, or a school's, without a category of people or units is not the enterprise's.
    return rule.kind in MONEY or rule.payee not in ("individual", "studio_leader", "institution")


def per_unit(rule: Rule) -> bool:
    """Priced per studio, station or base (元/家) rather than per person — also when the unit does not say
    so but every category is a kind of unit (分别给予…工作站N万元: N万元 a studio, never a person)."""
    unit = rule.unit
    if unit.endswith(("/家", "/个")) or (rule.payee == "institution" and "/人" not in unit):
        return True
    nouns: list[str] = profile_words()["unit_nouns"]  # type: ignore[assignment]
    return (
        bool(rule.amounts)
        and "/人" not in unit
        and all(any(n in f"{a.label}{a.category}" for n in nouns) for a in rule.amounts)
    )


def _noun_fit(words: str, rule: Rule, category: str) -> bool:
    """A unit's kind is the thing the category names (技能大师工作室, not 劳模创新工作室), beyond its level."""
    amount = rule.amount(category)
    if amount is None:
        return False
    own = _without_levels(words)
    if not own:
        return True
    best = max((_lcs(own, _without_levels(f)) for f in rule.forms(amount)), default=0)
    return best >= max(2, 0.6 * len(own))


def _without_levels(words: str) -> str:
    words = _BRACKETS.sub("", words)
    for s, e, _ in sorted(vocabulary().levels_in(words), key=lambda t: t[0], reverse=True):
        words = words[:s] + words[e:]
    return words


# ---------------------------------------------------------------------------------------------- matching


def match(
    subject: Profile | QuestionFrame,
    rules: Iterable[Rule],
    engine: RuleEngine,
    documents: Mapping[str, DocumentMeta] | Iterable[DocumentMeta],
) -> Entitlements:
    """Every provision of ``rules`` in the profile's scope that it meets or may meet."""
    profile = subject if isinstance(subject, Profile) else profile_from_frame(subject)
    docs = documents if isinstance(documents, Mapping) else {d.id: d for d in documents}
    # A profile whose words name a document by its title (按那份十九条措施执行) is matched against it alone.
    named = "；".join(x for x in (profile.said, profile.facts_text, *(p.text for p in profile.people)) if x)
    scope = scope_for(QuestionFrame(question="", text=""), list(docs.values()), city=profile.place or None, text=named)
    result = Entitlements(profile=profile, places=scope.places, uncovered=scope.uncovered, covered=scope.covered)
    if scope.restricted and not scope.doc_ids:
        result.summary.text = f"语料中没有{'、'.join(scope.uncovered)}的文件，不能列出可享受的政策。"
        return result
    allowed = set(scope.doc_ids)
    touched_people: set[int] = set()
    touched_units: set[int] = set()
    not_assessed = 0
    for rule in rules:
        if rule.doc_id not in allowed or rule.kind == "target":
            continue
        if not applies_to_entity(rule, profile.entity):
            continue
        judged = _judge(profile, rule, engine, docs.get(rule.doc_id))
        if judged is None:
            not_assessed += 1
            continue
        entry, people, units = judged
        touched_people |= set(people)
        touched_units |= set(units)
        (result.not_met if entry.status == "not_met" else result.entries).append(entry)
    result.entries.sort(key=_order)
    result.not_met.sort(key=lambda e: e.title)
    result.summary = summarise(result.entries, not_assessed)
    result.summary.unplaced = [
        f"{p.shown()}{p.count if p.count is not None else ''}人"
        for k, p in enumerate(profile.people)
        if k not in touched_people and not p.is_self
    ] + [f"{u.words()}" for k, u in enumerate(profile.units) if k not in touched_units]
    result.questions = list(dict.fromkeys(q for e in result.entries for q in e.questions))
    if any(e.draft for e in result.entries):
        result.warnings.append("部分政策依据的是征求意见稿，尚未正式生效，仅供参考。")
    if any(not e.reviewed and not e.figureless for e in result.entries):
        result.warnings.append("部分金额由系统从原文自动提取，未经人工核对，以原文为准。")
    if any(e.figureless and not e.reviewed for e in result.entries):
        result.warnings.append(f"部分政策（{FIGURELESS}）由系统从原文自动提取，未经人工核对，以原文为准。")
    return result


def _order(e: Entry) -> tuple[int, Decimal]:
    figure = e.amount if e.amount is not None else e.amount_if_met
    return ({"met": 0, "unknown": 1, "not_met": 2}[e.status], -(figure if figure is not None else Decimal(-1)))


def _judge(
    profile: Profile, rule: Rule, engine: RuleEngine, doc: DocumentMeta | None
) -> tuple[Entry, list[int], list[int]] | None:
    doc_city = doc.city if doc is not None else ""
    negative = negative_concepts(rule.conditions)
    if rule.kind in MONEY and rule.amounts:
        counted = _judge_counted(profile, rule, engine, doc, doc_city, negative)
        # A figure no one is paid (a bank's credit line: kept out of every sum) whose
        # categories are no one's kind of people or unit: judged, as a provision without counts, by
        # whether the profile is what its conditions name (an enterprise's 领办人 is).
        if counted is not None or _pays(rule):
            return counted
    return _judge_whole(profile, rule, engine, doc, doc_city, negative)


def _pays(rule: Rule) -> bool:
    """Whether the provision's figure is money someone is paid (not a credit line, not an outcome)."""
    # A raised standard (再提高30%) is a subsidy even when the text does not say who is paid.
    return (rule.payee != "none" or (rule.kind == "percentage" and rule.uplift)) and rule.kind not in (
        "eligibility",
        "lookup",
        "unstated",
    )


def _people_for(profile: Profile, rule: Rule) -> list[int]:
    """The people a per-person provision may concern: the applicant themself, or the people they lead."""
    if profile.entity != "individual":
        return list(range(len(profile.people)))
    others = rule.payee == "studio_leader"
    return [k for k, p in enumerate(profile.people) if p.is_self != others]


def _groups_for(profile: Profile, rule: Rule) -> tuple[list[int], list[int], list[str]]:
    """Indices of the people and units the provision concerns, and the groups in a level it does not list."""
    people: list[int] = []
    units: list[int] = []
    unlisted: list[str] = []
    if per_unit(rule):
        for k, u in enumerate(profile.units):
            cat, _ = category_of(u.words(), rule)
            if cat is not None and _noun_fit(u.kind, rule, cat):
                units.append(k)
        return people, units, unlisted
    candidates = _people_for(profile, rule)
    for k in candidates:
        p = profile.people[k]
        cat, why = category_of(p.words(), rule)
        if cat is not None:
            people.append(k)
        elif why == "unlisted":
            unlisted.append(f"{p.shown()}{p.count if p.count is not None else ''}人")
    # The whole a counted group was listed from goes with it (8个学生：5个中职、3个高职 — what is said
    # of the 8 is said of the 5), and so do the parts of a group counted (其中2个…, 其余6个…); a part's
    # own category is read by the plan.
    for k in candidates:
        if k not in people and any(profile.people[j].part_of == k for j in people):
            people.append(k)
    grown = True
    while grown:
        grown = False
        for k in candidates:
            if k not in people and profile.people[k].part_of in people:
                people.append(k)
                grown = True
    return sorted(people), units, unlisted


def _judge_counted(
    profile: Profile, rule: Rule, engine: RuleEngine, doc: DocumentMeta | None, doc_city: str, negative: set[str]
) -> tuple[Entry, list[int], list[int]] | None:
    people, units, unlisted = _groups_for(profile, rule)
    if not people and not units:
        return None
    per_period = {"month": Decimal(1), "year": Decimal(12)}.get(rule.recurrence or "none")
    frame = to_frame(profile, people=people, units=units, doc_city=doc_city, negative=negative, per_period=per_period)
    p = plan(frame, rule, doc_city=doc_city)
    if rule.recurrence == "day" and "days" not in p.inputs:
        # 每人每天50元: listed per day, as a monthly amount is listed per month.
        p.inputs["days"] = 1
        p.missing = [m for m in p.missing if "天" not in m]
    readings = [r for r in p.groups if r.index >= 0]
    # People's own words may state a condition; a unit's words are only its name (世赛中国集训基地 is not yet one).
    words = {r.index: frame.groups[r.index].text for r in readings if r.index < len(people)}
    _override(rule, profile, readings, words, members_unsaid=_members_unsaid(rule, profile, frame))
    counted = [r for r in readings if r.status == "input"]
    certain = [r for r in counted if all(r.verdicts.get(c.id) == "met" for c in rule.conditions)]
    pending = [r for r in counted if r not in certain]
    excluded = [r for r in readings if r.status == "excluded"]
    status: Status = "met" if certain else "unknown" if pending else "not_met" if excluded else "unknown"
    entry = _entry(rule, doc, status)
    entry.not_listed = unlisted
    entry.counted = [f"{r.label} {r.count}{r.measure}（按{_label(rule, r.category)}计）" for r in counted]
    entry.excluded = [{"label": r.label, "count": r.count, "reason": r.reason} for r in excluded]
    entry.conditions = _condition_states(rule, counted or excluded, readings)
    blocked = bool(not p.can_total or any(r.status == "not_understood" for r in readings))
    if blocked:
        entry.questions += [*p.missing, *[f"{r.label}：{r.reason}" for r in readings if r.status == "not_understood"]]
    elif status != "not_met":
        sure = _run(engine, rule, p, certain, entry) if certain else None
        whole = _run(engine, rule, p, counted, entry, assume_met=True) if pending else None
        if sure is not None:
            entry.amount, entry.formula, entry.qualifier = sure.result, sure.formula, sure.qualifier
        if whole is not None:
            entry.amount_if_met = whole.result
            if sure is None:
                entry.formula, entry.qualifier = whole.formula, whole.qualifier
        if entry.recurring:
            _recurring_totals(engine, rule, p, certain or counted, profile, entry, assume_met=not certain)
    entry.qualifier_zh = QUALIFIER_ZH.get(entry.qualifier, "")
    entry.questions += [c.question for c in entry.conditions if c.status == "unknown" and c.question]
    entry.questions = list(dict.fromkeys(entry.questions))
    return (
        entry,
        [people[r.index] for r in readings if r.index < len(people)],
        [units[r.index - len(people)] for r in readings if r.index >= len(people)],
    )


def _label(rule: Rule, category: str | None) -> str:
    a = rule.amount(category) if category else None
    return (a.label or a.category) if a is not None else (category or "")


def _members_unsaid(rule: Rule, profile: Profile, frame: QuestionFrame) -> set[str]:
    """Conditions on who counts (团队成员取得相应等级) that nothing in the profile says anyone is.

    People are a studio's team when they are said to be (团队成员), or when the applicant leads the
    unit (我是领办人，团队里有…): then its people are the ones led. An enterprise's new technicians are
    not, by that alone, a studio's team: whether they are is asked, not assumed.
    """
    if any(u.leader for u in profile.units):
        return set()
    said = {q.concept for g in frame.groups for q in g.qualifiers}
    return {c.id for c in rule.conditions if c.subject and c.subject not in said}


def _override(
    rule: Rule,
    profile: Profile,
    readings: list[GroupReading],
    words: dict[int, str],
    members_unsaid: set[str] | None = None,
) -> None:
    """Answers to follow-up questions, and options that are levels (高级工以上: 技师 meets it), decide unknowns."""
    for r in readings:
        if r.status not in ("input", "excluded"):
            continue
        for cond in rule.conditions:
            key = f"{rule.id}:{cond.id}"
            if key in profile.answers:
                r.verdicts[cond.id] = _answer_verdict(cond, profile.answers[key])
            elif cond.id in (members_unsaid or set()) and r.verdicts.get(cond.id) == "met":
                r.verdicts[cond.id] = "unknown"
            elif r.verdicts.get(cond.id, "unknown") == "unknown":
                said = words.get(r.index, "")
                by_words = (
                    enumeration_by_level(cond, said)
                    or by_class(cond, said)
                    or echoed(cond, rule, f"{said}；{profile.facts_text}")
                    or cued_words(cond, rule, said)
                )
                if by_words is not None:
                    r.verdicts[cond.id] = by_words
        failed = [c for c in rule.conditions if r.verdicts.get(c.id) == "not_met"]
        if failed:
            r.status, r.reason = "excluded", "不满足“" + "”“".join(c.label for c in failed) + "”"
        elif r.status == "excluded":
            r.status, r.reason = "input", ""


def _answer_verdict(cond: Condition, value: Any) -> Literal["met", "not_met", "unknown"]:
    if isinstance(value, bool):
        return "met" if value else "not_met"
    if cond.type == "threshold":
        try:
            number = Decimal(str(value))
        except ArithmeticError:
            return "unknown"
        if cond.min is not None and number < cond.min:
            return "not_met"
        if cond.max is not None and number > cond.max:
            return "not_met"
        return "met"
    if cond.type == "enumeration" and cond.options:
        return "met" if str(value) in cond.options else "not_met"
    text = str(value).strip().lower()
    if text in ("是", "yes", "true", "有", "已", "满足", "符合"):
        return "met"
    if text in ("否", "no", "false", "没有", "未", "不满足", "不符合"):
        return "not_met"
    return "unknown"


def _common(a: str, b: str) -> tuple[int, int]:
    """Longest common substring of ``a`` and ``b``: its length and where it starts in ``b``."""
    best, where = 0, -1
    for i in range(len(a)):
        for j in range(i + best + 1, len(a) + 1):
            pos = b.find(a[i:j])
            if pos < 0:
                break
            best, where = j - i, pos
    return best, where


def _distinctive(label: str) -> str:
    """A condition's words without levels and joining words: what it asks beyond a person's level."""
    return re.sub(r"[、，,；;。的和及或与]", "", _without_levels(_BRACKETS.sub("", label)))


def echoed(cond: Condition, rule: Rule, words: str) -> Literal["met", "not_met"] | None:
    """The profile states a condition in the condition's own words (走新型学徒制 for 开展新型学徒制培训).

    At least four characters in a row, and at least 40% of what the condition asks beyond a level
    (all of it when that is six characters or fewer); a negation just before makes it not met;
    asked about, nothing.
    """
    if cond.type != "boolean" or not words:
        return None
    own = _distinctive(cond.label)
    if len(own) < 4:
        return None
    length, pos = _common(own, words)
    # A short condition must be said whole (技能人才 is not 高技能人才); a long one in good part.
    if length < 4 or length < (len(own) if len(own) <= 6 else 0.4 * len(own)):
        return None
    vocab = vocabulary()
    around = words[max(0, pos - 6) : pos + length + 4]
    if any(a in around for a in vocab.asked):
        return None
    lead = words[max(0, pos - 3) : pos]
    return "not_met" if any(n in lead for n in vocab.negation_before) else "met"


_JOINING = re.compile(r"[的已在并及和与或、，,；;。（）()“”\"\s]")


def stated(cond: Condition, rule: Rule, words: str, doc_city: str = "", *, classes: bool = True) -> bool:
    """Whether a condition read as met is what the profile states, for a provision extracted without a
    figure (no one reviewed its conditions): said in the condition's own words or by a class's level
    (高技能人才), a threshold its concept's value is held against, or a condition that is its concept
    and no more (落户厦门 is 户籍 and the place). A condition that asks more than its concept (新到本市就业的技工院校毕业生 is more
    than working here) is not met by the concept's fact alone — it stays unknown, with its question.
    """
    if echoed(cond, rule, words) == "met" or (classes and by_class(cond, words) == "met"):
        return True
    if cond.type == "threshold" and cond.concept:
        return True
    found = vocabulary().concepts_in(cond.label)
    if not found or not cond.concept:
        return False
    rest = cond.label
    for s, e, _, _ in sorted(found, key=lambda t: t[0], reverse=True):
        rest = rest[:s] + rest[e:]
    for place in ("本市", "我市", "本地", "本区", "我区", "本省", "我省", doc_city):
        if place:
            rest = rest.replace(place, "")
    return len(_JOINING.sub("", rest)) <= 2


def cued_words(cond: Condition, rule: Rule, words: str) -> Literal["met", "not_met"] | None:
    """A group's own words hold the words users say for a yes/no condition (紧缺 … 目录 for 列入紧缺目录).

    Every cue the rule gives for it of two characters or more, when there are two or more, must be
    there; a negation just before one makes it not met; asked about, nothing.
    """
    cues = [w for w in rule.hints.cues.get(cond.id, []) if len(w) >= 2]
    if cond.type != "boolean" or len(cues) < 2 or not words or not all(w in words for w in cues):
        return None
    vocab = vocabulary()
    if any(a in words for a in vocab.asked) or re.search(r"([\u4e00-\u9fff])不\1|[吗？?]", words):
        return None  # asked (在不在紧缺目录里？), not said
    for w in cues:
        pos = words.find(w)
        lead = words[max(0, pos - 3) : pos]
        if any(lead.endswith(n) for n in vocab.negation_before) or lead.endswith(("不在", "没在", "未在", "非")):
            return "not_met"
    return "met"


def cued_any(cond: Condition, rule: Rule, words: str) -> Literal["met", "not_met"] | None:
    """A reviewed provision's yes/no condition said in one of the words users say for it (拿了第1名 for
    取得第1名): a cue of three characters or more; a negation just before makes it not met; asked, nothing."""
    if cond.type != "boolean" or not words:
        return None
    vocab = vocabulary()
    for w in sorted((w for w in rule.hints.cues.get(cond.id, []) if len(w) >= 3), key=len, reverse=True):
        pos = words.find(w)
        if pos < 0:
            continue
        around = words[max(0, pos - 6) : pos + len(w) + 4]
        if any(a in around for a in vocab.asked) or re.search(r"[吗？?]", words[pos : pos + len(w) + 4]):
            return None
        lead = words[max(0, pos - 3) : pos]
        return "not_met" if any(n in lead for n in vocab.negation_before) else "met"
    return None


def by_class(cond: Condition, words: str) -> Literal["met", "not_met"] | None:
    """A condition that is a class defined by a level (高技能人才: 高级工 and above), judged by the level
    the words say someone holds; no level said, nothing."""
    if cond.type != "boolean" or not words:
        return None
    vocab = vocabulary()
    spec = vocab.classes.get(_JOINING.sub("", cond.label))
    if spec is None:
        return None
    ladder, lowest = spec
    held = [lv for _, _, lv in vocab.levels_held(words) if lv.ladder == ladder]
    if not held:
        return None
    return "met" if any(lv.rank >= lowest for lv in held) else "not_met"


def enumeration_by_level(cond: Condition, words: str) -> Literal["met", "not_met"] | None:
    """An enumeration whose options are levels, judged by the level the words name (高级工以上 ← 技师)."""
    if cond.type != "enumeration" or not cond.options or not words:
        return None
    vocab = vocabulary()
    options = [lv for o in cond.options if (lv := vocab.level(o)) is not None]
    if len(options) != len(cond.options):
        return "met" if any(o in words for o in cond.options if vocab.level(o) is None) else None
    ladders = {lv.ladder for lv in options}
    said = [lv for _, _, lv in vocab.levels_held(words) if lv.ladder in ladders]
    if not said:
        return None
    listed = {(lv.ladder, lv.rank) for lv in options}
    return "met" if any((lv.ladder, lv.rank) in listed for lv in said) else "not_met"


def option_named(cond: Condition, words: str) -> Literal["met"] | None:
    """An enumeration met by one of its options that is a title, not a level (江苏工匠, 劳动模范), named
    as held in the profile's statements (有个老师傅获得了江苏工匠称号); not when asked about."""
    if cond.type != "enumeration" or not words:
        return None
    vocab = vocabulary()
    for option in (o for o in cond.options if vocab.level(o) is None and len(o) >= 3):
        pos = words.find(option)
        if pos < 0:
            continue
        around = words[max(0, pos - 6) : pos + len(option) + 4]
        if any(a in around for a in vocab.asked) or re.search(r"[吗？?]", around):
            continue
        if any(n in words[max(0, pos - 4) : pos] for n in vocab.negation_before):
            continue
        return "met"
    return None


def _condition_states(rule: Rule, judged: list[GroupReading], readings: list[GroupReading]) -> list[ConditionState]:
    out = []
    for cond in rule.conditions:
        verdicts = {r.index: r.verdicts.get(cond.id, "unknown") for r in judged}
        values = set(verdicts.values()) or {"unknown"}
        status: Status = (
            "met"
            if values == {"met"}
            else "not_met"
            if values == {"not_met"}
            else ("unknown" if "unknown" in values else "met" if "met" in values else "not_met")
        )
        who = ""
        if len(values) > 1:
            by = {r.index: r for r in readings}
            who = "；".join(
                f"{by[i].label}{by[i].count or ''}人：{STATUS_ZH[v]}"
                for i, v in verdicts.items()
                if i in by  # type: ignore[index]
            )
        out.append(_state(rule, cond, status, who))
    return out


def _state(rule: Rule, cond: Condition, status: Status, who: str = "") -> ConditionState:
    alternative = next((a.text for a in rule.alternatives if a.when == cond.id), "")
    return ConditionState(
        id=cond.id,
        key=f"{rule.id}:{cond.id}",
        label=cond.label,
        status=status,
        quote=cond.quote,
        question=cond.question if status == "unknown" else "",
        remedy=(cond.remedy or f"需满足：{cond.label}") if status == "not_met" else "",
        alternative=alternative if status == "not_met" else "",
        who=who,
    )


def _met_value(cond: Condition) -> Any:
    if cond.type == "threshold":
        return cond.min if cond.min is not None else cond.max
    if cond.type == "enumeration":
        return cond.options[0] if cond.options else "是"
    return "是"


def _inputs(rule: Rule, p: Plan, subset: list[GroupReading], *, assume_met: bool) -> dict[str, Any]:
    """The engine's inputs for the groups of ``subset`` only, with the conditions they all meet."""
    categories = {a.category for a in rule.amounts}
    inputs = {
        k: v
        for k, v in p.inputs.items()
        if k not in categories and k not in ("people", "count") and rule.condition(k) is None
    }
    counts: dict[str, int] = {}
    for r in subset:
        if r.category is not None and r.count is not None:
            counts[r.category] = counts.get(r.category, 0) + r.count
    if rule.kind == "monthly" and len(rule.amounts) == 1:
        inputs["people"] = sum(counts.values())
    else:
        inputs.update(counts)
    for cond in rule.conditions:
        if assume_met or all(r.verdicts.get(cond.id) == "met" for r in subset):
            inputs[cond.id] = _met_value(cond)
    return inputs


def _run(
    engine: RuleEngine,
    rule: Rule,
    p: Plan,
    subset: list[GroupReading],
    entry: Entry,
    *,
    assume_met: bool = False,
    **extra: Any,
) -> ToolResult | None:
    inputs = {**_inputs(rule, p, subset, assume_met=assume_met), **extra}
    try:
        tool = engine.run(rule.id, inputs)
    except ToolError as exc:
        entry.warnings.append(str(exc))
        return None
    entry.warnings += [
        w for w in tool.warnings if w not in entry.warnings and not w.startswith("以上结果以满足全部条件为前提")
    ]
    if tool.result is None:
        entry.questions += [q for q in tool.questions if q not in entry.questions]
        return None
    return tool


def _recurring_totals(
    engine: RuleEngine,
    rule: Rule,
    p: Plan,
    subset: list[GroupReading],
    profile: Profile,
    entry: Entry,
    *,
    assume_met: bool,
) -> None:
    """The period's total (保障期36个月) and the span's (一年下来, 剩下的月份), for a recurring amount."""
    base = {k: v for k, v in p.inputs.items() if k not in ("months", "years")}
    p_all = Plan(rule_id=p.rule_id, inputs=base)
    if rule.recurrence == "month":
        if rule.period_months is not None:
            t = _run(engine, rule, p_all, subset, entry, assume_met=assume_met, months=rule.period_months)
            entry.period_total = t.result if t is not None else None
        if profile.elapsed_months is not None and rule.period_months is not None:
            t = _run(
                engine, rule, p_all, subset, entry, assume_met=assume_met, elapsed_months=int(profile.elapsed_months)
            )
            if t is not None and "remaining_amount" in t.details:
                entry.span_total = Decimal(str(t.details["remaining_amount"]))
                entry.span_text = f"剩余{t.details['remaining_months']}个月（已领{fmt(profile.elapsed_months)}个月）"
        elif profile.months is not None and profile.months == profile.months.to_integral_value():
            t = _run(engine, rule, p_all, subset, entry, assume_met=assume_met, months=int(profile.months))
            if t is not None:
                entry.span_total = t.result
                entry.span_text = f"按{fmt(profile.months)}个月计"
    elif rule.recurrence == "year" and profile.months is not None:
        years = profile.months / 12
        if years == years.to_integral_value() and years > 0:
            t = _run(engine, rule, p_all, subset, entry, assume_met=assume_met, years=int(years))
            if t is not None:
                entry.span_total = t.result
                entry.span_text = f"按{int(years)}年计"


def _entry(rule: Rule, doc: DocumentMeta | None, status: Status) -> Entry:
    return Entry(
        rule_id=rule.id,
        title=rule.title,
        city=rule.city,
        doc_id=rule.doc_id,
        doc_title=doc.title if doc else "",
        doc_number=doc.number if doc else "",
        doc_status=doc.status if doc else "unknown",
        clause_id=rule.clause_id,
        quote=rule.quote,
        kind=rule.kind,
        status=status,
        qualifier=rule.qualifier,
        payee=rule.payee,
        payee_zh=PAYEE_ZH[rule.payee],
        payee_text=rule.payee_text,
        money=_pays(rule),
        recurring=rule.recurrence in ("day", "month", "year"),
        per=_PER[rule.recurrence or "none"],
        period_months=rule.period_months,
        outcome=rule.outcome,
        draft=bool(doc is not None and doc.status == "draft"),
        reviewed=rule.reviewed,
        figureless=rule.figureless or (not rule.amounts and rule.rate is None and rule.kind in _NO_FIGURE),
        notes=rule.notes,
    )


# ---------------------------------------------------------------------------------------------- provisions without counts


def _words(profile: Profile, *, units: bool = True) -> str:
    """The words a provision without categories is read against: the applicant's own, or everyone's."""
    selfs = [p.words() for p in profile.people if p.is_self]
    if selfs:
        return "；".join(selfs)
    return "；".join([*(p.words() for p in profile.people), *(u.words() for u in profile.units if units)])


def activities_of(rule: Rule) -> list[list[str]]:
    """What the provision rewards doing, as the words a profile says it with (培训补贴上浮 → 培训, 参训 …)."""
    activities: dict[str, list[str]] = profile_words()["activities"]  # type: ignore[assignment]
    return [words for key, words in activities.items() if key in rule.title]


def does_the_activity(profile: Profile, rule: Rule) -> bool:
    """Whether the profile says it does what the provision rewards (培训 for a training subsidy's uplift);
    a sum it gives (原标准每人2000元) is the subsidy's base, and says so."""
    named = activities_of(rule)
    if not named or profile.money:
        return True
    said = "；".join(
        [
            _words(profile),
            *(f.text for p in profile.people for f in p.facts),
            *(f.text or f.concept for f in profile.facts),
            profile.facts_text,
            profile.said,
        ]
    )
    return all(any(w in said for w in words) for words in named)


def implied_conditions(rule: Rule, doc_city: str = "") -> list[tuple[Condition, dict[str, Any]]]:
    """Conditions the benefit implies without stating them (``implied_conditions`` in entitlements.yaml):
    whether a Taiwan resident may sit a public-institution recruitment at all; that settling one's
    household registration concerns someone not registered there yet. Each with its spec (who it is
    asked of, what decides it)."""
    specs: list[dict[str, Any]] = profile_words()["implied_conditions"]  # type: ignore[assignment]
    out: list[tuple[Condition, dict[str, Any]]] = []
    for spec in specs:
        if spec.get("unless") and any(c.concept == spec["unless"] for c in rule.conditions):
            continue
        found = next((w for w in spec["words"] if w in rule.quote), None)
        if found is None:
            continue
        city = doc_city or rule.city or "本地"
        cond = Condition(
            id=spec["id"],
            label=str(spec["label"]).format(words=found, city=city),
            type="boolean",
            quote=found,
            question=str(spec["question"]).format(words=found, city=city),
        )
        out.append((cond, spec))
    return out


def implied_verdicts(profile: Profile, rule: Rule, doc_city: str = "") -> list[tuple[Condition, Status]]:
    """The implied conditions that concern this profile, each answered, decided by the profile's household
    registration, or unknown."""
    held = {f.concept for f in profile.all_facts() if f.holds} | {
        f.concept for q in profile.people if q.is_self for f in q.facts if f.holds
    }
    out: list[tuple[Condition, Status]] = []
    for cond, spec in implied_conditions(rule, doc_city):
        if spec.get("applicant") and spec["applicant"] not in held:
            continue
        key = f"{rule.id}:{cond.id}"
        status: Status = "unknown"
        if key in profile.answers:
            status = _answer_verdict(cond, profile.answers[key])
        elif spec.get("hukou") and profile.hukou is not None:
            status = "met" if profile.hukou == spec["hukou"] else "not_met"
        out.append((cond, status))
    return out


def _names(words: str, key: str) -> bool:
    """The words name a lookup key: as written, or by its head (市级一类职业技能竞赛 names 市级一类竞赛)."""
    return key in words or (len(key) > 4 and key[:4] in words)


def _assign_money(profile: Profile, rule: Rule) -> list[MoneyFigure]:
    """The base and the deduction of a rate: the figure whose words share most with the text's label for it."""
    out: list[MoneyFigure] = []
    for role, label in (("base", rule.base_label), ("deduction", rule.deduction_label)):
        figures = [m for m in profile.money if m.role == role]
        # The same sum said twice (补贴标准1500元 in a field and again in words) is one figure.
        figures = [m for k, m in enumerate(figures) if all(m.value != f.value for f in figures[:k])]
        if not figures or (role == "deduction" and not label):
            continue
        scored = sorted(
            ((_lcs(m.label, label) if m.label and label else 0, i) for i, m in enumerate(figures)), reverse=True
        )
        if scored[0][0] >= 2 and (len(scored) == 1 or scored[1][0] < scored[0][0]):
            out.append(figures[scored[0][1]])
        elif len(figures) == 1 and (not figures[0].label or not label):
            out.append(figures[0])
    return out


def _judge_whole(
    profile: Profile, rule: Rule, engine: RuleEngine, doc: DocumentMeta | None, doc_city: str, negative: set[str]
) -> tuple[Entry, list[int], list[int]] | None:
    money = _assign_money(profile, rule) if rule.kind == "percentage" else []
    words = _words(profile)
    # The applicant's own facts (不是引进的) are the profile's, for a provision that counts no one.
    own = [f for q in profile.people if q.is_self for f in q.facts if f not in profile.facts]
    whole = profile.model_copy(update={"facts": [*profile.facts, *own]}) if own else profile
    frame = to_frame(whole, people=[], units=[], money=money, doc_city=doc_city, negative=negative, level_words=words)
    p = plan(frame, rule, doc_city=doc_city)
    checked = {c.id: "unknown" for c in rule.conditions}
    # A class defined by a level (高技能人才) is judged by the applicant's own level: an enterprise's
    # people having levels does not make a person's provision the enterprise's.
    for_self = any(q.is_self for q in profile.people)
    cond_inputs = {c.id: p.inputs[c.id] for c in rule.conditions if c.id in p.inputs}
    try:
        check = engine.run(rule.id, cond_inputs, check_only=True)
        for c in check.conditions:
            checked[c.id] = c.status
    except ToolError:
        pass
    for cond in rule.conditions:
        key = f"{rule.id}:{cond.id}"
        if key in profile.answers:
            checked[cond.id] = _answer_verdict(cond, profile.answers[key])
        elif checked[cond.id] == "unknown":
            # A unit's name (高技能人才培训基地) is not said of anyone: the echo is of people's words.
            said = _words(profile, units=False)
            by_words = (
                enumeration_by_level(cond, said)
                or option_named(cond, f"{said}；{profile.facts_text}；{profile.said}")
                or (by_class(cond, said) if for_self else None)
                or echoed(cond, rule, f"{said}；{profile.facts_text}；{profile.said}")
                or (cued_any(cond, rule, f"{said}；{profile.facts_text}；{profile.said}") if rule.reviewed else None)
            )
            if by_words is not None:
                checked[cond.id] = by_words
    if rule.figureless and not rule.reviewed:
        # Extracted without a figure, unreviewed: met only by what the profile states (its words, the
        # applicant's own facts in their words, a threshold's value, a condition that is its concept).
        own_words = "；".join(f.text for q in profile.people if q.is_self for f in q.facts if f.text)
        said = f"{_words(profile, units=False)}；{own_words}；{profile.facts_text}；{profile.said}"
        for cond in rule.conditions:
            if f"{rule.id}:{cond.id}" in profile.answers:
                continue
            if checked[cond.id] == "met" and not stated(cond, rule, said, doc_city, classes=for_self):
                checked[cond.id] = "unknown"
            elif checked[cond.id] == "unknown":
                checked[cond.id] = echoed(cond, rule, said) or "unknown"
    implied = implied_verdicts(whole, rule, doc_city)
    for cond, verdict in implied:
        checked[cond.id] = verdict
    category = next((k for k in rule.lookup if _names(words, k)), None) if rule.kind == "lookup" else None
    # Count groups for a rate raising a per-person standard (20个焊工 × 1500 × 130%): the people a
    # condition is said of, or the only group there is.
    counted: list[int] = []
    if rule.kind == "percentage" and rule.uplift:
        concepts = {c.concept for c in rule.conditions if c.concept}
        counted = [k for k, g in enumerate(profile.people) if any(f.concept in concepts and f.holds for f in g.facts)]
        tops = [k for k, g in enumerate(profile.people) if g.part_of is None and not g.is_self]
        if not counted and len(tops) == 1:
            counted = tops
        # The people counted say it of themselves (焊工在紧缺工种目录内): the words users say for it.
        for cond in rule.conditions:
            if checked[cond.id] == "unknown" and counted and f"{rule.id}:{cond.id}" not in profile.answers:
                # …or the profile's other facts, when they can only be about the one group counted.
                extra = profile.facts_text if len(counted) == 1 else ""
                cued = {
                    cued_words(
                        cond,
                        rule,
                        "；".join([profile.people[k].words(), *(f.text for f in profile.people[k].facts), extra]),
                    )
                    for k in counted
                }
                if len(cued) == 1 and None not in cued:
                    checked[cond.id] = cued.pop()  # type: ignore[assignment]
    if not does_the_activity(profile, rule):
        return None
    # A lookup gives an outcome by category: without one named, there is nothing to say. Otherwise the
    # profile must speak to at least half of the conditions (one shared fact — working in the city —
    # does not make a provision for Taiwan residents the profile's concern). A fact of a condition's
    # concept that does not settle it (在厦门上班 for 本辖区内用人单位) speaks to it all the same.
    said_of = {f.concept for f in whole.facts if f.holds and f.concept}
    judged = sum(
        1
        for c in rule.conditions
        if checked[c.id] != "unknown" or (c.concept in said_of and f"{rule.id}:{c.id}" not in profile.answers)
    )
    total = len(rule.conditions)
    if rule.kind == "lookup":
        touched = category is not None
    else:
        touched = bool(money) or (judged >= 1 and 2 * judged >= total)
    if not touched:
        return None
    status: Status = (
        "not_met" if "not_met" in checked.values() else "unknown" if "unknown" in checked.values() else "met"
    )
    entry = _entry(rule, doc, status)
    conditions = [*rule.conditions, *(c for c, _ in implied)]
    entry.conditions = [_state(rule, c, checked[c.id]) for c in conditions]  # type: ignore[arg-type]
    if category is not None:
        entry.outcome = f"{category}：{rule.lookup[category]}"
    if rule.amounts and not entry.money:
        # A bank's credit line: the figure as the text gives it, for whom it is, and never in a sum.
        unit = rule.unit.split("/")[0] or "元"
        q = {"cap": "最高", "floor": "不少于"}.get(rule.qualifier, "")
        entry.not_paid = "；".join(f"{a.label or a.category}{q}{a.value}{unit}" for a in rule.amounts)
    if rule.kind == "percentage" and status != "not_met":
        inputs: dict[str, Any] = {k: v for k, v in p.inputs.items() if rule.condition(k) is None}
        if counted:
            inputs["count"] = sum(profile.people[k].count or 0 for k in counted)
            if any(profile.people[k].count is None for k in counted):
                inputs.pop("count")
                entry.questions.append("参加培训的有多少人？")
        if rule.uplift and not counted:
            entry.questions.append("按多少人计算？")
        # A rate capped per person (每人最高不超过800元): a profile's sum is not one person's, so the amount
        # waits for each person's figure.
        capped = any(lim.kind == "per_person" for lim in rule.limits)
        if capped:
            entry.questions.append(f"每人的{rule.base_label or '基数'}分别是多少？（每人有上限）")
        elif (not p.not_understood and "count" in inputs) or not rule.uplift:
            all_met = {c.id: _met_value(c) for c in rule.conditions}
            try:
                tool = engine.run(rule.id, {**inputs, **all_met})
            except ToolError as exc:
                tool = None
                entry.warnings.append(str(exc))
            if tool is not None and tool.result is not None:
                entry.formula, entry.qualifier = tool.formula, tool.qualifier
                if status == "met":
                    entry.amount = tool.result
                else:
                    entry.amount_if_met = tool.result
            elif tool is not None:
                entry.questions += tool.questions
        if counted:
            entry.counted = [f"{profile.people[k].shown()} {profile.people[k].count}人" for k in counted]
    entry.qualifier_zh = QUALIFIER_ZH.get(entry.qualifier, "")
    entry.questions += [c.question for c in entry.conditions if c.status == "unknown" and c.question]
    entry.questions = list(dict.fromkeys(entry.questions))
    # A unit a met condition names (a studio's 领办人 ← the studio its leader leads) is placed.
    met_labels = [c.label for c in conditions if checked[c.id] == "met"]
    placed = [k for k, u in enumerate(profile.units) if u.kind and any(u.kind in label for label in met_labels)]
    return entry, counted, placed


# ---------------------------------------------------------------------------------------------- summary


def summarise(entries: list[Entry], not_assessed: int = 0) -> Summary:
    """Certain one-off amounts summed; certain recurring amounts apart; what depends on unknowns apart."""
    s = Summary(not_assessed=not_assessed)
    one_off = [e for e in entries if e.status == "met" and e.amount is not None and not e.recurring and e.money]
    if one_off:
        s.certain_one_off = sum((e.amount for e in one_off if e.amount is not None), Decimal(0))
        s.certain_one_off_formula = " + ".join(fmt(e.amount) for e in one_off if e.amount is not None)
        s.certain_one_off_qualifiers = sorted({e.qualifier for e in one_off if e.qualifier != "exact"})
        for e in one_off:
            s.by_payee[e.payee_zh] = s.by_payee.get(e.payee_zh, Decimal(0)) + (e.amount or Decimal(0))
    for e in entries:
        if e.status == "met" and e.amount is not None and e.recurring:
            s.certain_recurring.append(
                RecurringLine(
                    rule_id=e.rule_id,
                    title=e.title,
                    amount=e.amount,
                    per=e.per,
                    period_total=e.period_total,
                    span_total=e.span_total,
                )
            )
        if e.status == "unknown" or e.amount_if_met is not None:
            s.pending.append(e.title)
        if e.status == "met" and e.amount is None and e.amount_if_met is None:
            (s.not_paid if e.not_paid else s.no_figure).append(e.title)
    s.text = summary_text(s)
    return s


def summary_text(s: Summary) -> str:
    lines = []
    if s.certain_one_off is not None:
        q = []
        if "cap" in s.certain_one_off_qualifiers:
            q.append("其中有的是上限（最高额）")
        if "floor" in s.certain_one_off_qualifiers:
            q.append("有的是下限（不少于）")
        if "after_tax" in s.certain_one_off_qualifiers:
            q.append("有的是税后金额")
        payees = "；".join(f"{k}{fmt(v)}元" for k, v in s.by_payee.items()) if len(s.by_payee) > 1 else ""
        lines.append(
            f"已确定的一次性金额合计 {fmt(s.certain_one_off)} 元（{s.certain_one_off_formula}）"
            + (f"，{'，'.join(q)}" if q else "")
            + (f"；按领取方：{payees}" if payees else "")
            + "。"
        )
    else:
        lines.append("目前没有可以确定的一次性金额。")
    for r in s.certain_recurring:
        extra = []
        if r.period_total is not None:
            extra.append(f"保障期内合计{fmt(r.period_total)}元")
        if r.span_total is not None:
            extra.append(f"所问期限合计{fmt(r.span_total)}元")
        lines.append(
            f"按{r.per}发放（不计入上面的一次性合计）：{r.title} 每{r.per}{fmt(r.amount)}元"
            + (f"（{'，'.join(extra)}）" if extra else "")
            + "。"
        )
    if s.pending:
        lines.append(f"还有{len(s.pending)}项取决于尚未确认的情况：" + "、".join(s.pending) + "。")
    if s.no_figure:
        lines.append("符合但文件没有写明金额的：" + "、".join(s.no_figure) + "。")
    if s.not_paid:
        lines.append("符合、但其金额不是发放的钱（如银行授信额度），不计入合计的：" + "、".join(s.not_paid) + "。")
    return "\n".join(lines)


def entity_zh(entity: str | None) -> str:
    return ENTITY_ZH.get(entity or "", "未说明")
