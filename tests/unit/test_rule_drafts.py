"""`rules draft` and `rules diff` on the bundled corpus (fake embedder): drafts load as rule files with
verbatim quotes, and the diff finds the disagreements a reviewer must see."""

from __future__ import annotations

from decimal import Decimal

import yaml

from app.services import Services
from app.tools.drafts import compare, diff, draft_yaml, extracted_rules
from app.tools.rules import Amount, Catalogue, Rule, _RuleFile


def _docs(services: Services) -> dict:
    return {d.meta.id: d.meta for d in services.store.documents()}


def test_draft_of_every_document_is_a_valid_unreviewed_rule_file_with_verbatim_quotes(ingested: Services) -> None:
    docs = _docs(ingested)
    for doc_id, meta in docs.items():
        clauses = ingested.store.clauses(doc_id)
        text = draft_yaml(meta, extracted_rules(clauses, docs, doc_id))
        parsed = _RuleFile.model_validate(yaml.safe_load(text))
        by_id = {c.clause_id: c for c in clauses}
        # a document with provisions drafts them all (xiamen-training-2025 states only targets' counts: none)
        assert len(parsed.rules) == sum(1 for c in clauses for p in c.provisions if p.kind != "figure"), doc_id
        for rule in parsed.rules:
            assert rule.reviewed is False and rule.doc_id == doc_id
            clause = by_id[rule.clause_id]
            assert rule.quote in clause.text
            for cond in rule.conditions:
                assert cond.quote in clause.text, (rule.id, cond.quote)
        # hints come after the legal facts, so a reviewer reads the facts first
        for entry in yaml.safe_load(text)["rules"]:
            keys = list(entry)
            assert keys[0] == "id" and ("hints" not in keys or keys[-1] == "hints")


def test_draft_dropped_into_a_rules_folder_loads_as_a_catalogue(ingested: Services, tmp_path) -> None:
    docs = _docs(ingested)
    rules = extracted_rules(ingested.store.clauses("dalian-2023"), docs, "dalian-2023")
    (tmp_path / "dalian-draft.yaml").write_text(draft_yaml(docs["dalian-2023"], rules), encoding="utf-8")
    loaded = Catalogue.load(tmp_path)
    assert [r.id for r in loaded.rules] == [r.id for r in rules]
    assert [r.amounts for r in loaded.rules] == [r.amounts for r in rules]


def test_diff_covers_every_curated_rule_and_agrees_where_extraction_matches(ingested: Services) -> None:
    report = diff(ingested.catalogue, ingested.store.clauses(), _docs(ingested))
    assert {d.rule_id for d in report.rules} == {r.id for r in ingested.catalogue.rules}
    rows = {d.rule_id: d for d in report.rules}
    # 中职 3000 / 高职 4000 per head: the extraction reads the same figures and categories.
    row = rows["xiamen.student-apprenticeship"]
    assert row.compared_with is not None
    assert not [x for x in row.differences if x.field in ("amounts", "categories", "unit", "per")]
    assert all(d.status in ("same", "differs", "no extraction") for d in report.rules)
    as_json = report.as_json()
    assert len(as_json["rules"]) == len(report.rules)
    assert report.lines()[-1].startswith("extracted provisions no curated rule covers") or report.uncovered


def test_diff_of_one_document_lists_only_its_rules(ingested: Services) -> None:
    report = diff(ingested.catalogue, ingested.store.clauses("nantong-draft"), _docs(ingested), "nantong-draft")
    assert report.rules and all(d.rule_id.startswith("nantong") for d in report.rules)
    assert all(r.doc_id == "nantong-draft" for r in report.uncovered)


def _rule(**kw: object) -> Rule:
    base: dict = {
        "id": "x.a",
        "title": "带徒补贴",
        "city": "某市",
        "doc_id": "d",
        "clause_id": "d/一",
        "quote": "按每人每年3000元、5000元给予带徒补贴",
        "kind": "per_head",
        "payee": "studio_leader",
        "unit": "元/人/年",
        "qualifier": "cap",
        "amounts": [
            Amount(category="技师", label="技师", value=Decimal(3000)),
            Amount(category="高级技师", label="高级技师", value=Decimal(5000)),
        ],
    }
    base.update(kw)
    return Rule.model_validate(base)


def test_compare_names_each_field_that_differs() -> None:
    curated = _rule()
    assert compare(curated, _rule(id="x.b")) == []
    other = _rule(
        id="x.b",
        qualifier="exact",
        unit="元/人",
        payee="unspecified",
        period_months=12,
        amounts=[
            Amount(category="技师", label="技师", value=Decimal(3000)),
            Amount(category="高级技师", value=Decimal(6000)),
        ],
    )
    fields = {x.field: x for x in compare(curated, other)}
    assert set(fields) == {"amounts", "qualifier", "per", "payee", "period"}
    assert fields["amounts"].curated == "3000、5000" and fields["amounts"].extracted == "3000、6000"
    assert fields["per"].curated == "人/年" and fields["per"].extracted == "人"
    wan = _rule(
        id="x.c",
        unit="万元/人/年",
        amounts=[
            Amount(category="技师", label="技师", value=Decimal("0.3")),
            Amount(category="高级技师", label="高级技师", value=Decimal("0.5")),
        ],
    )
    # 0.3万元 is 3000元: the same amount; only the money unit is reported
    assert {x.field for x in compare(curated, wan)} == {"unit"}
