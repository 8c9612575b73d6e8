"""Unit tests for app.tools.routing: slot filling and rule choice from everyday Chinese questions.

Offline and deterministic: the real rule catalogue and the default tokenizer, no model.
The end-to-end cases run the chosen rule through RuleEngine as the answer chain does.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from app.settings import REPO_ROOT
from app.tools.engine import RuleEngine
from app.tools.result import ToolResult
from app.tools.routing import Route, Router, extract_base, extract_counts, extract_facts, to_number
from app.tools.rules import Catalogue, Rule
from ingest.manifest import Manifest

D = Decimal
CATALOGUE = Catalogue.load(REPO_ROOT / "corpus" / "rules")
MANIFEST = Manifest.load(REPO_ROOT / "corpus" / "manifest.yaml")
ENGINE = RuleEngine(CATALOGUE, {d.id: d for d in MANIFEST.documents})
ROUTER = Router(CATALOGUE)

APPRENTICE = "xiamen.student-apprenticeship"
STUDIO = "dalian.studio-apprentice-subsidy"
COMPETITION = "dalian.competition-subsidy"
TAIWAN = "xiamen.taiwan-credential-recognition"


def rule(rule_id: str) -> Rule:
    found = CATALOGUE.get(rule_id)
    assert found is not None, rule_id
    return found


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("3", D(3)),
        ("两", D(2)),
        ("三", D(3)),
        ("〇", D(0)),
        ("十二", D(12)),
        ("二十", D(20)),
        ("1.5", D("1.5")),
        ("", None),
    ],
)
def test_to_number(token: str, expected: Decimal | None) -> None:
    assert to_number(token) == expected


# --------------------------------------------------------------------------- extract_counts


@pytest.mark.parametrize(
    ("rule_id", "text", "counts"),
    [
        (APPRENTICE, "3个中职2个高职", {"中职": 3, "高职": 2}),
        (APPRENTICE, "两名高职学徒", {"高职": 2}),
        (APPRENTICE, "三个中专生和两个大专生", {"中职": 3, "高职": 2}),
        (APPRENTICE, "中职3人", {"中职": 3}),
        (APPRENTICE, "中职生3名，高职生2名", {"中职": 3, "高职": 2}),
        (APPRENTICE, "中职3个，高职2个", {"中职": 3, "高职": 2}),
        (APPRENTICE, "2025年3个中职", {"中职": 3}),
        (APPRENTICE, "十二个中职", {"中职": 12}),
        (APPRENTICE, "2025年", {}),
        (APPRENTICE, "2025年招了中职", {}),
        (APPRENTICE, "中职学徒有补贴吗", {}),
        (STUDIO, "2人取得高级技师、3人取得技师、1人取得高级工", {"高级技师": 2, "技师": 3, "高级工": 1}),
        (STUDIO, "高级技师2人", {"高级技师": 2}),
        (STUDIO, "高级技师两人，技师三人", {"高级技师": 2, "技师": 3}),
        (STUDIO, "2个高级技师3个技师1个高级工", {"高级技师": 2, "技师": 3, "高级工": 1}),
        (COMPETITION, "3名员工进了市级竞赛决赛、1名进了省级竞赛决赛", {"市级": 3, "省级": 1}),
        (COMPETITION, "国赛2人", {"国家级": 2}),
        ("dalian.new-apprenticeship-subsidy", "新型学徒5人", {"学徒": 5}),
        ("dalian.new-apprenticeship-subsidy", "新型学徒制培训补贴，5个学徒", {"学徒": 5}),
        pytest.param(
            "dalian.new-apprenticeship-subsidy",
            "新型学徒制培训5个学徒",
            {"学徒": 5},
        ),
        pytest.param(
            APPRENTICE,
            "十个中职",
            {"中职": 10},
        ),
    ],
)
def test_extract_counts(rule_id: str, text: str, counts: dict[str, int]) -> None:
    assert extract_counts(text, rule(rule_id)) == counts


# --------------------------------------------------------------------------- extract_facts


@pytest.mark.parametrize(
    ("text", "facts"),
    [
        (
            "培训考核都过了，签了合同交了两个月社保",
            {
                "training_completed": True,
                "internship_assessment_passed": True,
                "formal_contract": True,
                "social_insurance_months": D(2),
            },
        ),
        ("社保还没交", {"social_insurance_months": D(0)}),
        ("没签合同", {"formal_contract": False}),
        ("没有签合同", {"formal_contract": False}),
        ("合同还没签", {"formal_contract": False}),
        ("合同签了", {"formal_contract": True}),
        ("社保交了半年", {"social_insurance_months": D(6)}),
        ("社保交了一年", {"social_insurance_months": D(12)}),
        ("社保交了3个月", {"social_insurance_months": D(3)}),
        ("考核没过", {"internship_assessment_passed": False}),
        ("培训完成了，考核没过", {"training_completed": True, "internship_assessment_passed": False}),
        ("培训考核都没过", {"training_completed": False, "internship_assessment_passed": False}),
        ("培训和考核都过了", {"training_completed": True, "internship_assessment_passed": True}),
        ("社保交了两个月，合同没签", {"social_insurance_months": D(2), "formal_contract": False}),
        ("3个中职2个高职", {}),
        pytest.param(
            "社保交了十个月",
            {"social_insurance_months": D(10)},
        ),
    ],
)
def test_extract_facts_student_apprenticeship(text: str, facts: dict[str, Any]) -> None:
    assert extract_facts(text, rule(APPRENTICE)) == facts


@pytest.mark.parametrize(
    ("text", "facts"),
    [
        ("今年25岁", {"age": D(25)}),
        ("17岁", {"age": D(17)}),
        ("我今年二十五岁", {"age": D(25)}),
        ("我18周岁", {"age": D(18)}),
        ("年龄是30", {"age": D(30)}),
        ("我是台湾居民", {"taiwan_resident": True}),
        ("不是台湾居民", {"taiwan_resident": False}),
        ("我没在厦门工作", {"works_in_xiamen": False}),
        pytest.param(
            "我在厦门工作",
            {"works_in_xiamen": True},
        ),
    ],
)
def test_extract_facts_taiwan(text: str, facts: dict[str, Any]) -> None:
    assert extract_facts(text, rule(TAIWAN)) == facts


@pytest.mark.parametrize(
    ("rule_id", "text", "base"),
    [
        ("dalian.industry-education-investment-credit", "投资200万", D(2000000)),
        ("dalian.industry-education-investment-credit", "投资了两百万元", D(2000000)),
        ("nantong.shortage-occupation-uplift", "补贴标准2000元", D(2000)),
        ("dalian.skilled-talent-share-target", "就业人员10万人", D(100000)),
        ("dalian.high-skilled-talent-share-target", "技能人才30000人", D(30000)),
        ("dalian.skilled-talent-share-target", "技能人才占比多少", None),
    ],
)
def test_extract_base(rule_id: str, text: str, base: Decimal | None) -> None:
    assert extract_base(text, rule(rule_id)) == base


# --------------------------------------------------------------------------- Router.route


@pytest.mark.parametrize(
    ("question", "rule_id", "inputs"),
    [
        (
            "厦门学徒补贴，3个中职2个高职，一共多少",
            APPRENTICE,
            {"中职": 3, "高职": 2},
        ),
        (
            "大连技能大师工作室带徒补贴，2个高级技师3个技师1个高级工，领办人能拿多少",
            STUDIO,
            {"高级技师": 2, "技师": 3, "高级工": 1},
        ),
        (
            "大连的技能大师工作室，2人取得高级技师、3人取得技师、1人取得高级工，带徒补贴多少",
            STUDIO,
            {"高级技师": 2, "技师": 3, "高级工": 1},
        ),
        (
            "大连竞赛补贴：3名员工进了市级竞赛决赛、1名进了省级竞赛决赛，企业能拿多少",
            COMPETITION,
            {"市级": 3, "省级": 1, "reached_final": True},
        ),
        ("大连引进一个领军人才，安家费多少", "dalian.settling-in-allowance", {"领军人才": 1}),
        (
            "大连急需紧缺技能人才薪酬补贴，我们引进了2名，12个月一共多少",
            "dalian.emergency-talent-salary",
            {"category": "急需紧缺技能人才", "people": 2, "months": 12},
        ),
        (
            "大连急需紧缺技能人才，已经领了10个月，还能领多少",
            "dalian.emergency-talent-salary",
            {"category": "急需紧缺技能人才", "elapsed_months": 10},
        ),
        (
            "大连领军人才每月津贴，12个月一共多少",
            "dalian.high-level-skill-talent-allowance",
            {"category": "领军人才", "months": 12},
        ),
        (
            "大连产教融合型企业投资200万兴办职业教育，能抵免多少教育费附加",
            "dalian.industry-education-investment-credit",
            {"base": D(2000000)},
        ),
        (
            "大连就业人员10万人，技能人才要达到40%需要多少技能人才",
            "dalian.skilled-talent-share-target",
            {"base": D(100000)},
        ),
        (
            "大连技能人才3万人，高技能人才需要多少",
            "dalian.high-skilled-talent-share-target",
            {"base": D(30000)},
        ),
        (
            "我是台湾居民，今年25岁，持有采认目录清单内的证书，台湾证书能在厦门直接采认吗",
            TAIWAN,
            {"taiwan_resident": True, "age": D(25), "certificate_on_list": True},
        ),
        ("台灣居民的證照可以在廈門採認嗎", TAIWAN, {"taiwan_resident": True}),
        (
            "厦门市级一类竞赛成绩合格能认定什么技能等级",
            "xiamen.competition-skill-level",
            {"category": "市级一类竞赛"},
        ),
        (
            "厦门市级二类竞赛能认定什么等级",
            "xiamen.competition-skill-level",
            {"category": "市级二类竞赛"},
        ),
        (
            "南通紧缺工种培训补贴标准2000元，再提高30%是多少",
            "nantong.shortage-occupation-uplift",
            {"base": D(2000)},
        ),
        ("大连新型学徒制培训补贴，5个学徒，补贴多少", "dalian.new-apprenticeship-subsidy", {"学徒": 5}),
        ("评上大连工匠奖励多少", "dalian.dalian-craftsman-award", {}),
        (
            "大连新增1家国家级技能大师工作室，建设补助多少",
            "dalian.master-studio-construction-subsidy",
            {"国家级": 1},
        ),
    ],
)
def test_route_picks_the_rule_and_fills_inputs(question: str, rule_id: str, inputs: dict[str, Any]) -> None:
    route = ROUTER.route(question)
    assert route is not None
    assert route.rule.id == rule_id
    assert route.inputs == inputs
    expected_intent = "check" if route.rule.kind in ("eligibility", "lookup") else "calculate"
    assert route.intent == expected_intent
    assert route.score > 0 and route.reasons


@pytest.mark.parametrize(
    "question",
    ["厦门的培训机构目录在哪里公开", "今天天气怎么样", "大连的公交怎么坐", "北京的房价多少", ""],
)
def test_route_returns_none_when_no_rule_covers_the_question(question: str) -> None:
    assert ROUTER.route(question) is None
    assert ROUTER.candidates(question) == []


def test_candidates_are_sorted_and_city_filtered() -> None:
    question = "技能人才占就业人员比例目标，就业人员10万人需要多少技能人才"
    found = ROUTER.candidates(question)
    assert {r.rule.id for r in found} >= {"dalian.skilled-talent-share-target", "nantong.skilled-talent-share-target"}
    scores = [r.score for r in found]
    assert scores == sorted(scores, reverse=True)
    only_nantong = ROUTER.candidates(question, city="南通")
    assert only_nantong and {r.rule.city for r in only_nantong} == {"南通"}
    assert ROUTER.route(question, city="南通").rule.id == "nantong.skilled-talent-share-target"
    assert ROUTER.route("南通" + question).rule.id == "nantong.skilled-talent-share-target"


def test_retrieved_clause_breaks_a_tie() -> None:
    question = "技能人才占就业人员比例目标，就业人员10万人需要多少技能人才"
    for target in ("dalian.skilled-talent-share-target", "nantong.skilled-talent-share-target"):
        route = ROUTER.route(question, clause_ids=[rule(target).clause_id])
        assert route.rule.id == target
        assert "top clause" in route.reasons


# --------------------------------------------------------------------------- end to end: Router + RuleEngine


def answer(question: str) -> tuple[Route, ToolResult]:
    route = ROUTER.route(question)
    assert route is not None, question
    return route, ENGINE.run(route.rule.id, route.inputs, check_only=route.intent == "check")


def test_done_when_xiamen_apprentices_all_conditions_met() -> None:
    route, res = answer("我们厂在厦门，3个中职2个高职学徒，培训考核都过了，签了合同交了两个月社保，企业一共能拿多少")
    assert route.rule.id == APPRENTICE
    assert route.intent == "calculate"
    assert res.status == "complete"
    assert res.result == 17000
    assert res.formula == "3×3000 + 2×4000"
    assert res.payee == "enterprise" and res.payee_zh == "企业"
    assert res.questions == [] and res.warnings == []
    assert res.citations[0].clause_id == "xiamen-tasks/创新学徒制培养模式"


def test_done_when_xiamen_apprentices_without_social_insurance() -> None:
    route, res = answer("我们厂在厦门，3个中职2个高职学徒，培训考核都过了，签了合同，社保还没交，企业一共能拿多少")
    assert route.rule.id == APPRENTICE
    assert route.inputs["social_insurance_months"] == 0
    assert res.status == "not_eligible"
    assert res.result is None and res.formula is None
    unmet = [c for c in res.conditions if c.status == "not_met"]
    assert [c.id for c in unmet] == ["social_insurance_months"]
    assert "社会保险" in res.result_text
    assert unmet[0].remedy == "按规定缴纳厦门市社会保险费满1个月"


def test_done_when_dalian_studio_apprentices() -> None:
    route, res = answer("大连技能大师工作室带徒补贴，2个高级技师3个技师1个高级工，领办人能拿多少")
    assert route.rule.id == STUDIO
    assert res.result == 7500
    assert res.formula == "2×2000 + 3×1000 + 1×500"
    assert res.payee == "studio_leader"
    assert res.status == "conditional"  # 团队成员取得相应等级 is not said: asked, not assumed
    assert res.questions == [rule(STUDIO).conditions[0].question]


@pytest.mark.parametrize(
    ("question", "status", "result"),
    [
        ("大连竞赛补贴：3名员工进了市级竞赛决赛、1名进了省级竞赛决赛，企业能拿多少", "complete", D(6500)),
        ("大连急需紧缺技能人才薪酬补贴，我们引进了2名，12个月一共多少", "conditional", D(96000)),
        ("大连产教融合型企业投资200万兴办职业教育，能抵免多少教育费附加", "conditional", D(600000)),
        ("大连就业人员10万人，技能人才要达到40%需要多少技能人才", "complete", D(40000)),
        ("大连技能人才3万人，高技能人才需要多少", "complete", D(10000)),
        ("南通紧缺工种培训补贴标准2000元，再提高30%是多少", "conditional", D(2600)),
        ("我17岁，台湾居民，我的台湾证照能在厦门采认吗", "not_eligible", None),
    ],
)
def test_end_to_end_values(question: str, status: str, result: Decimal | None) -> None:
    _, res = answer(question)
    assert res.status == status
    assert res.result == result


def test_end_to_end_remaining_months() -> None:
    _, res = answer("大连急需紧缺技能人才，已经领了10个月，还能领多少")
    assert res.details["remaining_months"] == 26
    assert res.details["remaining_amount"] == "104000"


def test_end_to_end_nantong_is_flagged_as_draft() -> None:
    _, res = answer("南通紧缺工种培训补贴标准2000元，再提高30%是多少")
    assert res.citations[0].status == "draft"
    assert any("征求意见稿" in w for w in res.warnings)
