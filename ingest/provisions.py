"""Quantified provisions, extracted from clause text at ingest — no hand-written rule.

A *provision* is one statement of a benefit (or a figure) in a clause: its
amounts with their unit and what each is per, its categories in the order the
text lists them, its qualifier (最高 / 不超过 / 不少于 / 税后 / 提高 …), its payee,
its period, its conditions, and the verbatim span of every part. Extraction is
deterministic and works on the shapes of Chinese policy prose, not on any one
document:

* categories with their amounts inline — ``按照高级技师每人2000元、技师每人1000元``,
  ``补贴标准为市级竞赛每人1500元、省级竞赛每人2000元``, ``按中职（中级工）3000元/人``;
* categories listed apart from the amounts — ``对应领军人才、高端人才和青年才俊给予
  每人每月3000元、2000元、1000元``, ``新增2家A、5家B…分别给予每家最高700万元、300万元``;
* a single amount with no category — ``给予每人每月4000元薪酬补贴，保障期36个月``;
* rates — ``按投资额的30%抵免``, ``按不超过60%的比例提取`` (after ``扣除直接成本``),
  uplifts ``在补贴标准基础上再提高30%``, targets ``占…的比例达到40%以上``;
* benefits without a figure — ``给予一定租金补贴``, ``按规定给予资金补助`` — kept as
  provisions that state no figure, so the answer can say so;
* benefits stated with no figure at all (``对…的，可视同…`` / ``…的，给予…``) — ``benefits()``, read from
  a clause's text where the rules are built (``app.tools.extracted.figureless_rules``), not stored;
* conditions — the ``对…的`` / ``…的，给予`` phrase split into atomic conditions
  (并 / 、 / 且), each tied to a concept of the shared vocabulary, with
  thresholds (1个月以上, 35周岁以下) and level minimums (市级及以上).

Provisions are stored with their clause (``Clause.provisions``) and re-extracted
whenever the document's fingerprint changes (``EXTRACTOR_VERSION`` is part of it).
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ingest.vocab import vocabulary

EXTRACTOR_VERSION = "15"

ProvisionKind = Literal[
    "per_head",
    "monthly",
    "per_year",
    "per_day",
    "one_off",
    "percentage",
    "uplift",
    "target",
    "unstated",
    "figure",
    "benefit",
]
QualifierKind = Literal["exact", "cap", "floor", "after_tax"]


class Part(BaseModel):
    """A verbatim span of the clause text."""

    model_config = ConfigDict(frozen=True)

    text: str
    start: int
    end: int


class ProvisionAmount(BaseModel):
    model_config = ConfigDict(frozen=True)

    category: str = Field("", description="key: the level (市级, 高级技师) or the label; empty for a single amount")
    label: str = Field("", description="the category as the text writes it")
    value: Decimal
    unit: str = Field(description="元, 万元, %")
    qualifier: QualifierKind | None = None
    ladder: str = ""
    rank: int | None = None
    span: Part
    label_span: Part | None = None


class ProvisionCondition(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    concept: str = ""
    type: Literal["boolean", "threshold", "enumeration"] = "boolean"
    min: Decimal | None = None
    max: Decimal | None = None
    unit: str = ""
    ladder: str = ""
    min_rank: int | None = None
    place_bound: bool = Field(False, description="本市 / 我市 / 本地: the document's own place")
    span: Part


class ProvisionLimit(BaseModel):
    """A limit on what a provision pays in all: 每家企业每年最高50万元, 每人每年最高960元, 每年最多带5名."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["total", "per_person", "count"]
    value: Decimal
    unit: str = Field(description="元, 万元, or 人 for a count")
    period: Literal["", "year", "month"] = ""
    span: Part


class Provision(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    clause_id: str
    doc_id: str
    sentence: Part = Field(description="the sentence that states the provision, verbatim")
    kind: ProvisionKind
    subject: str = Field("", description="what is given: 津贴, 带徒补贴, 建设补助资金")
    per: str = Field("", description="what an amount is per: 人, 家, 个, 人次, 课时; empty when not said")
    recurrence: Literal["none", "month", "year", "day"] = "none"
    one_off: bool = Field(False, description="一次性")
    amounts: list[ProvisionAmount] = Field(default_factory=list)
    qualifier: QualifierKind = "exact"
    rate: Decimal | None = Field(None, description="percent, for percentage / uplift / target")
    rate_fraction: str = Field("", description="a target written as a fraction: 1/3")
    base_label: str = ""
    deduction_label: str = ""
    payee: str = Field("", description="the payee as the text writes it: 企业, 领办人, 选手所在企业、院校")
    period_months: int | None = None
    period: Part | None = None
    conditions: list[ProvisionCondition] = Field(default_factory=list)
    vague: str = Field("", description="the wording used instead of a figure (一定, 按规定)")
    limits: list[ProvisionLimit] = Field(default_factory=list)
    installments: list[Decimal] = Field(default_factory=list, description="分3年按40%、30%、30%发放 → [40, 30, 30]")
    variant: str = Field("", description="a table column the amounts belong to (一般职业（工种）)")
    beneficiary: str = Field("", description="who the provision is for, as the text says (技工院校毕业生)")
    top_up: str = Field(
        "",
        description="已获资助的晋升等级的，按差额补足: the words, verbatim; the higher level's amount less what was paid",
    )


# ---------------------------------------------------------------------------------------------- patterns

_SENTENCE = re.compile(r"[^。；;！!？?\n]+[。；;！!？?\n]?")
_AMOUNT = re.compile(r"(?<![\d.／/])(\d+(?:\.\d+)?)\s*(万元|元|万(?![人])|%|％)")
_FRACTION = re.compile(r"(?<![\d/])(\d+)\s*/\s*(\d+)(?![\d/])")
_PERIOD = re.compile(
    r"(?:保障期|补贴期限|享受期限|补贴期|享受期|期限为|期限|有效期|聘期|管理期|任期)\s*(?:最长|最多)?\s*(?:为|是)?\s*(?:不超过)?\s*(\d+)\s*(个月|年|天)"
    r"|(?:最长|最多|累计)(?:不超过|补贴|享受)?\s*(\d+)\s*(个月|年|天)"
    r"|(\d+|[一二两三四五六七八九十]+)\s*年(?:内|管理期)"
)
_CAP = re.compile(r"最高|不超过|不高于|上限|封顶|最多")
_FLOOR = re.compile(r"不少于|不低于|至少|以上")
_AFTER_TAX = re.compile(r"税后")
_ONE_OFF = re.compile(r"一次性")
_UPLIFT = re.compile(r"(?:提高|上浮|增加|提升|上调)\s*$")
_GIVE = re.compile(r"给予|发放|享受|奖励|资助|补贴|补助|奖补|支持")
_VAGUE = re.compile(
    r"给予一定(?:的)?[\u4e00-\u9fff]{0,6}|一定(?:的)?(?:租金)?(?:补贴|比例|支持|奖补|补助|资助)|按规定给予[\u4e00-\u9fff]{0,8}|"
    r"给予资金补助|给予(?:适当|相应)(?:的)?(?:补贴|补助|奖励|支持)|探索给予|予以补贴|予以奖励|予以激励|相关标准|参照[\u4e00-\u9fff]{0,20}标准"
)
_BENEFIT_NOUN = re.compile(
    r"(?:[\u4e00-\u9fff]{0,6})(?:补贴|补助|津贴|奖励|资助|安家费|奖金|补助资金|建设资金|资金补助|经费|授信额度|薪酬补贴|工作资助|奖补|扶持资金|支持资金)"
)
_PER = re.compile(
    r"每人每月|每人每年|每名每月|每人每天|每人每日|每人每学时|每人每课时|每人|每名|每家|每个|每所|每项|每课时|每学时|每人次|每次|每年|每月|每天|每日|"
    r"/人/月|/人/年|/人/天|/人|/家|/个|/天"
)
_CN_NUM = re.compile(r"^[一二两三四五六七八九十]+$")
_LIST_ITEM_SEP = re.compile(r"、|和|及|与|以及")
_COUNT_PREFIX = re.compile(r"^(?:\d+|[一二两三四五六七八九十]+)\s*(?:家|个|名|所|项|人)")
_LABEL_NOISE = re.compile(
    r"^(?:[,，、:：\s]|按照|按|为|给予|对|分别|补贴标准为|标准为|奖励标准为|其中|新增|新建|和|及|与)+|"
    r"(?:每人每月|每人每年|每人|每名|每家|每个|最高|不超过|不少于|不低于|分别|按照|给予|标准|的)+$"
)
_NON_MONEY_UNITS = re.compile(r"万人|人次|万人次|家|个|名|所|项|人")


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _cn_int(text: str) -> int | None:
    import cn2an

    try:
        return int(cn2an.cn2an(text, "smart"))
    except (ValueError, KeyError):
        return None


def provision_id(doc_id: str, clause_id: str, k: int) -> str:
    digest = hashlib.sha1(clause_id.encode("utf-8")).hexdigest()[:8]
    return f"auto.{doc_id}.{digest}-{k}"


# ---------------------------------------------------------------------------------------------- entry


def with_provisions(clauses: list[Any]) -> list[Any]:
    """The clauses with their provisions attached (what the pipeline stores).

    A web page often states one provision across a section of "key：value" clauses — 补贴标准 with
    the amounts, 申报条件 with the conditions, 发放对象 with the payee, the section heading with its
    name — so each provision is completed from its section's sibling clauses.
    """
    out = [
        c.model_copy(update={"provisions": extract(c.text, clause_id=c.clause_id, doc_id=c.doc_id)}) for c in clauses
    ]
    sections: dict[tuple[str, ...], list[int]] = {}
    for k, c in enumerate(out):
        if len(c.heading_path) >= 2:
            sections.setdefault(tuple(c.heading_path[:-1]), []).append(k)
    for heads, members in sections.items():
        siblings = [out[k] for k in members]
        for k in members:
            c = out[k]
            if not c.provisions:
                continue
            out[k] = c.model_copy(update={"provisions": [_with_section(p, c, siblings, heads) for p in c.provisions]})
    _limits_across_clauses(out, sections)
    _periods_across_clauses(out, sections)
    _requirements_of_the_document(out)
    _questions_name_their_answers(out)
    return out


def _questions_name_their_answers(out: list[Any]) -> None:
    """A Q&A clause's provision is named by its question (问：园区技能人才安居补贴的标准是多少？)."""
    for k, c in enumerate(out):
        if c.kind != "qa" or not c.provisions:
            continue
        m = _BENEFIT_NOUN.search(c.title or "")
        if not m:
            continue
        name = _clean_subject(m.group(0))
        provs = [
            p.model_copy(update={"subject": name})
            if not p.subject or p.subject in ("补贴", "奖励", "资助", "补助", "津贴")
            else p
            for p in c.provisions
        ]
        out[k] = c.model_copy(update={"provisions": provs})


def _limits_across_clauses(out: list[Any], sections: dict[tuple[str, ...], list[int]]) -> None:
    """2. 每家企业每年享受培养补贴最高不超过20万元。 — a clause that only limits the provision of the clause
    before it in the same section."""
    for members in sections.values():
        for i in range(1, len(members)):
            k, prev_k = members[i], members[i - 1]
            c, prev = out[k], out[prev_k]
            if len(c.provisions) != 1 or not prev.provisions:
                continue
            p = c.provisions[0]
            if not p.amounts or len(p.amounts) != 1 or p.amounts[0].unit == "%":
                continue
            at = p.amounts[0].span.start
            if not _LIMIT_LEAD.search(c.text[max(0, at - 24) : at]):
                continue
            target = next((q for q in reversed(prev.provisions) if q.kind in _MONEY_KINDS), None)
            if target is None:
                continue
            lead = c.text[max(0, at - 24) : at]
            limit = ProvisionLimit(
                kind="per_person" if re.search(r"每(?:人|名)", lead) else "total",
                value=p.amounts[0].value,
                unit=p.amounts[0].unit,
                period="year" if "每年" in lead else "month" if "每月" in lead else "",
                span=Part(text=c.text[max(0, at - 24) : p.amounts[0].span.end], start=-1, end=-1),
            )
            provs = [q.model_copy(update={"limits": [*q.limits, limit]}) if q is target else q for q in prev.provisions]
            out[prev_k] = prev.model_copy(update={"provisions": provs})
            out[k] = c.model_copy(update={"provisions": []})


def _periods_across_clauses(out: list[Any], sections: dict[tuple[str, ...], list[int]]) -> None:
    """2. 补助期限按协议约定计算，最长不超过24个月。 — a clause with no figure of its own that states how long
    the recurring provision of the clause before it (same section) is paid."""
    for members in sections.values():
        for i in range(1, len(members)):
            k, prev_k = members[i], members[i - 1]
            c, prev = out[k], out[prev_k]
            if c.provisions or not prev.provisions or _AMOUNT.search(c.text):
                continue
            targets = [q for q in prev.provisions if q.recurrence in ("month", "year") and q.period_months is None]
            if len(targets) != 1:
                continue
            months, where = _period(c.text)
            if months is None or where is None:
                continue
            period = Part(text=where[0], start=-1, end=-1)
            provs = [
                q.model_copy(update={"period_months": months, "period": period}) if q is targets[0] else q
                for q in prev.provisions
            ]
            out[prev_k] = prev.model_copy(update={"provisions": provs})


_REQUIREMENT_HEADING = re.compile(r"申领条件|申报条件|申请条件|享受条件|申领要求|申报要求|补贴条件|基本条件")


def _requirements_of_the_document(out: list[Any]) -> None:
    """Clauses under a heading like 三、申领要求 state conditions of the document's benefits: each money
    provision without conditions of its own gets them."""
    requirements: list[ProvisionCondition] = []
    # A section's own 申报条件 line belongs to that section's provision (see _with_section): only a
    # part of the document that states requirements and no amounts of its own speaks for all of it.
    with_money = {tuple(c.heading_path[:-1]) for c in out if any(p.kind in _MONEY_KINDS for p in c.provisions)}
    for c in out:
        own_section = tuple(c.heading_path[:-1])
        if (any(_REQUIREMENT_HEADING.search(h) for h in c.heading_path[:-1]) and own_section not in with_money) or (
            len(c.heading_path) == 1 and _REQUIREMENT_HEADING.search(c.heading_path[0]) and c.kind == "clause"
        ):
            body = re.sub(r"^[（(][一二三四五六七八九十\d]+[）)]\s*", "", c.text)
            requirements += [r for r in requirement_conditions(c.text, body) if r.concept and r.type == "threshold"]
    if not requirements:
        return
    for k, c in enumerate(out):
        if not c.provisions:
            continue
        provs = [
            p.model_copy(update={"conditions": requirements}) if p.kind in _MONEY_KINDS and not p.conditions else p
            for p in c.provisions
        ]
        out[k] = c.model_copy(update={"provisions": provs})


_CONDITION_KEYS = re.compile(r"申报条件|申请条件|享受条件|补贴条件|申领条件|发放条件|条件")
_WHO_KEYS = re.compile(r"申报对象|补贴对象|申请对象|适用对象|享受对象|对象")
_PAYEE_KEYS = re.compile(r"发放对象|领取对象|受益对象|补贴发放|拨付对象")


def _with_section(p: Provision, clause: Any, siblings: list[Any], heads: tuple[str, ...]) -> Provision:
    update: dict[str, Any] = {}
    name = (
        re.sub(r"^[一二三四五六七八九十\d]+[、.．]\s*|^[（(][一二三四五六七八九十\d]+[）)]\s*", "", heads[-1])
        if heads
        else ""
    )
    if name and (not p.subject or p.subject in ("补贴", "奖励", "资助", "补助", "津贴")) and _BENEFIT_NOUN.search(name):
        update["subject"] = name
    for sib in siblings:
        if sib.clause_id == clause.clause_id:
            continue
        title = sib.title or ""
        body = sib.text.split("：", 1)[-1] if "：" in sib.text[:12] else sib.text
        if _PAYEE_KEYS.search(title) and not p.payee:
            update["payee"] = re.split(r"[，,。；;]", body)[0].strip()
        elif _CONDITION_KEYS.search(title) and not p.conditions:
            update["conditions"] = requirement_conditions(sib.text, body)
        elif _WHO_KEYS.search(title) and not p.beneficiary:
            update["beneficiary"] = re.split(r"[。；;]", body)[0].strip()
    return p.model_copy(update=update) if update else p


def requirement_conditions(text: str, body: str) -> list[ProvisionCondition]:
    """Conditions written as a requirement (申报条件：与企业签订1年以上劳动合同，…考核合格…)."""
    offset = text.index(body) if body in text else 0
    out = []
    pos = 0
    for piece in re.split(r"([，,；;。]|并且|并|且)", body):
        if not piece or re.fullmatch(r"[，,；;。]|并且|并|且", piece):
            pos += len(piece)
            continue
        words = piece.strip()
        start = offset + pos + piece.find(words)
        pos += len(piece)
        if len(words) < 3:
            continue
        concepts = vocabulary().concepts_in(words)
        th0 = _THRESHOLD.search(words)
        unit0 = (
            {"个月": "个月", "年": "个月", "学时": "学时", "课时": "学时", "周岁": "岁", "岁": "岁"}.get(
                th0.group(2), ""
            )
            if th0
            else ""
        )
        # A threshold belongs to the concept measured in its unit (失业保险…满12个月, not 证书).
        chosen = next((c for c in concepts if unit0 and c[2].unit == unit0), concepts[0] if concepts else None)
        cond = ProvisionCondition(
            text=words,
            concept=chosen[2].name if chosen else "",
            place_bound=bool(re.search(r"本市|我市|本地|本区|我区|在[\u4e00-\u9fff]{1,3}(?:工作|就业|缴纳)", words)),
            span=Part(text=words, start=start, end=start + len(words)),
        )
        th = _THRESHOLD.search(words)
        if th:
            value = Decimal(th.group(1))
            unit = {"个月": "个月", "学时": "学时", "课时": "学时"}.get(
                th.group(2), "岁" if "岁" in th.group(2) else "年"
            )
            bound = th.group(3) or ""
            upd: dict[str, Any] = {"type": "threshold", "unit": unit}
            upd["max" if ("以下" in bound or "以内" in bound) else "min"] = value
            cond = cond.model_copy(update=upd)
        out.append(cond)
    return out


def extract(text: str, *, clause_id: str, doc_id: str) -> list[Provision]:
    """Every provision of one clause, in text order."""
    found: list[Provision] = _table_provisions(text)
    table = _table_region(text)
    for m in _SENTENCE.finditer(text):
        sentence = m.group(0)
        if not sentence.strip() or (table is not None and table[0] <= m.start() < table[1]):
            continue
        found += _sentence_provisions(text, m.start(), sentence)
    found = _refine(found, text)
    found = _top_up(found, text)
    return [
        p.model_copy(update={"id": provision_id(doc_id, clause_id, k), "clause_id": clause_id, "doc_id": doc_id})
        for k, p in enumerate(found, 1)
    ]


# ---------------------------------------------------------------------------------------------- refinement

_TOP_UP = re.compile(
    r"[^。；;，,]*(?:晋升|升级|提升|升格)[^。；;]{0,12}?(?:按|给予|予以)?(?:差额补足|补足差额|补齐差额|差额补齐)"
)


def _top_up(provs: list[Provision], text: str) -> list[Provision]:
    """已获资助的工作室晋升等级的，按差额补足: the money provision of levels before it pays, on promotion, the
    higher level's amount less what was already paid."""
    m = _TOP_UP.search(text)
    if not m:
        return provs
    levelled = [p for p in provs if p.kind in _MONEY_KINDS and len(p.amounts) > 1 and p.sentence.start < m.start()]
    if not levelled:
        return provs
    target = levelled[-1]
    words = m.group(0).strip("，, ")
    return [p.model_copy(update={"top_up": words}) if p is target else p for p in provs]


_LIMIT_LEAD = re.compile(
    r"每(?:家|个|户|所)?(?:企业|单位|机构|用人单位)?每年(?:享受)?(?:[\u4e00-\u9fff]{0,6}?)(?:总额)?(?:最高|最多|不超过|上限)(?:不超过)?\s*$"
    r"|每(?:人|名)(?:[\u4e00-\u9fff]{0,4}?)每(?:年|月)(?:[\u4e00-\u9fff]{0,4}?)(?:最高|最多|不超过)(?:不超过)?\s*$"
    r"|每(?:人|名)(?:最高|最多)(?:不超过)?\s*$"
)
_COUNT_LIMIT = re.compile(
    r"每(?:家|个)?(?:企业|单位|名师傅|师傅)?每年(?:补贴人数|补贴|带徒|最多带|享受)?[^，。；\d]{0,14}?(?:不超过|最多|最高)\s*(\d+)\s*(?:名|人)"
)
_INSTALMENTS = re.compile(r"分\s*(\d+|[一二两三四五六七八九十])\s*年[^。；]{0,8}?按\s*((?:\d+(?:\.\d+)?%、?){2,})")
_PAYMENT = re.compile(r"预拨|拨付|先行拨付|分期|兑现")
_MONEY_KINDS = ("per_head", "monthly", "per_year", "per_day", "one_off")


def _refine(provs: list[Provision], text: str) -> list[Provision]:
    """Turn limits, instalments and payment schedules into parts of the provision they qualify; merge
    parallel single amounts (技师每人每月1500元，高级技师每人每月2500元) into one provision."""
    out: list[Provision] = []
    for p in provs:
        at = p.amounts[0].span.start if p.amounts else p.sentence.start
        lead = text[max(p.sentence.start, at - 24) : at]
        money = [q for q in out if q.kind in _MONEY_KINDS]
        # 每家企业每年补贴总额最高不超过50万元 / 每人每年最高不超过960元: a limit on the provision before it.
        if money and p.amounts and p.amounts[0].unit != "%" and len(p.amounts) == 1 and _LIMIT_LEAD.search(lead):
            prev = money[-1]
            kind = "per_person" if re.search(r"每(?:人|名)", lead) else "total"
            period = "year" if "每年" in lead else "month" if "每月" in lead else ""
            a = p.amounts[0]
            limit = ProvisionLimit(kind=kind, value=a.value, unit=a.unit, period=period, span=a.span)  # type: ignore[arg-type]
            out[out.index(prev)] = prev.model_copy(update={"limits": [*prev.limits, limit]})
            continue
        # 按实际发放额的50%给予补助，每名师傅每月补助不超过500元 / 按培训费用的50%补贴，每人最高不超过800元:
        # a cap on what the rate gives each person, per month when it says so — part of the rate's provision.
        rated = [q for q in out if q.kind == "percentage" and q.rate is not None and q.base_label]
        if (
            rated
            and (not money or out.index(rated[-1]) > out.index(money[-1]))
            and p.sentence.start == rated[-1].sentence.start
            and p.amounts
            and p.amounts[0].unit != "%"
            and len(p.amounts) == 1
            and _LIMIT_LEAD.search(lead)
            and re.search(r"每(?:人|名)", lead)
        ):
            prev = rated[-1]
            period = "month" if "每月" in lead else "year" if "每年" in lead else ""
            a = p.amounts[0]
            limit = ProvisionLimit(kind="per_person", value=a.value, unit=a.unit, period=period, span=a.span)  # type: ignore[arg-type]
            update: dict[str, Any] = {"limits": [*prev.limits, limit]}
            if period == "month":
                update["recurrence"] = "month"
            out[out.index(prev)] = prev.model_copy(update=update)
            continue
        # 分3年按40%、30%、30%的比例发放: instalments of the provision before it.
        inst = _INSTALMENTS.search(p.sentence.text)
        if p.kind == "percentage" and money and inst:
            shares = [Decimal(x) for x in re.findall(r"\d+(?:\.\d+)?", inst.group(2))]
            prev = money[-1]
            out[out.index(prev)] = prev.model_copy(update={"installments": shares})
            continue
        if p.kind == "percentage" and not p.base_label and _PAYMENT.search(p.sentence.text):
            continue  # 预拨不超过50%的补贴资金: when the money is paid, not how much
        out.append(p)
    out = _merge_parallel(out, text)
    # Counts capped per year and periods said anywhere in the clause (最长不超过24个月, 聘期3年) belong to
    # the money provisions of the clause.
    for k, p in enumerate(out):
        if p.kind not in _MONEY_KINDS and not (p.kind == "percentage" and p.recurrence == "month"):
            continue
        update = {}
        for m in _COUNT_LIMIT.finditer(text):
            if m.start() >= p.sentence.start and not any(lim.kind == "count" for lim in p.limits):
                span = Part(text=m.group(0), start=m.start(), end=m.end())
                count = ProvisionLimit(kind="count", value=Decimal(m.group(1)), unit="人", period="year", span=span)
                update["limits"] = [*p.limits, count]
                break
        if p.recurrence in ("month", "year") and p.period_months is None:
            months, where = _period(text[p.sentence.start :])
            if months is not None and where is not None:
                start = p.sentence.start + where[1]
                update["period_months"] = months
                update["period"] = Part(text=where[0], start=start, end=start + len(where[0]))
        if p.recurrence == "day" and p.period_months is None:
            days = period_days(text[p.sentence.start :])
            if days is not None:
                update["period_months"] = days  # for a daily amount: the most days
        if update:
            out[k] = p.model_copy(update=update)
    return out


def _merge_parallel(provs: list[Provision], text: str) -> list[Provision]:
    """Consecutive single amounts of the same kind, each for its own level or class, are one provision."""
    out: list[Provision] = []
    for p in provs:
        prev = out[-1] if out else None
        if (
            prev is not None
            and p.kind == prev.kind
            and p.kind in _MONEY_KINDS
            and p.amounts
            and prev.amounts
            and len(p.amounts) == 1
            and p.amounts[0].unit == prev.amounts[-1].unit
            and p.per == prev.per
            and p.recurrence == prev.recurrence
            and p.amounts[0].span.start - prev.amounts[-1].span.end <= 60
        ):
            if p.amounts[0].category and all(a.category for a in prev.amounts):
                # 技师每人每月1500元，高级技师每人每月2500元: each already names its category.
                if p.amounts[0].category not in [a.category for a in prev.amounts]:
                    sentence = Part(
                        text=text[prev.sentence.start : p.sentence.end], start=prev.sentence.start, end=p.sentence.end
                    )
                    out[-1] = prev.model_copy(
                        update={
                            "amounts": [*prev.amounts, p.amounts[0]],
                            "sentence": sentence,
                            "period_months": prev.period_months or p.period_months,
                            "period": prev.period or p.period,
                        }
                    )
                    continue
                out.append(p)
                continue
            if p.amounts[0].category:
                out.append(p)
                continue
            mine = _distinguishing_level(text[prev.amounts[-1].span.end : p.amounts[0].span.start])
            theirs = [a.category for a in prev.amounts]
            if len(prev.amounts) == 1 and not prev.amounts[0].category:
                first = _distinguishing_level(
                    text[max(prev.sentence.start, prev.amounts[0].span.start - 40) : prev.amounts[0].span.start]
                )
                theirs = [first[0]] if first else []
                if first:
                    a0 = prev.amounts[0].model_copy(update={"category": first[0], "label": first[1]})
                    prev = prev.model_copy(update={"amounts": [a0]})
            if mine and theirs and mine[0] not in theirs:
                amount = p.amounts[0].model_copy(update={"category": mine[0], "label": mine[1]})
                sentence = Part(
                    text=text[prev.sentence.start : p.sentence.end], start=prev.sentence.start, end=p.sentence.end
                )
                out[-1] = prev.model_copy(
                    update={
                        "amounts": [*prev.amounts, amount],
                        "sentence": sentence,
                        "period_months": prev.period_months or p.period_months,
                        "period": prev.period or p.period,
                        "limits": [*prev.limits, *p.limits],
                        "conditions": [
                            c
                            for c in prev.conditions
                            if any(c.concept and c.concept == d.concept for d in p.conditions)
                        ],
                    }
                )
                continue
        out.append(p)
    return out


def _distinguishing_level(words: str) -> tuple[str, str] | None:
    """The last level named in ``words`` (its ladder name and its words): 高级技师, 预备技师（技师）班."""
    found = vocabulary().levels_in(words)
    if not found:
        return None
    s, e, lv = found[-1]
    label = words[s:e]
    tail = re.match(r"[（(][^）)]{1,6}[）)]\s*班|班", words[e:])
    if tail:
        label += tail.group(0)
    return lv.level, label


# ---------------------------------------------------------------------------------------------- tables


def _table_blocks(text: str) -> list[tuple[int, int, list[str]]]:
    """Tab-indented cell lines, a blank line between rows: (start, end, cells) per row."""
    rows = []
    for m in re.finditer(r"((?:^\t[^\n]*\n?)+)", text, re.M):
        cells = [c.strip() for c in m.group(1).split("\n") if c.strip()]
        if cells:
            rows.append((m.start(), m.end(), cells))
    return rows


def _table_region(text: str) -> tuple[int, int] | None:
    rows = _table_blocks(text)
    if len(rows) < 2 or not any(_AMOUNT.search(" ".join(r[2])) for r in rows):
        return None
    return rows[0][0], rows[-1][1]


def _table_provisions(text: str) -> list[Provision]:
    """A standard table (header row, then a label and one amount per column): one provision per column,
    each with a category per row."""
    rows = _table_blocks(text)
    if len(rows) < 2:
        return []
    header = rows[0][2]
    if _AMOUNT.search(" ".join(header)) or len(header) < 2:
        return []
    data = [r for r in rows[1:] if len(r[2]) == len(header) and all(_AMOUNT.search(c) for c in r[2][1:])]
    if not data:
        return []
    out = []
    start, end = rows[0][0], data[-1][1]
    lead = text[max(0, start - 200) : start]
    subject = _subject(lead, len(lead)) or "补贴"
    for col in range(1, len(header)):
        amounts = []
        for r_start, _, cells in data:
            cell = cells[col]
            m = _AMOUNT.search(cell)
            if m is None:
                continue
            pos = text.index(cell, r_start) + m.start()
            label = cells[0]
            levels = vocabulary().levels_in(label)
            lv = max(levels, key=lambda x: x[1] - x[0])[2] if levels else None
            amounts.append(
                ProvisionAmount(
                    category=lv.level if lv else label,
                    label=label,
                    value=Decimal(m.group(1)),
                    unit="万元" if m.group(2).startswith("万") else "元",
                    ladder=lv.ladder if lv else "",
                    rank=lv.rank if lv else None,
                    span=Part(text=m.group(0), start=pos, end=pos + len(m.group(0))),
                )
            )
        per, recurrence = _per(" ".join(c for _, _, cs in data for c in cs[1:]))
        out.append(
            Provision(
                id="",
                clause_id="",
                doc_id="",
                sentence=Part(text=text[start:end], start=start, end=end),
                kind="per_head" if per == "人" else "one_off",
                subject=subject,
                per=per,
                recurrence=recurrence if recurrence != "none" else "none",
                amounts=amounts,
                variant=header[col],
            )
        )
    return out


def _sentence_provisions(text: str, offset: int, sentence: str) -> list[Provision]:
    """A sentence can hold several provisions (…给予…；…给予…): one per amount run."""
    amounts = [m for m in _AMOUNT.finditer(sentence) if not _is_count_like(sentence, m)]
    provisions: list[Provision] = []
    runs = _runs(sentence, amounts)
    for run in runs:
        p = _from_run(text, offset, sentence, run, runs)
        if p is not None:
            provisions.append(p)
    if not runs:
        vague = _VAGUE.search(sentence)
        fraction = _FRACTION.search(sentence)
        ratio = _RATIO.search(sentence)
        if ratio and _decimal(ratio.group(1)) and _BENEFIT_NOUN.search(sentence[ratio.end() :]):
            provisions.append(_matching_ratio(text, offset, sentence, ratio))
        elif fraction and re.search(r"比例|占", sentence):
            provisions.append(_target_fraction(text, offset, sentence, fraction))
        elif vague and _BENEFIT_NOUN.search(sentence):
            provisions.append(
                Provision(
                    id="",
                    clause_id="",
                    doc_id="",
                    sentence=_part(text, offset, sentence, 0, len(sentence)),
                    kind="unstated",
                    subject=_subject(sentence, len(sentence)),
                    payee=_payee(sentence, 0, len(sentence)),
                    vague=vague.group(0),
                    period_months=_period(sentence)[0],
                    conditions=_conditions(text, offset, sentence, vague.start()),
                )
            )
    return provisions


def _is_count_like(sentence: str, m: re.Match[str]) -> bool:
    """万 followed by 人 / 人次 is a head count (培养1万人以上), not money."""
    return m.group(2) == "万" and bool(re.match(r"\s*(?:人|名|人次)", sentence[m.end() : m.end() + 3]))


def _runs(sentence: str, amounts: list[re.Match[str]]) -> list[list[re.Match[str]]]:
    """Amounts joined by 、 / 和 / short category phrases belong together; a verb or a clause break
    with a new 给予 starts a new run."""
    runs: list[list[re.Match[str]]] = []
    for m in amounts:
        if runs:
            prev = runs[-1][-1]
            between = sentence[prev.end() : m.start()]
            same_unit = _unit_kind(prev.group(2)) == _unit_kind(m.group(2))
            joined = len(between) <= 16 and not re.search(r"[，,；;。]|给予|奖励|补贴|补助|资金|津贴", between)
            if same_unit and joined:
                runs[-1].append(m)
                continue
        runs.append([m])
    return runs


def _unit_kind(unit: str) -> str:
    return "%" if unit in ("%", "％") else "money"


def _part(text: str, offset: int, sentence: str, start: int, end: int) -> Part:
    return Part(text=sentence[start:end], start=offset + start, end=offset + end)


def _from_run(text: str, offset: int, sentence: str, run: list[re.Match[str]], runs: list) -> Provision | None:
    first, last = run[0], run[-1]
    unit = "%" if run[0].group(2) in ("%", "％") else ("万元" if run[0].group(2).startswith("万") else "元")
    # The words of this provision: from the end of the previous run (or the sentence start) to the next run.
    k = runs.index(run)
    lo = runs[k - 1][-1].end() if k > 0 else 0
    hi = runs[k + 1][0].start() if k + 1 < len(runs) else len(sentence)
    if unit == "%":
        return _rate_provision(text, offset, sentence, run, lo, hi)
    amounts = _amounts(text, offset, sentence, run, lo)
    window = sentence[max(lo, first.start() - 12) : min(hi, last.end() + 12)]
    per, recurrence = _per(sentence[max(lo, first.start() - 12) : min(hi, last.end() + 6)])
    qualifier: QualifierKind = "exact"
    near_before = sentence[max(lo, first.start() - 10) : first.start()]
    if _AFTER_TAX.search(sentence[last.end() : last.end() + 6]):
        qualifier = "after_tax"
    elif _CAP.search(near_before):
        qualifier = "cap"
    elif _FLOOR.search(near_before) or re.match(r"\s*(?:以上)", sentence[last.end() : last.end() + 3]):
        qualifier = "floor"
    one_off = bool(_ONE_OFF.search(window))
    period_months, period_span = _period(sentence[lo:hi])
    kind: ProvisionKind
    if recurrence == "month":
        kind = "monthly"
    elif recurrence == "year":
        kind = "per_year"
    elif recurrence == "day":
        kind = "per_day"
    elif one_off or per in ("家", "个", "所", "项") or not per:
        kind = "one_off"
    else:
        kind = "per_head"
    # A cap on one amount of a list applies to the list when the text says 分别 … 最高/不超过 (分别给予不超过30万元、10万元).
    amounts = [a if a.qualifier else a.model_copy(update={"qualifier": qualifier}) for a in amounts]
    subject = _subject(sentence, last.end(), hi) or _subject(sentence, first.start(), None, lo)
    return Provision(
        id="",
        clause_id="",
        doc_id="",
        sentence=_part(text, offset, sentence, 0, len(sentence)),
        kind=kind,
        subject=subject,
        per=per,
        recurrence=recurrence,
        one_off=one_off,
        amounts=amounts,
        qualifier=qualifier,
        payee=_payee(sentence, lo, hi),
        period_months=period_months,
        period=Part(text=period_span[0], start=offset + lo + period_span[1], end=offset + lo + period_span[2])
        if period_span
        else None,
        conditions=_conditions(text, offset, sentence, first.start(), lo),
    )


def _amounts(text: str, offset: int, sentence: str, run: list[re.Match[str]], lo: int) -> list[ProvisionAmount]:
    vocab = vocabulary()
    unit = "万元" if run[0].group(2).startswith("万") else "元"
    inline: list[tuple[str, int, int]] = []
    prev_end = lo
    for m in run:
        raw = sentence[prev_end : m.start()]
        label, s, e = _clean_label(raw)
        inline.append((label, prev_end + s, prev_end + e))
        prev_end = m.end()
    labels = [lab for lab, _, _ in inline]
    # Labels inline with every amount (高级技师每人2000元、技师每人1000元), or only with none or the first.
    has_inline = sum(1 for lab in labels if lab) >= max(2, len(run) - 0) or (len(run) == 1 and labels[0])
    listed: list[tuple[str, int, int]] = []
    if len(run) > 1 and not has_inline:
        listed = _listed_categories(sentence, lo, run[0].start(), len(run))
    out = []
    for i, m in enumerate(run):
        value = _decimal(m.group(1))
        if value is None:
            continue
        if has_inline:
            label, s, e = inline[i]
        elif listed:
            label, s, e = listed[i]
        else:
            label, s, e = ("", 0, 0)
        if len(run) == 1 and not has_inline:
            label, s, e = ("", 0, 0)
        levels = vocab.levels_in(label)
        level = max(levels, key=lambda x: x[1] - x[0])[2] if levels else None
        q = None
        pre = sentence[max(prev := (run[i - 1].end() if i else lo), m.start() - 8) : m.start()]
        if _CAP.search(pre):
            q = "cap"
        elif _FLOOR.search(pre):
            q = "floor"
        if _AFTER_TAX.search(sentence[m.end() : m.end() + 5]):
            q = "after_tax"
        out.append(
            ProvisionAmount(
                category=level.level if level else label,
                label=label,
                value=value,
                unit=unit if m.group(2) != "元" or unit == "元" else "元",
                qualifier=q,  # type: ignore[arg-type]
                ladder=level.ladder if level else "",
                rank=level.rank if level else None,
                span=_part(text, offset, sentence, m.start(), m.end()),
                label_span=_part(text, offset, sentence, s, e) if label else None,
            )
        )
        del prev
    # Two categories with the same key (国家级基地 vs 国家级工作室 in different provisions is fine;
    # within one provision keep the labels apart).
    keys = [a.category for a in out]
    if len(set(keys)) != len(keys):
        out = [a.model_copy(update={"category": a.label or a.category}) for a in out]
    return out


def _clean_label(raw: str) -> tuple[str, int, int]:
    """The category words in the text before an amount: ``、技师每人`` → 技师 (with offsets in ``raw``)."""
    s, e = 0, len(raw)
    # Keep only the last phrase (after the last comma or verb).
    cut = max(
        (
            m.end()
            for m in re.finditer(r"[，,：:；;]|给予|享受|按照|补贴标准为|标准为|分别|^/[人家个年月](?:/[年月])?", raw)
        ),
        default=0,
    )
    s = cut
    piece = raw[s:e]
    while True:
        m = _LABEL_NOISE.search(piece)
        if not m or m.end() == m.start():
            break
        if m.start() == 0:
            s += m.end()
            piece = raw[s:e]
        else:
            e = s + m.start()
            piece = raw[s:e]
    piece = piece.strip()
    if not piece or len(piece) > 16 or _PER.fullmatch(piece) or not re.search(r"[\u4e00-\u9fff]", piece):
        return "", 0, 0
    if re.search(r"一次性|奖励|补贴|补助|资助|津贴|获得|可在|可以|每人|每家", piece) and not vocabulary().levels_in(
        piece
    ):
        return "", 0, 0
    if re.fullmatch(r"(?:师傅|企业|个人|本人|领办人|选手|单位|用人单位|职工|学员|毕业生|人员)", piece):
        return "", 0, 0  # who is paid, not a category
    if re.search(r"第[一二三四五六七八九十\d]+[章条节]", piece):
        return "", 0, 0  # a heading of the document, not a category
    if re.search(r"(?:补贴|补助|资金|标准|的标准|人才|企业|个人)$", piece) and not vocabulary().levels_in(piece):
        # 按照…的标准 / 给予企业: a payee or a noun of the benefit, not a category.
        if not re.search(r"人才$", piece):
            return "", 0, 0
    start = raw.index(piece, s) if piece in raw[s:] else s
    return piece, start, start + len(piece)


def _listed_categories(sentence: str, lo: int, hi: int, n: int) -> list[tuple[str, int, int]]:
    """The nearest list of ``n`` items before the amounts: 领军人才、高端人才和青年才俊."""
    region = sentence[lo:hi]
    best: list[tuple[str, int, int]] = []
    # Candidate lists: runs of items separated by 、 / 和 / 及, between clause breaks.
    for seg in re.finditer(r"[^，,；;。]+", region):
        items = []
        pos = seg.start()
        for part in re.split(r"(、|和|及|与|以及)", seg.group(0)):
            if part in ("、", "和", "及", "与", "以及"):
                pos += len(part)
                continue
            items.append((part, lo + pos, lo + pos + len(part)))
            pos += len(part)
        if len(items) < n:
            continue
        items = items[-n:]
        # 在市级一类竞赛中获得第一名、第二名、第三名的选手: the first item carries the context the others
        # leave out; the categories are what differs (第一名/第二名/第三名).
        rest = [part.strip() for part, _, _ in items[1:]]
        if rest and sum(1 for part, _, _ in items if vocabulary().levels_in(part)) < 2:
            width = max(len(re.sub(r"(?:的选手|的人员|的职工|的)$", "", r)) for r in rest)
            part0, s0, e0 = items[0]
            trimmed = part0.strip()[-width:] if len(part0.strip()) > width + 2 else part0
            items[0] = (trimmed, s0 + part0.find(trimmed), e0)
            items = [(re.sub(r"(?:的选手|的人员|的职工|的)$", "", part), s_, e_) for part, s_, e_ in items]
        cleaned = []
        for part, s, _e in items:
            # …分别对应领军人才、…: the list starts after 对应; …高级技师分别给予…: it ends before 分别.
            label = re.split(r"分别对应|对应|即", part.strip())[-1]
            label = re.sub(r"(?:分别|给予|按规定|按照).*$", "", label)
            for _ in range(3):
                label = _COUNT_PREFIX.sub("", label)
                label = re.sub(
                    r"^(?:对|对于|给|为|新取得|取得|获得|新增|新建|每年|按|到\d+年底?|全市|经认定后?)+", "", label
                )
            levels = vocabulary().levels_in(label)
            if levels:
                # 新认定的首席技师 → 首席技师; 技师职业等级的企业职工 → 技师: the level phrase, without its tail.
                label = label[levels[0][0] :]
                label = re.sub(r"(?:职业等级|职业技能等级|等级|的企业职工|的人员|的职工|的).*$", "", label)
            if not label:
                break
            s2 = s + part.find(label) if label in part else s
            cleaned.append((label, s2, s2 + len(label)))
        if len(cleaned) == n:
            best = cleaned  # the nearest one wins: keep scanning
    return best


def _per(window: str) -> tuple[str, Literal["none", "month", "year", "day"]]:
    m = _PER.search(window)
    if not m:
        return "", "none"
    w = m.group(0)
    recurrence: Literal["none", "month", "year", "day"] = (
        "month" if "月" in w else "year" if "年" in w else "day" if ("天" in w or "日" in w) else "none"
    )
    if "学时" in w or "课时" in w:
        who = "学时"  # 每人每学时: paid by the hour, not by the head
    elif "人" in w or "名" in w:
        who = "人"
    elif "家" in w:
        who = "家"
    elif "个" in w:
        who = "个"
    else:
        who = ""
    if recurrence == "year" and not who and re.search(r"每人", window):
        who = "人"
    return who, recurrence


def _period(words: str) -> tuple[int | None, tuple[str, int, int] | None]:
    """The period a recurring amount is paid for, in months (days for a daily amount: see ``_period_days``)."""
    m = _PERIOD.search(words)
    if not m:
        return None, None
    if m.group(1) or m.group(3):
        n = int(m.group(1) or m.group(3))
        unit = m.group(2) or m.group(4)
        if unit == "天":
            return None, None
        months = n * 12 if unit == "年" else n
    else:
        raw = m.group(5)
        n = int(raw) if raw.isdigit() else (_cn_int(raw) or 0)
        months = n * 12
    return months, (m.group(0), m.start(), m.end())


def period_days(words: str) -> int | None:
    """最长不超过30天: the longest number of days a daily amount is paid."""
    m = re.search(r"(?:最长|最多|累计|期限)(?:不超过|补贴|享受)?\s*(\d+)\s*天", words)
    return int(m.group(1)) if m else None


def _subject(sentence: str, start: int, end: int | None = None, lo: int = 0) -> str:
    """The benefit's name after (or, failing that, before) the amounts: 津贴, 建设补助资金, 安家费."""
    found = ""
    if end is not None or start < len(sentence):
        region = sentence[start : end if end is not None else len(sentence)]
        m = _BENEFIT_NOUN.search(region[:24])
        if m:
            found = m.group(0)
    if not found:
        hits = list(_BENEFIT_NOUN.finditer(sentence[lo:start]))
        found = hits[-1].group(0) if hits else ""
    return _clean_subject(found)


def _clean_subject(words: str) -> str:
    words = re.split(r"给予|享受|获得|按照|按|提供|设置为|设为", words)[-1]
    words = re.sub(r"^[予给]", "", words)
    words = re.sub(
        r"^(?:的|标准|元|一次性|一定|每人|每家|企业或者个人|企业或个人|企业|个人|或者个人|相应|选手所在企业、院校|领办人|[在为由])+",
        "",
        words,
    )
    return words


_PAYEE = re.compile(
    r"给予(?:选手所在企业、院校|相应企业|企业或者个人|企业或个人|用人单位|企业|个人|院校|机构|基地|牵头建设单位|领办人)"
    r"|(领办人|选手所在企业、院校|用人单位)(?:按照|可|享受)"
)


# 入选者所在企业，按每培养1名…给予一次性培养奖励2万元: the sentence's subject, set off by a comma
# before a 给予 with no object of its own, is who is paid.
_LEAD_PAYEE = re.compile(
    r"^\s*(?:[一二三四五六七八九十\d]+[、.．]\s*|[（(][一二三四五六七八九十\d]+[）)]\s*)?"
    r"([\u4e00-\u9fff“”]{0,10}(?:所在企业|所在单位|企业|用人单位|单位|院校|学校|机构|个人))[，,]"
)


def _payee(sentence: str, lo: int, hi: int) -> str:
    m = _PAYEE.search(sentence[lo:hi]) or _PAYEE.search(sentence)
    if not m:
        lead = _LEAD_PAYEE.match(sentence)
        return lead.group(1) if lead and "给予" in sentence[lead.end() : hi] else ""
    return m.group(1) or m.group(0).removeprefix("给予")


def _rate_provision(text: str, offset: int, sentence: str, run: list[re.Match[str]], lo: int, hi: int) -> Provision:
    m = run[0]
    rate = _decimal(m.group(1)) or Decimal(0)
    before = sentence[lo : m.start()]
    after = sentence[m.end() : hi]
    qualifier: QualifierKind = "exact"
    if _CAP.search(before[-8:]):
        qualifier = "cap"
    elif _FLOOR.search(before[-8:]) or after.startswith("以上"):
        qualifier = "floor"
    kind: ProvisionKind = "percentage"
    if _UPLIFT.search(before) or re.search(r"(?:提高|上浮|增加|上调)\s*(?:了)?\s*$", before[-6:]):
        kind = "uplift"
    elif re.search(
        r"占|比例达到|比例不低于|比例稳定在", sentence[max(lo, m.start() - 30) : m.start()]
    ) and not re.search(r"提取|抵免|用于|补贴", before[-12:]):
        kind = "target"
    if kind == "percentage" and not re.search(r"按|提取|抵免|用于|补贴|比例|奖励|资助", before[-16:] + after[:8]):
        kind = "figure"  # 100%达省标: a figure in the text, not a rate anyone is paid at
    base = ""
    bm = re.search(r"按([\u4e00-\u9fff]{1,10}?)的\s*$", before) or re.search(
        r"(?:在|以)([\u4e00-\u9fff]{1,10}?)(?:基础上|为基数)", before
    )
    if bm:
        base = bm.group(1)
    elif kind == "target":
        tm = re.search(r"占([\u4e00-\u9fff]{1,10}?)(?:的)?比例", sentence[lo : m.start()])
        base = tm.group(1) if tm else ""
    deduction = ""
    dm = re.search(r"扣除([\u4e00-\u9fff]{1,8}?)(?:后|以后)", sentence[: m.start()])
    if dm:
        deduction = dm.group(1)
        if not base:
            im = re.search(r"(?:取得|所得)的?([\u4e00-\u9fff]{0,4}收入)", sentence[: dm.start()])
            base = im.group(1) if im else "收入"
    return Provision(
        id="",
        clause_id="",
        doc_id="",
        sentence=_part(text, offset, sentence, 0, len(sentence)),
        kind=kind,
        subject=_subject(sentence, m.end(), hi) or _subject(sentence, m.start(), None, lo),
        rate=rate,
        qualifier=qualifier,
        base_label=base,
        deduction_label=deduction,
        payee=_payee(sentence, lo, hi),
        amounts=[
            ProvisionAmount(
                category="",
                label="",
                value=rate,
                unit="%",
                qualifier=qualifier if qualifier != "exact" else None,
                span=_part(text, offset, sentence, m.start(), m.end()),
            )
        ],
        conditions=_conditions(text, offset, sentence, m.start(), lo),
    )


# 在市级奖励基础上按1:0.5给予配套奖励: a matching ratio, the second number for each one of the first.
_RATIO = re.compile(
    r"按\s*(\d+(?:\.\d+)?)\s*[:：∶比]\s*(\d+(?:\.\d+)?)\s*(?:的比例)?\s*(?=给予|配套|予以|奖励|补贴|资助)"
)


def _matching_ratio(text: str, offset: int, sentence: str, m: re.Match[str]) -> Provision:
    """按1:0.5配套 on a base the text names (在市级奖励基础上): a rate of 0.5/1 of that base."""
    first, second = Decimal(m.group(1)), Decimal(m.group(2))
    rate = (second / first * 100).normalize()
    rate = rate.quantize(Decimal(1)) if rate == rate.to_integral_value() else rate
    bm = re.search(r"(?:在|以)([\u4e00-\u9fff]{1,10}?)(?:的)?(?:基础上|为基数)", sentence[: m.start()])
    at = m.start() + m.group(0).index(m.group(1))
    end = m.start() + m.group(0).rindex(m.group(2)) + len(m.group(2))
    return Provision(
        id="",
        clause_id="",
        doc_id="",
        sentence=_part(text, offset, sentence, 0, len(sentence)),
        kind="percentage",
        subject=_subject(sentence, m.end()),
        rate=rate,
        base_label=bm.group(1) if bm else "",
        payee=_payee(sentence, 0, len(sentence)),
        amounts=[
            ProvisionAmount(category="", label="", value=rate, unit="%", span=_part(text, offset, sentence, at, end))
        ],
        conditions=_conditions(text, offset, sentence, m.start()),
    )


def _target_fraction(text: str, offset: int, sentence: str, m: re.Match[str]) -> Provision:
    tm = re.search(r"占([\u4e00-\u9fff]{1,10}?)(?:的)?比例", sentence[: m.start()])
    return Provision(
        id="",
        clause_id="",
        doc_id="",
        sentence=_part(text, offset, sentence, 0, len(sentence)),
        kind="target",
        rate_fraction=f"{m.group(1)}/{m.group(2)}",
        base_label=tm.group(1) if tm else "",
    )


# ---------------------------------------------------------------------------------------------- conditions


_COND_OPEN = re.compile(r"对(?:于)?(?=[\u4e00-\u9fff])")
_COND_SPLIT = re.compile(r"并(?:按规定)?|且|、(?=与|按|在|通过|签订|缴纳|取得|具有|参加|完成|年满|获得)|，(?=并|且)")
_THRESHOLD = re.compile(
    r"(\d+(?:\.\d+)?)\s*(个月|年|周岁|岁|学时|课时)\s*(?:[（(]含[）)])?\s*(以上|及以上|以下|及以下|以内)?"
)


def _conditions(text: str, offset: int, sentence: str, amount_at: int, lo: int = 0) -> list[ProvisionCondition]:
    """The ``对…的`` phrase before the benefit, split into atomic conditions, and the words of the
    subject that restrict who it is for (公办职业院校…)."""
    out = _phrase_conditions(text, offset, sentence, amount_at, lo)
    region = sentence[lo:amount_at]
    for s, e, concept, negative in vocabulary().concepts_in(region):
        if not concept.restricts or negative or any(c.concept == concept.name for c in out):
            continue
        # The noun phrase the word begins (公办职业院校), up to a separator.
        m = re.match(r"[\u4e00-\u9fff]{2,12}", region[s:])
        words = m.group(0) if m else region[s:e]
        out.append(
            ProvisionCondition(
                text=words,
                concept=concept.name,
                span=_part(text, offset, sentence, lo + s, lo + s + len(words)),
            )
        )
    return out


def _phrase_conditions(text: str, offset: int, sentence: str, amount_at: int, lo: int = 0) -> list[ProvisionCondition]:
    region = sentence[lo:amount_at]
    opens = list(_COND_OPEN.finditer(region))
    if not opens:
        # …的，领办人按照…: a condition phrase closed by 的 and a comma.
        m = re.search(r"([\u4e00-\u9fff（）()\d]{4,60}?)的\s*[,，]", region)
        if not m:
            return []
        start, end = m.start(1), m.end(1)
    else:
        o = opens[-1]
        stop = re.search(r"[，,：:]|给予|按照|分别按|可依据|可按|可在|可由|可", region[o.end() :])
        limit = o.end() + stop.start() if stop else len(region)
        close = region.rfind("的", o.end(), limit)
        if close <= o.end():
            return []
        start, end = o.end(), close
    phrase = region[start:end]
    # The person or unit the phrase ends with (…的学生 / …的企业) is who, not a condition.
    vocab = vocabulary()
    out: list[ProvisionCondition] = []
    pos = 0
    pieces = []
    for m in _COND_SPLIT.finditer(phrase):
        pieces.append((pos, m.start()))
        pos = m.end()
    pieces.append((pos, len(phrase)))
    for s, e in pieces:
        words = phrase[s:e].strip("，, ")
        if len(words) < 2:
            continue
        abs_start = lo + start + phrase.index(words, s)
        concepts = vocab.concepts_in(words)
        concept = concepts[0][2].name if concepts else ""
        cond = ProvisionCondition(
            text=words,
            concept=concept,
            place_bound=bool(re.search(r"本市|我市|本地|本区|我区|本省|我省|在[厦连通]", words)),
            span=_part(text, offset, sentence, abs_start, abs_start + len(words)),
        )
        th = _THRESHOLD.search(words)
        levels = vocab.levels_in(words)
        if th:
            value = Decimal(th.group(1))
            unit = {"个月": "个月", "学时": "学时", "课时": "学时"}.get(
                th.group(2), "岁" if "岁" in th.group(2) else "年"
            )
            bound = th.group(3) or ""
            update: dict = {"type": "threshold", "unit": unit}
            if "以下" in bound or "以内" in bound:
                update["max"] = value
            else:
                update["min"] = value
            cond = cond.model_copy(update=update)
        elif levels and re.search(r"及以上|以上|不低于", words):
            lv = levels[-1][2]
            cond = cond.model_copy(update={"type": "enumeration", "ladder": lv.ladder, "min_rank": lv.rank})
        out.append(cond)
    return out


# ---------------------------------------------------------------------------------------------- benefits without a figure

# What a provision gives when it is not a sum: 给予…补贴 / 享受…待遇 / 视同…学历 / 认定为…等级 / 晋升至… / 参照….
_BENEFIT_VERB = re.compile(
    r"(?:可以?|均可|直接|分别|按规定|按标准|同等)*(?:给予|享受|视同|认定为|晋升至|晋升|参照)(?=[\u4e00-\u9fff“\"])"
)
# The end of one benefit: a comma before another condition or benefit, or the end of the sentence.
_BENEFIT_END = re.compile(r"[，,](?=[^，,]*(?:的[，,]|给予|享受|视同|认定为|晋升|参照))|[。；;！!？?\n]|$")
# Words before the benefit that are how it is given, not who qualifies (按规定, 根据成绩最高).
_HOW = re.compile(
    r"^(?:按[\u4e00-\u9fff]{0,10}(?:规定|原则)|在[\u4e00-\u9fff]{0,10}方面|按标准|根据[\u4e00-\u9fff]{0,6}|依规|依法|相应|最高|最多|同等)+$"
)
# Who a provision is for, said generally: the kind of applicant, not a condition of its own.
_GENERIC_WHO = re.compile(
    r"^(?:企业|单位|用人单位|个人|人员|人才|学生|毕业生|选手|院校|学校|机构|职工|劳动者|技能人才)$"
)


def benefits(text: str, *, clause_id: str, doc_id: str, taken: tuple[tuple[int, int], ...] = ()) -> list[Provision]:
    """Benefits a clause states without a figure, for those meeting a ``对…的`` / ``…的，`` condition.

    ``对新来本市的技师，可享受住房优先待遇`` gives a provision with the condition ``新来本市``, the
    who ``技师`` (a condition too, unless it only names the kind of applicant) and the benefit words
    ``可享受住房优先待遇`` (``subject``; kind ``benefit``, no amount). A sentence that states a sum, a
    rate or a vague figure (``taken``: the spans of the sentences other provisions come from) is left
    to those provisions; a benefit with no condition phrase before it is not a provision (nothing says
    who gets it), nor one whose phrase is a measure of the government's (鼓励…, 将…纳入) or holds the
    benefit's own modal words (可 / 予以: the phrase was not a condition). Several benefits in one
    sentence are one provision each; one without a condition phrase of its own shares the ``对…的``
    phrase that opens the sentence.
    """
    out: list[Provision] = []
    table = _table_region(text)
    for m in _SENTENCE.finditer(text):
        sentence, offset = m.group(0), m.start()
        if not sentence.strip() or (table is not None and table[0] <= offset < table[1]):
            continue
        if any(s < offset + len(sentence) and offset < e for s, e in taken):
            continue
        if _AMOUNT.search(sentence) or _VAGUE.search(sentence):
            continue
        opening: list[ProvisionCondition] | None = None
        lo = 0
        for verb in _BENEFIT_VERB.finditer(sentence):
            if verb.start() < lo:
                continue
            end_m = _BENEFIT_END.search(sentence, verb.end())
            hi = end_m.start() if end_m else len(sentence)
            words = re.split(r"[，,]", sentence[verb.start() : hi])[0].strip()
            phrase = _benefit_conditions(text, offset, sentence, lo, verb.start())
            tail = _tail_conditions(text, offset, sentence, _after_phrase(sentence, lo, verb.start()), verb.start())
            if phrase is None and opening is None:
                lo = hi
                continue
            if phrase is None:
                conditions = [*(opening or []), *tail]
            else:
                conditions = [*phrase, *tail]
                if opening is None:
                    opening = phrase
            lo = hi
            if not conditions or len(words) < 4 or not all(_applicant_condition(c.text) for c in conditions):
                continue
            if any(len(re.sub(r"[^\u4e00-\u9fff\d]", "", c.text)) < 3 for c in conditions):
                continue
            out.append(
                Provision(
                    id="",
                    clause_id=clause_id,
                    doc_id=doc_id,
                    sentence=_part(text, offset, sentence, 0, len(sentence.rstrip("。；;！!？?\n"))),
                    kind="benefit",
                    subject=words,
                    payee=_payee(sentence, 0, len(sentence)),
                    conditions=conditions,
                    beneficiary=next((c.text for c in conditions if _who(c.text)), ""),
                )
            )
    return [p.model_copy(update={"id": provision_id(doc_id, clause_id, 900 + k)}) for k, p in enumerate(out, 1)]


# A government's measure (鼓励…, 推动…, 将…纳入…) is what the text does, not what an applicant must be.
_MEASURE = re.compile(
    r"^(?:鼓励|推动|支持|加强|加大|建立|实施|落实|引导|组织|积极|开展|完善|健全|推进|深化|探索|创新|将|把|要|应|为|通过|依托)"
)


def _applicant_condition(words: str) -> bool:
    """A condition an applicant meets: not a government's measure, not the benefit's own words."""
    return len(words) <= 40 and not _MEASURE.match(words) and not re.search(r"可|予以|要|应当", words)


def _who(words: str) -> bool:
    return bool(re.search(r"(?:人才|人员|毕业生|学生|选手|职工|劳动者|企业|单位|院校|机构)$", words))


def _opening(region: str) -> re.Match[str] | None:
    """The 对 that opens a condition phrase: at the start of the region or after a comma."""
    opens = [o for o in _COND_OPEN.finditer(region) if o.start() == 0 or region[o.start() - 1] in "，,、 \u3000"]
    return opens[-1] if opens else None


def _benefit_conditions(text: str, offset: int, sentence: str, lo: int, at: int) -> list[ProvisionCondition] | None:
    """The conditions of the phrase closed by 的 before the benefit at ``at`` (None: no such phrase)."""
    region = sentence[lo:at]
    o = _opening(region)
    start = o.end() if o else 0
    close = region.rfind("的")
    if close <= start:
        return None
    if o is None:
        m = re.search(r"的\s*[，,][^，,]{0,12}$", region)
        if not m:
            return None  # no 对…的 and no …的，: the words before the verb are not a condition phrase
        close = m.start()
        start = max(region.rfind("，", 0, close), region.rfind(",", 0, close)) + 1
        # A chain of 的-phrases before it (从…毕业的学生，已取得…证书的，) is the same condition phrase.
        while start > 0:
            before = max(region.rfind("，", 0, start - 1), region.rfind(",", 0, start - 1)) + 1
            piece = region[before : start - 1]
            if "的" not in piece or not _applicant_condition(piece):
                break
            start = before
    out: list[ProvisionCondition] = []
    pieces: list[tuple[int, str]] = []
    pos = start
    for piece in re.split(r"[，,]", region[start:close]):
        if pieces and piece.startswith("或"):  # A，或B: one condition met either way
            at, prev = pieces[-1]
            pieces[-1] = (at, f"{prev}，{piece}")
        else:
            pieces.append((pos, piece))
        pos += len(piece) + 1
    for at, piece in pieces:
        out += _atomic(text, offset, sentence, lo + at, piece, alternatives="，或" in piece)
    return out


def _after_phrase(sentence: str, lo: int, at: int) -> int:
    """Where the words after a condition phrase's 的 begin (or ``lo`` when there is no phrase)."""
    region = sentence[lo:at]
    o = _opening(region)
    close = region.rfind("的")
    if close > (o.end() if o else 0):
        return lo + close + 1
    return lo


def _tail_conditions(text: str, offset: int, sentence: str, lo: int, at: int) -> list[ProvisionCondition]:
    """After the 的 (or a comma): who the benefit is for (…的高技能人才), and a further restriction
    before the verb (，市级一类竞赛可认定为…); words of how it is given (按规定) are neither."""
    out: list[ProvisionCondition] = []
    pos = lo
    for piece in re.split(r"[，,]", sentence[lo:at]):
        words = piece.strip()
        here = pos + piece.find(words) if words else pos
        pos += len(piece) + 1
        words = re.sub(r"(?:按规定|按标准|可以?|均可|直接|分别)+$", "", words)
        if len(words) < 2 or _HOW.match(words) or _GENERIC_WHO.match(words) or re.match(r"与|同|比照", words):
            continue  # how it is given, the kind of applicant, or whom it is the same as (与…同等享受)
        out += _atomic(text, offset, sentence, here, words)
    return out


def _atomic(
    text: str, offset: int, sentence: str, start: int, phrase: str, *, alternatives: bool = False
) -> list[ProvisionCondition]:
    """A condition phrase split at 并 / 且 into conditions, each with its concept and threshold
    (alternatives — A，或B — stay one condition)."""
    vocab = vocabulary()
    out: list[ProvisionCondition] = []
    pos = 0
    for m in [*([] if alternatives else _COND_SPLIT.finditer(phrase)), None]:
        s, e = pos, (m.start() if m else len(phrase))
        pos = m.end() if m else pos
        words = phrase[s:e].strip("，, ")
        words = re.sub(r"^(?:或|和|及|并|且)|^[^：:]{0,8}[：:]", "", words)  # 答：… / 其他待遇：… name a part
        if len(words) < 2 or _HOW.match(words):
            continue
        at = start + phrase.index(words, s)
        concepts = vocab.concepts_in(words)
        cond = ProvisionCondition(
            text=words,
            concept=concepts[0][2].name if concepts else "",
            place_bound=bool(re.search(r"本市|我市|本地|本区|我区|本省|我省|在[厦连通]", words)),
            span=_part(text, offset, sentence, at, at + len(words)),
        )
        th = _THRESHOLD.search(words)
        levels = vocab.levels_in(words)
        if th:
            value = Decimal(th.group(1))
            unit = {"个月": "个月", "学时": "学时", "课时": "学时"}.get(
                th.group(2), "岁" if "岁" in th.group(2) else "年"
            )
            bound = th.group(3) or ""
            key = "max" if "以下" in bound or "以内" in bound else "min"
            cond = cond.model_copy(update={"type": "threshold", "unit": unit, key: value})
        elif levels and re.search(r"及以上|以上|不低于", words):
            lv = levels[-1][2]
            cond = cond.model_copy(update={"type": "enumeration", "ladder": lv.ladder, "min_rank": lv.rank})
        out.append(cond)
    return out
