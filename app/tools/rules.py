"""The rule catalogue: machine-readable benefits and eligibility rules.

A rule has two layers, kept apart:

* **legal facts** — the clause it comes from and a verbatim quote, amounts by
  category with their unit and qualifier, what an amount is per and how often
  (``recurrence``), the period, the payee, the conditions (each tied to a
  concept of the shared vocabulary, with thresholds and level minimums) — all
  data, proven against the text;
* **routing hints** (``Rule.hints``: keywords, category aliases, condition
  cues) — how users name the rule. Hints are derived from the text (the
  category labels, the level ladders, the concept vocabulary) and a curated
  rule may add to them; they never change what the rule says.

Rules come from two places. ``corpus/rules/*.yaml`` holds *curated* rules
(``reviewed: true``), written and proven by ``tests/unit/test_rule_catalogue.py``.
Every other quantified provision of every indexed document is *extracted* at
ingest (``ingest.provisions``) and turned into a rule here
(``rule_from_provision``, ``reviewed: false``); a curated rule on the same
clause and figures overlays the extracted one. An answer that relies on an
unreviewed rule says so.

Kinds of rule (what a calculator does with it):

* ``per_head``   — amount per person by category; result = Σ count × amount.
* ``monthly``    — amount per person per month, within ``period_months``.
* ``one_off``    — a fixed amount per person or per unit (cap or exact), × count.
* ``percentage`` — a rate applied to a base the user gives (抵免, a share of
  职工教育经费, an uplift over a standard the text does not state).
* ``target``     — a ratio target (技能人才占就业人员40%以上): needed = base × rate.
* ``eligibility``— conditions only; the outcome is a status, not a sum.
* ``lookup``     — a category maps to an outcome (竞赛类别 → 技能等级).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ingest.vocab import Level, vocabulary
from ingest.yamlio import load_yaml


def _level_of(words: str) -> Level | None:
    """The level a category names (国家级, 高级技师, 中职（中级工） → 中职), longest form first."""
    found = vocabulary().levels_in(words or "")
    if not found:
        return None
    return found[0][2]


RuleKind = Literal["per_head", "monthly", "one_off", "percentage", "target", "eligibility", "lookup", "unstated"]
Recurrence = Literal["none", "month", "year", "day"]
Payee = Literal[
    "enterprise",  # 企业
    "individual",  # 个人
    "enterprise_or_individual",  # 企业或者个人
    "institution",  # 院校、基地等机构
    "studio_leader",  # 技能大师工作室领办人
    "employer",  # 选手所在企业、院校
    "none",  # no money changes hands (eligibility, targets, credit lines)
    "unspecified",  # the text does not say who is paid
]
Qualifier = Literal["exact", "cap", "floor", "after_tax"]
ConditionType = Literal["boolean", "threshold", "enumeration"]

PAYEE_ZH: dict[str, str] = {
    "enterprise": "企业",
    "individual": "个人",
    "enterprise_or_individual": "企业或个人",
    "institution": "机构（院校、基地等）",
    "studio_leader": "工作室领办人",
    "employer": "选手所在企业、院校",
    "none": "—",
    "unspecified": "（文件未写明领取方）",
}
QUALIFIER_ZH: dict[str, str] = {
    "exact": "按标准",
    "cap": "最高（不超过）",
    "floor": "不少于（以上）",
    "after_tax": "税后",
}


class Amount(BaseModel):
    model_config = ConfigDict(frozen=True)

    category: str = Field(description="short category key, e.g. 中职, 高级技师, 国家级")
    label: str = Field("", description="as the text names it, e.g. 中职（中级工）")
    value: Decimal = Field(description="the number written in the quote, in `unit`")
    qualifier: Qualifier | None = Field(None, description="overrides the rule's qualifier for this amount")
    ladder: str = Field("", description="the level ladder of the category (admin, skill, school), derived")
    rank: int | None = Field(None, description="the category's rank on its ladder, derived")

    @model_validator(mode="after")
    def _level(self) -> Amount:
        if not self.ladder:
            level = _level_of(self.category) or _level_of(self.label)
            if level is not None:
                object.__setattr__(self, "ladder", level.ladder)
                object.__setattr__(self, "rank", level.rank)
        return self


# After a concept's words, another way of being what the condition names: 引进|和培养的, 就业|或创业的.
_ALTERNATIVE = re.compile(r"(?:和|或者|或|及|与)[\u4e00-\u9fff]{1,4}的")


class Condition(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(description="the condition in the document's words")
    type: ConditionType
    quote: str = Field(description="verbatim words of the clause that state the condition")
    question: str = Field(description="what to ask the user when this is unknown")
    min: Decimal | None = Field(None, description="threshold: smallest value that meets it (inclusive)")
    max: Decimal | None = Field(None, description="threshold: largest value that meets it (inclusive)")
    unit: str = ""
    options: list[str] = Field(default_factory=list, description="enumeration: accepted values")
    ladder: str = Field("", description="enumeration by level: the ladder (admin, skill, school)")
    min_rank: int | None = Field(None, description="enumeration by level: the lowest rank that meets it (市级及以上)")
    remedy: str = Field("", description="what would make it met, when the text says")
    concept: str = Field("", description="the vocabulary concept (社保, 合同, 户籍 …), derived from the words")
    subject: str = Field("", description="who counts (团队成员), when the words name it beside the concept")
    place_bound: bool = Field(False, description="本市/我市: met only where the document applies")
    employer_bound: bool = Field(False, description="与该企业: met only with the employer in question")
    area_bound: bool = Field(
        False, description="本辖区内: an area below the city (a district, a county) that a city alone does not settle"
    )

    @property
    def worded_negatively(self) -> bool:
        """在我市无住房: the condition is that its concept is absent — a user's 没房子 meets it."""
        vocab = vocabulary()
        concept = vocab.concept(self.concept) if self.concept else None
        if concept is None:
            return False
        for form in concept.forms:
            pos = self.label.find(form)
            if pos < 0:
                continue
            lead = self.label[max(0, pos - 3) : pos]
            return form.startswith(("无", "未", "没")) or any(lead.endswith(n) for n in vocab.negation_before)
        return False

    @model_validator(mode="after")
    def _derive(self) -> Condition:
        words = self.label + self.quote
        found = vocabulary().concepts_in(self.label) or vocabulary().concepts_in(self.quote)
        # One of alternatives (引进和培养的…人才: introduced or trained) is not a requirement of its own.
        text = self.label if vocabulary().concepts_in(self.label) else self.quote
        found = [f for f in found if not _ALTERNATIVE.match(text, f[1])]
        if not self.concept:
            main = [c for _, _, c, _ in found if not c.subject] or [c for _, _, c, _ in found]
            if main:
                object.__setattr__(self, "concept", main[0].name)
        if not self.subject:
            who = [c for _, _, c, _ in found if c.subject and c.name != self.concept]
            if who:
                object.__setattr__(self, "subject", who[0].name)
        if not self.place_bound and re.search(r"本市|我市|本地|本区|我区|本省|我省|在厦|来厦|在连|本州|我州", words):
            object.__setattr__(self, "place_bound", True)
        if not self.area_bound and re.search(r"辖区|该区|所在区|所在县", words):
            object.__setattr__(self, "area_bound", True)
        if not self.employer_bound and re.search(r"该企业|本企业|本单位|该单位", words):
            object.__setattr__(self, "employer_bound", True)
        if self.type == "enumeration" and self.min_rank is None and re.search(r"及以上|以上|不低于", self.label):
            levels = vocabulary().levels_in(self.label)
            if levels:
                object.__setattr__(self, "ladder", levels[0][2].ladder)
                object.__setattr__(self, "min_rank", levels[0][2].rank)
        return self


# A district or county named (在湖里区上班, 思明区的企业), or the condition's own 辖区: what settles a
# condition on an area below the city, which a city alone does not.
_AREA = re.compile(r"[\u4e00-\u9fff]{1,4}(?<![地社园小辖景片校专城山郊市灾某])(?:区|县)(?![域别分])|辖区")


def settles_area(cond: Condition, text: str) -> bool:
    """Whether words said of a fact settle the condition's area (本辖区内用人单位): always, unless the
    condition is on an area below the city and the words name none."""
    return not cond.area_bound or bool(_AREA.search(text))


class Limit(BaseModel):
    """A limit on the whole: 每家企业每年最高50万元 (total), 每人每年最高960元 (per_person), 每年最多5名 (count)."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["total", "per_person", "count"]
    value: Decimal
    unit: str = Field(description="元, 万元 or 人")
    period: Literal["", "year", "month"] = ""
    quote: str = Field("", description="the words of the limit, verbatim")

    def in_yuan(self) -> Decimal:
        return self.value * (10000 if self.unit.startswith("万") else 1)


class RuleHints(BaseModel):
    """How users name a rule: routing only, never a legal fact."""

    model_config = ConfigDict(frozen=True)

    keywords: list[str] = Field(default_factory=list, description="words that route a question to this rule")
    aliases: dict[str, list[str]] = Field(default_factory=dict, description="category → words users say for it")
    cues: dict[str, list[str]] = Field(default_factory=dict, description="condition id → words users say about it")


class Alternative(BaseModel):
    model_config = ConfigDict(frozen=True)

    when: str = Field(description="condition id this route replaces")
    text: str = Field(description="the alternative route, in the document's words")
    quote: str


class Rule(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9.-]*$")
    title: str
    city: str
    doc_id: str
    clause_id: str
    quote: str = Field(description="verbatim sentence(s) of the clause")
    kind: RuleKind
    payee: Payee
    payee_text: str = Field("", description="the payee as the text writes it (相应企业, 选手所在企业、院校)")
    unit: str = Field("", description="元/人, 元/人/年, 元/人/月, 元/家, 元, %, …")
    qualifier: Qualifier = "exact"
    recurrence: Recurrence | None = Field(None, description="month / year for recurring amounts; derived from the unit")
    period_months: int | None = Field(None, description="e.g. 保障期36个月; for a daily amount, the most days")
    limits: list[Limit] = Field(default_factory=list)
    installments: list[Decimal] = Field(default_factory=list, description="分3年按40%、30%、30%发放 → [40, 30, 30]")
    variant: str = Field("", description="the table column the amounts belong to (一般职业（工种）)")
    beneficiary: str = Field("", description="who the provision is for, as the text says")
    top_up: str = Field("", description="按差额补足: on promotion, the higher level's amount less what was paid")
    amounts: list[Amount] = Field(default_factory=list)
    rate: Decimal | None = Field(None, description="percentage/target: the rate in percent")
    rate_fraction: str = Field("", description="target given as a fraction, e.g. 1/3 (instead of rate)")
    uplift: bool = Field(False, description="percentage: the rate raises a base standard (base × (1 + rate))")
    base_label: str = Field("", description="percentage/target: what the rate applies to")
    deduction_label: str = Field("", description="percentage: what is taken off the base first (直接成本)")
    outcome: str = Field("", description="eligibility/lookup: what meeting the conditions gives")
    lookup: dict[str, str] = Field(default_factory=dict, description="lookup: category → outcome")
    conditions: list[Condition] = Field(default_factory=list)
    alternatives: list[Alternative] = Field(default_factory=list)
    notes: str = ""
    reviewed: bool = Field(True, description="curated and proven (true) or extracted at ingest (false)")
    vague: str = Field("", description="unstated: the words the text uses instead of a figure (一定, 按规定)")
    figureless: bool = Field(
        False, description="a benefit stated without a figure (视同…, 认定为…, 给予…补贴): no amount, ever"
    )
    hints: RuleHints = Field(default_factory=RuleHints)

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        if self.recurrence is None:
            unit = self.unit
            rec = (
                "month"
                if self.kind == "monthly" or unit.endswith("/月")
                else "year"
                if unit.endswith("/年")
                else "day"
                if unit.endswith("/天")
                else "none"
            )
            object.__setattr__(self, "recurrence", rec)
        if self.kind in ("per_head", "monthly", "one_off") and not self.amounts:
            raise ValueError(f"{self.id}: a {self.kind} rule needs amounts")
        if self.kind in ("percentage", "target") and self.rate is None and not self.rate_fraction:
            raise ValueError(f"{self.id}: a {self.kind} rule needs a rate")
        if self.kind == "monthly" and self.period_months is None and "月" not in self.unit:
            raise ValueError(f"{self.id}: a monthly rule needs 元/人/月 and usually a period")
        if self.kind == "lookup" and not self.lookup:
            raise ValueError(f"{self.id}: a lookup rule needs its lookup table")
        ids = [c.id for c in self.conditions]
        if len(ids) != len(set(ids)):
            raise ValueError(f"{self.id}: duplicate condition ids")
        for alt in self.alternatives:
            if alt.when not in ids:
                raise ValueError(f"{self.id}: alternative for unknown condition {alt.when!r}")
        return self

    @property
    def fraction(self) -> Fraction:
        """The rate as an exact fraction of the base (40% → 2/5, 1/3 → 1/3)."""
        if self.rate_fraction:
            return Fraction(self.rate_fraction)
        if self.rate is None:
            raise ValueError(f"{self.id} has no rate")
        return Fraction(self.rate) / 100

    def amount(self, category: str) -> Amount | None:
        """The amount for a category key, its label or any of its aliases."""
        for a in self.amounts:
            if category in (a.category, a.label) or category in self.hints.aliases.get(a.category, []):
                return a
        return None

    def forms(self, amount: Amount) -> list[str]:
        """Every way a category is written: key, label, curated aliases, and the words of its level."""
        out = [amount.category, amount.label, *self.hints.aliases.get(amount.category, [])]
        for name in (amount.category, amount.label):
            # 中职（中级工）: either name alone names it.
            m = re.fullmatch(r"(.+?)[（(](.+?)[）)]", name or "")
            if m:
                out += [m.group(1), m.group(2)]
        if amount.ladder and amount.rank is not None:
            level = next(
                (lv for lv in vocabulary().levels if lv.ladder == amount.ladder and lv.rank == amount.rank), None
            )
            if level is not None:
                out += list(level.forms)
        return [f for f in dict.fromkeys(out) if f]

    @property
    def keywords(self) -> list[str]:
        return self.hints.keywords

    def condition(self, condition_id: str) -> Condition | None:
        return next((c for c in self.conditions if c.id == condition_id), None)


class NonBenefitFigure(BaseModel):
    """A money amount or percentage in the corpus that is not a benefit (a target, a count)."""

    model_config = ConfigDict(frozen=True)

    clause_id: str
    figure: str = Field(description="as written, e.g. 40%, 1/3, 1000人")
    reason: str


class _RuleFile(BaseModel):
    rules: list[Rule] = Field(default_factory=list)
    non_benefit_figures: list[NonBenefitFigure] = Field(default_factory=list)


class CatalogueError(Exception):
    """The rule catalogue cannot be loaded; the message names the file and the problem."""


class Catalogue:
    def __init__(self, rules: list[Rule], figures: list[NonBenefitFigure]):
        self.rules = rules
        self.figures = figures
        self._by_id = {r.id: r for r in rules}

    @classmethod
    def load(cls, directory: Path) -> Catalogue:
        rules: list[Rule] = []
        figures: list[NonBenefitFigure] = []
        files = sorted(directory.glob("*.yaml"))
        if not files:
            raise CatalogueError(f"{directory}: no rule files (*.yaml)")
        for path in files:
            try:
                parsed = _RuleFile.model_validate(load_yaml(path.read_text(encoding="utf-8")) or {})
            except (yaml.YAMLError, ValidationError) as exc:
                raise CatalogueError(f"{path}: {exc}") from exc
            rules.extend(parsed.rules)
            figures.extend(parsed.non_benefit_figures)
        ids = [r.id for r in rules]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise CatalogueError(f"duplicate rule ids: {', '.join(dupes)}")
        return cls(rules, figures)

    def get(self, rule_id: str) -> Rule | None:
        return self._by_id.get(rule_id)

    def without_documents(self, doc_ids: Iterable[str]) -> Catalogue:
        """The catalogue without the rules and figures of these documents (their extraction then answers alone)."""
        drop = set(doc_ids)
        if not drop:
            return self
        return Catalogue(
            [r for r in self.rules if r.doc_id not in drop],
            [f for f in self.figures if f.clause_id.split("/", 1)[0] not in drop],
        )

    def for_city(self, city: str | None) -> list[Rule]:
        return [r for r in self.rules if city is None or r.city == city]
