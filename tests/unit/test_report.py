"""The report's formula check: it evaluates only what the calculators write."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evaluation.report import formula_value


@pytest.mark.parametrize(
    ("formula", "value"),
    [
        ("3×3000 + 2×4000", Decimal(17000)),
        ("2×2000 + 3×1000 + 1×500", Decimal(7500)),
        ("2000000×30%", Decimal(600000)),
        ("⌈3001×1/3⌉", Decimal(1001)),  # thirds are written as fractions
        ("⌈3000000×40%⌉", Decimal(1200000)),
        ("2000×(1+30%)", Decimal(2600)),
        ("4000×12×2", Decimal(96000)),
        ("", None),
        ("__import__('os')", None),
        ("1e9", None),
    ],
)
def test_formula_value(formula: str, value: Decimal | None) -> None:
    assert formula_value(formula) == value
