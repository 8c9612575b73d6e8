"""The Gradio UI, built after the service is ready instead of before.

Importing Gradio and building the Blocks costs 3–4 s of a 7 s cold start, and
nothing of the API needs it. ``LazyUI`` is mounted at ``/ui`` at once; the
service's lifespan calls ``start`` after its own start-up, which builds the
UI in a thread (the event loop keeps answering ``/readyz`` and the API), then
runs Gradio's start-up events as ``gr.mount_gradio_app`` would. A request to
``/ui`` that arrives before that waits for it (up to ``wait_s``), so a
browser opened right after ``/readyz`` simply takes a moment longer; if the
build failed, ``/ui`` answers 503 and the API is unaffected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

log = logging.getLogger("policy_assistant.ui")

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]


class LazyUI:
    """An ASGI app that forwards to the Gradio app once ``start`` has built it."""

    def __init__(self, build: Callable[[], tuple[Any, str]], path: str, wait_s: float = 60.0):
        self._build = build  # returns the gr.Blocks and its CSS
        self._path = path
        self.wait_s = wait_s
        self._app: Any = None
        self._error: BaseException | None = None
        self._ready = asyncio.Event()
        self._stack = contextlib.AsyncExitStack()

    def _make(self) -> Any:
        """In a worker thread: import Gradio, build the Blocks, and the Gradio app for ``path``."""
        import gradio as gr

        host = FastAPI()
        blocks, css = self._build()
        gr.mount_gradio_app(host, blocks, path=self._path, css=css)
        mount = next(r for r in host.routes if getattr(r, "path", None) == self._path)
        # mount_gradio_app put Gradio's start-up into the host's lifespan; it is run in ``start``.
        return host, mount.app  # type: ignore[attr-defined]

    async def start(self) -> None:
        """Build the UI without blocking the event loop, then run Gradio's start-up events."""
        try:
            host, app = await asyncio.to_thread(self._make)
            await self._stack.enter_async_context(host.router.lifespan_context(host))
            self._app = app
        except Exception as exc:  # the API serves on without the UI
            log.exception("the UI could not be built")
            self._error = exc
        finally:
            self._ready.set()

    async def close(self) -> None:
        await self._stack.aclose()

    @property
    def ready(self) -> bool:
        return self._app is not None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._app is None and scope["type"] in ("http", "websocket"):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), self.wait_s)
        if self._app is None:
            if scope["type"] == "lifespan":
                return
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1013})
                return
            body = "界面暂不可用，请稍后再试。".encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 503,
                    "headers": [
                        (b"content-type", b"text/plain; charset=utf-8"),
                        (b"retry-after", b"2"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self._app(scope, receive, send)
