"""The cities fixture: documents of places outside the bundled corpus, alone and mixed with it.

``eval/golden/cities.yaml`` is asked over the seven invented documents of
``eval/fixtures/cities`` alone, and over those documents together with the bundled
corpus (a combined manifest written to a work folder, its sources absolute, since
the paths of a manifest are relative to it). Each run has its own data folder.
Alone, the bundled documents' curated rules are left out (their documents are not
indexed); mixed, they stay. Reports key facts, exact calculations, wrong totals,
refusals and wrong-city answers; writes ``cities.md`` and ``cities.json``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from app.services import Services, build_services
from app.settings import REPO_ROOT, Settings
from evaluation.answers import AnswerEvalResult, AnswerItem, load_items
from evaluation.loo import ask_items
from ingest.manifest import Manifest

FIXTURE_MANIFEST = REPO_ROOT / "eval" / "fixtures" / "cities" / "manifest.yaml"
GOLDEN = REPO_ROOT / "eval" / "golden" / "cities.yaml"
_METRICS = (
    "items",
    "key_fact_accuracy",
    "calculation_exact_match",
    "exact_totals",
    "expected_totals",
    "wrong_totals",
    "refusal_accuracy",
    "false_refusals",
    "wrong_city_answers",
    "named_places_answered",
    "draft_warning_rate",
)


def combined_manifest(manifests: list[Path], out: Path) -> Path:
    """One manifest holding the documents of several, each source made absolute."""
    documents: list[dict[str, Any]] = []
    for path in manifests:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for doc in raw.get("documents", []):
            documents.append({**doc, "source": str((path.parent / doc["source"]).resolve())})
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump({"documents": documents}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


def subset(items: list[AnswerItem], n: int | None, seed: int = 10) -> list[AnswerItem]:
    """A seeded sample of n items in their original order (all of them when n is None or larger)."""
    if n is None or n >= len(items):
        return items
    keep = set(random.Random(seed).sample(range(len(items)), n))
    return [it for i, it in enumerate(items) if i in keep]


def run_one(
    settings: Settings,
    manifest: Path,
    data_dir: Path,
    items: list[AnswerItem],
    *,
    exclude: list[str],
    build: Callable[[Settings], Services] = build_services,
) -> AnswerEvalResult:
    """Ingest ``manifest`` into ``data_dir`` (only what changed) and ask the items there."""
    run_settings = settings.model_copy(
        update={"manifest": manifest, "data_dir": data_dir, "curated_rules_exclude": exclude}
    )
    services = build(run_settings)
    try:
        report = services.ingestor.run(services.manifest())
        if report.errors:
            raise RuntimeError(f"ingest of {manifest} failed: {report.errors}")
        return AnswerEvalResult(ask_items(services, items))
    finally:
        services.close()


def run_cities(
    settings: Settings,
    reports: Path,
    work: Path,
    *,
    golden: Path = GOLDEN,
    limit: int | None = None,
    modes: tuple[str, ...] = ("alone", "mixed"),
    build: Callable[[Settings], Services] = build_services,
) -> dict[str, Any]:
    """The cities set alone and mixed; ``work`` holds the combined manifest and one data folder per run."""
    items = subset(load_items(golden), limit)
    bundled = [d.id for d in Manifest.load(settings.manifest).documents]
    results: dict[str, AnswerEvalResult] = {}
    for mode in modes:
        if mode == "alone":
            results[mode] = run_one(settings, FIXTURE_MANIFEST, work / "alone", items, exclude=bundled, build=build)
        else:
            manifest = combined_manifest([settings.manifest, FIXTURE_MANIFEST], work / "mixed-manifest.yaml")
            results[mode] = run_one(settings, manifest, work / "mixed", items, exclude=[], build=build)
    summary = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "golden": str(golden.relative_to(REPO_ROOT)) if golden.is_relative_to(REPO_ROOT) else str(golden),
        "items": len(items),
        "runs": {m: {k: r.summary()[k] for k in _METRICS} for m, r in results.items()},
        "problems": {m: _problems(r) for m, r in results.items()},
    }
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "cities.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (reports / "cities.md").write_text("\n".join(markdown(summary)) + "\n", encoding="utf-8")
    return summary


def _problems(result: AnswerEvalResult) -> list[str]:
    out = []
    for r in result.items:
        parts = []
        if r.wrong_city:
            parts.append(
                "cites a document of another place: " + ", ".join(sorted({c.doc_id for c in r.answer.citations}))
            )
        if r.wrong_total:
            parts.append(f"WRONG TOTAL {(r.answer.calculation or {}).get('result')} (expected {r.item.expect.result})")
        elif r.result_ok is False:
            parts.append(f"no exact total (expected {r.item.expect.result})")
        if r.missing_facts:
            parts.append("missing " + "、".join(r.missing_facts))
        if not r.refused_ok:
            parts.append(f"refused={r.answer.refused}, expected {r.item.expect.refused}")
        if parts:
            out.append(f"{r.item.id} ({r.item.type}): {'; '.join(parts)}")
    return out


def table(summary: dict[str, Any]) -> list[str]:
    runs = summary["runs"]
    lines = ["| metric | " + " | ".join(runs) + " |", "|---|" + "---:|" * len(runs)]
    for k in _METRICS:
        lines.append(f"| {k} | " + " | ".join("—" if runs[m][k] is None else str(runs[m][k]) for m in runs) + " |")
    return lines


def markdown(summary: dict[str, Any]) -> list[str]:
    lines = [
        "# Cities fixture",
        "",
        f"Generated {summary['generated']} by `policy-assistant eval cities`: `{summary['golden']}` "
        f"({summary['items']} items) over the invented documents of `eval/fixtures/cities` alone and mixed with the "
        "bundled corpus (its curated rules included).",
        "",
        *table(summary),
    ]
    for mode, problems in summary["problems"].items():
        lines += ["", f"## Items with a problem, {mode} ({len(problems)})", ""] + [f"- {p}" for p in problems]
    return lines
