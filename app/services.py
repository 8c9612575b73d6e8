"""Wire everything in one place: settings in, ready-to-use services out.

``build_services(settings)`` is the only function that constructs backends.
Tests and tools pass their own ``embedder`` or Chroma ``client`` to it.
What answers from the index (store, retriever, rule engine, assistant) belongs
to the generation being served and is rebuilt when another one is published.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, cast

from langchain_core.embeddings import Embeddings

from app import cpu
from app.answer.chain import AnswerBackend, Assistant
from app.answer.offline import OfflineAnswerer
from app.answer.sentences import SentenceScorer
from app.answer.sessions import RedisSessionStore, SessionStore
from app.embeddings import QueryEncoder, build_embedder, embedder_id
from app.frame.schema import QuestionFrame
from app.retrieval import HybridRetriever, IndexNotReady, SearchResult
from app.settings import Settings
from app.tools.engine import RuleEngine
from app.tools.entitlements import Entitlements, Profile, match
from app.tools.extracted import figureless_rules, overlay
from app.tools.routing import Router
from app.tools.rules import Catalogue
from ingest.generations import Generation, Generations
from ingest.lexical import TermStats
from ingest.manifest import Manifest
from ingest.store import ClauseStore
from ingest.textproc import Tokenizer
from ingest.vectors import LazyClient, VectorIndex, make_client

if TYPE_CHECKING:  # imported where used: a serving process needs none of them at start-up (~2.5 s of imports)
    from chromadb.api import ClientAPI
    from langchain_core.language_models import BaseChatModel

    from ingest.pipeline import Ingestor


class Serving:
    """One published index generation and everything that answers from it, built on first use.

    Answer-time caches (the retriever's snapshot, the sentence scorer's statistics, the rule
    engine's documents) belong to one generation, so they follow every switch.
    """

    def __init__(self, services: Services, generation: Generation):
        self.services = services
        self.generation = generation

    @property
    def number(self) -> int:
        return self.generation.number

    @property
    def store(self) -> ClauseStore:
        return self.generation.store

    @property
    def vectors(self) -> VectorIndex:
        return self.generation.vectors

    @cached_property
    def retriever(self) -> HybridRetriever:
        r = self.services.settings.retrieval
        return HybridRetriever(
            self.store,
            self.vectors,
            self.services.tokenizer,
            self.generation.bm25_dir,
            candidates=r.candidates,
            rrf_k=r.rrf_k,
            fusion=r.fusion,
            bm25_weight=r.bm25_weight,
            encoder=self.services.encoder,
        )

    @cached_property
    def rules(self) -> Catalogue:
        """The rules in force: curated rules laid over the provisions extracted from this generation's clauses."""
        svc = self.services
        docs = {d.meta.id: d.meta for d in self.store.documents()}
        return overlay(svc.catalogue, self.store.clauses(), docs, use_curated=svc.settings.curated_rules)

    @cached_property
    def entitlement_rules(self) -> Catalogue:
        """Every provision in scope for 能享受哪些: the rules in force and the benefits the clauses state
        without a figure that no rule states (``figureless_rules``; unreviewed, never an amount)."""
        docs = {d.meta.id: d.meta for d in self.store.documents()}
        extra = figureless_rules(self.store.clauses(), docs, self.rules.rules)
        return Catalogue([*self.rules.rules, *extra], self.rules.figures)

    @cached_property
    def engine(self) -> RuleEngine:
        docs = {d.id: d for d in self.services.manifest().documents}
        docs.update({d.meta.id: d.meta for d in self.store.documents()})
        return RuleEngine(self.rules, docs)

    @cached_property
    def assistant(self) -> Assistant:
        svc = self.services
        return Assistant(
            self.retriever,
            svc.router,
            self.engine,
            svc.sessions,
            self._backend(),
            rules=lambda: self.rules,
            entitlement_rules=lambda: self.entitlement_rules,
            tokenizer=svc.tokenizer,
            framer=self._framer(),
        )

    def _framer(self) -> Callable[[QuestionFrame], QuestionFrame] | None:
        """The model reads the question (tool calling) only when configured to, with a model."""
        svc = self.services
        if svc.settings.llm.frame != "tool" or (svc.llm is None and svc.settings.llm.backend == "offline"):
            return None
        from app.answer.llm import build_chat_model
        from app.frame.llm import ModelFramer

        return ModelFramer(svc.llm or build_chat_model(svc.settings.llm))

    def _backend(self) -> AnswerBackend:
        svc = self.services
        # The index's term statistics (an index built by an earlier version has none: counted here).
        stats = TermStats.load(self.generation.bm25_dir, svc.tokenizer)
        corpus = (c.text for c in self.store.clauses()) if stats is None else ()
        offline = OfflineAnswerer(svc.catalogue, SentenceScorer(svc.tokenizer, corpus, stats=stats))
        if svc.llm is None and svc.settings.llm.backend == "offline":
            return offline
        from app.answer.llm import LLMAnswerer, build_chat_model

        def lookup(clause_id: str) -> SearchResult | None:
            clause = self.retriever.clause(clause_id)
            doc = self.retriever.document(clause.doc_id) if clause else None
            return SearchResult(clause=clause, doc=doc, score=0.0) if clause and doc else None

        return LLMAnswerer(svc.llm or build_chat_model(svc.settings.llm), offline, self.engine, lookup)

    def close(self) -> None:
        self.generation.close()


@dataclass
class Services:
    settings: Settings
    generations: Generations
    tokenizer: Tokenizer
    llm: BaseChatModel | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _serving: Serving | None = field(default=None, init=False, repr=False)
    _retired: Serving | None = field(default=None, init=False, repr=False)

    def serving(self) -> Serving:
        """The generation being served now (it is looked up on every call; switching costs one open)."""
        number = self.generations.serving_number() or 0
        current = self._serving
        if current is not None and current.number == number:
            return current
        with self._lock:
            current = self._serving
            if current is not None and current.number == number:
                return current
            try:
                generation = self.generations.open(number) if number else self.generations.empty()
            except Exception as exc:
                raise IndexNotReady(f"index generation {number} cannot be opened ({exc}); run ingest") from exc
            fresh = Serving(self, generation)
            if current is not None and "retriever" in current.__dict__:
                fresh.retriever.inherit(current.retriever)  # unchanged documents' vectors are reused
            if self._retired is not None:
                self._retired.close()  # two switches ago: no request is still on it
            self._retired, self._serving = current, fresh
            return fresh

    # The serving generation's parts, for callers that need one of them.
    @property
    def generation(self) -> Generation:
        return self.serving().generation

    @property
    def store(self) -> ClauseStore:
        return self.serving().store

    @property
    def vectors(self) -> VectorIndex:
        return self.serving().vectors

    @property
    def retriever(self) -> HybridRetriever:
        return self.serving().retriever

    @property
    def engine(self) -> RuleEngine:
        return self.serving().engine

    def rules(self) -> Catalogue:
        """The rules in force for the serving generation (curated over extracted)."""
        return self.serving().rules

    def entitlement_rules(self) -> Catalogue:
        """The rules 能享受哪些 matches: those in force and the benefits stated without a figure."""
        return self.serving().entitlement_rules

    @property
    def assistant(self) -> Assistant:
        return self.serving().assistant

    @cached_property
    def encoder(self) -> QueryEncoder:
        """Query embeddings: cached by the normalised query, batched when requests arrive together.

        One for the process: a query's vector does not depend on the index generation, so the cache
        survives a switch.
        """
        e = self.settings.embedding
        return QueryEncoder(
            self.generations.embeddings,
            cache_size=e.query_cache,
            max_batch=e.query_batch,
            wait_ms=e.query_batch_wait_ms,
        )

    @cached_property
    def ingestor(self) -> Ingestor:
        from ingest.pipeline import Ingestor, WindowSettings

        r = self.settings.retrieval
        return Ingestor(
            self.generations,
            self.tokenizer,
            WindowSettings(r.window_chars, r.window_overlap),
            batch_size=self.settings.embedding.batch_size,
            uploads_dir=self.settings.uploads_dir,
        )

    @cached_property
    def catalogue(self) -> Catalogue:
        """The curated rules of ``corpus/rules`` alone (without those of the documents set aside in settings)."""
        loaded = Catalogue.load(self.settings.rules_dir)
        return loaded.without_documents(self.settings.curated_rules_exclude)

    @cached_property
    def router(self) -> Router:
        return Router()

    @cached_property
    def sessions(self) -> SessionStore | RedisSessionStore:
        c = self.settings.sessions
        if c.backend == "redis":
            return RedisSessionStore(c.redis_url, max_turns=c.max_turns, ttl_seconds=c.ttl_seconds)
        return SessionStore(
            self.settings.sessions_path, max_turns=c.max_turns, ttl_seconds=c.ttl_seconds, max_sessions=c.max_sessions
        )

    def entitlements(self, profile: Profile) -> Entitlements:
        """Every provision of the indexed documents that the profile meets or may meet (app.tools.entitlements)."""
        serving = self.serving()
        rules = serving.entitlement_rules
        return match(profile, rules.rules, RuleEngine(rules, serving.engine.documents), serving.retriever.documents())

    def clause_result(self, clause_id: str, doc_id: str) -> SearchResult | None:
        """A clause with its document, as a citation (for answers composed outside the chain)."""
        r = self.retriever
        clause, doc = r.clause(clause_id), r.document(doc_id)
        return SearchResult(clause=clause, doc=doc, score=0.0) if clause is not None and doc is not None else None

    def manifest(self) -> Manifest:
        return Manifest.load(self.settings.manifest)

    def close(self) -> None:
        for serving in (self._serving, self._retired):
            if serving is not None:
                serving.close()
        self._serving = self._retired = None
        if "sessions" in self.__dict__:
            self.sessions.close()


def build_services(
    settings: Settings,
    *,
    embedder: Embeddings | None = None,
    chroma_client: ClientAPI | None = None,
    llm: BaseChatModel | None = None,
) -> Services:
    # Before the model's OpenMP runtime starts (it loads with the model). A process of its own uses
    # every core; a service worker keeps the share `serve` gave it (inherited environment wins).
    cpu.apply(cpu.plan(settings, workers=1))
    embeddings = embedder or build_embedder(settings.embedding, settings.threads)
    c = settings.chroma
    # Opened on first use: a service reads the generation's vector snapshot and may never need Chroma.
    client = chroma_client or cast(
        "ClientAPI", LazyClient(lambda: make_client(mode=c.mode, path=settings.chroma_dir, host=c.host, port=c.port))
    )
    generations = Generations(
        settings.data_dir, client, c.collection, embeddings, embedder_id(embeddings), share_collection=c.shared
    )
    return Services(settings, generations, Tokenizer(), llm)
