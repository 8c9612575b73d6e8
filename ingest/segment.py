"""Split a policy text into clauses along the document's own structure.

Two layouts occur in Chinese policy documents:

* **numbered** — 一、 / （一） / 1. headings, either with the body on the same
  line (（四）创新高技能人才培养模式。全面推行…) or on the following lines
  (一、建立高技能人才库。⏎收集…). Leaves with text become clauses; headings
  that only group children become part of their children's heading path.
  Text before the first heading becomes a ``header`` (metadata table, title,
  bullets) and a ``preamble``; short lines after the last clause (issuer,
  date, 附件) become a ``signature``.
* **table** — tab-indented cells, one line per cell, rows separated by blank
  lines; the first row holds the column names. Every row is one clause.

Unnumbered web pages (paragraphs, "key：value" lines, questions and answers)
are split by ``segment_pages``. Page chrome (``pagetext``) is read as a blank
line that no clause spans across.

Every clause's text is a verbatim slice of the input, so quotes can be
checked against the source with a plain substring test.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ingest.lines import SENTENCE_END, Line, front_matter, make_clause, match_heading, source_lines, tab_blocks
from ingest.schema import Clause, DocumentMeta
from ingest.segment_pages import count_articles, count_key_values, is_qa_page, segment_page

SEGMENTER_VERSION = "6"

_SIGNATURE_MAX = 40  # a signature line is short: an issuer, a date, "附件:"


@dataclass
class _Node:
    level: int
    label: str
    title: str
    lines: list[Line] = field(default_factory=list)
    heading_body: bool = False  # the heading line carries body text itself


def label_for(level: int, number: str) -> str:
    """Canonical label: 二 / （四） / 3 — the same whatever parentheses the source used."""
    return {1: number, 2: f"（{number}）", 3: number}[level]


def _split_title(rest: str) -> tuple[str, bool]:
    """Heading title, and whether body text follows it on the same line."""
    m = SENTENCE_END.search(rest)
    if m is None:
        return rest.strip(), False
    body = rest[m.end() :].strip()
    return rest[: m.start()].strip(), bool(body)


def detect_layout(text: str) -> str:
    """How ``text`` is laid out: ``table``, ``qa``, ``numbered`` or ``paragraph``.

    * table — tab-indented blocks of equal size and nothing after them (a notice
      with text after its table is a page);
    * qa — questions with their answers (问：/答：, or question titles 1.…？);
    * paragraph — articles (第一条 …), which the page segmenter names;
    * numbered — a 一、 or （一） heading, or several 1. headings in a text that
      is not a list of "key：value" lines;
    * paragraph — anything else: an unnumbered page.
    """
    lines = source_lines(text)
    blocks = tab_blocks(lines)
    if len(blocks) >= 3 and len({len(b) for b in blocks}) == 1 and len(blocks[0]) >= 2:
        last = blocks[-1][-1].end
        if not any(not ln.blank and not ln.tab and ln.start >= last for ln in lines):
            return "table"
    if is_qa_page(lines):
        return "qa"
    if count_articles(lines) >= 3:  # 第一条 … 第十四条: a measure written in articles
        return "paragraph"
    levels = [h[0] for h in (match_heading(ln.text) for ln in lines if not ln.blank and not ln.tab) if h]
    if 1 in levels or 2 in levels or (levels.count(3) >= 2 and count_key_values(lines) < 2):
        return "numbered"
    return "paragraph"


def segment(text: str, doc: DocumentMeta) -> list[Clause]:
    """Split ``text`` (the decoded source) into clauses of ``doc``."""
    layout = doc.segmenter if doc.segmenter != "auto" else detect_layout(text)
    if layout == "table":
        clauses = _segment_table(text, doc)
    elif layout in ("paragraph", "qa"):
        clauses = segment_page(text, doc, qa=layout == "qa")
    else:
        clauses = _segment_numbered(text, doc)
    return [c.model_copy(update={"order": i}) for i, c in enumerate(clauses)]


# --------------------------------------------------------------------------- numbered


def _segment_numbered(text: str, doc: DocumentMeta) -> list[Clause]:
    lines = source_lines(text)
    nodes: list[_Node] = []
    preamble: list[Line] = []
    for line in lines:
        heading = None if line.blank else match_heading(line.text)
        if heading is not None:
            level, number, rest = heading
            title, inline = _split_title(rest)
            nodes.append(_Node(level, label_for(level, number), title, [line], inline))
        elif nodes:
            nodes[-1].lines.append(line)
        else:
            preamble.append(line)

    signature = _cut_signature(nodes[-1].lines) if nodes else []
    clauses = front_matter(preamble, text, doc)
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
        clauses.append(
            make_clause(doc, "clause", path, heading_path, node.title, text, content[0].start, content[-1].end)
        )
    if signature:
        clauses.append(
            make_clause(doc, "signature", ("落款",), ("落款",), "落款", text, signature[0].start, signature[-1].end)
        )
    return clauses


def _heading(node: _Node) -> str:
    sep = "、" if node.level == 1 else ("." if node.level == 3 else "")
    return f"{node.label}{sep}{node.title}"


def _cut_signature(lines: list[Line]) -> list[Line]:
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


# --------------------------------------------------------------------------- table


def _segment_table(text: str, doc: DocumentMeta) -> list[Clause]:
    lines = source_lines(text)
    blocks = tab_blocks(lines)
    if not blocks:
        return _segment_numbered(text, doc)
    columns = [ln.text for ln in blocks[0]]
    before = [ln for ln in lines if not ln.blank and ln.end <= blocks[0][0].start]
    out = front_matter(before, text, doc)
    seen: dict[str, int] = {}
    for number, block in enumerate(blocks[1:], 1):
        cells = [ln.text for ln in block]
        filled = [ln for ln in block if not ln.blank]
        if not filled:
            continue
        name = cells[0] or f"第{number}行"
        seen[name] = seen.get(name, 0) + 1
        label = name if seen[name] == 1 else f"{name}（{seen[name]}）"
        clause = make_clause(doc, "row", (label,), (label,), name, text, filled[0].start, filled[-1].end)
        named = dict(zip(columns, cells, strict=False))
        out.append(clause.model_copy(update={"fields": named}))
    return out


# --------------------------------------------------------------------------- common


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
