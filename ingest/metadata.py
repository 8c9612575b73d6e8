"""A document's issuer, number and date as its own text states them.

The manifest holds what a person knows about a document; often it leaves the
number or date empty although the page prints them. ``find_metadata`` reads
them from the text, ``complete_metadata`` fills only what the manifest leaves
empty (the manifest wins whenever it has a value) and records which fields
came from the text.

Where each fact is looked for, most trusted first:

* **number** — a metadata label (文号：…, | 文号 | … |, 文    号 …); a line that
  is only a number (大政办发〔2023〕34号, （厦人社〔2025〕189号）, optionally
  beside a date). A number cited in running text (根据《…》（人社部发〔2025〕10号）)
  is another document's and is never taken.
* **date** — a 成文日期 label; the date line of the signature (issuer line(s)
  then a date); a 发布日期 / 生成日期 / 日期 label, or the page information
  under the title (发布时间：…); a line that is only a date.
* **issuer** — a 发文机关 label; the issuer line(s) of the signature (all
  the offices of a joint document); a 发布机构 label (the office that
  published the page); a page's 来源 when it names an office.

Dates come back as ISO ``YYYY-MM-DD``; several issuers are joined with 、.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.pagetext import alternation, chrome_mask, labelled_fields, metadata_keys, page_info
from ingest.schema import DocumentMeta

# ----------------------------------------------------------------------------- patterns

_CN_DIGIT = {ch: 0 for ch in "〇○零OＯ０"} | {ch: i for i, ch in enumerate("一二三四五六七八九", 1)}
_DIGITS = "".join(_CN_DIGIT)
_ARABIC_DATE = r"(?P<y>(?:19|20)\d{2})\s*(?:年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日|[-/.](?P<m2>\d{1,2})[-/.](?P<d2>\d{1,2}))"
_CHINESE_DATE = rf"(?P<cy>[{_DIGITS}]{{4}})\s*年\s*(?P<cm>[一二三四五六七八九十]{{1,3}})\s*月\s*(?P<cd>[一二三四五六七八九十]{{1,3}})\s*日"
DATE = re.compile(rf"{_ARABIC_DATE}|{_CHINESE_DATE}")
_DATE_SHAPE = re.sub(r"\(\?P<\w+>", "(?:", DATE.pattern)  # the same without group names, to embed

# 大政办发〔2023〕34号, 人社部发[2025]10号, 厦人社规（2024）3号; the brackets vary, the shape does not.
NUMBER = re.compile(r"[\u4e00-\u9fff]{1,16}\s*[〔\[［【(（]\s*(?:19|20)\d{2}\s*[〕\]］】)）]\s*第?\s*\d{1,5}\s*[号號]")

_ORG_SUFFIXES = (
    "人民政府办公室|人民政府办公厅|人民政府|办公室|办公厅|管理委员会|委员会|管委会|领导小组|工作小组|小组|"
    "总工会|工会|联合会|协会|学会|商会|理事会|中心|研究院|学院|学校|大学|集团|公司|银行|"
    "局|厅|委|部|院|署|处|科|所|办|政府"
).split("|")
_ORG_SUFFIX = alternation(_ORG_SUFFIXES)  # with the Traditional spellings: 辦公室, 委員會, 廳 …
_ORG = rf"[\u4e00-\u9fff（）()]{{1,30}}?(?:{_ORG_SUFFIX})"
_SEAL = r"(?:\s*[（(]\s*(?:盖章|印章|章)\s*[)）])?"
ORG_LINE = re.compile(rf"^(?:{_ORG}{_SEAL})(?:[\s、，,]+{_ORG}{_SEAL})*$")
_ORG_NAME = re.compile(rf"{_ORG}")
DATE_LINE = re.compile(rf"^[（(]?\s*(?:{_DATE_SHAPE})\s*(?:印发|发布|起施行|施行)?\s*[)）]?$")
NUMBER_LINE = re.compile(rf"^[（(]?\s*(?:(?:{_DATE_SHAPE})\s*)?{NUMBER.pattern}\s*[)）]?(?:\s*(?:{_DATE_SHAPE}))?$")
_MAX_ORG_LINE = 60


def _cn_number(text: str) -> int:
    """一 … 三十一 as an int."""
    digits = [_CN_DIGIT[c] for c in text if c != "十"]
    if "十" not in text:
        return int("".join(map(str, digits)) or 0)
    tens, _, units = text.partition("十")
    return (_CN_DIGIT[tens] if tens else 1) * 10 + (_CN_DIGIT[units] if units else 0)


def parse_date(text: str) -> str | None:
    """The first valid date in ``text`` as YYYY-MM-DD (2023年10月30日, 2023-10-30, 二〇二三年十月三十日)."""
    for m in DATE.finditer(text):
        if m.group("y"):
            y, mo, d = int(m.group("y")), int(m.group("m") or m.group("m2")), int(m.group("d") or m.group("d2"))
        else:
            y = int("".join(str(_CN_DIGIT[c]) for c in m.group("cy")))
            mo, d = _cn_number(m.group("cm")), _cn_number(m.group("cd"))
        if 1949 <= y <= 2100 and 1 <= mo <= 12 and 1 <= d <= 31:
            return f"{y:04d}-{mo:02d}-{d:02d}"
    return None


def parse_number(text: str) -> str | None:
    """The document number in ``text``, whitespace removed, brackets as the text has them."""
    m = NUMBER.search(text)
    return re.sub(r"\s+", "", m.group(0)) if m else None


def is_date_line(line: str) -> bool:
    return DATE_LINE.match(line.strip()) is not None and parse_date(line) is not None


def is_number_line(line: str) -> bool:
    return NUMBER_LINE.match(line.strip()) is not None


def is_org_line(line: str) -> bool:
    """A line that is only the names of offices: 大连市人民政府办公室, 市人社局 市财政局, …（盖章）."""
    line = line.strip()
    return 2 <= len(line) <= _MAX_ORG_LINE and ORG_LINE.match(line) is not None


def org_names(line: str) -> list[str]:
    """The office names of an issuer line, seal marks removed."""
    line = re.sub(r"[（(]\s*(?:盖章|印章|章)\s*[)）]", "", line)
    return [n for n in re.split(r"[\s、，,]+", line.strip()) if n]


# ----------------------------------------------------------------------------- finding


@dataclass(frozen=True)
class FoundMetadata:
    """What the text states, with the line each fact was read from ("" when not found)."""

    issuer: str = ""
    number: str = ""
    date: str = ""
    issuer_line: str = ""
    number_line: str = ""
    date_line: str = ""


def _signatures(lines: Sequence[str]) -> list[tuple[list[str], str]]:
    """Signature blocks: (issuer lines, date line), issuer lines possibly empty, in document order."""
    out = []
    for i, line in enumerate(lines):
        if not is_date_line(line):
            continue
        issuers: list[str] = []
        j = i - 1
        while j >= 0 and (not lines[j] or is_org_line(lines[j])) and len(issuers) < 3:
            if lines[j]:
                issuers.insert(0, lines[j])
            j -= 1
        out.append((issuers, line))
    return out


def _labelled_issuer(labelled: list[tuple[str, str, str]]) -> tuple[str, str]:
    for _key, value, ln in labelled:
        if _ORG_NAME.search(value):
            return "、".join(org_names(value)), ln
    return "", ""


def find_metadata(text: str) -> FoundMetadata:
    """Issuer, number and date as ``text`` states them (see the module docstring for the order)."""
    raw = text.split("\n")
    mask = chrome_mask(raw)
    lines = ["" if chrome else ln.strip().strip("•·").strip() for ln, chrome in zip(raw, mask, strict=True)]
    info: dict[str, str] = {}
    for ln, chrome in zip(raw, mask, strict=True):
        if chrome:
            for key, value in (page_info(ln) or {}).items():
                info.setdefault(key, value)

    labels: dict[str, list[tuple[str, str, str]]] = {}  # field -> [(key, value, line)]
    fields = ("number", "issuer", "publisher", "document_date", "publication_date")
    keys = [k for field in (*fields, "other") for k in metadata_keys(field)]
    for ln in lines:
        if not ln or len(ln) > 200:
            continue
        for key, value in labelled_fields(ln, keys):
            for field in fields:
                if key in metadata_keys(field) and value:
                    labels.setdefault(field, []).append((key, value, ln))

    number, number_line = "", ""
    for _key, value, ln in labels.get("number", []):
        if parse_number(value):
            number, number_line = parse_number(value) or "", ln
            break
    if not number:
        for ln in lines:
            if ln and is_number_line(ln):
                number, number_line = parse_number(ln) or "", ln
                break

    signatures = _signatures(lines)
    date, date_line = "", ""
    candidates: list[tuple[str, str]] = [(v, ln) for _k, v, ln in labels.get("document_date", [])]
    candidates += [(d, d) for issuers, d in signatures if issuers]
    candidates += [(v, ln) for _k, v, ln in labels.get("publication_date", [])]
    candidates += [
        (v, f"{k}：{v}") for k, v in info.items() if k in ("发布时间", "发布日期", "时间", "日期", "更新时间")
    ]
    candidates += [(d, d) for _issuers, d in signatures]
    candidates += [(ln, ln) for ln in lines if ln and is_number_line(ln) and parse_date(ln)]
    for value, ln in candidates:
        if parse_date(value):
            date, date_line = parse_date(value) or "", ln
            break

    issuer, issuer_line = _labelled_issuer(labels.get("issuer", []))
    if not issuer:
        for issuers, _d in signatures:
            if issuers:
                issuer = "、".join(n for ln in issuers for n in org_names(ln))
                issuer_line = "\n".join(issuers)
                break
    if not issuer:
        issuer, issuer_line = _labelled_issuer(labels.get("publisher", []))
    if not issuer:
        source = next((v for k, v in info.items() if "来源" in k), "")
        if source and is_org_line(source):
            issuer, issuer_line = "、".join(org_names(source)), f"来源：{source}"
    return FoundMetadata(issuer, number, date, issuer_line, number_line, date_line)


# ----------------------------------------------------------------------------- merging

_PLACEHOLDERS = ("未注明", "未知", "不详", "未收录")


def _missing(value: str) -> bool:
    """Empty, or a placeholder the manifest writes for "not known" (未注明, 南通市（发文机关未注明）)."""
    return not value.strip() or any(p in value for p in _PLACEHOLDERS)


def complete_metadata(meta: DocumentMeta, text: str) -> DocumentMeta:
    """``meta`` with the issuer, number and date it leaves empty filled from ``text``.

    The manifest wins whenever it has a value; the fields taken from the text
    are listed in ``from_text``.
    """
    wanted = [f for f in ("issuer", "number", "date") if _missing(getattr(meta, f))]
    if not wanted:
        return meta
    found = find_metadata(text)
    update = {f: getattr(found, f) for f in wanted if getattr(found, f)}
    if not update:
        return meta
    return meta.model_copy(update={**update, "from_text": tuple(sorted(update))})
