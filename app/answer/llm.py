"""Answers written by a chat model behind an OpenAI-compatible endpoint.

DeepSeek, Qwen, vLLM, Ollama, llama.cpp server — anything that speaks the
OpenAI chat API, configured by ``llm.base_url`` / ``llm.api_key`` /
``llm.model``. The model only phrases the answer:

* refusals (off topic, a city with no documents, a figure the text does not
  state, a request for a certificate) are decided in code by the offline
  answerer and returned as they are;
* the model gets the numbered clauses and the calculator's result, and must
  quote “verbatim text”[n]; quotes are mapped back to clauses and checked by
  ``verify.py`` — an unverifiable citation or a number from nowhere is removed;
* when the chain found no rule to compute, the model may call the rule tools
  (``app/tools/structured.py``): the engine computes, the model only reports;
* a failing endpoint falls back to the offline answer, with a warning.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, ToolMessage

from app.answer.offline import AnswerContext, Draft, OfflineAnswerer, Segment
from app.prompts import load_prompt
from app.retrieval import SearchResult
from app.settings import LLMSettings
from app.tools.engine import RuleEngine
from app.tools.result import ToolResult
from app.tools.structured import build_tools

_QUOTED = re.compile(r"[“「\"]([^”」\"]{2,})[”」\"]\s*\[(\d+)\]")
_BARE_MARK = re.compile(r"\[(\d+)\]")


def build_chat_model(settings: LLMSettings) -> BaseChatModel:
    if not settings.base_url or not settings.model:
        raise ValueError("the openai backend needs llm.base_url and llm.model (PA_LLM__BASE_URL, PA_LLM__MODEL)")
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        base_url=settings.base_url,
        api_key=settings.api_key or "not-needed",  # type: ignore[arg-type]
        model=settings.model,
        temperature=settings.temperature,
        timeout=settings.timeout_seconds,
        max_retries=1,
    )


def format_clauses(ctx: AnswerContext) -> str:
    blocks = []
    for i, r in enumerate(ctx.results, 1):
        d = r.doc
        status = {"draft": "（征求意见稿，未生效）", "unknown": "（来源不详）"}.get(d.status, "")
        meta = "，".join(p for p in (d.number, d.date, d.city) if p and p != "未知")
        blocks.append(
            f"[{i}] 《{d.title}》{status}{('（' + meta + '）') if meta else ''} {r.clause.clause_id}\n{r.clause.text}"
        )
    return "\n\n".join(blocks)


class LLMAnswerer:
    name = "openai"

    def __init__(
        self,
        model: BaseChatModel,
        offline: OfflineAnswerer,
        engine: RuleEngine | None = None,
        lookup: Callable[[str], SearchResult | None] | None = None,
        max_tool_rounds: int = 3,
    ):
        self.model = model
        self.offline = offline
        self.engine = engine
        self.lookup = lookup
        self.max_tool_rounds = max_tool_rounds
        self.prompt = load_prompt("answer")

    def answer(self, ctx: AnswerContext) -> Draft:
        fallback = self.offline.answer(ctx)
        if fallback.refused or not ctx.results:
            return fallback  # decided in code; a model adds nothing safe to a refusal
        calculation = ctx.tool.model_dump_json(exclude={"citations"}) if ctx.tool is not None else "（无）"
        messages = self.prompt.template().format_messages(
            clauses=format_clauses(ctx), calculation=calculation, question=ctx.question
        )
        tool_results: list[ToolResult] = []
        try:
            reply = self._converse(list(messages), ctx, tool_results)
        except Exception as exc:  # noqa: BLE001 - any endpoint failure falls back to the offline answer
            fallback.warnings.append(f"语言模型暂不可用（{type(exc).__name__}），已改用离线回答。")
            return fallback
        text = reply.content if isinstance(reply.content, str) else json.dumps(reply.content, ensure_ascii=False)
        draft = self.parse(text, ctx)
        if ctx.tool is None and tool_results:
            draft.tool = tool_results[-1]
            self._cite_rule(draft.tool, draft)
        draft.warnings.extend(w for w in fallback.warnings if w not in draft.warnings)
        draft.follow_up = fallback.follow_up
        self._flag(draft)
        return draft

    def _converse(self, messages: list[BaseMessage], ctx: AnswerContext, results: list[ToolResult]) -> BaseMessage:
        """Ask the model; when the chain computed nothing, let it call the rule tools (a few rounds)."""
        if ctx.tool is not None or self.engine is None:
            return self.model.invoke(messages)
        tools = build_tools(self.engine, results)
        try:
            model = self.model.bind_tools(tools)
        except NotImplementedError:
            return self.model.invoke(messages)
        by_name = {t.name: t for t in tools}
        reply = model.invoke(messages)
        for _ in range(self.max_tool_rounds):
            calls = getattr(reply, "tool_calls", None) or []
            if not calls:
                return reply
            messages.append(reply)
            for call in calls:
                tool = by_name.get(call["name"])
                output = tool.invoke(call["args"]) if tool else json.dumps({"error": f"no tool {call['name']}"})
                messages.append(ToolMessage(content=str(output), tool_call_id=call["id"]))
            reply = model.invoke(messages)
        return reply

    def _cite_rule(self, tool: ToolResult, draft: Draft) -> None:
        """The clause a model-chosen calculation rests on is quoted, like the offline answer does."""
        cited = {s.result.clause.clause_id for s in draft.sources}
        for cit in tool.citations:
            result = self.lookup(cit.clause_id) if self.lookup else None
            if result is not None and cit.clause_id not in cited:
                draft.say("\n计算依据：")
                draft.quote(result, cit.quote)

    def parse(self, text: str, ctx: AnswerContext) -> Draft:
        """Split the model's text into own words and quotes; map [n] to the clauses given."""
        draft = Draft()
        pos = 0
        for m in _QUOTED.finditer(text):
            self._words(text[pos : m.start()], draft, ctx)
            n = int(m.group(2))
            if 1 <= n <= len(ctx.results):
                draft.quote(ctx.results[n - 1], m.group(1))
            else:
                draft.warnings.append(f"引用编号[{n}]不存在，该引文已删除。")
            pos = m.end()
        self._words(text[pos:], draft, ctx)
        return draft

    @staticmethod
    def _words(text: str, draft: Draft, ctx: AnswerContext) -> None:
        if not text:
            return
        bare = _BARE_MARK.findall(text)
        if bare:
            draft.warnings.append(f"引用{''.join(f'[{b}]' for b in bare)}没有给出原文，无法核对，已删除。")
        draft.segments.append(Segment(_BARE_MARK.sub("", text)))

    def _flag(self, draft: Draft) -> None:
        for doc in {s.result.doc.id: s.result.doc for s in draft.sources}.values():
            caution = doc.caution()
            if caution and caution not in draft.warnings:
                draft.warnings.append(caution)
            if caution and not any(caution in s.text for s in draft.segments):
                draft.say("\n⚠ " + caution)
