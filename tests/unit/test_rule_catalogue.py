"""The rule catalogue (corpus/rules/*.yaml) proved against the policy texts.

Offline and fast: the manifest, the segmented clauses and the YAML files only.
Every rule must point at a real clause and quote it verbatim; every amount and
rate must be written in its quote, with its unit and the qualifier the words
around it give (最高/不超过 → cap, 不少于/以上 → floor, 税后 → after_tax); and
every money amount or percentage in the corpus must be covered by a rule quote
or listed as a non-benefit figure.
"""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction
from functools import cache

import pytest
import yaml

from app.settings import REPO_ROOT
from app.tools.rules import Catalogue, Rule
from ingest.loaders import load_text
from ingest.manifest import Manifest
from ingest.provisions import with_provisions
from ingest.schema import Clause
from ingest.segment import segment

RULES_DIR = REPO_ROOT / "corpus" / "rules"
MANIFEST = Manifest.load(REPO_ROOT / "corpus" / "manifest.yaml")
DOCS = {d.id: d for d in MANIFEST.documents}
CATALOGUE = Catalogue.load(RULES_DIR)
RULES = CATALOGUE.rules
RULE_IDS = [r.id for r in RULES]

# rule id prefix per document: <city-or-doc>.<slug>
ID_PREFIX = {
    "xiamen-tasks": "xiamen",
    "xiamen-training-2025": "xiamen",
    "dalian-2023": "dalian",
    "nantong-draft": "nantong",
    "unknown-zhou-measures": "unknown",
}

# money amounts, percentages and fractions as the texts write them
FIGURE_RE = re.compile(
    r"(?<![\d.])\d+(?:\.\d+)?\s*(?:万元|元|万|%|％)"
    r"|(?<![\d.])\d+\s*/\s*\d+(?![\d])"
    r"|百分之[零〇一二两三四五六七八九十百]+"
    r"|[零〇一二两三四五六七八九十百]+分之[零〇一二两三四五六七八九十百]+"
    r"|[零〇一二两三四五六七八九十百千]+(?:万元|元)"
)
CAP_WORDS = ("最高", "不超过")
FLOOR_WORDS = ("不少于", "不低于", "至少")
SENTENCE_BREAK = re.compile(r"[。；;]")
NEGATION_CHARS = re.compile(r"[无没未不非]")


@cache
def clauses() -> dict[str, Clause]:
    out: dict[str, Clause] = {}
    for doc in MANIFEST.documents:
        text = load_text(MANIFEST.source_path(doc)).text
        for clause in segment(text, doc):
            out[clause.clause_id] = clause
    return out


@cache
def rule_files() -> dict[str, dict]:
    """Each rule file, parsed on its own: file stem → {'rules': [...], 'non_benefit_figures': [...]}."""
    return {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) or {} for p in sorted(RULES_DIR.glob("*.yaml"))}


def status_of(rule: Rule) -> str:
    """A rule's legal status is its document's status in the manifest (never stored in the rule)."""
    return DOCS[rule.doc_id].status


def fmt(value: Decimal) -> str:
    d = Decimal(value)
    return format(d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize(), "f")


def spans(haystack: str, needle: str) -> list[tuple[int, int]]:
    out, start = [], haystack.find(needle)
    while needle and start != -1:
        out.append((start, start + len(needle)))
        start = haystack.find(needle, start + 1)
    return out


def number_spans(text: str, number: str) -> list[tuple[int, int]]:
    """Occurrences of ``number`` with no digit (or decimal part) immediately before or after it."""
    pattern = re.compile(r"(?<![\d.])" + re.escape(number) + r"(?!\.?\d)")
    return [m.span() for m in pattern.finditer(text)]


def unit_head(unit: str) -> tuple[str, ...]:
    """What the text writes right after the number: 元/人/月 → 元; 万元/家 → 万元 or 万; % → % or ％."""
    head = unit.split("/")[0]
    if head == "万元":
        return ("万元", "万")
    if head == "%":
        return ("%", "％")
    return (head,)


def written_qualifier(rule: Rule, start: int, end_of_unit: int) -> str:
    """The qualifier the words around a number of the rule's quote give it, read in the whole clause.

    Read in the clause, not the quote alone: a quote that starts after 最高 must not turn a cap into an exact sum.
    """
    text = clauses()[rule.clause_id].text
    offset = text.index(rule.quote)
    before = SENTENCE_BREAK.split(text[: offset + start])[-1]
    after = text[offset + end_of_unit : offset + end_of_unit + 8]
    if "税后" in after:
        return "after_tax"
    if any(w in before for w in CAP_WORDS):
        return "cap"
    if any(w in before for w in FLOOR_WORDS) or after.lstrip().startswith("以上"):
        return "floor"
    return "exact"


def written_with_unit(quote: str, number: str, unit: str) -> list[tuple[int, int]]:
    """Spans (number start, end of unit) where ``number`` is followed by the unit."""
    out = []
    for start, end in number_spans(quote, number):
        rest = quote[end:].lstrip()
        skipped = len(quote[end:]) - len(rest)
        for head in unit_head(unit):
            if rest.startswith(head):
                out.append((start, end + skipped + len(head)))
                break
    return out


def by_id(rule_id: str) -> Rule:
    rule = CATALOGUE.get(rule_id)
    assert rule is not None, f"missing rule {rule_id}"
    return rule


# --------------------------------------------------------------------------- the catalogue as a whole


def test_catalogue_loads_with_unique_ids() -> None:
    assert len(RULES) >= 40
    assert len(set(RULE_IDS)) == len(RULE_IDS)
    assert CATALOGUE.figures


def test_rule_files_belong_to_documents() -> None:
    # A curated rule file is optional: a document without one answers from its extracted provisions.
    assert set(rule_files()) <= set(DOCS)


def test_rules_and_figures_sit_in_their_documents_file() -> None:
    for stem, parsed in rule_files().items():
        for rule in parsed.get("rules") or []:
            assert rule["doc_id"] == stem, f"{rule['id']} is in {stem}.yaml but cites {rule['doc_id']}"
        for fig in parsed.get("non_benefit_figures") or []:
            assert fig["clause_id"].split("/")[0] == stem, f"{fig} is in {stem}.yaml"


def test_documents_without_curated_rules_have_their_figures_extracted() -> None:
    """A document added without a rule file (as the README says) still has every money figure and
    percentage in an extracted provision, so its amount questions can be calculated."""
    curated = set(rule_files())
    for clause in with_provisions([c for c in clauses().values() if c.doc_id not in curated]):
        covered = [(a.span.start, a.span.end) for p in clause.provisions for a in p.amounts]
        for m in FIGURE_RE.finditer(clause.text):
            if "元" in m.group() or "%" in m.group():
                assert any(s <= m.start() < e for s, e in covered), f"{clause.clause_id}: {m.group()} in no provision"


# --------------------------------------------------------------------------- each rule against its clause


@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_rule_points_at_a_real_clause(rule: Rule) -> None:
    assert rule.doc_id in DOCS, f"{rule.id}: doc {rule.doc_id} not in the manifest"
    clause = clauses().get(rule.clause_id)
    assert clause is not None, f"{rule.id}: no clause {rule.clause_id}"
    assert clause.doc_id == rule.doc_id


@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_rule_id_and_city(rule: Rule) -> None:
    assert re.fullmatch(r"[a-z]+\.[a-z0-9]+(?:-[a-z0-9]+)*", rule.id), rule.id
    assert rule.id.split(".")[0] == ID_PREFIX[rule.doc_id], f"{rule.id}: prefix for {rule.doc_id}"
    assert rule.city == DOCS[rule.doc_id].city, f"{rule.id}: city {rule.city} ≠ manifest {DOCS[rule.doc_id].city}"


@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_quotes_are_verbatim(rule: Rule) -> None:
    text = clauses()[rule.clause_id].text
    assert rule.quote in text, f"{rule.id}: rule quote not verbatim in {rule.clause_id}"
    for cond in rule.conditions:
        assert cond.quote in text, f"{rule.id}: condition {cond.id} quote not verbatim"
    for alt in rule.alternatives:
        assert alt.quote in text, f"{rule.id}: alternative for {alt.when} quote not verbatim"


@pytest.mark.parametrize("rule", [r for r in RULES if r.amounts], ids=[r.id for r in RULES if r.amounts])
def test_amounts_are_written_in_the_quote_with_unit_and_qualifier(rule: Rule) -> None:
    assert rule.unit, f"{rule.id}: amounts need a unit"
    for amount in rule.amounts:
        number = fmt(amount.value)
        assert number_spans(rule.quote, number), f"{rule.id}: {number} not written in the quote"
        found = written_with_unit(rule.quote, number, rule.unit)
        assert found, f"{rule.id}: {number} not followed by {rule.unit.split('/')[0]} in the quote"
        expected = amount.qualifier or rule.qualifier
        written = {written_qualifier(rule, start, end) for start, end in found}
        assert written == {expected}, f"{rule.id}: {number} is {expected} but the text reads {written}"


@pytest.mark.parametrize(
    "rule",
    [r for r in RULES if r.kind in ("percentage", "target")],
    ids=[r.id for r in RULES if r.kind in ("percentage", "target")],
)
def test_rates_are_written_in_the_quote(rule: Rule) -> None:
    assert rule.base_label, f"{rule.id}: a rate needs its base"
    assert (rule.rate is None) != (not rule.rate_fraction), f"{rule.id}: give rate or rate_fraction, not both"
    assert rule.unit == "%"
    if rule.rate_fraction:  # 1/3: written as a fraction, kept exact
        assert re.fullmatch(r"\d+/\d+", rule.rate_fraction), rule.rate_fraction
        found = number_spans(rule.quote, rule.rate_fraction)
    else:
        assert rule.rate is not None
        found = written_with_unit(rule.quote, fmt(rule.rate), "%")
    assert found, f"{rule.id}: rate {rule.rate_fraction or fmt(rule.rate)} is not written in the quote"
    written = {written_qualifier(rule, start, end) for start, end in found}
    assert written == {rule.qualifier}, f"{rule.id}: rate is {rule.qualifier} but the text reads {written}"
    assert 0 < rule.fraction <= 1


@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_rule_shape(rule: Rule) -> None:
    assert rule.keywords, f"{rule.id}: no keywords"
    for word in rule.keywords:
        # a number as keyword (700万, 30%, 36个月) would route any question that merely mentions that sum
        assert not re.search(r"\d", re.sub(r"第\d+名", "", word)), f"{rule.id}: keyword {word!r}"
        assert word not in ("厦门", "大连", "南通", "廈門"), f"{rule.id}: a city is not a keyword"
    assert rule.title
    if rule.kind in ("eligibility", "lookup"):
        assert rule.outcome, f"{rule.id}: an {rule.kind} rule states its outcome"
        assert not rule.amounts and rule.rate is None
    if rule.kind == "eligibility":
        assert rule.conditions, f"{rule.id}: an eligibility rule needs conditions"
    if rule.kind == "target":
        assert rule.payee == "none"
    if rule.kind == "monthly":
        assert rule.unit == "元/人/月"
    if rule.period_months is not None:
        assert f"{rule.period_months}个月" in rule.quote, f"{rule.id}: period not written in the quote"
    for cond in rule.conditions:
        if cond.type == "threshold":
            bound = cond.min if cond.min is not None else cond.max
            assert bound is not None and number_spans(cond.quote, fmt(bound)), f"{rule.id}: {cond.id} bound"
        if cond.type == "enumeration":
            assert cond.options or cond.min_rank is not None, f"{rule.id}: {cond.id} needs options or a level"
    # Hints only name what the rule has: a category's aliases, a condition's cues.
    assert set(rule.hints.aliases) <= {a.category for a in rule.amounts}, f"{rule.id}: aliases of unknown categories"
    assert set(rule.hints.cues) <= {c.id for c in rule.conditions}, f"{rule.id}: cues of unknown conditions"
    for cond_id, cues in rule.hints.cues.items():
        for cue in cues:
            # a cue is read next to yes/no words: a negative cue (无住房) would turn 没有房 into "not met"
            assert cue and not NEGATION_CHARS.search(cue), f"{rule.id}: {cond_id} cue {cue!r}"
    if rule.uplift:
        assert rule.kind == "percentage", f"{rule.id}: only a percentage rule can raise a standard"


# --------------------------------------------------------------------------- status comes from the manifest


def test_status_is_derived_from_the_manifest() -> None:
    nantong = [r for r in RULES if r.doc_id == "nantong-draft"]
    assert nantong
    assert {status_of(r) for r in nantong} == {"draft"}
    drafts = {r.id for r in RULES if status_of(r) == "draft"}
    assert drafts == {r.id for r in nantong}
    assert {status_of(r) for r in RULES if r.city in ("厦门", "大连")} == {"in_force"}
    assert {status_of(r) for r in RULES if r.city == "未知"} == {"unknown"}


@pytest.mark.parametrize("rule", [r for r in RULES if status_of(r) == "draft"], ids=lambda r: r.id)
def test_draft_rules_say_so(rule: Rule) -> None:
    assert "征求意见稿" in rule.title + rule.notes, f"{rule.id}: a draft rule must say 征求意见稿"


# --------------------------------------------------------------------------- non-benefit figures


def test_non_benefit_figures_are_in_their_clause() -> None:
    seen = set()
    for fig in CATALOGUE.figures:
        clause = clauses().get(fig.clause_id)
        assert clause is not None, f"no clause {fig.clause_id}"
        assert fig.figure in clause.text, f"{fig.clause_id}: {fig.figure} not in the text"
        assert fig.reason
        assert (fig.clause_id, fig.figure) not in seen, f"duplicate {fig}"
        seen.add((fig.clause_id, fig.figure))


def test_non_benefit_figures_are_not_also_rules() -> None:
    for fig in CATALOGUE.figures:
        text = clauses()[fig.clause_id].text
        quoted = [s for r in RULES if r.clause_id == fig.clause_id for s in spans(text, r.quote)]
        for start, end in spans(text, fig.figure):
            assert not any(qs <= start and end <= qe for qs, qe in quoted), (
                f"{fig.clause_id}: {fig.figure} is inside a rule quote; it is not a non-benefit figure"
            )


# --------------------------------------------------------------------------- completeness


def test_the_figure_scan_sees_the_corpus() -> None:
    """Guard the scanner itself: it must find the figures we know are there."""
    occurrences = [(cid, m.group()) for cid, c in clauses().items() for m in FIGURE_RE.finditer(c.text)]
    found = set(occurrences)
    for expected in [
        ("dalian-2023/二/（三）", "700万元"),
        ("dalian-2023/一", "1/3"),
        ("dalian-2023/四/（十四）", "500万"),
        ("unknown-zhou-measures/七", "60%"),
        ("nantong-draft/二/（八）", "30%"),
        ("xiamen-training-2025/一", "2.1万"),
    ]:
        assert expected in found, expected
    assert len(occurrences) >= 45  # in the five seed documents


def test_every_money_amount_and_percentage_is_covered() -> None:
    uncovered = []
    curated = set(rule_files())
    for cid, clause in clauses().items():
        if clause.doc_id not in curated:
            continue
        text = clause.text
        covered = [s for r in RULES if r.clause_id == cid for s in spans(text, r.quote)]
        covered += [s for f in CATALOGUE.figures if f.clause_id == cid for s in spans(text, f.figure)]
        for m in FIGURE_RE.finditer(text):
            if not any(start <= m.start() and m.end() <= end for start, end in covered):
                uncovered.append(f"{cid}: {m.group()!r} …{text[max(0, m.start() - 15) : m.end() + 10]}…")
    assert not uncovered, "figures no rule quote or non_benefit_figures covers:\n" + "\n".join(uncovered)


# --------------------------------------------------------------------------- key facts


@pytest.mark.parametrize(
    ("rule_id", "kind", "payee", "unit", "amounts"),
    [
        (
            "xiamen.student-apprenticeship",
            "per_head",
            "enterprise",
            "元/人",
            {"中职": ("3000", "exact"), "高职": ("4000", "exact")},
        ),
        (
            "dalian.studio-apprentice-subsidy",
            "per_head",
            "studio_leader",
            "元/人",
            {"高级技师": ("2000", "exact"), "技师": ("1000", "exact"), "高级工": ("500", "exact")},
        ),
        (
            "dalian.training-base-construction-subsidy",
            "one_off",
            "institution",
            "万元/家",
            {"国家级": ("700", "cap"), "省级": ("300", "cap")},
        ),
        (
            "dalian.master-studio-construction-subsidy",
            "one_off",
            "institution",
            "万元/家",
            {"国家级": ("30", "cap"), "省级": ("10", "cap"), "市级": ("10", "cap")},
        ),
        (
            "dalian.model-worker-studio-subsidy",
            "one_off",
            "institution",
            "万元/家",
            {"市级劳模创新工作室": ("3", "exact")},
        ),
        ("dalian.new-apprenticeship-subsidy", "per_head", "enterprise", "元/人/年", {"学徒": ("5000", "floor")}),
        (
            "dalian.technician-training-subsidy",
            "per_head",
            "enterprise_or_individual",
            "元/人",
            {"技师": ("3500", "exact"), "高级技师": ("5000", "exact")},
        ),
        (
            "dalian.high-level-skill-talent-allowance",
            "monthly",
            "individual",
            "元/人/月",
            {"领军人才": ("3000", "exact"), "高端人才": ("2000", "exact"), "青年才俊": ("1000", "exact")},
        ),
        (
            "dalian.settling-in-allowance",
            "one_off",
            "individual",
            "万元/人",
            {"领军人才": ("260", "exact"), "高端人才": ("120", "exact"), "青年才俊": ("30", "exact")},
        ),
        (
            "dalian.emergency-talent-salary",
            "monthly",
            "individual",
            "元/人/月",
            {"急需紧缺技能人才": ("4000", "exact")},
        ),
        (
            "dalian.principal-technician-work-grant",
            "one_off",
            "individual",
            "万元/人",
            {"特级技师": ("5", "exact"), "首席技师": ("8", "exact")},
        ),
        (
            "dalian.worldskills-base-construction-subsidy",
            "one_off",
            "institution",
            "万元",
            {"世赛中国集训基地": ("500", "cap")},
        ),
        (
            "dalian.competition-subsidy",
            "per_head",
            "employer",
            "元/人",
            {
                "市级": ("1500", "exact"),
                "省级": ("2000", "exact"),
                "国家级": ("5000", "exact"),
                "世界级": ("10000", "exact"),
            },
        ),
        ("dalian.dalian-craftsman-award", "one_off", "individual", "万元/人", {"大连工匠": ("12", "after_tax")}),
        ("nantong.credit-line", "one_off", "none", "万元/人", {"授信额度": ("150", "cap")}),
    ],
)
def test_key_amounts(rule_id: str, kind: str, payee: str, unit: str, amounts: dict[str, tuple[str, str]]) -> None:
    rule = by_id(rule_id)
    assert (rule.kind, rule.payee, rule.unit) == (kind, payee, unit)
    got = {a.category: (fmt(a.value), a.qualifier or rule.qualifier) for a in rule.amounts}
    assert got == amounts


@pytest.mark.parametrize(
    ("rule_id", "kind", "payee", "qualifier", "rate", "base_words"),
    [
        ("dalian.industry-education-investment-credit", "percentage", "enterprise", "exact", Fraction(30), "投资额"),
        ("dalian.employee-education-fund-frontline", "percentage", "none", "floor", Fraction(60), "职工教育经费"),
        ("dalian.skilled-talent-share-target", "target", "none", "floor", Fraction(40), "就业人员"),
        ("dalian.high-skilled-talent-share-target", "target", "none", "exact", Fraction(100, 3), "技能人才"),
        ("nantong.skilled-talent-share-target", "target", "none", "floor", Fraction(30), "就业人员"),
        ("nantong.high-skilled-talent-share-target", "target", "none", "floor", Fraction(35), "技能人才"),
        ("nantong.shortage-occupation-uplift", "percentage", "none", "exact", Fraction(30), "补贴标准"),
        ("unknown.performance-pay-share", "percentage", "institution", "cap", Fraction(60), "取得的收入"),
    ],
)
def test_key_rates(rule_id: str, kind: str, payee: str, qualifier: str, rate: Fraction, base_words: str) -> None:
    rule = by_id(rule_id)
    assert (rule.kind, rule.payee, rule.qualifier) == (kind, payee, qualifier)
    assert rule.fraction * 100 == rate  # exact: 1/3 stays 1/3
    assert base_words in rule.base_label


def test_monthly_periods() -> None:
    assert by_id("dalian.emergency-talent-salary").period_months == 36
    assert by_id("dalian.high-level-skill-talent-allowance").period_months is None  # the text sets no period


def test_nantong_uplift_base_comes_from_the_user() -> None:
    rule = by_id("nantong.shortage-occupation-uplift")
    assert "未载明" in rule.base_label and "用户提供" in rule.base_label
    assert not rule.amounts  # no invented standard
    assert rule.uplift  # 再提高30%: the standard × (1 + 30%)
    assert status_of(rule) == "draft"


def test_nantong_credit_line_is_not_a_subsidy() -> None:
    rule = by_id("nantong.credit-line")
    assert rule.payee == "none"
    assert "授信" in rule.notes and "不是补贴" in rule.notes


def test_taiwan_credential_recognition() -> None:
    rule = by_id("xiamen.taiwan-credential-recognition")
    assert (rule.kind, rule.payee) == ("eligibility", "none")
    age = rule.condition("age")
    assert age is not None and age.type == "threshold" and age.min == Decimal(18)
    listed = rule.condition("certificate_on_list")
    assert listed is not None and listed.type == "boolean" and "采认台湾地区职业资格目录清单" in listed.quote
    works = rule.condition("works_in_xiamen")
    assert works is not None and works.type == "boolean" and "在厦门从事相关专业技术和技能工作" in works.quote
    assert [a.when for a in rule.alternatives] == ["certificate_on_list"]
    assert rule.alternatives[0].quote.startswith("对采认清单外的台湾地区职业资格")
    assert "直接采认" in rule.outcome and "同等待遇" in rule.outcome
    assert {"台灣", "證照"} <= set(rule.keywords)


def test_preparatory_technician_parity_states_no_amount() -> None:
    rule = by_id("xiamen.preparatory-technician-living-subsidy")
    assert rule.kind == "eligibility" and not rule.amounts
    months = rule.condition("social_insurance_months")
    assert months is not None and months.type == "threshold" and months.min == Decimal(3)
    hukou = rule.condition("hukou_in_xiamen")
    assert hukou is not None and hukou.type == "boolean"
    assert "普通本科毕业生的同等待遇" in rule.outcome
    assert "未载明" in rule.notes


@pytest.mark.parametrize(
    ("rule_id", "table"),
    [
        ("xiamen.competition-skill-level", {"市级一类竞赛": "高级工技能等级", "市级二类竞赛": "中级工技能等级"}),
        ("xiamen.technical-school-education-recruitment", {"高级工班": "大专", "预备技师班": "本科"}),
        ("xiamen.technical-school-education-title", {"中级工班": "中专", "高级工班": "大专", "预备技师班": "本科"}),
    ],
)
def test_lookups(rule_id: str, table: dict[str, str]) -> None:
    rule = by_id(rule_id)
    assert rule.kind == "lookup" and rule.lookup == table


def test_lookup_conditions() -> None:
    contest = by_id("xiamen.competition-skill-level")
    assert [c.id for c in contest.conditions] == ["scores_passed"]
    assert "仅设置操作技能考核的项目中操作技能成绩合格" in contest.conditions[0].quote
    recruit = by_id("xiamen.technical-school-education-recruitment")
    assert {c.id for c in recruit.conditions} == {"full_time", "certificate_obtained"}
    expert = by_id("xiamen.competition-technical-expert")
    assert expert.kind == "eligibility" and "厦门市技术能手" in expert.outcome


@pytest.mark.parametrize(
    "rule_id",
    ["nantong.talent-apartment", "nantong.home-purchase-subsidy", "xiamen.preparatory-technician-living-subsidy"],
)
def test_unstated_amounts_stay_unstated(rule_id: str) -> None:
    rule = by_id(rule_id)
    assert rule.kind == "eligibility" and not rule.amounts and rule.rate is None
    assert "未载明" in rule.outcome + rule.notes
