"""The typed reading of a question: what the user said, before any rule is chosen.

One ``QuestionFrame`` is made per question (by the offline reader in
``app.frame.read`` or, when a model is configured, by a tool-calling model that
fills the same schema) and then read by routing, the calculator, eligibility,
the answer and the session. No later stage re-parses the raw string.

Everything carries the span of the words it came from (offsets into
``QuestionFrame.text``, the question in Simplified script with full-width
digits made ASCII), so the answer can say exactly what it used and what it
could not place.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

NumberRole = Literal[
    "count",  # 3个中职, 高级技师2人
    "money",  # 1500元, 二十万, 1.5万
    "rate",  # 30%, 百分之六十
    "span",  # 3年, 半年, 18个月 (a duration)
    "year",  # 2024年 (a calendar year)
    "date",  # 6月30日, 3月份
    "age",  # 25岁
    "phone",  # 13812345678, 12345
    "ordinal",  # 第三
    "level",  # 一级, 五级 (a skill level, not a quantity)
    "doc_number",  # 〔2023〕34号, 十九条措施
    "per_unit",  # 1000元一个人: what an amount is per, not a count
    "items",  # 两项补助加起来: how many provisions are asked about, not a count of anything paid for
    "again",  # 这8个 / 这3个人里: an earlier group's count said again to name it, not new people
    "other",  # a number whose meaning the reader could not tell
]

Fate = Literal[
    "input",  # used by the calculation
    "excluded",  # a group left out because a condition fails for it
    "not_listed",  # a group in a category the provision does not list
    "condition",  # the value of a condition fact (交了2个月社保)
    "claim",  # a claim about the text, checked against it
    "context",  # a year, a date, a phone number, the applicant itself (一家企业): read, not needed
    "not_applicable",  # read, but the provision does not use it (a span for a one-off amount)
    "not_understood",  # could not be placed: no total is stated while any number is here
]


class Span(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: int
    end: int


class NumberToken(BaseModel):
    """A number as written in the question, and what kind of number it is."""

    text: str = Field(description="the words as written, e.g. 两个, 1.5万, 30%")
    value: Decimal = Field(description="the value, with 万/千 applied (二十万 → 200000)")
    role: NumberRole
    unit: str = Field("", description="元 / % / 个月 / 年 / 岁 / a measure word (个, 名, 人, 家)")
    span: Span
    approximate: bool = Field(False, description="左右 / 多 / 几 / 三四个: not an exact figure")


class Qualifier(BaseModel):
    """Something said about a group: 没通过考核, 合同签在子公司, 已认定."""

    text: str = Field(description="the words as written")
    concept: str = Field("", description="the condition concept these words are about (社保, 合同, 考核, 户籍 …)")
    negated: bool = False
    elsewhere: bool = Field(False, description="the fact holds somewhere else: another place or another employer")
    value: Decimal | None = Field(None, description="a number the words give for the concept (2个月 → 2)")
    place: str = Field("", description="a place the words name for the concept (在泉州交的社保 → 泉州)")
    span: Span


class Group(BaseModel):
    """People or units the question counts: 8个中职学徒, 其中3个, 其他的."""

    count: int | None = Field(None, description="how many; None when the question does not say (几个)")
    label: str = Field(description="the noun phrase as written: 中职学徒, 高级技师, 人")
    text: str = Field("", description="all the words about this group (label and what is said of it)")
    parent: int | None = Field(None, description="index of the group this one is part of (其中3个)")
    complement: bool = Field(False, description="the rest of the parent (其他的 / 剩下的)")
    part_of_several: bool = Field(
        False, description="其中N个 after several groups, without saying of which one: it cannot be placed"
    )
    additive: bool = Field(False, description="added to an earlier count (再加两个)")
    only: bool = Field(False, description="只有/仅 these: the rest of the parent did not do what is said of them")
    qualifiers: list[Qualifier] = Field(default_factory=list)
    number: int | None = Field(None, description="index into ``numbers`` of the count")
    span: Span


class TimeSpan(BaseModel):
    months: Decimal = Field(description="the duration in months (半年 → 6, 3年 → 36)")
    days: Decimal | None = Field(None, description="the duration in days when it was said in days (45天)")
    text: str
    kind: Literal["duration", "elapsed", "per_period"] = Field(
        "duration",
        description="duration: how long (干满三年); elapsed: already received (已经领了10个月); "
        "per_period: the period a figure is asked for (每月多少 → 1 month)",
    )
    number: int | None = None
    span: Span


class Money(BaseModel):
    value: Decimal = Field(description="in 元")
    text: str
    role: Literal["base", "deduction", "claimed", "unknown"] = "unknown"
    number: int | None = None
    span: Span


class Fact(BaseModel):
    """The user's own fact, not tied to a group: 户籍还没转过来, 交了4个月社保."""

    concept: str
    text: str
    negated: bool = False
    elsewhere: bool = False
    value: Decimal | None = None
    place: str = ""
    asked: bool = Field(False, description="asked about rather than stated (要不要交社保？)")
    span: Span


class Claim(BaseModel):
    """What the user believes the text says, to be checked: 保障期是48个月吧, 上浮50%吧."""

    text: str
    value: Decimal
    unit: str = Field(description="个月 / 年 / % / 元 / 万元 / 人 …")
    qualifier: str = Field("", description="cap / floor / before_tax when the user says 最高 / 至少 / 税前 with it")
    number: int | None = None
    span: Span


class PlaceMention(BaseModel):
    name: str = Field(description="the canonical name: 大连, 鄞州区, 浙江")
    text: str = Field(description="as written: 大连市, 鄞州")
    level: Literal["province", "city", "district"]
    parents: list[str] = Field(default_factory=list, description="enclosing places, nearest first")
    role: Literal["about", "fact"] = Field(
        "about",
        description="about: the place whose policy is asked; fact: a place in a fact of the user's (在泉州交的社保)",
    )
    span: Span


class LevelMention(BaseModel):
    """A level on an ordered ladder: 市级, 高级工, 国家级 — with 及以上 / 以下 when said."""

    ladder: str = Field(description="admin (区级 < 市级 < 省级 < 国家级 < 世界级) or skill (初级工 … 首席技师)")
    level: str
    rank: int
    text: str
    span: Span


Intent = Literal["calculate", "check", "fact", "entitlements", "compare", "meta", "other"]


class QuestionFrame(BaseModel):
    """The whole reading of one question (one conversation turn, merged with the earlier ones)."""

    question: str = Field(description="the question as typed")
    text: str = Field(description="Simplified script, ASCII digits: the text every span points into")
    traditional: bool = False
    intent: Intent = "other"
    asks_total: bool = Field(False, description="the user asks for a sum (一共 / 多少钱 / 能拿多少)")
    places: list[PlaceMention] = Field(default_factory=list)
    numbers: list[NumberToken] = Field(default_factory=list)
    groups: list[Group] = Field(default_factory=list)
    spans: list[TimeSpan] = Field(default_factory=list)
    money: list[Money] = Field(default_factory=list)
    rates: list[NumberToken] = Field(default_factory=list)
    facts: list[Fact] = Field(default_factory=list)
    claims: list[Claim] = Field(default_factory=list)
    levels: list[LevelMention] = Field(default_factory=list)
    follow_up: bool = Field(False, description="this turn leans on the earlier ones (那南通呢 / 再加两个)")
    placed_elsewhere: list[int] = Field(
        default_factory=list, description="numbers another provision of the same question accounts for"
    )
    reader: Literal["offline", "model"] = "offline"
    notes: list[str] = Field(
        default_factory=list, description="what a model's reading gave that the text did not bear out, and was dropped"
    )

    def place_names(self, role: str = "about") -> list[str]:
        return [p.name for p in self.places if p.role == role]

    def words(self, span: Span) -> str:
        return self.text[span.start : span.end]
