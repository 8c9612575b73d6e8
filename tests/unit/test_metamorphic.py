"""Metamorphic suite for the accounting of a question (issue 9): a stated total is exact or absent.

Cases come from ``tests.metamorphic.generator`` (its docstring says what it writes and why it
is independent of the reader), their expected totals from the rules' own figures. Two paths:

* the plan path — ``read_question`` → ``plan`` → ``RuleEngine.run`` → the chain's
  ``_apply_plan`` — on ``META_CASES`` cases (default 3000, a few ms each);
* the whole assistant (``Assistant.ask`` on the ingested corpus, fake embeddings) on the first
  ``META_ASK_CASES`` cases of the same stream (default 300).

For every turn of every case the stated total must be the expected one or absent. Each wrong
total is put in a failure class (``tests.metamorphic.runner.CLASSES``); one test per class and
path asserts the class is empty. The classes that fail today are marked ``xfail(strict=True)``:
the suite is green now and turns red the moment a class is fixed while its marker is still
there — remove the marker then. A wrong total in a class not marked fails at once.

The exact rate (turns with an expected total that state exactly it) is printed in the terminal
summary and written to ``tests/artifacts/metamorphic_report.md`` with the failures
(``tests/artifacts/metamorphic_failures.jsonl``); a floor catches an assistant gone silent.

``META_SEED`` / ``META_CASES`` / ``META_ASK_CASES`` override the run (``make metamorphic``
runs a large one). A larger run contains the default one (case ``i`` depends only on the seed
and ``i``), so it can only find more classes, never fewer.
"""

from __future__ import annotations

import os
from decimal import Decimal

import pytest

from app.services import Services
from tests.metamorphic import generator as gen
from tests.metamorphic import phrasing
from tests.metamorphic.runner import (
    CLASSES,
    SUMMARY,
    AskPath,
    Outcome,
    PlanPath,
    figures,
    run,
    summary,
    write_artifacts,
    wrong_by_class,
)

SEED = int(os.environ.get("META_SEED", "20240901"))
PLAN_CASES = int(os.environ.get("META_CASES", "3000"))
ASK_CASES = int(os.environ.get("META_ASK_CASES", "300"))

# Floors for the exact rate (all turns with a total, the clean family), a little below what was
# measured on the default run: plan path 0.922, whole assistant 0.890 (clean family ≥ 0.95 on both).
FLOORS = {"plan": (0.88, 0.93), "ask": (0.85, 0.9)}

# Wrong totals per 1000 turns: a ceiling a little above the figures measured on the default run
# (plan path 8: 25 in 3202 turns; whole assistant 31: 10 in 318).
CEILINGS = {"plan": 15, "ask": 45}

D = Decimal
_RUNS: dict[str, tuple[list[Outcome], int]] = {}


def _publish(config: pytest.Config, name: str, outcomes: list[Outcome]) -> None:
    _RUNS[name] = (outcomes, SEED)
    write_artifacts(_RUNS)
    config.stash.setdefault(SUMMARY, []).extend(summary(outcomes, name, SEED))


@pytest.fixture(scope="module")
def plan_outcomes(request: pytest.FixtureRequest) -> list[Outcome]:
    outcomes = run(PlanPath(), gen.cases(SEED, PLAN_CASES))
    _publish(request.config, "plan", outcomes)
    return outcomes


@pytest.fixture(scope="module")
def ask_outcomes(request: pytest.FixtureRequest, ingested: Services) -> list[Outcome]:
    outcomes = run(AskPath(ingested.assistant), gen.cases(SEED, ASK_CASES))
    _publish(request.config, "ask", outcomes)
    return outcomes


# ---------------------------------------------------------------------------------------- the generator


def test_every_quantified_curated_rule_is_generated() -> None:
    assert sorted(gen.covered()) == sorted(gen.quantified_rule_ids())


def test_phrasing_names_only_what_each_rule_has() -> None:
    facts = gen.rule_facts()
    for words in phrasing.MONEY_RULES:
        f = facts[words.rule_id]
        assert set(words.categories) == set(f.amounts), words.rule_id
        assert set(words.conditions) <= set(f.conditions), words.rule_id
        assert all(s.yes and s.no for s in words.conditions.values()), words.rule_id
    for base in phrasing.BASE_RULES:
        assert facts[base.rule_id].rate is not None, base.rule_id


def test_the_stream_is_seeded_and_a_larger_run_contains_a_smaller_one() -> None:
    assert gen.cases(SEED, 30) == gen.cases(SEED, 60)[:30]
    assert gen.case(SEED, 7) == gen.case(SEED, 7)
    assert gen.cases(SEED, 30) != gen.cases(SEED + 1, 30)


def test_numerals_are_written_as_people_write_them() -> None:
    written = {n: gen.zh(n) for n in (2, 10, 15, 20, 23, 105, 115, 1500, 10005, 15000, 1200000)}
    assert written == {
        2: "二",
        10: "十",
        15: "十五",
        20: "二十",
        23: "二十三",
        105: "一百零五",
        115: "一百一十五",
        1500: "一千五百",
        10005: "一万零五",
        15000: "一万五千",
        1200000: "一百二十万",
    }
    assert gen.zh(2, liang=True) == "两" and gen.zh(200, liang=True) == "两百"
    rng = __import__("random").Random(3)
    forms = {gen.count_words(rng, 2).words for _ in range(200)} | {gen.count_words(rng, 3).words for _ in range(200)}
    assert {"2", "２", "两", "俩", "3", "３", "三", "仨"} <= forms


def test_expected_totals_follow_the_formula_of_the_text() -> None:
    """The issue's own examples, computed by the generator's formula from the YAML figures."""
    f = gen.rule_facts()
    assert gen.money_total(f["dalian.studio-apprentice-subsidy"], {"高级技师": 2, "技师": 3}) == 7000
    allowance = f["dalian.high-level-skill-talent-allowance"]
    assert gen.money_total(allowance, {"领军人才": 2, "青年才俊": 1}, months=12) == 84000
    assert gen.money_total(allowance, {"领军人才": 2}) is None  # no span, no period: no total
    salary = f["dalian.emergency-talent-salary"]
    assert gen.money_total(salary, {"急需紧缺技能人才": 1}, months=60) == 144000  # capped at 36 months
    apprentices = f["dalian.new-apprenticeship-subsidy"]
    assert gen.money_total(apprentices, {"学徒": 8}, years=3) == 120000
    assert gen.money_total(apprentices, {"学徒": 8}) is None  # per person per year: years are asked
    assert gen.money_total(f["xiamen.student-apprenticeship"], {"中职": 5, "高职": 4}) == 31000
    assert gen.money_total(f["dalian.settling-in-allowance"], {"领军人才": 1}) == 2600000  # 万元
    assert gen.base_total(f["nantong.shortage-occupation-uplift"], 1500) == 1950
    assert gen.base_total(f["unknown.performance-pay-share"], 5_000_000, deduction=2_000_000) == 1_800_000
    assert gen.base_total(f["dalian.skilled-talent-share-target"], 1001) == 401
    assert gen.base_total(f["dalian.high-skilled-talent-share-target"], 1000) == 334


def test_the_default_run_covers_every_rule_and_family() -> None:
    cases = gen.cases(SEED, min(PLAN_CASES, 3000))
    assert {c.rule_id for c in cases} == set(gen.covered())
    families = {c.family for c in cases}
    assert set(gen.MONEY_FAMILIES) <= families and set(gen.BASE_FAMILIES) <= families
    tags = {t.split(":")[0].split("=")[0] for c in cases for t in c.tags}
    for tag in (
        "distractor",
        "excluded",
        "excluded_rest_yes",
        "excluded_named",
        "unlisted",
        "ambiguous_split",
        "ambiguous_exclusion",
        "one_off_span",
        "months",
        "years",
        "part_year",
        "no_span",
        "per_period",
        "traditional",
        "add",
        "add_named",
        "replace",
        "replace_unlisted",
        "claim_wrong",
        "count",
    ):
        assert tag in tags, tag


# ---------------------------------------------------------------------------------------- the property

# Classes of wrong totals seen on today's main, per path. Remove a marker when its class is fixed.
_SHARED = {
    "excluded_counted": "a part excluded by a failing condition is still counted: 世赛中国集训基地有3家，其中1个还没获批 → 3 × 500万",
    "excluded_added": "an excluded part read as one more group: 紧缺技能人才30人，有14位不在紧缺目录里 → 44 people",
    "excluded_from_other_group": "an excluded part taken off the wrong category: 其中领军人才有一名没通过认定 → one 青年才俊 less",
    "group_dropped": "one named group left out: 国家级培训基地1家、省级职业技能培训示范基地有1家 → 300万",
    "months_wrong": "一整年 not read as 12 months, the 36-month period used instead",
    "unlisted_total": "an unlisted category priced: 省级劳模创新工作室 at the 市级 amount, 区级领办人 given a credit line",
    "ambiguous_total": "an exclusion that names no category taken off the last group: 2个中职、9个高职，其中2个社保还没交",
    "distractor_counted": "a phone number, staff size, capital or salary used: 0411-… as 411 people, 注册资本 as the base",
    "add_wrong": "再加N家 replaces the count (units: 家/个), or adds to the wrong group",
    "other": "a count or category misread in lists of 基地 with 有N个 / N家和",
}
FAILING: dict[str, dict[str, str]] = {
    "plan": {},
    "ask": {},
}


# Classes seen only in the large run (``make metamorphic``: 40000 + 2000 cases), a few cases in
# tens of thousands: tolerated (not strict) in a run larger than the default one only, so the
# default run stays strict and a large run still fails on any class not known at all.
AT_SCALE: dict[str, dict[str, str]] = {
    "plan": {
        "excluded_counted": "其中技师有三名等级证书还没拿到 / 1位社保一直在老家交: the part counted (5 in 42585 turns)",
        "ambiguous_total": "四个工作室，有国家级也有市级…，4家省级工作站: the mixed group dropped (3 in 42585)",
        "group_dropped": "青年才俊一个、8位高端人才和领军人才有８个: the middle group lost (1 in 42585)",
    },
    "ask": {
        "routed_elsewhere": "考技师的补贴 for 特级技师, fake-embedding retrieval ranks the work grant first (1 in 2143)",
    },
}
LARGE = PLAN_CASES > 3000 or ASK_CASES > 300


def _params(path: str) -> list[object]:
    out: list[object] = []
    for cls in CLASSES:
        if cls in FAILING[path]:
            out.append(pytest.param(cls, id=cls, marks=[pytest.mark.xfail(strict=True, reason=FAILING[path][cls])]))
        elif LARGE and cls in AT_SCALE[path]:
            out.append(pytest.param(cls, id=cls, marks=[pytest.mark.xfail(strict=False, reason=AT_SCALE[path][cls])]))
        else:
            out.append(pytest.param(cls, id=cls))
    return out


def _no_wrong_total(outcomes: list[Outcome], cls: str) -> None:
    wrong = wrong_by_class(outcomes).get(cls, [])
    shown = "\n".join(
        f"  {' ⟶ '.join(t.text for t in o.case.turns[: o.turn + 1])}  expected {o.expected} stated {o.stated or o.error}"
        f" ({o.case.id}, {o.case.rule_id}{', via ' + o.rule_used if o.rule_used and o.rule_used != o.case.rule_id else ''})"
        for o in wrong[:5]
    )
    assert not wrong, f"{len(wrong)} wrong totals of class {cls} ({CLASSES[cls]}):\n{shown}"


@pytest.mark.parametrize("cls", _params("plan"))
def test_plan_path_states_no_wrong_total(plan_outcomes: list[Outcome], cls: str) -> None:
    _no_wrong_total(plan_outcomes, cls)


@pytest.mark.parametrize("cls", _params("ask"))
def test_assistant_states_no_wrong_total(ask_outcomes: list[Outcome], cls: str) -> None:
    _no_wrong_total(ask_outcomes, cls)


def _rate_floor(outcomes: list[Outcome], path: str) -> None:
    total, by_family = figures(outcomes)
    floor, clean_floor = FLOORS[path]
    clean = by_family["clean"]
    assert total.rate >= floor, f"exact rate {total.rate:.3f} < {floor} ({total.exact}/{total.with_total})"
    assert clean.rate >= clean_floor, (
        f"clean exact rate {clean.rate:.3f} < {clean_floor} ({clean.exact}/{clean.with_total})"
    )


def _wrong_ceiling(outcomes: list[Outcome], path: str) -> None:
    total, _ = figures(outcomes)
    per_1000 = 1000 * total.wrong / total.turns
    assert per_1000 <= CEILINGS[path], f"{total.wrong} wrong totals in {total.turns} turns: {per_1000:.0f} per 1000"


def test_plan_path_wrong_totals_do_not_grow(plan_outcomes: list[Outcome]) -> None:
    """Marked classes hide how many fail; this catches a regression inside them (and in ``other``)."""
    _wrong_ceiling(plan_outcomes, "plan")


def test_assistant_wrong_totals_do_not_grow(ask_outcomes: list[Outcome]) -> None:
    _wrong_ceiling(ask_outcomes, "ask")


def test_plan_path_states_the_total_often_enough(plan_outcomes: list[Outcome]) -> None:
    _rate_floor(plan_outcomes, "plan")


def test_assistant_states_the_total_often_enough(ask_outcomes: list[Outcome]) -> None:
    _rate_floor(ask_outcomes, "ask")
