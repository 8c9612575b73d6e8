"""Answer evaluation on ``eval/golden/answers.yaml``.

For every item (multi-turn items replay their earlier turns in one session):

* key-fact accuracy — every expected fact appears in the answer (compared in
  Simplified script, spaces ignored);
* citation precision — citations whose quote is verbatim in the cited clause
  *and* whose clause is one of the expected clauses;
* refusal accuracy — ``refused`` as expected, over unanswerable, off-topic and
  injection items;
* false-premise correction — the correct figure is stated;
* calculation exact match — ``calculation.result`` equals the expected number;
* draft-warning rate — a draft is flagged whenever the answer relies on one;
* Traditional-script rate — Traditional questions answered in Traditional.
"""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from app.answer.schema import Answer
from app.services import Services
from evaluation import load_golden_set
from ingest.textproc import is_traditional, to_simplified


class Expect(BaseModel):
    clauses: list[str] = Field(default_factory=list)
    key_facts: list[str] = Field(default_factory=list)
    refused: bool = False
    draft_warning: bool = False
    result: Decimal | None = None
    correction: str | None = None
    department: str | None = None


class AnswerItem(BaseModel):
    id: str
    question: str
    persona: str
    type: str
    city: str | None = None
    turns: list[str] = Field(default_factory=list)
    expect: Expect


def load_items(path: Path) -> list[AnswerItem]:
    return load_golden_set(path, AnswerItem)


def _norm(text: str) -> str:
    return to_simplified(text).replace(" ", "").replace(",", "")


@dataclass
class ItemResult:
    item: AnswerItem
    answer: Answer
    facts_ok: bool
    missing_facts: list[str]
    citations_ok: int
    citations_total: int
    main_citation_ok: bool | None
    refused_ok: bool
    correction_ok: bool | None
    result_ok: bool | None
    draft_ok: bool | None
    traditional_ok: bool | None


def score_item(item: AnswerItem, ans: Answer, services: Services) -> ItemResult:
    text = _norm(ans.answer)
    missing = [f for f in item.expect.key_facts if _norm(f) not in text]
    ok_cites = 0
    for c in ans.citations:
        clause = services.retriever.clause(c.clause_id)
        verbatim = clause is not None and c.quote in clause.text
        expected = not item.expect.clauses or c.clause_id in item.expect.clauses
        ok_cites += verbatim and expected
    main = None
    if item.expect.clauses:
        main = bool(ans.citations) and ans.citations[0].clause_id in item.expect.clauses
    result_ok = None
    if item.expect.result is not None:
        got = (ans.calculation or {}).get("result")
        result_ok = got is not None and Decimal(str(got)) == item.expect.result
    correction_ok = None
    if item.expect.correction:
        correction_ok = _norm(item.expect.correction) in text
    draft_ok = None
    relies_on_draft = any(c.status == "draft" for c in ans.citations)
    if item.expect.draft_warning or relies_on_draft:
        draft_ok = "征求意见稿" in text and any("征求意见稿" in to_simplified(w) for w in ans.warnings)
    trad = is_traditional(item.question) if item.question else False
    return ItemResult(
        item=item,
        answer=ans,
        facts_ok=not missing,
        missing_facts=missing,
        citations_ok=ok_cites,
        citations_total=len(ans.citations),
        main_citation_ok=main,
        refused_ok=ans.refused == item.expect.refused,
        correction_ok=correction_ok,
        result_ok=result_ok,
        draft_ok=draft_ok,
        traditional_ok=is_traditional(ans.answer) if trad else None,
    )


@dataclass
class AnswerEvalResult:
    items: list[ItemResult] = field(default_factory=list)
    report_path: Path | None = None

    @staticmethod
    def _rate(values: list[bool | None]) -> float | None:
        vals = [v for v in values if v is not None]
        return round(sum(vals) / len(vals), 4) if vals else None

    def summary(self) -> dict[str, Any]:
        refusal_types = {"unanswerable", "off_topic", "injection"}
        cites_total = sum(r.citations_total for r in self.items)
        return {
            "items": len(self.items),
            "key_fact_accuracy": self._rate([r.facts_ok for r in self.items]),
            "citation_precision": round(sum(r.citations_ok for r in self.items) / cites_total, 4)
            if cites_total
            else None,
            "main_citation_accuracy": self._rate([r.main_citation_ok for r in self.items]),
            "refusal_accuracy": self._rate([r.refused_ok for r in self.items if r.item.type in refusal_types]),
            "false_refusals": sum(1 for r in self.items if r.answer.refused and not r.item.expect.refused),
            "false_premise_correction": self._rate(
                [r.correction_ok for r in self.items if r.item.type == "false_premise"]
            ),
            "calculation_exact_match": self._rate([r.result_ok for r in self.items]),
            "draft_warning_rate": self._rate([r.draft_ok for r in self.items]),
            "traditional_script_rate": self._rate([r.traditional_ok for r in self.items]),
        }

    def by(self, attr: str) -> dict[str, dict[str, Any]]:
        groups: dict[str, list[ItemResult]] = {}
        for r in self.items:
            groups.setdefault(str(getattr(r.item, attr) or "—"), []).append(r)
        return {
            k: {
                "n": len(v),
                "key_facts": self._rate([r.facts_ok for r in v]),
                "refused_ok": self._rate([r.refused_ok for r in v]),
            }
            for k, v in sorted(groups.items())
        }

    def markdown(self) -> str:
        s = self.summary()
        lines = ["| metric | value |", "|---|---:|"]
        lines += [f"| {k} | {v if v is not None else '—'} |" for k, v in s.items()]
        return "\n".join(lines)


def run_answer_eval(services: Services, golden: Path, reports: Path | None) -> AnswerEvalResult:
    items = load_items(golden)
    result = AnswerEvalResult()
    assistant = services.assistant
    for item in items:
        session = services.sessions.new_id()
        for turn in item.turns:
            assistant.ask(turn, session_id=session)
        ans = assistant.ask(item.question, session_id=session)
        result.items.append(score_item(item, ans, services))
    if reports is not None:
        result.report_path = write_report(result, reports, golden, services)
    return result


def write_report(result: AnswerEvalResult, reports: Path, golden: Path, services: Services) -> Path:
    reports.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Answer evaluation",
        "",
        f"- golden set: `{golden}` ({len(result.items)} items); backend: `{services.settings.llm.backend}`",
        f"- machine: {platform.machine()}, {platform.system()} {platform.release()}, Python {platform.python_version()}",
        f"- generated: {datetime.now(UTC).isoformat(timespec='seconds')} by `policy-assistant eval answers`",
        "",
        "## Overall",
        "",
        result.markdown(),
        "",
        "## By type",
        "",
        "| type | n | key facts | refusal as expected |",
        "|---|---:|---:|---:|",
    ]
    for k, v in result.by("type").items():
        lines.append(f"| {k} | {v['n']} | {v['key_facts']} | {v['refused_ok']} |")
    lines += ["", "## By persona", "", "| persona | n | key facts | refusal as expected |", "|---|---:|---:|---:|"]
    for k, v in result.by("persona").items():
        lines.append(f"| {k} | {v['n']} | {v['key_facts']} | {v['refused_ok']} |")
    failures = [
        r
        for r in result.items
        if not r.facts_ok or not r.refused_ok or r.result_ok is False or r.correction_ok is False or r.draft_ok is False
    ]
    lines += ["", f"## Items with a problem ({len(failures)})", ""]
    for r in failures:
        problems = []
        if r.missing_facts:
            problems.append("missing " + "、".join(r.missing_facts))
        if not r.refused_ok:
            problems.append(f"refused={r.answer.refused}, expected {r.item.expect.refused}")
        if r.result_ok is False:
            problems.append(f"result {(r.answer.calculation or {}).get('result')} ≠ {r.item.expect.result}")
        if r.correction_ok is False:
            problems.append(f"correction {r.item.expect.correction} not stated")
        if r.draft_ok is False:
            problems.append("draft not flagged")
        lines.append(f"- **{r.item.id}** ({r.item.type}) {r.item.question} — {'; '.join(problems)}")
    path = reports / "answers.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (reports / "answers.json").write_text(
        json.dumps(result.summary(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return path
