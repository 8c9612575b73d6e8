"""The answer as every edge (CLI ``--json``, HTTP API, UI) returns it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class AnswerCitation(BaseModel):
    n: int = Field(description="the [n] mark in the answer")
    clause_id: str
    doc_id: str
    doc_title: str
    doc_number: str = ""
    doc_date: str = ""
    city: str
    status: str = Field(description="in_force / draft / unknown")
    heading_path: list[str]
    quote: str = Field(description="verbatim text of the clause that the answer relies on")
    score: float | None = None


class Answer(BaseModel):
    answer: str
    citations: list[AnswerCitation] = Field(default_factory=list)
    calculation: dict[str, Any] | None = None
    eligibility: dict[str, Any] | None = None
    refused: bool = Field(False, description="the documents do not contain what was asked")
    warnings: list[str] = Field(default_factory=list)
    session_id: str
    standalone_question: str = Field("", description="the question as understood with the conversation so far")
    backend: str = "offline"
    follow_up_questions: list[str] = Field(default_factory=list)
    frame: dict[str, Any] | None = Field(
        None, description="how the question was read (places, groups, spans, facts, claims)"
    )
    entitlements: dict[str, Any] | None = Field(
        None,
        description="能享受哪些: every provision the asker meets or may meet (app.tools.entitlements.Entitlements)",
    )
    comparison: list[dict[str, Any]] | None = Field(
        None,
        description="one row per place for a comparison: place, doc_id, clause_id, quote, figures, qualifier, payee, status",
    )
