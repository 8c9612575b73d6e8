"""What every request passes before any handler runs: body size, admin token, security headers.

* **Body size** is enforced while the body is read, before routing, authentication
  or parsing: a declared ``Content-Length`` over the limit is answered 413 at once,
  without reading a byte, and a body sent without a length is cut off as soon as it
  passes the limit. Uploads have their own, larger limit.
* **Admin requests** are authenticated from their headers before their body is read,
  so an unauthenticated upload costs the server nothing.
* **Security headers** on every response: ``X-Content-Type-Options: nosniff``, a
  Content-Security-Policy that lets pages load nothing from elsewhere (an image link
  inside a document or an answer can never make a browser fetch a remote URL) and
  may not be framed, ``Referrer-Policy`` and ``X-Frame-Options``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.datastructures import Headers
from starlette.middleware.body_limit import RequestBodyLimitResponder

from app.server.errors import ApiError, error_body, too_large
from app.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

UPLOAD_PATH = "/api/admin/documents"
MULTIPART_SLACK = 64 * 1024  # form fields and boundaries around the file
_UI_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; media-src 'self' data: blob:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# FastAPI's /docs and /redoc pages load Swagger UI / ReDoc from their CDN.
_DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; font-src 'self' https://fonts.gstatic.com; "
    "worker-src 'self' blob:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def body_limit(settings: Settings, path: str) -> int:
    server = settings.server
    return server.max_upload_bytes + MULTIPART_SLACK if path == UPLOAD_PATH else server.max_body_bytes


class RequestGuard:
    """Pure ASGI middleware (it must see the body as it arrives, which BaseHTTPMiddleware would not allow)."""

    def __init__(self, app: ASGIApp, settings: Settings, admin_check: Callable[[Headers], ApiError | None]):
        self.app = app
        self.settings = settings
        self.admin_check = admin_check

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        send = _with_headers(send, _DOCS_POLICY if path in ("/docs", "/redoc") else _UI_POLICY)
        headers = Headers(scope=scope)
        limit = body_limit(self.settings, path)
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                await _reply(
                    send, ApiError(400, "bad_content_length", "Content-Length 不正确。", "Bad Content-Length.")
                )
                return
            if int(declared) > limit:
                await _reply(send, too_large(limit))
                return
        if path.startswith("/api/admin/"):
            problem = self.admin_check(headers)
            if problem is not None:
                await _reply(send, problem)
                return

        # Counted while it is read (Starlette's limiter, which FastAPI turns into a 413 wherever it trips).
        await RequestBodyLimitResponder(self.app, limit)(scope, receive, send)


def _with_headers(send: Send, policy: str) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            raw = list(message.get("headers", []))
            have = {k.lower() for k, _ in raw}
            extra = {**SECURITY_HEADERS, "content-security-policy": policy}
            raw += [(k.encode(), v.encode()) for k, v in extra.items() if k.encode() not in have]
            message["headers"] = raw
        await send(message)

    return wrapped


async def _reply(send: Send, error: ApiError) -> None:
    body = json.dumps(error_body(error), ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
