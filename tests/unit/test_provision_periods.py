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
from ingest.provisions import extract

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
