"""The answer chain as a LangChain runnable: condense → retrieve → tools → answer → verify.

``Assistant.ask(question, session_id=None, city=None)`` is the Python API;
``Assistant.runnable`` is the same pipeline as a ``Runnable`` for LangChain
users. The answer backend is pluggable: the deterministic offline answerer
(default) or an OpenAI-compatible chat model (``app.answer.llm``). Either
way numbers come from the clauses or the calculator, and every citation is
checked to be verbatim text of the clause it names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from typing import Any, Protocol

from langchain_core.runnables import Runnable, RunnableLambda

from app.answer import guards
from app.answer.condense import Condensed, condense
from app.answer.offline import AnswerContext, Draft, as_dict
from app.answer.schema import Answer, AnswerCitation
from app.answer.sessions import RedisSessionStore, SessionStore, Turn
from app.answer.verify import verify_draft
from app.retrieval import Filters, HybridRetriever, SearchResult
from app.tools.engine import RuleEngine
from app.tools.result import ToolError, ToolResult
from app.tools.routing import Router, named_categories
from ingest.textproc import is_traditional, to_simplified, to_traditional


class AnswerBackend(Protocol):
    name: str

    def answer(self, ctx: AnswerContext) -> Draft: ...


def _other_cities() -> list[str]:
    text = (resources.files("app") / "resources" / "other_cities.txt").read_text(encoding="utf-8")
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


@dataclass
class _State:
    question: str
    session_id: str
    city: str | None
    history: list[Turn] = field(default_factory=list)
    condensed: Condensed | None = None
    results: list[SearchResult] = field(default_factory=list)
    tool: ToolResult | None = None
    tool_intent: str | None = None
    focus_terms: tuple[str, ...] = ()
    focus_rule: str | None = None
    unknown_city: str | None = None
    draft: Draft | None = None


class Assistant:
    def __init__(
        self,
        retriever: HybridRetriever,
        router: Router,
        engine: RuleEngine,
        sessions: SessionStore | RedisSessionStore,
        backend: AnswerBackend,
        *,
        k: int = 5,
    ):
        self.retriever = retriever
        self.router = router
        self.engine = engine
        self.sessions = sessions
        self.backend = backend
        self.k = k
        self._other_cities = _other_cities()

    # ------------------------------------------------------------------ API

    def ask(self, question: str, session_id: str | None = None, city: str | None = None) -> Answer:
        if not question or not question.strip():
            raise ValueError("the question is empty")
        if len(question) > 2000:
            raise ValueError("the question is too long (at most 2000 characters)")
        state = _State(question.strip(), session_id or self.sessions.new_id(), city)
        return self.runnable.invoke(state)

    @cached_property
    def runnable(self) -> Runnable[Any, Answer]:
        return (
            RunnableLambda(self._condense, name="condense")
            | RunnableLambda(self._retrieve, name="retrieve")
            | RunnableLambda(self._tools, name="tools")
            | RunnableLambda(self._answer, name="answer")
            | RunnableLambda(self._verify, name="verify")
            | RunnableLambda(self._finish, name="finish")
        )

    # ------------------------------------------------------------------ steps

    def _condense(self, state: _State) -> _State:
        state.history = self.sessions.history(state.session_id)
        cities = tuple(d.city for d in self.retriever.documents() if d.city != "未知")

        simplified = to_simplified(state.question)
        state.condensed = condense(simplified, state.history, cities)
        known = set(cities)
        for other in self._other_cities:
            if other in simplified and not any(k in simplified for k in known):
                state.unknown_city = other
                break
        return state

    def _retrieve(self, state: _State) -> _State:
        assert state.condensed is not None
        if state.unknown_city:
            return state
        # A question about one city is answered from that city's documents only.
        city = state.city or state.condensed.city
        query = guards.without_instructions(state.condensed.standalone)
        if guards.premises(query):
            # Figures the user asks us to confirm may be wrong: search for the topic, not for them.
            query = guards.without_figures(query)
        state.results = self.retriever.search(query, k=self.k, filters=Filters(city=city))
        return state

    def _tools(self, state: _State) -> _State:
        assert state.condensed is not None
        if not state.results:
            return state
        q = guards.without_instructions(state.condensed.standalone)
        clause_ids = [r.clause.clause_id for r in state.results]
        route = self.router.route(q, city=state.city, clause_ids=clause_ids)
        carried = state.condensed.carried_rule
        inputs: dict[str, Any]
        if carried and (route is None or route.rule.id == carried):
            rule = self.engine.rule(carried)
            fresh = self.router.fill(state.question, rule)
            inputs = {**state.condensed.carried_inputs, **fresh}
            intent = route.intent if route else "calculate"
        elif route is not None:
            rule, inputs, intent = route.rule, route.inputs, route.intent
        else:
            return state
        has_counts = any(rule.amount(k) is not None for k in inputs)
        confirm_only = bool(guards.premises(to_simplified(state.question))) and not has_counts
        state.focus_terms = tuple(c for c in named_categories(to_simplified(state.question), rule) if rule.amount(c))
        if rule.clause_id not in clause_ids:
            clause = self.retriever.clause(rule.clause_id)
            doc = self.retriever.document(rule.doc_id)
            if clause is None or doc is None:
                return state
            state.results.append(SearchResult(clause=clause, doc=doc, score=0.0))
        try:
            tool = self.engine.run(rule.id, inputs, check_only=intent == "check" and rule.kind not in ("lookup",))
        except ToolError:
            return state
        state.condensed.carried_rule = rule.id
        state.condensed.carried_inputs = inputs
        state.focus_rule = rule.id
        # The rule's clause leads: it is what the answer quotes first.
        state.results.sort(key=lambda r: r.clause.clause_id != rule.clause_id)
        if confirm_only or (tool.status == "needs_input" and not _asks_total(state.question)):
            # "保障期是60个月吧？" or "标准是多少？": answered from the rule's clause, not with a sum.
            state.tool_intent = "facts"
            return state
        state.tool = tool
        state.tool_intent = intent
        return state

    def _answer(self, state: _State) -> _State:
        assert state.condensed is not None
        named = tuple(
            d.city for d in self.retriever.documents() if d.city != "未知" and d.city in state.condensed.standalone
        )
        ctx = AnswerContext(
            question=state.question,
            standalone=state.condensed.standalone,
            results=state.results,
            tool=state.tool,
            named_cities=named,
            unknown_city=state.unknown_city,
            terms=state.focus_terms,
            focus_rule=state.focus_rule,
        )
        state.draft = self.backend.answer(ctx)
        return state

    def _verify(self, state: _State) -> _State:
        assert state.draft is not None
        if state.tool is None and state.draft.tool is not None:
            state.tool, state.tool_intent = state.draft.tool, "model"  # chosen by the model, computed by the engine
        state.draft = verify_draft(state.draft, state.tool, to_simplified(state.question))
        return state

    def _finish(self, state: _State) -> Answer:
        assert state.draft is not None and state.condensed is not None
        draft = state.draft
        traditional = is_traditional(state.question)
        text = "".join(s.text if s.quote or not traditional else to_traditional(s.text) for s in draft.segments)
        citations = [
            AnswerCitation(
                n=i,
                clause_id=s.result.clause.clause_id,
                doc_id=s.result.doc.id,
                doc_title=s.result.doc.title,
                doc_number=s.result.doc.number,
                doc_date=s.result.doc.date,
                city=s.result.doc.city,
                status=s.result.doc.status,
                heading_path=list(s.result.clause.heading_path),
                quote=s.quote,
                score=round(s.result.score, 6) if s.result.score else None,
            )
            for i, s in enumerate(draft.sources, 1)
        ]
        tool = state.tool
        calculation = eligibility = None
        if tool is not None:
            if tool.kind in ("eligibility", "lookup") or state.tool_intent == "check":
                eligibility = as_dict(tool)
            else:
                calculation = as_dict(tool)
        warnings = [to_traditional(w) if traditional else w for w in draft.warnings]
        follow = [to_traditional(f) if traditional else f for f in draft.follow_up]
        top_city = citations[0].city if citations else None
        self.sessions.append(
            state.session_id,
            Turn(
                question=state.question,
                standalone=state.condensed.standalone,
                answer=text,
                city=state.condensed.city or (top_city if top_city != "未知" else None),
                rule_id=state.condensed.carried_rule,
                inputs={k: str(v) for k, v in (state.condensed.carried_inputs or {}).items()},
                clause_ids=[c.clause_id for c in citations],
            ),
        )
        return Answer(
            answer=text,
            citations=citations,
            calculation=calculation,
            eligibility=eligibility,
            refused=draft.refused,
            warnings=warnings,
            session_id=state.session_id,
            standalone_question=state.condensed.standalone,
            backend=self.backend.name,
            follow_up_questions=follow,
        )


_TOTAL = re.compile(r"一共|总共|合计|能拿多少|能领多少|拿多少|领多少|给多少|补多少|算一下|算算|多少钱")


def _asks_total(question: str) -> bool:
    return bool(_TOTAL.search(question)) or bool(
        re.search(r"(?:\d+|[一二两三四五六七八九十]+)\s*(?:个|名|位|人)", question)
    )
