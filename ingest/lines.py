"""Source lines with their offsets, and clauses built from spans of them.

Shared by the segmenters (``segment`` for numbered and table documents,
``segment_pages`` for unnumbered web pages). Page chrome (see ``pagetext``)
is read as a blank line that also breaks a run: no clause spans across it,
so a plain-text copy of a page keeps its breadcrumbs, tools and footer out of
every clause while its text stays verbatim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.pagetext import chrome_mask
from ingest.schema import Clause, DocumentMeta

SENTENCE_END = re.compile(r"[。；;！？]")
CN_NUM = "一二三四五六七八九十百零〇"
# Order matters: the first pattern that matches a line decides its level.
HEADINGS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (1, re.compile(rf"^([{CN_NUM}]+)、[ \t\u3000]*(.*)$")),
    (2, re.compile(rf"^[（(]([{CN_NUM}]+)[）)][ \t\u3000]*(.*)$")),
    (3, re.compile(r"^(\d{1,2})[.．、](?!\d)[ \t\u3000]*(.*)$")),
)
META_ROW = re.compile(r"^\|(.+)\|\s*$")


@dataclass
class Line:
    start: int  # offset of the first non-blank character
    end: int  # offset after the last non-blank character
    text: str  # stripped text; "" for a blank or chrome line
    tab: bool = False  # the raw line starts with a tab: a table cell (possibly empty)
    chrome: bool = False  # page chrome: breadcrumbs, tools, page info, footer

    @property
    def blank(self) -> bool:
        return not self.text


def match_heading(line: str) -> tuple[int, str, str] | None:
    """(level, number, rest) of a 一、 / （一） / 1. heading line, or None."""
    for level, pattern in HEADINGS:
        m = pattern.match(line)
        if m:
            return level, m.group(1), m.group(2)
    return None


def source_lines(text: str) -> list[Line]:
    raw_lines = text.split("\n")
    mask = chrome_mask(raw_lines)
    out = []
    pos = 0
    for raw, chrome in zip(raw_lines, mask, strict=True):
        stripped = raw.strip().strip("•·").strip()
        tab = raw.startswith("\t")
        if stripped and not chrome:
            start = pos + raw.index(stripped)
            out.append(Line(start, start + len(stripped), stripped, tab))
        else:
            out.append(Line(pos, pos, "", tab, chrome=bool(stripped)))
        pos += len(raw) + 1
    return out


def runs(lines: list[Line]) -> list[list[Line]]:
    """The non-blank lines, split into runs wherever a chrome line lies between two of them."""
    out: list[list[Line]] = []
    current: list[Line] = []
    for ln in lines:
        if ln.chrome and current:
            out.append(current)
            current = []
        elif not ln.blank:
            current.append(ln)
    if current:
        out.append(current)
    return out


def make_clause(
    doc: DocumentMeta,
    kind: str,
    path: tuple[str, ...],
    heading_path: tuple[str, ...],
    title: str,
    text: str,
    start: int,
    end: int,
) -> Clause:
    return Clause(
        clause_id=f"{doc.id}/" + "/".join(path),
        doc_id=doc.id,
        kind=kind,  # type: ignore[arg-type]
        path=path,
        heading_path=heading_path,
        title=title,
        text=text[start:end],
        start=start,
        end=end,
        order=0,
    )


def header_clauses(header: list[Line], text: str, doc: DocumentMeta, fields: dict[str, str]) -> list[Clause]:
    """The ``文件信息`` clause of these lines; one per run when chrome lies between them (文件信息~2 …)."""
    out = []
    for n, run in enumerate(runs(header), 1):
        label = "文件信息" if n == 1 else f"文件信息~{n}"
        clause = make_clause(doc, "header", (label,), ("文件信息",), "文件信息", text, run[0].start, run[-1].end)
        out.append(clause.model_copy(update={"fields": fields if n == 1 else {}}))
    return out


def front_matter(lines: list[Line], text: str, doc: DocumentMeta) -> list[Clause]:
    """Header (metadata table, title, bullets) and preamble before the first heading."""
    content = [ln for ln in lines if not ln.blank]
    if not content:
        return []
    # The header runs until the first real paragraph: a long line ending a sentence.
    split = len(content)
    for i, ln in enumerate(content):
        if len(ln.text) >= 60 and SENTENCE_END.search(ln.text[-2:]) and not META_ROW.match(ln.text):
            split = i
            break
    header_end = content[split].start if split < len(content) else len(text) + 1
    header = [ln for ln in lines if ln.start < header_end]
    out = header_clauses(header, text, doc, metadata_table(content[:split])) if split else []
    for n, run in enumerate(runs([ln for ln in lines if ln.start >= header_end]), 1):
        label = "前言" if n == 1 else f"前言~{n}"
        out.append(make_clause(doc, "preamble", (label,), ("前言",), "前言", text, run[0].start, run[-1].end))
    return out


def metadata_table(lines: list[Line]) -> dict[str, str]:
    """Key/value cells of a ``| 索引号 | … | 文号 | … |`` metadata table."""
    fields: dict[str, str] = {}
    for ln in lines:
        m = META_ROW.match(ln.text)
        if not m:
            continue
        cells = [re.sub(r"\s+", "", c) for c in m.group(1).split("|")]
        for key, value in zip(cells[::2], cells[1::2], strict=False):
            if key and value:
                fields[key] = value
    return fields


def tab_blocks(lines: list[Line]) -> list[list[Line]]:
    """Runs of consecutive tab-indented lines."""
    blocks: list[list[Line]] = []
    current: list[Line] = []
    for ln in lines:
        if ln.tab:
            current.append(ln)  # a tab-only line is an empty cell, not a row separator
        else:
            if current:
                blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks
