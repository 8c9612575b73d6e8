"""Unit tests for app.tools.calculators: exact Decimal arithmetic, rounding and formulas.

Table-driven cases pin the documented behaviour (half-up to the fen, whole amounts shown
without decimals, formulas as a person writes them); hypothesis checks the arithmetic
properties on many inputs.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.tools.calculators import (
    CENT,
    fmt,
    money,
    monthly,
    people_needed,
    percentage_of,
    remaining_months,
    sum_of_products,
    uplift,
)

D = Decimal

# --------------------------------------------------------------------------- money()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("17000", "17000"),
        ("17000.00", "17000"),  # whole amounts display without decimals
        ("16999.995", "17000"),  # rounds up into a whole amount
        ("1.005", "1.01"),  # half-up, not banker's rounding
        ("0.125", "0.13"),  # half-even would give 0.12
        ("2.675", "2.68"),  # binary floats give 2.67
        ("1.004", "1"),  # 1.00 is whole: shown as 1
        ("1.1", "1.10"),  # to the fen
        ("3703.5", "3703.50"),
        ("0.004", "0"),
        ("0.005", "0.01"),
        ("-1.005", "-1.01"),  # half away from zero
        ("123456789.994", "123456789.99"),
    ],
)
def test_money_rounds_half_up_to_the_fen(value: str, expected: str) -> None:
    result = money(D(value))
    assert isinstance(result, Decimal)
    assert str(result) == expected


def test_money_whole_amount_has_no_exponent_or_decimals() -> None:
    assert money(D("1E+4")).as_tuple().exponent == 0
    assert str(money(D("1E+4"))) == "10000"
    assert str(money(D("2600.000"))) == "2600"


# --------------------------------------------------------------------------- fmt()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (17000, "17000"),
        (0, "0"),
        (D("17000.00"), "17000"),
        (D("1.50"), "1.5"),
        (D("2.10"), "2.1"),
        (D("0.05"), "0.05"),
        (D("1E+4"), "10000"),  # never scientific notation
        (D("2.6E+3"), "2600"),
        (D("-2.50"), "-2.5"),
        (D("3703.50"), "3703.5"),
    ],
)
def test_fmt(value: Decimal | int, expected: str) -> None:
    assert fmt(value) == expected


# --------------------------------------------------------------------------- sum_of_products()


@pytest.mark.parametrize(
    ("terms", "total", "formula"),
    [
        ([(3, D(3000)), (2, D(4000))], D(17000), "3×3000 + 2×4000"),
        ([(2, D(2000)), (3, D(1000)), (1, D(500))], D(7500), "2×2000 + 3×1000 + 1×500"),
        ([(1, D(2600000))], D(2600000), "1×2600000"),
        ([(0, D(3000))], D(0), "0×3000"),
        ([(2, D("1.50"))], D(3), "2×1.5"),
        ([(3, D("0.335"))], D("1.01"), "3×0.335"),  # 1.005 → 1.01, rounded only at the end
    ],
)
def test_sum_of_products(terms: list[tuple[int, Decimal]], total: Decimal, formula: str) -> None:
    value, text = sum_of_products(terms)
    assert value == total
    assert text == formula


def test_sum_of_products_shows_whole_totals_without_decimals() -> None:
    value, _ = sum_of_products([(3, D("3000.00")), (2, D("4000.00"))])
    assert str(value) == "17000"


def test_sum_of_products_rejects_negative_counts() -> None:
    with pytest.raises(ValueError, match="negative"):
        sum_of_products([(3, D(3000)), (-1, D(4000))])


def test_sum_of_products_rejects_empty() -> None:
    with pytest.raises(ValueError, match="at least one"):
        sum_of_products([])


# --------------------------------------------------------------------------- monthly() / remaining_months()


@pytest.mark.parametrize(
    ("amount", "months", "people", "total", "formula"),
    [
        (D(4000), 36, 1, D(144000), "4000×36"),
        (D(4000), 12, 2, D(96000), "4000×12×2"),
        (D(3000), 12, 1, D(36000), "3000×12"),
        (D(4000), 0, 1, D(0), "4000×0"),
        (D(4000), 26, 3, D(312000), "4000×26×3"),
        (D("1000.5"), 3, 1, D("3001.5"), "1000.5×3"),
        (D(1000), 5, 0, D(0), "1000×5×0"),
    ],
)
def test_monthly(amount: Decimal, months: int, people: int, total: Decimal, formula: str) -> None:
    assert monthly(amount, months, people) == (total, formula)


def test_monthly_default_is_one_person() -> None:
    assert monthly(D(4000), 10) == monthly(D(4000), 10, 1) == (D(40000), "4000×10")


@pytest.mark.parametrize(("months", "people"), [(-1, 1), (12, -1)])
def test_monthly_rejects_negatives(months: int, people: int) -> None:
    with pytest.raises(ValueError, match="negative"):
        monthly(D(4000), months, people)


@pytest.mark.parametrize(
    ("period", "elapsed", "left"),
    [(36, 0, 36), (36, 10, 26), (36, 35, 1), (36, 36, 0), (36, 40, 0), (12, 5, 7)],
)
def test_remaining_months(period: int, elapsed: int, left: int) -> None:
    assert remaining_months(period, elapsed) == left


def test_remaining_months_rejects_negative_elapsed() -> None:
    with pytest.raises(ValueError, match="negative"):
        remaining_months(36, -1)


# --------------------------------------------------------------------------- percentage_of() / uplift()


@pytest.mark.parametrize(
    ("base", "rate", "value", "formula"),
    [
        (D(2000000), D(30), D(600000), "2000000×30%"),
        (D(1000), D(60), D(600), "1000×60%"),
        (D(12345), D(30), D("3703.5"), "12345×30%"),
        (D("333.33"), D(30), D(100), "333.33×30%"),  # 99.999 → 100.00 → shown as 100
        (D("0.05"), D(10), D("0.01"), "0.05×10%"),  # 0.005 half-up
        (D(0), D(30), D(0), "0×30%"),
        (D(1000), D("12.5"), D(125), "1000×12.5%"),
    ],
)
def test_percentage_of(base: Decimal, rate: Decimal, value: Decimal, formula: str) -> None:
    assert percentage_of(base, rate) == (value, formula)


@pytest.mark.parametrize(
    ("base", "rate", "value", "formula"),
    [
        (D(2000), D(30), D(2600), "2000×(1+30%)"),
        (D(1500), D(30), D(1950), "1500×(1+30%)"),
        (D("1234.56"), D(30), D("1604.93"), "1234.56×(1+30%)"),  # 1604.928
        (D(0), D(30), D(0), "0×(1+30%)"),
        (D(1000), D(0), D(1000), "1000×(1+0%)"),
    ],
)
def test_uplift(base: Decimal, rate: Decimal, value: Decimal, formula: str) -> None:
    assert uplift(base, rate) == (value, formula)


def test_uplift_2000_at_30_percent_is_2600_shown_whole() -> None:
    value, _ = uplift(D(2000), D(30))
    assert str(value) == "2600"


@pytest.mark.parametrize("function", [percentage_of, uplift])
def test_negative_base_rejected(function: Callable[[Decimal, Decimal], tuple[Decimal, str]]) -> None:
    with pytest.raises(ValueError, match="negative"):
        function(D(-1), D(30))


# --------------------------------------------------------------------------- people_needed()


@pytest.mark.parametrize(
    ("base", "rate", "needed", "formula"),
    [
        (30000, Fraction(1, 3), 10000, "⌈30000×1/3⌉"),
        (10, Fraction(1, 3), 4, "⌈10×1/3⌉"),  # 3.33… → 4, exact fraction, not 33.33%
        (3, Fraction(1, 3), 1, "⌈3×1/3⌉"),
        (100000, Fraction(2, 5), 40000, "⌈100000×40%⌉"),
        (11, Fraction(2, 5), 5, "⌈11×40%⌉"),  # 4.4 → 5
        (10, Fraction(2, 5), 4, "⌈10×40%⌉"),  # exactly 4, not 5
        (1001, Fraction(3, 10), 301, "⌈1001×30%⌉"),
        (7, Fraction(7, 20), 3, "⌈7×35%⌉"),  # 2.45 → 3
        (0, Fraction(2, 5), 0, "⌈0×40%⌉"),
        (9, Fraction(1, 8), 2, "⌈9×1/8⌉"),
        (5, Fraction(1, 2), 3, "⌈5×50%⌉"),
        (5, Fraction(1, 1), 5, "⌈5×100%⌉"),
    ],
)
def test_people_needed(base: int, rate: Fraction, needed: int, formula: str) -> None:
    assert people_needed(base, rate) == (needed, formula)


def test_people_needed_rejects_negative_base() -> None:
    with pytest.raises(ValueError, match="negative"):
        people_needed(-1, Fraction(2, 5))


# --------------------------------------------------------------------------- properties

money_2dp = st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False)
money_6dp = st.decimals(min_value=0, max_value=10**7, places=6, allow_nan=False, allow_infinity=False)
counts = st.integers(min_value=0, max_value=10_000)
term_lists = st.lists(st.tuples(counts, money_2dp), min_size=1, max_size=6)


def at_most_two_places(value: Decimal) -> bool:
    return isinstance(value, Decimal) and value.is_finite() and value.as_tuple().exponent >= -2


def evaluate(formula: str) -> Decimal:
    """The value of a ``3×3000 + 2×4000`` formula, read back from its text."""
    total = D(0)
    for term in formula.split(" + "):
        count, amount = term.split("×")
        total += D(count) * D(amount)
    return total


@settings(max_examples=200, deadline=None, derandomize=True)
@given(term_lists)
def test_sum_of_products_is_the_exact_sum(terms: list[tuple[int, Decimal]]) -> None:
    total, formula = sum_of_products(terms)
    exact = sum((D(c) * a for c, a in terms), D(0))
    assert total == exact
    assert evaluate(formula) == exact  # the formula shown is the sum computed
    assert at_most_two_places(total)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.tuples(counts, money_6dp), min_size=1, max_size=6))
def test_sum_of_products_rounds_only_once_at_the_end(terms: list[tuple[int, Decimal]]) -> None:
    total, _ = sum_of_products(terms)
    exact = sum((D(c) * a for c, a in terms), D(0))
    assert total == exact.quantize(CENT, rounding=ROUND_HALF_UP)
    assert at_most_two_places(total)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(term_lists, st.randoms(use_true_random=False))
def test_sum_of_products_value_is_order_independent(terms: list[tuple[int, Decimal]], rnd: random.Random) -> None:
    shuffled = list(terms)
    rnd.shuffle(shuffled)
    total, formula = sum_of_products(terms)
    total2, formula2 = sum_of_products(shuffled)
    assert total == total2
    assert sorted(formula.split(" + ")) == sorted(formula2.split(" + "))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(money_2dp, st.integers(min_value=0, max_value=600), st.integers(min_value=0, max_value=1000))
def test_monthly_is_amount_times_months_times_people(amount: Decimal, months: int, people: int) -> None:
    total, formula = monthly(amount, months, people)
    assert total == amount * months * people
    assert at_most_two_places(total)
    parts = formula.split("×")
    assert D(parts[0]) == amount and int(parts[1]) == months
    assert (int(parts[2]) if len(parts) == 3 else 1) == people


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.integers(min_value=0, max_value=600), st.integers(min_value=0, max_value=600))
def test_remaining_months_is_never_negative_nor_above_the_period(period: int, elapsed: int) -> None:
    left = remaining_months(period, elapsed)
    assert left == max(period - elapsed, 0)
    assert 0 <= left <= period


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.integers(min_value=0, max_value=10**9),
    st.fractions(min_value=0, max_value=1, max_denominator=100),
)
def test_people_needed_is_the_least_integer_reaching_the_target(base: int, rate: Fraction) -> None:
    needed, formula = people_needed(base, rate)
    assert isinstance(needed, int)
    target = Fraction(base) * rate
    assert needed >= target
    assert needed - 1 < target
    assert needed == math.ceil(target)
    assert re.fullmatch(rf"⌈{base}×(\d+/\d+|\d+(\.\d+)?%)⌉", formula)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(money_6dp, st.decimals(min_value=0, max_value=100, places=3, allow_nan=False, allow_infinity=False))
def test_percentages_are_exact_then_rounded_to_the_fen(base: Decimal, rate: Decimal) -> None:
    share, _ = percentage_of(base, rate)
    raised, _ = uplift(base, rate)
    assert share == (base * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    assert raised == (base * (100 + rate) / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    assert at_most_two_places(share) and at_most_two_places(raised)
    assert raised >= share


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.decimals(min_value=-(10**9), max_value=10**9, places=4, allow_nan=False, allow_infinity=False))
def test_money_is_within_half_a_fen_and_has_at_most_two_places(value: Decimal) -> None:
    rounded = money(value)
    assert at_most_two_places(rounded)
    assert abs(rounded - value) <= D("0.005")
    assert money(rounded) == rounded  # idempotent
    assert D(fmt(rounded)) == rounded  # what is shown is the value
