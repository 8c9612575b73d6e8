"""Request and error bodies of the HTTP API (responses reuse the CLI's JSON shapes)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class AskRequest(BaseModel):
    question: str = Field(min_length=1, description="问题 / the question, Simplified or Traditional Chinese")
    session_id: str | None = Field(None, max_length=64, description="conversation id from a previous answer")
    city: str | None = Field(None, max_length=20, description="only this city's documents, e.g. 厦门")


class SearchRequest(BaseModel):
    query: str = Field(min_length=1, description="question or keywords")
    k: int = Field(5, ge=1, le=50)
    city: str | None = Field(None, max_length=20)
    doc_id: str | None = Field(None, max_length=100)
    status: str | None = Field(None, pattern="^(in_force|draft|unknown)$")


class ToolRequest(BaseModel):
    inputs: dict[str, Any] = Field(
        default_factory=dict, description='inputs by name, e.g. {"中职": 3, "social_insurance_months": 2}'
    )


class ErrorBody(BaseModel):
    error: str = Field(description="machine-readable code")
    message: str = Field(description="中文说明")
    message_en: str = Field(description="English explanation")
    details: Any = None
