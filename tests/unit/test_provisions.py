"""Provision extraction (ingest.provisions) and rules from provisions (app.tools.extracted).

Two kinds of evidence: sentences in the shapes policy prose uses (written here,
in the style of documents, not copied from any), and agreement with the curated
catalogue on the bundled corpus — every reviewed money rule is found by the
extractor with the same figures, unit and qualifier, so a document without
curated rules gets the same reading.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache

import pytest

from app.settings import REPO_ROOT
from app.tools.extracted import overlay, payee_of, rule_from_provision, supersedes
from app.tools.rules import Catalogue
from ingest.loaders import load_text
from ingest.manifest import Manifest
from ingest.provisions import Provision, extract, with_provisions
from ingest.schema import Clause
from ingest.segment import segment

D = Decimal
MANIFEST = Manifest.load(REPO_ROOT / "corpus" / "manifest.yaml")
DOCS = {d.id: d for d in MANIFEST.documents}
CATALOGUE = Catalogue.load(REPO_ROOT / "corpus" / "rules")


@cache
def clauses() -> list[Clause]:
    out: list[Clause] = []
    for doc in MANIFEST.documents:
        out += with_provisions(segment(load_text(MANIFEST.source_path(doc)).text, doc))
    return out


def one(text: str) -> Provision:
    found = extract(text, clause_id="x/一", doc_id="x")
    assert len(found) == 1, found
    return found[0]


# --------------------------------------------------------------------------- shapes of prose


def test_categories_inline_with_their_amounts() -> None:
    p = one("对取得相应等级的，按照一级每人3000元、二级每人2000元、三级每人1000元的标准给予企业补贴。")
    assert [(a.label, a.value) for a in p.amounts] == [("一级", D(3000)), ("二级", D(2000)), ("三级", D(1000))]
    assert [a.category for a in p.amounts] == ["高级技师", "技师", "高级工"]  # the ladder's names: 一级 = 高级技师
    assert p.kind == "per_head" and p.per == "人" and p.payee == "企业"


def test_categories_listed_apart_from_their_amounts() -> None:
    p = one("对新认定的首席技师、特级技师和高级技师分别给予每人每月1500元、1000元、600元的岗位津贴。")
    assert [(a.category, a.value) for a in p.amounts] == [
        ("首席技师", D(1500)),
        ("特级技师", D(1000)),
        ("高级技师", D(600)),
    ]
    assert p.kind == "monthly" and p.recurrence == "month" and p.subject.endswith("津贴")


def test_counted_items_before_amounts_per_unit_with_a_cap() -> None:
    p = one("新建3家省级实训基地、6家市级实训基地，分别给予每家最高200万元、80万元建设补助。")
    assert [(a.category, a.value, a.unit) for a in p.amounts] == [("省级", D(200), "万元"), ("市级", D(80), "万元")]
    assert p.qualifier == "cap" and all(a.qualifier == "cap" for a in p.amounts)
    assert p.per == "家"


def test_a_single_monthly_amount_with_its_period() -> None:
    p = one("对引进的紧缺技能人才，给予每人每月2500元生活补贴，保障期24个月。")
    assert p.kind == "monthly" and p.period_months == 24 and p.amounts[0].value == D(2500)
    assert p.subject.endswith("生活补贴")


def test_a_floor_per_person_per_year() -> None:
    p = one("开展新型学徒制培训的，按规定给予企业不少于每人每年4000元的培训补贴。")
    assert p.kind == "per_year" and p.qualifier == "floor" and p.recurrence == "year"


def test_a_one_off_after_tax_award() -> None:
    p = one("每年评选10名“技能之星”，每人一次性奖励5万元（税后）。")
    assert p.one_off and p.qualifier == "after_tax" and p.amounts[0].value == D(5)


def test_rates_uplifts_and_deductions() -> None:
    p = one("列入紧缺目录的工种，在补贴标准基础上再提高20%。")
    assert p.kind == "uplift" and p.rate == D(20) and p.base_label == "补贴标准"
    p = one("培训机构取得的收入，在扣除直接成本后，可按不超过50%的比例提取奖励资金。")
    assert p.kind == "percentage" and p.qualifier == "cap" and p.deduction_label == "直接成本"


def test_a_benefit_without_a_figure() -> None:
    p = one("对符合条件的优秀培训机构，给予一定奖补。")
    assert p.kind == "unstated" and p.vague


def test_conditions_are_split_and_typed() -> None:
    p = one("对完成培训并通过考核、与本企业签订劳动合同并在本市缴纳社会保险3个月以上的学员，按每人2000元给予企业补贴。")
    concepts = [c.concept for c in p.conditions]
    assert concepts[:2] == ["培训", "考核"] and "合同" in concepts and "社保" in concepts
    threshold = next(c for c in p.conditions if c.concept == "社保")
    assert threshold.type == "threshold" and threshold.min == D(3) and threshold.place_bound


def test_counts_and_targets_are_not_money() -> None:
    assert extract("每年培养技能人才1万人以上。", clause_id="x/一", doc_id="x") == []
    p = one("到2027年，技能人才占就业人员的比例达到35%以上。")
    assert p.kind == "target" and p.qualifier == "floor"


def test_spans_point_into_the_clause_text() -> None:
    text = "对新取得技师的职工，给予每人3000元补贴。另外，每家企业每年最多5万元。"
    for p in extract(text, clause_id="x/一", doc_id="x"):
        assert text[p.sentence.start : p.sentence.end] == p.sentence.text
        for a in p.amounts:
            assert text[a.span.start : a.span.end] == a.span.text


# --------------------------------------------------------------------------- rules from provisions


def test_an_extracted_provision_runs_as_a_rule() -> None:
    p = one("对新认定的首席技师、特级技师分别给予每人每月1500元、1000元岗位津贴。")
    r = rule_from_provision(p, None)
    assert r is not None and not r.reviewed
    assert r.kind == "monthly" and r.unit == "元/人/月" and r.recurrence == "month"
    assert [a.category for a in r.amounts] == ["首席技师", "特级技师"]


@pytest.mark.parametrize(
    ("words", "payee"),
    [
        ("企业", "enterprise"),
        ("企业或者个人", "enterprise_or_individual"),
        ("领办人", "studio_leader"),
        ("", "unspecified"),
    ],
)
def test_payees(words: str, payee: str) -> None:
    assert payee_of(words) == payee


# --------------------------------------------------------------------------- agreement with the curated catalogue


MONEY = [r for r in CATALOGUE.rules if r.kind in ("per_head", "one_off", "monthly") and r.amounts]


@pytest.mark.parametrize("curated", MONEY, ids=[r.id for r in MONEY])
def test_every_curated_money_rule_is_found_by_extraction(curated) -> None:  # type: ignore[no-untyped-def]
    """Leave the curation out and the same clause still gives the same figures."""
    clause = next(c for c in clauses() if c.clause_id == curated.clause_id)
    extracted = [rule_from_provision(p, DOCS[clause.doc_id], clause) for p in clause.provisions]
    match = [r for r in extracted if r is not None and supersedes(curated, r)]
    assert match, f"{curated.id}: no extracted provision with its figures"
    r = match[0]
    scale = D(10000) if curated.unit.startswith("万元") else D(1)
    escale = D(10000) if r.unit.startswith("万元") else D(1)
    assert sorted(a.value * scale for a in curated.amounts) == sorted(a.value * escale for a in r.amounts)
    assert r.recurrence == curated.recurrence, f"{curated.id}: recurrence"
    curated_q = {a.qualifier or curated.qualifier for a in curated.amounts}
    extracted_q = {a.qualifier or r.qualifier for a in r.amounts}
    assert curated_q == extracted_q, f"{curated.id}: qualifier"


def test_curated_rules_overlay_the_extracted_ones() -> None:
    merged = overlay(CATALOGUE, clauses(), DOCS)
    assert {r.id for r in CATALOGUE.rules} <= {r.id for r in merged.rules}
    extracted_only = overlay(CATALOGUE, clauses(), DOCS, use_curated=False)
    assert all(not r.reviewed for r in extracted_only.rules)
    assert len(extracted_only.rules) >= len(MONEY)


def test_every_money_figure_of_the_corpus_is_in_a_provision_or_a_count() -> None:
    import re

    figure = re.compile(r"(?<![\d.])\d+(?:\.\d+)?\s*(?:万元|元)")
    for c in clauses():
        covered = {(a.span.start, a.span.end) for p in c.provisions for a in p.amounts}
        for m in figure.finditer(c.text):
            assert any(s <= m.start() < e for s, e in covered), f"{c.clause_id}: {m.group(0)} in no provision"


def test_a_restricting_word_of_the_subject_is_a_condition() -> None:
    text = "公立技工学校开展对外培训取得的收入，扣除成本后可按不超过50%的比例用于绩效奖励。"
    (p,) = [p for p in extract(text, clause_id="t/1", doc_id="t") if p.amounts]
    public = [c for c in p.conditions if c.concept == "公办"]
    assert len(public) == 1 and public[0].text.startswith("公立技工学校")
    assert public[0].span.text in text  # verbatim


def test_the_subject_set_off_before_an_objectless_award_is_the_payee() -> None:
    text = "获奖选手所在单位，按每名获奖选手给予一次性组织奖励5000元。"
    (p,) = [p for p in extract(text, clause_id="t/2", doc_id="t") if p.amounts]
    assert p.payee == "获奖选手所在单位"
    # …but not when the award names its own payee.
    (q,) = [p for p in extract("参赛企业，按规定给予个人奖励3000元。", clause_id="t/3", doc_id="t") if p.amounts]
    assert q.payee == "个人"
