"""The evaluation report: every golden set in one run, tables and plots, one Markdown file.

``policy-assistant eval`` runs retrieval (hybrid, RRF, BM25, dense, naive
baseline), answers on the development set and on the holdout set, and writes
``eval/reports/report.md`` with PNG plots. Figures from the benchmarks
(``bench.json``), the scaling run (``scaling.json``) and the load test
(``load.json``) are included when those files exist.
"""

from __future__ import annotations

import ast
import json
import math
import re
import tempfile
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from app.services import Services
from app.settings import REPO_ROOT
from evaluation import cities as cities_eval
from evaluation import loo as loo_eval
from evaluation.answers import AnswerEvalResult, run_answer_eval
from evaluation.bench import write_report as write_bench_report
from evaluation.machine import describe as describe_machine
from evaluation.machine import summary as machine_summary
from evaluation.profiles import run_profiles_eval
from evaluation.retrieval import RetrievalEvalResult, run_retrieval_eval

plt.rcParams["font.sans-serif"] = ["Noto Sans CJK SC", "Noto Sans CJK JP", "DejaVu Sans"]
plt.rcParams["axes.unicode_minus"] = False


def formula_value(formula: str) -> Decimal | None:
    """Evaluate a calculator formula (3×3000 + 2×4000, 2000000×30%, ⌈3000000×40%⌉, 2000×(1+30%)).

    Only numbers, +, ×, %, parentheses and ⌈⌉ are accepted; anything else gives None.
    """
    if not formula or not re.fullmatch(r"[\d./×+%()⌈⌉\s]+", formula):
        return None
    expr = re.sub(r"(\d+(?:\.\d+)?)%", r"(\1/100)", formula)
    expr = expr.replace("×", "*").replace("⌈", "ceil(").replace("⌉", ")")
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        return None
    try:
        return _eval(tree.body)
    except (InvalidOperation, ValueError, ZeroDivisionError):
        return None


def _eval(node: ast.AST) -> Decimal:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return Decimal(str(node.value))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mult | ast.Div):
        left, right = _eval(node.left), _eval(node.right)
        return (
            left + right
            if isinstance(node.op, ast.Add)
            else left * right
            if isinstance(node.op, ast.Mult)
            else left / right
        )
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "ceil"
        and len(node.args) == 1
    ):
        return Decimal(math.ceil(_eval(node.args[0])))
    raise ValueError(f"not allowed in a formula: {ast.dump(node)}")


def calculation_figures(result: AnswerEvalResult) -> dict[str, Any]:
    """Exact match of results, and of formulas (the formula shown evaluates to the result shown)."""
    items = [r for r in result.items if r.item.expect.result is not None]
    shown = [r for r in items if r.answer.calculation and r.answer.calculation.get("formula")]
    formulas_ok = 0
    for r in shown:
        calc: dict[str, Any] = r.answer.calculation or {}
        if r.result_ok and formula_value(calc["formula"]) == Decimal(str(calc["result"])):
            formulas_ok += 1
    return {
        "items": len(items),
        "result_exact_match": round(sum(int(bool(r.result_ok)) for r in items) / max(len(items), 1), 4),
        "formula_exact_match": round(formulas_ok / max(len(items), 1), 4),
    }


def _bar(path: Path, title: str, groups: list[str], series: dict[str, list[float]]) -> None:
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / max(len(series), 1)
    for i, (name, values) in enumerate(series.items()):
        ax.bar([x + i * width for x in range(len(groups))], values, width, label=name)
    ax.set_xticks([x + width * (len(series) - 1) / 2 for x in range(len(groups))], groups)
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _answers_table(dev: AnswerEvalResult, holdout: AnswerEvalResult) -> list[str]:
    a, b = dev.summary(), holdout.summary()
    lines = ["| metric | development set | holdout set |", "|---|---:|---:|"]
    for key in a:
        if key == "items":
            continue
        lines.append(f"| {key} | {a[key] if a[key] is not None else '—'} | {b[key] if b[key] is not None else '—'} |")
    return lines


def _group_table(dev: AnswerEvalResult, attr: str) -> list[str]:
    lines = [f"| {attr} | n | key facts | refusal as expected |", "|---|---:|---:|---:|"]
    for k, v in dev.by(attr).items():
        lines.append(f"| {k} | {v['n']} | {v['key_facts']} | {v['refused_ok']} |")
    return lines


def _first_table(md: Path) -> list[str]:
    """The first Markdown table of a report file."""
    table: list[str] = []
    for line in md.read_text(encoding="utf-8").splitlines():
        if line.startswith("|"):
            table.append(line)
        elif table:
            break
    return table


def _load_json(path: Path) -> dict[str, Any] | list[Any] | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def run_all(services: Services, reports: Path) -> Path:
    reports.mkdir(parents=True, exist_ok=True)
    golden = REPO_ROOT / "eval" / "golden"
    retrieval: RetrievalEvalResult = run_retrieval_eval(services, golden / "retrieval.yaml", reports)
    dev = run_answer_eval(services, golden / "answers.yaml", reports)
    holdout = run_answer_eval(services, golden / "answers_holdout.yaml", reports / "holdout")
    profiles = run_profiles_eval(services, golden / "profiles.yaml", reports)
    loo = loo_eval.run_loo(services.settings, reports)
    with tempfile.TemporaryDirectory(prefix="pa-cities-") as work:
        cities = cities_eval.run_cities(services.settings, reports, Path(work))

    summary = retrieval.summary()
    systems = list(summary)
    _bar(
        reports / "retrieval.png",
        "Retrieval on the golden set",
        systems,
        {m: [summary[s][m] for s in systems] for m in ("recall@1", "recall@5", "mrr@10")},
    )
    types = list(dev.by("type"))
    _bar(
        reports / "answers_by_type.png",
        "Answers by question type (development set)",
        types,
        {
            "key facts": [dev.by("type")[t]["key_facts"] or 0 for t in types],
            "refusal as expected": [dev.by("type")[t]["refused_ok"] or 0 for t in types],
        },
    )
    m = describe_machine()
    calc_dev, calc_hold = calculation_figures(dev), calculation_figures(holdout)
    lines = [
        "# Evaluation report",
        "",
        f"Generated {datetime.now(UTC).isoformat(timespec='seconds')} by `policy-assistant eval` on "
        f"{machine_summary(m)}; embeddings "
        f"`{services.vectors.embedder_id}`, answer backend `{services.settings.llm.backend}`.",
        "",
        "## Retrieval",
        "",
        retrieval.markdown_table(),
        "",
        "![retrieval](retrieval.png)",
        "",
        "By persona:",
        "",
        retrieval.breakdown("persona"),
        "",
        "By city:",
        "",
        retrieval.breakdown("city"),
        "",
        "## Answers",
        "",
        *_answers_table(dev, holdout),
        "",
        "Calculations — exact match of the result, and of the formula (the formula shown evaluates to the expected result):",
        "",
        "| set | items | result exact | formula exact |",
        "|---|---:|---:|---:|",
        f"| development | {calc_dev['items']} | {calc_dev['result_exact_match']} | {calc_dev['formula_exact_match']} |",
        f"| holdout | {calc_hold['items']} | {calc_hold['result_exact_match']} | {calc_hold['formula_exact_match']} |",
        "",
        "![answers by type](answers_by_type.png)",
        "",
        "By type (development set):",
        "",
        *_group_table(dev, "type"),
        "",
        "By persona (development set):",
        "",
        *_group_table(dev, "persona"),
        "",
        "By city (development set):",
        "",
        *_group_table(dev, "city"),
        "",
        "Details: [retrieval.md](retrieval.md), [answers.md](answers.md), [holdout/answers.md](holdout/answers.md).",
        "",
        "## What can we get? ([profiles.md](profiles.md))",
        "",
        "| measure | from the question | from the structured profile |",
        "|---|---:|---:|",
        *[
            f"| {k} | {profiles['question'].get(k, '—')} | {profiles['structured'].get(k, '—')} |"
            for k in profiles["structured"]
        ],
        "",
        "Generated profiles: " + ", ".join(f"{k} {v}" for k, v in profiles["generated"].items()),
    ]
    lines += [
        "",
        "## Leave-one-document-out ([loo.md](loo.md))",
        "",
        "Each bundled document's items (answers + accounting sets) with its curated rules and with extraction only:",
        "",
        *loo_eval.table(loo),
        "",
        "## Documents of other places ([cities.md](cities.md))",
        "",
        "`eval/golden/cities.yaml` over the fixture corpus alone and mixed with the bundled corpus:",
        "",
        *cities_eval.table(cities),
    ]
    bench = _load_json(reports / "bench.json")
    if isinstance(bench, dict) and "conditions" in bench:
        write_bench_report(bench, reports)  # its targets table reads the load and scaling reports too
        lines += [
            "",
            "## Performance ([bench.md](bench.md), `policy-assistant bench`)",
            "",
            "p95 in ms, query cache off; baselines measured in the same run.",
            "",
            "| condition | hybrid search | BM25-only | naive LangChain | offline ask | hybrid ÷ BM25 | hybrid ÷ naive "
            "| start → ready s |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for name, c in bench["conditions"].items():
            lat, cold = c["latency"], c["cold_start"]
            lines.append(
                f"| {name} | {lat['search_hybrid']['p95']} | {lat['search_bm25']['p95']} | "
                f"{lat['naive_langchain']['p95']} | {lat['ask_offline']['p95']} | {lat['ratio_hybrid_to_bm25_p95']} | "
                f"{lat['ratio_hybrid_to_naive_p95']} | {cold['service_start_to_ready_s']} |"
            )
        ing = bench["ingest"]
        lines += [
            "",
            f"Ingest of the bundled corpus from empty: {ing['seconds']} s ({ing['windows_per_s']} windows/s).",
        ]
    for name, title in (
        ("scaling", "Scaling"),
        ("load", "Load test, sweep"),
        ("load-20x60", "Load test, 20 clients × 60 s"),
    ):
        md = reports / f"{name}.md"
        if md.is_file():
            lines += ["", f"## {title} ([{name}.md]({name}.md))", "", *_first_table(md), "", f"![{name}]({name}.png)"]
    path = reports / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
