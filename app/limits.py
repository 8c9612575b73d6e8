"""Bounds on what users send: every number is checked here before any Decimal arithmetic.

A number reaches the calculators as JSON (int or float), as text from the CLI, a
form or the UI ("3", "1.5万", "二十"), or read out of a question by the router; all
of them pass through ``app.tools.engine.parse_number`` / ``parse_count``, which
call the checks below first. Without them "1e999999" as a head count made the
server build a million-digit integer (about 90 s of one core), and 1e308 ended in
a 500. Each refusal names the bound, so the 400 a client gets says what to change.

Numbers inside a question (read by ``app.frame``) are checked by ``check_question`` at
the edges (HTTP API, UI, CLI) before the question is answered. The HTTP models
(``app.server.schemas``) use the input-size bounds too.
"""

from __future__ import annotations

import math
from decimal import Decimal

MAX_NUMBER_CHARS = 40  # a number as typed: "1,234,567.89万元" fits many times over
MAX_DIGITS = 20  # significant digits of any number
MAX_MAGNITUDE_EXPONENT = 15  # |x| < 10^15: above any amount or base a policy deals in (1000 万亿)
MAX_HEADCOUNT = 100_000  # people or items in one application
# Counts with bounds of their own: a workforce base (就业人员人数) is a city's, months are months.
COUNT_BOUNDS = {"base": 100_000_000, "months": 1200, "elapsed_months": 1200}
SCALED_COUNTS = {"base"}  # counts that may be written with 万 / 亿 (150万人); a head count may not

MAX_TOOL_INPUTS = 40  # inputs in one calculator / check request
MAX_INPUT_NAME_CHARS = 64
MAX_INPUT_VALUE_CHARS = 100


class BoundError(ValueError):
    """A value outside the bounds above; the message names the bound."""


def _too_large() -> BoundError:
    return BoundError(
        f"numbers must be smaller than 10^{MAX_MAGNITUDE_EXPONENT} in magnitude "
        f"and have at most {MAX_DIGITS} significant digits"
    )


def check_text(text: str) -> None:
    if len(text) > MAX_NUMBER_CHARS:
        raise BoundError(f"a number may be at most {MAX_NUMBER_CHARS} characters long, not {len(text)}")


def check_int(value: int) -> None:
    # An int compares in time linear in its size; nothing is converted or multiplied.
    if abs(value) >= 10**MAX_MAGNITUDE_EXPONENT:
        raise _too_large()


def check_float(value: float) -> None:
    if not math.isfinite(value):
        raise BoundError(f"not a finite number: {value!r}")
    if abs(value) >= 10.0**MAX_MAGNITUDE_EXPONENT:
        raise _too_large()


def check_decimal(value: Decimal) -> None:
    """Reads the digit tuple and exponent only: no arithmetic on a value that may be enormous."""
    if not value.is_finite():
        raise BoundError(f"not a finite number: {value}")
    digits = value.as_tuple().digits
    if len(digits) > MAX_DIGITS and any(digits[MAX_DIGITS:]):
        raise _too_large()
    if value and value.adjusted() >= MAX_MAGNITUDE_EXPONENT:
        raise _too_large()


def count_bound(what: str) -> int:
    return COUNT_BOUNDS.get(what, MAX_HEADCOUNT)


def check_count(value: Decimal, what: str, text: str | None = None) -> int:
    """A whole, non-negative, plausible count; ``text`` is what the user typed, if they typed it."""
    if text is not None and what not in SCALED_COUNTS and any(unit in text for unit in ("万", "亿")):
        raise BoundError(f"{what} is a number of people or items; give it as a whole number, not {text!r}")
    if value != value.to_integral_value() or value < 0:
        raise BoundError(f"{what} must be a whole number of at least 0, not {text or value}")
    bound = count_bound(what)
    if value > bound:
        raise BoundError(f"{what} may be at most {bound:,}, not {text or value}")
    return int(value)


def check_question(text: str) -> None:
    """Every number a question states (as the question reader reads it) within the bounds above."""
    from app.frame.numbers import tokenize  # the one reading of numbers in a question

    for token in tokenize(text):
        try:
            check_decimal(token.value)
        except BoundError as exc:
            raise BoundError(f"a number in the question is out of bounds: {exc}") from exc
