"""Split a policy text into clauses along the document's own structure.

Two layouts occur in Chinese policy files:

* **numbered** — 一、 / （一） / 1. headings, either with the body on the same
  line (（四）创新高技能人才培养模式。全面推行…) or on the following lines
  (一、建立高技能人才库。⏎收集…). Leaves with text become clauses; headings
  that only group children become part of their children's heading path.
  Text before the first heading becomes a ``header`` (metadata table, title,
  bullets) and a ``preamble``; short lines after the last clause (issuer,
  date, 附件) become a ``signature``.
* **table** — tab-indented cells, one line per cell, rows separated by blank
  lines; the first row holds the column names. Every row is one clause.

Every clause's text is a verbatim slice of the input, so quotes can be
checked against the source with a plain substring test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ingest.schema import Clause, DocumentMeta

SEGMENTER_VERSION = "5"

_CN_NUM = "一二三四五六七八九十百零〇"
# Order matters: the first pattern that matches a line decides its level.
_HEADINGS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (1, re.compile(rf"^([{_CN_NUM}]+)、[ \t\u3000]*(.*)$")),
    (2, re.compile(rf"^[（(]([{_CN_NUM}]+)[）)][ \t\u3000]*(.*)$")),
    (3, re.compile(r"^(\d{1,2})[.．、](?!\d)[ \t\u3000]*(.*)$")),
)
_SENTENCE_END = re.compile(r"[。；;！？]")
_META_ROW = re.compile(r"^\|(.+)\|\s*$")
_SIGNATURE_MAX = 40  # a signature line is short: an issuer, a date, "附件:"


@dataclass
class _Line:
    start: int  # offset of the first non-blank character
    end: int  # offset after the last non-blank character
    text: str  # stripped text
    tab: bool = False  # the raw line starts with a tab: a table cell (possibly empty)

    @property
    def blank(self) -> bool:
        return not self.text


@dataclass
class _Node:
    level: int
    label: str
    title: str
    lines: list[_Line] = field(default_factory=list)
    heading_body: bool = False  # the heading line carries body text itself


def _lines(text: str) -> list[_Line]:
    out = []
    pos = 0
    for raw in text.split("\n"):
        stripped = raw.strip().strip("•·").strip()
        tab = raw.startswith("\t")
        if stripped:
            start = pos + raw.index(stripped)
            out.append(_Line(start, start + len(stripped), stripped, tab))
        else:
            out.append(_Line(pos, pos, "", tab))
        pos += len(raw) + 1
    return out


def label_for(level: int, number: str) -> str:
    """Canonical label: 二 / （四） / 3 — the same whatever parentheses the source used."""
    return {1: number, 2: f"（{number}）", 3: number}[level]


def _split_title(rest: str) -> tuple[str, bool]:
    """Heading title, and whether body text follows it on the same line."""
    m = _SENTENCE_END.search(rest)
    if m is None:
        return rest.strip(), False
    body = rest[m.end() :].strip()
    return rest[: m.start()].strip(), bool(body)


def detect_layout(text: str) -> str:
    """``table`` when the text is made of tab-indented blocks of equal size."""
    blocks = _tab_blocks(_lines(text))
    if len(blocks) >= 3 and len({len(b) for b in blocks}) == 1 and len(blocks[0]) >= 2:
        return "table"
    return "numbered"


def segment(text: str, doc: DocumentMeta) -> list[Clause]:
    """Split ``text`` (the decoded source) into clauses of ``doc``."""
    layout = doc.segmenter if doc.segmenter != "auto" else detect_layout(text)
    clauses = _segment_table(text, doc) if layout == "table" else _segment_numbered(text, doc)
    return [c.model_copy(update={"order": i}) for i, c in enumerate(clauses)]


# --------------------------------------------------------------------------- numbered


def _segment_numbered(text: str, doc: DocumentMeta) -> list[Clause]:
    lines = _lines(text)
    nodes: list[_Node] = []
    preamble: list[_Line] = []
    for line in lines:
        heading = None if line.blank else _match_heading(line.text)
        if heading is not None:
            level, number, rest = heading
            title, inline = _split_title(rest)
            nodes.append(_Node(level, label_for(level, number), title, [line], inline))
        elif nodes:
            nodes[-1].lines.append(line)
        else:
            preamble.append(line)

    signature = _cut_signature(nodes[-1].lines) if nodes else []
    clauses = _front_matter(preamble, text, doc)
    # A node has children when the next node is deeper; only such a node can be a pure group heading.
    has_children = [i + 1 < len(nodes) and nodes[i + 1].level > n.level for i, n in enumerate(nodes)]
    stack: list[_Node] = []
    seen: dict[tuple[str, ...], int] = {}
    for node, parent in zip(nodes, has_children, strict=True):
        while stack and stack[-1].level >= node.level:
            stack.pop()
        path = (*(n.label for n in stack), node.label)
        heading_path = (*(_heading(n) for n in stack), _heading(node))
        stack.append(node)
        body = [ln for ln in node.lines[1:] if not ln.blank]
        if parent and not (node.heading_body or body):
            continue  # a heading that only groups its children
        # Numbering that restarts (an attachment numbered 一、 again) must not reuse an id.
        seen[path] = seen.get(path, 0) + 1
        if seen[path] > 1:
            path = (*path[:-1], f"{path[-1]}~{seen[path]}")
        content = [ln for ln in node.lines if not ln.blank]
        clauses.append(_make(doc, "clause", path, heading_path, node.title, text, content[0].start, content[-1].end))
    if signature:
        clauses.append(
            _make(doc, "signature", ("落款",), ("落款",), "落款", text, signature[0].start, signature[-1].end)
        )
    return clauses


def _match_heading(line: str) -> tuple[int, str, str] | None:
    for level, pattern in _HEADINGS:
        m = pattern.match(line)
        if m:
            return level, m.group(1), m.group(2)
    return None


def _heading(node: _Node) -> str:
    sep = "、" if node.level == 1 else ("." if node.level == 3 else "")
    return f"{node.label}{sep}{node.title}"


def _cut_signature(lines: list[_Line]) -> list[_Line]:
    """Remove trailing short lines (issuer, date, 附件) from the last clause and return them."""
    cut = len(lines)
    while cut > 1:
        line = lines[cut - 1]
        if line.blank or (len(line.text) <= _SIGNATURE_MAX and "。" not in line.text):
            cut -= 1
        else:
            break
    tail = [ln for ln in lines[cut:] if not ln.blank]
    del lines[cut:]
    return tail


def _front_matter(lines: list[_Line], text: str, doc: DocumentMeta) -> list[Clause]:
    """Header (metadata table, title, bullets) and preamble before the first heading."""
    content = [ln for ln in lines if not ln.blank]
    if not content:
        return []
    # The header runs until the first real paragraph: a long line ending a sentence.
    split = len(content)
    for i, ln in enumerate(content):
        if len(ln.text) >= 60 and _SENTENCE_END.search(ln.text[-2:]) and not _META_ROW.match(ln.text):
            split = i
            break
    header, body = content[:split], content[split:]
    out = []
    if header:
        clause = _make(doc, "header", ("文件信息",), ("文件信息",), "文件信息", text, header[0].start, header[-1].end)
        out.append(clause.model_copy(update={"fields": _metadata_table(header)}))
    if body:
        out.append(_make(doc, "preamble", ("前言",), ("前言",), "前言", text, body[0].start, body[-1].end))
    return out


def _metadata_table(lines: list[_Line]) -> dict[str, str]:
    """Key/value cells of a ``| 索引号 | … | 文号 | … |`` metadata table."""
    fields: dict[str, str] = {}
    for ln in lines:
        m = _META_ROW.match(ln.text)
        if not m:
            continue
        cells = [re.sub(r"\s+", "", c) for c in m.group(1).split("|")]
        for key, value in zip(cells[::2], cells[1::2], strict=False):
            if key and value:
                fields[key] = value
    return fields


# --------------------------------------------------------------------------- table


def _tab_blocks(lines: list[_Line]) -> list[list[_Line]]:
    """Runs of consecutive tab-indented lines."""
    blocks: list[list[_Line]] = []
    current: list[_Line] = []
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


def _segment_table(text: str, doc: DocumentMeta) -> list[Clause]:
    lines = _lines(text)
    blocks = _tab_blocks(lines)
    if not blocks:
        return _segment_numbered(text, doc)
    columns = [ln.text for ln in blocks[0]]
    before = [ln for ln in lines if not ln.blank and ln.end <= blocks[0][0].start]
    out = _front_matter(before, text, doc)
    seen: dict[str, int] = {}
    for number, block in enumerate(blocks[1:], 1):
        cells = [ln.text for ln in block]
        filled = [ln for ln in block if not ln.blank]
        if not filled:
            continue
        name = cells[0] or f"第{number}行"
        seen[name] = seen.get(name, 0) + 1
        label = name if seen[name] == 1 else f"{name}（{seen[name]}）"
        clause = _make(doc, "row", (label,), (label,), name, text, filled[0].start, filled[-1].end)
        named = dict(zip(columns, cells, strict=False))
        out.append(clause.model_copy(update={"fields": named}))
    return out


# --------------------------------------------------------------------------- common


def _make(
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


def iter_text_windows(text: str, max_chars: int, overlap: int) -> Iterator[tuple[int, int]]:
    """Character windows of at most ``max_chars`` that overlap by ``overlap``.

    Window ends are moved back to a sentence end when one is near, so that a
    window rarely stops mid-sentence.
    """
    if len(text) <= max_chars:
        yield 0, len(text)
        return
    start = 0
    while start < len(text):
        end = min(start + max_chars, len(text))
        if end < len(text):
            cut = max(text.rfind(p, start + max_chars // 2, end) for p in "。；;")
            if cut > 0:
                end = cut + 1
        yield start, end
        if end >= len(text):
            return
        start = max(end - overlap, start + 1)
