"""Leave-one-document-out: each bundled document answered from its extracted provisions alone.

For every document of the manifest, the answer-set items about it (``answers.yaml`` and
``accounting.yaml`` items whose expected clauses or documents are that document's) are
asked twice on the same index: with the curated catalogue, and with that document's
curated rules left out (``Settings.curated_rules_exclude``; the other documents keep
theirs). The figures per document — key facts, exact calculations, refusals, wrong
totals — show how far extraction alone carries a document nobody has written YAML for.
Writes ``loo.md`` and ``loo.json``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.services import Services, build_services
from app.settings import REPO_ROOT, Settings
from evaluation.answers import AnswerEvalResult, AnswerItem, ItemResult, load_items, score_item

GOLDEN = REPO_ROOT / "eval" / "golden"
SETS = ("answers.yaml", "accounting.yaml")
_METRICS = ("key_fact_accuracy", "calculation_exact_match", "refusal_accuracy", "wrong_totals", "false_refusals")


def item_documents(item: AnswerItem) -> set[str]:
    """The documents an item is about: its expected clauses' documents, expected documents, places' documents."""
    docs = {c.split("/", 1)[0] for c in item.expect.clauses} | set(item.expect.docs)
    for p in item.expect.places:
        docs |= set(p.docs) | {c.split("/", 1)[0] for c in p.clauses}
    return docs


def ask_items(services: Services, items: Iterable[AnswerItem]) -> list[ItemResult]:
    out = []
    assistant = services.assistant
    for item in items:
        session = services.sessions.new_id()
        for turn in item.turns:
            session = assistant.ask(turn, session_id=session).session_id
        out.append(score_item(item, assistant.ask(item.question, session_id=session), services))
    return out


def _figures(results: list[ItemResult]) -> dict[str, Any]:
    s = AnswerEvalResult(results).summary()
    return {"items": s["items"], **{k: s[k] for k in _METRICS}, "expected_totals": s["expected_totals"]}


def run_loo(
    settings: Settings,
    reports: Path,
    *,
    golden: Path = GOLDEN,
    build: Callable[[Settings], Services] = build_services,
) -> dict[str, Any]:
    """Curated and extraction-only figures per document; the index in ``settings.data_dir`` must be current."""
    items: list[AnswerItem] = []
    for name in SETS:
        items += [i.model_copy(update={"id": f"{name.split('.')[0]}:{i.id}"}) for i in load_items(golden / name)]
    services = build(settings)
    try:
        doc_ids = [d.id for d in services.manifest().documents]
        about = {d: [i for i in items if d in item_documents(i)] for d in doc_ids}
        chosen = {i.id: i for group in about.values() for i in group}
        curated = {r.item.id: r for r in ask_items(services, chosen.values())}
    finally:
        services.close()
    rows: dict[str, Any] = {}
    for doc_id in doc_ids:
        held_out = build(settings.model_copy(update={"curated_rules_exclude": [doc_id]}))
        try:
            alone = ask_items(held_out, about[doc_id])
        finally:
            held_out.close()
        rows[doc_id] = {
            "curated": _figures([curated[i.id] for i in about[doc_id]]),
            "extraction_only": _figures(alone),
            "problems": [_problem(r) for r in alone if _problem(r)],
        }
    result = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "sets": list(SETS),
        "documents": rows,
        "targets": {"key_fact_accuracy": 0.85, "calculation_exact_match": 0.80, "wrong_totals": 0},
    }
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "loo.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (reports / "loo.md").write_text("\n".join(markdown(result)) + "\n", encoding="utf-8")
    return result


def _problem(r: ItemResult) -> str:
    parts = []
    calc = r.answer.calculation or {}
    if r.wrong_total:
        parts.append(f"WRONG TOTAL {calc.get('result')} (expected {r.item.expect.result})")
    elif r.result_ok is False:
        parts.append(f"no exact total ({calc.get('result')} ≠ {r.item.expect.result})")
    if r.missing_facts:
        parts.append("missing " + "、".join(r.missing_facts))
    if not r.refused_ok:
        parts.append(f"refused={r.answer.refused}, expected {r.item.expect.refused}")
    return f"{r.item.id}: {'; '.join(parts)}" if parts else ""


def _cell(v: Any) -> str:
    return "—" if v is None else str(v)


def table(result: dict[str, Any]) -> list[str]:
    lines = [
        "| document | items | key facts curated / extraction | exact curated / extraction | refusals curated / "
        "extraction | wrong totals curated / extraction |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for doc_id, row in result["documents"].items():
        c, x = row["curated"], row["extraction_only"]
        lines.append(
            f"| {doc_id} | {c['items']} | {_cell(c['key_fact_accuracy'])} / {_cell(x['key_fact_accuracy'])} | "
            f"{_cell(c['calculation_exact_match'])} / {_cell(x['calculation_exact_match'])} "
            f"(of {c['expected_totals']}) | {_cell(c['refusal_accuracy'])} / {_cell(x['refusal_accuracy'])} | "
            f"{c['wrong_totals']} / {x['wrong_totals']} |"
        )
    return lines


def markdown(result: dict[str, Any]) -> list[str]:
    t = result["targets"]
    lines = [
        "# Leave-one-document-out",
        "",
        f"Generated {result['generated']} by `policy-assistant eval loo`. For each document, the items of "
        f"{' and '.join(result['sets'])} about it, answered with the curated rules and with that document's curated "
        "rules removed (extraction only; the other documents keep theirs). Targets with extraction only: key facts ≥ "
        f"{t['key_fact_accuracy']}, exact ≥ {t['calculation_exact_match']}, wrong totals = {t['wrong_totals']}.",
        "",
        *table(result),
        "",
        "## Items with a problem, extraction only",
        "",
    ]
    for doc_id, row in result["documents"].items():
        lines += [f"### {doc_id}", ""] + ([f"- {p}" for p in row["problems"]] or ["- none"]) + [""]
    return lines
