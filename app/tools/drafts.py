"""Drafts of curated rules from the extracted provisions, and where the curated rules and extraction disagree.

``policy-assistant rules draft DOC_ID`` writes the provisions extracted from one
indexed document as a rule file in the format of ``corpus/rules/*.yaml``
(legal facts first, then the derived ``hints:`` block, ``reviewed: false``), so
a reviewer starts from what the text says instead of a blank file.
``policy-assistant rules diff`` sets each curated rule beside the extracted
provision(s) of the same clause and lists the fields where they differ, and
the extracted provisions no curated rule covers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import yaml

from app.tools.extracted import overlap, rule_from_provision, supersedes
from app.tools.rules import Catalogue, Rule
from ingest.schema import Clause, DocumentMeta

# The fields a reviewer reads first; the rest follow in the schema's order, hints last.
_LEAD = ("id", "title", "city", "doc_id", "clause_id", "quote", "kind", "payee", "payee_text", "unit", "qualifier")


def extracted_rules(
    clauses: Iterable[Clause], documents: dict[str, DocumentMeta], doc_id: str | None = None
) -> list[Rule]:
    """Every provision of these clauses (of one document, when given) as the rule the engine would run."""
    rules: list[Rule] = []
    for clause in clauses:
        if doc_id is not None and clause.doc_id != doc_id:
            continue
        for p in clause.provisions:
            rule = rule_from_provision(p, documents.get(p.doc_id), clause)
            if rule is not None:
                rules.append(rule)
    return rules


def _rule_mapping(rule: Rule) -> dict[str, Any]:
    data = rule.model_dump(mode="json", exclude_defaults=True, exclude={"recurrence"})
    data["reviewed"] = False  # a draft is never reviewed until a person has checked it against the clause
    hints = data.pop("hints", None)
    ordered = {k: data.pop(k) for k in _LEAD if k in data}
    ordered.update(data)
    if hints:
        ordered["hints"] = hints
    return ordered


def draft_yaml(doc: DocumentMeta, rules: list[Rule]) -> str:
    """A rule file for review: the header says where it comes from and what the reviewer must do."""
    header = [
        f"# Draft rules for {doc.title} (doc {doc.id}{', ' + doc.number if doc.number else ''}).",
        "# Written by `policy-assistant rules draft` from the provisions extracted at ingest; NOT reviewed.",
        "# Every quote is verbatim from its clause. Check each figure, category, qualifier, payee, period and",
        "# condition against the clause, correct or delete what is wrong, set `reviewed: true` on what you have",
        "# checked, then put the file in corpus/rules/ (tests/unit/test_rule_catalogue.py proves it).",
        "# Schema: app/tools/rules.py; `hints:` are routing words derived from the text, not legal facts.",
    ]
    body = yaml.safe_dump({"rules": [_rule_mapping(r) for r in rules]}, allow_unicode=True, sort_keys=False, width=120)
    return "\n".join(header) + "\n" + body


# ---------------------------------------------------------------------------------------------- diff


@dataclass(frozen=True)
class FieldDiff:
    field: str
    curated: str
    extracted: str


@dataclass
class RuleDiff:
    """One curated rule beside the extracted provision(s) of its clause."""

    rule_id: str
    clause_id: str
    extracted_ids: list[str]
    compared_with: str | None
    differences: list[FieldDiff] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.compared_with is None:
            return "no extraction"
        return "differs" if self.differences else "same"


@dataclass
class DiffReport:
    rules: list[RuleDiff]
    uncovered: list[Rule]

    def lines(self) -> list[str]:
        """The readable form: one line per curated rule, one indented line per field that differs."""
        out: list[str] = []
        for d in self.rules:
            out.append(
                f"{d.rule_id}  [{d.status}]  {d.clause_id}" + (f"  vs {d.compared_with}" if d.compared_with else "")
            )
            out += [f"    {x.field}: curated {x.curated} | extracted {x.extracted}" for x in d.differences]
        counts = {s: sum(1 for d in self.rules if d.status == s) for s in ("same", "differs", "no extraction")}
        out.append(
            f"{len(self.rules)} curated rules: {counts['same']} same, {counts['differs']} differ, "
            f"{counts['no extraction']} without an extracted provision on their clause"
        )
        out.append(f"extracted provisions no curated rule covers: {len(self.uncovered)}")
        out += [f"    {r.id}  [{r.kind}] {r.unit}  {r.clause_id}  {r.quote[:60]}" for r in self.uncovered]
        return out

    def as_json(self) -> dict[str, Any]:
        return {
            "rules": [
                {
                    "rule_id": d.rule_id,
                    "clause_id": d.clause_id,
                    "status": d.status,
                    "extracted": d.extracted_ids,
                    "compared_with": d.compared_with,
                    "differences": [vars(x) for x in d.differences],
                }
                for d in self.rules
            ],
            "uncovered": [
                {"id": r.id, "clause_id": r.clause_id, "kind": r.kind, "unit": r.unit, "quote": r.quote}
                for r in self.uncovered
            ],
        }


def _scale(rule: Rule) -> Decimal:
    return Decimal(10000) if rule.unit.startswith("万") else Decimal(1)


def _amounts(rule: Rule) -> list[Decimal]:
    vals = [(a.value * _scale(rule)).normalize() for a in rule.amounts]
    if rule.rate is not None:
        vals.append(rule.rate.normalize())
    return vals


def _per(rule: Rule) -> str:
    """What the amount is per, from the unit: 元/人/月 → 人/月."""
    return rule.unit.split("/", 1)[1] if "/" in rule.unit else ""


def _money_unit(rule: Rule) -> str:
    return rule.unit.split("/", 1)[0]


def _show(values: Iterable[object]) -> str:
    return "、".join(format(v, "f") if isinstance(v, Decimal) else str(v) for v in values) or "—"


def _condition_gaps(curated: Rule, extracted: Rule) -> tuple[list[str], list[str]]:
    """Curated conditions the extraction does not state, and extracted conditions no curated one covers."""

    def same(a: str, b: str) -> bool:
        return bool(a and b) and (a in b or b in a or overlap(a, b) >= 0.5)

    cur = [c.quote or c.label for c in curated.conditions]
    ext = [c.quote or c.label for c in extracted.conditions]
    return [c for c in cur if not any(same(c, e) for e in ext)], [e for e in ext if not any(same(e, c) for c in cur)]


def compare(curated: Rule, extracted: Rule) -> list[FieldDiff]:
    """The fields where an extracted rule says something else than the curated one."""
    out: list[FieldDiff] = []

    def check(name: str, a: object, b: object, shown_a: str | None = None, shown_b: str | None = None) -> None:
        if a != b:
            out.append(FieldDiff(name, shown_a or str(a or "—"), shown_b or str(b or "—")))

    if curated.kind in ("eligibility", "lookup"):
        # A curated check has no figures of its own; only its conditions can be set beside the extraction.
        missing, extra = _condition_gaps(curated, extracted)
        return (
            [FieldDiff("conditions", "not extracted: " + _show(missing), "not curated: " + _show(extra))]
            if (missing or extra)
            else []
        )
    a_vals, b_vals = _amounts(curated), _amounts(extracted)
    check("amounts", sorted(a_vals), sorted(b_vals), _show(a_vals), _show(b_vals))
    a_cats = [x.label or x.category for x in curated.amounts]
    b_cats = [x.label or x.category for x in extracted.amounts]
    if len(a_cats) > 1 or len(b_cats) > 1:  # a single amount's category is only its name
        check("categories", a_cats, b_cats, _show(a_cats), _show(b_cats))
    check("kind", curated.kind, extracted.kind)
    check("qualifier", curated.qualifier, extracted.qualifier)
    check("unit", _money_unit(curated), _money_unit(extracted))
    check("per", _per(curated), _per(extracted), _per(curated) or "—", _per(extracted) or "—")
    check("payee", curated.payee, extracted.payee)
    check("period", curated.period_months, extracted.period_months)
    missing, extra = _condition_gaps(curated, extracted)
    if missing or extra:
        out.append(FieldDiff("conditions", "not extracted: " + _show(missing), "not curated: " + _show(extra)))
    return out


def _closeness(curated: Rule, extracted: Rule) -> tuple[int, float]:
    shared = len(set(_amounts(curated)) & set(_amounts(extracted)))
    return shared, overlap(curated.quote, extracted.quote)


def diff(
    curated: Catalogue, clauses: Iterable[Clause], documents: dict[str, DocumentMeta], doc_id: str | None = None
) -> DiffReport:
    extracted = extracted_rules(clauses, documents, doc_id)
    by_clause: dict[str, list[Rule]] = {}
    for r in extracted:
        by_clause.setdefault(r.clause_id, []).append(r)
    rows: list[RuleDiff] = []
    chosen = [r for r in curated.rules if doc_id is None or r.doc_id == doc_id]
    for rule in chosen:
        same_clause = by_clause.get(rule.clause_id, [])
        best = max(same_clause, key=lambda e: _closeness(rule, e), default=None)
        rows.append(
            RuleDiff(
                rule_id=rule.id,
                clause_id=rule.clause_id,
                extracted_ids=[e.id for e in same_clause],
                compared_with=best.id if best is not None else None,
                differences=compare(rule, best) if best is not None else [],
            )
        )
    uncovered = [e for e in extracted if not any(supersedes(c, e) for c in curated.rules)]
    return DiffReport(rows, uncovered)
