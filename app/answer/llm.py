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
* a failing endpoint falls back to the offline answer, with a warning.
"""

from __future__ import annotations

import json
import re

from langchain_core.language_models import BaseChatModel

from app.answer.offline import AnswerContext, Draft, OfflineAnswerer, Segment
from app.prompts import load_prompt
from app.settings import LLMSettings

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

    def __init__(self, model: BaseChatModel, offline: OfflineAnswerer):
        self.model = model
        self.offline = offline
        self.prompt = load_prompt("answer")

    def answer(self, ctx: AnswerContext) -> Draft:
        fallback = self.offline.answer(ctx)
        if fallback.refused or not ctx.results:
            return fallback  # decided in code; a model adds nothing safe to a refusal
        calculation = ctx.tool.model_dump_json(exclude={"citations"}) if ctx.tool is not None else "（无）"
        messages = self.prompt.template().format_messages(
            clauses=format_clauses(ctx), calculation=calculation, question=ctx.question
        )
        try:
            reply = self.model.invoke(messages)
        except Exception as exc:  # noqa: BLE001 - any endpoint failure falls back to the offline answer
            fallback.warnings.append(f"语言模型暂不可用（{type(exc).__name__}），已改用离线回答。")
            return fallback
        text = reply.content if isinstance(reply.content, str) else json.dumps(reply.content, ensure_ascii=False)
        draft = self.parse(text, ctx)
        draft.warnings.extend(w for w in fallback.warnings if w not in draft.warnings)
        draft.follow_up = fallback.follow_up
        self._flag(draft)
        return draft

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
                draft.warnings.append(f"引用编号[{n}]不存在，已删除。")
                draft.say(m.group(1))
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
