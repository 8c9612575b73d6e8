"""Generated profiles for "what can we get?": built from the provisions, judged by an oracle from the rule data.

For each place, a profile is built to meet every condition of a chosen set of
provisions (the targets): people or units in one of each target's categories,
and for each condition a fact of its concept that meets it (a value at its
threshold, in the document's place, in the polarity the condition is worded
in) or, for a condition no concept covers, an answer to its follow-up
question. The oracle then says, from the rule data alone — not from the
accounting or the engine — which provisions of the place the profile meets and
what each comes to (Σ count × the category's amount, per period for recurring
ones). ``match`` must list exactly those as met, with exactly those amounts.

Flipped cases take one target and turn one of its conditions false (the fact
negated, the value below the threshold, the answer "no"): that provision must
move to not met.

What is shared with the product, because it is not what is measured: which
words name a category (``category_of``), which provisions a kind of applicant
can receive (``applies_to_entity``), the scope of a place, and which
conditions are worded in the negative (``negative_concepts``).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import combinations
from typing import Any

from app.frame.places import contains
from app.frame.schema import QuestionFrame
from app.scope import scope_for
from app.tools.accounting import LIST_WORD, categories_named, category_of, on_a_list
from app.tools.basket import _lcs
from app.tools.engine import RuleEngine
from app.tools.entitlements import (
    MONEY,
    Entitlements,
    _noun_fit,
    activities_of,
    applies_to_entity,
    by_class,
    does_the_activity,
    echoed,
    implied_conditions,
    implied_verdicts,
    match,
    per_unit,
    stated,
)
from app.tools.profile import MoneyFigure, People, Profile, ProfileFact, Unit, negative_concepts
from app.tools.rules import Condition, Rule, settles_area
from ingest.schema import DocumentMeta
from ingest.vocab import vocabulary

Verdict = str  # met / not_met / unknown


@dataclass
class Case:
    profile: Profile
    place: str
    targets: list[str]
    flipped: str | None = None  # the target whose one condition was made false


@dataclass
class CaseResult:
    case: Case
    expected: dict[str, Decimal | None]  # oracle: met provisions and their certain amounts
    listed_met: dict[str, Decimal | None]
    wrong_amounts: list[str] = field(default_factory=list)
    mixed_total: bool = False
    flip_ok: bool | None = None

    @property
    def false_positives(self) -> set[str]:
        return set(self.listed_met) - set(self.expected)

    @property
    def misses(self) -> set[str]:
        return set(self.expected) - set(self.listed_met)


@dataclass
class GeneratedResult:
    results: list[CaseResult]

    def summary(self) -> dict[str, Any]:
        tp = sum(len(set(r.listed_met) & set(r.expected)) for r in self.results)
        fp = sum(len(r.false_positives) for r in self.results)
        fn = sum(len(r.misses) for r in self.results)
        flips = [r.flip_ok for r in self.results if r.flip_ok is not None]
        return {
            "profiles": len(self.results),
            "flipped profiles": len(flips),
            "provisions met (oracle)": tp + fn,
            "precision": round(tp / (tp + fp), 4) if tp + fp else None,
            "recall": round(tp / (tp + fn), 4) if tp + fn else None,
            "wrong amounts": sum(len(r.wrong_amounts) for r in self.results),
            "totals mixing one-off and recurring": sum(int(r.mixed_total) for r in self.results),
            "flipped condition moved to not met": round(sum(int(f) for f in flips) / len(flips), 4) if flips else None,
            "targets": sum(len(r.case.targets) for r in self.results),
        }

    def failures(self, limit: int = 10) -> list[str]:
        out = []
        for r in self.results:
            if r.false_positives or r.misses or r.wrong_amounts or r.mixed_total or r.flip_ok is False:
                out.append(
                    f"{r.case.place} targets={r.case.targets} flipped={r.case.flipped} fp={sorted(r.false_positives)} "
                    f"miss={sorted(r.misses)} amounts={r.wrong_amounts} mixed={r.mixed_total} flip={r.flip_ok}"
                )
        return out[:limit]


# ---------------------------------------------------------------------------------------------- the oracle


def _scale(rule: Rule) -> Decimal:
    return Decimal(10000) if rule.unit.startswith("万元") else Decimal(1)


def _fact_verdict(cond: Condition, fact: ProfileFact, doc_city: str, negative: set[str]) -> Verdict:
    holds = fact.holds
    if holds is None:
        return "unknown"
    concept = vocabulary().concept(fact.concept)
    if (
        concept is not None
        and concept.place
        and fact.place
        and doc_city
        and not (contains(doc_city, fact.place) or contains(fact.place, doc_city))
    ):
        holds = False
    if fact.concept in negative:
        holds = not holds
    if cond.type == "threshold":
        if not holds:
            return "met" if cond.max is not None and cond.min is None else "not_met"
        if fact.value is None:
            return "unknown"
        if (cond.min is not None and fact.value < cond.min) or (cond.max is not None and fact.value > cond.max):
            return "not_met"
        return "met"
    if not holds:
        return "not_met"
    if cond.place_bound and fact.place and doc_city and fact.place != doc_city:
        return "not_met"
    if not settles_area(cond, fact.text):
        return "unknown"  # 本辖区内: the city alone does not say which district
    return "met"


def _answer_verdict(cond: Condition, value: Any) -> Verdict:
    if isinstance(value, bool):
        return "met" if value else "not_met"
    if cond.type == "threshold":
        number = Decimal(str(value))
        if (cond.min is not None and number < cond.min) or (cond.max is not None and number > cond.max):
            return "not_met"
        return "met"
    return "met" if str(value) in cond.options else "not_met"


def _verdicts(
    rule: Rule,
    profile: Profile,
    facts: list[ProfileFact],
    words: str,
    doc_city: str,
    *,
    unit: bool = False,
    classes: bool = True,
) -> list[Verdict]:
    negative = negative_concepts(rule.conditions)
    general = profile.all_facts()
    out = []
    for cond in rule.conditions:
        key = f"{rule.id}:{cond.id}"
        if key in profile.answers:
            out.append(_answer_verdict(cond, profile.answers[key]))
            continue
        if cond.type == "enumeration" and cond.min_rank is not None:
            ranks = [lv.rank for _, _, lv in vocabulary().levels_held(words) if lv.ladder == cond.ladder]
            out.append(("met" if max(ranks) >= cond.min_rank else "not_met") if ranks else "unknown")
            continue
        said = next((f for f in reversed(facts) if f.concept == cond.concept), None) or next(
            (f for f in reversed(general) if f.concept == cond.concept), None
        )
        verdict = _fact_verdict(cond, said, doc_city, negative) if cond.concept and said is not None else "unknown"
        if verdict == "met" and said is not None and on_a_list(cond.label) and not LIST_WORD.search(said.text):
            verdict = "unknown"  # on a published list: the concept's bare fact does not say so
        if cond.subject and verdict == "met" and not unit:
            # Who counts (团队成员): said of these people, or the people of a unit the applicant leads.
            mine = any(f.concept == cond.subject for f in facts)
            anyone = any(f.concept == cond.subject for p in profile.people for f in p.facts)
            if not mine and (anyone or not any(u.leader for u in profile.units)):
                verdict = "unknown"
        if verdict == "unknown":
            said_words = "" if unit else words  # a unit's words are its name, not a statement
            verdict = (
                (by_class(cond, said_words) if classes else None)  # a class defined by a level (高技能人才)
                or echoed(cond, rule, f"{said_words}；{profile.facts_text}")  # in the condition's words
                or "unknown"
            )
        out.append(verdict)
    return out


def oracle(profile: Profile, rules: Iterable[Rule], documents: Mapping[str, DocumentMeta]) -> dict[str, Decimal | None]:
    """The provisions the profile meets, and each one's certain amount in 元 (per period when recurring)."""
    scope = scope_for(QuestionFrame(question="", text=""), list(documents.values()), city=profile.place or None)
    allowed = set(scope.doc_ids)
    met: dict[str, Decimal | None] = {}
    selfs = [p.words() for p in profile.people if p.is_self]
    whole_words = (
        "；".join(selfs)
        if selfs
        else "；".join([*(p.words() for p in profile.people), *(u.words() for u in profile.units)])
    )
    people_words = "；".join(selfs) if selfs else "；".join(p.words() for p in profile.people)
    for rule in rules:
        if rule.doc_id not in allowed or rule.kind == "target" or not applies_to_entity(rule, profile.entity):
            continue
        doc_city = documents[rule.doc_id].city
        if rule.kind in MONEY and rule.amounts:
            total, any_met = Decimal(0), False
            for words, count, facts in _groups(profile, rule):
                cat, _ = category_of(words, rule)
                if cat is None:
                    continue
                if all(v == "met" for v in _verdicts(rule, profile, facts, words, doc_city, unit=per_unit(rule))):
                    any_met = True
                    standard = rule.amount(cat)
                    assert standard is not None
                    total += count * standard.value * _scale(rule)
            if any_met:
                # By the hour (每人每学时20元): the hours are not in a profile, so no amount is certain.
                met[rule.id] = None if re.search(r"学时|课时", rule.unit) else total
            continue
        # A provision that counts no one: the applicant's own facts, and people's words (a unit's name
        # is not said of anyone).
        own = [f for p in profile.people if p.is_self for f in p.facts]
        for_self = bool(selfs)  # a class's level is the applicant's own (an enterprise's people: no)
        verdicts = _verdicts(rule, profile, own, people_words, doc_city, classes=for_self)
        if not does_the_activity(profile, rule):
            continue  # a training subsidy's uplift for a profile that trains no one: not its concern
        if rule.figureless and not rule.reviewed:
            # Extracted without a figure: a condition is met by what the profile states of it, no less.
            said = "；".join([people_words, *(f.text for f in own if f.text), profile.facts_text, profile.said])
            for i, (c, v) in enumerate(zip(rule.conditions, verdicts, strict=True)):
                if f"{rule.id}:{c.id}" in profile.answers:
                    continue
                if v == "met" and not stated(c, rule, said, doc_city, classes=for_self):
                    verdicts[i] = "unknown"
                elif v == "unknown":
                    verdicts[i] = echoed(c, rule, said) or "unknown"
        # What the benefit implies (a Taiwan resident's eligibility for a recruitment, not yet settled for
        # 落户): unknown unless the profile answers it.
        verdicts += [v for _, v in implied_verdicts(profile, rule, doc_city)]
        if rule.kind == "lookup":
            if any(k in whole_words for k in rule.lookup) and all(v == "met" for v in verdicts):
                met[rule.id] = None
            continue
        # A sum is a rate's base unless both name what they are and share nothing (企业实际发放额 is not the
        # 市级奖励 a matching ratio is of).
        base = (
            next(
                (
                    m
                    for m in profile.money
                    if m.role == "base" and (not m.label or not rule.base_label or _lcs(m.label, rule.base_label) >= 2)
                ),
                None,
            )
            if rule.kind == "percentage"
            else None
        )
        if not rule.conditions and base is None:
            continue
        if all(v == "met" for v in verdicts):
            amount = None
            # A rate capped per person (每名师傅每月不超过500元) on a payment the profile gives no months or
            # persons for: no amount is expected (the assistant asks).
            capped = any(lim.kind == "per_person" for lim in rule.limits)
            if (
                base is not None
                and rule.rate is not None
                and not rule.uplift
                and not rule.deduction_label
                and not capped
            ):
                amount = (base.value * rule.rate / 100).quantize(Decimal("0.01"))
            met[rule.id] = amount
    return met


def _groups(profile: Profile, rule: Rule) -> list[tuple[str, int, list[ProfileFact]]]:
    if per_unit(rule):
        return [
            (u.words(), u.count, [] if u.new is None else [ProfileFact(concept="新增", holds=u.new)])
            for u in profile.units
            if (cat := category_of(u.words(), rule)[0]) is not None and _noun_fit(u.kind, rule, cat)
        ]
    others = rule.payee == "studio_leader"
    return [
        (p.words(), p.count or 0, p.facts)
        for p in profile.people
        if profile.entity != "individual" or p.is_self != others
    ]


# ---------------------------------------------------------------------------------------------- the generator


def _entity_for(rule: Rule) -> str:
    if rule.payee in ("enterprise", "employer", "enterprise_or_individual"):
        return "enterprise"
    if rule.payee == "institution":
        return "institution"
    return "individual"


def _targetable(rule: Rule) -> bool:
    if rule.kind == "target":
        return False
    if rule.kind in MONEY:
        return bool(rule.amounts)
    if rule.kind == "lookup":
        return bool(rule.lookup)
    if rule.kind == "percentage":
        return bool(rule.base_label) and not rule.uplift and not rule.deduction_label and rule.rate is not None
    return bool(rule.conditions)


@dataclass
class _Needs:
    """What the profile must say for the targets: facts by concept, answers, words."""

    holds: dict[str, bool] = field(default_factory=dict)
    low: dict[str, Decimal] = field(default_factory=dict)
    high: dict[str, Decimal] = field(default_factory=dict)
    places: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)


def _facts_for(rule: Rule, doc_city: str, answers: dict[str, Any], rng: random.Random) -> list[ProfileFact] | None:
    """Facts (and answers) that meet every condition of ``rule``; None when no fact can."""
    negative = negative_concepts(rule.conditions)
    needs = _Needs()
    for cond in rule.conditions:
        key = f"{rule.id}:{cond.id}"
        if cond.type == "enumeration" and cond.min_rank is not None:
            answers[key] = cond.options[0] if cond.options else True
            continue
        if not cond.concept or vocabulary().concept(cond.concept) is None:
            answers[key] = (cond.min if cond.min is not None else cond.max) if cond.type == "threshold" else True
            continue
        if cond.type == "enumeration":
            answers[key] = cond.options[0] if cond.options else True
            continue
        holds = cond.concept not in negative
        if needs.holds.get(cond.concept, holds) != holds:
            return None
        needs.holds[cond.concept] = holds
        if cond.subject:
            needs.holds[cond.subject] = True  # who counts (团队成员) is said, not assumed
        if cond.type == "threshold":
            if needs.units.setdefault(cond.concept, cond.unit) != cond.unit:
                return None  # thresholds in different units: not one value for both
            if cond.min is not None:
                needs.low[cond.concept] = max(needs.low.get(cond.concept, cond.min), cond.min)
            if cond.max is not None:
                needs.high[cond.concept] = min(needs.high.get(cond.concept, cond.max), cond.max)
        if on_a_list(cond.label) or cond.area_bound:
            needs.texts[cond.concept] = cond.label  # 属于…目录中的 / 本辖区内: said in the condition's words
        known = vocabulary().concept(cond.concept)
        if cond.place_bound or (known is not None and known.place):
            needs.places[cond.concept] = doc_city
    for cond, _ in implied_conditions(rule, doc_city):
        answers[f"{rule.id}:{cond.id}"] = True  # what the benefit implies, answered
    facts = []
    for concept, holds in needs.holds.items():
        low, high = needs.low.get(concept), needs.high.get(concept)
        if low is not None and high is not None and low > high:
            return None
        value = low if low is not None else high
        if value is not None and low is not None and high is None:
            value = low + rng.choice([0, 0, 1, 3])
        facts.append(
            ProfileFact(
                concept=concept,
                holds=holds,
                value=value,
                unit=needs.units.get(concept, "") if value is not None else "",
                place=needs.places.get(concept, ""),
                text=needs.texts.get(concept, concept),
            )
        )
    return facts


def _words_ok(words: str, rule: Rule, category: str) -> bool:
    cat, _ = category_of(words, rule)
    return cat == category and (len(rule.amounts) == 1 or categories_named(words, rule) == [category])


def build_case(rules: list[Rule], place: str, doc_city: dict[str, str], rng: random.Random, size: int) -> Case | None:
    """A profile meeting every condition of up to ``size`` provisions of ``place``."""
    pool = [r for r in rules if _targetable(r)]
    if not pool:
        return None
    first = rng.choice(pool)
    entity = _entity_for(first)
    if first.kind in MONEY and per_unit(first):
        entity = rng.choice(["enterprise", "institution"])
    chosen = [first]
    others = [r for r in pool if r is not first and applies_to_entity(r, entity) and _entity_for(r) == entity]
    rng.shuffle(others)
    chosen += others[: size - 1]
    profile = Profile(place=place, entity=entity)  # type: ignore[arg-type]
    self_titles: list[str] = []
    self_facts: list[ProfileFact] = []
    targets: list[str] = []
    for rule in chosen:
        answers: dict[str, Any] = {}
        facts = _facts_for(rule, doc_city[rule.doc_id], answers, rng)
        if facts is None:
            continue
        if rule.kind in MONEY:
            amount = rng.choice(rule.amounts)
            words = amount.label or amount.category
            if per_unit(rule):
                unit = Unit(
                    kind=words, count=rng.randint(1, 2), new=True if any(f.concept == "新增" for f in facts) else None
                )
                if not _words_ok(unit.words(), rule, amount.category) or not _noun_fit(
                    unit.kind, rule, amount.category
                ):
                    continue
                facts = [f for f in facts if f.concept != "新增"]
                if facts:
                    continue  # a unit carries only its newness
                profile.units.append(unit)
            elif entity == "individual" and rule.payee != "studio_leader":
                trial = "；".join([*self_titles, words])
                if not _words_ok(trial, rule, amount.category) or any(
                    rule.id != t and _clash(trial, t, rules) for t in targets
                ):
                    continue
                self_titles.append(words)
                self_facts += facts
            else:
                group = People(count=rng.randint(1, 5), titles=[words], facts=facts)
                if not _words_ok(group.words(), rule, amount.category):
                    continue
                profile.people.append(group)
        elif rule.kind == "lookup":
            key = rng.choice(list(rule.lookup))
            if any(_clash("；".join([*self_titles, key]), t, rules) for t in targets):
                continue  # one person is in one category of a provision already chosen
            self_titles.append(key)
            self_facts += facts
        else:
            self_facts += facts
            # What the provision rewards doing (培训 for a training subsidy's uplift) is said, too.
            self_facts += [ProfileFact(concept="培训", text=words[0]) for words in activities_of(rule)]
            if rule.kind == "percentage":
                if profile.money:
                    continue
                profile.money.append(MoneyFigure(label=rule.base_label, value=Decimal(rng.randint(1, 200) * 10000)))
        profile.answers.update(answers)
        targets.append(rule.id)
    if not targets:
        return None
    if rng.random() < 0.4:
        profile.months = Decimal(rng.choice([6, 12, 24, 48]))  # a span asked about, for recurring amounts
    if entity == "individual" or self_titles:
        profile.people.insert(0, People(count=1, label="本人", titles=self_titles, is_self=entity == "individual"))
        if entity != "individual":
            profile.people[0] = profile.people[0].model_copy(update={"label": "人员"})
    merged = _merge_facts(self_facts)
    if merged is None:
        return None
    profile.facts = merged
    return Case(profile=profile, place=place, targets=targets)


def _clash(words: str, rule_id: str, rules: list[Rule]) -> bool:
    """The person's words name two categories of an earlier target (one person is in one category)."""
    rule = next((r for r in rules if r.id == rule_id), None)
    return rule is not None and rule.kind in MONEY and len(categories_named(words, rule)) > 1


def _merge_facts(facts: list[ProfileFact]) -> list[ProfileFact] | None:
    """One fact per concept, meeting every target's threshold; None when two targets need opposites."""
    out: dict[str, ProfileFact] = {}
    for f in facts:
        old = out.get(f.concept)
        if old is None:
            out[f.concept] = f
            continue
        if old.holds != f.holds:
            return None
        value = old.value if f.value is None else f.value if old.value is None else max(old.value, f.value)
        out[f.concept] = old.model_copy(update={"value": value, "place": old.place or f.place})
    return list(out.values())


def flip(case: Case, rules: list[Rule], rng: random.Random) -> Case | None:
    """The same profile with one condition of one target made false."""
    target = next((r for r in rules if r.id == case.targets[0]), None)
    if target is None or not target.conditions:
        return None
    cond = rng.choice(target.conditions)
    profile = case.profile.model_copy(deep=True)
    key = f"{target.id}:{cond.id}"
    if key in profile.answers:
        if cond.type == "threshold":
            if cond.min is not None and cond.min > 0:
                profile.answers[key] = cond.min - 1
            elif cond.max is not None:
                profile.answers[key] = cond.max + 1
            else:
                return None
        elif cond.type == "enumeration":
            profile.answers[key] = "不符合"
        else:
            profile.answers[key] = False
    else:
        changed = False
        groups = [*profile.people]
        for holder in [*(g.facts for g in groups), profile.facts]:
            for i, f in enumerate(holder):
                if f.concept != cond.concept:
                    continue
                if cond.type == "threshold" and cond.min is not None and cond.min > 0:
                    holder[i] = f.model_copy(update={"value": cond.min - 1})
                elif cond.type == "threshold" and cond.max is not None and cond.min is None:
                    holder[i] = f.model_copy(update={"value": cond.max + 1})
                elif cond.type == "threshold":
                    return None
                else:
                    holder[i] = f.model_copy(update={"holds": not f.holds})
                changed = True
        if not changed:
            units = [u for u in profile.units if u.new is not None]
            if cond.concept == "新增" and units:
                profile.units = [
                    u.model_copy(update={"new": not u.new}) if u.new is not None else u for u in profile.units
                ]
            else:
                return None
    return Case(profile=profile, place=case.place, targets=case.targets, flipped=target.id)


def generate(
    rules: list[Rule], documents: Mapping[str, DocumentMeta], *, seed: int = 7, per_place: int = 40
) -> list[Case]:
    rng = random.Random(seed)
    doc_city = {d.id: d.city for d in documents.values()}
    cases: list[Case] = []
    places = sorted({d.city for d in documents.values() if d.city not in ("", "未知")})
    for place in places:
        scope = scope_for(QuestionFrame(question="", text=""), list(documents.values()), city=place)
        in_scope = [r for r in rules if r.doc_id in set(scope.doc_ids) and r.kind != "target"]
        for i in range(per_place):
            case = build_case(in_scope, place, doc_city, rng, size=1 if i % 3 == 0 else rng.randint(2, 4))
            if case is None:
                continue
            cases.append(case)
            if len(case.targets) == 1 or i % 2:
                flipped = flip(case, in_scope, rng)
                if flipped is not None:
                    cases.append(flipped)
    return cases


# ---------------------------------------------------------------------------------------------- the run


def judge(case: Case, result: Entitlements, expected: dict[str, Decimal | None]) -> CaseResult:
    listed = {e.rule_id: e.amount for e in result.entries if e.status == "met"}
    r = CaseResult(case=case, expected=expected, listed_met=listed)
    for rule_id, amount in expected.items():
        if rule_id in listed and amount is not None and listed[rule_id] != amount:
            r.wrong_amounts.append(f"{rule_id}: {listed[rule_id]} ≠ {amount}")
    by_id = {e.rule_id: e for e in result.entries}
    one_off = [
        expected[i]
        for i in expected
        if i in by_id and not by_id[i].recurring and by_id[i].money and expected[i] is not None
    ]
    stated = result.summary.certain_one_off
    want = sum((a for a in one_off if a is not None), Decimal(0)) if one_off else None
    recurring = [e for e in result.entries if e.status == "met" and e.recurring and e.amount is not None]
    if stated != want and not r.wrong_amounts:
        r.wrong_amounts.append(f"one-off total {stated} ≠ {want}")
    # A total that mixes: the stated one-off total exceeds the right one by a sum of recurring amounts.
    diff = (stated or Decimal(0)) - (want or Decimal(0))
    sums = {
        sum(c, Decimal(0))
        for k in range(1, len(recurring) + 1)
        for c in combinations([e.amount for e in recurring if e.amount], k)
    }
    r.mixed_total = diff != 0 and diff in sums
    for e in recurring:
        _check_spans(e, case.profile, r)
    if case.flipped is not None:
        moved = case.flipped not in listed
        if len(case.targets) == 1:
            moved = moved and case.flipped in {e.rule_id for e in result.not_met}
        r.flip_ok = moved
    return r


def _check_spans(e: Any, profile: Profile, r: CaseResult) -> None:
    """A recurring amount's totals: the period's (× its months), the span's (× the months asked, within the period)."""
    per = e.amount
    if per is None:
        return  # no amount stated (it depends on what the profile does not say): nothing to total
    if e.per == "月":
        if e.period_months is not None and e.period_total != per * e.period_months:
            r.wrong_amounts.append(f"{e.rule_id}: period total {e.period_total} ≠ {per}×{e.period_months}")
        if profile.months is not None:
            months = min(int(profile.months), e.period_months) if e.period_months else int(profile.months)
            if e.span_total != per * months:
                r.wrong_amounts.append(f"{e.rule_id}: span total {e.span_total} ≠ {per}×{months}")
    elif e.per == "年" and profile.months is not None and profile.months % 12 == 0:
        years = int(profile.months // 12)
        if e.period_months:  # 补贴期限最长不超过2年: the span counts within the period
            years = min(years, int(e.period_months) // 12)
        if e.span_total != per * years:
            r.wrong_amounts.append(f"{e.rule_id}: span total {e.span_total} ≠ {per}×{years}")


def run_generated(
    rules: list[Rule], engine: RuleEngine, documents: Mapping[str, DocumentMeta], *, seed: int = 7, per_place: int = 40
) -> GeneratedResult:
    cases = generate(rules, documents, seed=seed, per_place=per_place)
    out = []
    for case in cases:
        result = match(case.profile, rules, engine, documents)
        out.append(judge(case, result, oracle(case.profile, rules, documents)))
    return GeneratedResult(out)
