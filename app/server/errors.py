"""Errors as clients see them: a code, a Chinese and an English sentence, never a stack trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.retrieval import IndexNotReady

log = logging.getLogger("policy_assistant.api")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, message_en: str, details: object = None):
        super().__init__(message_en)
        self.status, self.code, self.message, self.message_en, self.details = status, code, message, message_en, details


def _body(code: str, message: str, message_en: str, details: object = None) -> dict[str, object]:
    return {"error": code, "message": message, "message_en": message_en, "details": details}


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
        zh = {404: "找不到该地址。", 405: "不支持该请求方法。"}.get(exc.status_code, "请求无法处理。")
        return JSONResponse(_body(f"http_{exc.status_code}", zh, str(exc.detail)), status_code=exc.status_code)

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
