"""Unit tests for app.tools.engine.RuleEngine over the real rule catalogue.

Every rule in corpus/rules/*.yaml is run with inputs built from its own data
(categories, conditions, rates, lookup tables), so a rule added to the catalogue
is tested without touching this file. Offline and fast: YAML, the manifest and
the segmented texts only.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.limits import MAX_HEADCOUNT
from app.settings import REPO_ROOT
from app.tools.calculators import fmt
from app.tools.engine import RuleEngine, parse_bool, parse_count, parse_number
from app.tools.result import ToolError, ToolResult
from app.tools.rules import PAYEE_ZH, Catalogue, Condition, Rule
from ingest.loaders import load_text
from ingest.manifest import Manifest
from ingest.segment import segment

D = Decimal
CATALOGUE = Catalogue.load(REPO_ROOT / "corpus" / "rules")
MANIFEST = Manifest.load(REPO_ROOT / "corpus" / "manifest.yaml")
DOCS = {d.id: d for d in MANIFEST.documents}
ENGINE = RuleEngine(CATALOGUE, DOCS)
RULES = CATALOGUE.rules

MONEY_KINDS = ("per_head", "one_off")
COMPUTED_KINDS = ("per_head", "one_off", "monthly", "percentage", "target", "lookup")
PERCENT_BASE = D(12345)  # odd on purpose: 30% of it has cents, 40% of 1001 people needs rounding up
TARGET_BASE = 1001
PEOPLE = 2
DEFAULT_MONTHS = 12  # for monthly rules without a guarantee period
YEARS = 3  # for per-person-per-year rules: the number of years always comes from the user
DEDUCTION = D(2345)  # for rates applied after a deduction (收入 − 直接成本)


@cache
def clause_texts() -> dict[str, str]:
    out: dict[str, str] = {}
    for doc in MANIFEST.documents:
        for clause in segment(load_text(MANIFEST.source_path(doc)).text, doc):
            out[clause.clause_id] = clause.text
    return out


def rules_of(*kinds: str) -> list[Rule]:
    return [r for r in RULES if r.kind in kinds]


def ids(rules: list[Rule]) -> list[str]:
    return [r.id for r in rules]


def met(cond: Condition) -> Any:
    """A value that meets the condition, as a user would type it."""
    if cond.type == "boolean":
        return "是"
    if cond.type == "threshold":
        return str(cond.min) if cond.min is not None else "1"
    return cond.options[0]


def failing(cond: Condition) -> Any:
    """A value that does not meet the condition."""
    if cond.type == "boolean":
        return "否"
    if cond.type == "threshold":
        assert cond.min is not None
        return str(cond.min - 1)
    return "以上都不是"


def all_met(rule: Rule) -> dict[str, Any]:
    return {c.id: met(c) for c in rule.conditions}


def scale(rule: Rule) -> Decimal:
    return D(10000) if rule.unit.startswith("万元") else D(1)


def calc_inputs(rule: Rule) -> dict[str, Any]:
    """Plausible inputs for the calculation itself (no condition facts)."""
    if rule.kind in MONEY_KINDS:
        counts: dict[str, Any] = {a.category: 2 for a in rule.amounts}
        if rule.recurrence == "year":
            counts["years"] = YEARS
        return counts
    if rule.kind == "monthly":
        inputs: dict[str, Any] = {"people": PEOPLE}
        if len(rule.amounts) > 1:
            inputs["category"] = rule.amounts[0].category
        if rule.period_months is None:
            inputs["months"] = DEFAULT_MONTHS
        return inputs
    if rule.kind == "percentage":
        return {"base": str(PERCENT_BASE)} | ({"deduction": str(DEDUCTION)} if rule.deduction_label else {})
    if rule.kind == "target":
        return {"base": str(TARGET_BASE)}
    if rule.kind == "lookup":
        return {"category": next(iter(rule.lookup))}
    return {}


def expected_result(rule: Rule) -> Decimal | None:
    """The result computed here, independently of the engine, from the rule's data."""
    if rule.kind in MONEY_KINDS:
        years = YEARS if rule.recurrence == "year" else 1
        return sum((2 * a.value * scale(rule) * years for a in rule.amounts), D(0))
    if rule.kind == "monthly":
        return rule.amounts[0].value * (rule.period_months or DEFAULT_MONTHS) * PEOPLE
    if rule.kind == "percentage":
        rate = rule.rate if rule.rate is not None else D(rule.fraction.numerator * 100) / rule.fraction.denominator
        base = PERCENT_BASE - (DEDUCTION if rule.deduction_label else 0)
        return base * ((100 + rate) if rule.uplift else rate) / 100
    if rule.kind == "target":
        return D(math.ceil(Fraction(TARGET_BASE) * rule.fraction))
    return None


def run(rule: Rule | str, inputs: dict[str, Any], **kwargs: Any) -> ToolResult:
    return ENGINE.run(rule if isinstance(rule, str) else rule.id, inputs, **kwargs)


def by_id(rule_id: str) -> Rule:
    rule = CATALOGUE.get(rule_id)
    assert rule is not None, rule_id
    return rule


RULES_WITH_CONDITIONS = [r for r in RULES if r.conditions]
RULE_CONDITION_PAIRS = [pytest.param(r, c, id=f"{r.id}:{c.id}") for r in RULES for c in r.conditions]
LOOKUP_PAIRS = [pytest.param(r, key, id=f"{r.id}:{key}") for r in rules_of("lookup") for key in r.lookup]


def test_catalogue_covers_every_kind() -> None:
    """The table-driven tests below only mean something if each kind has rules."""
    kinds = {r.kind for r in RULES}
    assert kinds == {"per_head", "monthly", "one_off", "percentage", "target", "eligibility", "lookup"}
    assert len(RULES) >= 50
    assert len(RULE_CONDITION_PAIRS) > len(RULES_WITH_CONDITIONS)


# --------------------------------------------------------------------------- every rule: all conditions met


@pytest.mark.parametrize("rule", RULES, ids=ids(RULES))
def test_all_conditions_met_gives_the_exact_result(rule: Rule) -> None:
    res = run(rule, {**calc_inputs(rule), **all_met(rule)})
    assert res.rule_id == rule.id and res.title == rule.title and res.kind == rule.kind
    assert res.payee == rule.payee and res.payee_zh == PAYEE_ZH[rule.payee]
    assert res.questions == []
    assert [c.status for c in res.conditions] == ["met"] * len(rule.conditions)
    assert [c.id for c in res.conditions] == [c.id for c in rule.conditions]
    assert all(c.clause_id == rule.clause_id and c.quote for c in res.conditions)
    if rule.kind == "eligibility":
        assert res.status == "eligible"
        assert res.result is None and res.formula is None
        assert res.result_text == rule.outcome
    elif rule.kind == "lookup":
        first = next(iter(rule.lookup))
        assert res.status == "complete"
        assert res.outcome == res.result_text == rule.lookup[first]
    else:
        assert res.status == "complete"
        assert res.result == expected_result(rule)
        assert isinstance(res.result, Decimal)
        assert res.result.as_tuple().exponent >= -2


@pytest.mark.parametrize("rule", rules_of(*MONEY_KINDS), ids=ids(rules_of(*MONEY_KINDS)))
def test_money_rules_show_the_formula_and_unit_in_yuan(rule: Rule) -> None:
    res = run(rule, {**calc_inputs(rule), **all_met(rule)})
    per_year = f"×{YEARS}" if rule.recurrence == "year" else ""
    assert res.formula == " + ".join(f"2×{fmt(a.value * scale(rule))}{per_year}" for a in rule.amounts)
    assert res.unit.startswith("元")
    if rule.unit.startswith("万元"):
        assert res.details["unit_in_text"] == rule.unit
        assert res.unit == "元" + rule.unit[2:]
    else:
        assert res.unit == rule.unit
    assert fmt(res.result) in res.result_text


@pytest.mark.parametrize("rule", rules_of("eligibility"), ids=ids(rules_of("eligibility")))
def test_eligibility_check_only_gives_the_same_verdict(rule: Rule) -> None:
    assert run(rule, all_met(rule), check_only=True).status == "eligible"


@pytest.mark.parametrize("rule", rules_of(*COMPUTED_KINDS), ids=ids(rules_of(*COMPUTED_KINDS)))
def test_check_only_does_not_calculate(rule: Rule) -> None:
    res = run(rule, {**calc_inputs(rule), **all_met(rule)}, check_only=True)
    assert res.status == "eligible"
    assert res.result is None and res.formula is None


# --------------------------------------------------------------------------- every condition: failing


@pytest.mark.parametrize(("rule", "cond"), RULE_CONDITION_PAIRS)
def test_one_condition_failing_means_not_eligible(rule: Rule, cond: Condition) -> None:
    inputs = {**calc_inputs(rule), **all_met(rule), cond.id: failing(cond)}
    res = run(rule, inputs)
    assert res.status == "not_eligible"
    assert res.result is None and res.formula is None
    assert res.result_text == f"不符合条件：{cond.label}"
    statuses = {c.id: c.status for c in res.conditions}
    assert statuses == {c.id: ("not_met" if c.id == cond.id else "met") for c in rule.conditions}
    checked = next(c for c in res.conditions if c.id == cond.id)
    assert checked.remedy == (cond.remedy or f"需满足：{cond.label}")
    alternative = next((a.text for a in rule.alternatives if a.when == cond.id), "")
    assert checked.alternative == alternative
    assert all(c.remedy == "" for c in res.conditions if c.id != cond.id)
    assert res.questions == []


def test_taiwan_certificate_off_the_list_offers_the_alternative_route() -> None:
    rule = by_id("xiamen.taiwan-credential-recognition")
    res = run(rule, {**all_met(rule), "certificate_on_list": "否"})
    checked = next(c for c in res.conditions if c.id == "certificate_on_list")
    assert checked.status == "not_met"
    assert "采认清单外" in checked.alternative


@pytest.mark.parametrize(("value", "status"), [("17", "not_met"), ("18", "met"), ("25", "met"), ("17.9", "not_met")])
def test_threshold_is_inclusive(value: str, status: str) -> None:
    res = run("xiamen.taiwan-credential-recognition", {"age": value})
    assert next(c for c in res.conditions if c.id == "age").status == status


# --------------------------------------------------------------------------- every condition: unknown


@pytest.mark.parametrize("rule", RULES_WITH_CONDITIONS, ids=ids(RULES_WITH_CONDITIONS))
def test_missing_conditions_give_a_conditional_result_and_the_questions(rule: Rule) -> None:
    res = run(rule, calc_inputs(rule))
    assert res.status == "conditional"
    assert res.questions == [c.question for c in rule.conditions]
    assert [c.status for c in res.conditions] == ["unknown"] * len(rule.conditions)
    assert [c.question for c in res.conditions] == [c.question for c in rule.conditions]
    if rule.kind == "eligibility":
        assert res.result is None
        assert res.result_text.startswith("需先确认：")
        assert all(c.label in res.result_text for c in rule.conditions)
    else:
        assert res.result == expected_result(rule)
        caveat = [w for w in res.warnings if "尚需确认" in w]
        assert len(caveat) == 1
        assert all(c.label in caveat[0] for c in rule.conditions)


@pytest.mark.parametrize("rule", RULES_WITH_CONDITIONS, ids=ids(RULES_WITH_CONDITIONS))
def test_some_conditions_known_asks_only_the_rest(rule: Rule) -> None:
    first, *rest = rule.conditions
    res = run(rule, {**calc_inputs(rule), first.id: met(first)})
    assert res.questions == [c.question for c in rest]
    assert res.status == ("conditional" if rest else ("eligible" if rule.kind == "eligibility" else "complete"))


# --------------------------------------------------------------------------- percentage / target / lookup


BASE_RULES = rules_of("percentage", "target")


@pytest.mark.parametrize("rule", BASE_RULES, ids=ids(BASE_RULES))
def test_percentage_and_target_without_base_ask_for_it(rule: Rule) -> None:
    res = run(rule, all_met(rule))
    assert res.status == "needs_input"
    assert res.result is None and res.formula is None
    assert rule.base_label
    assert len(res.questions) == 1
    assert rule.base_label in res.questions[0]


@pytest.mark.parametrize(
    ("rule_id", "base", "result", "formula", "text"),
    [
        ("dalian.industry-education-investment-credit", "2000000", D(600000), "2000000×30%", "600000"),
        ("dalian.industry-education-investment-credit", "200万", D(600000), "2000000×30%", "600000"),
        ("nantong.shortage-occupation-uplift", "2000", D(2600), "2000×(1+30%)", "2600"),
        ("nantong.shortage-occupation-uplift", "1234.56", D("1604.93"), "1234.56×(1+30%)", "1604.93"),
        ("unknown.performance-pay-share", "1000", D(600), "1000×60%", "最多 600"),  # with 0 deducted
        ("dalian.employee-education-fund-frontline", "1000", D(600), "1000×60%", "至少 600"),
        ("dalian.skilled-talent-share-target", "100000", D(40000), "⌈100000×40%⌉", "至少 40000"),
        ("dalian.skilled-talent-share-target", "10万", D(40000), "⌈100000×40%⌉", "至少 40000"),
        ("dalian.skilled-talent-share-target", "11", D(5), "⌈11×40%⌉", "至少 5"),
        ("dalian.high-skilled-talent-share-target", "30000", D(10000), "⌈30000×1/3⌉", "10000"),
        ("dalian.high-skilled-talent-share-target", "10", D(4), "⌈10×1/3⌉", "4"),
        ("nantong.skilled-talent-share-target", "1001", D(301), "⌈1001×30%⌉", "至少 301"),
        ("nantong.high-skilled-talent-share-target", "20", D(7), "⌈20×35%⌉", "至少 7"),
    ],
)
def test_base_gives_the_exact_value(rule_id: str, base: str, result: Decimal, formula: str, text: str) -> None:
    rule = by_id(rule_id)
    extra = {"deduction": "0"} if rule.deduction_label else {}
    res = run(rule, {**all_met(rule), "base": base, **extra})
    assert res.status == "complete"
    assert res.result == result
    assert res.formula == formula
    assert res.result_text == text


def test_target_base_must_be_whole_people() -> None:
    with pytest.raises(ToolError, match="whole number"):
        run("dalian.skilled-talent-share-target", {"base": "10.5"})


@pytest.mark.parametrize(("rule", "category"), LOOKUP_PAIRS)
def test_lookup_each_category_gives_its_outcome(rule: Rule, category: str) -> None:
    res = run(rule, {**all_met(rule), "category": category})
    assert res.status == "complete"
    assert res.outcome == rule.lookup[category]
    assert res.result_text == rule.lookup[category]
    assert res.result is None


@pytest.mark.parametrize("rule", rules_of("lookup"), ids=ids(rules_of("lookup")))
def test_lookup_without_category_asks_which(rule: Rule) -> None:
    res = run(rule, all_met(rule))
    assert res.status == "needs_input"
    assert all(key in res.questions[0] for key in rule.lookup)


@pytest.mark.parametrize("rule", rules_of("lookup"), ids=ids(rules_of("lookup")))
def test_lookup_unknown_category_is_an_error_listing_the_choices(rule: Rule) -> None:
    with pytest.raises(ToolError) as info:
        run(rule, {"category": "国家级竞赛"})
    assert all(key in str(info.value) for key in rule.lookup)


# --------------------------------------------------------------------------- citations and document status


@pytest.mark.parametrize("rule", RULES, ids=ids(RULES))
def test_every_result_cites_its_clause_verbatim_with_the_document_status(rule: Rule) -> None:
    res = run(rule, {**calc_inputs(rule), **all_met(rule)})
    doc = DOCS[rule.doc_id]
    assert len(res.citations) == 1
    cit = res.citations[0]
    assert (cit.clause_id, cit.doc_id) == (rule.clause_id, rule.doc_id)
    assert cit.quote == rule.quote
    assert cit.quote in clause_texts()[cit.clause_id]
    assert cit.status == doc.status
    assert cit.doc_title == doc.title and cit.doc_number == doc.number
    if doc.status == "draft":
        assert any("征求意见稿" in w for w in res.warnings)
    elif doc.status == "unknown":
        assert any("来源不详" in w for w in res.warnings)
    else:
        assert res.warnings == []  # in force, every condition met, plausible inputs: nothing to warn about


def test_every_document_status_is_exercised() -> None:
    assert {DOCS[r.doc_id].status for r in RULES} == {"in_force", "draft", "unknown"}
    assert {r.doc_id for r in RULES if DOCS[r.doc_id].status == "draft"} == {"nantong-draft"}


def test_nantong_rules_are_draft_with_a_warning() -> None:
    res = run("nantong.shortage-occupation-uplift", {"base": "2000", "on_shortage_list": "是"})
    assert res.citations[0].status == "draft"
    assert res.result == 2600
    assert any("征求意见稿" in w and "尚未正式生效" in w for w in res.warnings)


def test_a_rule_whose_document_is_not_in_the_manifest_says_so() -> None:
    engine = RuleEngine(CATALOGUE, {})
    res = engine.run("dalian.dalian-craftsman-award", {"selected_craftsman": "是"})
    assert res.citations[0].status == "unknown"
    assert any("不在文件清单" in w for w in res.warnings)


# --------------------------------------------------------------------------- caps, floors, after tax


@pytest.mark.parametrize("rule", rules_of(*MONEY_KINDS), ids=ids(rules_of(*MONEY_KINDS)))
def test_qualifier_is_written_into_the_result(rule: Rule) -> None:
    res = run(rule, {**calc_inputs(rule), **all_met(rule)})
    qualifiers = {a.qualifier or rule.qualifier for a in rule.amounts}
    assert len(qualifiers) == 1  # no rule mixes them today
    qualifier = qualifiers.pop()
    assert res.qualifier == qualifier
    prefix = {"cap": "最高 ", "floor": "不少于 ", "after_tax": "（税后）", "exact": ""}[qualifier]
    assert res.result_text == f"{prefix}{fmt(res.result)} 元"


@pytest.mark.parametrize(
    ("rule_id", "inputs", "text"),
    [
        ("dalian.training-base-construction-subsidy", {"国家级": 1}, "最高 7000000 元"),
        ("dalian.master-studio-construction-subsidy", {"国家级": 1, "市级": 2}, "最高 500000 元"),
        ("dalian.worldskills-base-construction-subsidy", {}, "最高 5000000 元"),
        ("nantong.credit-line", {}, "最高 1500000 元"),
        ("dalian.new-apprenticeship-subsidy", {"学徒": 3, "years": 1}, "不少于 15000 元"),
        ("dalian.new-apprenticeship-subsidy", {"学徒": 8, "years": 3}, "不少于 120000 元"),
        ("dalian.dalian-craftsman-award", {}, "（税后）120000 元"),
        ("dalian.dalian-craftsman-award", {"count": "两"}, "（税后）240000 元"),
        ("dalian.settling-in-allowance", {"领军人才": 1}, "2600000 元"),
        ("xiamen.student-apprenticeship", {"中职": 3, "高职": 2}, "17000 元"),
    ],
)
def test_caps_floors_and_after_tax(rule_id: str, inputs: dict[str, Any], text: str) -> None:
    rule = by_id(rule_id)
    res = run(rule, {**all_met(rule), **inputs})
    assert res.result_text == text
    if text.startswith("最高"):
        assert res.qualifier == "cap"
    if "税后" in text:
        assert res.qualifier == "after_tax"


def test_dalian_craftsman_is_after_tax() -> None:
    res = run("dalian.dalian-craftsman-award", {"selected_craftsman": "是"})
    assert res.status == "complete"
    assert res.result == 120000
    assert "税后" in res.result_text
    assert res.formula == "1×120000"


# --------------------------------------------------------------------------- monthly


EMERGENCY = "dalian.emergency-talent-salary"
ALLOWANCE = "dalian.high-level-skill-talent-allowance"


@pytest.mark.parametrize(
    ("inputs", "result", "formula", "months", "capped"),
    [
        ({}, D(144000), "4000×36", 36, False),
        ({"months": "12"}, D(48000), "4000×12", 12, False),
        ({"months": 36}, D(144000), "4000×36", 36, False),
        ({"months": 40}, D(144000), "4000×36", 36, True),
        ({"months": 37, "people": 2}, D(288000), "4000×36×2", 36, True),
        ({"people": "三个", "months": "两个月"}, D(24000), "4000×2×3", 2, False),
    ],
)
def test_emergency_talent_salary(
    inputs: dict[str, Any], result: Decimal, formula: str, months: int, capped: bool
) -> None:
    res = run(EMERGENCY, {"key_industry_shortage_talent": "是", **inputs})
    assert res.status == "complete"
    assert (res.result, res.formula) == (result, formula)
    assert res.details["months"] == months
    assert res.details["monthly_amount"] == "4000"
    cap_warnings = [w for w in res.warnings if "36个月" in w]
    assert len(cap_warnings) == (1 if capped else 0)


@pytest.mark.parametrize(
    ("elapsed", "people", "left", "amount", "formula"),
    [
        (10, 1, 26, "104000", "4000×26"),
        (0, 1, 36, "144000", "4000×36"),
        (36, 1, 0, "0", "4000×0"),
        (40, 1, 0, "0", "4000×0"),
        (10, 2, 26, "208000", "4000×26×2"),
    ],
)
def test_emergency_talent_salary_remaining(elapsed: int, people: int, left: int, amount: str, formula: str) -> None:
    res = run(EMERGENCY, {"key_industry_shortage_talent": "yes", "elapsed_months": elapsed, "people": people})
    assert res.details["remaining_months"] == left
    assert res.details["remaining_amount"] == amount
    assert res.details["remaining_formula"] == formula


def test_allowance_without_period_needs_months() -> None:
    res = run(ALLOWANCE, {"category": "高端人才", "recognised_high_level": "是"})
    assert res.status == "needs_input"
    assert res.result is None
    assert "多少个月" in res.questions[0]


def test_allowance_needs_a_category() -> None:
    res = run(ALLOWANCE, {"months": 12})
    assert res.status == "needs_input"
    assert all(a.category in res.questions[0] for a in by_id(ALLOWANCE).amounts)


@pytest.mark.parametrize(
    ("category", "result"),
    [
        ("领军人才", D(36000)),
        ("高端人才", D(24000)),
        ("青年才俊", D(12000)),
        ("领军", D(36000)),
        ("青年人才", D(12000)),
    ],
)
def test_allowance_by_category_or_alias(category: str, result: Decimal) -> None:
    res = run(ALLOWANCE, {"category": category, "months": 12, "recognised_high_level": "是"})
    assert res.result == result
    assert "elapsed_months" not in res.inputs and "remaining_months" not in res.details


def test_allowance_unknown_category() -> None:
    with pytest.raises(ToolError, match="领军人才"):
        run(ALLOWANCE, {"category": "特级技师", "months": 12})


@pytest.mark.parametrize(
    ("rule_id", "inputs", "result"),
    [
        (EMERGENCY, {"急需紧缺技能人才": 3, "months": 12}, D(144000)),
        (ALLOWANCE, {"领军人才": 2, "months": 12}, D(72000)),
    ],
)
def test_monthly_category_count_is_not_silently_ignored(rule_id: str, inputs: dict[str, Any], result: Decimal) -> None:
    assert all(k in ENGINE.input_names(by_id(rule_id)) for k in inputs)  # advertised as inputs
    try:
        res = run(rule_id, inputs)
    except ToolError:
        return  # rejecting the key would be fine too
    assert res.result == result


# --------------------------------------------------------------------------- per head: counts, aliases


@pytest.mark.parametrize(
    ("inputs", "result", "formula"),
    [
        ({"中职": 3, "高职": 2}, D(17000), "3×3000 + 2×4000"),
        ({"高职": "2", "中职": "3"}, D(17000), "3×3000 + 2×4000"),  # shown in the rule's order
        ({"中职": "三个", "高职": "两"}, D(17000), "3×3000 + 2×4000"),
        ({"中专生": 1, "大专": 1}, D(7000), "1×3000 + 1×4000"),
        ({"中职（中级工）": 1}, D(3000), "1×3000"),
        ({"中职": 1, "中专": 2}, D(9000), "3×3000"),  # a category and its alias add up
        ({"中职": 0, "高职": 0}, D(0), "0×3000 + 0×4000"),
        ({"高职": 10}, D(40000), "10×4000"),
    ],
)
def test_student_apprenticeship_counts(inputs: dict[str, Any], result: Decimal, formula: str) -> None:
    rule = by_id("xiamen.student-apprenticeship")
    res = run(rule, {**all_met(rule), **inputs})
    assert res.status == "complete"
    assert (res.result, res.formula) == (result, formula)


def test_per_head_without_counts_asks_for_them() -> None:
    res = run("xiamen.student-apprenticeship", {})
    assert res.status == "needs_input"
    assert res.result is None
    assert "中职（中级工）" in res.questions[0] and "高职（高级工）" in res.questions[0]
    rule = by_id("xiamen.student-apprenticeship")
    assert res.questions[1:] == [c.question for c in rule.conditions]


def test_studio_apprentice_subsidy_for_the_leader() -> None:
    res = run(
        "dalian.studio-apprentice-subsidy", {"高级技师": 2, "技师": 3, "高级工": 1, "member_obtained_level": "是"}
    )
    assert (res.status, res.result, res.formula) == ("complete", D(7500), "2×2000 + 3×1000 + 1×500")
    assert res.payee == "studio_leader"


def test_empty_values_count_as_not_given() -> None:
    res = run("xiamen.student-apprenticeship", {"中职": 1, "formal_contract": "", "training_completed": None})
    assert "formal_contract" not in res.inputs and "training_completed" not in res.inputs
    assert res.status == "conditional"


def test_result_serialises_as_a_plain_json_number() -> None:
    rule = by_id("xiamen.student-apprenticeship")
    whole = run(rule, {**all_met(rule), "中职": 3, "高职": 2}).model_dump(mode="json")
    assert whole["result"] == 17000 and isinstance(whole["result"], int)
    credit = run("dalian.industry-education-investment-credit", {"base": "12345"}).model_dump(mode="json")
    assert credit["result"] == 3703.5


# --------------------------------------------------------------------------- bad input


def test_unknown_rule_lists_rules() -> None:
    with pytest.raises(ToolError) as info:
        run("xiamen.no-such-rule", {})
    message = str(info.value)
    assert "xiamen.no-such-rule" in message
    assert "policy-assistant rules" in message
    assert RULES[0].id in message and RULES[1].id in message


@pytest.mark.parametrize("rule", RULES, ids=ids(RULES))
def test_unknown_input_key_lists_the_accepted_inputs(rule: Rule) -> None:
    with pytest.raises(ToolError) as info:
        run(rule, {"nonsense_key": "1"})
    message = str(info.value)
    assert "nonsense_key" in message
    names = ENGINE.input_names(rule)
    assert message.endswith("it takes: " + ", ".join(names))


@pytest.mark.parametrize(
    ("rule_id", "inputs", "match"),
    [
        ("xiamen.student-apprenticeship", {"中职": "abc"}, "中职: not a number"),
        ("xiamen.student-apprenticeship", {"中职": "-1"}, "at least 0"),
        ("xiamen.student-apprenticeship", {"中职": -1}, "at least 0"),
        ("xiamen.student-apprenticeship", {"中职": "1.5"}, "whole number"),
        ("xiamen.student-apprenticeship", {"中职": True}, "not a number"),
        ("xiamen.student-apprenticeship", {"中职": 1, "formal_contract": "也许"}, "yes/no"),
        ("xiamen.student-apprenticeship", {"中职": 1, "social_insurance_months": "很多"}, "not a number"),
        ("dalian.dalian-craftsman-award", {"count": "-2"}, "count"),
        (EMERGENCY, {"people": "-1"}, "people"),
        (EMERGENCY, {"months": "x"}, "months"),
        (EMERGENCY, {"elapsed_months": "-3"}, "elapsed_months"),
        ("dalian.skilled-talent-share-target", {"base": "很多"}, "not a number"),
        ("dalian.industry-education-investment-credit", {"base": "abc"}, "not a number"),
        ("xiamen.competition-skill-level", {"category": "省级竞赛"}, "市级一类竞赛"),
    ],
)
def test_bad_values_are_tool_errors(rule_id: str, inputs: dict[str, Any], match: str) -> None:
    with pytest.raises(ToolError, match=match):
        run(rule_id, inputs)


@pytest.mark.parametrize(
    "rule_id", ["dalian.industry-education-investment-credit", "nantong.shortage-occupation-uplift"]
)
def test_negative_base_is_a_tool_error(rule_id: str) -> None:
    with pytest.raises(ToolError):
        run(rule_id, {"base": "-100"})


@pytest.mark.parametrize(
    ("rule_id", "inputs"),
    [
        ("xiamen.student-apprenticeship", {"中职": "Infinity"}),
        ("xiamen.student-apprenticeship", {"中职": 1, "social_insurance_months": "nan"}),
        ("xiamen.taiwan-credential-recognition", {"age": "NaN"}),
        ("dalian.industry-education-investment-credit", {"base": "inf"}),
        ("dalian.industry-education-investment-credit", {"base": "nan"}),
        (EMERGENCY, {"people": "Infinity"}),
    ],
)
def test_special_decimals_are_tool_errors(rule_id: str, inputs: dict[str, Any]) -> None:
    with pytest.raises(ToolError):
        run(rule_id, inputs)


# --------------------------------------------------------------------------- input parsing


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("是", True),
        ("否", False),
        ("yes", True),
        ("no", False),
        ("YES", True),
        (" No ", False),
        ("true", True),
        ("false", False),
        ("True", True),
        ("y", True),
        ("n", False),
        ("1", True),
        ("0", False),
        ("有", True),
        ("没有", False),
        ("通过", True),
        ("签了", True),
        ("交了", True),
        (True, True),
        (False, False),
    ],
)
def test_parse_bool(value: Any, expected: bool) -> None:
    assert parse_bool(value) is expected


@pytest.mark.parametrize("value", ["也许", "", "2", "maybe", "是的吧"])
def test_parse_bool_rejects(value: str) -> None:
    with pytest.raises(ToolError, match="yes/no"):
        parse_bool(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", D(3)),
        (3, D(3)),
        (2.5, D("2.5")),
        (D("7"), D(7)),
        (" 12 ", D(12)),
        ("两", D(2)),
        ("两个", D(2)),
        ("三个", D(3)),
        ("三名", D(3)),
        ("一", D(1)),
        ("两个月", D(2)),
        ("零", D(0)),
        ("1.5万", D(15000)),
        ("二十万", D(200000)),
        ("200万", D(2000000)),
        ("十二", D(12)),
        ("二十", D(20)),
        ("2000元", D(2000)),
        ("-1", D(-1)),
        pytest.param("3个", D(3)),
        pytest.param(
            "2个月",
            D(2),
        ),
        pytest.param("3人", D(3)),
        pytest.param("十", D(10)),
        pytest.param("十个", D(10)),
    ],
)
def test_parse_number(value: Any, expected: Decimal) -> None:
    assert parse_number(value) == expected


@pytest.mark.parametrize("value", ["abc", "", True, "很多", "三四个"])
def test_parse_number_rejects(value: Any) -> None:
    with pytest.raises(ToolError, match="not a number"):
        parse_number(value)


@pytest.mark.parametrize(("value", "expected"), [("两", 2), ("三个", 3), (4, 4), ("0", 0), ("1E+1", 10)])
def test_parse_count(value: Any, expected: int) -> None:
    assert parse_count(value, "x") == expected


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.integers(min_value=0, max_value=MAX_HEADCOUNT))
def test_parse_count_round_trips_whole_numbers(n: int) -> None:
    assert parse_count(str(n), "n") == n
    assert parse_count(n, "n") == n


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.integers(min_value=MAX_HEADCOUNT + 1, max_value=10**40))
def test_parse_count_refuses_implausible_counts_naming_the_bound(n: int) -> None:
    for value in (n, str(n)):
        with pytest.raises(ToolError, match=r"at most|smaller than 10\^15|characters"):
            parse_count(value, "n")


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.integers(min_value=1, max_value=10**6))
def test_parse_count_rejects_negatives(n: int) -> None:
    with pytest.raises(ToolError, match="at least 0"):
        parse_count(str(-n), "n")


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=200))
def test_student_apprenticeship_is_linear_in_the_counts(secondary: int, higher: int) -> None:
    rule = by_id("xiamen.student-apprenticeship")
    res = run(rule, {**all_met(rule), "中职": str(secondary), "高职": higher})
    assert res.result == 3000 * secondary + 4000 * higher
    assert res.formula == f"{secondary}×3000 + {higher}×4000"


def test_a_deduction_is_taken_off_the_base_before_the_rate() -> None:
    res = run("unknown.performance-pay-share", {"public_institution": "是", "base": "100万", "deduction": "40万"})
    assert res.result == D(360000) and res.formula == "(1000000−400000)×60%"


def test_a_rate_after_a_deduction_asks_for_the_deduction() -> None:
    res = run("unknown.performance-pay-share", {"public_institution": "是", "base": "100万"})
    assert res.status == "needs_input" and res.result is None
    assert "直接成本" in res.questions[0]


def test_a_per_year_amount_asks_for_the_years_and_never_assumes_one() -> None:
    res = run("dalian.new-apprenticeship-subsidy", {"学徒": 8})
    assert res.status == "needs_input" and res.result is None
    assert "几年" in res.questions[0]
