"""The tool layer as LangChain ``StructuredTool``s, for a chat model to call.

The model chooses a rule and passes inputs; the arithmetic and the condition
checks are done here, by ``RuleEngine`` — the same code the offline router
and the CLI use. The model never computes an amount itself.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.tools import StructuredTool
from pydantic import BaseModel, Field

from app.tools.engine import RuleEngine
from app.tools.result import ToolError, ToolResult


class ListRulesArgs(BaseModel):
    city: str | None = Field(None, description="只列出该城市的规则，例如 厦门、大连、南通；不填则列出全部")


class RunRuleArgs(BaseModel):
    rule_id: str = Field(description="规则编号，来自 list_rules，例如 xiamen.student-apprenticeship")
    inputs: dict[str, Any] = Field(
        default_factory=dict,
        description="输入：各类别人数（如 中职=3）、条件事实（如 social_insurance_months=2, formal_contract=是）、"
        "months、people、base 等；键名见 list_rules 返回的 inputs",
    )


def build_tools(engine: RuleEngine, results: list[ToolResult] | None = None) -> list[StructuredTool]:
    """``results`` (if given) collects every ToolResult the model obtained, for verification."""

    def list_rules(city: str | None = None) -> str:
        rules = engine.catalogue.for_city(city)
        return json.dumps(
            [
                {
                    "rule_id": r.id,
                    "title": r.title,
                    "city": r.city,
                    "kind": r.kind,
                    "inputs": engine.input_names(r),
                    "categories": [a.category for a in r.amounts] or list(r.lookup),
                }
                for r in rules
            ],
            ensure_ascii=False,
        )

    def run(rule_id: str, inputs: dict[str, Any] | None = None, *, check_only: bool) -> str:
        try:
            result = engine.run(rule_id, inputs or {}, check_only=check_only)
        except ToolError as exc:
            return json.dumps({"error": str(exc)}, ensure_ascii=False)
        if results is not None:
            results.append(result)
        return result.model_dump_json()

    def calculate(rule_id: str, inputs: dict[str, Any] | None = None) -> str:
        return run(rule_id, inputs, check_only=False)

    def check_eligibility(rule_id: str, inputs: dict[str, Any] | None = None) -> str:
        return run(rule_id, inputs, check_only=True)

    return [
        StructuredTool.from_function(
            list_rules,
            name="list_rules",
            description="列出政策规则（补贴、资格条件）及其所需输入。",
            args_schema=ListRulesArgs,
        ),
        StructuredTool.from_function(
            calculate,
            name="calculate",
            description="按规则精确计算补贴金额（先检查条件），返回算式、结果、领取方和依据条款。",
            args_schema=RunRuleArgs,
        ),
        StructuredTool.from_function(
            check_eligibility,
            name="check_eligibility",
            description="检查是否符合某项政策的条件：每个条件为满足/不满足/待确认，并给出需要补充的问题。",
            args_schema=RunRuleArgs,
        ),
    ]
