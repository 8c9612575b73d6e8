"""The FastAPI application, built by a factory from settings.

``create_app()`` builds the services once per process (one index and model
load), exposes the API, the admin endpoints, health checks and, when enabled,
the Gradio UI at ``/ui``. With several uvicorn workers each process runs the
factory; conversations are shared through the session store (SQLite file by
default), so a follow-up can reach any worker.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from fastapi import FastAPI
from fastapi.responses import JSONResponse, RedirectResponse

from app.server import admin, api, entitlements, errors
from app.server.guard import RequestGuard
from app.server.jobs import JobRunner, JobStore
from app.server.lazy_ui import LazyUI
from app.server.schemas import Readiness
from app.server.worker import IndexWorker
from app.services import Services, build_services
from app.settings import Settings

log = logging.getLogger("policy_assistant.api")


def _build_ui(svc: Services) -> tuple[Any, str]:
    from app.server.ui import CSS, build_ui

    return build_ui(svc), CSS


def _warm_later(svc: Services) -> None:
    try:
        svc.assistant.warm_later()
    except Exception:
        log.debug("late warm-up skipped", exc_info=True)


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    settings = settings or (services.settings if services else Settings())
    own = services is None
    svc = services or build_services(settings)

    runner = JobRunner(JobStore(settings.jobs_path))
    index_worker = IndexWorker(svc)
    ui = LazyUI(lambda: _build_ui(svc), path="/ui") if settings.server.ui else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            svc.assistant.warm()  # the first question should not pay for loading the reader
            svc.encoder.embeddings.embed_query("预热")  # nor for loading the model
        except Exception:
            log.warning("warm-up skipped", exc_info=True)
        # What only some questions need is loaded once the service is up, not before: OpenCC's Taiwan
        # dictionaries (the first Traditional question would wait ~0.15 s for them).
        threading.Thread(target=_warm_later, args=(svc,), name="warm-later", daemon=True).start()
        # The UI is built once the API is up (see app.server.lazy_ui): Gradio is most of a cold start.
        building = asyncio.create_task(ui.start()) if ui is not None else None
        yield
        if building is not None:
            await building
            await ui.close()  # type: ignore[union-attr]
        runner.close()
        index_worker.close()
        if own:
            svc.close()

    app = FastAPI(
        title="技能人才政策助手 API",
        version="0.1.0",
        description="Answers about skilled-talent policies with verbatim clauses and exact amounts.",
        lifespan=lifespan,
    )
    app.state.services = svc
    app.state.jobs = runner
    app.state.index_worker = index_worker
    errors.install(app)

    @app.middleware("http")
    async def served_by(request: Any, call_next: Any) -> Any:
        response = await call_next(request)
        response.headers["X-Served-By"] = str(os.getpid())  # which worker answered (multi-worker checks)
        return response

    app.include_router(api.router)
    app.include_router(admin.router)
    app.include_router(entitlements.router)

    @app.get("/healthz", summary="The process is alive")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        summary="The index is loaded and answers (and which generation of it)",
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "The index is not built yet"}},
    )
    def readyz() -> Any:
        try:
            serving = svc.serving()
            docs = serving.retriever.documents()
        except Exception as exc:  # noqa: BLE001 - readiness reports, it does not crash
            body = Readiness(status="not_ready", reason=type(exc).__name__)
            return JSONResponse(body.model_dump(), status_code=503)
        return Readiness(status="ready", documents=len(docs), generation=serving.number)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/ui/" if settings.server.ui else "/docs")

    if ui is not None:
        app.mount("/ui", ui)  # type: ignore[arg-type]
    # Outermost: sizes and the admin token are checked before anything reads a body.
    app.add_middleware(
        RequestGuard, settings=svc.settings, admin_check=lambda headers: admin.admin_problem(svc.settings, headers)
    )
    return app
