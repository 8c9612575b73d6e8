"""What a provision implies or leaves to an area below the city, each mechanism pinned with wording of its own.

* a condition on an area below the city (本辖区内用人单位) is not settled by working in the city: it stays
  asked, and the fact of its concept still makes the provision the profile's concern; a district named settles it;
* conditions a benefit implies (``implied_conditions``): whether a Taiwan resident may sit a public-institution
  recruitment at all, and that 落户 concerns someone not yet registered there — asked, answered, or decided by
  the profile's household registration;
* a figure no one is paid (a bank's credit line) is listed with its figure and never enters a sum;
* a title among an enumeration's options named as held (获得了江苏工匠称号) meets it;
* the school one graduated from is said of oneself; a later household-registration statement with a place decides;
* a word for any provision's figure (补贴标准) does not name one provision; a structured fact marked unsaid is left out.
"""

from __future__ import annotations

from decimal import Decimal

from app.answer.entitlements_text import names_one_benefit
from app.frame.read import read_question
from app.services import Services
from app.tools.entitlements import Entitlements, Entry, implied_conditions
from app.tools.profile import People, Profile, ProfileFact, Unit, profile_from_frame
from app.tools.rules import Condition, settles_area
from evaluation.profiles import ProfileExpect, ProfileItem, golden_profile


def _one(result: Entitlements, rule_id: str) -> Entry | None:
    return next((e for e in [*result.entries, *result.not_met] if e.rule_id == rule_id), None)


def _state(e: Entry, cond_id: str) -> str:
    return next(c.status for c in e.conditions if c.id == cond_id)


def _rule(services: Services, rule_id: str):  # type: ignore[no-untyped-def]
    return next(r for r in services.entitlement_rules().rules if r.id == rule_id)


def test_a_condition_below_the_city_needs_an_area_named() -> None:
    cond = Condition(
        id="x", label="与本辖区内企业签订劳动合同", type="boolean", quote="与本辖区内企业签订劳动合同", question="？"
    )
    plain = Condition(id="y", label="在本市就业", type="boolean", quote="在本市就业", question="？")
    assert cond.area_bound and not plain.area_bound
    assert not settles_area(cond, "在宁波上班")
    assert settles_area(cond, "在海曙区一家公司上班")
    assert not settles_area(cond, "在园区上班") and not settles_area(cond, "台湾地区居民")
    assert settles_area(plain, "在宁波上班")


def _worker(place_words: str, level: str = "技师") -> Profile:
    return Profile(
        place="厦门",
        entity="individual",
        people=[People(count=1, label="本人", is_self=True, level=level)],
        facts=[ProfileFact(concept="工作地", place="厦门", text=place_words)],
    )


def test_working_in_the_city_leaves_the_district_asked(ingested: Services) -> None:
    e = _one(ingested.entitlements(_worker("现在在厦门上班")), "xiamen.district-employment-subsidy")
    assert e is not None and e.status == "unknown"
    assert _state(e, "labour_relation_in_district") == "unknown"
    assert any("区" in q for q in e.questions)
    named = _one(ingested.entitlements(_worker("在思明区的公司上班")), "xiamen.district-employment-subsidy")
    assert named is not None and named.status == "met"


def test_the_fact_of_a_condition_s_concept_speaks_to_it(ingested: Services) -> None:
    # No level said: the class condition is unknown, the district one is spoken to by working in the city.
    e = _one(ingested.entitlements(_worker("来厦门工作两年了", level="")), "xiamen.district-employment-subsidy")
    assert e is not None and e.status == "unknown"
    nothing = Profile(place="厦门", entity="individual", people=[People(count=1, label="本人", is_self=True)])
    assert _one(ingested.entitlements(nothing), "xiamen.district-employment-subsidy") is None


def _graduate(*, taiwan: bool, answers: dict[str, object] | None = None) -> Profile:
    facts = [
        ProfileFact(concept="毕业", text="从技工院校预备技师班毕业"),
        ProfileFact(concept="证书", text="有技师证书"),
    ]
    if taiwan:
        facts.append(ProfileFact(concept="台湾居民", text="台湾居民"))
    return Profile(
        place="厦门",
        entity="individual",
        people=[
            People(
                count=1, label="本人", is_self=True, level="技师", titles=["技工院校全日制预备技师班毕业"], facts=facts
            )
        ],
        answers=answers or {},
    )


def test_a_taiwan_resident_is_asked_whether_they_may_sit_the_recruitment(ingested: Services) -> None:
    rule_id = "xiamen.technical-school-education-recruitment"
    local = _one(ingested.entitlements(_graduate(taiwan=False)), rule_id)
    assert local is not None and local.status == "met"
    assert all(c.id != "may_take_part" for c in local.conditions)
    asked = _one(ingested.entitlements(_graduate(taiwan=True)), rule_id)
    assert asked is not None and asked.status == "unknown"
    assert _state(asked, "may_take_part") == "unknown"
    assert any("台湾居民" in q and "事业单位" in q for q in asked.questions)
    answered = _one(ingested.entitlements(_graduate(taiwan=True, answers={f"{rule_id}:may_take_part": True})), rule_id)
    assert answered is not None and answered.status == "met"


def test_settling_concerns_someone_not_yet_registered(ingested: Services) -> None:
    rule = _rule(ingested, "dalian.skilled-talent-hukou")
    assert [c.id for c, _ in implied_conditions(rule, "大连")] == ["not_yet_settled"]
    # A provision that states its own household-registration condition implies none.
    assert implied_conditions(_rule(ingested, "xiamen.preparatory-technician-living-subsidy"), "厦门") == []

    def judged(hukou: str | None) -> Entry | None:
        profile = Profile(
            place="大连",
            entity="individual",
            people=[People(count=1, label="本人", is_self=True, level="高级技师")],
            hukou=hukou,  # type: ignore[arg-type]
        )
        return _one(ingested.entitlements(profile), "dalian.skilled-talent-hukou")

    unknown, elsewhere, local = judged(None), judged("elsewhere"), judged("local")
    assert unknown is not None and unknown.status == "unknown"
    assert any("户口" in q for q in unknown.questions)
    assert elsewhere is not None and elsewhere.status == "met"
    assert local is not None and local.status == "not_met"


def test_a_credit_line_is_listed_with_its_figure_and_never_summed(ingested: Services) -> None:
    profile = Profile(
        place="南通",
        entity="enterprise",
        people=[People(count=5, level="技师", facts=[ProfileFact(concept="新取得")])],
        units=[Unit(kind="技能大师工作室", level="市级", leader=True)],
    )
    result = ingested.entitlements(profile)
    e = _one(result, "nantong.credit-line")
    assert e is not None and e.status == "met" and not e.money
    assert e.amount is None and "150" in e.not_paid and "授信" in e.not_paid
    assert e.title in result.summary.not_paid and e.title not in result.summary.no_figure
    assert "不计入合计" in result.summary.text
    row = next(r for r in result.rows() if r["政策"] == e.title)
    assert "150" in row["金额"] and "不计入合计" in row["金额"] and row["性质"] == ""
    paid = sum((x.amount or Decimal(0)) for x in result.entries if x.status == "met" and x.money and not x.recurring)
    assert result.summary.certain_one_off == (paid if paid else None)
    assert "技能大师工作室" not in "".join(result.summary.unplaced)  # the studio is what its leader's line is for


def test_a_title_named_as_held_meets_an_enumeration(ingested: Services) -> None:
    held = profile_from_frame(read_question("我们是南通一家机械公司，车间主任前年获得了江苏工匠称号，能享受哪些？"))
    e = _one(ingested.entitlements(held), "nantong.credit-line")
    assert e is not None and e.status == "met"
    not_yet = profile_from_frame(read_question("我们是南通一家机械公司，车间主任还没评上江苏工匠，能享受哪些？"))
    e = _one(ingested.entitlements(not_yet), "nantong.credit-line")
    assert e is None or e.status != "met"


def test_the_school_one_graduated_from_is_said_of_oneself() -> None:
    p = profile_from_frame(read_question("我前年从泉州一所技工学校的高级工班毕业，现在在泉州上班"))
    me = next(q for q in p.people if q.is_self)
    assert "高级工班" in me.words()
    assert any(f.concept == "毕业" for f in [*p.facts, *me.facts])


def test_a_later_registration_statement_with_a_place_decides() -> None:
    p = profile_from_frame(read_question("我的户口还在，一直没有落户厦门，在厦门工作三年了"))
    assert p.hukou == "elsewhere"


def test_a_word_for_any_figure_does_not_name_one_provision(ingested: Services) -> None:
    rules = ingested.entitlement_rules().rules
    assert not names_one_benefit("我们原来的补贴标准是每人1200元，还能享受哪些", rules)


def test_a_structured_fact_marked_unsaid_is_left_out() -> None:
    item = ProfileItem(
        id="t",
        question="？",
        persona="citizen",
        place="厦门",
        profile={"entity": "individual", "facts": ["是否持有相应证书：未说", "已在本市工作"]},
        expect=ProfileExpect(),
    )
    p = golden_profile(item)
    assert "证书" not in p.facts_text and "已在本市工作" in p.facts_text


def test_categories_that_are_units_price_units_not_people(ingested: Services) -> None:
    from app.tools.entitlements import match, per_unit

    studio = _rule(ingested, "dalian.master-studio-construction-subsidy")
    unsaid = studio.model_copy(update={"unit": "万元", "payee": "none"})  # neither unit nor payee says 每家
    assert per_unit(studio) and per_unit(unsaid)
    per_person = _rule(ingested, "dalian.technician-training-subsidy")
    assert not per_unit(per_person)
    profile = Profile(place="大连", entity="enterprise", people=[People(count=2, titles=["市级比赛决赛选手"])])
    docs = {d.id: d for d in ingested.retriever.documents()}
    result = match(profile, [unsaid], ingested.engine, docs)
    assert all(e.amount is None for e in result.entries)  # two contestants are not two studios


def test_the_person_a_self_s_phrase_ends_in_is_the_asker_s_level() -> None:
    p = profile_from_frame(read_question("我是宁波一家电机厂的高级工，可以申请什么？"))
    me = next(q for q in p.people if q.is_self)
    assert p.entity == "individual" and me.level == "高级工" and "高级工" in me.words()
    told = profile_from_frame(read_question("我是在泉州丰泽区一家鞋厂做工的技师，有哪些待遇？"))
    me = next(q for q in told.people if q.is_self)
    assert me.level == "技师"


def test_working_in_a_district_of_the_city_asked_about_is_not_elsewhere() -> None:
    f = read_question("我在厦门集美区一家电子公司上班，社保交了一年")
    work = [x for g in f.groups for x in g.qualifiers if x.concept == "工作地"] + [
        x for x in f.facts if x.concept == "工作地"
    ]
    assert work and not any(w.elsewhere for w in work)


def test_a_company_whose_name_ends_like_a_subsidiary_is_not_one() -> None:
    from app.frame.read import says_elsewhere

    assert not says_elsewhere("在一家电子公司上班")
    assert says_elsewhere("合同签在了子公司") and says_elsewhere("人在外地")
