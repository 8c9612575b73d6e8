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

EXTRACTOR_VERSION = "1"

ProvisionKind = Literal[
    "per_head", "monthly", "per_year", "one_off", "percentage", "uplift", "target", "unstated", "figure"
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


class Provision(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    clause_id: str
    doc_id: str
    sentence: Part = Field(description="the sentence that states the provision, verbatim")
    kind: ProvisionKind
    subject: str = Field("", description="what is given: 津贴, 带徒补贴, 建设补助资金")
    per: str = Field("", description="what an amount is per: 人, 家, 个, 人次, 课时; empty when not said")
    recurrence: Literal["none", "month", "year"] = "none"
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


# ---------------------------------------------------------------------------------------------- patterns

_SENTENCE = re.compile(r"[^。；;！!？?\n]+[。；;！!？?\n]?")
_AMOUNT = re.compile(r"(?<![\d.／/])(\d+(?:\.\d+)?)\s*(万元|元|万(?![人])|%|％)")
_FRACTION = re.compile(r"(?<![\d/])(\d+)\s*/\s*(\d+)(?![\d/])")
_PERIOD = re.compile(
    r"(?:保障期|期限|补贴期|享受期|期限为|有效期)\s*(?:为|是)?\s*(\d+)\s*(个月|年)|(\d+|[一二两三四五六七八九十]+)\s*年内"
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
    r"每人每月|每人每年|每名每月|每人|每名|每家|每个|每所|每项|每课时|每人次|每次|每年|每月|/人/月|/人/年|/人|/家|/个"
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
    """The clauses with their provisions attached (what the pipeline stores)."""
    return [
        c.model_copy(update={"provisions": extract(c.text, clause_id=c.clause_id, doc_id=c.doc_id)}) for c in clauses
    ]


def extract(text: str, *, clause_id: str, doc_id: str) -> list[Provision]:
    """Every provision of one clause, in text order."""
    out: list[Provision] = []
    for m in _SENTENCE.finditer(text):
        sentence = m.group(0)
        if not sentence.strip():
            continue
        for p in _sentence_provisions(text, m.start(), sentence):
            out.append(
                p.model_copy(
                    update={
                        "id": provision_id(doc_id, clause_id, len(out) + 1),
                        "clause_id": clause_id,
                        "doc_id": doc_id,
                    }
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
        if fraction and re.search(r"比例|占", sentence):
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


def _per(window: str) -> tuple[str, Literal["none", "month", "year"]]:
    m = _PER.search(window)
    if not m:
        return "", "none"
    w = m.group(0)
    recurrence: Literal["none", "month", "year"] = "month" if "月" in w else "year" if "年" in w else "none"
    who = (
        "人" if "人" in w or "名" in w else "家" if "家" in w else "个" if "个" in w else "课时" if "课时" in w else ""
    )
    if recurrence == "year" and not who and re.search(r"每人", window):
        who = "人"
    return who, recurrence


def _period(words: str) -> tuple[int | None, tuple[str, int, int] | None]:
    m = _PERIOD.search(words)
    if not m:
        return None, None
    if m.group(1):
        n = int(m.group(1))
        months = n * 12 if m.group(2) == "年" else n
    else:
        raw = m.group(3)
        n = int(raw) if raw.isdigit() else (_cn_int(raw) or 0)
        months = n * 12
    return months, (m.group(0), m.start(), m.end())


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


def _payee(sentence: str, lo: int, hi: int) -> str:
    m = _PAYEE.search(sentence[lo:hi]) or _PAYEE.search(sentence)
    if not m:
        return ""
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
_THRESHOLD = re.compile(r"(\d+(?:\.\d+)?)\s*(个月|年|周岁|岁)\s*(以上|及以上|以下|及以下|以内)?")


def _conditions(text: str, offset: int, sentence: str, amount_at: int, lo: int = 0) -> list[ProvisionCondition]:
    """The ``对…的`` phrase before the benefit, split into atomic conditions."""
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
            unit = "个月" if th.group(2) == "个月" else "岁" if "岁" in th.group(2) else "年"
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
