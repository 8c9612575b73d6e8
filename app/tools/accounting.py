"""Accounting: every number and every group of the question ends in exactly one place.

``plan(frame, rule)`` reads a ``QuestionFrame`` against one rule and decides,
for each group of people or units and each number the user typed, whether it
is

* an **input** of the calculation (a head count in a listed category, the
  months of a recurring amount, a base, a deduction, a condition's value);
* **excluded** — a group for whom a condition fails (未通过考核的3人), with the
  condition and what would make them count;
* **not listed** — a group in a category the provision does not list (区级 where
  the text lists 市级 and up), never priced at another category's rate;
* a **claim** about the text, checked against it (保障期是48个月吧);
* **context** — a year, a date, a phone number, the applicant itself (一家企业);
* **not applicable** — read, but the provision does not use it (a span given for
  a one-off amount);
* **not understood**.

A total may be stated only when nothing is *not understood*, no group is in an
unlisted category, and the calculation has what it needs. Otherwise the
answer says what it understood, names what it could not place, and asks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from app.frame.schema import Fact, Fate, Qualifier, QuestionFrame
from app.frame.words import question_words, words_pattern
from app.tools.calculators import fmt
from app.tools.rules import Amount, Condition, Rule, settles_area
from ingest.vocab import vocabulary

Verdict = Literal["met", "not_met", "unknown"]


@dataclass
class Placement:
    """What became of one number or group of the question."""

    what: str
    fate: Fate
    note: str = ""
    number: int | None = None
    group: int | None = None


@dataclass
class GroupReading:
    index: int
    label: str
    count: int | None
    category: str | None = None  # the rule's category key, when listed
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    status: Literal["input", "excluded", "not_listed", "not_understood", "context", "total"] = "input"
    reason: str = ""
    measure: str = "人"  # 人 for people, 家/个 for units


@dataclass
class ClaimCheck:
    text: str
    claimed: Decimal
    unit: str
    actual: list[str] = field(default_factory=list)  # what the text says, as written
    correct: bool | None = None


@dataclass
class Plan:
    rule_id: str
    inputs: dict[str, Any] = field(default_factory=dict)
    groups: list[GroupReading] = field(default_factory=list)
    placements: list[Placement] = field(default_factory=list)
    claims: list[ClaimCheck] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # 按保障期36个月计 / 一次性，不按年限累计
    missing: list[str] = field(default_factory=list)  # what must be asked before a total

    @property
    def not_understood(self) -> list[Placement]:
        return [p for p in self.placements if p.fate == "not_understood"]

    @property
    def not_listed(self) -> list[GroupReading]:
        return [g for g in self.groups if g.status == "not_listed"]

    @property
    def excluded(self) -> list[GroupReading]:
        return [g for g in self.groups if g.status == "excluded"]

    @property
    def included(self) -> list[GroupReading]:
        return [g for g in self.groups if g.status == "input"]

    @property
    def can_total(self) -> bool:
        # A category the text does not list is left out and said so (本科生3人：文件只列了中职、高职，未计入);
        # the listed ones are still priced. Nothing listed at all: no total.
        return not self.not_understood and not self.missing and (not self.not_listed or bool(self.included))

    def reading(self) -> str:
        """One line: what was used and what was left out (按您说的：…)."""
        used = [p.note or p.what for p in self.placements if p.fate == "input" and p.note != "见另一项"]
        out = []
        if used:
            out.append("；".join(dict.fromkeys(used)))
        for g in self.excluded:
            out.append(f"{g.label}{g.count if g.count is not None else ''}{g.measure}不计（{g.reason}）")
        for g in self.not_listed:
            out.append(f"{g.label}{_count_text(g)}：{g.reason}，未计入")
        for p in self.placements:
            if p.fate == "not_applicable" and p.note:
                out.append(p.note)
        out += [n for n in self.notes if n not in out]
        for p in self.not_understood:
            out.append(f"“{p.what}”：{p.note}，未计入" if p.note else f"“{p.what}”不清楚指什么，未计入")
        return "；".join(out)

    def as_dict(self) -> dict[str, Any]:
        return {
            "inputs": {k: (fmt(v) if isinstance(v, Decimal) else v) for k, v in self.inputs.items()},
            "reading": self.reading(),
            "excluded": [{"label": g.label, "count": g.count, "reason": g.reason} for g in self.excluded],
            "not_listed": [{"label": g.label, "count": g.count, "reason": g.reason} for g in self.not_listed],
            "not_understood": [p.what for p in self.not_understood],
            "missing": list(self.missing),
            "notes": list(self.notes),
            "claims": [
                {"text": c.text, "claimed": fmt(c.claimed), "unit": c.unit, "actual": c.actual, "correct": c.correct}
                for c in self.claims
            ],
            "placements": [{"what": p.what, "fate": p.fate, "note": p.note} for p in self.placements],
        }


def _count_text(g: GroupReading) -> str:
    return f"{g.count}{g.measure}" if g.count is not None else ""


# ---------------------------------------------------------------------------------------------- categories


def category_of(words: str, rule: Rule) -> tuple[str | None, str]:
    """The rule category the words name, or (None, why).

    ``why`` is ``"unlisted"`` when the words name a level on the same ladder as
    the rule's categories but one the rule does not list (区级 for 市级/省级/国家级),
    ``"other"`` when they name a level of no listed ladder, ``""`` when they name
    nothing the rule distinguishes.
    """
    best: tuple[int, str] | None = None
    for a in rule.amounts:
        for form in rule.forms(a):
            pos = words.find(form)
            if pos >= 0 and (best is None or len(form) > best[0]):
                best = (len(form), a.category)
    now = _level_now(words)
    if best is not None:
        # A longer level in the words than the matched form wins (高级技师 is not 技师).
        levels = vocabulary().levels_in(now)
        longest = max((e - s for s, e, _ in levels), default=0)
        matched = rule.amount(best[1])
        # 省级劳模创新工作室 against 市级劳模(职工)创新工作室: the name matches, the level does not.
        other_rank = (
            matched is not None
            and matched.ladder
            and any(lv.ladder == matched.ladder and lv.rank != matched.rank for _, _, lv in levels)
        )
        if matched is not None and not _same_kind(words, rule, matched):
            return None, "other"  # 省级劳模创新工作室 is not the 省级 of a rule about 基地
        if longest <= best[0] and not other_rank:
            return best[1], ""
    levels = vocabulary().levels_in(now)
    ladders = {a.ladder for a in rule.amounts if a.ladder}
    for _, _, lv in levels:
        if lv.ladder in ladders:
            match = next((a for a in rule.amounts if a.ladder == lv.ladder and a.rank == lv.rank), None)
            if match is not None and _same_kind(words, rule, match):
                return match.category, ""
            if match is not None:
                return None, "other"  # 省级劳模创新工作室 is not the 省级 of a rule about 基地
            return None, "unlisted"
    if best is not None:
        return best[1], ""
    return None, "other" if levels and ladders else ""


_BECOMES = re.compile(
    r"(?:被|经|已)?(?:认定为|认定成|评为|评定为|评上|晋升为|晋升到|晋升|聘为|聘任为|聘用为|聘用到|成为|升为|升到)"
)


def _level_now(words: str) -> str:
    """The words that say the level the people have now: after 认定为/晋升为/评为 when a level follows
    (一位老技师被认定为特级技师 is a 特级技师); otherwise all of them."""
    for m in reversed(list(_BECOMES.finditer(words))):
        if vocabulary().levels_in(words[m.end() :]):
            return words[m.end() :]
    return words


def _same_kind(words: str, rule: Rule, amount: Amount) -> bool:
    """Whether the thing the words name (工作室, 基地 …) is the kind the amount is for, when they name one.

    The amount's kind is read from its own name (its label, key, forms) and the rule's title; the rule's
    whole quote only when those name no kind, for a sentence may list several kinds of thing, each with
    its own amounts (…培训基地…300万元；…技能大师工作室…10万元). A thing is its noun and the words just
    before it (劳模创新工作室 is not a 技能大师工作室).
    """
    things = things_named(words)
    if not things:
        return True
    own = " ".join([amount.label, amount.category, rule.title, *rule.forms(amount)])
    theirs = own if things_named(own) else f"{own} {rule.quote}"
    return any(noun in theirs and (not mod or mod in theirs) for noun, mod in things)


_FUNCTION_CHARS = re.compile(r"[的了是被在把为个家所名位和与及、]")


def things_named(words: str) -> list[tuple[str, str]]:
    """(noun, modifier) of each kind of thing the words name: 省级劳模创新工作室 → (工作室, 创新).

    A noun followed by more of the phrase is not the thing (技工院校毕业的学生 are students); the modifier
    is the two characters before the noun after any level word (省级), none when the noun follows a
    function word (我们的工作室).
    """
    qw = question_words()
    ends = qw["phrase_end"]
    out: list[tuple[str, str]] = []
    taken: set[int] = set()
    for noun in qw["unit_nouns"]:  # longest first
        for m in re.finditer(re.escape(noun), words):
            if taken & set(range(m.start(), m.end())):
                continue
            after = words[m.end() :]
            if after and re.match(r"[\u4e00-\u9fff]", after) and not after.startswith(ends):
                continue
            taken |= set(range(m.start(), m.end()))
            run = re.findall(r"[\u4e00-\u9fff（）()]*$", words[: m.start()])[0]
            levels = vocabulary().levels_in(run)
            if levels:
                run = run[max(e for _, e, _ in levels) :]
            run = _FUNCTION_CHARS.split(run)[-1]
            run = re.sub(r"[（()）]", "", run)
            out.append((noun, run[-2:] if len(run) >= 2 else ""))
    return out


def categories_named(words: str, rule: Rule) -> list[str]:
    """Every category of the rule the words name, longest forms first, without overlaps."""
    forms = sorted(((f, a.category) for a in rule.amounts for f in rule.forms(a)), key=lambda p: -len(p[0]))
    taken = [False] * len(words)
    found: list[str] = []
    for form, cat in forms:
        for m in re.finditer(re.escape(form), words):
            if any(taken[m.start() : m.end()]):
                continue
            for i in range(m.start(), m.end()):
                taken[i] = True
            if cat not in found:
                found.append(cat)
    return found


# ---------------------------------------------------------------------------------------------- conditions


LIST_WORD = re.compile(r"清单|目录|名录|名单")
# Not on it: 不在/不属于/未列入 … 清单.
_OFF_LIST = re.compile(
    r"(?:不在|不属于|没在|没有?列入|未列入|未纳入|没进|不是)[^，,。；;？?]{0,16}?(?:清单|目录|名录|名单)"
)


def on_a_list(label: str) -> bool:
    """A condition of being on a published list (目录清单内的证书, 紧缺工种目录内): not met by the thing alone."""
    return bool(re.search(r"(?:清单|目录|名录|名单)(?:）|》)?(?:内|中|里|之内|范围内|以内|之中)", label))


def _verdict(cond: Condition, said: Qualifier | Fact, doc_city: str, about: list[str]) -> Verdict:
    if getattr(said, "asked", False):
        return "unknown"
    if cond.worded_negatively and not said.elsewhere:
        return "met" if said.negated else "not_met"
    if said.negated:
        if cond.type == "threshold" and cond.max is not None and cond.min is None:
            return "met"  # 没满35岁 → under the maximum
        return "not_met"
    if said.elsewhere and (cond.place_bound or cond.employer_bound):
        return "not_met"
    if cond.place_bound and said.place and doc_city and said.place != doc_city:
        return "not_met"
    if not settles_area(cond, said.text):
        return "unknown"  # 在厦门上班 does not say in which district (本辖区内用人单位)
    if cond.type == "threshold":
        if said.value is None:
            return "unknown"
        # Spans are read in months; a threshold in years (签订1年以上劳动合同) is compared in months too.
        scale = Decimal(12) if cond.unit == "年" else Decimal(1)
        if cond.min is not None and said.value < cond.min * scale:
            return "not_met"
        if cond.max is not None and said.value > cond.max * scale:
            return "not_met"
        return "met"
    return "met"


def _condition_verdicts(
    rule: Rule, frame: QuestionFrame, quals: list[Qualifier], doc_city: str, level_rank: int | None
) -> dict[str, Verdict]:
    about = frame.place_names("about")
    out: dict[str, Verdict] = {}
    for cond in rule.conditions:
        verdict: Verdict = "unknown"
        if cond.type == "enumeration" and cond.min_rank is not None:
            if level_rank is not None:
                verdict = "met" if level_rank >= cond.min_rank else "not_met"
            else:
                ranks = [lv.rank for lv in frame.levels if lv.ladder == cond.ladder]
                if ranks:
                    verdict = "met" if max(ranks) >= cond.min_rank else "not_met"
            out[cond.id] = verdict
            continue
        if cond.concept:
            c = vocabulary().concept(cond.concept)
            kin = {cond.concept, *(c.same_as if c else ())}
            # The concept itself before its kin (证是前年就拿的，今年换了新证书: the first decides).
            said = (
                next((q for q in reversed(quals) if q.concept == cond.concept), None)
                or next((q for q in reversed(quals) if q.concept in kin), None)
                or next((f for f in reversed(frame.facts) if f.concept in kin), None)
            )
            if on_a_list(cond.label):
                # 持有…目录清单内的…证书: holding a certificate (being 台湾居民) is not having one on the list;
                # only what is said about the list decides it (我的证在清单里 / 不在目录内).
                said = next((q for q in reversed(quals) if LIST_WORD.search(q.text)), None) or next(
                    (f for f in reversed(frame.facts) if LIST_WORD.search(f.text)), None
                )
                if said is not None and not said.negated and _OFF_LIST.search(said.text):
                    said = said.model_copy(update={"negated": True})  # 证照不在采认清单内
            if said is not None:
                verdict = _verdict(cond, said, doc_city, about)
            elif cond.concept == "年龄":
                ages = [t.value for t in frame.numbers if t.role == "age"]
                if ages:
                    verdict = _verdict(
                        cond, Fact(concept="年龄", text="", value=ages[0], span=frame.numbers[0].span), doc_city, about
                    )
            if cond.subject:
                # 3个技师，其中2个是团队成员: who is not said to be a member is not known to count.
                told_apart = any(q.concept == cond.subject for g in frame.groups for q in g.qualifiers)
                mine = next((q for q in reversed(quals) if q.concept == cond.subject), None)
                if mine is not None and mine.negated:
                    verdict = "not_met"
                elif mine is None and told_apart and verdict == "met":
                    verdict = "unknown"
                out[cond.id] = verdict
                continue
        if verdict == "unknown" and cond.type == "boolean":
            # No concept decided it: the words users say about this condition (还没获批 ~ 获批).
            cued = _cued(rule, cond, quals)
            if cued is not None:
                verdict = "not_met" if cued.negated else "met"
        out[cond.id] = verdict
    return out


def _picked_by_category(
    rule: Rule,
    frame: QuestionFrame,
    groups: list[Any],
    readings: list[Any],
    children: dict[int, list[int]],
    doc_city: str,
) -> None:
    """10个学徒：6个中职、4个高职……考核通过的有8个（中职5个、高职3个）: a part picked out of a whole
    listed by category, itself listed by the same categories. Each of its parts is a part of the
    whole's group of that category (with what is said of the whole and of the part picked out); what
    is left of each category did not do what the part picked out did."""
    for parent, kids in list(children.items()):
        by_cat = [j for j in kids if not groups[j].only and not groups[j].complement and readings[j].category]
        picked = [j for j in kids if groups[j].only and children.get(j)]
        if not picked or not by_cat or readings[parent].count is None:
            continue
        if sum(readings[j].count or 0 for j in by_cat) != readings[parent].count:
            continue
        for f in picked:
            subs = children[f]
            homes: dict[int, int] = {}
            for d in subs:
                same = [j for j in by_cat if readings[j].category == readings[d].category]
                if readings[d].category is None or len(same) != 1:
                    break
                homes[d] = same[0]
            else:
                taken: dict[int, int] = {}
                for d, j in homes.items():
                    taken[j] = taken.get(j, 0) + (readings[d].count or 0)
                if any(n > (readings[j].count or 0) for j, n in taken.items()):
                    continue
                quals = [*groups[parent].qualifiers, *groups[f].qualifiers]
                for d in subs:
                    readings[d].verdicts = _condition_verdicts(
                        rule, frame, [*quals, *groups[d].qualifiers], doc_city, None
                    )
                # The words that picked them out (考核通过的有8个), not what is said of them after (这8个都…);
                # a profile's group (facts without positions) is picked out by all of its facts.
                at = frame.numbers[groups[f].number].span.start if groups[f].number is not None else 0
                picking = [q for q in groups[f].qualifiers if q.span.start <= at]
                met_by_pick = {
                    cid for cid, v in _condition_verdicts(rule, frame, picking, doc_city, None).items() if v == "met"
                }
                for j in by_cat:
                    readings[j].count = (readings[j].count or 0) - taken.get(j, 0)
                    readings[j].verdicts = {
                        **readings[j].verdicts,
                        **{cid: "not_met" for cid in met_by_pick if readings[j].verdicts.get(cid) != "met"},
                    }
                    if readings[j].count == 0:
                        readings[j].status, readings[j].reason = "total", "总数（已按分项计）"
                readings[f].status, readings[f].reason = "total", "总数（已按分项计）"
                readings[parent].status, readings[parent].reason = "total", "总数（已按分项计）"
                children[parent] = [j for j in kids if j != f]


def _rest_across(groups: list[Any], readings: list[Any], kids: list[int], rest: list[int]) -> bool:
    """Whether the rest of a whole listed by category (5个中职、3个高职) is the remainder of every
    category after the parts taken out of them: its stated count is exactly what they leave."""
    parts = [j for j in kids if not groups[j].complement]
    if len(rest) != 1 or readings[rest[0]].count is None or not parts:
        return False
    if any(readings[j].category is None or readings[j].count is None for j in parts):
        return False
    taken = [k for k, g in enumerate(groups) if g.parent in parts and not g.complement]
    if not taken or any(readings[k].count is None for k in taken):
        return False
    left = sum(readings[j].count or 0 for j in parts) - sum(readings[k].count or 0 for k in taken)
    return left == readings[rest[0]].count


def _cued(rule: Rule, cond: Condition, quals: list[Qualifier]) -> Qualifier | None:
    cues = [w for w in rule.hints.cues.get(cond.id, []) if len(w) >= 2]
    return next((q for q in reversed(quals) if any(w in q.text for w in cues)), None)


def _unread_words(frame: QuestionFrame, g: Any) -> str:
    """What a part's own words say beyond its count and name (其中1家是前几年就建成的 → 前几年就建成)."""
    words = g.text
    if g.number is not None:
        words = words.replace(frame.numbers[g.number].text, " ", 1)
    if g.label:
        words = words.replace(g.label, " ", 1)
    for s, e, _ in vocabulary().levels_in(words):
        words = words[:s] + " " * (e - s) + words[e:]
    # 其中2个是团队成员: who they are (a who-counts concept) singles them out for the provisions that
    # read it; for the others they are simply part of the whole.
    for s, e, c, _ in vocabulary().concepts_in(words):
        if c.subject:
            words = words[:s] + " " * (e - s) + words[e:]
    filler = question_words()["part_filler"]
    for w in sorted(filler, key=len, reverse=True):
        words = words.replace(w, " ")
    left = "".join(re.findall(r"[\u4e00-\u9fff]+", words))
    return left if len(left) >= 2 else ""


def _in_quote(rule: Rule, concept: str) -> bool:
    """Whether the provision's own words speak of the concept (进入决赛人数 → 决赛)."""
    c = vocabulary().concept(concept)
    forms = [concept, *(c.forms if c else ())]
    return any(f and f in rule.quote for f in forms)


def _speaks_to(rule: Rule, q: Qualifier) -> bool:
    """Whether a qualifier of the user's is about one of the rule's conditions."""
    c = vocabulary().concept(q.concept) if q.concept else None
    kin = {q.concept, *(c.same_as if c else ())}
    for cond in rule.conditions:
        if cond.concept and (cond.concept in kin or cond.subject in kin):
            return True
        if _cued(rule, cond, [q]) is not None:
            return True
    return False


# ---------------------------------------------------------------------------------------------- the plan


def plan(frame: QuestionFrame, rule: Rule, *, doc_city: str = "") -> Plan:
    p = Plan(rule_id=rule.id)
    readings = _read_groups(frame, rule, doc_city)
    p.groups = readings
    used_numbers: set[int] = set()
    money_rule = rule.kind in ("per_head", "one_off", "monthly")

    # ---- groups → counts by category
    counts: dict[str, int] = {}
    for g in readings:
        grp = frame.groups[g.index]
        if grp.number is not None:
            used_numbers.add(grp.number)
        what = frame.text[grp.span.start : grp.span.end]
        if g.status == "context":
            p.placements.append(Placement(what, "context", g.reason, grp.number, g.index))
        elif g.status == "total":
            p.placements.append(Placement(what, "context", g.reason, grp.number, g.index))
        elif g.status == "excluded":
            p.placements.append(Placement(what, "excluded", g.reason, grp.number, g.index))
        elif g.status == "not_listed":
            p.placements.append(Placement(what, "not_listed", g.reason, grp.number, g.index))
        elif g.status == "not_understood":
            p.placements.append(Placement(what, "not_understood", g.reason, grp.number, g.index))
        else:
            assert g.category is not None and g.count is not None
            counts[g.category] = counts.get(g.category, 0) + g.count
            a = rule.amount(g.category)
            shown = (
                g.label
                if g.label and g.label not in set(question_words()["generic_labels"])
                else ((a.label or a.category) if a else "")
            )
            note = (
                f"{shown} {g.count}{g.measure}（按{a.label or a.category}计）"
                if a is not None
                else f"{shown} {g.count}"
            )
            p.placements.append(Placement(what, "input", note, grp.number, g.index))
    counted = [g for g in readings if g.status not in ("context",)]
    if money_rule and not counted:
        _no_counts(frame, rule, p, counts)
    capped_rate = rule.kind == "percentage" and any(
        lim.kind == "per_person" and lim.period in ("", "month") for lim in rule.limits
    )
    if money_rule or (rule.kind == "percentage" and (rule.uplift or capped_rate)):
        if rule.kind == "percentage":
            total_count = sum(counts.values())
            if total_count:
                p.inputs["count"] = total_count
        elif rule.kind == "monthly" and len(rule.amounts) == 1:
            if counts:
                p.inputs["people"] = sum(counts.values())
        else:
            p.inputs.update(counts)

    # ---- conditions for the included: met for all → the fact; otherwise unknown
    included = [g for g in readings if g.status == "input"]
    excluded = [g for g in readings if g.status == "excluded"]
    if not included and excluded:
        # Everyone fails: the condition they all fail is what the engine reports.
        for cond in rule.conditions:
            if all(g.verdicts.get(cond.id) == "not_met" for g in excluded):
                p.inputs[cond.id] = _unmet_value(cond)
    for cond in rule.conditions:
        verdicts = {g.verdicts.get(cond.id, "unknown") for g in included} or {
            _condition_verdicts(rule, frame, [], doc_city, None).get(cond.id, "unknown")
        }
        if verdicts == {"met"}:
            p.inputs[cond.id] = _met_value(cond, frame, included)
        elif verdicts == {"not_met"} and not included:
            p.inputs[cond.id] = _unmet_value(cond)

    # ---- time
    _time(frame, rule, p, used_numbers)
    # ---- money and rates
    _money(frame, rule, p, used_numbers)
    # ---- claims
    _claims(frame, rule, p, used_numbers)
    # ---- everything else
    for i, t in enumerate(frame.numbers):
        if i in used_numbers:
            continue
        if i in frame.placed_elsewhere:
            p.placements.append(Placement(t.text, "input", "见另一项", i))
            continue
        if t.role in ("year", "date", "phone", "doc_number", "ordinal", "per_unit", "items", "again"):
            p.placements.append(Placement(t.text, "context", "", i))
        elif t.role == "age":
            fate: Fate = "condition" if any(c.concept == "年龄" for c in rule.conditions) else "context"
            p.placements.append(Placement(t.text, fate, "", i))
        elif t.role == "level":
            p.placements.append(Placement(t.text, "context", "等级", i))
        elif t.role == "span" and _is_condition_value(frame, i):
            p.placements.append(Placement(t.text, "condition", "", i))
        elif t.role == "count" and _is_condition_value(frame, i):
            p.placements.append(Placement(t.text, "condition", "", i))
        elif (
            t.role == "other"
            and t.unit
            and any(c.type == "threshold" and c.unit == t.unit for c in rule.conditions)
            and _is_condition_value(frame, i)
        ):
            # 做了48学时的岗前培训 against 培训时间不少于40学时: the value of that condition.
            p.placements.append(Placement(t.text, "condition", "", i))
        else:
            p.placements.append(Placement(t.text, "not_understood", "", i))
    return p


_PROMOTED = re.compile(r"(?:升成|升为|升到|升级为|升级成|升级到|晋升为|晋升成|晋升到|晋升|升格为|升级|升)了?")
_RECEIVED = re.compile(r"拿过|拿了|获得过|获得了|已获|已经获得|领过|领了|得过|资助过|补过|已经拿|之前拿|曾获|给过|发过")


def _top_up_reading(frame: QuestionFrame, rule: Rule) -> tuple[str | None, Any]:
    """按差额补足: the level promoted to (升成省级了) and the money already received (2022年拿过8万资助)."""
    if not rule.top_up:
        return None, None
    promoted = None
    for m in _PROMOTED.finditer(frame.text):
        named = categories_named(frame.text[m.end() : m.end() + 8], rule)
        if len(named) == 1:
            promoted = named[0]
    received = [
        x
        for x in frame.money
        if _RECEIVED.search(frame.text[max(0, x.span.start - 8) : x.span.start])
        or _RECEIVED.search(frame.text[x.span.end : x.span.end + 2])
    ]
    return promoted, received[0] if len(received) == 1 else None


def _no_counts(frame: QuestionFrame, rule: Rule, p: Plan, counts: dict[str, int]) -> None:
    """No head count in the question: one person (or unit) of the one category named, or ask."""
    promoted, received = _top_up_reading(frame, rule)
    if promoted is not None:
        # 市级工作室拿过8万，今年升成省级了: the level promoted to, less what was received.
        counts[promoted] = 1
        a = rule.amount(promoted)
        p.notes.append(f"晋升为{a.label or a.category if a else promoted}，{rule.top_up}")
        if received is None:
            p.missing.append("已获资助的金额（晋升等级的按差额补足）")
        return
    ladders = {a.ladder for a in rule.amounts if a.ladder}
    listed = {(a.ladder, a.rank) for a in rule.amounts if a.ladder}
    for lv in frame.levels:
        if lv.ladder in ladders and (lv.ladder, lv.rank) not in listed:
            names = "、".join(a.label or a.category for a in rule.amounts)
            p.groups.append(
                GroupReading(
                    index=-1, label=lv.text, count=None, status="not_listed", reason=f"文件只列了{names}，没有这一级"
                )
            )
            p.placements.append(Placement(lv.text, "not_listed", f"文件只列了{names}，没有{lv.level}"))
            return
    if any(c.unit == "人" for c in frame.claims):
        p.missing.append("实际人数（问题中的人数是对文件内容的说法，不是您单位的人数）")
        return
    kinds = [a for a in rule.amounts if _same_kind(frame.text, rule, a)]
    if not kinds:
        # 评上了省级劳模创新工作室 on a rule about 培训基地: the question is about another kind of thing.
        names = "、".join(a.label or a.category for a in rule.amounts)
        p.missing.append(f"问题中说的对象是否属于文件所列的{names}")
        return
    if len(rule.amounts) == 1:
        p.notes.append("按1人（1个单位）计")
        return
    named = [c for c in categories_named(frame.text, rule) if any(a.category == c for a in kinds)]
    if len(named) == 1:
        counts[named[0]] = 1
        a = rule.amount(named[0])
        p.notes.append(f"按1人（{a.label or a.category if a else named[0]}）计")
    else:
        cats = "、".join(a.label or a.category for a in rule.amounts)
        p.missing.append(f"各类别分别有多少人（个）？可选类别：{cats}")


def _is_condition_value(frame: QuestionFrame, index: int) -> bool:
    t = frame.numbers[index]
    spans = [f.span for f in frame.facts if f.value is not None] + [
        q.span for g in frame.groups for q in g.qualifiers if q.value is not None
    ]
    return any(abs(s.start - t.span.end) <= 8 or abs(t.span.start - s.end) <= 8 for s in spans)


def _met_value(cond: Condition, frame: QuestionFrame, included: list[GroupReading]) -> Any:
    if cond.type == "threshold":
        values = [
            q.value
            for g in included
            for q in frame.groups[g.index].qualifiers
            if q.concept == cond.concept and q.value is not None
        ]
        values += [f.value for f in frame.facts if f.concept == cond.concept and f.value is not None]
        if values:
            return min(values)
        return cond.min if cond.min is not None else cond.max
    if cond.type == "enumeration":
        return cond.options[0] if cond.options else "是"
    return "是"


def _unmet_value(cond: Condition) -> Any:
    if cond.type == "threshold":
        return Decimal(0) if cond.min is not None else (cond.max or Decimal(0)) + 1
    if cond.type == "enumeration":
        return "不符合"
    return "否"


_PER_HEAD = re.compile(r"每人|每个人|每名|每位|每个学员|人均|一个人|一人|/人|／人")


def _counts_heads_of_base(frame: QuestionFrame, rule: Rule) -> bool:
    """An uplift on a base the user gives per head, with one counted group: the count multiplies it."""
    if rule.kind != "percentage" or not rule.uplift or rule.amounts:
        return False
    tops = [g for g in frame.groups if g.parent is None and g.count is not None]
    bases = [m for m in frame.money if m.role in ("base", "unknown")]
    if len(tops) != 1 or len(bases) != 1:
        return False
    m = bases[0]
    around = frame.text[max(0, m.span.start - 6) : m.span.end + 5]
    return bool(_PER_HEAD.search(around))


_TOGETHER = re.compile(r"一共|总共|合计|共计|加起来|总额|总计|一起")


def _counts_heads_of_capped_rate(frame: QuestionFrame, rule: Rule) -> bool:
    """A rate capped per person (按发放额的50%，每名师傅每月不超过500元) on one base the user pays each
    person: the one counted group is how many persons. One person always; several only when the base is
    said per head (每人培训费1200元) or paid to the group's own noun (给师傅发600元 … 两个师傅), and not
    as a sum (一共发了3000元)."""
    if rule.kind != "percentage" or rule.uplift or rule.amounts:
        return False
    if not any(lim.kind == "per_person" and lim.period in ("", "month") for lim in rule.limits):
        return False
    tops = [g for g in frame.groups if g.parent is None and g.count is not None]
    bases = [m for m in frame.money if m.role in ("base", "unknown")]
    if len(tops) != 1 or len(bases) != 1:
        return False
    g, m = tops[0], bases[0]
    around = frame.text[max(0, m.span.start - 8) : m.span.end + 4]
    if _TOGETHER.search(around):
        return False
    if g.count == 1:
        return True
    noun = re.sub(r"^(?:个|名|位|人)", "", g.label or "")
    return bool(_PER_HEAD.search(around)) or bool(noun and len(noun) >= 2 and noun in around)


def _read_groups(frame: QuestionFrame, rule: Rule, doc_city: str) -> list[GroupReading]:
    groups = frame.groups
    if rule.kind == "target":
        # A ratio target counts people of the base (技能人才有300万人): the count is its base, no category.
        return [
            GroupReading(index=k, label=g.label, count=g.count, status="context", reason="计算基数")
            for k, g in enumerate(groups)
        ]
    readings: list[GroupReading] = []
    children: dict[int, list[int]] = {}
    for k, g in enumerate(groups):
        if g.parent is not None:
            children.setdefault(g.parent, []).append(k)
    single = len(rule.amounts) == 1
    generic = set(question_words()["generic_labels"])
    # A category the question names outside every group (大连领军人才每月多少，两个人) names the bare groups.
    outside = frame.text
    for g in groups:
        outside = outside[: g.span.start] + " " * (g.span.end - g.span.start) + outside[g.span.end :]
    named_elsewhere = set(categories_named(outside, rule))
    for k, g in enumerate(groups):
        own = g.label if g.label and g.label not in generic else ""
        levels_said = vocabulary().levels_in(g.text or "")
        shown = levels_said[0][2].level if levels_said and not own else ""
        label = own or shown or (groups[g.parent].label if g.parent is not None else "") or g.label
        unit = frame.numbers[g.number].unit if g.number is not None and g.number < len(frame.numbers) else ""
        r = GroupReading(
            index=k,
            label=label,
            count=g.count,
            measure="家" if unit in ("家", "所") else "个" if unit in ("项", "台", "套") else "人",
        )
        if any(q.concept == "self" for q in g.qualifiers):
            r.status, r.reason = "context", "申请主体"
            readings.append(r)
            continue
        if (
            g.count == 1
            and r.measure == "家"
            and "/人" in rule.unit
            and re.match(r"(?:企业|公司|单位|工厂|厂|机构)", g.label or "")
            and g.parent is None
            and not any(h.parent == k for h in groups)
        ):
            # 被一家企业作为紧缺人才引进: the employer of the person asking, not a count of the rule's unit.
            r.status, r.reason = "context", "所在单位"
            readings.append(r)
            continue
        # Category: own words, then the parent's.
        words = g.text or g.label
        cat, why = category_of(words, rule) if rule.amounts else (None, "")
        if cat is None and g.parent is not None and not why:
            cat, why = category_of(groups[g.parent].text or groups[g.parent].label, rule)
        if cat is None and not why and single:
            if _same_kind(words, rule, rule.amounts[0]):
                cat = rule.amounts[0].category
            else:
                why = "other"  # 2家技能大师工作室 on a rule about 劳模创新工作室: not its amount
        if cat is None and not why and not own and g.parent is None and len(named_elsewhere) == 1:
            cat = next(iter(named_elsewhere))
        if cat is None and not why and g.parent is None and _counts_heads_of_base(frame, rule):
            cat = "人数"  # 12个学员，原标准每人2000元，提高30%: the raised per-head base times the count
        if (
            cat is None
            and not why
            and g.parent is None
            and r.measure == "人"
            and _counts_heads_of_capped_rate(frame, rule)
        ):
            cat = "人数"  # 每月给师傅发600元，两个师傅: each one's payment at the rate, capped per person
        own_cats = categories_named(g.text or g.label, rule) if len(rule.amounts) > 1 else []
        if g.number is not None and len(rule.amounts) > 1:
            # 技师、高级技师一共4个: a count said for several categories together.
            t = frame.numbers[g.number]
            start = max([m.end() for m in re.finditer(r"[，,。；;？?！!]", frame.text[: t.span.start])], default=0)
            lead = frame.text[start : t.span.start]
            if (
                re.search(r"(?:一共|总共|合计|加起来|一起|共)\s*(?:有)?\s*$", lead)
                and len(categories_named(lead, rule)) > 1
            ):
                own_cats = categories_named(lead, rule)
        if len(own_cats) > 1 and not children.get(k):
            cat, why = None, "ambiguous"  # 其余有技师也有高级工: how many of each is not said
        elif cat is None and not own_cats and len(named_elsewhere) > 1 and g.parent is None and not children.get(k):
            why = "ambiguous"  # 6个学生学徒，高职和中职都有
        r.category = cat
        if why == "ambiguous":
            r.reason = "ambiguous"
        level_rank = None
        lv = vocabulary().levels_held(words)
        if lv:
            level_rank = lv[0][2].rank
        # The whole's facts, then the part's own: the last said of a concept decides, so a part's own
        # (其中2个早就取得了) overrides what is said of the whole (5个职工拿了技师).
        quals = (list(groups[g.parent].qualifiers) if g.parent is not None else []) + list(g.qualifiers)
        r.verdicts = _condition_verdicts(rule, frame, quals, doc_city, level_rank)
        loose = [q for q in g.qualifiers if not q.concept]
        if loose and not any(v == "not_met" for v in r.verdicts.values()):
            said = loose[0]
            new_conds = [c for c in rule.conditions if c.concept in ("新增", "新取得", "引进", "认定")]
            if said.negated and re.search(
                r"老|以前|之前|前年|去年就|好几年前|早就|早已|多年前|往年|原有|已有的", said.text
            ):
                if new_conds:
                    r.verdicts = {**r.verdicts, **{c.id: "not_met" for c in new_conds}}
                else:
                    r.status, r.reason = "not_understood", f"“{said.text}”与文件的哪项条件有关，不清楚"
            elif said.negated:
                # 其中5位不符合资助条件 / 其中1个还在申报: the user says they do not qualify (yet).
                r.status, r.reason = "excluded", said.text
        if g.parent is not None and not g.complement and not any(v == "not_met" for v in r.verdicts.values()):
            # 其中3个还没获批, where no condition of the rule is about 获批: whether they count is not known.
            unplaced = [q for q in g.qualifiers if q.negated and q.concept and not _speaks_to(rule, q)]
            # 只有6个进了决赛, where the text counts by 进入决赛 but no condition reads it: whether the rest
            # count is not known either.
            unplaced += [
                q
                for q in g.qualifiers
                if not q.negated and q.concept and not _speaks_to(rule, q) and _in_quote(rule, q.concept)
            ]
            if unplaced and r.status == "input":
                r.status, r.reason = "not_understood", f"“{unplaced[0].text}”与文件的哪项条件有关，不清楚"
            elif r.status == "input" and not any(_speaks_to(rule, q) for q in g.qualifiers):
                # 其中1家是前几年就建成的: a part singled out for something no condition reads.
                unread = _unread_words(frame, g)
                if unread:
                    r.status, r.reason = "not_understood", f"“{unread}”与文件的哪项条件有关，不清楚"
        if g.part_of_several and r.category is None:
            r.status, r.reason = "not_understood", "不清楚是哪一组中的人"
        readings.append(r)
    _picked_by_category(rule, frame, groups, readings, children, doc_city)
    # A total listed before its parts (一共10个，中职7个高职3个): the parts carry the categories. A part
    # taken out of the total (其中2个没过) cannot be put in a category unless it says which.
    tops_all = [k for k, g in enumerate(groups) if g.parent is None and readings[k].status == "input"]
    totals: set[int] = set()
    for i, k in enumerate(tops_all):
        r = readings[k]
        if r.count is None or r.category is not None or single:
            continue
        if vocabulary().levels_in(groups[k].label or ""):
            continue  # 2家区级培训基地: a group of its own level (one the rule may not list), not a total
        following = [j for j in tops_all[i + 1 :] if readings[j].category is not None and readings[j].count is not None]
        if following and sum(readings[j].count or 0 for j in following) == r.count:
            totals.add(k)
            r.status, r.reason = "total", "总数（已按分项计）"
            for c in children.get(k, []):
                if readings[c].category is None:
                    readings[c].status, readings[c].reason = "not_understood", "不清楚属于哪一类，无法从分项中扣除"
                    readings[c].verdicts = {}
            if any(readings[c].status == "not_understood" for c in children.get(k, [])):
                for j in following:
                    readings[j].status, readings[j].reason = "not_understood", "其中有人不符合条件，但不清楚属于哪一类"
    # Parents with parts: the count left over after the parts is the parent's own (4个学徒，其中1人… → 3).
    for parent, kids in children.items():
        if parent in totals:
            continue
        pr = readings[parent]
        known = [readings[c].count for c in kids if not groups[c].complement]
        rest = [c for c in kids if groups[c].complement]
        if pr.count is None or any(n is None for n in known):
            for c in rest:
                readings[c].status, readings[c].reason = "not_understood", "人数不明"
            continue
        left = pr.count - sum(n for n in known if n is not None)
        if left < 0:
            pr.status, pr.reason = "not_understood", "分项人数之和超过总数"
            continue
        if left == 0 and rest and _rest_across(groups, readings, kids, rest):
            # 8个学生：5个中职、3个高职，有2个高职没交社保，其余6个交了两个月: the rest is what is left
            # of each category after its own parts — what is said of it is said of each remainder.
            for c in rest:
                for j in kids:
                    if groups[j].complement:
                        continue
                    mine = readings[j].verdicts
                    readings[j].verdicts = {
                        **mine,
                        **{cid: v for cid, v in readings[c].verdicts.items() if mine.get(cid, "unknown") == "unknown"},
                    }
                readings[c].status, readings[c].reason = "total", "其余（已按各类别计）"
            rest = []
        for c in rest:
            readings[c].count = left
            if readings[c].category is None:
                readings[c].category = pr.category
            left = 0
        # 10个人参赛，只有6个进了决赛: the rest did not do what the part did.
        onlies = [c for c in kids if groups[c].only]
        if onlies and left > 0:
            done = [q for c in onlies for q in groups[c].qualifiers if not q.negated]
            failed = [cond for cond in rule.conditions if any(q.concept == cond.concept for q in done)]
            if failed:
                pr.verdicts = {**pr.verdicts, **{cond.id: "not_met" for cond in failed}}
        elif left > 0:
            # 10个人参赛，其中6个进了决赛: a part said to meet a condition the whole was not said to meet —
            # the rest did not (they are left out, never assumed to meet it).
            # Only what the part's own words say of it (not 这些人都… said of everyone), and only parts
            # said to meet something, none said to fail.
            parts = [c for c in kids if not groups[c].complement and not any(q.negated for q in groups[c].qualifiers)]
            part_quals = [
                q for c in parts for q in groups[c].qualifiers if not re.search(r"都|全|均|这些|他们|大家", q.text)
            ]
            met_by_part = {
                k
                for q in part_quals
                for k, v in _condition_verdicts(rule, frame, [q], doc_city, None).items()
                if v == "met"
            }
            implied = [
                cond.id
                for cond in rule.conditions
                if pr.verdicts.get(cond.id, "unknown") == "unknown" and cond.id in met_by_part
            ]
            if implied:
                pr.verdicts = {**pr.verdicts, **{cid: "not_met" for cid in implied}}
        # The parent itself now stands for its remainder only.
        pr.count = left
        if left == 0:
            pr.status, pr.reason = "total", "总数（已按分项计）"
    # A group of several categories written as a total before its parts: 5个学徒，3个中职2个高职.
    tops = [k for k, g in enumerate(groups) if g.parent is None and readings[k].status == "input"]
    for i, k in enumerate(tops):
        r = readings[k]
        if r.category is not None or r.count is None or single or vocabulary().levels_in(groups[k].label or ""):
            continue
        following = [j for j in tops[i + 1 :] if readings[j].category is not None and readings[j].count is not None]
        if following and sum(readings[j].count or 0 for j in following) == r.count:
            r.status, r.reason = "total", "总数（已按分项计）"
    for r in readings:
        if r.status != "input":
            continue
        if r.count is None:
            r.status, r.reason = "not_understood", "人数不明"
            continue
        # Whoever fails a condition is left out, whatever their category.
        failed = [c for c in rule.conditions if r.verdicts.get(c.id) == "not_met"]
        if failed:
            r.status = "excluded"
            r.reason = "不满足“" + "”“".join(c.label for c in failed) + "”"
            continue
        if r.category is None and r.reason == "ambiguous":
            r.status, r.reason = "not_understood", "各类别各有多少人没有说明"
            continue
        if r.category is None:
            listed = "、".join(a.label or a.category for a in rule.amounts)
            if r.label and (vocabulary().levels_in(r.label) or vocabulary().levels_in(groups[r.index].text)):
                r.status, r.reason = "not_listed", f"文件只列了{listed}，没有这一类"
            else:
                r.status, r.reason = "not_understood", f"不清楚属于哪一类（文件列了{listed}）"
    # 领军人才3名，高端人才9名，其中6位还没认定（其余的…）: a part of a whole the words do not decide —
    # nor the rest of it — cannot be taken off any group, whatever it is said to be.
    several = {k for k, g in enumerate(groups) if g.part_of_several}
    for r in readings:
        if not 0 <= r.index < len(groups):
            continue
        if (r.index in several or groups[r.index].parent in several) and r.status != "context":
            r.status, r.reason = "not_understood", "不清楚是哪一组中的人"
    return readings


_YEAR_INDEX = re.compile(r"第\s*([一二三四五1-5])\s*年|首年|头一年|当年")


def _asks_total_apart(frame: QuestionFrame, per: Any) -> bool:
    """每月多少？干满两年一共多少: a total asked in its own part, after the per-period one."""
    rest = frame.text[per.span.end :]
    m = re.search(r"[？?。；;，,]", rest)
    return bool(m and re.search(r"一共|总共|合计|加起来|总计|共计|累计", rest[m.end() :]))


def _condition_span(frame: QuestionFrame, rule: Rule, span: Any) -> bool:
    """The span is the value the question gives for a fact a threshold condition of ``rule`` reads."""
    concepts = {c.concept for c in rule.conditions if c.type == "threshold" and c.concept}
    if not concepts:
        return False
    said: list[Fact | Qualifier] = [f for f in frame.facts if f.value is not None]
    said += [q for g in frame.groups for q in g.qualifiers if q.value is not None]
    for f in said:
        if f.concept not in concepts or f.value != span.months:
            continue
        if abs(span.span.start - f.span.end) <= 8 or abs(f.span.start - span.span.end) <= 8:
            return True
    return False


def _time(frame: QuestionFrame, rule: Rule, p: Plan, used: set[int]) -> None:
    durations = [s for s in frame.spans if s.kind == "duration" and s.number not in used]
    elapsed = [s for s in frame.spans if s.kind == "elapsed"]
    per_period = [s for s in frame.spans if s.kind == "per_period"]
    for s in per_period:
        if s.number is not None:  # 一个月多少: the period the figure is asked for
            used.add(s.number)
            p.placements.append(Placement(s.text, "context", "问的是每期标准", s.number))
    # The same span said twice (干5年…5年加起来) is one span.
    seen: set[Decimal] = set()
    unique = []
    for sp in durations:
        if sp.months in seen:
            if sp.number is not None:
                used.add(sp.number)
                p.placements.append(Placement(sp.text, "input", "同一期限", sp.number))
            continue
        seen.add(sp.months)
        unique.append(sp)
    durations = unique
    if rule.installments:
        m = _YEAR_INDEX.search(frame.text)
        if m:
            k = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}.get(m.group(1) or "一", None) or int(m.group(1))
            p.inputs["year_index"] = k
            p.notes.append(f"分{len(rule.installments)}年发放，按第{k}年的比例计")
            for sp in durations:
                if sp.number is not None:
                    used.add(sp.number)
                    p.placements.append(Placement(sp.text, "input", f"第{k}年", sp.number))
            durations = []
    if rule.recurrence == "day":
        for sp in durations:
            if sp.number is not None:
                used.add(sp.number)
        days = [sp for sp in durations if sp.days is not None]
        if len(days) == 1:
            p.inputs["days"] = int(days[0].days) if days[0].days == days[0].days.to_integral_value() else days[0].days  # type: ignore[union-attr]
            p.placements.append(Placement(days[0].text, "input", f"按{days[0].text}计", days[0].number))
        else:
            p.missing.append("按多少天计算（文件规定的是每人每天的标准）")
        return
    if "学时" in rule.unit or "课时" in rule.unit:
        p.missing.append("每人的学时数（文件按学时计算）")
    recurring = rule.recurrence in ("month", "year")
    for s in durations + elapsed:
        if s.number is not None:
            used.add(s.number)
    if not recurring:
        for s in durations + elapsed:
            if rule.kind in ("per_head", "one_off"):
                p.placements.append(
                    Placement(s.text, "not_applicable", f"{s.text}：该项按人（次）一次性计算，不按年限累计", s.number)
                )
            elif rule.kind == "percentage" and any(
                m.role in ("base", "unknown") and 0 <= m.span.start - s.span.end <= 10 for m in frame.money
            ):
                # 一年社会服务收入一百万: the period of the base, said with it.
                p.placements.append(Placement(s.text, "context", "基数的期间", s.number))
            else:
                p.placements.append(Placement(s.text, "not_understood", "", s.number))
        return
    if len(durations) > 1:
        # 合同签了三年…干满两年: a span that is the value of a fact a condition of the provision reads
        # (the contract's length against 签订1年以上劳动合同) is that condition's, not the period asked.
        of_conditions = [s for s in durations if _condition_span(frame, rule, s)]
        rest = [s for s in durations if s not in of_conditions]
        if of_conditions and len(rest) == 1:
            for s in of_conditions:
                p.placements.append(Placement(s.text, "condition", "条件中的期限", s.number))
            durations = rest
    if len(durations) > 1:
        for s in durations:
            p.placements.append(Placement(s.text, "not_understood", "有多个期限，不清楚按哪个算", s.number))
        p.missing.append("按多长时间计算")
        return
    if rule.recurrence == "month" and rule.kind == "percentage" and not durations and not per_period:
        # A rate on a monthly payment runs as long as the payment does: the stated period is only its longest.
        p.missing.append("按几个月计算（按月发放额的比例补助，需要知道发放的月数）")
        return
    if rule.recurrence == "month":
        if durations:
            months = durations[0].months
            if months != months.to_integral_value():
                p.placements.append(Placement(durations[0].text, "not_understood", "月数不是整数", durations[0].number))
                p.missing.append("按几个月计算")
                return
            p.inputs["months"] = int(months)
            note = f"按{int(months)}个月计"
            if rule.period_months is not None and months > rule.period_months:
                note = f"{durations[0].text}超过保障期，按保障期{rule.period_months}个月计"
                p.notes.append(note)
            p.placements.append(Placement(durations[0].text, "input", note, durations[0].number))
        elif per_period and _asks_total_apart(frame, per_period[0]):
            # 一个月多少？总共多少？ — two questions: the total is over the period the text sets.
            if rule.period_months is not None:
                p.notes.append(f"合计按保障期{rule.period_months}个月计")
            else:
                p.missing.append("按几个月计算（文件规定的是每月标准，没有写期限）")
        elif per_period:
            months = per_period[0].months
            p.inputs["months"] = int(months)
            p.notes.append(f"按{'每月' if months == 1 else '每年（12个月）'}计")
        elif rule.period_months is not None and frame.asks_total:
            p.notes.append(f"按保障期{rule.period_months}个月计")
        elif rule.period_months is None:
            p.missing.append("按几个月计算（文件规定的是每月标准，没有写期限）")
        if elapsed and rule.period_months is not None:
            p.inputs["elapsed_months"] = int(elapsed[0].months)
            p.placements.append(
                Placement(elapsed[0].text, "input", f"已享受{int(elapsed[0].months)}个月", elapsed[0].number)
            )
        return
    # yearly amounts
    if durations:
        years = durations[0].months / 12
        if years != years.to_integral_value():
            p.placements.append(
                Placement(durations[0].text, "not_understood", "不足整年，文件按年计", durations[0].number)
            )
            p.missing.append("按几年计算")
            return
        p.inputs["years"] = int(years)
        p.placements.append(Placement(durations[0].text, "input", f"按{int(years)}年计", durations[0].number))
    elif per_period and per_period[0].months == 12:
        p.inputs["years"] = 1
        p.notes.append("按一年计")
    elif rule.period_months is not None and frame.asks_total and rule.period_months % 12 == 0:
        p.inputs["years"] = rule.period_months // 12
        p.notes.append(f"按文件规定的期限{rule.period_months // 12}年计")
    elif frame.asks_total:
        p.missing.append("按几年计算（文件规定的是每人每年的标准）")


def _money(frame: QuestionFrame, rule: Rule, p: Plan, used: set[int]) -> None:
    money = [m for m in frame.money if m.number not in used]
    rates = [r for i, r in enumerate(frame.rates)]
    context = words_pattern("money_context")
    if rule.kind == "percentage" or rule.kind == "target":
        described = [
            m for m in money if context.search(frame.text[max(0, m.span.start - 8) : m.span.start]) and m.role != "base"
        ]
        for m in described:
            p.placements.append(Placement(m.text, "context", "", m.number))
            if m.number is not None:
                used.add(m.number)
        money = [m for m in money if m not in described]
        bases = [m for m in money if m.role in ("base", "unknown")]
        deductions = [m for m in money if m.role == "deduction"]
        if rule.kind == "target":
            people = [g for g in frame.groups if g.count is not None]
            if not bases and people:
                p.inputs["base"] = people[0].count
        if len(bases) == 1:
            p.inputs["base"] = bases[0].value
            p.placements.append(Placement(bases[0].text, "input", f"基数{bases[0].text}", bases[0].number))
        elif len(bases) > 1:
            for m in bases:
                p.placements.append(Placement(m.text, "not_understood", "有多个金额，不清楚哪个是基数", m.number))
        if deductions:
            if rule.deduction_label and len(deductions) == 1:
                p.inputs["deduction"] = deductions[0].value
                p.placements.append(
                    Placement(deductions[0].text, "input", f"扣除{deductions[0].text}", deductions[0].number)
                )
            else:
                for m in deductions:
                    p.placements.append(Placement(m.text, "not_understood", "文件没有规定扣除这一项", m.number))
        for m in bases + deductions:
            if m.number is not None:
                used.add(m.number)
        if "base" not in p.inputs and rule.kind == "percentage":
            p.missing.append(f"计算基数：{rule.base_label or '基数'}（文件没有写明，需要您提供）")
        if rule.deduction_label and "deduction" not in p.inputs and "base" in p.inputs:
            p.missing.append(f"需先扣除的{rule.deduction_label}")
    else:
        scale = Decimal(10000) if rule.unit.startswith("万") else Decimal(1)
        stated = {a.value * scale for a in rule.amounts}
        promoted, received = _top_up_reading(frame, rule)
        if received is not None and received in money:
            counted = {k: v for k, v in p.inputs.items() if rule.amount(k) is not None}
            if promoted is not None and counted == {promoted: 1}:
                p.inputs["received"] = received.value
                p.placements.append(Placement(received.text, "input", f"已获资助{received.text}", received.number))
            else:
                # Money already received, for a count or level the promotion does not name: the difference
                # to pay is not known.
                p.placements.append(
                    Placement(received.text, "not_understood", "已获资助的金额对应哪一项晋升，不清楚", received.number)
                )
            if received.number is not None:
                used.add(received.number)
            money = [m for m in money if m is not received]
        for m in money:
            lead = frame.text[max(0, m.span.start - 8) : m.span.start]
            if context is not None and context.search(lead):
                p.placements.append(Placement(m.text, "context", "", m.number))
            elif m.value in stated:
                # 青年才俊安家费30万，干满三年一共多少: the text's own figure said back, not an input.
                p.placements.append(Placement(m.text, "claim", "与文件一致", m.number))
            else:
                p.placements.append(Placement(m.text, "not_understood", "这笔金额不清楚是什么", m.number))
            if m.number is not None:
                used.add(m.number)
    for t in rates:
        idx = frame.numbers.index(t) if t in frame.numbers else None
        if idx is not None:
            used.add(idx)
        rate = rule.rate if rule.rate is not None else None
        if rate is not None and t.value == rate:
            p.placements.append(Placement(t.text, "claim", "与文件一致", idx))
            p.claims.append(ClaimCheck(t.text, t.value, "%", [f"{fmt(rate)}%"], True))
        elif rate is not None:
            p.placements.append(Placement(t.text, "claim", "与文件不符", idx))
            p.claims.append(ClaimCheck(t.text, t.value, "%", [f"{fmt(rate)}%"], False))
        else:
            p.placements.append(Placement(t.text, "not_understood", "", idx))


def _claims(frame: QuestionFrame, rule: Rule, p: Plan, used: set[int]) -> None:
    for c in frame.claims:
        if c.number is not None:
            used.add(c.number)
        check = ClaimCheck(c.text, c.value, c.unit)
        if c.unit == "%":
            if rule.rate is not None:
                check.actual = [f"{fmt(rule.rate)}%"]
                check.correct = c.value == rule.rate
        elif c.unit == "个月":
            # A period the rule states, or a condition's threshold (缴纳社会保险费1个月以上).
            actual = [s for s in _spans_in(rule.quote)]
            actual += [
                cond.label for cond in rule.conditions if cond.type == "threshold" and cond.unit in ("个月", "年")
            ]
            actual = [a for a in dict.fromkeys(actual)]
            if rule.period_months is not None:
                actual = [f"{rule.period_months}个月"] + [a for a in actual if a != f"{rule.period_months}个月"]
            if actual:
                check.actual = [a for a in actual if _SPAN_IN_TEXT.fullmatch(a.replace(" ", ""))] or [
                    m.group(0) if (m := _SPAN_IN_TEXT.search(a)) else a for a in actual
                ]
                check.correct = any(_months_of(a) == c.value for a in check.actual if _SPAN_IN_TEXT.fullmatch(a))
        elif c.unit == "岁":
            ages = [cond for cond in rule.conditions if cond.type == "threshold" and cond.unit in ("岁", "周岁")]
            if ages:
                check.actual = [cond.label for cond in ages]
                check.correct = any(
                    (cond.min is None or c.value == cond.min) and (cond.max is None or c.value == cond.max)
                    for cond in ages
                )
        elif c.unit == "元":
            scale = Decimal(10000) if rule.unit.startswith("万元") else Decimal(1)
            unit = rule.unit.split("/")[0] or "元"
            # The category the claim is about: the last one named before it in its sentence (高级技师每人一万元).
            start = max([m.end() for m in re.finditer(r"[。？?！!；;]", frame.text[: c.span.start])], default=0)
            lead = frame.text[start : c.span.start]
            cats = categories_named(lead, rule) if len(rule.amounts) > 1 else []
            if cats:
                positions = {cat: max(lead.rfind(f) for f in rule.forms(rule.amount(cat))) for cat in cats}  # type: ignore[arg-type]
                cats = [max(cats, key=lambda k: positions[k])]
            named = [a for a in rule.amounts if a.category in cats]
            if len(named) == 1:
                a = named[0]
                check.actual = [f"{fmt(a.value)}{unit}"]
                check.correct = c.value == a.value * scale
            elif len(rule.amounts) == 1 and c.value == rule.amounts[0].value * scale:
                check.actual = [f"{fmt(rule.amounts[0].value)}{unit}"]
                check.correct = True
            elif rule.amounts:
                values = [a.value * scale for a in rule.amounts]
                check.actual = [f"{fmt(a.value)}{unit}" for a in rule.amounts]
                # Not one of the standards: it may be a total, checked against the result by the chain —
                # unless it is said with 最高/不少于 or no count is given (最高有800万是吧): then it is a standard.
                about_standard = getattr(c, "qualifier", "") in ("cap", "floor") or not any(
                    g.count is not None for g in frame.groups
                )
                check.correct = True if c.value in values else False if about_standard else None
        # 每人每年最高5000元吧 where the text says 不少于: the figure is right, its qualifier is not.
        said_q = getattr(c, "qualifier", "")
        if check.correct and said_q in ("cap", "floor", "before_tax"):
            actual_q = _qualifier_of(rule)
            if said_q == "before_tax" and actual_q == "after_tax":
                check.correct, check.actual = False, [f"税后{check.actual[0]}" if check.actual else "税后"]
            elif said_q in ("cap", "floor") and actual_q in ("cap", "floor", "exact") and said_q != actual_q:
                words = {"cap": "最高", "floor": "不少于", "exact": ""}[actual_q]
                check.correct, check.actual = False, [f"{words}{a}" for a in check.actual]
        p.claims.append(check)
        p.placements.append(Placement(c.text, "claim", "", c.number))


def _qualifier_of(rule: Rule) -> str:
    qs = {a.qualifier or rule.qualifier for a in rule.amounts} or {rule.qualifier}
    return qs.pop() if len(qs) == 1 else "mixed"


_SPAN_IN_TEXT = re.compile(r"\d+\s*(?:个月|年)(?:以上|以下|以内)?")


def _spans_in(text: str) -> list[str]:
    return [m.group(0).replace(" ", "") for m in _SPAN_IN_TEXT.finditer(text)]


def _months_of(text: str) -> Decimal:
    text = re.sub(r"(?:以上|以下|以内)$", "", text)
    n = Decimal(re.match(r"\d+", text).group(0))  # type: ignore[union-attr]
    return n * 12 if text.endswith("年") else n


def amount_label(a: Amount) -> str:
    return a.label or a.category
