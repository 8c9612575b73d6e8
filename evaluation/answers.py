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
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.answer.schema import Answer
from app.scope import applies
from app.services import Services
from evaluation import load_golden_set
from evaluation.machine import summary as machine_summary
from ingest.textproc import is_traditional, to_simplified


class PlaceExpect(BaseModel):
    model_config = ConfigDict(extra="ignore")

    place: str
    covered: bool = True
    docs: list[str] = Field(default_factory=list)
    clauses: list[str] = Field(default_factory=list)
    key_facts: list[str] = Field(default_factory=list)
    draft: bool = False


class PartExpect(BaseModel):
    model_config = ConfigDict(extra="ignore")

    ask: str = ""
    key_facts: list[str] = Field(default_factory=list)
    covered: bool = True
    department: str | None = None
    result: Decimal | None = None
    no_total: bool = False


class Expect(BaseModel):
    model_config = ConfigDict(extra="ignore")

    clauses: list[str] = Field(default_factory=list)
    docs: list[str] = Field(default_factory=list, description="the main citation is from one of these documents")
    clause_text: str = Field("", description="a verbatim snippet the main cited clause must contain")
    key_facts: list[str] = Field(default_factory=list)
    refused: bool = False
    draft_warning: bool = False
    result: Decimal | None = None
    no_total: bool = Field(False, description="a correct answer states no total")
    correction: str | None = None
    premise: str | None = Field(None, description="the user's wrong figure, which the answer must deny")
    department: str | None = None
    places: list[PlaceExpect] = Field(default_factory=list)
    parts: list[PartExpect] = Field(default_factory=list)
    ranking: str | None = Field(None, description="the higher place, or not_comparable")


class AnswerItem(BaseModel):
    model_config = ConfigDict(extra="ignore")

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
    return to_simplified(text).replace(" ", "").replace(",", "").replace("，", "")


_DEPT_FORMS = [("人力资源社会保障局", "人社局"), ("人力资源和社会保障局", "人社局"), ("人力资源社会保障", "人社")]


def _dept_norm(text: str) -> str:
    out = _norm(text)
    for long_, short in _DEPT_FORMS:
        out = out.replace(long_, short)
    return out


_DENIAL = re.compile(r"不是|不对|有误|更正|并非|而是|不正确|不准确")


def stated_total(ans: Answer) -> Decimal | None:
    """The total an answer states: the calculator's result, when it gave one."""
    calc = ans.calculation or {}
    got = calc.get("result")
    return Decimal(str(got)) if got is not None else None


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
    wrong_total: bool
    no_total_ok: bool | None
    department_ok: bool | None
    draft_ok: bool | None
    traditional_ok: bool | None
    places_ok: list[bool] = field(default_factory=list)
    wrong_city: bool = False
    parts_ok: list[bool] = field(default_factory=list)
    ranking_ok: bool | None = None


def score_item(item: AnswerItem, ans: Answer, services: Services) -> ItemResult:
    text = _norm(ans.answer)
    missing = [f for f in item.expect.key_facts if _norm(f) not in text]
    ok_cites = 0
    for c in ans.citations:
        clause = services.retriever.clause(c.clause_id)
        verbatim = clause is not None and c.quote in clause.text
        expected = (not item.expect.clauses or c.clause_id in item.expect.clauses) and (
            not item.expect.docs or c.doc_id in item.expect.docs
        )
        ok_cites += verbatim and expected
    main = None
    if item.expect.clauses or item.expect.docs or item.expect.clause_text:
        first = ans.citations[0] if ans.citations else None
        main = first is not None
        if first is not None and item.expect.clauses:
            main = first.clause_id in item.expect.clauses
        if first is not None and item.expect.docs:
            main = bool(main) and first.doc_id in item.expect.docs
        if first is not None and item.expect.clause_text:
            clause = services.retriever.clause(first.clause_id)
            main = bool(main) and clause is not None and item.expect.clause_text in clause.text
    stated = stated_total(ans)
    result_ok = None
    if item.expect.result is not None:
        result_ok = stated is not None and stated == item.expect.result
    wrong = stated is not None and (
        (item.expect.result is not None and stated != item.expect.result) or item.expect.no_total
    )
    correction_ok = None
    if item.expect.correction:
        right = _norm(item.expect.correction) in text
        if item.expect.premise:
            premise = _norm(item.expect.premise)
            denied = any(
                _DENIAL.search(text[max(0, m.start() - 10) : m.start()]) for m in re.finditer(re.escape(premise), text)
            )
            denied = denied or bool(re.search(r"需要更正|不是" + re.escape(premise), text))
        else:
            denied = bool(_DENIAL.search(text))
        correction_ok = right and denied
    department_ok = None
    if item.expect.department:
        department_ok = _dept_norm(item.expect.department) in _dept_norm(ans.answer)
    draft_ok = None
    relies_on_draft = any(c.status == "draft" for c in ans.citations)
    if item.expect.draft_warning or relies_on_draft:
        draft_ok = "征求意见稿" in text and any("征求意见稿" in to_simplified(w) for w in ans.warnings)
    trad = is_traditional(item.question) if item.question else False
    places_ok = [_place_ok(p, ans, text) for p in item.expect.places]
    wrong_city = False
    if item.city and not item.expect.places:
        allowed = {d.id for d in services.retriever.documents() if applies(d, item.city)}
        wrong_city = any(c.doc_id not in allowed for c in ans.citations) if allowed else bool(ans.citations)
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
        wrong_total=wrong,
        no_total_ok=(stated is None) if item.expect.no_total else None,
        department_ok=department_ok,
        draft_ok=draft_ok,
        traditional_ok=is_traditional(ans.answer) if trad else None,
        places_ok=places_ok,
        wrong_city=wrong_city,
        parts_ok=[_part_ok(p, text) for p in item.expect.parts],
        ranking_ok=_ranking_ok(item.expect.ranking, text) if item.expect.ranking else None,
    )


_NOT_STATED = re.compile(r"未提及|没有写|未写明|未载明|没写|不涉及|没有规定|未规定")


def _part_ok(p: PartExpect, text: str) -> bool:
    """A sub-question is answered: its facts (and its exact amount) are in the answer; a part the text does
    not cover is said to be not stated, naming the department when one is expected."""
    if not all(_norm(f) in text for f in p.key_facts):
        return False
    if p.result is not None and not p.no_total:
        value = p.result
        forms = {f"{value.normalize():f}元"}
        if value % 10000 == 0:
            forms.add(f"{(value / 10000).normalize():f}万元")
        if not any(f in text for f in forms):
            return False
    if not p.covered:
        said = bool(_NOT_STATED.search(text))
        return said and (p.department is None or _dept_norm(p.department) in _dept_norm(text))
    return True


def _ranking_ok(expected: str, text: str) -> bool:
    """not_comparable: the answer says the figures cannot be ranked; a place: the answer ranks it higher and
    does not call the figures incomparable."""
    refuses = bool(re.search(r"不能直接比较|无法直接比较|不可直接比较|不能简单比较", text))
    if expected == "not_comparable":
        return refuses
    return not refuses and bool(
        re.search(re.escape(expected) + r"[^。；]{0,12}(?:更高|更多|高于|多于|最高|最多)", text)
    )


def _place_ok(p: PlaceExpect, ans: Answer, text: str) -> bool:
    """A place the user named is answered: its facts are there, or it is said to be not covered."""
    rows = [r for r in (ans.comparison or []) if r.get("place") == p.place]
    row_text = _norm(" ".join(str(v) for r in rows for v in r.values())) if rows else ""
    where = row_text or text
    if p.covered:
        return all(_norm(f) in where or _norm(f) in text for f in p.key_facts) and (bool(rows) or p.place in text)
    return bool(
        re.search(re.escape(p.place) + r".{0,30}(?:未提及|没有|未写明|未载明|没写|不涉及)", where + text)
    ) or any(r.get("status") == "not_covered" for r in rows)


@dataclass
class AnswerEvalResult:
    items: list[ItemResult] = field(default_factory=list)
    report_path: Path | None = None

    @staticmethod
    def _rate(values: list[bool | None]) -> float | None:
        vals = [v for v in values if v is not None]
        return round(sum(vals) / len(vals), 4) if vals else None

    def summary(self) -> dict[str, Any]:
        refusal_types = {"unanswerable", "off_topic", "injection", "not_stated", "absent_level", "no_document"}
        cites_total = sum(r.citations_total for r in self.items)
        places = [ok for r in self.items for ok in r.places_ok]
        parts = [ok for r in self.items for ok in r.parts_ok]
        return {
            "items": len(self.items),
            "key_fact_accuracy": self._rate([r.facts_ok for r in self.items]),
            "citation_precision": round(sum(r.citations_ok for r in self.items) / cites_total, 4)
            if cites_total
            else None,
            "main_citation_accuracy": self._rate([r.main_citation_ok for r in self.items]),
            "refusal_accuracy": self._rate(
                [r.refused_ok for r in self.items if r.item.type in refusal_types or r.item.expect.refused]
            ),
            "false_refusals": sum(1 for r in self.items if r.answer.refused and not r.item.expect.refused),
            "false_premise_correction": self._rate([r.correction_ok for r in self.items]),
            "department_named": self._rate([r.department_ok for r in self.items]),
            "calculation_exact_match": self._rate([r.result_ok for r in self.items]),
            "exact_totals": sum(1 for r in self.items if r.result_ok),
            "expected_totals": sum(1 for r in self.items if r.item.expect.result is not None),
            "wrong_totals": sum(1 for r in self.items if r.wrong_total),
            "no_total_respected": self._rate([r.no_total_ok for r in self.items]),
            "named_places_answered": round(sum(places) / len(places), 4) if places else None,
            "parts_answered": round(sum(parts) / len(parts), 4) if parts else None,
            "ranking_correct": self._rate([r.ranking_ok for r in self.items]),
            "wrong_city_answers": sum(1 for r in self.items if r.wrong_city),
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
                "exact": self._rate([r.result_ok for r in v]),
                "wrong_totals": sum(1 for r in v if r.wrong_total),
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
            session = assistant.ask(turn, session_id=session).session_id
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
        f"- machine: {machine_summary()}",
        f"- generated: {datetime.now(UTC).isoformat(timespec='seconds')} by `policy-assistant eval answers`",
        "",
        "## Overall",
        "",
        result.markdown(),
        "",
        "## By type",
        "",
        "| type | n | key facts | refusal as expected | exact totals | wrong totals |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for k, v in result.by("type").items():
        lines.append(f"| {k} | {v['n']} | {v['key_facts']} | {v['refused_ok']} | {v['exact']} | {v['wrong_totals']} |")
    lines += [
        "",
        "## By persona",
        "",
        "| persona | n | key facts | refusal as expected | exact totals | wrong totals |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for k, v in result.by("persona").items():
        lines.append(f"| {k} | {v['n']} | {v['key_facts']} | {v['refused_ok']} | {v['exact']} | {v['wrong_totals']} |")
    failures = [
        r
        for r in result.items
        if not r.facts_ok
        or not r.refused_ok
        or r.result_ok is False
        or r.wrong_total
        or r.correction_ok is False
        or r.draft_ok is False
        or r.department_ok is False
        or not all(r.places_ok)
        or not all(r.parts_ok)
        or r.ranking_ok is False
        or r.wrong_city
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
        if r.wrong_total:
            problems.append(
                f"WRONG TOTAL {(r.answer.calculation or {}).get('result')} (expected {r.item.expect.result})"
            )
        if r.correction_ok is False:
            problems.append(f"correction {r.item.expect.correction} (denying {r.item.expect.premise}) not stated")
        if r.department_ok is False:
            problems.append(f"department {r.item.expect.department} not named")
        if not all(r.places_ok):
            missed = [p.place for p, ok in zip(r.item.expect.places, r.places_ok, strict=True) if not ok]
            problems.append("places missed: " + "、".join(missed))
        if not all(r.parts_ok):
            missed_parts = [p.ask for p, ok in zip(r.item.expect.parts, r.parts_ok, strict=True) if not ok]
            problems.append("parts missed: " + "、".join(missed_parts))
        if r.ranking_ok is False:
            problems.append(f"ranking {r.item.expect.ranking} not given")
        if r.wrong_city:
            problems.append("cites a document of another place")
        if r.draft_ok is False:
            problems.append("draft not flagged")
        lines.append(f"- **{r.item.id}** ({r.item.type}) {r.item.question} — {'; '.join(problems)}")
    path = reports / "answers.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (reports / "answers.json").write_text(
        json.dumps(result.summary(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return path
