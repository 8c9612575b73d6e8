"""Request and error bodies of the HTTP API (responses reuse the CLI's JSON shapes)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AllowInfNan, BaseModel, Field, StrictBool, StrictFloat, StrictInt

from app.limits import MAX_INPUT_NAME_CHARS, MAX_INPUT_VALUE_CHARS, MAX_TOOL_INPUTS

InputName = Annotated[str, Field(min_length=1, max_length=MAX_INPUT_NAME_CHARS)]
# One value as a user gives it: a number, yes/no, or a short text (3, "3个", "是", "1.5万"). Strict, so
# that a long text is refused as a text, never read as a float (a 4,301-digit string would become inf).
InputValue = (
    Annotated[str, Field(max_length=MAX_INPUT_VALUE_CHARS)]
    | StrictInt
    | Annotated[StrictFloat, AllowInfNan(False)]
    | StrictBool
    | None
)


class AskRequest(BaseModel):
    question: str = Field(min_length=1, description="问题 / the question, Simplified or Traditional Chinese")
    session_id: str | None = Field(
        None,
        max_length=64,
        description="conversation id from a previous answer; an id the server did not issue starts a new conversation",
    )
    city: str | None = Field(None, max_length=20, description="only this city's documents, e.g. 厦门")


class SearchRequest(BaseModel):
    query: str = Field(min_length=1, description="question or keywords")
    k: int = Field(5, ge=1, le=50)
    city: str | None = Field(None, max_length=20)
    doc_id: str | None = Field(None, max_length=100)
    status: str | None = Field(None, pattern="^(in_force|draft|unknown)$")


class ToolRequest(BaseModel):
    inputs: dict[InputName, InputValue] = Field(
        default_factory=dict,
        max_length=MAX_TOOL_INPUTS,
        description='inputs by name, e.g. {"中职": 3, "social_insurance_months": 2}; numbers below 10^15, '
        "head counts whole and at most 100000",
    )


class ErrorBody(BaseModel):
    error: str = Field(description="machine-readable code")
    message: str = Field(description="中文说明")
    message_en: str = Field(description="English explanation")
    details: Any = None


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    documents: int = 0
    generation: int = Field(0, description="the index generation being served (0: none yet)")
    reason: str = ""


class Job(BaseModel):
    """An admin job (an upload being parsed and indexed): poll GET /api/admin/jobs/{id}."""

    id: str
    kind: str
    state: Literal["queued", "running", "done", "failed"]
    created_at: str
    updated_at: str
    result: dict[str, Any] | None = Field(None, description="when done: the document id and the ingest report")
    error: ErrorBody | None = Field(None, description="when failed: why")
