"""Exact calculators: pure functions on ``Decimal`` with explicit rounding.

Money is rounded to the fen (0.01 元) half-up, only at the end; head counts
needed to reach a target are rounded up (a target of 40%以上 needs whole
people). Nothing here knows about questions, clauses or users.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

CENT = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    """Round to the fen; drop trailing zeros for whole amounts (17000, not 17000.00)."""
    rounded = value.quantize(CENT, rounding=ROUND_HALF_UP)
    return rounded.quantize(Decimal(1)) if rounded == rounded.to_integral_value() else rounded


def fmt(value: Decimal | int) -> str:
    """A number as people write it: 17000, 1.5, 2.1."""
    d = Decimal(value)
    return format(d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize(), "f")


def sum_of_products(terms: list[tuple[int, Decimal]]) -> tuple[Decimal, str]:
    """Σ count × amount, with the formula as written: ``3×3000 + 2×4000``."""
    if not terms:
        raise ValueError("nothing to add up: give at least one count")
    for count, _ in terms:
        if count < 0:
            raise ValueError("counts cannot be negative")
    total = sum((Decimal(c) * a for c, a in terms), Decimal(0))
    formula = " + ".join(f"{c}×{fmt(a)}" for c, a in terms)
    return money(total), formula


def monthly(amount: Decimal, months: int, people: int = 1) -> tuple[Decimal, str]:
    """A monthly amount over ``months`` for ``people``."""
    if months < 0 or people < 0:
        raise ValueError("months and people cannot be negative")
    formula = f"{fmt(amount)}×{months}" + (f"×{people}" if people != 1 else "")
    return money(amount * months * people), formula


def remaining_months(period: int, elapsed: int) -> int:
    """Months of a guarantee period still to come after ``elapsed`` months."""
    if elapsed < 0:
        raise ValueError("elapsed months cannot be negative")
    return max(period - elapsed, 0)


def percentage_of(base: Decimal, rate_percent: Decimal) -> tuple[Decimal, str]:
    """``rate_percent`` % of ``base``: 30% of an investment, 60% of 职工教育经费."""
    if base < 0:
        raise ValueError("the base cannot be negative")
    return money(base * rate_percent / 100), f"{fmt(base)}×{fmt(rate_percent)}%"


def uplift(base: Decimal, rate_percent: Decimal) -> tuple[Decimal, str]:
    """A standard raised by ``rate_percent`` %: base × (1 + rate)."""
    if base < 0:
        raise ValueError("the base cannot be negative")
    return money(base * (100 + rate_percent) / 100), f"{fmt(base)}×(1+{fmt(rate_percent)}%)"


def people_needed(base: int, rate: Fraction) -> tuple[int, str]:
    """Smallest whole number of people that reaches ``rate`` of ``base``."""
    if base < 0:
        raise ValueError("the base cannot be negative")
    needed = math.ceil(Fraction(base) * rate)
    shown = (
        f"{rate.numerator}/{rate.denominator}"
        if rate.denominator not in (1, 2, 4, 5, 10, 20, 25, 50, 100)
        else (f"{fmt(Decimal(rate.numerator) / Decimal(rate.denominator) * 100)}%")
    )
    return needed, f"⌈{base}×{shown}⌉"
