"""Periods, bases and caps of extracted provisions (texts and questions written for this test, not the corpus).

Which stated span is the period asked: a span the question gives for a fact a condition reads (the
contract's length against 签订2年以上劳动合同) is that condition's, so the other span prices the months or
years. A number goes to the concept of its own clause (合同签了3年，公积金…), never across a comma.
"""

from __future__ import annotations

from decimal import Decimal

from app.frame.read import read_question
from app.tools.accounting import plan
from app.tools.engine import RuleEngine
from app.tools.extracted import rule_from_provision
from app.tools.rules import Catalogue, Rule
from ingest.provisions import extract, with_provisions

D = Decimal

MONTHLY = (
    "对与区内企业签订2年以上劳动合同并连续缴纳社会保险满6个月的高级工、技师，"
    "分别给予每人每月800元、1100元安居补贴，保障期30个月。"
)
YEARLY = (
    "企业招用学徒并签订1年以上劳动合同的，按初级工每人每年2000元、中级工每人每年3000元的标准给予企业补贴，"
    "补贴期限最长不超过3年。"
)


def _rules(text: str) -> list[Rule]:
    return [r for p in extract(text, clause_id="d/一", doc_id="d") if (r := rule_from_provision(p, None)) is not None]


def _total(rule: Rule, question: str) -> Decimal | None:
    p = plan(read_question(question), rule, doc_city="")
    if not p.can_total:
        return None
    return RuleEngine(Catalogue([rule], []), {}).run(rule.id, p.inputs).result


def _money_rule(text: str) -> Rule:
    rules = [r for r in _rules(text) if r.amounts]
    assert len(rules) == 1, rules
    return rules[0]


def test_a_number_is_read_for_the_concept_of_its_own_clause() -> None:
    f = read_question("我是技师，合同签了5年，社保已经交了7个月，能领多少")
    values = {x.concept: x.value for x in f.facts}
    assert values["合同"] == D(60)
    assert values["社保"] == D(7)


def test_the_contract_span_is_the_conditions_and_the_other_span_the_period() -> None:
    r = _money_rule(MONTHLY)
    q = "我是技师，合同签了5年，社保连续交了7个月，如果在这干满20个月，安居补贴一共多少"
    assert _total(r, q) == D(1100) * 20


def test_the_period_asked_is_capped_by_the_stated_one_after_the_contract_is_set_apart() -> None:
    r = _money_rule(MONTHLY)
    q = "高级工，劳动合同签了四年，社保交了一年了，干满三年的话安居补贴总共能拿多少"
    assert _total(r, q) == D(800) * 30


def test_yearly_amounts_take_the_years_that_are_not_the_contracts() -> None:
    r = _money_rule(YEARLY)
    q = "我们招了4个初级工学徒，合同都签了五年，培训了两年，企业一共能拿多少"
    assert _total(r, q) == D(4) * 2000 * 2


def test_two_spans_neither_of_a_condition_still_give_no_total() -> None:
    r = _money_rule(MONTHLY)
    q = "我是技师，干了5个月，打算再干20个月，安居补贴一共多少"
    assert _total(r, q) is None


# --------------------------------------------------------------------------- a rate capped per person


RATE = "用人单位为技能导师发放指导津贴的，市财政按单位实际支付额的40%给予补贴，每名导师每月补贴不超过600元。"
RATE_PERIOD = "补贴期限按指导协议约定的期限计算，最长不超过18个月。"
FEE = "机构组织新进员工开展适岗培训的，按实际培训费用的60%给予机构补贴，每人最高不超过900元。"


def _rate_rule(text: str) -> Rule:
    rules = [r for r in _rules(text) if r.kind == "percentage"]
    assert len(rules) == 1, rules
    return rules[0]


def test_a_cap_per_person_after_a_rate_is_the_rates_limit_not_a_provision_of_its_own() -> None:
    provs = extract(RATE, clause_id="d/一", doc_id="d")
    assert len(provs) == 1
    (p,) = provs
    assert p.kind == "percentage" and p.rate == 40 and p.recurrence == "month"
    assert [(lim.kind, lim.value, lim.period) for lim in p.limits] == [("per_person", D(600), "month")]
    (fee,) = extract(FEE, clause_id="d/二", doc_id="d")
    assert [(lim.kind, lim.value, lim.period) for lim in fee.limits] == [("per_person", D(900), "")]
    assert fee.recurrence == "none"


def test_the_period_of_the_next_item_of_the_section_is_the_rates_period() -> None:
    from ingest.schema import Clause

    def clause(n: int, text: str) -> Clause:
        return Clause(
            clause_id=f"d/三/（二）/{n}",
            doc_id="d",
            kind="clause",
            path=("三", "（二）", str(n)),
            heading_path=("三、措施", "（二）导师津贴", f"{n}."),
            title="",
            text=text,
            start=0,
            end=len(text),
            order=n,
        )

    out = with_provisions([clause(1, "1. " + RATE), clause(2, "2. " + RATE_PERIOD)])
    (p,) = out[0].provisions
    assert p.period_months == 18
    assert out[1].provisions == []


def _rate_total(text: str, question: str, period: int | None = None) -> Decimal | None:
    r = _rate_rule(text)
    if period is not None:
        r = r.model_copy(update={"period_months": period})
    return _total(r, question)


def test_a_monthly_rate_is_capped_each_month_and_runs_the_months_asked_within_the_period() -> None:
    # 1000×40% = 400 ≤ 600, 10 months
    assert _rate_total(RATE, "我们每月给导师发1000元指导津贴，协议签了10个月，市里一共补多少", 18) == D(4000)
    # 2000×40% = 800 → 600 a month; 30 months → the 18 the text allows
    assert _rate_total(RATE, "单位每月给这位导师发2000元，协议签了两年半，总共补贴多少", 18) == D(600) * 18


def test_several_persons_count_only_when_the_base_is_each_ones() -> None:
    assert _rate_total(RATE, "我们每月给导师发1000元，三个导师，协议都签了一年，一共补多少", 18) == D(400) * 12 * 3
    # a sum for all of them is not each one's payment: no total
    assert _rate_total(RATE, "我们每月给三个导师一共发3000元，协议签了一年，一共补多少", 18) is None


def test_a_monthly_rate_without_the_months_gives_no_total() -> None:
    assert _rate_total(RATE, "我们每月给导师发1000元，市里一共补多少", 18) is None


def test_a_fee_rate_is_capped_per_person() -> None:
    assert _rate_total(FEE, "新进员工1个人，培训费1000元，机构能补多少") == D(600)
    assert _rate_total(FEE, "新进员工1个人，培训费2000元，机构能补多少") == D(900)


# --------------------------------------------------------------------------- a matching ratio


def test_a_matching_ratio_is_a_rate_on_the_base_the_text_names() -> None:
    (p,) = extract("获得省级技术能手称号的，在省级奖金基础上按1:0.8给予配套奖金。", clause_id="d/四", doc_id="d")
    assert p.kind == "percentage" and p.rate == 80 and p.base_label == "省级奖金"
    assert p.amounts[0].span.text == "1:0.8"
    (q,) = extract("对入选市级项目的，按1∶2给予区级配套资助。", clause_id="d/五", doc_id="d")
    assert q.rate == 200
    r = _rate_rule("获得省级技术能手称号的，在省级奖金基础上按1:0.8给予配套奖金。")
    assert _total(r, "我拿了省级技术能手，省里发了5000元奖金，配套奖金能拿多少") == D(4000)


def test_a_ratio_that_gives_nothing_is_not_a_rate() -> None:
    assert extract("师徒人数按1:3配备。", clause_id="d/六", doc_id="d") == []


# --------------------------------------------------------------------------- hours said for a condition


HOURS = "对组织新录用人员参加技能培训且培训时长不少于32学时的企业，按每人600元给予企业技能培训补贴。"


def test_hours_said_for_an_hours_condition_are_that_conditions_value() -> None:
    r = _money_rule(HOURS)
    assert any(c.unit == "学时" for c in r.conditions)
    assert _total(r, "我们企业新录用了12个人，都参加了40学时的技能培训，补贴能拿多少") == D(12) * 600
    assert _total(r, "我们企业新录用了12个人，都参加了20学时的技能培训，补贴能拿多少") is None


# --------------------------------------------------------------------------- a difference topped up


TOP_UP = (
    "对新认定的国家级、省级、市级高技能人才培训基地，分别给予一次性建设经费60万元、30万元、10万元；"
    "已享受建设经费的基地晋升等级的，按差额补足。"
)


def test_a_top_up_on_promotion_is_part_of_the_levelled_provision() -> None:
    (p,) = [q for q in extract(TOP_UP, clause_id="d/七", doc_id="d") if q.amounts]
    assert p.top_up == "已享受建设经费的基地晋升等级的，按差额补足"
    assert not extract("对新认定的省级基地给予30万元；晋升的另行研究。", clause_id="d/八", doc_id="d")[0].top_up


def test_the_higher_levels_amount_less_what_was_received() -> None:
    r = _money_rule(TOP_UP)
    assert _total(r, "我们的市级培训基地前年领过10万元建设经费，今年晋升为国家级了，还能补多少") == D(500000)


def test_without_what_was_received_or_with_a_count_there_is_no_total() -> None:
    r = _money_rule(TOP_UP)
    assert _total(r, "我们的市级培训基地今年晋升为省级了，还能补多少") is None
    assert _total(r, "我们有3个省级基地，以前拿过10万，还能补多少") is None
