"""Classes of mechanism behind "what can we get?" misses, each pinned with wording of its own.

* who counts (团队成员) named in a group's own words tells members apart; nobody said to be one
  and no unit led leaves the condition asked, not met;
* one of alternatives (引进和培养的) is not a condition's concept of its own;
* a unit's name (高技能人才培训基地) is not said of anyone;
* the same sum given twice is one figure; the people counted saying the words users say for a
  condition (紧缺 … 目录) decide it; a raised standard is money in the one-off total;
* the golden translation keeps an applicant described over several rows as one person.
"""

from __future__ import annotations

from decimal import Decimal

from app.services import Services
from app.tools.entitlements import Entitlements, Entry, cued_words
from app.tools.profile import MoneyFigure, People, Profile, ProfileFact, Unit
from app.tools.rules import Condition, Rule
from evaluation.profiles import ExpectedMatch, ProfileExpect, ProfileItem, golden_profile


def _one(result: Entitlements, rule_id: str) -> Entry | None:
    return next((e for e in [*result.entries, *result.not_met] if e.rule_id == rule_id), None)


def test_members_named_in_their_own_words_are_told_apart(ingested: Services) -> None:
    profile = Profile(
        place="大连",
        entity="enterprise",
        people=[
            People(count=4, level="技师", facts=[ProfileFact(concept="新取得")]),
            People(count=1, level="技师", titles=["工作室团队成员"], facts=[ProfileFact(concept="新取得")], part_of=0),
        ],
        units=[Unit(kind="技能大师工作室", level="市级", new=True)],
    )
    e = _one(ingested.entitlements(profile), "dalian.studio-apprentice-subsidy")
    assert e is not None and e.status == "met"
    assert e.amount == Decimal(1000)  # the one member, not all four


def test_nobody_said_to_be_a_member_is_asked_not_met(ingested: Services) -> None:
    profile = Profile(
        place="大连",
        entity="enterprise",
        people=[People(count=2, level="高级技师", facts=[ProfileFact(concept="新取得")])],
    )
    result = ingested.entitlements(profile)
    e = _one(result, "dalian.studio-apprentice-subsidy")
    assert e is None or e.status != "met"
    assert e is None or e.amount is None
    training = _one(result, "dalian.technician-training-subsidy")
    assert training is not None and training.status == "met" and training.amount == Decimal(10000)
    assert result.summary.certain_one_off == Decimal(10000)


def test_a_leader_s_people_are_the_team(ingested: Services) -> None:
    profile = Profile(
        place="大连",
        entity="individual",
        people=[
            People(count=1, label="本人", is_self=True),
            People(count=2, level="高级技师", facts=[ProfileFact(concept="新取得")]),
        ],
        units=[Unit(kind="技能大师工作室", level="市级", leader=True)],
    )
    e = _one(ingested.entitlements(profile), "dalian.studio-apprentice-subsidy")
    assert e is not None and e.status == "met" and e.amount == Decimal(4000)


def test_one_of_alternatives_is_not_the_condition_s_concept() -> None:
    either = Condition(
        id="x", label="引进和培养的紧缺人才", type="boolean", quote="引进和培养的紧缺人才", question="？"
    )
    only = Condition(id="y", label="引进的紧缺人才", type="boolean", quote="引进的紧缺人才", question="？")
    assert either.concept == "" and only.concept == "引进"


def test_trained_here_not_introduced_still_gets_what_both_get(ingested: Services) -> None:
    profile = Profile(
        place="大连",
        entity="individual",
        elapsed_months=Decimal(30),
        people=[
            People(
                count=1,
                label="本人",
                is_self=True,
                titles=["重点产业急需紧缺技能人才"],
                facts=[ProfileFact(concept="引进", holds=False, text="本地培养的")],
            )
        ],
    )
    result = ingested.entitlements(profile)
    salary = _one(result, "dalian.emergency-talent-salary")
    assert salary is not None and salary.status == "met" and salary.amount == Decimal(4000)
    assert salary.span_total == Decimal(6 * 4000)  # 36 − 30 months left
    spouse = _one(result, "dalian.emergency-talent-spouse-employment")
    assert spouse is None or spouse.status == "not_met"  # only for the introduced


def test_a_unit_s_name_is_not_said_of_anyone(ingested: Services) -> None:
    profile = Profile(
        place="大连",
        entity="institution",
        units=[Unit(kind="高技能人才培训基地", level="国家级", new=True)],
    )
    result = ingested.entitlements(profile)
    hukou = _one(result, "dalian.skilled-talent-hukou")
    assert hukou is None or hukou.status != "met"
    base = _one(result, "dalian.training-base-construction-subsidy")
    assert base is not None and base.status == "met"


def test_a_sum_given_twice_and_the_list_said_of_the_people(ingested: Services) -> None:
    profile = Profile(
        place="南通",
        entity="enterprise",
        people=[People(count=12, titles=["钳工", "列在紧缺工种目录里"])],
        money=[
            MoneyFigure(label="补贴标准", value=Decimal(2000)),
            MoneyFigure(label="原标准每人", value=Decimal(2000)),
        ],
    )
    result = ingested.entitlements(profile)
    e = _one(result, "nantong.shortage-occupation-uplift")
    assert e is not None and e.status == "met" and e.amount == Decimal(31200)  # 12 × 2000 × 130%
    assert result.summary.certain_one_off == Decimal(31200)
    said_not = profile.model_copy(update={"people": [People(count=12, titles=["钳工", "不在紧缺工种目录里"])]})
    e2 = _one(ingested.entitlements(said_not), "nantong.shortage-occupation-uplift")
    assert e2 is None or (e2.status != "met" and e2.amount is None)


def test_cued_words_need_every_cue_and_read_a_negation(ingested: Services) -> None:
    rule: Rule = next(r for r in ingested.rules().rules if r.id == "nantong.shortage-occupation-uplift")
    cond = rule.conditions[0]
    assert cued_words(cond, rule, "电工，在紧缺工种目录内") == "met"
    assert cued_words(cond, rule, "电工，不在紧缺工种目录内") == "not_met"
    assert cued_words(cond, rule, "电工是紧缺工种") is None  # 目录 not said
    assert cued_words(cond, rule, "电工在不在紧缺目录里") is None
    assert cued_words(cond, rule, "电工在紧缺目录吗") is None


def test_the_applicant_over_several_rows_is_one_person() -> None:
    item = ProfileItem(
        id="t",
        question="",
        persona="citizen",
        place="大连",
        profile={
            "entity": "individual",
            "people": [
                {"count": 1, "role": "本人", "title": "大连工匠"},
                {"count": 1, "role": "本人", "level": "特级技师", "status": "经认定符合资助条件"},
                {"count": 2, "level": "技师", "role": "团队成员"},
            ],
        },
        expect=ProfileExpect(matches=[ExpectedMatch(clause="x")]),
    )
    profile = golden_profile(item)
    selfs = [p for p in profile.people if p.is_self]
    assert len(selfs) == 1 and selfs[0].level == "特级技师" and "大连工匠" in selfs[0].titles
    assert len(profile.people) == 2


def test_a_training_uplift_concerns_only_a_profile_that_trains(ingested: Services) -> None:
    holder = Profile(place="厦门", entity="individual", people=[People(label="本人", level="高级技师", is_self=True)])
    assert _one(ingested.entitlements(holder), "xiamen.shortage-occupation-subsidy-uplift") is None
    training = holder.model_copy(
        update={"people": [People(label="本人", level="高级技师", is_self=True, text="我是高级技师，报了一个培训班")]}
    )
    e = _one(ingested.entitlements(training), "xiamen.shortage-occupation-subsidy-uplift")
    assert e is not None and e.status == "met"


def test_a_reviewed_condition_said_in_a_users_cue(ingested: Services) -> None:
    def me(words: str) -> Profile:
        return Profile(place="厦门", entity="individual", people=[People(label="本人", is_self=True, text=words)])

    e = _one(ingested.entitlements(me("我参加厦门市级一类技能竞赛，拿了第一名")), "xiamen.competition-technical-expert")
    assert e is not None and e.status == "unknown"  # whether a 我市选手 is not said
    states = {c.label: c.status for c in e.conditions}
    assert states["取得第1名"] == "met" and states["市级一类竞赛"] == "met"
    e2 = _one(
        ingested.entitlements(me("参加了厦门市级一类技能竞赛，没拿到第一名")), "xiamen.competition-technical-expert"
    )
    assert e2 is None or e2.status == "not_met"


def test_no_home_said_with_wu_meets_a_condition_worded_negatively(ingested: Services) -> None:
    p = Profile(
        place="南通",
        entity="individual",
        people=[People(label="本人", level="技师", is_self=True, text="技工学校毕业生，技师")],
        facts_text="在南通无住房；参加企业职工养老保险",
    )
    e = _one(ingested.entitlements(p), "nantong.talent-apartment")
    assert e is not None and e.status == "met"
    owns = p.model_copy(update={"facts_text": "在南通有住房；参加企业职工养老保险"})
    e2 = _one(ingested.entitlements(owns), "nantong.talent-apartment")
    assert e2 is None or e2.status == "not_met"


def test_a_document_named_by_its_title_is_the_only_one_matched(ingested: Services) -> None:
    words = "我们是公办职业院校，开展有偿性社会培训、技术服务取得收入"
    anywhere = ingested.entitlements(Profile(entity="institution", said=words))
    assert {"xiamen-tasks", "nantong-draft"} <= {e.doc_id for e in anywhere.entries}
    named = ingested.entitlements(Profile(entity="institution", said="执行十九条措施。" + words))
    assert {e.doc_id for e in named.entries} <= {"unknown-zhou-measures"}


def test_a_graduate_now_working_in_the_city_reads_as_facts_not_people() -> None:
    from app.frame.read import read_question
    from app.tools.profile import profile_from_frame

    p = profile_from_frame(read_question("我是高级工班前年毕业的，目前在南通一家工厂上班，我能享受什么"))
    assert [q.label for q in p.people] == ["本人"]
    concepts = {f.concept for f in p.facts}
    assert {"毕业", "工作地"} <= concepts


def test_parts_picked_out_and_rests_keep_their_meaning_through_the_profile(ingested: Services) -> None:
    from app.frame.read import read_question
    from app.tools.profile import profile_from_frame

    picked = (
        "厦门，接收了9名毕业年度学生学徒：5名中职、4名高职，培训都完成了。实习考核通过的有7名"
        "（中职4名、高职3名），这7名都签了正式劳动合同，社保交了三个月。能拿哪些补贴"
    )
    rest = (
        "我们在厦门，接收了10名毕业年度学生学徒：7名中职、3名高职，都完成了培训、通过了实习考核、"
        "签了正式劳动合同。有1名高职的社保还没交，其余9名交了三个月。能拿哪些补贴"
    )
    for q, amount in ((picked, 4 * 3000 + 3 * 4000), (rest, 7 * 3000 + 2 * 4000)):
        p = profile_from_frame(read_question(q))
        e = _one(ingested.entitlements(p), "xiamen.student-apprenticeship")
        assert e is not None and e.status == "met" and e.amount == Decimal(amount), q


def test_a_person_described_by_their_employer_is_a_person() -> None:
    from app.frame.read import read_question
    from app.tools.profile import profile_from_frame

    assert profile_from_frame(read_question("我是大连一家船厂的技师，能享受什么")).entity == "individual"
    assert profile_from_frame(read_question("我们是大连一家船厂，有3个技师，能享受什么")).entity == "enterprise"
