"""CI gate: no golden set may show a wrong total (a stated total that differs from the expected one),
nor an answer citing a document of a place other than the one the item asks about.

The answer evaluation (``evaluation.answers``) runs with the real embedder over
the bundled corpus, one golden set per test, and fails on any wrong total,
naming the item, its question, the total stated and the one expected. The
other figures of the run are printed so a CI log shows them beside the gate.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.services import Services
from app.settings import REPO_ROOT
from evaluation.answers import run_answer_eval, stated_total

GOLDEN = REPO_ROOT / "eval" / "golden"


@pytest.mark.parametrize("name", ["accounting", "answers", "answers_holdout", "comparisons"])
def test_no_wrong_total(real_services: Services, name: str) -> None:
    golden: Path = GOLDEN / f"{name}.yaml"
    started = time.perf_counter()
    result = run_answer_eval(real_services, golden, reports=None)
    summary = result.summary()
    print(
        f"\n[{name}] items={summary['items']} wrong_totals={summary['wrong_totals']} "
        f"exact_totals={summary['exact_totals']}/{summary['expected_totals']} "
        f"calculation_exact_match={summary['calculation_exact_match']} "
        f"no_total_respected={summary['no_total_respected']} "
        f"key_fact_accuracy={summary['key_fact_accuracy']} ({time.perf_counter() - started:.0f} s)"
    )
    wrong = [
        f"{r.item.id}: {r.item.question!r} stated {stated_total(r.answer)} expected {r.item.expect.result}"
        for r in result.items
        if r.wrong_total
    ]
    elsewhere = [f"{r.item.id}: {r.item.question!r}" for r in result.items if r.wrong_city]
    assert result.items, f"{golden} has no items"
    assert not wrong, f"wrong totals in {name}.yaml:\n" + "\n".join(wrong)
    assert not elsewhere, f"answers citing another place's document in {name}.yaml:\n" + "\n".join(elsewhere)
