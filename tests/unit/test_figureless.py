"""Benefits a clause states without a figure (对…的，可视同… / 给予…): extracted, listed, never priced.

The wording here is invented for these tests (an imaginary city, 青川); it is not from any
document of the corpus.
"""

from __future__ import annotations

from decimal import Decimal

from app.tools.engine import RuleEngine
from app.tools.entitlements import FIGURELESS, Entitlements, match
from app.tools.extracted import _benefit_rule, figureless_rules
from app.tools.profile import People, Profile, ProfileFact
from app.tools.rules import Catalogue, Rule
from ingest.provisions import benefits
from ingest.schema import Clause, DocumentMeta

DOC = DocumentMeta(id="qingchuan-test", title="青川市技能人才若干措施（测试）", city="青川", source="texts/x.txt")
DOCS = {DOC.id: DOC}
CLAUSE_ID = "qingchuan-test/三"
TEXT = (
    "三、优化人才服务。对缴纳本市社会保险6个月以上并落户本市的人员，可视同本地生源享受公租房申请资格。"
    "对新到本市就业的技工院校毕业生，给予就业见习岗位优先推荐。"
    "鼓励企业为技能人才提供住房支持。"
    "对获评市级首席技师的，给予每人5000元奖励。"
)


def _rules() -> list[Rule]:
    return [_benefit_rule(p, DOC) for p in benefits(TEXT, clause_id=CLAUSE_ID, doc_id=DOC.id)]


def _match(profile: Profile, rules: list[Rule] | None = None) -> Entitlements:
    rules = rules if rules is not None else _rules()
    return match(profile, rules, RuleEngine(Catalogue(rules, []), DOCS), DOCS)


def _self(*facts: ProfileFact) -> People:
    return People(count=1, label="本人", is_self=True, facts=list(facts))


def test_a_benefit_without_a_figure_is_a_provision_with_its_conditions() -> None:
    found = benefits(TEXT, clause_id=CLAUSE_ID, doc_id=DOC.id)
    by_subject = {p.subject: p for p in found}
    assert set(by_subject) == {"可视同本地生源享受公租房申请资格", "给予就业见习岗位优先推荐"}
    housing = by_subject["可视同本地生源享受公租房申请资格"]
    assert housing.kind == "benefit" and not housing.amounts
    labels = [c.text for c in housing.conditions]
    assert labels == ["缴纳本市社会保险6个月以上", "落户本市"]
    assert housing.conditions[0].type == "threshold" and housing.conditions[0].min == Decimal(6)
    # Every part is verbatim text of the clause.
    assert TEXT[housing.sentence.start : housing.sentence.end] == housing.sentence.text
    for c in housing.conditions:
        assert TEXT[c.span.start : c.span.end] == c.text


def test_no_condition_phrase_or_a_figure_gives_no_figureless_provision() -> None:
    # 鼓励企业…: a measure with no 对…的 saying who gets it; 5000元: a sum, left to the priced provisions.
    subjects = {p.subject for p in benefits(TEXT, clause_id=CLAUSE_ID, doc_id=DOC.id)}
    assert not any("住房支持" in s or "奖励" in s for s in subjects)
    assert benefits("鼓励各地对企业给予支持。", clause_id="x/一", doc_id="x") == []


def test_listed_met_with_no_amount_and_flagged_unreviewed() -> None:
    profile = Profile(place="青川", entity="individual", people=[_self()], social_insurance_months=8, hukou="local")
    result = _match(profile)
    entry = next(e for e in result.entries if e.outcome.startswith("可视同本地生源"))
    assert entry.status == "met"
    assert entry.amount is None and entry.amount_if_met is None and entry.formula is None
    assert entry.amount_text() == FIGURELESS
    assert entry.figureless and not entry.reviewed and not entry.money
    assert entry.quote in TEXT
    assert any("自动提取" in w and FIGURELESS in w for w in result.warnings)
    # Nothing figureless is ever in a total.
    assert result.summary.certain_one_off is None
    assert entry.title in result.summary.no_figure


def test_unmet_condition_is_not_listed_as_met() -> None:
    profile = Profile(place="青川", entity="individual", people=[_self()], social_insurance_months=3, hukou="local")
    result = _match(profile)
    assert not any(e.outcome.startswith("可视同本地生源") for e in result.entries if e.status == "met")
    failed = next(e for e in result.not_met if e.outcome.startswith("可视同本地生源"))
    assert [c.status for c in failed.conditions] == ["not_met", "met"]


def test_a_condition_not_stated_is_unknown_with_its_question() -> None:
    profile = Profile(place="青川", entity="individual", people=[_self()], social_insurance_months=12)
    entry = next(e for e in _match(profile).entries if e.outcome.startswith("可视同本地生源"))
    assert entry.status == "unknown"
    unknown = [c for c in entry.conditions if c.status == "unknown"]
    assert [c.label for c in unknown] == ["落户本市"] and unknown[0].question
    assert unknown[0].question in entry.questions


def test_a_concept_alone_does_not_meet_a_condition_that_asks_more() -> None:
    # Working in the city is the concept of 新到本市就业的技工院校毕业生, not all it asks.
    profile = Profile(
        place="青川",
        entity="individual",
        people=[_self(ProfileFact(concept="工作地", place="青川", text="在青川上班"))],
    )
    listed = [e for e in _match(profile).entries if e.outcome == "给予就业见习岗位优先推荐"]
    assert all(e.status != "met" for e in listed)
    said = Profile(
        place="青川",
        entity="individual",
        people=[_self(ProfileFact(concept="工作地", text="我是新到本市就业的技工院校毕业生"))],
    )
    met = [e for e in _match(said).entries if e.outcome == "给予就业见习岗位优先推荐"]
    assert met and met[0].status == "met" and met[0].amount is None


def test_a_benefit_a_rule_already_states_is_not_listed_twice() -> None:
    clause = Clause(
        clause_id=CLAUSE_ID,
        doc_id=DOC.id,
        kind="clause",
        path=("三",),
        heading_path=("三、优化人才服务",),
        title="优化人才服务",
        text=TEXT,
        start=0,
        end=len(TEXT),
        order=0,
    )
    rules = figureless_rules([clause], DOCS, [])
    assert {r.outcome for r in rules} == {"可视同本地生源享受公租房申请资格", "给予就业见习岗位优先推荐"}
    curated = rules[0].model_copy(update={"id": "qingchuan.housing", "reviewed": True, "figureless": False})
    again = figureless_rules([clause], DOCS, [curated])
    assert [r.outcome for r in again] == ["给予就业见习岗位优先推荐"]


def test_a_class_defined_by_a_level_is_judged_by_the_level_held() -> None:
    text = "对在本市企业工作的高技能人才，可享受人才驿站免费住宿。"
    rules = [_benefit_rule(p, DOC) for p in benefits(text, clause_id=CLAUSE_ID, doc_id=DOC.id)]
    assert [c.label for c in rules[0].conditions] == ["在本市企业工作", "高技能人才"]
    by_level = {}
    for level in ("中级工", "高级工", "高级技师"):
        profile = Profile(place="青川", entity="individual", people=[People(count=1, level=level, is_self=True)])
        entry = next(e for e in [*_match(profile, rules).entries, *_match(profile, rules).not_met])
        by_level[level] = next(c.status for c in entry.conditions if c.label == "高技能人才")
        assert entry.status != "met"  # working here is not said
    assert by_level == {"中级工": "not_met", "高级工": "met", "高级技师": "met"}


def test_an_enterprises_people_do_not_make_a_persons_class_met() -> None:
    text = "对在本市企业工作的高技能人才，可享受人才驿站免费住宿。"
    rules = [_benefit_rule(p, DOC) for p in benefits(text, clause_id=CLAUSE_ID, doc_id=DOC.id)]
    profile = Profile(place="青川", entity="enterprise", people=[People(count=4, level="高级技师")])
    result = _match(profile, rules)
    assert not any(c.status == "met" for e in [*result.entries, *result.not_met] for c in e.conditions)
