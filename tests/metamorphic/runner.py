"""Ask the generated cases, check the property, name every wrong total, write the report.

Two paths:

* ``PlanPath`` — the question read into a frame (``read_question``, merged with
  the previous turn's carried frame for a follow-up, as the chain does), the
  accounting plan against the case's own rule, the engine, and the chain's
  ``_apply_plan`` (which withholds a total the plan cannot stand behind). A few
  milliseconds a case: thousands run in the unit tests.
* ``AskPath`` — the whole assistant (``Assistant.ask``): routing, retrieval,
  baskets and the session included. The stated total is
  ``Answer.calculation["result"]``.

The property, for every turn of every case: the stated total is the expected
one, or there is none. A wrong total is put in one failure class: first by the
case's known misreadings (the total a specific misreading gives, computed by
the generator), then by what the case is about (its family and tags).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.metamorphic.generator import Case

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
FAILURES_FILE = ARTIFACTS / "metamorphic_failures.jsonl"
REPORT_FILE = ARTIFACTS / "metamorphic_report.md"
SUMMARY = pytest.StashKey[list[str]]()

# Every wrong total ends in exactly one of these (the tests are parametrised by them).
CLASSES: dict[str, str] = {
    "excluded_counted": "people excluded by a named failing condition are counted",
    "excluded_added": "the people a failing condition excludes read as a further group and added",
    "excluded_from_other_group": "the people a failing condition excludes taken off another category's group",
    "exclusion_misread": "an exclusion read into another wrong total",
    "highest_rate": "several categories priced at one rate",
    "group_dropped": "one of the named groups left out of the total",
    "category_misassigned": "a group priced at another listed category's amount",
    "months_wrong": "a monthly amount over the wrong number of months (span lost, cap not applied, one month)",
    "years_wrong": "a per-year amount over the wrong number of years",
    "span_multiplied": "a one-off amount multiplied by a span",
    "no_span_total": "a total although the span a recurring amount needs is missing or not whole years",
    "unlisted_total": "a total although a group is in a category the rule does not list",
    "ambiguous_total": "a total although a count is not split by category (or an exclusion names no category)",
    "distractor_counted": "a year, age, date, phone number, size, capital or salary used as a figure",
    "deduction_ignored": "the deduction not taken off the base",
    "claimed_rate_used": "the user's claimed rate used instead of the text's",
    "rate_as_base": "the text's rate used as the base",
    "add_wrong": "再加N个 not added to the earlier count",
    "replace_wrong": "换成<category>呢 not applied to the earlier count",
    "routed_elsewhere": "the total of another provision (whole assistant only)",
    "combined_with_another": "the rule's total summed with another provision's (whole assistant only)",
    "crash": "an exception instead of an answer",
    "other": "any other wrong total",
}


@dataclass
class Outcome:
    path: str
    case: Case
    turn: int
    stated: Decimal | None
    rule_used: str | None = None
    reading: str = ""
    error: str = ""

    @property
    def expected(self) -> Decimal | None:
        return self.case.turns[self.turn].expected

    @property
    def wrong(self) -> bool:
        return bool(self.error) or (self.stated is not None and self.stated != self.expected)

    @property
    def exact(self) -> bool:
        return self.expected is not None and self.stated == self.expected


# ---------------------------------------------------------------------------------------- the paths


class PlanPath:
    name = "plan"

    def __init__(self) -> None:
        from app.scope import place_names
        from app.settings import REPO_ROOT
        from app.tools.engine import RuleEngine
        from app.tools.rules import Catalogue
        from ingest.manifest import Manifest

        self.catalogue = Catalogue.load(REPO_ROOT / "corpus" / "rules")
        docs = Manifest.load(REPO_ROOT / "corpus" / "manifest.yaml").documents
        self.cities = {d.id: d.city for d in docs}
        self.engine = RuleEngine(self.catalogue, {d.id: d for d in docs})
        self.places = place_names(docs)

    def run(self, case: Case) -> list[Outcome]:
        from app.answer.chain import _apply_plan
        from app.frame.merge import carried, merge
        from app.frame.read import read_question
        from app.tools.accounting import plan
        from app.tools.result import ToolError

        rule = self.catalogue.get(case.rule_id)
        assert rule is not None, case.rule_id
        out: list[Outcome] = []
        previous = None
        for i, turn in enumerate(case.turns):
            try:
                frame = read_question(turn.text, places=self.places)
                if previous is not None:
                    frame = merge(frame, carried(previous))
                previous = frame
                p = plan(frame, rule, doc_city=self.cities.get(rule.doc_id, ""))
                try:
                    tool = _apply_plan(self.engine.run(rule.id, p.inputs), p)
                except ToolError:
                    out.append(Outcome(self.name, case, i, None, rule.id, p.reading()))
                    continue
                out.append(Outcome(self.name, case, i, tool.result, rule.id, p.reading()))
            except Exception as exc:  # noqa: BLE001 - a crash is a finding, recorded with the case
                out.append(Outcome(self.name, case, i, None, None, "", f"{type(exc).__name__}: {exc}"))
        return out


class AskPath:
    name = "ask"

    def __init__(self, assistant: Any) -> None:
        self.assistant = assistant

    def run(self, case: Case) -> list[Outcome]:
        out: list[Outcome] = []
        session = None
        for i, turn in enumerate(case.turns):
            try:
                answer = self.assistant.ask(turn.text, session_id=session)
            except Exception as exc:  # noqa: BLE001 - a crash is a finding, recorded with the case
                out.append(Outcome(self.name, case, i, None, None, "", f"{type(exc).__name__}: {exc}"))
                continue
            session = answer.session_id
            calc = answer.calculation or {}
            result = calc.get("result")
            stated = Decimal(str(result)) if result is not None else None
            out.append(Outcome(self.name, case, i, stated, calc.get("rule_id"), str(calc.get("reading") or "")))
        return out


def run(path: PlanPath | AskPath, cases: Iterable[Case]) -> list[Outcome]:
    return [o for c in cases for o in path.run(c)]


# ---------------------------------------------------------------------------------------- classes


def classify(o: Outcome) -> str:
    """The failure class of a wrong total."""
    if o.error:
        return "crash"
    case, turn = o.case, o.case.turns[o.turn]
    tags = set(case.tags)
    if o.path == "ask" and o.rule_used and o.rule_used != case.rule_id:
        return "combined_with_another" if case.rule_id in o.rule_used.split("+") else "routed_elsewhere"
    if o.turn > 0 and turn.expected is None:
        return "unlisted_total" if "replace_unlisted" in tags else "other"
    if turn.expected is None:
        if any(t.startswith("unlisted:") for t in tags):
            return "unlisted_total"
        if tags & {"ambiguous_split", "ambiguous_exclusion"}:
            return "ambiguous_total"
        if any(t.startswith("part_year=") for t in tags) or "no_span" in tags:
            return "no_span_total"
        return "other"
    for name, total in turn.misreadings:
        if o.stated == total:
            return name
    if o.turn > 0:
        return "add_wrong" if case.family == "add" else "replace_wrong"
    if any(t.startswith("distractor:") for t in tags):
        return "distractor_counted"
    if any(t.startswith("excluded:") for t in tags):
        return "exclusion_misread"
    return "other"


# ---------------------------------------------------------------------------------------- figures


@dataclass
class Figures:
    turns: int = 0
    with_total: int = 0
    exact: int = 0
    absent: int = 0
    wrong: int = 0

    @property
    def rate(self) -> float:
        return self.exact / self.with_total if self.with_total else 1.0

    def add(self, o: Outcome) -> None:
        self.turns += 1
        self.wrong += o.wrong
        if o.expected is not None:
            self.with_total += 1
            self.exact += o.exact
            self.absent += o.stated is None and not o.error


def figures(outcomes: list[Outcome]) -> tuple[Figures, dict[str, Figures]]:
    total = Figures()
    by_family: dict[str, Figures] = defaultdict(Figures)
    for o in outcomes:
        total.add(o)
        by_family[o.case.family].add(o)
    return total, dict(sorted(by_family.items()))


def wrong_by_class(outcomes: list[Outcome]) -> dict[str, list[Outcome]]:
    out: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        if o.wrong:
            out[classify(o)].append(o)
    return dict(out)


def _show(o: Outcome) -> str:
    said = " ⟶ ".join(t.text for t in o.case.turns[: o.turn + 1])
    extra = f" via {o.rule_used}" if o.path == "ask" and o.rule_used and o.rule_used != o.case.rule_id else ""
    return f"`{said}` expected {o.expected} stated {o.stated or o.error}{extra} [{o.case.id} {o.case.rule_id}]"


def summary(outcomes: list[Outcome], name: str, seed: int) -> list[str]:
    total, by_family = figures(outcomes)
    cases = len({o.case.id for o in outcomes})
    lines = [
        f"metamorphic[{name}] seed={seed} cases={cases} turns={total.turns}: "
        f"exact {total.exact}/{total.with_total} = {total.rate:.3f} of the turns with a total; "
        f"absent {total.absent}; wrong totals {total.wrong}",
        "  by family: " + ", ".join(f"{f} {x.exact}/{x.with_total} wrong {x.wrong}" for f, x in by_family.items()),
    ]
    classes = wrong_by_class(outcomes)
    if classes:
        lines.append("  wrong totals by class: " + ", ".join(f"{k} {len(v)}" for k, v in sorted(classes.items())))
    return lines


def write_artifacts(runs: dict[str, tuple[list[Outcome], int]]) -> None:
    """The failures (one JSON line each, with their class) and a report, under tests/artifacts/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    report = ["# Metamorphic suite: stated totals are exact or absent", ""]
    with FAILURES_FILE.open("w", encoding="utf-8") as fh:
        for name, (outcomes, seed) in runs.items():
            report += ["## " + name, "", *summary(outcomes, name, seed), ""]
            for cls, items in sorted(wrong_by_class(outcomes).items()):
                report.append(f"### {cls} ({len(items)}): {CLASSES[cls]}")
                for o in sorted(items, key=lambda o: sum(len(t.text) for t in o.case.turns))[:5]:
                    report.append("- " + _show(o))
                report.append("")
                for o in items:
                    row = {
                        "path": name,
                        "class": cls,
                        "case": o.case.id,
                        "rule": o.case.rule_id,
                        "family": o.case.family,
                        "tags": list(o.case.tags),
                        "turns": [t.text for t in o.case.turns[: o.turn + 1]],
                        "expected": None if o.expected is None else str(o.expected),
                        "stated": None if o.stated is None else str(o.stated),
                        "rule_used": o.rule_used,
                        "reading": o.reading,
                        "error": o.error,
                    }
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    REPORT_FILE.write_text("\n".join(report) + "\n", encoding="utf-8")


def class_counts(outcomes: list[Outcome]) -> Counter[str]:
    return Counter({k: len(v) for k, v in wrong_by_class(outcomes).items()})
