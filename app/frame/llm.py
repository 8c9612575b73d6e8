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
* a place must be one the offline reader found (gazetteer and manifest); the
  model may only say what role it plays (asked about / a fact of the user's).

What fails is dropped and written in ``frame.notes``; a group that cannot be
verified is dropped whole (with its subgroups), so its number stays unplaced
and the accounting states no total. The result is an ordinary
``QuestionFrame`` (``reader = "model"``); numbers, levels, script and
follow-up come from the offline reading. Any error, timeout or malformed call
gives the offline frame, with a note and a log line.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any, Literal

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

TOOL_NAME = "read_question"
_NEAR = 12  # characters between a count and its category words for them to be read as one phrase


# ---------------------------------------------------------------------------------------------- the tool schema


class QualifierArg(BaseModel):
    text: str = Field(description="the words of the question said about the group, verbatim: 没通过企业实习考核")
    concept: str = Field("", description="the condition concept: 社保, 合同, 考核, 户籍, 培训 …")
    negated: bool = Field(False, description="true when the words say it is not so (没/未/还没)")
    elsewhere: bool = Field(False, description="true when it holds elsewhere: 合同签在子公司, 社保在外地交")
    value: Decimal | None = Field(None, description="a number the words give, as written in the question (2个月 → 2)")


class GroupArg(BaseModel):
    count: int | None = Field(None, description="how many, exactly as the question says; null when not said")
    label: str = Field(description="the category words of the question, verbatim: 中职学徒, 高级技师; '' for 其中3个")
    qualifiers: list[QualifierArg] = Field(default_factory=list)
    parent: int | None = Field(None, description="index (in this list) of the group this one is part of (其中3个)")
    complement: bool = Field(False, description="the rest of the parent: 其他的 / 剩下的")
    additive: bool = Field(False, description="added to an earlier count: 再加两个")


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
        out.groups = self._groups()
        out.spans = self._spans()
        out.money = self._money()
        out.claims = self._claims()
        out.facts = self._facts()
        # A rate the model read as a claim is not also a rate of the user's.
        claimed = {c.number for c in out.claims}
        out.rates = [t for t in self.off.rates if self._index(t) not in claimed]
        out.notes = [*self.off.notes, *self.notes]
        for n in self.notes:
            log.info("model reading: %s", n)
        return out

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
        out = [p.model_copy() for p in self.off.places]
        for arg in self.call.places:
            name = normalise(arg.name)
            hit = next((p for p in out if name in (p.name, p.text)), None)
            if hit is None:
                self.notes.append(f"模型给出的地名“{arg.name}”不在问题中或不认识，已忽略。")
                continue
            if arg.role != hit.role:
                out[out.index(hit)] = hit.model_copy(update={"role": arg.role})
        if out and not any(p.role == "about" for p in out):
            out[0] = out[0].model_copy(update={"role": "about"})
        return out

    def _groups(self) -> list[Group]:
        kept: dict[int, int] = {}  # the model's index → index in the frame
        out: list[Group] = []
        concepts = {c.name for c in vocabulary().concepts}
        for k, arg in enumerate(self.call.groups):
            shown = f"{arg.label or '（未写类别）'}{arg.count if arg.count is not None else ''}"
            if arg.parent is not None and arg.parent not in kept:
                self.notes.append(f"模型读出的“{shown}”所属的一组未能核对，已忽略。")
                continue
            label_at = self._find(arg.label) if arg.label else None
            if arg.label and label_at is None:
                self.notes.append(f"模型读出的类别“{arg.label}”不是问题里的字，已忽略这一组。")
                continue
            number = None
            if arg.count is not None:
                number = self._token(Decimal(arg.count), ("count", "other"), label_at)
                if number is None:
                    self.notes.append(f"模型读出的人数{arg.count}（{arg.label}）在问题中找不到，已忽略这一组。")
                    continue
            quals, bad = [], ""
            for q in arg.qualifiers:
                at = self._find(q.text)
                ok, value = self._value(q.value, at)
                if at is None or not ok or (q.concept and q.concept not in concepts):
                    bad = q.text
                    break
                quals.append(
                    Qualifier(
                        text=normalise(q.text),
                        concept=q.concept,
                        negated=q.negated,
                        elsewhere=q.elsewhere,
                        value=value,
                        span=at,
                    )
                )
            if bad:
                self.notes.append(f"模型读出的“{bad}”（{shown}）无法在问题中核对，已忽略这一组。")
                continue
            span = self._group_span(number, label_at)
            if span is None:
                self.notes.append(f"模型读出的一组（{shown}）在问题中找不到，已忽略。")
                continue
            if number is not None:
                self.used.add(number)
            kept[k] = len(out)
            out.append(
                Group(
                    count=arg.count,
                    label=normalise(arg.label),
                    text=" ".join([self.text[span.start : span.end], *(q.text for q in quals)]),
                    parent=kept[arg.parent] if arg.parent is not None else None,
                    complement=arg.complement and arg.parent is not None,
                    additive=arg.additive,
                    qualifiers=quals,
                    number=number,
                    span=span,
                )
            )
        return out

    def _group_span(self, number: int | None, label_at: Span | None) -> Span | None:
        tok = self.off.numbers[number].span if number is not None else None
        if tok is None:
            return label_at
        if label_at is None or min(abs(label_at.start - tok.end), abs(tok.start - label_at.end)) > _NEAR:
            return tok
        return Span(start=min(tok.start, label_at.start), end=max(tok.end, label_at.end))

    def _spans(self) -> list[TimeSpan]:
        out = []
        for arg in self.call.spans:
            at = self._find(arg.text)
            if at is None:
                self.notes.append(f"模型读出的时间“{arg.text}”不是问题里的字，已忽略。")
                continue
            offline = next(
                (
                    s
                    for s in self.off.spans
                    if s.span.start < at.end
                    and at.start < s.span.end
                    and s.months == arg.months
                    and (s.number is None or s.number not in self.used)
                ),
                None,
            )
            if offline is not None:
                out.append(offline.model_copy(update={"kind": arg.kind}))
                if offline.number is not None:
                    self.used.add(offline.number)
                continue
            i = self._token(arg.months, ("span",), at)
            if i is None or not (at.start <= self.off.numbers[i].span.start < at.end):
                self.notes.append(f"模型读出的“{arg.text}”={_fmt(arg.months)}个月与问题中的数字不符，已忽略。")
                continue
            t = self.off.numbers[i]
            self.used.add(i)
            days = t.value * 30 if t.unit == "天" else None
            out.append(TimeSpan(months=t.value, days=days, text=t.text, kind=arg.kind, number=i, span=t.span))
        return out

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
            if at is None or not ok or arg.concept not in concepts:
                self.notes.append(f"模型读出的情况“{arg.text}”无法在问题中核对，已忽略。")
                continue
            out.append(
                Fact(
                    concept=arg.concept,
                    text=normalise(arg.text),
                    negated=arg.negated,
                    elsewhere=arg.elsewhere,
                    value=value,
                    asked=arg.asked,
                    span=at,
                )
            )
        return out


def tool_schema() -> dict[str, Any]:
    """The ``read_question`` tool as an OpenAI tool definition (for documentation and tests)."""
    from langchain_core.utils.function_calling import convert_to_openai_tool

    return convert_to_openai_tool(ReadQuestion)
