"""Unit tests for app.frame.llm: the frame filled by a tool-calling model, verified against the text.

No endpoint: ``ToolCaller`` is a small fake chat model that answers every call
with the ``read_question`` tool call it was given (and records what it was sent).
Two kinds of model are played: a faithful one, which transcribes the offline
reading into the tool's arguments (so the verified frame must give the same
plan), and one that says what the text does not (an invented count, a flipped
negation, a place that is not there), which must never reach a total.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

from app.answer.chain import Assistant
from app.embeddings import FakeEmbeddings
from app.frame.llm import TOOL_NAME, ModelFramer, ReadQuestion, tool_schema, verify
from app.frame.read import read_question
from app.frame.schema import QuestionFrame
from app.scope import place_names
from app.services import Services, build_services
from app.settings import REPO_ROOT
from app.tools.accounting import plan
from app.tools.engine import RuleEngine
from app.tools.rules import Catalogue, Rule
from ingest.manifest import Manifest
from tests.metamorphic import generator as gen

CATALOGUE = Catalogue.load(REPO_ROOT / "corpus" / "rules")
DOCS = Manifest.load(REPO_ROOT / "corpus" / "manifest.yaml").documents
ENGINE = RuleEngine(CATALOGUE, {d.id: d for d in DOCS})
PLACES = place_names(DOCS)
D = Decimal


class ToolCaller(BaseChatModel):
    """Answers with the given tool-call arguments (or raises / says nothing); records the messages."""

    args: Any = None
    error: str = ""
    sent: list[list[BaseMessage]] = Field(default_factory=list)
    bound: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "tool-caller"

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        self.bound.append({"tools": tools, **kwargs})
        return self

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, **kwargs: Any) -> ChatResult:
        self.sent.append(messages)
        if self.error:
            raise TimeoutError(self.error)
        calls = [] if self.args is None else [{"name": TOOL_NAME, "args": self.args, "id": "call-1"}]
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content="", tool_calls=calls))])


def rule(rule_id: str) -> Rule:
    r = CATALOGUE.get(rule_id)
    assert r is not None
    return r


def offline(question: str) -> QuestionFrame:
    return read_question(question, places=PLACES)


def transcribe(f: QuestionFrame) -> dict[str, Any]:
    """What a faithful model would call read_question with: the offline reading, in words and values."""
    groups = []
    for g in f.groups:
        quals = [q for q in g.qualifiers if q.concept != "self"]
        groups.append(
            {
                "text": g.text or f.words(g.span),
                "count": g.count,
                "label": g.label,
                "parent": g.parent,
                "complement": g.complement,
                "additive": g.additive,
                "only": g.only,
                "part_of_several": g.part_of_several,
                "applicant": any(q.concept == "self" for q in g.qualifiers),
                "qualifiers": [
                    {
                        "text": q.text,
                        "concept": q.concept,
                        "negated": q.negated,
                        "elsewhere": q.elsewhere,
                        "value": str(q.value) if q.value is not None else None,
                        "place": q.place,
                    }
                    for q in quals
                ],
            }
        )
    return {
        "intent": f.intent,
        "asks_total": f.asks_total,
        "places": [{"name": p.text, "role": p.role} for p in f.places],
        "groups": groups,
        "spans": [{"text": s.text, "months": str(s.months), "kind": s.kind} for s in f.spans],
        "money": [
            {"text": m.text, "value": str(m.value), "role": m.role if m.role != "claimed" else "unknown"}
            for m in f.money
        ],
        "facts": [
            {
                "concept": x.concept,
                "text": x.text,
                "negated": x.negated,
                "elsewhere": x.elsewhere,
                "value": str(x.value) if x.value is not None else None,
                "place": x.place,
                "asked": x.asked,
            }
            for x in f.facts
        ],
        "claims": [{"text": c.text, "value": str(c.value), "unit": c.unit, "qualifier": c.qualifier} for c in f.claims],
    }


def framed(question: str, args: Any) -> QuestionFrame:
    return ModelFramer(ToolCaller(args=args))(offline(question))


def total(frame: QuestionFrame, r: Rule) -> Decimal | None:
    p = plan(frame, r, doc_city=r.city)
    return ENGINE.run(r.id, p.inputs).result if p.can_total else None


# --------------------------------------------------------------------------- the tool and the prompt


def test_the_tool_is_read_question_with_the_frame_fields() -> None:
    tool = tool_schema()
    assert tool["function"]["name"] == "read_question"
    props = tool["function"]["parameters"]["properties"]
    assert {"intent", "places", "groups", "spans", "money", "facts", "claims"} <= set(props)


def test_the_model_is_bound_to_the_tool_and_sent_the_question() -> None:
    model = ToolCaller(args=transcribe(offline("大连，3个技师能拿多少补贴")))
    ModelFramer(model)(offline("大连，3个技师能拿多少补贴"))
    assert model.bound and model.bound[0]["tool_choice"] == TOOL_NAME
    assert model.bound[0]["tools"] == [ReadQuestion]
    assert "大连，3个技师能拿多少补贴" in model.sent[0][-1].content
    assert "社保" in model.sent[0][0].content  # the vocabulary's concepts are listed for the model


# --------------------------------------------------------------------------- a faithful model: the same plan


CASES = [
    ("xiamen.student-apprenticeship", "厦门，8个中职学徒，其中3个没通过企业实习考核，企业能拿多少"),
    (
        "xiamen.student-apprenticeship",
        "厦门，6个中职学徒都签了合同，其中2个的社保在泉州交，另外4个在厦门交了两个月，能拿多少",
    ),
    ("dalian.new-apprenticeship-subsidy", "大连新型学徒制，8个学徒，培养期3年，政府至少补多少"),
    ("dalian.high-level-skill-talent-allowance", "大连，2个领军人才的津贴一共多少"),
]


@pytest.mark.parametrize(("rule_id", "question"), CASES)
def test_a_faithful_tool_call_gives_the_offline_plan(rule_id: str, question: str) -> None:
    r = rule(rule_id)
    mine = framed(question, transcribe(offline(question)))
    assert mine.reader == "model" and mine.notes == []
    assert plan(mine, r, doc_city=r.city).as_dict() == plan(offline(question), r, doc_city=r.city).as_dict()


def test_faithful_tool_calls_on_generated_questions_give_the_offline_plan() -> None:
    """A property over the metamorphic stream (first turns): verification loses nothing a correct
    reading gives — the plan (inputs, exclusions, what is not understood) is the offline one."""
    differ, n = [], 0
    for case in gen.cases(20240901, 400):
        text = case.turns[0].text
        r = rule(case.rule_id)
        off = offline(text)
        mine = verify(ReadQuestion.model_validate(transcribe(off)), off)
        n += 1
        if plan(mine, r, doc_city=r.city).as_dict() != plan(off, r, doc_city=r.city).as_dict():
            differ.append(text)
    assert n == 400
    assert differ == [], f"{len(differ)} of {n} differ, e.g. {differ[:3]}"


# --------------------------------------------------------------------------- a model that says what the text does not


def test_an_invented_count_is_dropped_and_the_groups_are_the_offline_reading() -> None:
    question = "大连，3个技师能拿多少培训补贴"
    args = transcribe(offline(question))
    args["groups"][0]["count"] = 30  # the text says 3
    args["groups"][0]["text"] = "30个技师"
    f = framed(question, args)
    assert f.groups == offline(question).groups
    assert any("30" in n for n in f.notes) and "（人群按离线读法）" in f.notes
    for r in CATALOGUE.rules:
        if r.city == "大连":
            assert total(f, r) == total(offline(question), r)


@pytest.mark.parametrize("count", [2, 4, 5, 9, 11, 30, 300])
def test_a_count_the_text_does_not_contain_never_reaches_a_total(count: int) -> None:
    question = "大连新型学徒制，8个学徒，培养期3年，政府至少补多少"
    r = rule("dalian.new-apprenticeship-subsidy")
    args = transcribe(offline(question))
    args["groups"][0]["count"] = count
    for text in (args["groups"][0]["text"], f"{count}个学徒", "学徒"):
        args["groups"][0]["text"] = text
        f = framed(question, args)
        assert [g.count for g in f.groups] == [8], (count, text)
        assert total(f, r) == total(offline(question), r)
        assert any(str(count) in n for n in f.notes)


def test_an_invented_span_or_money_is_dropped() -> None:
    question = "大连新型学徒制，8个学徒，培养期3年，政府至少补多少"
    r = rule("dalian.new-apprenticeship-subsidy")
    args = transcribe(offline(question))
    args["spans"] = [{"text": "3年", "months": "12"}]  # 3年 is 36 months
    args["money"] = [{"text": "5000元", "value": "5000", "role": "base"}]
    f = framed(question, args)
    assert [s.months for s in f.spans] == [D(36)] and f.money == []
    assert any("12个月" in n for n in f.notes) and any("5000" in n for n in f.notes)
    assert total(f, r) == total(offline(question), r)  # never a one-year total


def test_a_flipped_negation_is_not_used() -> None:
    question = "厦门，8个中职学徒，其中3个没通过企业实习考核，企业能拿多少"
    args = transcribe(offline(question))
    args["groups"][1]["qualifiers"][0]["negated"] = False  # 没通过 read as 通过
    f = framed(question, args)
    assert [q.negated for q in f.groups[1].qualifiers] == [True] and f.notes


def test_a_mix_that_places_one_number_twice_is_the_offline_frame() -> None:
    question = "大连工匠是每年评20个吧？我们厂有3个大连工匠，一共能拿多少"
    args = transcribe(offline(question))
    args["groups"].append({"text": "评20个", "count": 20, "label": ""})  # the claimed 20 read as people
    args["claims"] = [{"text": "99个", "value": "99", "unit": "人"}]  # dropped: the offline claim is 20个
    f = framed(question, args)
    assert f.model_dump(exclude={"notes"}) == offline(question).model_dump(exclude={"notes"})
    assert "模型的读法与离线读法不一致，已按离线读法。" in f.notes


def test_a_place_not_in_the_question_is_dropped_and_the_named_one_kept() -> None:
    question = "大连，3个技师能拿多少培训补贴"
    args = transcribe(offline(question))
    args["places"] = [{"name": "南通", "role": "about"}]
    f = framed(question, args)
    assert f.place_names() == ["大连"] and any("南通" in n for n in f.notes)


def test_a_place_role_the_model_reads_otherwise_is_noted_not_used() -> None:
    question = "厦门，6个中职学徒都签了合同，其中2个的社保在泉州交，另外4个在厦门交了两个月，能拿多少"
    args = transcribe(offline(question))
    args["places"] = [{"name": "厦门", "role": "fact"}, {"name": "泉州", "role": "about"}]
    f = framed(question, args)
    assert f.places == offline(question).places and len(f.notes) == 2


def test_a_category_not_in_the_question_is_dropped() -> None:
    question = "大连，3个技师能拿多少培训补贴"
    args = transcribe(offline(question))
    args["groups"][0]["label"] = "高级技师"
    f = framed(question, args)
    assert f.groups == offline(question).groups and any("高级技师" in n for n in f.notes)


def test_a_traditional_question_is_verified_in_simplified_words() -> None:
    question = "大連，3個技師能拿多少培訓補貼"
    args = transcribe(offline(question))
    args["groups"][0]["text"] = "3個技師"
    args["groups"][0]["label"] = "技師"
    f = framed(question, args)
    assert [(g.count, g.label) for g in f.groups] == [(3, "技师")] and f.notes == []


# --------------------------------------------------------------------------- failures: the offline frame


@pytest.mark.parametrize(
    "model",
    [
        ToolCaller(error="endpoint timed out"),
        ToolCaller(args=None),  # no tool call at all
        ToolCaller(args={"intent": "calculate", "groups": [{"count": "many"}]}),  # malformed
        ToolCaller(args="not an object"),
    ],
)
def test_any_failure_gives_the_offline_frame(model: ToolCaller) -> None:
    question = "厦门，8个中职学徒，其中3个没通过企业实习考核，企业能拿多少"
    f = ModelFramer(model)(offline(question))
    assert f.reader == "offline" and len(f.notes) == 1
    assert f.model_dump(exclude={"notes"}) == offline(question).model_dump(exclude={"notes"})


def test_a_model_without_tool_calling_gives_the_offline_frame() -> None:
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

    model = GenericFakeChatModel(messages=iter([AIMessage(content="{}")]))
    f = ModelFramer(model)(offline("大连，3个技师能拿多少补贴"))
    assert f.reader == "offline" and f.notes


def test_exact_values_are_kept_as_decimals() -> None:
    question = "南通紧缺工种说再提高30%，我查到我那个工种原来的标准是1500元"
    args = transcribe(offline(question))
    args["money"] = [{"text": "1500元", "value": 1500.0, "role": "original_standard"}]
    f = framed(question, args)
    assert [(m.value, m.role) for m in f.money] == [(D(1500), "base")]


# --------------------------------------------------------------------------- generated: a lying model never changes a total


def _lies(args: dict[str, Any], text: str) -> list[tuple[str, dict[str, Any]]]:
    """One-fact lies about a faithful call: a count the text does not contain, a flipped negation."""
    out = []
    for k, g in enumerate(args["groups"]):
        if g["count"] is not None:
            wrong = g["count"] + 1
            while str(wrong) in text:
                wrong += 1
            lie = json_copy(args)
            lie["groups"][k]["count"] = wrong
            out.append((f"count {g['count']}→{wrong}", lie))
        for j, q in enumerate(g["qualifiers"]):
            if q["concept"]:
                lie = json_copy(args)
                lie["groups"][k]["qualifiers"][j]["negated"] = not q["negated"]
                out.append((f"negation of {q['text']}", lie))
    return out


def json_copy(args: dict[str, Any]) -> dict[str, Any]:
    import copy

    return copy.deepcopy(args)


def test_one_lie_in_a_tool_call_never_states_another_total() -> None:
    """Over the metamorphic stream: with one count the text does not contain, or one negation flipped
    where the offline reader read the same words, the total is the faithful one or none — never another."""
    wrong, lies = [], 0
    for case in gen.cases(20240901, 300):
        text = case.turns[0].text
        r = rule(case.rule_id)
        off = offline(text)
        truth = total(off, r)
        for what, lie in _lies(transcribe(off), off.text):
            lies += 1
            got = total(verify(ReadQuestion.model_validate(lie), off), r)
            if got is not None and got != truth:
                wrong.append(f"{text} [{what}] → {got} (faithful: {truth})")
    assert lies > 300
    assert wrong == [], f"{len(wrong)} of {lies}: {wrong[:3]}"


# --------------------------------------------------------------------------- in the chain


XIAMEN_CALC = "我们厂在厦门，3个中职2个高职学徒，培训考核都过了，签了合同交了两个月社保，企业一共能拿多少"


def model_assistant(ingested: Services, model: BaseChatModel) -> Assistant:
    base = ingested.assistant
    return Assistant(
        base.retriever,
        base.router,
        base.engine,
        base.sessions,
        base.backend,
        rules=base._rules,
        tokenizer=base.tokenizer,
        framer=ModelFramer(model),
    )


def test_the_chain_reads_with_the_model_and_answers_as_offline(ingested: Services) -> None:
    faithful = ToolCaller(args=transcribe(offline(XIAMEN_CALC)))
    answer = model_assistant(ingested, faithful).ask(XIAMEN_CALC)
    expected = ingested.assistant.ask(XIAMEN_CALC)
    assert faithful.sent and answer.frame is not None and answer.frame["reader"] == "model"
    assert answer.calculation is not None and expected.calculation is not None
    assert answer.calculation["result"] == expected.calculation["result"] == 17000
    assert answer.calculation["inputs"] == expected.calculation["inputs"]
    assert "按您说的" in answer.answer


def test_the_chain_warns_with_what_the_model_read_wrongly(ingested: Services) -> None:
    args = transcribe(offline(XIAMEN_CALC))
    args["groups"][0]["count"] = 7
    answer = model_assistant(ingested, ToolCaller(args=args)).ask(XIAMEN_CALC)
    assert answer.calculation is not None and answer.calculation["result"] == 17000  # the offline groups
    assert any("7" in w for w in answer.warnings)


def test_a_failing_endpoint_in_the_chain_is_the_offline_answer(ingested: Services) -> None:
    answer = model_assistant(ingested, ToolCaller(error="timed out")).ask(XIAMEN_CALC)
    assert answer.frame is not None and answer.frame["reader"] == "offline"
    assert answer.calculation is not None and answer.calculation["result"] == 17000


def test_the_setting_wires_the_framer_only_for_a_model(ingested: Services) -> None:
    assert ingested.assistant.framer is None  # offline backend
    model = ToolCaller(args=None)
    for frame, wired in (("offline", False), ("tool", True)):
        settings = ingested.settings.model_copy(
            update={"llm": ingested.settings.llm.model_copy(update={"backend": "openai", "frame": frame})}
        )
        services = build_services(settings, embedder=FakeEmbeddings(size=64), llm=model)
        try:
            assert isinstance(services.assistant.framer, ModelFramer) is wired
        finally:
            services.close()
