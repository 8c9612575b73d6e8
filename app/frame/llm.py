"""The question frame filled by a chat model through tool calling, verified before use.

When ``llm.frame = tool`` (and the answer backend is ``openai``), the chat model
is asked to call one tool, ``read_question``, whose arguments are the reading
of the question: places, groups (count, category words, qualifiers with their
polarity, parent), time spans in months, money with its role, the user's facts
and claims, the intent. The model never supplies a number on its own: every
value it gives is checked against the offline reading of the same text
(``app.frame.read``), which found every number token with its span:

* a group's count, a money value, a claim's value, a qualifier's or a fact's
  value must be the value of a number token of the question (each token used
  once); a span's months must be the value of a span token (or of an offline
  span such as 每月) inside the words the model quotes for it;
* category words, qualifier words and fact words must be words of the
  question (that is where their span comes from); a concept must be one of
  the vocabulary's;
* a place must be one the offline reader found (gazetteer and manifest); its
  role (asked about / a fact of the user's) stays the offline reader's, a
  different one is noted.

What fails is dropped and written in ``frame.notes``; a group that cannot be
verified is dropped whole (with its subgroups), so its number stays unplaced
and the accounting states no total. The result is an ordinary
``QuestionFrame`` (``reader = "model"``); numbers, levels, script and
follow-up come from the offline reading. Any error, timeout or malformed call
gives the offline frame, with a note and a log line.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal, TypeVar

from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.frame.read import normalise
from app.frame.schema import (
    Claim,
    Fact,
    Group,
    Intent,
    Money,
    NumberToken,
    PlaceMention,
    Qualifier,
    QuestionFrame,
    Span,
    TimeSpan,
)
from app.prompts import load_prompt
from ingest.vocab import vocabulary

log = logging.getLogger(__name__)
P = TypeVar("P", bound=BaseModel)

TOOL_NAME = "read_question"


# ---------------------------------------------------------------------------------------------- the tool schema


class QualifierArg(BaseModel):
    text: str = Field(description="the words of the question said about the group, verbatim: 没通过企业实习考核")
    concept: str = Field("", description="the condition concept: 社保, 合同, 考核, 户籍, 培训 …")
    negated: bool = Field(False, description="true when the words say it is not so (没/未/还没)")
    elsewhere: bool = Field(False, description="true when it holds elsewhere: 合同签在子公司, 社保在外地交")
    value: Decimal | None = Field(None, description="a number the words give, as written in the question (2个月 → 2)")
    place: str = Field("", description="a place the words name for the concept: 在泉州交的社保 → 泉州")


class GroupArg(BaseModel):
    text: str = Field(
        description="all the words of the question about this group, verbatim: 8个中职学徒 / 6个员工刚考下高级技师证 / 其他的"
    )
    count: int | None = Field(None, description="how many, exactly as the question says; null when not said")
    label: str = Field(description="the category words of the question, verbatim: 中职学徒, 高级技师; '' for 其中3个")
    qualifiers: list[QualifierArg] = Field(default_factory=list)
    parent: int | None = Field(None, description="index (in this list) of the group this one is part of (其中3个)")
    complement: bool = Field(False, description="the rest of the parent: 其他的 / 剩下的")
    additive: bool = Field(False, description="added to an earlier count: 再加两个")
    only: bool = Field(False, description="只有/仅 these: the rest of the parent did not do what is said of them")
    part_of_several: bool = Field(False, description="其中N个 after several groups, not saying of which one")
    applicant: bool = Field(False, description="the asker itself, not people counted: 我们一家企业, 公司500来人")


class SpanArg(BaseModel):
    text: str = Field(description="the words of the question, verbatim: 3年, 半年, 每月")
    months: Decimal = Field(description="the duration in months (3年 → 36, 半年 → 6, 每月 → 1)")
    kind: Literal["duration", "elapsed", "per_period"] = "duration"


class MoneyArg(BaseModel):
    text: str = Field(description="the words of the question, verbatim: 1500元, 二十万")
    value: Decimal = Field(description="in 元")
    role: Literal["base", "deduction", "original_standard", "unknown"] = Field(
        "unknown", description="base: 营收/收入; deduction: 成本; original_standard: 原来的标准"
    )


class FactArg(BaseModel):
    concept: str = Field(description="the condition concept: 社保, 户籍, 住房 …")
    text: str = Field(description="the words of the question, verbatim: 户籍还没转过来")
    negated: bool = False
    elsewhere: bool = False
    value: Decimal | None = Field(None, description="a number the words give (交了4个月社保 → 4)")
    place: str = Field("", description="a place the words name for the concept: 户籍在成都 → 成都")
    asked: bool = Field(False, description="asked about rather than stated: 要不要交社保")


class ClaimArg(BaseModel):
    text: str = Field(description="the figure as written: 48个月, 50%")
    value: Decimal
    unit: str = Field(description="个月 / 年 / % / 元 / 万元 / 人")
    qualifier: Literal["", "cap", "floor", "before_tax"] = ""


class PlaceArg(BaseModel):
    name: str = Field(description="the place as written in the question: 大连, 鄞州区")
    role: Literal["about", "fact"] = Field(
        "about", description="about: its policy is asked; fact: a place in the user's own fact (在泉州交的社保)"
    )


class ReadQuestion(BaseModel):
    """Record the reading of the user's question: what it names and every number in it, nothing else."""

    model_config = ConfigDict(title=TOOL_NAME)

    intent: Intent = Field(description="calculate / check / fact / entitlements / compare / meta / other")
    asks_total: bool = Field(False, description="the user asks for a sum: 一共 / 多少钱 / 能拿多少")
    places: list[PlaceArg] = Field(default_factory=list)
    groups: list[GroupArg] = Field(default_factory=list)
    spans: list[SpanArg] = Field(default_factory=list)
    money: list[MoneyArg] = Field(default_factory=list)
    facts: list[FactArg] = Field(default_factory=list)
    claims: list[ClaimArg] = Field(default_factory=list, description="what the user believes the text says: …吧")


# ---------------------------------------------------------------------------------------------- the model call


class ModelFramer:
    """``framer(offline_frame) → frame``: the model's reading, verified against the offline one."""

    def __init__(self, model: BaseChatModel):
        self.model = model
        self.prompt = load_prompt("frame")

    def __call__(self, offline: QuestionFrame) -> QuestionFrame:
        try:
            call = self.ask(offline.question)
        except Exception as exc:  # noqa: BLE001 - any failure of the endpoint or of its output: the offline frame
            log.warning("model reading failed (%s: %s); using the offline reading", type(exc).__name__, exc)
            out = offline.model_copy(deep=True)
            out.notes.append(f"模型读题失败（{type(exc).__name__}），已按离线读法。")
            return out
        return verify(call, offline)

    def ask(self, question: str) -> ReadQuestion:
        bound = self.model.bind_tools([ReadQuestion], tool_choice=TOOL_NAME)
        concepts = "、".join(c.name for c in vocabulary().concepts)
        reply = bound.invoke(self.prompt.template().format_messages(question=question, concepts=concepts))
        calls = [c for c in getattr(reply, "tool_calls", None) or [] if c.get("name") == TOOL_NAME]
        if not calls:
            raise ValueError(f"the model did not call {TOOL_NAME}")
        try:
            return ReadQuestion.model_validate(calls[0]["args"])
        except ValidationError as exc:
            raise ValueError(f"invalid {TOOL_NAME} arguments: {exc.error_count()} errors") from exc


# ---------------------------------------------------------------------------------------------- verification


def verify(call: ReadQuestion, offline: QuestionFrame) -> QuestionFrame:
    """The model's reading as a ``QuestionFrame``, keeping only what the question's text bears out."""
    return _Verifier(call, offline).frame()


def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f")


class _Verifier:
    def __init__(self, call: ReadQuestion, offline: QuestionFrame):
        self.call = call
        self.off = offline
        self.text = offline.text
        self.used: set[int] = set()
        self.notes: list[str] = []

    def frame(self) -> QuestionFrame:
        out = self.off.model_copy(deep=True)
        out.reader = "model"
        out.intent = self.call.intent
        out.asks_total = self.call.asks_total
        out.places = self._places()
        # Each part is the model's only when all of it is borne out by the text; otherwise that part is
        # the offline reader's (a dropped group would leave its count to be read as something else).
        out.groups = self._part("人群", self._groups, self.off.groups)
        out.spans = self._part("时间", self._spans, self.off.spans)
        out.money = self._part("金额", self._money, self.off.money)
        claims = self._part("说法", self._claims, self.off.claims)
        out.claims = claims
        # A rate the model read as a claim is not also a rate of the user's.
        claimed = {c.number for c in claims}
        out.rates = [t for t in self.off.rates if self._index(t) not in claimed]
        out.facts = self._part("情况", self._facts, self.off.facts)
        numbers = [x.number for part in (out.groups, out.spans, out.money, out.claims) for x in part]
        numbers += [self._index(t) for t in out.rates]
        placed = [n for n in numbers if n is not None]
        if len(placed) != len(set(placed)):  # a mix of the two readings placed one number twice
            self.notes.append("模型的读法与离线读法不一致，已按离线读法。")
            out = self.off.model_copy(deep=True)
        out.notes = [*self.off.notes, *self.notes]
        for n in self.notes:
            log.info("model reading: %s", n)
        return out

    def _part(self, name: str, read: Callable[[], list[P]], offline: list[P]) -> list[P]:
        before = len(self.notes)
        used = set(self.used)
        mine = read()
        if len(self.notes) == before:
            return mine
        self.notes.append(f"（{name}按离线读法）")
        self.used = used | {n for x in offline if (n := getattr(x, "number", None)) is not None}
        return [x.model_copy(deep=True) for x in offline]

    # -- helpers

    def _index(self, token: NumberToken) -> int | None:
        return next((i for i, t in enumerate(self.off.numbers) if t.span == token.span), None)

    def _find(self, words: str) -> Span | None:
        """Where the model's words are in the question (Simplified, ASCII digits, as the spans are)."""
        words = normalise(words.strip())
        if not words:
            return None
        at = self.text.find(words)
        return Span(start=at, end=at + len(words)) if at >= 0 else None

    def _token(self, value: Decimal, roles: tuple[str, ...], near: Span | None = None) -> int | None:
        """An unused number token of the question with this value (the nearest to ``near``)."""
        found = [
            i
            for i, t in enumerate(self.off.numbers)
            if i not in self.used and t.value == value and (not roles or t.role in roles)
        ]
        if not found:
            return None
        if near is not None:
            found.sort(key=lambda i: abs(self.off.numbers[i].span.start - near.start))
        return found[0]

    def _value(self, value: Decimal | None, where: Span | None) -> tuple[bool, Decimal | None]:
        """A value said inside some words: it must be a number token there (not claimed by a group)."""
        if value is None:
            return True, None
        if where is None:
            return False, None
        for t in self.off.numbers:
            if t.value == value and t.span.start >= where.start and t.span.end <= where.end:
                return True, value
        return False, None

    # -- the parts

    def _places(self) -> list[PlaceMention]:
        """The offline reader's places. A place the model names must be one of them; a role it gives
        that differs (asked about / a fact of the user's) is noted, not used: the role decides which
        documents answer, and neither reading can be checked against the text."""
        out = [p.model_copy() for p in self.off.places]
        for arg in self.call.places:
            name = normalise(arg.name)
            hit = next((p for p in out if name in (p.name, p.text)), None)
            if hit is None:
                self.notes.append(f"模型给出的地名“{arg.name}”不在问题中或不认识，已忽略。")
            elif arg.role != hit.role:
                self.notes.append(f"模型对“{hit.text}”的读法（{arg.role}）与离线读法不同，按离线读法。")
        return out

    def _groups(self) -> list[Group]:
        kept: dict[int, int] = {}  # the model's index → index in the frame
        out: list[Group] = []
        taken: set[int] = set()  # where a group's words start: two groups are never the same words
        for k, arg in enumerate(self.call.groups):
            shown = arg.text or f"{arg.label}{arg.count if arg.count is not None else ''}"
            if arg.parent is not None and arg.parent not in kept:
                self.notes.append(f"模型读出的“{shown}”所属的一组未能核对，已忽略。")
                continue
            if arg.label and self._find(arg.label) is None:
                self.notes.append(f"模型读出的类别“{arg.label}”不是问题里的字，已忽略这一组。")
                continue
            span, number = self._group_words(arg, taken)
            if span is None:
                what = f"人数{arg.count}" if arg.count is not None else "这些字"
                self.notes.append(f"模型读出的“{shown}”（{what}）在问题中找不到，已忽略这一组。")
                continue
            quals = self._qualifiers(arg, span)
            if quals is None:
                self.notes.append(f"模型读出的“{shown}”的情况无法在问题中核对，已忽略这一组。")
                continue
            if number is not None:
                self.used.add(number)
            taken.add(span.start)
            kept[k] = len(out)
            out.append(
                Group(
                    count=arg.count,
                    label=normalise(arg.label),
                    text=normalise(arg.text),
                    parent=kept[arg.parent] if arg.parent is not None else None,
                    complement=arg.complement and arg.parent is not None,
                    part_of_several=arg.part_of_several and arg.parent is None,
                    additive=arg.additive,
                    only=arg.only and arg.parent is not None,
                    qualifiers=quals,
                    number=number,
                    span=span,
                )
            )
        return out

    def _group_words(self, arg: GroupArg, taken: set[int]) -> tuple[Span | None, int | None]:
        """Where the group is (its count and category words inside the words about it), and its count's
        number token, which must be inside those words."""
        label = normalise(arg.label)
        for at in self._occurrences(arg.text or arg.label):
            inside = [
                i
                for i, t in enumerate(self.off.numbers)
                if i not in self.used
                and t.role in ("count", "other")
                and at.start <= t.span.start < t.span.end <= at.end
            ]
            if arg.count is not None:
                number = next((i for i in inside if self.off.numbers[i].value == Decimal(arg.count)), None)
                if number is None or self.off.numbers[number].approximate:
                    continue
            else:
                # 800多号人, 几个: a number said about the group that is not a count, placed with it.
                number = next((i for i in inside if self.off.numbers[i].approximate), None)
            # Where the offline reader saw a group of the same count in these words, its span is the
            # group's (it knows where 其他的 ends); otherwise the count and the category words inside them.
            anchor = next(
                (
                    g.span
                    for g in self.off.groups
                    if g.count == arg.count
                    and at.start <= g.span.start
                    and g.span.end <= at.end
                    and g.span.start not in taken
                    and (number is None or g.number == number)
                ),
                None,
            )
            inner = self.text.find(label, at.start, at.end) if label else -1
            parts = [self.off.numbers[number].span] if number is not None else []
            if inner >= 0:
                parts.append(Span(start=inner, end=inner + len(label)))
            span = anchor or (Span(start=min(p.start for p in parts), end=max(p.end for p in parts)) if parts else at)
            if span.start not in taken:
                return span, number
        return None, None

    def _qualifiers(self, arg: GroupArg, span: Span) -> list[Qualifier] | None:
        """The words said of a group, each found in the question, its concept known and its
        polarity the offline reader's where both read the same words; None when one fails."""
        concepts = {c.name for c in vocabulary().concepts}
        out = []
        if arg.applicant:
            out.append(Qualifier(text=normalise(arg.text), concept="self", span=Span(start=span.start, end=span.start)))
        for q in arg.qualifiers:
            spans = sorted(self._occurrences(q.text), key=lambda o: abs(o.start - span.start))
            words = spans[0] if spans else None
            ok, value = self._value(q.value, words)
            at = self._concept_span(words, q.concept) if words is not None else None
            place = self._place(q.place)
            if at is None or not ok or (q.concept and q.concept not in concepts) or place is None:
                return None
            if self._polarity_differs(q.concept, q.negated, at):
                return None
            out.append(
                Qualifier(
                    text=normalise(q.text),
                    concept=q.concept,
                    negated=q.negated,
                    elsewhere=q.elsewhere,
                    value=value,
                    place=place,
                    span=at,
                )
            )
        return out

    def _concept_span(self, at: Span, concept: str) -> Span:
        """The concept's own word inside the words said (合同 in 都签了合同), as the offline reader keeps it."""
        for s, e, c, _ in vocabulary().concepts_in(self.text[at.start : at.end]):
            if c.name == concept:
                return Span(start=at.start + s, end=at.start + e)
        return at

    def _place(self, name: str) -> str | None:
        """A place named in a fact: '' when none, its canonical name when the offline reader found it."""
        if not name.strip():
            return ""
        name = normalise(name.strip())
        return next((p.name for p in self.off.places if name in (p.name, p.text)), None)

    def _polarity_differs(self, concept: str, negated: bool, at: Span) -> bool:
        """没通过 read as 通过 (or the reverse): the offline reader saw the same concept in the same
        words with the other polarity. Such a reading never reaches a total."""
        said = [(q.concept, q.negated, q.span) for g in self.off.groups for q in g.qualifiers] + [
            (f.concept, f.negated, f.span) for f in self.off.facts
        ]
        return any(c == concept and n != negated and sp.start < at.end and at.start < sp.end for c, n, sp in said if c)

    def _occurrences(self, words: str) -> list[Span]:
        words = normalise(words.strip())
        if not words:
            return []
        return [Span(start=m.start(), end=m.end()) for m in re.finditer(re.escape(words), self.text)]

    def _spans(self) -> list[TimeSpan]:
        out = []
        for arg in self.call.spans:
            found = self._span(arg)
            if found is None:
                self.notes.append(f"模型读出的时间“{arg.text}”（{_fmt(arg.months)}个月）与问题中的字不符，已忽略。")
                continue
            if found.number is not None:
                self.used.add(found.number)
            out.append(found)
        return out

    def _span(self, arg: SpanArg) -> TimeSpan | None:
        """The offline span (每月, 3年) in the model's words with the same months, or a span token there."""
        for at in self._occurrences(arg.text):
            for s in self.off.spans:
                if s.span.start < at.end and at.start < s.span.end and s.months == arg.months:
                    if s.number is None or s.number not in self.used:
                        return s.model_copy(update={"kind": arg.kind})
            for i, t in enumerate(self.off.numbers):
                inside = at.start <= t.span.start and t.span.end <= at.end
                if inside and i not in self.used and t.role == "span" and t.value == arg.months:
                    days = t.value * 30 if t.unit == "天" else None
                    return TimeSpan(months=t.value, days=days, text=t.text, kind=arg.kind, number=i, span=t.span)
        return None

    def _money(self) -> list[Money]:
        out = []
        for arg in self.call.money:
            at = self._find(arg.text)
            i = self._token(arg.value, ("money",), at)
            if i is None:
                self.notes.append(f"模型读出的金额{_fmt(arg.value)}元在问题中找不到，已忽略。")
                continue
            t = self.off.numbers[i]
            self.used.add(i)
            role = "base" if arg.role == "original_standard" else arg.role
            out.append(Money(value=t.value, text=t.text, role=role, number=i, span=t.span))
        return out

    def _claims(self) -> list[Claim]:
        out = []
        for arg in self.call.claims:
            at = self._find(arg.text)
            i = self._token(arg.value, (), at)
            if i is None:
                self.notes.append(f"模型读出的说法“{arg.text}”（{_fmt(arg.value)}）在问题中找不到，已忽略。")
                continue
            t = self.off.numbers[i]
            self.used.add(i)
            out.append(Claim(text=t.text, value=t.value, unit=arg.unit, qualifier=arg.qualifier, number=i, span=t.span))
        return out

    def _facts(self) -> list[Fact]:
        out = []
        concepts = {c.name for c in vocabulary().concepts}
        for arg in self.call.facts:
            at = self._find(arg.text)
            ok, value = self._value(arg.value, at)
            place = self._place(arg.place)
            if at is None or not ok or arg.concept not in concepts or place is None:
                self.notes.append(f"模型读出的情况“{arg.text}”无法在问题中核对，已忽略。")
                continue
            out.append(
                Fact(
                    concept=arg.concept,
                    text=normalise(arg.text),
                    negated=arg.negated,
                    elsewhere=arg.elsewhere,
                    value=value,
                    place=place,
                    asked=arg.asked,
                    span=at,
                )
            )
        return out


def tool_schema() -> dict[str, Any]:
    """The ``read_question`` tool as an OpenAI tool definition (for documentation and tests)."""
    from langchain_core.utils.function_calling import convert_to_openai_tool

    return convert_to_openai_tool(ReadQuestion)
