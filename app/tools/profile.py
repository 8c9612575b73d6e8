"""The applicant's profile for "what can we get?": a person, an enterprise or an institution.

A ``Profile`` is typed data — the place, the kind of applicant, groups of people
with their counts, levels, titles and facts, units (studios, bases) with their
level, social-insurance months, household registration, housing, money figures
and other facts, positive or negated. It comes from a form (the UI, the API, a
YAML file) or from a conversation's frame (``profile_from_frame``), and it goes
back into a ``QuestionFrame`` (``to_frame``) so that the accounting
(``app.tools.accounting.plan``) judges it exactly as it judges a question: the
same concepts, the same level ladders, the same rules about who counts.

Facts are tied to the shared concepts of ``ingest/resources/concepts.yaml``
(社保, 合同, 考核, 户籍, 住房, 新取得, 认定, 引进 …), the same ones a provision's
conditions are tied to. A follow-up answer to a condition no concept covers is
kept in ``answers``, keyed ``rule_id:condition_id``.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, PlainSerializer, StrictBool, WithJsonSchema

from app.frame.places import contains
from app.frame.schema import Fact, Group, LevelMention, Money, NumberToken, Qualifier, QuestionFrame, Span, TimeSpan
from app.limits import MAX_HEADCOUNT, MAX_MAGNITUDE_EXPONENT
from ingest.vocab import vocabulary
from ingest.yamlio import load_yaml


def _a_number(v: Any) -> Any:
    """A profile's numbers are numbers: text (\"3个\") and yes/no are refused, not coerced."""
    if isinstance(v, bool) or isinstance(v, str):
        raise ValueError("a number is expected")
    if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
        raise ValueError("a finite number is expected")
    if isinstance(v, int | float | Decimal) and abs(Decimal(str(v))) >= Decimal(10) ** MAX_MAGNITUDE_EXPONENT:
        raise ValueError(f"a number below 10^{MAX_MAGNITUDE_EXPONENT} is expected")
    return v


_BOUND = 10**MAX_MAGNITUDE_EXPONENT


def _schema(**bounds: int) -> dict[str, Any]:
    return {"type": "number", "exclusiveMaximum": _BOUND, "exclusiveMinimum": -_BOUND, **bounds}


def _json_number(d: Decimal) -> int | float:
    return int(d) if d == d.to_integral_value() else float(d)


def _whole(v: Any) -> Any:
    if isinstance(v, bool) or isinstance(v, str):
        raise ValueError("a whole number is expected")
    return v


# Strict in the API's sense: what the OpenAPI schema says (a JSON number, these bounds) is what is
# accepted, and what is given back (a number, not a string).
_AS_NUMBER = PlainSerializer(_json_number, return_type=int | float, when_used="json")
Number = Annotated[Decimal, BeforeValidator(_a_number), _AS_NUMBER, WithJsonSchema(_schema())]
NonNegative = Annotated[
    Decimal, BeforeValidator(_a_number), Field(ge=0), _AS_NUMBER, WithJsonSchema(_schema(minimum=0))
]
Positive = Annotated[
    Decimal, BeforeValidator(_a_number), Field(gt=0), _AS_NUMBER, WithJsonSchema(_schema(exclusiveMinimum=0))
]
Count = Annotated[int, Field(ge=0, le=MAX_HEADCOUNT), BeforeValidator(_whole)]

EntityKind = Literal["enterprise", "individual", "institution"]
ENTITY_ZH: dict[str, str] = {"enterprise": "企业", "individual": "个人", "institution": "院校、机构"}
Answer = bool | Decimal | str


class ProfileFact(BaseModel):
    """One fact of the applicant's: 交了2个月社保, 不是新取得的, 户口在老家."""

    concept: str = Field(
        description="the vocabulary concept (社保, 合同, 考核, 培训, 户籍, 住房, 购房, 新取得, 认定, 引进 …)"
    )
    holds: StrictBool | None = Field(
        True, description="true: so; false: stated as not so (没交, 不是新取得); null: not known"
    )
    value: Number | None = Field(None, description="a number for the concept (社保 2 → two months)")
    unit: str = Field("", description="the value's unit when not months for a span: 年 (合同 3 年), 学时")
    place: str = Field("", description="where the fact holds, when said (在泉州交的社保 → 泉州)")
    elsewhere: StrictBool = Field(False, description="true of another employer or place (合同签在子公司)")
    text: str = Field("", description="the words as said")

    def in_frame_units(self) -> Decimal | None:
        """The value as the question reader states it: a span in years is 12 months each."""
        if self.value is not None and self.unit == "年":
            return self.value * 12
        return self.value


class People(BaseModel):
    """A group of people: 3名新取得技师, 10个新型学徒制学徒, 本人 (the applicant themself)."""

    count: Count | None = Field(1, description="how many; null when not known")
    label: str = Field("", description="who they are: 员工, 学徒, 学生, 团队成员, 本人")
    level: str = Field("", description="a skill or school level: 技师, 高级技师, 中职, 高职")
    titles: list[str] = Field(
        default_factory=list, description="titles and categories: 青年才俊, 大连工匠, 新型学徒制, 市级竞赛"
    )
    facts: list[ProfileFact] = Field(default_factory=list, description="facts about these people only")
    part_of: Annotated[int, Field(ge=0, le=1000), BeforeValidator(_whole)] | None = Field(
        None, description="index of the group these people are part of"
    )
    is_self: StrictBool = Field(False, description="the applicant themself (a person asking for themself)")
    rest: StrictBool = Field(False, description="the rest of the group part_of, after its other parts (其余的)")
    only: StrictBool = Field(
        False, description="only these of the group part_of did what their facts say (只有4个进了复赛, 考核合格的有5个)"
    )
    text: str = Field(
        "", description="the words as written (from a conversation); used instead of the fields when given"
    )

    def words(self) -> str:
        if self.text:
            return self.text
        return "".join([self.level, *self.titles, self.label])

    def shown(self) -> str:
        return self.label or self.level or "".join(self.titles) or self.text[:10] or "人员"


class Unit(BaseModel):
    """Something priced per unit rather than per person: a studio, a station, a base."""

    kind: str = Field(description="技能大师工作室, 劳模（职工）创新工作室, 高技能人才培训基地, 世赛中国集训基地")
    level: str = Field("", description="市级, 省级, 国家级")
    count: Count = Field(1)
    new: StrictBool | None = Field(None, description="newly built or approved (新建、新获批); false: not yet granted")
    leader: StrictBool = Field(False, description="the applicant leads it (领办人) rather than owns it")

    def words(self) -> str:
        return f"{self.level}{self.kind}"


class MoneyFigure(BaseModel):
    """A sum of the applicant's that a rate applies to: 投资额200万, 收入120万, 直接成本50万, 原补贴标准1500元."""

    label: str = Field("", description="what the sum is: 投资额, 收入, 直接成本, 补贴标准")
    value: Number = Field(description="in 元")
    role: Literal["base", "deduction"] = "base"


class Profile(BaseModel):
    """Everything a hotline needs to list what an applicant may get."""

    place: str = Field("", description="the place whose policies apply (大连, 厦门, 湖里区); empty: every document")
    entity: EntityKind | None = Field(None, description="enterprise, individual or institution; null: not said")
    people: list[People] = Field(default_factory=list)
    units: list[Unit] = Field(default_factory=list, description="studios, stations, bases")
    certificates: list[str] = Field(default_factory=list, description="certificates held: 技师证, 台湾地区乙级技术士证")
    social_insurance_months: NonNegative | None = Field(None, description="months of social insurance paid")
    social_insurance_place: str = Field("", description="where it is paid; empty: the profile's place")
    hukou: Literal["local", "elsewhere"] | None = Field(
        None, description="household registration: in the place, or not"
    )
    housing: Literal["none", "owns", "bought"] | None = Field(
        None, description="none: no home in the place; owns: has a home there; bought: bought one to live in"
    )
    facts: list[ProfileFact] = Field(default_factory=list, description="other facts, positive or negated")
    money: list[MoneyFigure] = Field(default_factory=list)
    months: Positive | None = Field(None, description="the span asked about for recurring amounts (一年 → 12)")
    elapsed_months: NonNegative | None = Field(None, description="months of a recurring amount already received")
    answers: dict[str, Answer] = Field(
        default_factory=dict, description="answers to follow-up questions, keyed rule_id:condition_id"
    )
    facts_text: str = Field(
        "", description="other facts in words (培训都完成了，签了正式劳动合同), read like a question"
    )
    said: str = Field(
        "",
        description="the applicant's own words from a conversation, beside the groups' (都是符合条件的投资): "
        "not read again as facts, only for a condition stated in its own words",
    )

    def all_facts(self) -> list[ProfileFact]:
        """The typed fields as facts of the shared concepts, then the other facts."""
        out: list[ProfileFact] = []
        if self.social_insurance_months is not None:
            out.append(
                ProfileFact(
                    concept="社保",
                    holds=self.social_insurance_months > 0,
                    value=self.social_insurance_months,
                    place=self.social_insurance_place or self.place,
                    text=f"社保{self.social_insurance_months}个月",
                )
            )
        if self.hukou is not None:
            out.append(
                ProfileFact(
                    concept="户籍",
                    holds=self.hukou == "local",
                    place=self.place if self.hukou == "local" else "",
                    text="户籍",
                )
            )
        if self.housing == "none":
            out.append(ProfileFact(concept="住房", holds=False, place=self.place, text="无住房"))
        elif self.housing in ("owns", "bought"):
            out.append(ProfileFact(concept="住房", holds=True, place=self.place, text="有住房"))
            if self.housing == "bought":
                out.append(ProfileFact(concept="购房", holds=True, place=self.place, text="购房自住"))
        for c in self.certificates:
            out.append(ProfileFact(concept="证书", holds=True, text=c))
        return out + list(self.facts) + facts_from_text(self.facts_text)


def facts_from_text(text: str) -> list[ProfileFact]:
    """Facts said in words (社保交了3个月，户口没迁过来), read by the question reader into the shared concepts."""
    if not text.strip():
        return []
    return _read_facts(text.strip())


@lru_cache(maxsize=256)
def _read_facts(text: str) -> list[ProfileFact]:
    from app.frame.read import read_question  # the reader is heavy to import; only forms with words need it

    frame = read_question(text)
    out = [_fact(f) for f in frame.facts]
    out += [_fact(q) for g in frame.groups for q in g.qualifiers if q.concept != "self"]
    out += [ProfileFact(concept="年龄", value=t.value, text=t.text) for t in frame.numbers if t.role == "age"]
    if not out:
        out = [f for part in re.split(r"[，,、；;。\s]+", text) for f in _keywords(part)]
    return out


def _keywords(part: str) -> list[ProfileFact]:
    """A form's terse words (新取得、团队成员、未落户): each concept named, negated by a word before it."""
    vocab = vocabulary()
    out = []
    for start, _, concept, negative in vocab.concepts_in(part):
        lead = part[:start]
        negated = negative or any(lead.endswith(n) for n in (*vocab.negation_before, "非", "不是"))
        out.append(ProfileFact(concept=concept.name, holds=not negated, text=part))
    return out


# ---------------------------------------------------------------------------------------------- words


@lru_cache(maxsize=1)
def profile_words() -> dict[str, object]:
    text = (resources.files("app") / "resources" / "entitlements.yaml").read_text(encoding="utf-8")
    return dict(load_yaml(text))


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def entity_of(words: str) -> EntityKind | None:
    """The kind of applicant a noun names (一家制造企业 → enterprise, 技师学院 → institution)."""
    nouns: dict[str, list[str]] = profile_words()["entity_nouns"]  # type: ignore[assignment]
    best: tuple[int, EntityKind] | None = None
    for kind, forms in nouns.items():
        for f in forms:
            pos = words.find(f)
            if pos >= 0 and (best is None or len(f) > best[0]):
                best = (len(f), kind)  # type: ignore[assignment]
    return best[1] if best else None


# ---------------------------------------------------------------------------------------------- frame → profile


def profile_from_frame(frame: QuestionFrame, context: str = "") -> Profile:
    """The profile a conversation's frame describes: its place, who asks, their people, units, money and facts.

    ``context``: the conversation so far (for a follow-up, 那高级技师呢, whose own words do not say who asks).
    """
    profile = Profile(place=applicant_place(frame))
    units, unit_spans = _units(frame)
    profile.units = units
    selfs = [k for k, g in enumerate(frame.groups) if any(q.concept == "self" for q in g.qualifiers)]
    # 一家企业 / 一所技工学校 said of the asker's employer or school: context, not people to count.
    bodies = [
        k
        for k, g in enumerate(frame.groups)
        if k not in selfs
        and g.count == 1
        and g.parent is None
        # 目前在南通一家工厂上班: the noun after 一家 names the body, whatever came before the count.
        and (entity_of(g.label or g.text) or entity_of(frame.text[g.span.end : g.span.end + 6])) is not None
    ]
    # 我是在…一家模具厂上班的技师: the count's noun phrase ends in the person who speaks — the asker.
    for k in list(bodies):
        g = frame.groups[k]
        clause_start = max(frame.text.rfind(c, 0, g.span.start) for c in "，,。；;！!？?")
        if _person_head(g.label or g.text) and re.search(
            r"我是|我在|本人是", frame.text[clause_start + 1 : g.span.start]
        ):
            bodies.remove(k)
            selfs.append(k)
    profile.entity = _entity(frame, selfs, bodies)
    if profile.entity is None and context and context != frame.text:
        profile.entity = _entity(QuestionFrame(question=context, text=context), [], [])
    index: dict[int, int] = {}
    for k, g in enumerate(frame.groups):
        if k in selfs or k in bodies:
            profile.facts += [_fact(q) for q in g.qualifiers if q.concept != "self"]
            if profile.entity != "individual" or k in selfs:
                profile.facts += _name_facts(g.label or g.text, profile.facts)
            continue
        if _counts_unit(frame, g, unit_spans) or (g.count is None and len(g.label) <= 1):
            continue
        index[k] = len(profile.people)
        profile.people.append(
            People(
                count=g.count,
                label=g.label,
                text=_without_units(frame, g.text or g.label, unit_spans),
                facts=[_fact(q) for q in g.qualifiers if not any(_overlaps(q.span, u) for u in unit_spans)],
                part_of=index.get(g.parent) if g.parent is not None else None,
                rest=g.complement and g.parent in index,
                only=g.only and g.parent in index,
            )
        )
    if profile.entity is None and not profile.people and not profile.units:
        profile.entity = "individual"  # 在大连被聘为特级技师，能享受什么待遇: a person, about themself
    if profile.entity != "individual":
        # Statements only: the clause a question ends with (是符合条件的投资吗？) states nothing.
        sentences = re.findall(r"[^。！!？?]+[。！!？?]?", _own_words(frame, unit_spans))
        profile.said = "".join(
            re.sub(r"[^，,；;]*[？?]$", "", x) if x.endswith(("？", "?")) else x for x in sentences
        ).strip()
    if profile.entity == "individual":
        # The person a self's noun phrase ends in (…企业的高级技师) is the asker's own title and level.
        heads = [h for k in selfs if (h := _person_head(frame.groups[k].label or frame.groups[k].text))]
        levels = [lv.level for h in heads for _, _, lv in vocabulary().levels_in(h)]
        profile.people.insert(
            0,
            People(
                count=1,
                label="本人",
                is_self=True,
                level=levels[0] if levels else "",
                titles=heads,
                text="；".join([_own_words(frame, unit_spans) or "本人", *heads]),
            ),
        )
        profile.people = [
            p.model_copy(update={"part_of": p.part_of + 1 if p.part_of is not None else None}) if not p.is_self else p
            for p in profile.people
        ]
    for f in frame.facts:
        pf = _fact(f)
        if f.concept == "社保" and f.value is not None and profile.social_insurance_months is None:
            profile.social_insurance_months = f.value if pf.holds is not False else Decimal(0)
            profile.social_insurance_place = f.place
            continue
        if f.concept == "户籍" and pf.holds is not None and profile.hukou is None:
            # 户籍还在台湾，没有落户厦门: a statement that names no place (户籍还在) yields to one that does.
            later = [
                g
                for g in frame.facts
                if g.concept == "户籍" and g.span.start > f.span.start and (g.place or g.negated or g.elsewhere)
            ]
            if not (f.place or f.negated or f.elsewhere) and later:
                continue
            local = (
                pf.holds and not f.elsewhere and (not f.place or not profile.place or contains(profile.place, f.place))
            )
            profile.hukou = "local" if local else "elsewhere"
            continue
        profile.facts.append(pf)
    for t in frame.numbers:
        if t.role == "age" and not any(f.concept == "年龄" for f in profile.facts):
            profile.facts.append(ProfileFact(concept="年龄", value=t.value, text=t.text))
    for m in frame.money:
        profile.money.append(
            MoneyFigure(
                label=_lead_words(frame, m.span), value=m.value, role="deduction" if m.role == "deduction" else "base"
            )
        )
    for s in frame.spans:
        if s.kind == "duration" and profile.months is None:
            profile.months = s.months
        elif s.kind == "elapsed" and profile.elapsed_months is None:
            profile.elapsed_months = s.months
    return profile


def _name_facts(name: str, have: list[ProfileFact]) -> list[ProfileFact]:
    """What the applicant's own name says of it (一所公办高职院校, 一家民办培训学校): the concepts that
    restrict who a provision is for, read from the noun the applicant is."""
    out: list[ProfileFact] = []
    for _, _, concept, negative in vocabulary().concepts_in(name):
        if concept.restricts and not any(f.concept == concept.name for f in [*have, *out]):
            out.append(ProfileFact(concept=concept.name, holds=not negative, text=name))
    return out


def applicant_place(frame: QuestionFrame) -> str:
    """Where the applicant is: the place they say they work in (我在沈阳一家企业上班), else the place asked about.

    A person working in one place who asks about another place's policy is judged by where they
    are: a city's provisions are for that city's enterprises and people. A place of origin (老家江西,
    户口在老家) is not where they are.
    """
    vocab = vocabulary()
    work = vocab.concept("工作地")
    forms = _alternation(list(work.forms)) if work is not None else "上班|工作"
    origin = re.compile(f"(?:{_alternation(list(vocab.elsewhere))}|户口在|户籍在|来自|从)$")
    places = [p for p in frame.places if not origin.search(frame.text[max(0, p.span.start - 4) : p.span.start])]
    for p in places:
        lead = frame.text[max(0, p.span.start - 2) : p.span.start]
        clause_end = next((e.start() for e in _CLAUSE_END.finditer(frame.text, p.span.end)), len(frame.text))
        if lead.endswith("在") and re.search(forms, frame.text[p.span.end : clause_end]):
            return p.name
    about = [p.name for p in places if p.role == "about"]
    if not about and places:
        return places[0].name  # 从沈阳被引进到大连: where they came to, not where they came from
    return about[0] if about else (frame.place_names("about") or [""])[0]


def _counts_unit(frame: QuestionFrame, g: Group, units: list[Span]) -> bool:
    """The group's count is of a unit (一个市级劳模（职工）创新工作室), not of people who belong to one."""
    if g.number is None or g.number >= len(frame.numbers):
        return any(_overlaps(g.span, u) for u in units)
    end = frame.numbers[g.number].span.end
    return any(0 <= u.start - end <= 2 for u in units)


def _without_units(frame: QuestionFrame, words: str, units: list[Span]) -> str:
    """A group's words without the units they mention (团队成员 of 区级工作站 are not of 区级)."""
    for u in units:
        words = words.replace(frame.text[u.start : u.end], "")
    return words


def _fact(said: Qualifier | Fact) -> ProfileFact:
    asked = getattr(said, "asked", False)
    return ProfileFact(
        concept=said.concept,
        holds=None if asked else not said.negated,
        value=said.value,
        place=said.place,
        elsewhere=said.elsewhere,
        text=said.text,
    )


def _overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


_PERSON_NOUN = re.compile(r"员工|职工|工人|师傅|技工|学生|毕业生|学徒|领办人|选手|人才")


def _person_head(words: str) -> str:
    """The person a noun phrase ends in after 的 (一家模具厂上班的技师 → 技师), or ''."""
    head = re.search(r"的([^的，,。；;？?！!]+)$", words)
    if head and (vocabulary().levels_in(head.group(1)) or _PERSON_NOUN.search(head.group(1))):
        return head.group(1)
    return ""


def _entity(frame: QuestionFrame, selfs: list[int], bodies: list[int]) -> EntityKind | None:
    """Who asks: the applicant the question presents (我们是一家企业), an organisation spoken for (我们厂), or a person."""
    for k in selfs:
        words = frame.groups[k].text or frame.groups[k].label
        # 我是南通一家企业的高级技师: the head after 的 is who speaks — a person, described by the employer.
        if _person_head(words):
            return "individual"
        kind = entity_of(words)
        if kind is not None:
            return kind
    w = profile_words()
    nouns: dict[str, list[str]] = w["entity_nouns"]  # type: ignore[assignment]
    plural = _alternation(w["first_person_plural"])  # type: ignore[arg-type]
    all_nouns = _alternation([n for ns in nouns.values() for n in ns])
    m = re.search(f"(?:{plural})[^，。；？！,.;?!]{{0,12}}?({all_nouns})", frame.text)
    if m:
        return entity_of(m.group(1))
    if bodies and re.search(_alternation(w["speaks_for"]), frame.text):  # type: ignore[arg-type]
        return entity_of(frame.groups[bodies[0]].label or frame.groups[bodies[0]].text)
    singular = re.search(_alternation(w["first_person_singular"]), frame.text) or re.search(  # type: ignore[arg-type]
        r"(?:^|[，。；！？,;!?\s])我(?![们司厂校])", frame.text
    )
    if singular and not re.search(plural, frame.text):
        return "individual"  # 我前年从一所技工学校毕业: a person, whatever school they name
    # No one speaks in the first person: an organisation the question opens with asks (厦门湖里的一家企业，…).
    if bodies:
        return entity_of(frame.groups[bodies[0]].label or frame.groups[bodies[0]].text)
    # …or a clause that is that organisation (南通的企业，…), not a person described by it (技工院校毕业生).
    first = _CLAUSE_END.split(frame.text, maxsplit=1)[0]
    found = re.search(f"(?:{all_nouns})$", first.strip())
    return entity_of(found.group(0)) if found else None


def _own_words(frame: QuestionFrame, units: list[Span]) -> str:
    """The asker's own words: the question without the words about other groups and about units. The
    school one graduated from (从一所技工院校的预备技师班毕业) is said of oneself: its words stay."""
    text = frame.text
    cut = list(units)
    for g in frame.groups:
        if g.count == 1 and entity_of(g.label or g.text) == "institution" and _GRADUATED.search(g.text):
            continue
        cut.append(g.span)
        if g.text:
            pos = text.find(g.text, max(0, g.span.start - len(g.text)))
            if pos >= 0:
                cut.append(Span(start=pos, end=pos + len(g.text)))
    for s in cut:
        text = text[: s.start] + " " * (s.end - s.start) + text[s.end :]
    return re.sub(r"\s+", " ", text).strip()


_GRADUATED = re.compile(r"毕业|结业|肄业")
_CLAUSE_END = re.compile(r"[，,。；;？?！!：:]")


def _lead_words(frame: QuestionFrame, span: Span) -> str:
    """The words before a figure, back to the start of its clause (兴办职业教育投了 | 两百万)."""
    lead = frame.text[max(0, span.start - 16) : span.start]
    parts = _CLAUSE_END.split(lead)
    return parts[-1].strip() if parts else ""


def _units(frame: QuestionFrame) -> tuple[list[Unit], list[Span]]:
    """Studios and bases named with their level (新建的区级大师工作站, 新获批了省级培训基地)."""
    w = profile_words()
    nouns = _alternation(w["unit_nouns"])  # type: ignore[arg-type]
    new = re.compile(_alternation(w["unit_new"]))  # type: ignore[arg-type]
    not_yet = re.compile(_alternation(w["unit_not_yet"]))  # type: ignore[arg-type]
    leader = re.compile(_alternation(w["unit_leader"]))  # type: ignore[arg-type]
    units: list[Unit] = []
    spans: list[Span] = []
    text = frame.text
    for lv in frame.levels:
        if lv.ladder != "admin":
            continue
        rest = text[lv.span.end : lv.span.end + 20]
        m = re.match(rf"[^，。；？！,;?!、]*?(?:{nouns})", rest)
        if not m:
            continue
        kind = m.group(0)
        start = max([e.end() for e in _CLAUSE_END.finditer(text[: lv.span.start])], default=0)
        end = lv.span.end + m.end()
        clause_end = next((e.start() for e in _CLAUSE_END.finditer(text, end)), len(text))
        before, after = text[start : lv.span.start], text[end:clause_end]
        is_new = None
        first = lv.span.start
        if not_yet.search(before) or not_yet.search(after):
            is_new = False
        elif new.search(before):
            is_new = True
            # 新建的区级大师工作站: the word saying it is new is the unit's, not of the people around it.
            last = list(new.finditer(before))[-1]
            if re.fullmatch(r"(?:的|了)?", before[last.end() :]):
                first = start + last.start()
        count = 1
        for g in frame.groups:
            if g.count is not None and _overlaps(g.span, Span(start=lv.span.start, end=end)):
                count = g.count
        kind = kind.replace("(", "（").replace(")", "）")
        units.append(Unit(kind=kind, level=lv.text, count=count, new=is_new, leader=bool(leader.search(after[:6]))))
        spans.append(Span(start=first, end=end))
    return units, spans


# ---------------------------------------------------------------------------------------------- profile → frame


def negative_concepts(conditions: list) -> set[str]:
    """Concepts a condition states in the negative (在我市无住房): met when the fact is absent."""
    return {cond.concept for cond in conditions if cond.worded_negatively}


def _in_place(place: str, doc_city: str) -> bool:
    return not place or not doc_city or contains(doc_city, place) or contains(place, doc_city)


def to_frame(
    profile: Profile,
    *,
    people: list[int] | None = None,
    units: list[int] | None = None,
    money: list[MoneyFigure] | None = None,
    doc_city: str = "",
    negative: set[str] | None = None,
    per_period: Decimal | None = None,
    duration: Decimal | None = None,
    elapsed: Decimal | None = None,
    asks_total: bool = False,
    level_words: str = "",
) -> QuestionFrame:
    """The profile (or the part of it one provision concerns) as a frame the accounting reads.

    ``people`` / ``units``: indices of the groups to include (default: all); ``doc_city``: the place
    of the provision's document (a fact about another place does not hold there); ``negative``: the
    concepts the provision states in the negative; ``per_period`` / ``duration`` / ``elapsed``: months;
    ``level_words``: words whose levels the frame carries without a group (the applicant's own).
    """
    negative = negative or set()
    vocab = vocabulary()
    pieces: list[str] = []
    pos = 0

    def add(words: str) -> Span:
        nonlocal pos
        if pieces:
            pieces.append("；")
            pos += 1
        start = pos
        pieces.append(words)
        pos += len(words)
        return Span(start=start, end=pos)

    numbers: list[NumberToken] = []
    groups: list[Group] = []
    levels: list[LevelMention] = []

    def qualifier(f: ProfileFact, span: Span) -> Qualifier | None:
        holds = _holds(f, doc_city, negative)
        if holds is None:
            return None
        return Qualifier(
            text=f.text or f.concept,
            concept=f.concept,
            negated=not holds,
            elsewhere=f.elsewhere,
            value=f.in_frame_units(),
            place=_place_for(f.place, doc_city),
            span=span,
        )

    def group(
        count: int | None,
        label: str,
        words: str,
        measure: str,
        facts: list[ProfileFact],
        parent: int | None,
        rest: bool = False,
        only: bool = False,
    ) -> None:
        shown = str(count) if count is not None else "若干"
        span = add(f"{shown}{measure}{words}")
        number = None
        if count is not None:
            number = len(numbers)
            numbers.append(
                NumberToken(
                    text=shown,
                    value=Decimal(count),
                    role="count",
                    unit=measure,
                    span=Span(start=span.start, end=span.start + len(shown)),
                )
            )
        offset = span.start + len(shown) + len(measure)
        for s, e, lv in vocab.levels_held(words):
            levels.append(
                LevelMention(
                    ladder=lv.ladder,
                    level=lv.level,
                    rank=lv.rank,
                    text=words[s:e],
                    span=Span(start=offset + s, end=offset + e),
                )
            )
        quals = [q for f in facts if (q := qualifier(f, span)) is not None]
        quals += _subjects_named(words, quals, span)
        groups.append(
            Group(
                count=count,
                label=label,
                text=words,
                parent=parent,
                complement=rest and parent is not None,
                only=only and parent is not None,
                qualifiers=quals,
                number=number,
                span=span,
            )
        )

    chosen = list(range(len(profile.people))) if people is None else people
    where = {old: new for new, old in enumerate(chosen)}
    for k in chosen:
        p = profile.people[k]
        parent = where.get(p.part_of) if p.part_of is not None else None
        group(p.count, p.label or p.level, p.words(), "人", p.facts, parent, p.rest, p.only)
    for k in list(range(len(profile.units))) if units is None else units:
        u = profile.units[k]
        new = [] if u.new is None else [ProfileFact(concept="新增", holds=u.new, text="新建" if u.new else "尚未获批")]
        group(u.count, u.words(), u.words(), "家", new, None)
    facts: list[Fact] = []
    for f in profile.all_facts():
        holds = _holds(f, doc_city, negative)
        if holds is None:
            continue
        span = add(f.text or f.concept)
        facts.append(
            Fact(
                concept=f.concept,
                text=f.text or f.concept,
                negated=not holds,
                elsewhere=f.elsewhere,
                value=f.in_frame_units(),
                place=_place_for(f.place, doc_city),
                span=span,
            )
        )
    money_out: list[Money] = []
    for m in money or []:
        span = add(f"{m.label}{m.value}元")
        money_out.append(Money(value=m.value, text=f"{m.value}元", role=m.role, span=span))
    if level_words:
        span = add(level_words)
        for s, e, lv in vocab.levels_held(level_words):
            levels.append(
                LevelMention(
                    ladder=lv.ladder,
                    level=lv.level,
                    rank=lv.rank,
                    text=level_words[s:e],
                    span=Span(start=span.start + s, end=span.start + e),
                )
            )
    spans: list[TimeSpan] = []
    for months, kind in ((per_period, "per_period"), (duration, "duration"), (elapsed, "elapsed")):
        if months is not None:
            spans.append(TimeSpan(months=months, text=f"{months}个月", kind=kind, span=add(f"{months}个月")))  # type: ignore[arg-type]
    text = "".join(pieces)
    return QuestionFrame(
        question=text,
        text=text,
        intent="entitlements",
        asks_total=asks_total,
        numbers=numbers,
        groups=groups,
        levels=levels,
        facts=facts,
        money=money_out,
        spans=spans,
    )


def _subjects_named(words: str, quals: list[Qualifier], span: Span) -> list[Qualifier]:
    """Who the people are, when their own words name a who-counts concept (技能大师工作室团队成员).

    A group called 团队成员 is said to be members as much as one with a 团队成员 fact: the
    accounting tells members apart from the others by it.
    """
    vocab = vocabulary()
    have = {q.concept for q in quals}
    out: list[Qualifier] = []
    for start, _, concept, negative in vocab.concepts_in(words):
        if not concept.subject or concept.name in have:
            continue
        lead = words[:start]
        negated = negative or any(lead.endswith(n) for n in (*vocab.negation_before, "非", "不是"))
        out.append(Qualifier(text=words, concept=concept.name, negated=negated, span=span))
        have.add(concept.name)
    return out


def _place_for(place: str, doc_city: str) -> str:
    """A place inside the provision's (湖里区 for 厦门) is the provision's place; another stays as it is."""
    return doc_city if place and doc_city and _in_place(place, doc_city) else place


def _holds(f: ProfileFact, doc_city: str, negative: set[str]) -> bool | None:
    """Whether the fact holds for a provision of ``doc_city``, in the polarity the provision states it."""
    if f.holds is None:
        return None
    holds = f.holds
    concept = vocabulary().concept(f.concept)
    if concept is not None and concept.place and f.place and not _in_place(f.place, doc_city):
        holds = False  # a home or a registration in another place is not one in the provision's place
    return holds  # in the user's polarity: the accounting reads a condition worded negatively (无住房)
