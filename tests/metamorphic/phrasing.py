"""How people ask about each quantified curated rule: the generator's own words.

Written for the metamorphic suite from Chinese as employers, workers and
hotline staff say it — not taken from the reader's word lists
(``app/resources``, ``ingest/resources``) or from the rules' routing hints.
Only the category names themselves come from the documents (a user has to
name the category somehow); everything around them — the measure words, the
subjects and verbs, the negations of each condition, the distractors — is
written here.

A ``RuleWords`` entry names its rule and gives

* ``topics``: what the user calls the provision (used once per question);
* ``categories``: for each category key of the rule, the labels a user writes;
* ``conditions``: for each condition id of the rule, phrases that say it holds
  (``yes``, written to follow 大家/他们/其他的) and phrases that say it fails
  (``no``, written to follow 其中3个);
* ``unlisted``: categories on the same ladder (or of the same kind) that the
  rule does not list — a group in one of them means no total;
* ``noun``: the people or units counted, for the ambiguous counts;
* ``units``: True when the rule counts organisations (家/个), not people.

Percentage and target rules (``BaseWords``) give how the user states the base
(and a deduction) and how they ask.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Said:
    yes: tuple[str, ...]
    no: tuple[str, ...]


@dataclass(frozen=True)
class RuleWords:
    rule_id: str
    city: str
    topics: tuple[str, ...]
    categories: dict[str, tuple[str, ...]]
    conditions: dict[str, Said]
    noun: str
    leads: tuple[str, ...] = ("有",)
    unlisted: tuple[str, ...] = ()
    units: bool = False
    # Extra ways to write a group: {c} is the count with its measure word, {label} the category's
    # first (bare) label.
    after: tuple[str, ...] = ()
    before: tuple[str, ...] = ()
    asks: tuple[str, ...] = ()  # how the total is asked for, when not the usual 一共能拿多少
    # False where the category itself says the condition holds (a 大连工匠 has been selected):
    # 其中2个落选了 would contradict the group, so no part of it is excluded.
    excludable: bool = True


@dataclass(frozen=True)
class BaseWords:
    rule_id: str
    city: str
    topics: tuple[str, ...]
    bases: tuple[str, ...]  # {x}: the base as the user writes it
    asks: tuple[str, ...]
    people: bool = False  # the base is a head count (targets), not money
    deductions: tuple[str, ...] = ()  # {y}: what is taken off first
    counts: tuple[str, ...] = ()  # {c}: how many people get the raised standard
    low: int = 1000
    high: int = 2_000_000


TIERS = ("领军人才", "高端人才", "青年才俊")

MONEY_RULES: tuple[RuleWords, ...] = (
    RuleWords(
        rule_id="xiamen.student-apprenticeship",
        city="厦门",
        topics=("学生学徒制补贴", "毕业年度学生学徒制的企业补贴", "招学徒的企业补贴", "学徒制培训给企业的补贴"),
        categories={
            "中职": ("中职学徒", "中职生", "中专生", "中职的学生", "中职"),
            "高职": ("高职学徒", "高职生", "大专生", "高职的学生", "高职"),
        },
        conditions={
            "training_completed": Said(
                yes=("都完成了培训", "培训都结业了", "培训都顺利完成了"),
                no=("培训没完成", "培训还没结束", "培训中途退出了"),
            ),
            "internship_assessment_passed": Said(
                yes=("企业实习考核都通过了", "实习考核都过了"),
                no=("没通过企业实习考核", "实习考核没过", "实习考核不合格"),
            ),
            "formal_contract": Said(
                yes=("都跟我们公司签了正式劳动合同", "劳动合同都签了"),
                no=("合同签在了子公司", "劳动合同是跟劳务派遣公司签的", "还没签劳动合同", "签的是实习协议不是劳动合同"),
            ),
            "social_insurance_months": Said(
                yes=("社保都在厦门交了", "都交了两个月社保", "厦门社保都交满一个月了"),
                no=("社保还没交", "社保是在泉州交的", "社保一直在老家交", "社保还没开始缴"),
            ),
        },
        noun="学徒",
        leads=("今年招了", "我们接收了", "厂里有"),
        unlisted=("本科生", "研究生"),
    ),
    RuleWords(
        rule_id="dalian.studio-apprentice-subsidy",
        city="大连",
        topics=("技能大师工作室带徒补贴", "领办人带徒补贴", "大师工作室师带徒的补贴"),
        categories={
            "高级技师": ("高级技师", "高级技师徒弟"),
            "技师": ("技师", "技师徒弟"),
            "高级工": ("高级工", "高级工徒弟"),
        },
        conditions={
            "member_obtained_level": Said(
                yes=("都拿到等级证书了", "证书都已经下来了"),
                no=("等级证书还没拿到", "鉴定还没通过", "证还没下来"),
            )
        },
        noun="徒弟",
        leads=("工作室带出了", "团队里有"),
        unlisted=("中级工", "初级工", "特级技师"),
        after=("{c}徒弟考上了{label}",),
        before=("拿到{label}证的有{c}",),
    ),
    RuleWords(
        rule_id="dalian.technician-training-subsidy",
        city="大连",
        topics=("技师培训补贴", "新取得技师等级的培训补贴", "考技师的补贴"),
        categories={
            "技师": ("技师", "新取得技师的职工"),
            "高级技师": ("高级技师", "新取得高级技师的职工"),
        },
        conditions={
            "newly_obtained_level": Said(
                yes=("都是今年新取得的", "都是刚考下来的"),
                no=("是好几年前就拿的证", "证书是以前取得的", "还没考下来"),
            )
        },
        noun="职工",
        leads=("今年单位里", "我们公司"),
        unlisted=("高级工", "中级工", "特级技师"),
        after=("{c}职工新取得了{label}等级", "{c}员工刚考下{label}证"),
        before=("新拿到{label}证的{c}",),
    ),
    RuleWords(
        rule_id="dalian.competition-subsidy",
        city="大连",
        topics=("职业技能竞赛补贴", "技能竞赛的补贴", "比赛进决赛给单位的补贴"),
        categories={
            "市级": ("市级竞赛选手", "市赛选手"),
            "省级": ("省级竞赛选手", "省赛选手"),
            "国家级": ("国家级竞赛选手", "国赛选手"),
            "世界级": ("世界级竞赛选手", "世界级比赛选手"),
        },
        conditions={
            "reached_final": Said(
                yes=("都进了决赛", "全部进了决赛圈"),
                no=("没进决赛", "初赛就被淘汰了", "止步复赛"),
            )
        },
        noun="选手",
        leads=("我们厂派了", "学校有"),
        unlisted=("区级竞赛选手", "县级比赛选手"),
    ),
    RuleWords(
        rule_id="dalian.high-level-skill-talent-allowance",
        city="大连",
        topics=("高层次技能人才津贴", "人才津贴", "每月发的人才津贴"),
        categories={k: (k,) for k in TIERS},
        conditions={
            "recognised_high_level": Said(
                yes=("都已经认定了", "认定都下来了"),
                no=("还没认定下来", "认定还在公示", "没通过认定"),
            )
        },
        noun="人",
        leads=("单位认定了", "我们有"),
        unlisted=("拔尖人才", "骨干人才"),
    ),
    RuleWords(
        rule_id="dalian.settling-in-allowance",
        city="大连",
        topics=("安家费", "新引进高技能人才的安家费", "引进人才的安家补贴"),
        categories={k: (k,) for k in TIERS},
        conditions={
            "newly_introduced": Said(
                yes=("都是今年新引进的", "都是刚从外地引进来的"),
                no=("是本地培养的不是引进的", "好几年前就来大连了"),
            ),
            "recognised_tier": Said(yes=("都经过认定了",), no=("还没认定", "认定没通过")),
        },
        noun="人",
        leads=("今年引进了", "公司新引进"),
        unlisted=("拔尖人才", "骨干人才"),
    ),
    RuleWords(
        rule_id="dalian.emergency-talent-salary",
        city="大连",
        topics=("急需紧缺技能人才薪酬补贴", "紧缺技能人才的薪酬补贴", "紧缺人才工资补贴"),
        categories={"急需紧缺技能人才": ("急需紧缺技能人才", "紧缺技能人才")},
        conditions={
            "key_industry_shortage_talent": Said(
                yes=("都属于重点产业急需紧缺的",), no=("不在紧缺目录里", "不是重点产业的")
            )
        },
        noun="人",
        leads=("我们引进了", "企业培养了"),
    ),
    RuleWords(
        rule_id="dalian.principal-technician-work-grant",
        city="大连",
        topics=("特级技师首席技师工作资助", "一次性工作资助"),
        categories={"特级技师": ("特级技师",), "首席技师": ("首席技师",)},
        conditions={"recognised_eligible": Said(yes=("都经认定符合资助条件",), no=("还没认定", "不符合资助条件"))},
        noun="人",
        leads=("公司聘了", "我们有"),
        unlisted=("高级技师", "技师"),
    ),
    RuleWords(
        rule_id="dalian.training-base-construction-subsidy",
        city="大连",
        topics=("培训基地建设补助", "高技能人才培训基地的建设补助资金"),
        categories={
            "国家级": ("国家级高技能人才培训基地", "国家级培训基地"),
            "省级": ("省级职业技能培训示范基地", "省级示范基地"),
        },
        conditions={"newly_built_base": Said(yes=("都是今年新获批的",), no=("是以前就有的老基地", "还没获批"))},
        noun="基地",
        leads=("今年新增了", "集团下面有"),
        unlisted=("市级培训基地", "区级培训基地"),
        units=True,
    ),
    RuleWords(
        rule_id="dalian.master-studio-construction-subsidy",
        city="大连",
        topics=("技能大师工作室建设补助", "大师工作室的建设资金"),
        categories={
            "国家级": ("国家级技能大师工作室", "国家级大师工作室"),
            "省级": ("省级技能大师工作站", "省级大师工作站"),
            "市级": ("市级技能大师工作室", "市级大师工作室"),
        },
        conditions={"newly_built_studio": Said(yes=("都是新增的",), no=("是前几年就建成的", "还没获批"))},
        noun="工作室",
        leads=("今年新建了", "我们有"),
        unlisted=("区级技能大师工作室",),
        units=True,
    ),
    RuleWords(
        rule_id="dalian.model-worker-studio-subsidy",
        city="大连",
        topics=("劳模创新工作室补助", "职工创新工作室的补助资金"),
        categories={"市级劳模创新工作室": ("市级劳模创新工作室", "市级职工创新工作室")},
        conditions={"newly_built_city_studio": Said(yes=("都是今年新建的",), no=("是前年就建了的", "是老工作室"))},
        noun="工作室",
        leads=("今年新建了", "总工会批了"),
        unlisted=("区级劳模创新工作室", "省级劳模创新工作室"),
        units=True,
    ),
    RuleWords(
        rule_id="dalian.new-apprenticeship-subsidy",
        city="大连",
        topics=("新型学徒制培训补贴", "企业新型学徒制的补贴"),
        categories={"学徒": ("新型学徒", "学徒")},
        conditions={
            "new_apprenticeship_training": Said(
                yes=("都是按新型学徒制双导师带的",), no=("不是新型学徒制", "只是普通岗前培训不算新型学徒制")
            )
        },
        noun="学徒",
        leads=("企业招了", "我们带了"),
    ),
    RuleWords(
        rule_id="dalian.worldskills-base-construction-subsidy",
        city="大连",
        topics=("世赛中国集训基地建设补助", "世界技能大赛集训基地的建设资金"),
        categories={"世赛中国集训基地": ("世赛中国集训基地", "世界技能大赛中国集训基地")},
        conditions={"worldskills_base": Said(yes=("都已经获批了",), no=("还在申报", "还没获批"))},
        noun="基地",
        leads=("学校争创了", "我们拿下了"),
        units=True,
    ),
    RuleWords(
        rule_id="dalian.dalian-craftsman-award",
        city="大连",
        topics=("工匠奖励", "评上工匠的一次性奖励"),
        categories={"大连工匠": ("大连工匠",)},
        conditions={"selected_craftsman": Said(yes=("都评上了",), no=("只是入围还没评上", "最后落选了"))},
        noun="人",
        leads=("厂里", "我们车间"),
        after=("{c}师傅评上了{label}",),
        excludable=False,
    ),
    RuleWords(
        rule_id="nantong.credit-line",
        city="南通",
        topics=("银行授信额度", "人才授信"),
        categories={"授信额度": ("江苏工匠", "劳动模范", "市级技能大师工作室领办人")},
        conditions={},
        noun="人",
        leads=("我们公司有", "单位里有"),
        unlisted=("区级技能大师工作室领办人",),
        asks=("最高能授信多少", "授信额度一共最多多少", "一共能贷到多少额度"),
    ),
)

BASE_RULES: tuple[BaseWords, ...] = (
    BaseWords(
        rule_id="dalian.industry-education-investment-credit",
        city="大连",
        topics=("产教融合型企业投资抵免", "兴办职业教育的投资抵免教育费附加"),
        bases=("兴办职业教育投资了{x}", "办学投资{x}", "投了{x}办职业教育"),
        asks=("能抵免多少教育费附加", "按规定能抵多少", "抵免额是多少"),
        low=100_000,
        high=20_000_000,
    ),
    BaseWords(
        rule_id="dalian.employee-education-fund-frontline",
        city="大连",
        topics=("职工教育经费用于一线职工的比例", "职工教育经费的使用要求"),
        bases=("今年提取职工教育经费{x}", "职工教育经费有{x}"),
        asks=("用在一线职工培训上的至少要多少", "一线职工教育培训至少得花多少"),
        low=50_000,
        high=5_000_000,
    ),
    BaseWords(
        rule_id="nantong.shortage-occupation-uplift",
        city="南通",
        topics=("紧缺工种培训补贴上浮", "紧缺型职业工种补贴再提高"),
        bases=("我那个工种原来的补贴标准是{x}", "原标准{x}", "查到原来的标准是{x}"),
        asks=("提高以后是多少", "上浮后的标准是多少", "现在能拿多少"),
        counts=("{c}学员都是这个工种", "这个工种培训了{c}学员"),
        low=500,
        high=6000,
    ),
    BaseWords(
        rule_id="unknown.performance-pay-share",
        city="",
        topics=("公办职业院校收入提取绩效工资", "培训收入核增绩效工资总量"),
        bases=("社会培训收入{x}", "学校取得收入{x}"),
        deductions=("直接成本{y}", "扣掉直接成本{y}", "直接成本花了{y}"),
        asks=("最多能提取多少用于绩效工资", "绩效工资最多能提多少"),
        low=200_000,
        high=10_000_000,
    ),
    BaseWords(
        rule_id="dalian.skilled-talent-share-target",
        city="大连",
        topics=("技能人才占就业人员比例的目标", "技能人才占比目标"),
        bases=("就业人员有{x}", "按就业人员{x}算"),
        asks=("技能人才至少要多少人才达到目标", "按目标技能人才得有多少人"),
        people=True,
        low=500,
        high=200_000,
    ),
    BaseWords(
        rule_id="dalian.high-skilled-talent-share-target",
        city="大连",
        topics=("高技能人才占技能人才比例的目标", "高技能人才占比目标"),
        bases=("技能人才有{x}", "现有技能人才{x}"),
        asks=("高技能人才要达到多少人", "按目标高技能人才得有多少人"),
        people=True,
        low=300,
        high=100_000,
    ),
    BaseWords(
        rule_id="nantong.skilled-talent-share-target",
        city="南通",
        topics=("技能人才占就业人员比例的目标", "十五五技能人才占比目标"),
        bases=("就业人员有{x}", "按就业人员{x}算"),
        asks=("技能人才至少要多少人", "按目标技能人才得有多少人"),
        people=True,
        low=500,
        high=200_000,
    ),
    BaseWords(
        rule_id="nantong.high-skilled-talent-share-target",
        city="南通",
        topics=("高技能人才占技能人才比例的目标", "高技能人才占比目标"),
        bases=("技能人才有{x}", "现有技能人才{x}"),
        asks=("高技能人才至少要多少人", "按目标高技能人才得有多少人"),
        people=True,
        low=300,
        high=100_000,
    ),
)

# ---------------------------------------------------------------------------------------- shared phrases

ASKS_TOTAL = ("一共能拿多少", "总共能补多少钱", "加起来多少钱", "一共多少钱", "合计能申请多少", "总共能领多少")
PLACE_TOPIC = ("{city}的{topic}", "我们在{city}，想问下{topic}", "问一下{city}{topic}", "{city}，{topic}")
PLACE_LAST = ("我们是{city}的", "在{city}", "单位在{city}")
TOPIC_ONLY = ("{topic}", "想问{topic}")
ALL_OF_THEM = ("", "大家", "他们", "这些人")
ALL_OF_THEM_UNITS = ("", "这几家", "它们")
THE_REST = ("其他的", "剩下的", "其余的")


@dataclass(frozen=True)
class Distractor:
    kind: str
    templates: tuple[str, ...] = field(default=())


# {y} year, {a} age, {m}/{d} month/day, {p} phone, {n} a head count, {v} money in 万, {s} a salary
DISTRACTORS: tuple[Distractor, ...] = (
    Distractor("year", ("我们公司{y}年成立的", "{y}年开始搞的", "今年是{y}年")),
    Distractor("age", ("我今年{a}岁", "平均年龄{a}岁", "最大的那个{a}岁")),
    Distractor("date", ("{m}月{d}日前要报材料", "{m}月{d}号申报截止")),
    Distractor("phone", ("我电话{p}", "联系电话{p}", "打过{p}问过")),
    Distractor("org_size", ("公司{n}来人", "厂里有{n}多号人", "我们单位员工{n}人左右")),
    Distractor("capital", ("注册资本{v}万", "注册资金{v}万元")),
    Distractor("salary", ("月薪{s}", "工资一个月{s}块左右", "年薪{v}万")),
)

SPAN_ONE_OFF = ("干满{span}", "合同签了{span}", "这{span}", "服务期{span}")
SPAN_MONTHLY = ("领{span}的话", "按{span}算", "发{span}", "干满{span}", "{span}下来")
SPAN_YEARLY = ("培养期{span}", "培训{span}", "带{span}", "学徒期{span}")
PER_MONTH = ("每个月一共发多少", "一个月加起来多少")
PER_YEAR = ("每年至少补多少", "一年能补多少")

AMBIGUOUS = (
    "{c}{noun}，{a}和{b}都有",
    "{c}{noun}，有{a}也有{b}",
    "{a}和{b}加起来{c}",
    "{a}、{b}一共{c}，各多少记不太清",
)
ADD_MORE = ("再加{c}呢", "如果再多{c}呢", "要是再加{c}")
ADD_NAMED = ("再加{c}{label}呢", "{label}再多{c}呢")
REPLACE = ("换成{label}呢", "如果是{label}呢", "要是换成{label}的话呢", "改成{label}呢")
