"""The FastAPI application, built by a factory from settings.

``create_app()`` builds the services once per process (one index and model
load), exposes the API, the admin endpoints, health checks and, when enabled,
the Gradio UI at ``/ui``. With several uvicorn workers each process runs the
factory; conversations are shared through the session store (SQLite file by
default), so a follow-up can reach any worker.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from fastapi import FastAPI
from fastapi.responses import JSONResponse, RedirectResponse

from app.server import admin, api, entitlements, errors
from app.services import Services, build_services
from app.settings import Settings

log = logging.getLogger("policy_assistant.api")


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    settings = settings or (services.settings if services else Settings())
    own = services is None
    svc = services or build_services(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if own:
            svc.close()

    app = FastAPI(
        title="技能人才政策助手 API",
        version="0.1.0",
        description="Answers about skilled-talent policies with verbatim clauses and exact amounts.",
        lifespan=lifespan,
    )
    app.state.services = svc
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

    @app.get("/readyz", summary="The index is loaded and answers", response_model=None)
    def readyz() -> Any:
        try:
            docs = svc.retriever.documents()
        except Exception as exc:  # noqa: BLE001 - readiness reports, it does not crash
            return JSONResponse({"status": "not_ready", "reason": type(exc).__name__}, status_code=503)
        return {"status": "ready", "documents": len(docs)}

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/ui/" if settings.server.ui else "/docs")

    if settings.server.ui:
        import gradio as gr

        from app.server.ui import CSS, build_ui

        app = gr.mount_gradio_app(app, build_ui(svc), path="/ui", css=CSS)
    return app
