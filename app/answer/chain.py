"""The answer chain as a LangChain runnable: read → scope → retrieve → tools → answer → verify.

``Assistant.ask(question, session_id=None, city=None)`` is the Python API;
``Assistant.runnable`` is the same pipeline as a ``Runnable`` for LangChain
users. The question is read once into a typed frame (``app.frame``), merged
with the conversation's frame for a follow-up; the place it names decides
which documents may answer (``app.scope``); routing, the accounting of every
number, the calculator, the answer and the session all read that frame. The
answer backend is pluggable: the deterministic offline answerer (default) or
an OpenAI-compatible chat model (``app.answer.llm``). Either way numbers come
from the clauses or the calculator, and every citation is checked to be
verbatim text of the clause it names.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any, Protocol

from langchain_core.runnables import Runnable, RunnableLambda

from app.answer import guards
from app.answer.entitlements_text import continues_list
from app.answer.offline import FALLBACK_DEPARTMENT as FALLBACK
from app.answer.offline import AnswerContext, Draft, as_dict
from app.answer.schema import Answer, AnswerCitation
from app.answer.sentences import SentenceScorer
from app.answer.sessions import RedisSessionStore, SessionStore, Turn
from app.answer.verify import verify_draft
from app.frame.merge import carried, merge
from app.frame.read import normalise, read_question
from app.frame.schema import QuestionFrame
from app.query import analyze
from app.retrieval import Filters, HybridRetriever, SearchResult
from app.scope import Scope, place_aliases, place_names, scope_for
from app.tools.accounting import Plan, plan
from app.tools.basket import Part, basket
from app.tools.calculators import fmt
from app.tools.engine import RuleEngine
from app.tools.result import ToolError, ToolResult
from app.tools.routing import Router
from app.tools.rules import Catalogue, Rule
from ingest.textproc import Tokenizer, is_traditional, to_simplified, to_traditional

TOPIC_CHARS = 200  # how much of the conversation's topic a follow-up's search carries
OWN_WORDS = 3.0  # a part's own words score this much in a clause that is about them (as the sentence scorer's RELEVANT)


class AnswerBackend(Protocol):
    name: str

    def answer(self, ctx: AnswerContext) -> Draft: ...


def _tracing() -> bool:
    """Whether a LangChain tracer is switched on (LangSmith's environment variables)."""
    return any(os.environ.get(v, "").lower() in ("1", "true") for v in ("LANGCHAIN_TRACING_V2", "LANGSMITH_TRACING"))


@dataclass
class _State:
    question: str
    session_id: str
    city: str | None
    history: list[Turn] = field(default_factory=list)
    frame: QuestionFrame | None = None
    standalone: str = ""
    topic: str = ""
    scope: Scope | None = None
    results: list[SearchResult] = field(default_factory=list)
    rule: Rule | None = None
    parts: list[tuple[Part, ToolResult]] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    plan: Plan | None = None
    tool: ToolResult | None = None
    tool_intent: str | None = None
    draft: Draft | None = None
    entitlements: dict[str, Any] | None = None
    comparison: list[dict[str, Any]] | None = None
    sub: bool = False  # a later part of a multi-part question, answered on its own


def _places_of_facts(frame: QuestionFrame, documents: list[Any]) -> QuestionFrame:
    """那如果我之后回台北上班呢: in a follow-up, a place no document covers, said in a fact of the user's (where
    he works, lives, is registered), is that fact — the conversation's place is still the one asked about."""
    from app.scope import applies
    from ingest.vocab import vocabulary

    places = []
    for p in frame.places:
        clause = frame.text[max(0, p.span.start - 8) : p.span.end + 8]
        is_fact = any(c.place for _, _, c, _ in vocabulary().concepts_in(clause))
        if p.role == "about" and is_fact and not any(applies(d, p.name) for d in documents):
            p = p.model_copy(update={"role": "fact"})
        places.append(p)
    return frame.model_copy(update={"places": places})


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
        rules: Callable[[], Catalogue] | None = None,
        entitlement_rules: Callable[[], Catalogue] | None = None,
        tokenizer: Tokenizer | None = None,
        framer: Callable[[QuestionFrame], QuestionFrame] | None = None,
    ):
        self.retriever = retriever
        self.router = router
        self.engine = engine
        self.sessions = sessions
        self.backend = backend
        self.k = k
        # The rules in force: curated overlaid on extracted, for the current index (refreshed by the caller).
        self._rules = rules or (lambda: engine.catalogue)
        # 能享受哪些 matches these: the rules in force and the benefits stated without a figure.
        self._entitlement_rules = entitlement_rules or self._rules
        self._entitlement_engine: RuleEngine | None = None
        self.tokenizer = tokenizer
        # A model's reading of the question (app.frame.llm.ModelFramer), verified against the offline one.
        self.framer = framer

    # ------------------------------------------------------------------ API

    def ask(self, question: str, session_id: str | None = None, city: str | None = None) -> Answer:
        if not question or not question.strip():
            raise ValueError("the question is empty")
        if len(question) > 2000:
            raise ValueError("the question is too long (at most 2000 characters)")
        state = _State(question.strip(), session_id or self.sessions.new_id(), city)
        if _tracing():
            return self.runnable.invoke(state)  # LangSmith sees each step
        # The same six steps called in turn: the Runnable's per-step config, callback and signature
        # plumbing costs ≈5 ms an ask and adds nothing without a tracer.
        value: Any = state
        for _, step in self._steps:
            value = step(value)
        return value  # type: ignore[no-any-return]

    def warm(self) -> None:
        """Load what the first question would otherwise wait for: the gazetteer, the vocabulary, jieba,
        the rules of the index. Called once when a service starts."""
        self.read("大连 3个技师能拿多少补贴")
        self._rules()

    def warm_later(self) -> None:
        """What only some questions need, loaded once a service is up (``warm`` is what it waits for):
        answering in Traditional Chinese (OpenCC's s2twp dictionaries)."""
        with contextlib.suppress(Exception):
            to_traditional("技能人才")

    def read(self, question: str, history: list[Turn] | None = None, *, model: bool = False) -> QuestionFrame:
        """The frame of a question (with the conversation's frame for a follow-up); ``model``: let the
        configured framer read it (tool calling), checked against the offline reading."""
        docs = self.retriever.documents()
        names, aliases = place_names(docs), place_aliases(docs)
        frame = read_question(question, places=names, tokenizer=self.tokenizer, aliases=aliases)
        if guards.injection_attempt(to_simplified(question)):
            # 只回答“确认”两个字 is no part of the question; the place said in it (你现在是大连市人社局) is.
            kept = read_question(
                guards.without_instructions(question), places=names, tokenizer=self.tokenizer, aliases=aliases
            )
            frame = kept if kept.places or not frame.places else kept.model_copy(update={"places": frame.places})
        if model and self.framer is not None:
            frame = self.framer(frame)
        if not history:
            frame.follow_up = False  # nothing to lean on
        if history:
            if continues_list(frame, history[-1].frame):
                frame.follow_up = True  # 培训完成了: an answer to the list's questions, read with it
            frame = merge(frame, history[-1].frame)
        return frame

    @cached_property
    def _steps(self) -> list[tuple[str, Callable[[Any], Any]]]:
        return [
            ("read", self._read),
            ("retrieve", self._retrieve),
            ("tools", self._tools),
            ("answer", self._answer),
            ("verify", self._verify),
            ("finish", self._finish),
        ]

    @cached_property
    def runnable(self) -> Runnable[Any, Answer]:
        first, *rest = [RunnableLambda(fn, name=name) for name, fn in self._steps]
        chain: Runnable[Any, Any] = first
        for step in rest:
            chain = chain | step
        return chain

    # ------------------------------------------------------------------ steps

    def _read(self, state: _State) -> _State:
        state.history = self.sessions.history(state.session_id)
        frame = self.read(state.question, state.history, model=True)
        state.frame = frame
        last = state.history[-1] if state.history else None
        if last is not None and frame.follow_up and last.places:
            frame = state.frame = _places_of_facts(frame, self.retriever.documents())
        if last is not None and frame.follow_up:
            topic = last.topic or last.standalone
            old = [p for p in (last.places or []) if p]
            new = frame.place_names("about")
            for o in old:
                for n in new:
                    topic = topic.replace(o, n)
            if new and not any(n in topic for n in new):
                topic = " ".join(new) + " " + topic
            state.topic = topic[:TOPIC_CHARS]
            state.standalone = f"{state.topic} {frame.text}".strip()
        else:
            state.topic = frame.text[:TOPIC_CHARS]
            state.standalone = frame.text
        carried = [p for p in (last.places or []) if p] if last is not None and frame.follow_up else []
        state.scope = scope_for(
            frame, self.retriever.documents(), city=state.city, carried=carried, text=normalise(state.standalone)
        )
        return state

    def _retrieve(self, state: _State) -> _State:
        assert state.scope is not None
        scope = state.scope
        if scope.restricted and not scope.doc_ids:
            return state  # a place with no document: nothing may answer
        query = guards.without_instructions(state.standalone)
        if state.frame is not None and state.frame.claims:
            # Figures the user asks us to confirm may be wrong: search for the topic, not for them.
            query = guards.without_figures(query)
        filters = Filters(doc_ids=tuple(scope.doc_ids)) if scope.restricted else None
        state.results = self.retriever.search(query, k=self.k, filters=filters)
        return state

    def _tools(self, state: _State) -> _State:
        frame, scope = state.frame, state.scope
        assert frame is not None and scope is not None
        if self._entitlements(state) or self._compare(state):
            return state
        if not state.results:
            return state
        allowed = set(scope.doc_ids) if scope.restricted else {d.id for d in self.retriever.documents()}
        rules = [r for r in self._rules().rules if r.doc_id in allowed]
        state.rules = rules
        clause_ids = [r.clause.clause_id for r in state.results]
        carried_rule = state.history[-1].rule_id if state.history and frame.follow_up else None
        # With a place named, every rule considered is of that place: one the question names may lead
        # even if retrieval missed its clause. Without one, only rules whose clause was retrieved.
        routes = self.router.candidates(
            frame, rules, clause_ids, retrieved_only=not scope.restricted, text=normalise(state.standalone)
        )
        routes = _column_named(routes, normalise(state.standalone))
        route = routes[0] if routes else None
        rule = route.rule if route is not None else None
        named = [r for r in routes if any(not x.startswith("retrieved") and x != "level named" for x in r.reasons)]
        if carried_rule is None and state.history and not frame.places and not named:
            # 每月给师傅发600元，两个师傅，一共补多少 after a turn about one provision: a question naming no
            # place and no provision of its own continues the conversation's provision.
            carried_rule = state.history[-1].rule_id
        if carried_rule and (rule is None or (route is not None and route.score < 4)):
            kept = next((r for r in rules if r.id == carried_rule), None)
            rule = kept or rule
        if rule is None:
            return state
        doc = self.retriever.document(rule.doc_id)
        state.rule = rule
        state.plan = plan(frame, rule, doc_city=doc.city if doc else "")
        _variant_said(rule, rules, normalise(state.standalone), state.plan)
        if rule.clause_id not in clause_ids:
            clause = self.retriever.clause(rule.clause_id)
            if clause is None or doc is None:
                return state
            state.results.append(SearchResult(clause=clause, doc=doc, score=0.0))
        # The clause of the rule the question names leads; it is of the place asked about (or, with no
        # place named, one retrieval found).
        state.results.sort(key=lambda r: r.clause.clause_id != rule.clause_id)
        money = rule.kind in ("per_head", "one_off", "monthly", "percentage", "target")
        # A figure the user states about the provision (最高有800万是吧) is checked by the calculator too.
        given = bool(
            frame.groups
            or frame.money
            or [c for c in frame.claims if c.unit == "元"]
            or [s for s in frame.spans if s.kind != "per_period"]
        )
        if money and not given and not frame.asks_total:
            state.tool_intent = "facts"  # "大连工匠奖励多少钱": the standard, quoted, not a sum for one person
            self._asked_field_first(state, rule)
            return state
        if (
            rule.kind in ("eligibility", "lookup")
            and frame.intent not in ("check", "entitlements")
            and not (frame.facts or frame.groups)
        ):
            state.tool_intent = "facts"  # "目录每年什么时候更新？": a question about the text, not a check
            return state
        check_only = frame.intent == "check" and rule.kind not in ("lookup",) and not frame.asks_total
        try:
            tool = self.engine_for().run(rule.id, state.plan.inputs, check_only=check_only)
        except ToolError:
            return state
        tool = _apply_plan(tool, state.plan)
        # Several provisions in one question: each group to its own, one sum when every part has one.
        cities = {d.id: d.city for d in self.retriever.documents()}
        parts = basket(frame, rule, [r.rule for r in routes[1:6]], cities)
        if (
            (parts is not None or state.plan.not_listed)
            and frame.asks_total
            and self._entitlements(state, spanning=True)
        ):
            # A total over several provisions (or over groups the provision found does not list): the list
            # of every provision, each priced by the same accounting, answers it.
            return state
        if parts is not None:
            tool = self._basket(parts, state)
        elif _asks_several(frame.text) and tool.result is not None:
            # 奖励加津贴一起算: a sum of several benefits asked, one found: no partial total.
            state.plan.missing.append("您问的是几项的合计，目前只能确定其中一项，请分别说明各项")
            tool = _apply_plan(tool, state.plan)
        asks_figure = frame.intent in ("calculate", "check") or frame.asks_total or bool(frame.groups)
        if tool.status == "needs_input" and not asks_figure:
            state.tool_intent = "facts"  # "标准是多少？": answered from the rule's clause, not with a sum
            state.tool = None
            return state
        state.tool = tool
        state.tool_intent = "check" if check_only else frame.intent
        return state

    def _asked_field_first(self, state: _State, rule: Rule) -> None:
        """执行年限是到2026年底吗: a question naming the key of a "key：value" line of the provision's own
        section (执行年限, 受理部门, 申报条件) is answered from that line."""
        own = self.retriever.clause(rule.clause_id)
        if own is None:
            return
        text = normalise(state.standalone)
        section = tuple(own.heading_path[:-1])
        for c in self.retriever.clauses_of(rule.doc_id):
            key = c.title or ""
            if (
                c.clause_id == own.clause_id
                or tuple(c.heading_path[:-1]) != section
                or len(key) < 2
                or key not in c.fields
                or key not in text
            ):
                continue
            doc = self.retriever.document(rule.doc_id)
            if doc is None:
                return
            found = next((r for r in state.results if r.clause.clause_id == c.clause_id), None)
            state.results = [found or SearchResult(clause=c, doc=doc, score=0.0)] + [
                r for r in state.results if r is not found
            ]
            return

    def _basket(self, parts: list[Part], state: _State) -> ToolResult:
        tools = []
        for part in parts:
            t = self.engine_for().run(part.rule.id, part.plan.inputs)
            tools.append(_apply_plan(t, part.plan))
            if part.rule.clause_id not in [r.clause.clause_id for r in state.results]:
                clause, doc = self.retriever.clause(part.rule.clause_id), self.retriever.document(part.rule.doc_id)
                if clause is not None and doc is not None:
                    state.results.append(SearchResult(clause=clause, doc=doc, score=0.0))
        state.parts = list(zip(parts, tools, strict=True))
        return combine(tools)

    def engine_for(self) -> RuleEngine:
        catalogue = self._rules()
        if catalogue is not self.engine.catalogue:
            self.engine = RuleEngine(catalogue, self.engine.documents)
        return self.engine

    def _entitlements(self, state: _State, *, spanning: bool = False) -> bool:
        """能享受哪些补贴 / 有什么政策: every provision of the asker's place they meet or may meet, as a list.

        ``spanning``: a total asked over groups one provision does not list (3人新取得技师……另有一位首席技师
        经认定符合条件，合起来多少) — the list answers it when it prices two provisions or more."""
        from app.answer import parts
        from app.answer.entitlements_text import as_tool, names_a_benefit, names_one_benefit, render
        from app.tools.entitlements import match
        from app.tools.profile import profile_from_frame

        frame, scope = state.frame, state.scope
        if (
            frame is None
            or (frame.intent != "entitlements" and not spanning)
            or state.sub
            or (scope is not None and scope.restricted and not scope.doc_ids)
        ):
            return False
        if state.history and frame.follow_up and re.search(r"(?:他|她|其|该|这位|此人|这个人)(?:所在|的)", frame.text):
            return False  # 那他所在的企业能拿到什么: about the provision just talked about, not every one
        asked = parts.split(frame.text)
        if not spanning and len(asked) > 1 and self.read(asked[0]).intent != "entitlements":
            # 社保交几个月？还要什么条件？能享受什么待遇？: questions about one provision, part by part —
            # not the list of everything, which a later part's wording alone would ask for.
            return False
        in_scope = set(scope.doc_ids) if scope is not None and scope.restricted else None
        rules = [r for r in self._rules().rules if in_scope is None or r.doc_id in in_scope]
        if names_one_benefit(frame.text, rules) or (spanning and names_a_benefit(frame.text, rules)):
            return False  # 能享受什么生活补贴待遇: about one provision, answered as before
        docs = self.retriever.documents()
        profile = profile_from_frame(frame, context=state.standalone if frame.follow_up else "")
        catalogue = self._entitlement_rules()
        if self._entitlement_engine is None or self._entitlement_engine.catalogue is not catalogue:
            self._entitlement_engine = RuleEngine(catalogue, self.engine_for().documents)
        result = match(profile, catalogue.rules, self._entitlement_engine, docs)
        if spanning and (
            sum(1 for e in result.entries if e.status == "met" and e.amount is not None and e.money) < 2
            or result.summary.certain_one_off is None
        ):
            return False

        def lookup(clause_id: str, doc_id: str) -> SearchResult | None:
            clause, doc = self.retriever.clause(clause_id), self.retriever.document(doc_id)
            return SearchResult(clause=clause, doc=doc, score=0.0) if clause is not None and doc is not None else None

        state.draft = render(result, lookup)
        state.tool, state.tool_intent, state.rule, state.plan, state.parts = (
            as_tool(result),
            "entitlements",
            None,
            None,
            [],
        )
        state.entitlements = result.model_dump(mode="json")
        return True

    def _compare(self, state: _State) -> bool:
        """Two or more places (or 各地 / 各个文件): one row per place, a table (``app.answer.compare``)."""
        from app.answer import compare

        frame, scope = state.frame, state.scope
        if frame is None or scope is None or not compare.is_comparison(frame):
            return False
        comparer = compare.Comparer(
            self.retriever, self.router, self.scorer, lambda: self._rules().rules, k=self.k, calculate=self._one_rule
        )
        # A follow-up (那厦门和南通呢，各给多少): the need is the conversation's question, its places removed.
        need = compare.need_of(self.read(state.standalone)) if frame.follow_up else None
        rows = comparer.rows(frame, scope, need)
        if len(rows) < 2:
            return False
        draft = Draft()
        compare.render(rows, draft, ranking=compare.rank(rows) if compare.asks_rank(frame) else None)
        state.draft, state.comparison = draft, [r.as_json() for r in rows]
        state.results = [r.result for r in rows if r.result is not None]
        return True

    def _one_rule(self, question: str, rule: Rule) -> ToolResult | None:
        """The calculator's result for ``rule`` on ``question`` (a comparison row's own numbers), through the
        accounting: no total unless every number of the question was placed."""
        doc = self.retriever.document(rule.doc_id)
        p = plan(self.read(question), rule, doc_city=doc.city if doc else "")
        try:
            return _apply_plan(self.engine_for().run(rule.id, p.inputs), p)
        except ToolError:
            return None

    @cached_property
    def scorer(self) -> SentenceScorer:
        own = getattr(self.backend, "scorer", None)
        if isinstance(own, SentenceScorer):
            return own
        tokenizer = self.tokenizer or Tokenizer()
        clauses = (c.text for d in self.retriever.documents() for c in self.retriever.clauses_of(d.id))
        return SentenceScorer(tokenizer, clauses)

    def _part(self, question: str, state: _State) -> Draft | None:
        """One part of a multi-part question through the same steps (read … verify), never split again."""
        sub = _State(question, state.session_id, state.city, sub=True)
        try:
            return self._verify(self._answer(self._tools(self._retrieve(self._read(sub))))).draft
        except (ToolError, LookupError, ValueError):
            return None

    def _answer(self, state: _State) -> _State:
        assert state.frame is not None and state.scope is not None
        if state.draft is not None:
            return state  # answered by an earlier step (the entitlements list)
        ctx = AnswerContext(
            question=state.question,
            standalone=state.standalone,
            results=state.results,
            tool=state.tool,
            frame=state.frame,
            scope=state.scope,
            rule=state.rule,
            plan=state.plan,
            rules=state.rules,
            parts=state.parts,
            doc_clauses=self.retriever.clauses_of,
        )
        state.draft = self.backend.answer(ctx)
        return state

    def _verify(self, state: _State) -> _State:
        assert state.draft is not None
        if state.tool is None and state.draft.tool is not None:
            state.tool, state.tool_intent = state.draft.tool, "model"  # chosen by the model, computed by the engine
        values = {fmt(t.value) for t in state.frame.numbers} if state.frame else set()
        state.draft = verify_draft(state.draft, state.tool, state.frame.text if state.frame else state.question, values)
        self._later_parts(state)
        return state

    def _later_parts(self, state: _State) -> None:
        """每月多少？干满两年一共多少？: after the whole question's answer, each later part on its own (the same
        steps, already verified), appended when it adds something; 找哪个部门 from the clause; 去哪里办 said
        to be not stated, with the department, when no clause names a place to go (``app.answer.parts``)."""
        from app.answer import parts

        frame, draft = state.frame, state.draft
        if state.sub or frame is None or draft is None or state.comparison or state.entitlements:
            return
        if draft.refused and (guards.is_off_topic(frame.text) or guards.asks_for_certificate(frame.text)):
            return
        about: dict[str, SearchResult | None] = {}

        def clause_of(topic: str) -> SearchResult | None:
            """The clause the topic alone is answered from (for 找哪个部门 / 去哪里办)."""
            if topic not in about:
                got = self._part(topic, state)
                about[topic] = got.sources[0].result if got is not None and got.sources else None
            return about[topic]

        for topic, asked in parts.sub_questions(frame.text):
            if parts.asks_who(asked) or parts.asks_where(asked):
                first = clause_of(topic)
                dept = guards.departments(first.clause, self.retriever.clauses_of(first.doc.id)) if first else ""
                if parts.asks_who(asked):
                    said = f"文件写明的负责单位：{dept}。" if dept else f"文件没有写明负责部门，可咨询{FALLBACK}。"
                    draft.say(f"\n\n关于“{asked}”：{said}")
                    continue
            sub_draft = self._part(parts.question(topic, asked), state)
            if parts.asks_where(asked) and not parts.names_where_in(sub_draft):
                # 培训机构的信息去哪里查: a part naming its own subject is also asked on its own (with the
                # places of the question), when the first part's topic leads to no place to go.
                alone = self._part(" ".join([*frame.place_names("about"), asked]), state)
                if parts.names_where_in(alone) and alone is not None and self._about_own_words(asked, alone):
                    sub_draft = alone
            if sub_draft is None:
                continue
            if parts.asks_where(asked) and not any(parts.names_where(s.quote) for s in sub_draft.sources):
                draft.say(f"\n\n关于“{asked}”：文件没有写明具体办理地点，请咨询{dept or FALLBACK}。")
                continue
            parts.merge(draft, sub_draft, asked)
            if not sub_draft.refused and not draft.absent:
                # One part answered (here or by the quote above): not refused as a whole — unless the level
                # asked is not among those the text lists; a later part answered for the listed ones only
                # does not state it.
                draft.refused = False

    def _about_own_words(self, part: str, answer: Draft) -> bool:
        """The answer's clause is about the part's own words (培训机构 in 培训机构的信息去哪里查), not only
        about where to go (去哪里办 names nothing of its own)."""
        from app.answer import parts

        words = analyze(parts.pattern("asks_where").sub(" ", to_simplified(part))).expanded  # 资讯 → 信息 too
        own = set(self.scorer.tokenizer.tokenize(words))
        quoted = " ".join(s.quote for s in answer.sources if parts.names_where(s.quote))
        return bool(own) and self.scorer.score(own, quoted, wants_figure=False) >= OWN_WORDS

    def _finish(self, state: _State) -> Answer:
        assert state.draft is not None and state.frame is not None
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
        warnings = [to_traditional(w) if traditional else w for w in [*draft.warnings, *state.frame.notes]]
        follow = [to_traditional(f) if traditional else f for f in draft.follow_up]
        self.sessions.append(
            state.session_id,
            Turn(
                question=state.question,
                standalone=state.standalone,
                topic=state.topic,
                answer=text,
                city=(state.scope.places[0] if state.scope and state.scope.places else None),
                places=(state.scope.places if state.scope and not state.city else state.frame.place_names("about")),
                rule_id=state.rule.id if state.rule is not None else None,
                inputs={k: str(v) for k, v in (state.plan.inputs if state.plan else {}).items()},
                clause_ids=[c.clause_id for c in citations],
                frame=carried(state.frame),
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
            standalone_question=state.standalone,
            backend=self.backend.name,
            follow_up_questions=follow,
            frame=state.frame.model_dump(mode="json", exclude={"numbers"}),
            entitlements=state.entitlements,
            comparison=_script(state.comparison, traditional),
        )


_SEVERAL = re.compile(
    r"(补贴|补助|津贴|奖励|资助|安家费|奖金)\s*(?:加上|加|和|以及|连同|跟)\s*[\u4e00-\u9fff]{0,6}?(补贴|补助|津贴|奖励|资助|安家费|奖金)"
)


def _asks_several(text: str) -> bool:
    m = _SEVERAL.search(text)
    if m is None:
        return False
    return m.group(1) != m.group(2) and bool(re.search(r"一起|一共|合计|加起来|总共|共计", text))


def _column_named(routes: list[Any], text: str) -> list[Any]:
    """Columns of one table tied at the top (一般 / 急需紧缺职业): the one column the question names leads.
    When the question names several columns (or none), the order stays (each group is then priced in its
    own column, or the answer asks which)."""
    if len(routes) < 2 or not routes[0].rule.variant:
        return routes
    top = routes[0]
    tied = [r for r in routes if r.rule.clause_id == top.rule.clause_id and r.rule.variant and r.score == top.score]
    if len(tied) < 2:
        return routes
    variants = [r.rule.variant for r in tied]
    common = _common_suffix(variants)
    said = [r for r in tied if (r.rule.variant[: len(r.rule.variant) - len(common)] or r.rule.variant) in text]
    if len(said) != 1 or said[0] is top:
        return routes
    return [said[0], *[r for r in routes if r is not said[0]]]


def _variant_said(rule: Rule, rules: list[Rule], text: str, p: Plan) -> None:
    """A table with one column per class (一般 / 急需紧缺职业): the question must say which column."""
    if not rule.variant:
        return
    siblings = [r.variant for r in rules if r.clause_id == rule.clause_id and r.variant]
    if len(siblings) < 2:
        return
    common = _common_suffix(siblings)
    distinct = [v[: len(v) - len(common)] or v for v in siblings]
    said = [d for d in distinct if d and d in text]
    mine = rule.variant[: len(rule.variant) - len(common)] or rule.variant
    if mine not in said:
        p.missing.append("属于哪一类：" + " / ".join(siblings))


def _common_suffix(words: list[str]) -> str:
    """The ending all the words share (职业（工种）in 一般职业（工种） / 急需紧缺职业（工种）)."""
    shortest = min(words, key=len)
    n = 0
    while n < len(shortest) and len({w[len(w) - n - 1] for w in words}) == 1:
        n += 1
    return shortest[len(shortest) - n :] if n else ""


def combine(tools: list[ToolResult]) -> ToolResult:
    """One result for several provisions: their sum when every part has one, in 元."""
    first = tools[0]
    total = None
    if all(t.result is not None and t.unit.startswith("元") for t in tools):
        total = sum((t.result for t in tools if t.result is not None), Decimal(0))
    qualifiers = {t.qualifier for t in tools}
    combined = ToolResult(
        rule_id="+".join(t.rule_id for t in tools),
        title="、".join(t.title for t in tools),
        kind="sum",
        inputs={t.rule_id: t.inputs for t in tools},
        result=total,
        formula=" + ".join(f"({t.formula})" for t in tools) if total is not None else None,
        result_text=f"{fmt(total)} 元" if total is not None else "",
        unit="元",
        qualifier=qualifiers.pop() if len(qualifiers) == 1 else "mixed",
        payee=first.payee if len({t.payee for t in tools}) == 1 else "none",
        payee_zh=first.payee_zh if len({t.payee for t in tools}) == 1 else "",
        status="complete"
        if total is not None and all(t.status == "complete" for t in tools)
        else ("conditional" if total is not None else "needs_input"),
        citations=[c for t in tools for c in t.citations],
        questions=[q for t in tools for q in t.questions],
        warnings=list(dict.fromkeys(w for t in tools for w in t.warnings)),
        reviewed=all(t.reviewed for t in tools),
        reading="；".join(t.reading for t in tools if t.reading),
        details={"parts": [t.model_dump(mode="json") for t in tools]},
    )
    if combined.qualifier == "mixed" and total is not None:
        combined.warnings.append("各项标准性质不同（有的是上限或下限），合计按各项标准相加，仅供参考。")
    return combined


_ROW_WORDS = ("figures", "qualifier", "unit", "payee", "note", "department", "counted")


def _script(rows: list[dict[str, Any]] | None, traditional: bool) -> list[dict[str, Any]] | None:
    """A comparison's rows in the question's script: its own words converted; quotes, ids and the place (a key)
    verbatim."""
    if not rows or not traditional:
        return rows

    def conv(v: Any) -> Any:
        if isinstance(v, str):
            return to_traditional(v)
        if isinstance(v, list):
            return [conv(x) for x in v]
        return v

    return [{k: (conv(v) if k in _ROW_WORDS else v) for k, v in r.items()} for r in rows]


def _apply_plan(tool: ToolResult, p: Plan) -> ToolResult:
    """The engine's result, with what the accounting found: no total unless every number was placed."""
    # A sum the user states (一共就是400万？) is checked against the calculator's.
    for c in p.claims:
        if c.unit == "元" and c.correct is None and tool.result is not None and p.can_total:
            c.correct = c.claimed == tool.result
            c.actual = [f"{fmt(tool.result)}元"]
    tool.reading = p.reading()
    tool.accounting = p.as_dict()
    if tool.result is None:
        if p.missing:
            tool.questions = [*p.missing, *[q for q in tool.questions if not any(q[:5] == m[:5] for m in p.missing)]]
        return tool
    if not p.can_total:
        tool.status = "needs_input"
        tool.details["withheld"] = {"result": str(tool.result), "formula": tool.formula}
        tool.result, tool.formula, tool.result_text = None, None, ""
        asks = list(p.missing)
        for g in p.not_listed:
            asks.append(f"{g.label}：{g.reason}")
        for pl in p.not_understood:
            asks.append(f"“{pl.what}”指的是什么？" + (f"（{pl.note}）" if pl.note else ""))
        tool.questions = [*asks, *[q for q in tool.questions if q not in asks]]
    return tool
