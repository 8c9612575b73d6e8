"""Query analysis: what a user's words tell retrieval before any index is asked.

* Traditional script is converted to Simplified with Taiwan phrasing
  (台灣→台湾, 證照→证照) — the documents are Simplified.
* Colloquial terms are expanded with the documents' own wording from
  ``resources/synonyms.yaml`` (证照→证书/职业资格, 台胞→台湾地区居民 …).
* Document numbers (大政办发〔2023〕34号, also typed with [] or ()), amounts
  (2000元, 两千, 1.5万, 200万) and city names are picked out for boosts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources

import cn2an

from ingest.textproc import is_traditional, to_simplified
from ingest.yamlio import load_yaml

_DOC_NUMBER = re.compile(r"([\u4e00-\u9fff]{1,8})\s*[〔\[［(（]\s*(\d{4})\s*[〕\]］)）]\s*(\d{1,4})\s*号")
# A money amount or a rate: 2000元, 1.5万, 30%, or a bare number standing alone
# (hotline staff type "带徒补贴 2000"). Counts (3个, 2名), ages and years are not amounts.
_NUMBER = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*(?:(万)|(?=\s*(?:元|块|%|％|$|[\s,，。；;？?！!、])))")
_PERCENT_WORDS = re.compile(r"百分之([零〇一二两三四五六七八九十百\d.]+)")
# Questions about the document itself rather than its content.
_META_INTENT = re.compile(
    r"哪天|哪一天|什么时候(?:发|印|出台)|日期|发布时间|印发|发文|文号|标题|什么文件|哪个文件|是否正式|正式(?:印发|发布|文件|生效)"
    r"|生效|有效期|出台|哪(?:个|些|几个)(?:单位|部门|机关)(?:一起|联合)?(?:发|印发|出)|谁发"
)
# Words typed before a document number that are not part of it (请问大政办发… → 大政办发…).
_LEAD_WORDS = re.compile(r"^(?:.*?(?:请问|问下|问一下|按照|根据|依据|关于|查询|查一下|参照|执行|的|和|与|及|是))+")
_CN_NUMERAL_RUN = re.compile(r"[零〇一二两三四五六七八九十百千万亿点]+")


@lru_cache(maxsize=1)
def load_synonyms() -> dict[str, list[str]]:
    text = (resources.files("app") / "resources" / "synonyms.yaml").read_text(encoding="utf-8")
    data = load_yaml(text) or {}
    return {str(k): [str(v) for v in vs] for k, vs in data.items()}


def normalize_doc_number(text: str) -> str:
    """大政办发[2023]34号 / 大政办发(2023)34号 → 大政办发〔2023〕34号."""
    return _DOC_NUMBER.sub(lambda m: f"{m.group(1)}〔{m.group(2)}〕{m.group(3)}号", text)


def arabic_numbers(text: str) -> str:
    """Chinese numerals to Arabic (两千→2000, 二十万→200000); other text unchanged."""

    def convert(m: re.Match[str]) -> str:
        run = m.group(0)
        if len(run) == 1:
            # A lone 一/三/百/万 is usually part of a word (一类竞赛, 三年, 百分之), not a quantity.
            return run
        try:
            return str(cn2an.cn2an(run, "smart"))
        except (ValueError, KeyError):
            return run

    return _CN_NUMERAL_RUN.sub(convert, text)


def extract_amounts(text: str) -> list[Decimal]:
    """Numbers a user typed, in Arabic or Chinese numerals, with 万 applied."""
    out: list[Decimal] = []
    converted = arabic_numbers(_PERCENT_WORDS.sub(lambda m: m.group(1) + "%", text))
    for m in _NUMBER.finditer(converted):
        if converted[m.end() : m.end() + 1] == "年" and 1900 <= float(m.group(1)) <= 2100:
            continue  # a year, not an amount
        try:
            value = Decimal(m.group(1))
        except InvalidOperation:
            continue
        if m.group(2):
            value *= 10000
        if value >= 10 and value not in out:
            out.append(value)
    return out


@dataclass(frozen=True)
class AnalyzedQuery:
    original: str
    simplified: str  # Traditional→Simplified, document numbers normalised
    expanded: str  # simplified + the documents' wording for colloquial terms
    traditional: bool
    cities: tuple[str, ...] = ()
    doc_numbers: tuple[str, ...] = ()
    residual: str = ""  # simplified text without document numbers: what the question asks about them
    about_document: bool = False  # asks who issued a document, when, whether it is in force
    amounts: tuple[Decimal, ...] = ()
    expansions: tuple[str, ...] = field(default=())


def analyze(query: str, known_cities: list[str] | tuple[str, ...] = ()) -> AnalyzedQuery:
    traditional = is_traditional(query)
    # Character-level t2s only: Taiwan *phrase* tables rewrite Simplified words too (文件→文档).
    simplified = normalize_doc_number(to_simplified(query.strip()))
    added: list[str] = []
    for key, terms in load_synonyms().items():
        if key in simplified:
            added.extend(t for t in terms if t not in added and t not in simplified)
    added.extend(o for o in _ordinals(simplified) if o not in added and o not in simplified)
    expanded = simplified + (" " + " ".join(added) if added else "")
    cities = tuple(c for c in known_cities if c and c in simplified)
    numbers = tuple(
        _LEAD_WORDS.sub("", f"{m.group(1)}〔{m.group(2)}〕{m.group(3)}号") for m in _DOC_NUMBER.finditer(simplified)
    )
    without_numbers = _DOC_NUMBER.sub(" ", simplified)
    return AnalyzedQuery(
        original=query,
        simplified=simplified,
        expanded=expanded,
        traditional=traditional,
        cities=cities,
        doc_numbers=numbers,
        amounts=tuple(extract_amounts(without_numbers)),
        residual=without_numbers.strip(),
        about_document=bool(_META_INTENT.search(without_numbers)),
        expansions=tuple(added),
    )


_ORDINAL = re.compile(r"第\s*([一二两三四五六七八九十]{1,3}|\d{1,3})\s*(名|届|批|次|等奖|档)")
_CN_DIGITS = "零一二三四五六七八九"


def _ordinals(text: str) -> list[str]:
    """An ordinal in the other numeral form (第一名 ↔ 第1名): documents write either."""
    import cn2an

    out = []
    for m in _ORDINAL.finditer(text):
        n, unit = m.group(1), m.group(2)
        if n.isdigit():
            value = int(n)
            other = cn2an.an2cn(value) if value <= 99 else ""
        else:
            try:
                other = str(int(cn2an.cn2an(n.replace("两", "二"), "smart")))
            except (ValueError, KeyError):
                other = ""
        if other:
            out.append(f"第{other}{unit}")
    return out


def amount_patterns(value: Decimal) -> list[re.Pattern[str]]:
    """How an amount can be written in a document: 2000, 2000.0, 700万."""
    forms = {format(value.normalize(), "f")}
    if value >= 1000:
        forms.add(format((value / 10000).normalize(), "f") + "万")
    return [re.compile(rf"(?<![\d.]){re.escape(f)}(?![\d])") for f in sorted(forms)]
