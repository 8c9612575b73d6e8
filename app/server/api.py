"""The public HTTP API: thin handlers that call the services, never policy logic."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from app import limits
from app.answer.schema import Answer
from app.retrieval import Filters
from app.server.errors import ApiError, responses
from app.server.schemas import AskRequest, SearchRequest, ToolRequest
from app.services import Services
from app.tools.result import ToolError, ToolResult

log = logging.getLogger("policy_assistant.api")
router = APIRouter(prefix="/api", responses=responses(413, 422))
INDEX = responses(503)  # operations that read the index


def services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


def _check_question(text: str, request: Request) -> str:
    limit = request.app.state.services.settings.server.max_question_chars
    text = text.strip()
    if not text:
        raise ApiError(400, "empty_question", "问题不能为空。", "The question is empty.")
    if len(text) > limit:
        raise ApiError(
            413,
            "question_too_long",
            f"问题过长（最多{limit}个字）。",
            f"The question is too long (at most {limit} characters).",
        )
    try:
        limits.check_question(text)
    except limits.BoundError as exc:
        raise ApiError(400, "number_out_of_bounds", f"问题中的数字超出范围：{exc}", str(exc)) from exc
    return text


def _ask(body: AskRequest, request: Request, svc: Services) -> Answer:
    question = _check_question(body.question, request)
    # Only an id this server issued continues a conversation; any other starts a new one.
    session_id = svc.sessions.resolve(body.session_id) if body.session_id else None
    if svc.settings.server.log_questions:
        log.info("ask session=%s question=%s", session_id, question)
    else:
        log.info("ask session=%s chars=%d", session_id, len(question))
    return svc.assistant.ask(question, session_id=session_id, city=body.city)


@router.post(
    "/ask",
    response_model=Answer,
    responses={**responses(400), **INDEX},
    summary="Answer a question with quoted clauses and exact amounts",
)
def ask(body: AskRequest, request: Request, svc: Services = Depends(services)) -> Answer:
    return _ask(body, request, svc)


@router.post(
    "/ask/stream",
    summary="The same answer as server-sent events: citations first, then the answer text, then the full JSON",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}, **responses(400), **INDEX},
)
def ask_stream(body: AskRequest, request: Request, svc: Services = Depends(services)) -> StreamingResponse:
    answer = _ask(body, request, svc)

    def events() -> Iterator[str]:
        cites = [c.model_dump(mode="json") for c in answer.citations]
        yield f"event: citations\ndata: {json.dumps(cites, ensure_ascii=False)}\n\n"
        for i in range(0, len(answer.answer), 80):
            yield f"event: answer\ndata: {json.dumps(answer.answer[i : i + 80], ensure_ascii=False)}\n\n"
        yield f"event: done\ndata: {answer.model_dump_json()}\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


@router.post("/search", responses={**responses(400), **INDEX}, summary="Clauses that answer a query (hybrid retrieval)")
def search(body: SearchRequest, request: Request, svc: Services = Depends(services)) -> list[dict[str, Any]]:
    query = _check_question(body.query, request)
    results = svc.retriever.search(query, k=body.k, filters=Filters(body.city, body.doc_id, body.status))
    return [r.to_dict() for r in results]


@router.get("/documents", responses=INDEX, summary="The indexed documents with their metadata")
def documents(svc: Services = Depends(services)) -> list[dict[str, Any]]:
    store = svc.store  # one generation for the whole answer
    return [
        {**d.meta.model_dump(), "ingested_at": d.ingested_at, "clauses": len(store.clauses(d.meta.id))}
        for d in store.documents()
    ]


@router.get(
    "/documents/{doc_id}", responses={**responses(404), **INDEX}, summary="One document with all its clauses, in order"
)
def document(doc_id: str, svc: Services = Depends(services)) -> dict[str, Any]:
    store = svc.store
    stored = store.document(doc_id)
    if stored is None:
        raise ApiError(404, "document_not_found", f"没有编号为 {doc_id} 的文件。", f"No document with id {doc_id!r}.")
    return {
        **stored.meta.model_dump(),
        "caution": stored.meta.caution(),
        "clauses": [c.model_dump() for c in store.clauses(doc_id)],
    }


@router.get(
    "/clauses/{clause_id:path}",
    responses={**responses(404), **INDEX},
    summary="One clause, with its document's metadata",
)
def clause(clause_id: str, svc: Services = Depends(services)) -> dict[str, Any]:
    store = svc.store
    found = store.clause(clause_id)
    if found is None:
        raise ApiError(404, "clause_not_found", f"没有编号为 {clause_id} 的条款。", f"No clause with id {clause_id!r}.")
    stored = store.document(found.doc_id)
    meta = stored.meta.model_dump() if stored else {}
    return {**found.model_dump(), "document": meta, "caution": stored.meta.caution() if stored else ""}


@router.get("/rules", summary="The rule catalogue: benefits and eligibility rules with their inputs")
def rules(city: str | None = None, svc: Services = Depends(services)) -> list[dict[str, Any]]:
    return [{**r.model_dump(mode="json"), "inputs": svc.engine.input_names(r)} for r in svc.catalogue.for_city(city)]


def _run(rule_id: str, body: ToolRequest, svc: Services, check_only: bool) -> ToolResult:
    try:
        return svc.engine.run(rule_id, body.inputs, check_only=check_only)
    except ToolError as exc:
        status = 404 if str(exc).startswith("unknown rule") else 400
        raise ApiError(status, "bad_tool_input", f"输入有误：{exc}", f"Invalid input: {exc}") from exc


@router.post(
    "/calc/{rule_id}",
    response_model=ToolResult,
    responses=responses(400, 404),
    summary="Compute a benefit exactly from its rule",
)
def calc(rule_id: str, body: ToolRequest, svc: Services = Depends(services)) -> ToolResult:
    return _run(rule_id, body, svc, check_only=False)


@router.post(
    "/check/{rule_id}",
    response_model=ToolResult,
    responses=responses(400, 404),
    summary="Check each condition of a rule",
)
def check(rule_id: str, body: ToolRequest, svc: Services = Depends(services)) -> ToolResult:
    return _run(rule_id, body, svc, check_only=True)
