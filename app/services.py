"""Wire everything in one place: settings in, ready-to-use services out.

``build_services(settings)`` is the only function that constructs backends.
Tests and tools pass their own ``embedder`` or Chroma ``client`` to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from chromadb.api import ClientAPI
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel

from app.answer.chain import AnswerBackend, Assistant
from app.answer.offline import OfflineAnswerer
from app.answer.sentences import SentenceScorer
from app.answer.sessions import RedisSessionStore, SessionStore
from app.embeddings import build_embedder, embedder_id
from app.retrieval import HybridRetriever, SearchResult
from app.settings import Settings
from app.tools.engine import RuleEngine
from app.tools.entitlements import Entitlements, Profile, match
from app.tools.extracted import overlay
from app.tools.routing import Router
from app.tools.rules import Catalogue
from ingest.manifest import Manifest
from ingest.pipeline import Ingestor, WindowSettings
from ingest.store import ClauseStore
from ingest.textproc import Tokenizer
from ingest.vectors import VectorIndex, make_client


@dataclass
class Services:
    settings: Settings
    store: ClauseStore
    vectors: VectorIndex
    tokenizer: Tokenizer
    llm: BaseChatModel | None = None

    @cached_property
    def ingestor(self) -> Ingestor:
        r = self.settings.retrieval
        return Ingestor(
            self.store,
            self.vectors,
            self.settings.bm25_dir,
            self.tokenizer,
            WindowSettings(r.window_chars, r.window_overlap),
            batch_size=self.settings.embedding.batch_size,
            uploads_dir=self.settings.data_dir / "uploads",
        )

    @cached_property
    def retriever(self) -> HybridRetriever:
        r = self.settings.retrieval
        return HybridRetriever(
            self.store,
            self.vectors,
            self.tokenizer,
            self.settings.bm25_dir,
            candidates=r.candidates,
            rrf_k=r.rrf_k,
            fusion=r.fusion,
            bm25_weight=r.bm25_weight,
        )

    @cached_property
    def catalogue(self) -> Catalogue:
        """The curated rules of ``corpus/rules`` alone."""
        return Catalogue.load(self.settings.rules_dir)

    def rules(self) -> Catalogue:
        """The rules in force: curated rules laid over the provisions extracted from every indexed
        clause, rebuilt whenever the index changes."""
        generation = self.store.generation
        cached = self.__dict__.get("_rules_cache")
        if cached is None or cached[0] != generation:
            docs = {d.meta.id: d.meta for d in self.store.documents()}
            cached = (generation, overlay(self.catalogue, self.store.clauses(), docs, use_curated=self.settings.curated_rules))
            self.__dict__["_rules_cache"] = cached
        return cached[1]

    @cached_property
    def engine(self) -> RuleEngine:
        docs = {d.id: d for d in self.manifest().documents}
        docs.update({d.meta.id: d.meta for d in self.store.documents()})
        return RuleEngine(self.rules(), docs)

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

    @cached_property
    def assistant(self) -> Assistant:
        return Assistant(
            self.retriever, self.router, self.engine, self.sessions, self._backend(), rules=self.rules, tokenizer=self.tokenizer
        )

    def _backend(self) -> AnswerBackend:
        offline = OfflineAnswerer(
            self.catalogue, SentenceScorer(self.tokenizer, (c.text for c in self.store.clauses()))
        )
        if self.llm is None and self.settings.llm.backend == "offline":
            return offline
        from app.answer.llm import LLMAnswerer, build_chat_model

        def lookup(clause_id: str) -> SearchResult | None:
            clause = self.retriever.clause(clause_id)
            doc = self.retriever.document(clause.doc_id) if clause else None
            return SearchResult(clause=clause, doc=doc, score=0.0) if clause and doc else None

        return LLMAnswerer(self.llm or build_chat_model(self.settings.llm), offline, self.engine, lookup)

    def entitlements(self, profile: Profile) -> Entitlements:
        """Every provision of the indexed documents that the profile meets or may meet (app.tools.entitlements)."""
        return match(profile, self.rules().rules, RuleEngine(self.rules(), self.engine.documents), self.retriever.documents())

    def clause_result(self, clause_id: str, doc_id: str) -> SearchResult | None:
        """A clause with its document, as a citation (for answers composed outside the chain)."""
        clause, doc = self.retriever.clause(clause_id), self.retriever.document(doc_id)
        return SearchResult(clause=clause, doc=doc, score=0.0) if clause is not None and doc is not None else None

    def manifest(self) -> Manifest:
        return Manifest.load(self.settings.manifest)

    def close(self) -> None:
        self.store.close()
        if "sessions" in self.__dict__:
            self.sessions.close()


def build_services(
    settings: Settings,
    *,
    embedder: Embeddings | None = None,
    chroma_client: ClientAPI | None = None,
    llm: BaseChatModel | None = None,
) -> Services:
    embeddings = embedder or build_embedder(settings.embedding)
    c = settings.chroma
    client = chroma_client or make_client(mode=c.mode, path=settings.chroma_dir, host=c.host, port=c.port)
    vectors = VectorIndex(client, c.collection, embeddings, embedder_id(embeddings))
    return Services(settings, ClauseStore(settings.store_path), vectors, Tokenizer(), llm)
