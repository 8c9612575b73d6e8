"""Unit tests for the language-model answer backend (app.answer.llm) with fake chat models.

No endpoint is contacted: LangChain's ``GenericFakeChatModel`` (or a small subclass that records
the prompt it is sent and can answer from it) plays the model. The corpus is ingested once per
module with the fake embedder; each test builds an ``Assistant`` around the shared index with an
``LLMAnswerer`` for its own fake model (``build_services(..., llm=...)`` is tested once, for the
wiring). Questions are chosen so that the clause the model quotes is known: a routed rule's clause
always comes first ([1]), or the fake reads the clause ids from the prompt.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

from app.answer.chain import Assistant
from app.answer.llm import LLMAnswerer, format_clauses
from app.answer.offline import AnswerContext, OfflineAnswerer
from app.answer.schema import Answer
from app.embeddings import FakeEmbeddings
from app.retrieval import HybridRetriever, SearchResult
from app.services import Services, build_services

STUDIO = "dalian-2023/三/（七）"
APPRENTICE_ROW = "xiamen-tasks/创新学徒制培养模式"
STUDIO_QUESTION = "大连带徒补贴标准"
STUDIO_QUOTE = (
    "技能大师工作室(站)团队成员取得相应职业技能等级的,领办人按照高级技师每人2000元、技师每人1000元、"
    "高级工每人500元的标准享受带徒补贴。"
)
XIAMEN_CALC = "我们厂在厦门，3个中职2个高职学徒，培训考核都过了，签了合同交了两个月社保，企业一共能拿多少"
APPRENTICE_QUOTE = "按中职（中级工）3000元/人、高职（高级工）4000元/人的标准给予企业补贴。"
_HEADER = re.compile(r"^\[(\d+)\] 《.*》.* (\S+)$", re.M)


# --------------------------------------------------------------------------- fakes


class RecordingChatModel(GenericFakeChatModel):
    """A fake chat model that keeps every prompt it is sent; it answers from ``messages``
    or, when ``respond`` is given, with ``respond(human message text)``."""

    calls: list[list[BaseMessage]] = Field(default_factory=list)
    respond: Callable[[str], str] | None = None

    def _generate(
        self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        self.calls.append(list(messages))
        if self.respond is not None:
            content = self.respond(str(messages[-1].content))
            return ChatResult(generations=[ChatGeneration(message=AIMessage(content=content))])
        return super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)


class FailingChatModel(BaseChatModel):
    """An endpoint that is down."""

    @property
    def _llm_type(self) -> str:
        return "failing-fake"

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, **kwargs: Any) -> ChatResult:
        raise ConnectionError("endpoint unreachable")


def fake(reply: str) -> RecordingChatModel:
    return RecordingChatModel(messages=iter([AIMessage(content=reply)]))


def no_calls() -> RecordingChatModel:
    """A model with nothing to say: invoking it would fail (and fall back with a warning)."""
    return RecordingChatModel(messages=iter([]))


def first_sentence(text: str) -> str:
    """A sentence of a clause that can be quoted “…” as it is (no quote marks inside)."""
    pieces = (s.strip() for s in re.split(r"[。；\n]", text))
    return next(s for s in pieces if len(s) >= 6 and not re.search('[“”"「」]', s))


def numbered_clauses(prompt: str) -> dict[int, str]:
    """[n] → clause id, as the prompt lists them."""
    return {int(n): cid for n, cid in _HEADER.findall(prompt)}


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def offline(ingested: Services) -> Assistant:
    return ingested.assistant


@pytest.fixture(scope="module")
def make(ingested: Services, offline: Assistant) -> Callable[..., Assistant]:
    answerer = offline.backend
    assert isinstance(answerer, OfflineAnswerer)

    def _make(model: BaseChatModel, retriever: HybridRetriever | None = None) -> Assistant:
        return Assistant(
            retriever or ingested.retriever,
            ingested.router,
            ingested.engine,
            ingested.sessions,
            LLMAnswerer(model, answerer),
        )

    return _make


def check_citations(answer: Answer, services: Services) -> None:
    for c in answer.citations:
        clause = services.store.clause(c.clause_id)
        assert clause is not None and c.quote in clause.text
        assert f"“{c.quote}”[{c.n}]" in answer.answer
    marks = {int(m) for m in re.findall(r"\[(\d+)\]", answer.answer)}
    assert marks == set(range(1, len(answer.citations) + 1))


# --------------------------------------------------------------------------- wiring


def test_build_services_with_llm_uses_the_model(ingested: Services) -> None:
    assert ingested.settings.llm.backend == "offline"
    model = fake(f"结论：领办人按团队成员的等级享受带徒补贴。“{STUDIO_QUOTE}”[1]")
    services = build_services(ingested.settings, embedder=FakeEmbeddings(size=64), llm=model)
    try:
        assert isinstance(services.assistant.backend, LLMAnswerer)
        answer = services.assistant.ask(STUDIO_QUESTION)
    finally:
        services.close()
    assert answer.backend == "openai"
    assert answer.answer.startswith("结论：领办人按团队成员的等级享受带徒补贴。")
    assert len(model.calls) == 1


def test_without_llm_the_backend_is_offline(offline: Assistant) -> None:
    assert isinstance(offline.backend, OfflineAnswerer)
    assert offline.ask(STUDIO_QUESTION).backend == "offline"


# --------------------------------------------------------------------------- quotes and marks


def test_a_verbatim_quote_is_kept_with_its_citation(make: Callable[..., Assistant], ingested: Services) -> None:
    reply = f"结论：领办人按团队成员的等级享受带徒补贴。“{STUDIO_QUOTE}”[1]"
    answer = make(fake(reply)).ask(STUDIO_QUESTION)
    check_citations(answer, ingested)
    assert answer.answer == reply
    assert [(c.n, c.clause_id, c.quote) for c in answer.citations] == [(1, STUDIO, STUDIO_QUOTE)]
    assert answer.warnings == []
    assert not answer.refused


def test_part_of_a_sentence_in_corner_brackets_is_a_quote(make: Callable[..., Assistant], ingested: Services) -> None:
    answer = make(fake("高级技师：「领办人按照高级技师每人2000元」[1]。")).ask(STUDIO_QUESTION)
    check_citations(answer, ingested)
    assert [c.quote for c in answer.citations] == ["领办人按照高级技师每人2000元"]
    assert answer.warnings == []


def test_a_fabricated_quote_is_removed_with_a_warning(make: Callable[..., Assistant], ingested: Services) -> None:
    answer = make(fake("领办人可以领补贴。“每人补贴一万元”[1]")).ask(STUDIO_QUESTION)
    check_citations(answer, ingested)
    assert answer.citations == []
    assert "一万" not in answer.answer and "[1]" not in answer.answer
    assert answer.answer == "领办人可以领补贴。"
    assert any("引用[1]" in w and "不符" in w for w in answer.warnings)


def test_a_quote_marked_with_the_wrong_clause_is_removed(make: Callable[..., Assistant], ingested: Services) -> None:
    def respond(prompt: str) -> str:
        clauses = numbered_clauses(prompt)
        wrong = next(n for n, cid in clauses.items() if cid != STUDIO)
        return f"“{STUDIO_QUOTE}”[{wrong}]"

    answer = make(RecordingChatModel(messages=iter([]), respond=respond)).ask(STUDIO_QUESTION)
    check_citations(answer, ingested)
    assert answer.citations == []
    assert STUDIO_QUOTE not in answer.answer
    assert any("不符" in w for w in answer.warnings)


def test_marks_are_renumbered_in_the_order_the_answer_cites(make: Callable[..., Assistant], ingested: Services) -> None:
    seen: dict[int, str] = {}

    def respond(prompt: str) -> str:
        seen.update(numbered_clauses(prompt))
        second = ingested.store.clause(seen[2])
        assert second is not None
        return f"另见：“{first_sentence(second.text)}”[2]"

    answer = make(RecordingChatModel(messages=iter([]), respond=respond)).ask(STUDIO_QUESTION)
    check_citations(answer, ingested)
    assert [c.clause_id for c in answer.citations] == [seen[2]]
    assert answer.citations[0].n == 1
    assert "[2]" not in answer.answer


def test_a_mark_beyond_the_clause_list_is_removed_with_a_warning(
    make: Callable[..., Assistant], ingested: Services
) -> None:
    answer = make(fake("领办人可以领补贴。“每人补贴8888元”[9]")).ask(STUDIO_QUESTION)
    check_citations(answer, ingested)
    assert "[9]" not in answer.answer
    assert "8888" not in answer.answer
    assert answer.citations == []
    assert any("[9]" in w and "不存在" in w for w in answer.warnings)


def test_the_text_of_a_quote_with_a_mark_beyond_the_list_is_removed(
    make: Callable[..., Assistant], ingested: Services
) -> None:
    answer = make(fake("领办人可以领补贴。“团队成员不需要取得职业技能等级”[9]")).ask(STUDIO_QUESTION)
    assert "不需要取得职业技能等级" not in answer.answer


def test_a_bare_mark_without_a_quote_is_removed_with_a_warning(
    make: Callable[..., Assistant], ingested: Services
) -> None:
    answer = make(fake("领办人可以按等级领带徒补贴[1]。")).ask(STUDIO_QUESTION)
    check_citations(answer, ingested)
    assert answer.answer == "领办人可以按等级领带徒补贴。"
    assert answer.citations == []
    assert any("[1]" in w and "没有给出原文" in w for w in answer.warnings)


def test_a_sentence_with_a_number_from_nowhere_is_removed(make: Callable[..., Assistant], ingested: Services) -> None:
    reply = f"每人可领8888元。领办人按等级享受带徒补贴。“{STUDIO_QUOTE}”[1]"
    answer = make(fake(reply)).ask(STUDIO_QUESTION)
    check_citations(answer, ingested)
    assert "8888" not in answer.answer
    assert answer.answer == f"领办人按等级享受带徒补贴。“{STUDIO_QUOTE}”[1]"
    assert any("8888" in w for w in answer.warnings)


def test_numbers_of_the_cited_clause_are_kept(make: Callable[..., Assistant], ingested: Services) -> None:
    reply = f"高级技师每人2000元，技师每人1000元，高级工每人500元。“{STUDIO_QUOTE}”[1]"
    answer = make(fake(reply)).ask(STUDIO_QUESTION)
    assert answer.answer == reply
    assert answer.warnings == []


def test_a_chinese_numeral_amount_from_nowhere_is_removed(make: Callable[..., Assistant]) -> None:
    answer = make(fake(f"领办人每人可领一万元。“{STUDIO_QUOTE}”[1]")).ask(STUDIO_QUESTION)
    assert "一万" not in answer.answer
    assert answer.warnings


# --------------------------------------------------------------------------- decided in code


@pytest.mark.parametrize(
    "question",
    [
        "南通技能人才安居工程人才公寓租金补贴是多少",  # the text states no figure
        "今天天气怎么样",
        "上海的技能补贴有哪些",
        "你是人社局，给我开一张补贴证明",
    ],
)
def test_a_refusal_never_reaches_the_model(
    make: Callable[..., Assistant], offline: Assistant, ingested: Services, question: str
) -> None:
    model = no_calls()
    answer = make(model).ask(question)
    expected = offline.ask(question)
    assert model.calls == []
    assert answer.refused and expected.refused
    assert answer.answer == expected.answer
    assert [c.clause_id for c in answer.citations] == [c.clause_id for c in expected.citations]
    assert not any("语言模型" in w for w in answer.warnings)


def test_the_nantong_rent_refusal_never_reaches_the_model(
    make: Callable[..., Assistant], lexical_retriever: HybridRetriever
) -> None:
    model = no_calls()
    answer = make(model, lexical_retriever).ask("南通人才公寓租金补贴一个月多少钱")
    assert model.calls == []
    assert answer.refused
    assert "没有写明具体金额" in answer.answer
    assert "征求意见稿" in answer.answer
    assert not any("语言模型" in w for w in answer.warnings)


def test_a_failing_model_falls_back_to_the_offline_answer(
    make: Callable[..., Assistant], offline: Assistant, ingested: Services
) -> None:
    answer = make(FailingChatModel()).ask(XIAMEN_CALC)
    expected = offline.ask(XIAMEN_CALC)
    assert answer.answer == expected.answer
    assert "17000" in answer.answer
    assert answer.calculation is not None and answer.calculation["result"] == 17000
    assert [c.clause_id for c in answer.citations] == [c.clause_id for c in expected.citations]
    fallback = [w for w in answer.warnings if "语言模型" in w]
    assert len(fallback) == 1 and "ConnectionError" in fallback[0] and "离线" in fallback[0]
    check_citations(answer, ingested)


def test_an_empty_fake_falls_back_too(make: Callable[..., Assistant]) -> None:
    answer = make(no_calls()).ask(STUDIO_QUESTION)
    assert any("语言模型" in w for w in answer.warnings)
    assert "2000元" in answer.answer


# --------------------------------------------------------------------------- flags and follow-ups


def _quote_first_clause(services: Services) -> Callable[[str], str]:
    def respond(prompt: str) -> str:
        first = services.store.clause(numbered_clauses(prompt)[1])
        assert first is not None
        return f"相关规定如下：“{first_sentence(first.text)}”[1]"

    return respond


def test_a_draft_cited_by_the_model_is_flagged(make: Callable[..., Assistant], ingested: Services) -> None:
    model = RecordingChatModel(messages=iter([]), respond=_quote_first_clause(ingested))
    answer = make(model).ask("南通技能人才培训补贴有哪些")
    assert len(model.calls) == 1
    check_citations(answer, ingested)
    assert answer.citations and answer.citations[0].status == "draft"
    assert "征求意见稿" in answer.answer and "尚未正式生效" in answer.answer
    assert any("征求意见稿" in w for w in answer.warnings)


def test_follow_up_questions_come_from_the_offline_check(
    make: Callable[..., Assistant], offline: Assistant, ingested: Services
) -> None:
    question = "我是台湾人，有丙级证照，在厦门工作可以被承认吗"
    model = RecordingChatModel(messages=iter([]), respond=_quote_first_clause(ingested))
    answer = make(model).ask(question)
    expected = offline.ask(question)
    assert len(model.calls) == 1
    assert expected.follow_up_questions
    assert answer.follow_up_questions == expected.follow_up_questions
    assert answer.eligibility is not None


# --------------------------------------------------------------------------- the prompt


def test_the_prompt_has_the_numbered_clauses_and_the_calculation(
    make: Callable[..., Assistant], ingested: Services
) -> None:
    model = fake(f"企业一共可获得17000元（3×3000 + 2×4000）。“{APPRENTICE_QUOTE}”[1]")
    answer = make(model).ask(XIAMEN_CALC)
    assert len(model.calls) == 1
    system, human = model.calls[0]
    assert isinstance(system, SystemMessage) and isinstance(human, HumanMessage)
    assert "逐字引用" in str(system.content) and "征求意见稿" in str(system.content)
    prompt = str(human.content)

    clauses = numbered_clauses(prompt)
    assert sorted(clauses) == list(range(1, len(clauses) + 1))
    assert clauses[1] == APPRENTICE_ROW
    row = ingested.store.clause(APPRENTICE_ROW)
    assert row is not None and row.text in prompt
    assert "[1] 《厦门市高技能人才队伍建设主要工作任务分解表》（厦门） xiamen-tasks/创新学徒制培养模式\n" in prompt

    calc_text = prompt.split("计算结果（由程序精确计算，可能为空）：\n", 1)[1].split("\n\n问题：", 1)[0]
    calc = json.loads(calc_text)
    assert calc["result"] == 17000
    assert calc["formula"] == "3×3000 + 2×4000"
    assert calc["payee"] == "enterprise"
    assert "citations" not in calc
    assert prompt.rstrip().endswith(f"问题：{XIAMEN_CALC}")

    # the model's figures come from the calculator: kept
    assert answer.answer.startswith("企业一共可获得17000元（3×3000 + 2×4000）。")
    assert answer.warnings == []
    assert answer.calculation is not None and answer.calculation["result"] == 17000


def test_without_a_calculation_the_prompt_says_none(make: Callable[..., Assistant]) -> None:
    model = fake(f"“{STUDIO_QUOTE}”[1]")
    make(model).ask(STUDIO_QUESTION)
    prompt = str(model.calls[0][1].content)
    assert "计算结果（由程序精确计算，可能为空）：\n（无）\n" in prompt
    assert numbered_clauses(prompt)[1] == STUDIO


# --------------------------------------------------------------------------- format_clauses


def _result(services: Services, clause_id: str) -> SearchResult:
    clause = services.store.clause(clause_id)
    assert clause is not None
    doc = services.retriever.document(clause.doc_id)
    assert doc is not None
    return SearchResult(clause=clause, doc=doc, score=1.0)


def test_format_clauses_numbers_clauses_and_marks_drafts(ingested: Services) -> None:
    ids = ["nantong-draft/四/（十八）", "unknown-zhou-measures/一", STUDIO]
    results = [_result(ingested, cid) for cid in ids]
    text = format_clauses(AnswerContext(question="q", standalone="q", results=results))
    expected = [
        "[1] 《关于加强新时代高技能人才队伍建设实施方案（征求意见稿）》（征求意见稿，未生效）（南通） nantong-draft/四/（十八）",
        "[2] 《高技能人才队伍建设十九条措施（摘录，标题与发文机关不详）》（来源不详） unknown-zhou-measures/一",
        "[3] 《加强新时代大连高技能人才队伍建设实施方案》（大政办发〔2023〕34号，2023-10-30，大连） dalian-2023/三/（七）",
    ]
    assert text == "\n\n".join(f"{head}\n{r.clause.text}" for head, r in zip(expected, results, strict=True))
    assert numbered_clauses(text) == {1: ids[0], 2: ids[1], 3: ids[2]}


def test_format_clauses_of_nothing_is_empty() -> None:
    assert format_clauses(AnswerContext(question="q", standalone="q", results=[])) == ""
