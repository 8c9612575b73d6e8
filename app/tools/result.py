"""One result shape for calculations and eligibility checks.

Everything a user needs to trust a figure travels with it: the rule, the
inputs, the formula as a human reads it (``3×3000 + 2×4000``), the result and
its unit, whether it is a cap / floor / after-tax figure, who is paid, the
verbatim clause, and the status of every condition.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field, field_serializer

ConditionStatus = Literal["met", "not_met", "unknown"]
Status = Literal["complete", "conditional", "needs_input", "not_eligible", "eligible", "not_stated"]


class Citation(BaseModel):
    clause_id: str
    doc_id: str
    doc_title: str = ""
    doc_number: str = ""
    status: str = ""
    quote: str


class CheckedCondition(BaseModel):
    id: str
    label: str
    type: str
    status: ConditionStatus
    value: Any = None
    quote: str
    clause_id: str
    question: str = Field("", description="asked when the status is unknown")
    remedy: str = Field("", description="what would make it met, when not met")
    alternative: str = Field("", description="another route the text gives, when not met")


class ToolResult(BaseModel):
    rule_id: str
    title: str
    kind: str
    inputs: dict[str, Any]
    formula: str | None = None
    result: Decimal | None = None
    result_text: str = Field("", description="the result in words, with its qualifier")
    unit: str = ""
    qualifier: str = "exact"
    payee: str = "none"
    payee_zh: str = ""
    period_months: int | None = None
    outcome: str = ""
    status: Status = "complete"
    citations: list[Citation] = Field(default_factory=list)
    conditions: list[CheckedCondition] = Field(default_factory=list)
    questions: list[str] = Field(default_factory=list, description="what to ask to finish the check")
    warnings: list[str] = Field(default_factory=list)
    details: dict[str, Any] = Field(default_factory=dict)
    reviewed: bool = Field(True, description="the rule was curated and proven; false: extracted from the text")
    reading: str = Field("", description="what the calculation used and left out, in words (按您说的：…)")
    accounting: dict[str, Any] | None = Field(
        None, description="where every number of the question went: inputs, excluded, not listed, not understood"
    )

    @field_serializer("result")
    def _plain_number(self, value: Decimal | None) -> int | float | None:
        """JSON numbers: 17000, not "17000" — integers stay integers, cents stay exact."""
        if value is None:
            return None
        return int(value) if value == value.to_integral_value() else float(value)


class ToolError(ValueError):
    """Bad input for a rule: unknown rule, unknown category, missing or invalid value."""
