"""Reading the applicant's profile from a question, each mechanism pinned with wording of its own.

* 新/刚 before a verb of obtaining, or a verb of obtaining right before a skill level, is newly obtaining;
* 上述N人中有M个 / 这N个人里 takes a part of the earlier group of N, not a new group;
* a unit's own 新建 is the unit's word, and who the part is (团队成员) does not single it out for
  provisions that do not read it;
* a part's own fact of a concept overrides the one said of its whole;
* a short place name read across other words (上高 in 评上高级) is not a place;
* a condition of being on a published list is met only by words about the list.
"""

from __future__ import annotations

from decimal import Decimal

from app.frame.read import read_question
from app.services import Services
from app.tools.accounting import on_a_list
from app.tools.entitlements import Entitlements, Entry
from app.tools.profile import profile_from_frame
from ingest.vocab import vocabulary


def _one(result: Entitlements, rule_id: str) -> Entry | None:
    return next((e for e in [*result.entries, *result.not_met] if e.rule_id == rule_id), None)


def _concepts(text: str) -> list[tuple[str, str]]:
    return [(c.name, text[s:e]) for s, e, c, _ in vocabulary().concepts_in(text)]


def test_a_lead_and_a_verb_of_obtaining_is_newly_obtaining() -> None:
    assert ("新取得", "刚考下") in _concepts("车间里两名焊工刚考下高级工")
    assert ("新取得", "新评上") in _concepts("我们有一位师傅新评上技师")
    # A verb of obtaining right before a skill level is obtaining that level …
    assert ("新取得", "拿到") in _concepts("有两个徒弟拿到中级工了")
    # … but not before anything else (a prize, money), and 评上 a title stays 认定.
    assert not any(c == "新取得" for c, _ in _concepts("去年比赛拿到第二名"))
    assert not any(c == "新取得" for c, _ in _concepts("这样能拿到多少钱"))
    assert ("认定", "评上") in _concepts("他评上了市级劳模")


def test_each_group_said_with_a_verb_of_obtaining_holds_it() -> None:
    frame = read_question("车间有2个人考下了技师、4个考下了高级工，有什么补贴")
    said = [[q.concept for q in g.qualifiers] for g in frame.groups]
    assert said == [["新取得"], ["新取得"]]


def test_a_count_naming_an_earlier_group_again_takes_a_part_of_it(ingested: Services) -> None:
    q = "大连一家机械企业，今年有5名职工刚拿到技师证，上述5人中有1个是我们市级技能大师工作室的团队成员，能享受哪些补贴"
    frame = read_question(q)
    assert [g.count for g in frame.groups if g.count is not None and g.count > 1] == [5]  # no second group of 5
    part = next(g for g in frame.groups if g.count == 1 and g.parent is not None)
    assert frame.groups[part.parent].count == 5
    result = ingested.entitlements(profile_from_frame(frame))
    e = _one(result, "dalian.technician-training-subsidy")
    # The member is one of the five: 5 × 3500, not 6 × 3500, and being a member does not make it unknown.
    assert e is not None and e.status == "met" and e.amount == Decimal(5) * Decimal(3500)


def test_a_unit_s_new_word_is_the_unit_s(ingested: Services) -> None:
    q = "大连的企业，7个员工新拿到技师证，这7个人里有3个是我们新建的市级技能大师工作室的团队成员，能享受哪些"
    profile = profile_from_frame(read_question(q))
    assert profile.units and profile.units[0].new is True
    assert all(f.concept != "新增" for p in profile.people for f in p.facts)
    e = _one(ingested.entitlements(profile), "dalian.studio-apprentice-subsidy")
    assert e is not None and e.status == "met" and e.amount == Decimal(3) * Decimal(1000)


def test_a_part_s_own_fact_overrides_the_whole_s(ingested: Services) -> None:
    q = "大连，6个员工拿了技师，其中2个其实早就取得了只是换证，能享受哪些补贴"
    e = _one(ingested.entitlements(profile_from_frame(read_question(q))), "dalian.technician-training-subsidy")
    assert e is not None and e.amount == Decimal(4) * Decimal(3500)


def test_a_short_place_name_across_other_words_is_not_a_place() -> None:
    assert [p.name for p in read_question("我们厂有人评上高级技师，在南通").places] == ["南通"]
    assert [p.name for p in read_question("新建的市级工作室在大连").places] == ["大连"]
    assert [p.name for p in read_question("我在上高县上班").places] == ["上高县"]  # said in full, it is one


def test_being_on_a_list_is_not_having_the_thing(ingested: Services) -> None:
    assert on_a_list("持有目录清单内的证书") and on_a_list("属于《紧缺工种目录》中的工种")
    assert not on_a_list("持有职业资格证书")
    rule = "xiamen.taiwan-credential-recognition"
    base = "我是台湾居民，今年31岁，在厦门上班，做汽修技术工作，"

    def on_list(words: str) -> tuple[str, str]:
        e = _one(ingested.entitlements(profile_from_frame(read_question(base + words))), rule)
        assert e is not None
        cond = next(c for c in e.conditions if c.id == "certificate_on_list")
        return cond.status, e.status

    held = _one(
        ingested.entitlements(profile_from_frame(read_question(base + "持有台湾的丙级技术士证照，有什么政策？"))), rule
    )
    assert held is not None and held.status == "unknown"
    assert any("清单" in q for q in held.questions)
    assert on_list("我的证照在厦门公布的采认清单里，有什么政策？")[0] == "met"
    assert on_list("我的证照不在采认清单内，有什么政策？") == ("not_met", "not_met")


def test_a_fact_in_the_words_before_a_count_is_that_group_s() -> None:
    frame = read_question("大连，7个技师，其中2个是多年前取得的，刚拿到高级技师证的3位，能拿多少")
    last = frame.groups[-1]
    assert last.count == 3 and [(q.concept, q.negated) for q in last.qualifiers] == [("新取得", False)]
    part = next(g for g in frame.groups if g.count == 2)
    assert [q.negated for q in part.qualifiers if q.concept == "新取得"] == [True]


def test_a_passive_or_jing_says_it_happened(ingested: Services) -> None:
    profile = profile_from_frame(
        read_question("我前年从沈阳被引进到大连，经认定属于“高端人才”，今年34岁，能拿到哪些钱？")
    )
    assert any(f.concept == "认定" and f.holds for f in profile.facts)
    e = _one(ingested.entitlements(profile), "dalian.settling-in-allowance")
    assert e is not None and e.status == "met"


def test_the_level_now_is_the_one_become(ingested: Services) -> None:
    q = "我们大连的公司里有一名老高级技师被认定为首席技师，说是符合资助条件，企业能享受哪些"
    result = ingested.entitlements(profile_from_frame(read_question(q)))
    grant = _one(result, "dalian.principal-technician-work-grant")
    assert grant is not None and grant.status == "met" and grant.amount == Decimal(80000)
    training = _one(result, "dalian.technician-training-subsidy")
    assert training is None or training.amount is None  # not a 高级技师 newly obtained


def test_a_list_question_in_other_words() -> None:
    for q in (
        "我们车间的情况就是这样，能拿点啥？",
        "我是厦门的技师，可以得到什么？",
        "南通对我有什么落户方面的政策",
        "学徒补贴我们能领吗？还有别的吗？",
    ):
        assert read_question(q).intent == "entitlements", q
    for q in ("要准备什么材料才能申请补贴？", "补贴什么时候到账？", "还有其他要求吗？"):
        assert read_question(q).intent != "entitlements", q


def test_a_clause_about_a_group_by_its_name_is_that_group_s(ingested: Services) -> None:
    q = "南通的一家企业，安排12个钳工参加补贴性培训，钳工在紧缺工种目录里，原补贴标准每人2000元，能享受哪些"
    frame = read_question(q)
    fitters = next(g for g in frame.groups if g.count == 12)
    assert "目录" in fitters.text
    e = _one(ingested.entitlements(profile_from_frame(frame)), "nantong.shortage-occupation-uplift")
    assert e is not None and e.status == "met" and e.amount == Decimal(12) * Decimal(2000) * Decimal("1.3")


def test_the_applicant_s_own_name_says_what_restricts() -> None:
    public = profile_from_frame(read_question("我们是一所公立技师学院，技术服务收入80万，能提多少？"))
    assert public.entity == "institution"
    assert [(f.concept, f.holds) for f in public.facts if f.concept == "公办"] == [("公办", True)]
    private = profile_from_frame(read_question("我们是一所民办职业学校，培训收入50万，有什么政策？"))
    assert [(f.concept, f.holds) for f in private.facts if f.concept == "公办"] == [("公办", False)]


def test_an_organisation_s_own_statement_meets_a_condition_in_its_words(ingested: Services) -> None:
    q = "大连一家企业，已纳入产教融合型企业建设培育范围，去年兴办职业教育投资一百万，都是符合条件的投资，能享受哪些？"
    profile = profile_from_frame(read_question(q))
    assert "符合条件的投资" in profile.said and "能享受哪些" not in profile.said  # the question states nothing
    e = _one(ingested.entitlements(profile), "dalian.industry-education-investment-credit")
    assert e is not None and e.status == "met"
    asked = profile_from_frame(
        read_question("大连一家企业，已纳入产教融合型企业建设培育范围，投资一百万，是符合条件的投资吗？")
    )
    e = _one(ingested.entitlements(asked), "dalian.industry-education-investment-credit")
    assert e is not None and e.status != "met"


def test_a_competition_named_by_its_place_kind_is_of_that_level() -> None:
    levels = {(lv.ladder, lv.level) for _, _, lv in vocabulary().levels_in("他参加了沈阳市职业技能大赛")}
    assert ("admin", "市级") in levels
    assert ("admin", "省级") in {(lv.ladder, lv.level) for _, _, lv in vocabulary().levels_in("辽宁省技能竞赛")}


def test_more_people_are_not_the_rest_of_fewer() -> None:
    frame = read_question("大连，我们有一个徒弟进了市赛决赛，另外三个也参加了，能拿多少")
    three = next(g for g in frame.groups if g.count == 3)
    assert three.parent is None and not three.complement


def test_each_part_s_words_are_its_own_and_a_part_is_of_its_sentence(ingested: Services) -> None:
    q = "大连的企业，1个职工进了全国技能大赛决赛；另外5个参加了大连市职业技能大赛，其中2个进了决赛、3个没进，能享受哪些"
    frame = read_question(q)
    two = next(g for g in frame.groups if g.count == 2)
    assert [(q.concept, q.negated) for q in two.qualifiers] == [("决赛", False)]
    assert frame.groups[two.parent].count == 5
    three = next(g for g in frame.groups if g.count == 3)
    assert frame.groups[three.parent].count == 5
    e = _one(ingested.entitlements(profile_from_frame(frame)), "dalian.competition-subsidy")
    assert e is not None and e.status == "met"
    assert e.amount == Decimal(5000) + 2 * Decimal(1500)  # 国家级 1 × 5000 + 市级 2 × 1500


def test_what_the_user_does_not_know_is_unknown_not_negated() -> None:
    profile = profile_from_frame(
        read_question("厦门一家企业，3个高职学徒签了劳动合同，实习考核过没过我还不清楚，能有什么补贴？")
    )
    assessed = [f for f in profile.facts if f.concept == "考核"]
    assert assessed and all(f.holds is None for f in assessed)
    negated = profile_from_frame(read_question("厦门一家企业，3个高职学徒签了劳动合同，实习考核没通过，能有什么补贴？"))
    said = [f for p in negated.people for f in p.facts if f.concept == "考核"] + [
        f for f in negated.facts if f.concept == "考核"
    ]
    assert said and all(f.holds is False for f in said)


def test_buying_a_home_and_a_past_event_are_facts() -> None:
    assert ("购房", "购置了一套住房") in _concepts("去年在南通购置了一套住房")
    profile = profile_from_frame(read_question("我前年从苏州一所技师学院毕业，现在在南通上班，有什么政策？"))
    assert any(f.concept == "毕业" and f.holds for f in profile.facts)


def test_a_level_naming_a_school_or_class_is_not_a_level_held() -> None:
    held = [lv.level for _, _, lv in vocabulary().levels_held("她是高级工班毕业的，现在是技师，在技师学院当老师")]
    assert held == ["技师"]


def test_one_thing_named_after_what_is_not_a_list_question() -> None:
    from app.frame.read import read_question

    assert read_question("南通省赛拿了一等奖，能得到什么荣誉称号？").intent != "entitlements"
    assert read_question("考过了能认定什么等级").intent != "entitlements"
    assert read_question("我是南通的高级技师，能享受什么待遇？").intent == "entitlements"


def test_a_negated_noun_alone_is_not_read_as_held() -> None:
    from app.tools.profile import facts_from_text

    said = {(f.concept, f.holds) for f in facts_from_text("证书非新取得")}
    assert ("新取得", True) not in said
    held = {(f.concept, f.holds) for f in facts_from_text("我30岁，台湾人，在厦门上班")}
    assert ("台湾居民", True) in held
