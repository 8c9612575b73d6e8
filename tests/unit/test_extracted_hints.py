"""Hints of extracted rules, derived from their own words (texts written for this test, not from the corpus).

A document without curated rules answers from its extracted provisions alone: the words users say for a
category (中专 for 中职（中级工）) and for a condition (社保 for 缴纳社会保险费) must come from the text and the
synonym table, and a sentence that lists two kinds of thing (基地, 工作室) with their own amounts must not
price one with the other's.
"""

from __future__ import annotations

from decimal import Decimal

from app.frame.read import read_question
from app.tools.accounting import _same_kind, plan, things_named
from app.tools.extracted import derived_cues, rule_from_provision
from app.tools.rules import Condition, Rule
from ingest.provisions import extract

D = Decimal

APPRENTICE = (
    "对完成岗前实训并通过技能测评、与本企业签订正式劳动合同并缴纳本市社会保险费3个月以上的学徒，"
    "按中职（中级工）2000元/人、高职（高级工）2500元/人的标准给予企业补贴。"
)
KINDS = (
    "对新认定的国家级、省级高技能人才培训基地分别给予100万元、50万元补助，对新认定的国家级、省级技能大师工作室"
    "分别给予20万元、10万元补助。每年新建市级职工创新工作室20家，给予每家2万元补助。"
)


def _rules(text: str) -> list[Rule]:
    return [r for p in extract(text, clause_id="d/一", doc_id="d") if (r := rule_from_provision(p, None)) is not None]


def _total(rule: Rule, question: str) -> Decimal | None:
    p = plan(read_question(question), rule, doc_city="")
    if not p.can_total:
        return None
    return sum((D(n) * rule.amount(cat).value for cat, n in p.inputs.items() if rule.amount(cat)), D(0))  # type: ignore[union-attr]


def _cond(cid: str, label: str) -> Condition:
    return Condition(id=cid, label=label, type="boolean", quote=label, question="?")


def test_a_category_is_named_by_the_words_of_its_other_level_and_the_synonym_table() -> None:
    (r,) = _rules(APPRENTICE)
    by_value = {a.value: a.category for a in r.amounts}
    assert "中专" in r.hints.aliases[by_value[D(2000)]]  # 中职 is the school level 中专/职高/技校
    assert "大专" in r.hints.aliases[by_value[D(2500)]]
    q = "招了6个中专的学徒，岗前实训都完成了，测评都过了，都签了正式劳动合同，社保交了4个月，企业补贴多少"
    assert _total(r, q) == D(6) * D(2000)


def test_a_conditions_cues_are_its_own_distinctive_words_and_what_users_say_for_them() -> None:
    cues = derived_cues(
        [
            _cond("c1", "与本企业签订正式劳动合同"),
            _cond("c2", "缴纳本市社会保险费"),
            _cond("c3", "完成企业岗前实训"),
            _cond("c4", "通过企业实训考核"),
        ]
    )
    assert {"劳动合同", "合同"} <= set(cues["c1"])
    assert {"社会保险", "社保"} <= set(cues["c2"])  # 社保 by the synonym table
    assert all("企业" not in ws for ws in cues.values())  # a word of no condition in particular
    assert "实训" not in cues.get("c3", []) + cues.get("c4", [])  # shared by two conditions: decides neither
    assert "考核" in cues["c4"]


def test_a_cue_decides_a_condition_no_concept_reads_and_a_negation_fails_it() -> None:
    (r,) = _rules(APPRENTICE)
    practice = next(c for c in r.conditions if "实训" in c.label)
    assert not practice.concept and "实训" in r.hints.cues[practice.id]
    base = "都是中专的学徒，测评都过了，都签了正式劳动合同，社保交了4个月，企业补贴多少"
    assert _total(r, "招了6个学徒，其中2个岗前实训还没完成，其余的实训都完成了，" + base) == D(4) * D(2000)
    # the part is left out for the condition its words are about, not another one
    p = plan(read_question("招了6个学徒，其中2个岗前实训还没完成，其余的实训都完成了，" + base), r, doc_city="")
    assert [g.verdicts[practice.id] for g in p.excluded] == ["not_met"]


def test_a_thing_is_its_noun_and_the_words_before_it() -> None:
    assert things_named("被评上了省级劳模创新工作室") == [("工作室", "创新")]
    assert things_named("十个技工院校毕业的实习生，都是中级工") == []  # the school says whose students
    assert things_named("我领办的工作室有5个人") == [("工作室", "")]


def test_a_sentence_naming_two_kinds_prices_each_only_with_its_own_amounts() -> None:
    rules = _rules(KINDS)
    assert len(rules) == 3
    base, studio, staff = rules
    for r in rules:
        assert _total(r, "我们被评为省级劳模创新工作室，能拿多少补助") is None
    assert _total(base, "今年新认定了2个省级技能大师工作室，补助多少") is None
    assert _total(studio, "今年新认定了2个省级技能大师工作室，补助多少") == D(2) * D(10)
    # the lone amount is the levelled thing named before it: its level and kind are checked
    assert staff.amounts[0].category == "市级职工创新工作室"
    assert _total(staff, "今年新建了3家市级职工创新工作室，补助多少") == D(3) * D(2)
    assert _total(staff, "今年新认定了2个省级技能大师工作室，补助多少") is None
    assert not _same_kind("2家市级劳模创新工作室", studio, studio.amounts[1])
