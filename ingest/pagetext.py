"""What the lines of a web page are: the document, or the page around it.

A policy published on a government site comes with *page chrome*: the
breadcrumb trail, a row of tools (打印 / 关闭 / 分享 / 字号 大 中 小), page
information (发布时间 / 来源 / 浏览次数), links to the neighbouring articles
(上一篇 / 下一篇), lists of related links and the footer (主办 / 承办 / 网站标识码 /
备案号 / 联系我们). None of it is part of the document.

* ``chrome_mask(lines)`` — which lines are chrome. Used by the HTML loader to
  drop them and by the segmenter to keep them out of clauses in plain-text
  copies of pages, whose text must stay verbatim.
* ``page_info(line)`` — the fields of a page-information line; its values
  (publication date, source) are still read as metadata.
* ``labelled_fields(line, keys)`` — "key：value" pairs of a line, keys possibly
  spaced out (文    号 …), as the metadata blocks above a document print them.
* ``question_text`` / ``answer_text`` — the text after 问： / 答： markers.

The phrases live in ``resources/webpage.yaml`` (Simplified); the Traditional
spellings are generated once with OpenCC, so lines are matched as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import opencc

from ingest.yamlio import load_yaml

# Separators that tool rows and page-info lines use between their items.
_SEPARATORS = r"\s|｜/\\·•・【】\[\]()（）<>《》:：,，、;；\-—_>»›→"
_SHORT = 80  # a footer or link-list line is short
_FOOTER_MAX = 150
_VALUE_MAX = 60  # a page-info value (a date, a department) is short


@cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


@cache
def _variants_of(word: str) -> frozenset[str]:
    """``word`` and its Traditional spellings: OpenCC phrase tables and char by char."""
    out = {word}
    for config in ("s2t", "s2tw", "s2twp", "s2hk"):
        converter = _converter(config)
        out.add(converter.convert(word))
        out.add("".join(converter.convert(ch) for ch in word))
    return frozenset(out)


def _spaced(word: str) -> str:
    """Regex for ``word`` with optional whitespace between its characters (文    号)."""
    return r"\s*".join(re.escape(ch) for ch in word)


def alternation(words: Iterable[str], spaced: bool = False) -> str:
    """Regex alternation of ``words`` and their Traditional spellings, longest first."""
    variants = {v for w in words for v in _variants_of(w)}
    ordered = sorted(variants, key=len, reverse=True)  # longest first: 发布时间 before 时间
    return "|".join(_spaced(v) if spaced else re.escape(v) for v in ordered)


def _canonical(key: str, words: Iterable[str]) -> str:
    """The Simplified spelling of a matched key (spaces removed)."""
    key = re.sub(r"\s+", "", key)
    for w in words:
        if key in _variants_of(w):
            return w
    return key


@dataclass(frozen=True)
class _Phrases:
    tools: re.Pattern[str]
    site_name: re.Pattern[str]
    tools_with_sizes: re.Pattern[str]
    size_label: re.Pattern[str]
    neighbour: re.Pattern[str]
    breadcrumb: re.Pattern[str]
    footer_key: re.Pattern[str]
    footer_mark: re.Pattern[str]
    contact: re.Pattern[str]
    related: re.Pattern[str]
    page_keys: frozenset[str]
    date_keys: tuple[str, ...]
    info_field: re.Pattern[str]
    metadata_keys: dict[str, tuple[str, ...]]
    chrome_classes: frozenset[str]
    question: re.Pattern[str]
    answer: re.Pattern[str]


@cache
def phrases() -> _Phrases:
    raw = load_yaml((resources.files("ingest") / "resources" / "webpage.yaml").read_text(encoding="utf-8"))
    site_name = rf"[\u4e00-\u9fff]{{2,20}}(?:{alternation(raw['site_suffixes'])})"
    tools = alternation(raw["tools"]) + "|" + site_name
    sizes = alternation(raw["sizes"])
    sep = f"[{_SEPARATORS}]"
    page_keys = tuple(raw["page_keys"])
    date_keys = tuple(raw["date_keys"])
    info_keys = alternation((*page_keys, *date_keys))
    start = r"^[\s【\[（(|｜·•]*"
    return _Phrases(
        tools=re.compile(rf"(?:{tools}|{sep})+", re.IGNORECASE),
        site_name=re.compile(site_name),
        tools_with_sizes=re.compile(rf"(?:{tools}|{alternation(raw['size_labels'])}|{sizes}|{sep})+", re.IGNORECASE),
        size_label=re.compile(alternation(raw["size_labels"])),
        neighbour=re.compile(rf"{start}(?:{alternation(raw['neighbours'])})\s*(?:[：:]|$|\s)"),
        breadcrumb=re.compile(
            rf"{start}(?:(?:{alternation(raw['breadcrumbs'])})\s*[：:]|(?:首页|首頁)\s*(?:[>»›→/＞]|&gt;))"
        ),
        footer_key=re.compile(rf"{start}(?:{alternation(raw['footer_keys'], spaced=True)})\s*[：:\s]"),
        footer_mark=re.compile(alternation(raw["footer_marks"]), re.IGNORECASE),
        contact=re.compile(
            r"(?:地\s*址|电\s*话|電\s*話|邮\s*编|郵\s*編|传\s*真|傳\s*真|邮\s*箱|郵\s*箱|e-?mail|网\s*址|網\s*址)\s*[：:]",
            re.IGNORECASE,
        ),
        related=re.compile(rf"{start}(?:{alternation(raw['related'])})[\s：:>»更多]*$"),
        page_keys=frozenset(page_keys),
        date_keys=date_keys,
        # A key starts the line or follows a separator or a digit (09:28信息来源), and is followed by ：or whitespace.
        info_field=re.compile(rf"(?<![^{_SEPARATORS}0-9])(?P<key>{info_keys})\s*(?:[：:]|(?=\s)|$)\s*"),
        metadata_keys={field: tuple(words) for field, words in raw["metadata_keys"].items()},
        chrome_classes=frozenset(raw["chrome_classes"]),
        question=re.compile(rf"{start}(?:{alternation(raw['questions'])})\s*\d{{0,3}}\s*[：:]\s*", re.IGNORECASE),
        answer=re.compile(rf"{start}(?:{alternation(raw['answers'])})\s*\d{{0,3}}\s*[：:]\s*", re.IGNORECASE),
    )


# ----------------------------------------------------------------------------- single lines

_LEADING_TIME = re.compile(r"^\s*((?:19|20)\d{2}[-/.年]\d{1,2}[-/.月]\d{1,2}日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?)\s+")
_EDGE = re.compile(rf"^[{_SEPARATORS}]+|[{_SEPARATORS}]+$")


def _clean(value: str) -> str:
    return _EDGE.sub("", value).strip()


_MENU_ITEM = re.compile(r"^[^\s。，；：:！？]{1,8}$")


def _is_menu(text: str) -> bool:
    """首页 | 机构职能 | 政务公开 …: the site's menu bar."""
    items = [i for i in re.split(r"\s*[|｜]\s*", text) if i]
    if len(items) < 3 or not all(_MENU_ITEM.match(i) for i in items):
        return False
    return items[0] in ("首页", "首頁") or len(items) >= 5


def _is_banner(text: str) -> bool:
    """云溪市人民政府门户网站 | 区人力社保局: the site name beside short names."""
    p = phrases()
    if re.search(r"[。，,；;！？]", text):
        return False
    items = [i for i in re.split(rf"[{_SEPARATORS}]+", text) if i]
    if not any(p.site_name.fullmatch(i) for i in items):
        return False
    return all(p.site_name.fullmatch(i) or p.tools.fullmatch(i) or 2 <= len(i) <= 12 for i in items)


def is_tool_row(line: str) -> bool:
    """A row of site tools only (【打印本页】【关闭窗口】, 分享到：微信 微博, 字号：大 中 小), or of separators."""
    p = phrases()
    text = line.strip()
    if not text or len(text) > _FOOTER_MAX:
        return False
    pattern = p.tools_with_sizes if p.size_label.search(text) else p.tools
    if pattern.fullmatch(text) is not None or not re.search(r"[^\W_]", text):  # tools, or only separators
        return True
    return _is_menu(text) or _is_banner(text)


def page_info(line: str) -> dict[str, str] | None:
    """Fields of a page-information line (发布时间：… 来源：… 浏览次数：…), or None.

    The whole line must be such fields, at least one of them a page key (来源,
    作者, 浏览次数 …); a lone 日期：… is metadata, not chrome.
    """
    p = phrases()
    text = line.strip()
    if not text or len(text) > 2 * _FOOTER_MAX:
        return None
    fields: dict[str, str] = {}
    lead = _LEADING_TIME.match(text)  # "2017-11-11 09:12 来源：…"
    if lead:
        fields["时间"] = lead.group(1)
        text = text[lead.end() :]
    matches = list(p.info_field.finditer(text))
    if not matches or _clean(text[: matches[0].start()]):
        return None
    keys = (*p.page_keys, *p.date_keys)
    for m, nxt in zip(matches, [*matches[1:], None], strict=True):
        value = _clean(text[m.end() : nxt.start() if nxt else len(text)])
        if len(value) > _VALUE_MAX:
            return None
        fields.setdefault(_canonical(m.group("key"), keys), value)
    if not any(k in p.page_keys for k in fields):
        return None
    return fields


def labelled_fields(line: str, keys: Sequence[str]) -> list[tuple[str, str]]:
    """The "key：value" pairs of ``line`` for these keys, in order; [] unless the line starts with one.

    Keys may be spaced out and the colon left off (文    号 齐政办发〔2019〕29号);
    then whitespace must follow the key. Keys come back in their Simplified form.
    """
    pattern = _labelled_pattern(tuple(keys))
    text = line.strip().strip("|").strip()
    matches = list(pattern.finditer(text))
    if not matches or matches[0].start() != 0:
        return []
    out = []
    for m, nxt in zip(matches, [*matches[1:], None], strict=True):
        value = text[m.end() : nxt.start() if nxt else len(text)].strip().strip("|").strip()
        out.append((_canonical(m.group("key"), keys), value))
    return out


@cache
def _labelled_pattern(keys: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(
        rf"(?<![^\s|｜，,;；])(?P<key>{alternation(keys, spaced=True)})\s*(?:[：:]\s*|\s+(?=\S)|\s*\|\s*)"
    )


def question_text(line: str) -> str | None:
    """The question of a line marked 问： / Q： / 问题1：, or None."""
    m = phrases().question.match(line)
    return line[m.end() :].strip() if m else None


def answer_text(line: str) -> str | None:
    """The answer of a line marked 答： / A： / 答复：, or None."""
    m = phrases().answer.match(line)
    return line[m.end() :].strip() if m else None


def metadata_keys(field: str) -> tuple[str, ...]:
    """Labels a page uses for one metadata field: number, issuer, document_date, publication_date, other."""
    return phrases().metadata_keys[field]


def is_chrome_class(names: Iterable[str]) -> bool:
    """Whether an HTML element's class or id names mark it as chrome (breadcrumb, share, footer …)."""
    tokens = {t for name in names for t in re.split(r"[-_\s]+", name.lower()) if t}
    return not tokens.isdisjoint(phrases().chrome_classes)


def all_metadata_keys() -> tuple[str, ...]:
    return tuple(k for keys in phrases().metadata_keys.values() for k in keys)


# ----------------------------------------------------------------------------- whole pages


def _is_footer_line(line: str) -> bool:
    p = phrases()
    if len(line) > _FOOTER_MAX or "。" in line:
        return False
    return bool(p.footer_key.match(line) or p.footer_mark.search(line) or p.contact.search(line))


def _is_chrome_line(line: str) -> bool:
    p = phrases()
    return bool(is_tool_row(line) or p.neighbour.match(line) or p.breadcrumb.match(line) or page_info(line) is not None)


def chrome_mask(lines: Sequence[str]) -> list[bool]:
    """For each line: is it page chrome?

    Single lines: tool rows, page information, breadcrumbs, 上一篇 / 下一篇.
    Zones: the footer — the trailing run of footer, contact and chrome lines
    that holds at least one footer mark (版权所有, 网站标识码, 备案号 …) — and a
    list of related links, from its heading (相关链接) over the short lines after it.
    """
    p = phrases()
    stripped = [ln.strip() for ln in lines]
    mask = [bool(s) and _is_chrome_line(s) for s in stripped]

    # The footer: walk back from the end over blank, chrome and footer lines.
    start, marked = len(stripped), False
    for i in range(len(stripped) - 1, -1, -1):
        s = stripped[i]
        if not s or mask[i]:
            continue
        if not _is_footer_line(s):
            break
        start = i
        marked = marked or bool(p.footer_mark.search(s))
    # It opens with a footer key or mark: a contact line before them (咨询电话：…) is the document's.
    while start < len(stripped) and not (
        stripped[start] and (p.footer_key.match(stripped[start]) or p.footer_mark.search(stripped[start]))
    ):
        start += 1
    if marked:
        for i in range(start, len(stripped)):
            mask[i] = True

    # Lists of related links.
    in_list = False
    for i, s in enumerate(stripped):
        if not s:
            continue
        if p.related.match(s):
            mask[i], in_list = True, True
        elif in_list and len(s) <= _SHORT and not re.search(r"[。；]$", s):
            mask[i] = True
        else:
            in_list = False
    return mask
