"""Errors as clients see them: a code, a Chinese and an English sentence, never a stack trace.

``responses(...)`` declares them in the OpenAPI schema, each with ``ErrorBody``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.routing import Match

from app.retrieval import IndexNotReady
from app.server.schemas import ErrorBody

log = logging.getLogger("policy_assistant.api")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, message_en: str, details: object = None):
        super().__init__(message_en)
        self.status, self.code, self.message, self.message_en, self.details = status, code, message, message_en, details

    def __reduce__(self) -> tuple[type[ApiError], tuple[int, str, str, str, object]]:
        # Raised in the index worker process and re-raised here: pickled with every field.
        return ApiError, (self.status, self.code, self.message, self.message_en, self.details)


def _body(code: str, message: str, message_en: str, details: object = None) -> dict[str, object]:
    return {"error": code, "message": message, "message_en": message_en, "details": details}


def error_body(exc: ApiError) -> dict[str, object]:
    return _body(exc.code, exc.message, exc.message_en, exc.details)


def too_large(limit: int) -> ApiError:
    return ApiError(
        413, "body_too_large", f"请求内容过大（上限{limit}字节）。", f"The request body is larger than {limit} bytes."
    )


DESCRIPTIONS = {
    400: "Bad input (the message says which and why)",
    401: "Admin token missing",
    403: "Admin endpoints disabled, or the token is wrong",
    404: "Not found",
    413: "Request body, upload or question too large",
    415: "Unsupported file type",
    422: "The request does not match the schema",
    503: "The index is not built yet",
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI declarations of these error statuses, all with the error body."""
    return {code: {"model": ErrorBody, "description": DESCRIPTIONS[code]} for code in codes}


def _allowed(request: Request) -> str:
    """Every method some route accepts at this path (Starlette names only the first route it tried)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match != Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(_body(exc.code, exc.message, exc.message_en, exc.details), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"field": ".".join(str(p) for p in e.get("loc", ())[1:]), "problem": e.get("msg", "")} for e in exc.errors()
        ]
        return JSONResponse(
            _body(
                "invalid_request",
                "请求格式不正确，请检查字段。",
                "The request body is malformed or incomplete.",
                details,
            ),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = _allowed(request) or headers.get("Allow", "")
        if exc.status_code == 413:  # a body that passed its limit while it was read (app.server.guard)
            limit = request.scope.get(MAX_BODY_SIZE_SCOPE_KEY)
            return JSONResponse(
                error_body(too_large(limit)) if limit else _body("body_too_large", "请求内容过大。", str(exc.detail)),
                status_code=413,
                headers=headers,
            )
        zh = {404: "找不到该地址。", 405: "不支持该请求方法。"}.get(exc.status_code, "请求无法处理。")
        return JSONResponse(
            _body(f"http_{exc.status_code}", zh, str(exc.detail)), status_code=exc.status_code, headers=headers
        )

    @app.exception_handler(IndexNotReady)
    async def not_ready(request: Request, exc: IndexNotReady) -> JSONResponse:
        return JSONResponse(
            _body("index_not_ready", "索引尚未建立，请先导入文件。", "The index is not built yet; run the ingest."),
            status_code=503,
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(
            _body("internal_error", "服务内部错误，已记录。", "Internal error; it has been logged."), status_code=500
        )
