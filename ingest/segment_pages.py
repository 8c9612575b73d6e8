"""Clauses of an unnumbered page: paragraphs, "key：value" lines, questions and answers, table rows, signatures.

A policy page that does not number its parts (a summary of a subsidy, a
notice, a Q&A page) is split by what it does have:

* the **header** — the title, the page's metadata block (索引号 / 文号 …), a
  document number line, a date line — becomes ``文件信息`` (one per run when
  page information sits between its lines: ``文件信息~2``);
* a **"key：value" line** (执行年限：…, 政策依据：…, 补贴标准：…) becomes a clause
  named by its key; a value that goes on over list items (1.… 2.…), or whose
  key stands alone (申报材料：), takes those lines with it;
* a **question with its answer** (问：/答：, Q/A, or a question title such as
  "1.谁可以申领？" followed by its answer) becomes one ``qa`` clause titled by
  the question, ids ``问1``, ``问2`` … in page order;
* a **table** (tab-indented rows, as the loaders write them) becomes one ``row``
  clause per row, its cells named by the header row;
* the **signature** — issuer line(s) and a date line — becomes ``落款``, never
  part of the paragraph before it;
* an **article** (第三条 …) becomes ``第三条``, with the lines up to the next
  article or chapter heading;
* every other **paragraph** becomes ``第1段``, ``第2段`` … A short line without
  punctuation that heads what follows is a sub-heading: it goes into the
  heading path of the clauses under it, like a grouping heading.

Page chrome (see ``pagetext``) never falls inside a clause.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise

from ingest.lines import (
    Line,
    header_clauses,
    make_clause,
    match_heading,
    metadata_table,
    source_lines,
    tab_blocks,
)
from ingest.metadata import is_date_line, is_number_line, is_org_line
from ingest.pagetext import all_metadata_keys, answer_text, labelled_fields, question_text
from ingest.schema import Clause, DocumentMeta

_END = "。；;！!？?，,、：:"  # a line ending with one of these is not a heading
_QUESTION_MAX = 120
_SUB_MAX = 30
_TITLE_MAX = 150
_KEY_VALUE = re.compile(r"^(?P<key>[\u4e00-\u9fff][\u4e00-\u9fffA-Za-z0-9（）()、/]{1,11}?)\s*[：:]\s*(?P<value>.*)$")
_NOT_KEY = re.compile(r"^(?:各|致|尊敬|亲爱)|(?:如下|以下|如下所示|通知|同志们|朋友们)$")
_LIST_ITEM = re.compile(
    r"^(?:\d{1,2}[.．、)）](?!\d)|[（(]\d{1,2}[)）]|[（(][一二三四五六七八九十]+[)）]|[①-⑳]|[-—·•▪])"
)
_TITLE_END = re.compile(
    r"(?:通知|办法|方案|意见|规定|细则|公告|通告|决定|指南|问答|解读|清单|目录|一览表|简介|说明|批复|函|政策|措施|要点|规划|计划|条例)"
    r"[）)]?$"
)
_NOTE = re.compile(r"[（(][^（()）]{2,30}[)）]")  # （此件公开发布）
_ARTICLE = re.compile(r"^第[一二三四五六七八九十百零〇两\d]{1,6}条")
_QUESTION_IN_LINE = re.compile(r"^(?P<q>.{2,120}?[？?])\s*(?:(?:答|A)\s*[：:])?\s*(?P<a>.*)$")


@dataclass
class _Unit:
    """A paragraph of the page (or a table): consecutive lines that belong together."""

    lines: list[Line]
    broken: bool = False  # chrome lies between it and the unit before
    gap: bool = False  # a blank line (or chrome) lies between it and the unit before
    table: bool = False

    @property
    def text(self) -> str:
        """The first line's text (a table's first filled cell)."""
        return next((ln.text for ln in self.lines if not ln.blank), "")

    @property
    def start(self) -> int:
        return next(ln for ln in self.lines if not ln.blank).start

    @property
    def end(self) -> int:
        return next(ln for ln in reversed(self.lines) if not ln.blank).end


# ----------------------------------------------------------------------------- units


def _wrap_width(lines: list[Line]) -> int | None:
    """The width a hard-wrapped text (a PDF layer, a fixed-width copy) breaks its lines at, if it is one."""
    lengths = [len(ln.text) for ln in lines if not ln.blank and not ln.tab and len(ln.text) >= 10]
    if len(lengths) < 6:
        return None
    common, _ = Counter(lengths).most_common(1)[0]
    near = sum(1 for n in lengths if abs(n - common) <= 2)
    return common if common >= 20 and near >= 0.3 * len(lengths) else None


def _units(lines: list[Line]) -> list[_Unit]:
    width = _wrap_width(lines)
    units: list[_Unit] = []
    broken = gap = False
    i = 0
    while i < len(lines):
        ln = lines[i]
        if ln.tab:  # a table: tab-indented cells, rows separated by blank lines
            j = i
            while j < len(lines) and (lines[j].tab or (lines[j].blank and not lines[j].chrome)):
                j += 1
            block = lines[i:j]
            while block and not block[-1].tab:
                block.pop()  # the blank line after the last row
            if any(not c.blank for c in block):
                units.append(_Unit(block, broken, gap, table=True))
            broken = gap = False
            i = j
            continue
        if ln.blank:
            broken = broken or ln.chrome
            gap = True
        else:
            prev = units[-1] if units else None
            wrapped = (
                width is not None
                and prev is not None
                and not prev.table
                and not gap
                and len(prev.lines[-1].text) >= width - 2
                and prev.lines[-1].text[-1] not in _END
            )
            if wrapped and prev is not None:
                prev.lines.append(ln)
            else:
                units.append(_Unit([ln], broken, gap))
            broken = gap = False
        i += 1
    return units


# ----------------------------------------------------------------------------- reading single units


def _key_value(text: str) -> tuple[str, str] | None:
    m = _KEY_VALUE.match(text)
    if not m or _NOT_KEY.search(m.group("key")) or "《" in m.group("key"):
        return None
    return m.group("key"), m.group("value")


def _is_salutation(text: str) -> bool:
    """各区人社局、各有关单位： — whom a notice is addressed to."""
    if not text.endswith(("：", ":")) or len(text) > 80:
        return False
    head = text[:-1]
    if re.search(r"[：:]", head):  # 补贴标准：按以下标准发放： is a key and its value
        return False
    return head.startswith(("各", "致", "尊敬")) or bool(re.search(r"[、，,]", head)) or "同志" in head


def _question(unit: _Unit, qa: bool) -> tuple[str, str] | None:
    """(question, answer on the same line) when the unit opens a question, else None."""
    text = unit.text
    marked = question_text(text)
    if marked is not None:
        m = _QUESTION_IN_LINE.match(marked)
        return (m.group("q"), m.group("a")) if m and m.group("a") else (marked, "")
    if not qa:
        return None
    heading = match_heading(text)
    rest = heading[2].strip() if heading else text
    if rest.endswith(("？", "?")) and 2 <= len(rest) <= _QUESTION_MAX:
        return rest, ""
    if heading:  # 1.谁可以申领？参保职工…
        m = _QUESTION_IN_LINE.match(rest)
        if m and m.group("a"):
            return m.group("q"), m.group("a")
    return None


def _is_signature_line(text: str) -> bool:
    return is_date_line(text) or is_org_line(text)


def _is_heading_like(unit: _Unit) -> bool:
    """A one-line unit, short and without punctuation at its end: a sub-heading when text follows it."""
    text = unit.text
    return (
        len(unit.lines) == 1
        and not unit.table
        and 0 < len(text) <= _SUB_MAX
        and text[-1] not in _END
        and not _is_signature_line(text)
    )


def _is_metadata(text: str) -> bool:
    return bool(re.match(r"^\|.+\|$", text)) or bool(labelled_fields(text, all_metadata_keys()))


# ----------------------------------------------------------------------------- the page


def count_key_values(lines: list[Line]) -> int:
    """How many lines read as "key：value" (for telling a summary page from a numbered list)."""
    return sum(1 for ln in lines if not ln.blank and not ln.tab and _key_value(ln.text) and not _is_metadata(ln.text))


def count_articles(lines: list[Line]) -> int:
    """How many lines open an article (第三条 …)."""
    return sum(1 for ln in lines if not ln.blank and _ARTICLE.match(ln.text))


def is_qa_page(lines: list[Line]) -> bool:
    """Questions with answers: two 问： lines, or question titles that are most of the page's headings."""
    content = [ln for ln in lines if not ln.blank and not ln.tab]
    if sum(1 for ln in content if question_text(ln.text) is not None) >= 2:
        return True
    titled = 0
    for ln, nxt in pairwise(content):
        if _question(_Unit([ln]), qa=True) is not None and _question(_Unit([nxt]), qa=True) is None:
            titled += 1
    headings = sum(1 for ln in content if match_heading(ln.text))
    return titled >= 2 and 2 * titled >= headings


@dataclass
class _Builder:
    text: str
    doc: DocumentMeta
    clauses: list[Clause] = field(default_factory=list)
    seen: dict[str, int] = field(default_factory=dict)
    paragraphs: int = 0
    questions: int = 0
    context: tuple[str, ...] = ()  # the sub-headings over the clauses that follow
    under_heading: bool = False  # nothing but headings since the last sub-heading

    def heading(self, text: str) -> None:
        """A sub-heading: it nests under one just before it, else it replaces the innermost one."""
        self.context = (*self.context, text) if self.under_heading else (*self.context[:-1], text)
        self.under_heading = True

    def label(self, name: str, scoped: bool = False) -> tuple[str, ...]:
        """The clause path for ``name``: unique in the page, within its sub-headings when ``scoped``.

        Named clauses ("key：value", table rows) are named within their section
        (…/新引进高技能人才生活补贴/补贴标准); numbered ones (第3段, 问2, 第五条) run through the page.
        """
        # "/" joins the id, and ids carry no whitespace: 第四章　附则 → 第四章附则.
        path = tuple(re.sub(r"\s+", "", p).replace("/", "／") for p in (*(self.context if scoped else ()), name))
        key = "/".join(path)
        self.seen[key] = self.seen.get(key, 0) + 1
        if self.seen[key] > 1:
            path = (*path[:-1], f"{path[-1]}（{self.seen[key]}）")
        return path

    def add(
        self,
        kind: str,
        path: tuple[str, ...],
        title: str,
        span: tuple[int, int],
        fields: dict[str, str] | None = None,
    ) -> None:
        heading = title if kind == "qa" else path[-1]  # a question is its own heading; others their label
        headings = ("落款",) if kind == "signature" else (*self.context, heading)
        clause = make_clause(self.doc, kind, path, headings, title, self.text, *span)
        self.clauses.append(clause.model_copy(update={"fields": fields or {}}))
        self.under_heading = False

    def paragraph(self, start: int, end: int) -> None:
        self.paragraphs += 1
        article = _ARTICLE.match(self.text[start:end])  # 第三条 names itself
        path = self.label(article.group(0) if article else f"第{self.paragraphs}段")
        self.add("clause", path, path[-1], (start, end))

    def table(self, unit: _Unit) -> None:
        blocks = tab_blocks(unit.lines)
        if len(blocks) < 2:  # a single row has no header: its cells are a paragraph
            self.paragraph(unit.start, unit.end)
            return
        columns = [ln.text for ln in blocks[0]]
        for number, block in enumerate(blocks[1:], 1):
            cells = [ln.text for ln in block]
            filled = [ln for ln in block if not ln.blank]
            if not filled:
                continue
            first = cells[0]
            if re.fullmatch(r"\d{1,4}", first):  # a 序号 column
                name = f"第{first}行"
                title = next((c for c in cells[1:] if c and not re.fullmatch(r"\d{1,4}", c)), name)
            else:
                name = first or f"第{number}行"
                title = name
            named = dict(zip(columns, cells, strict=False))
            self.add("row", self.label(name, scoped=True), title, (filled[0].start, filled[-1].end), named)


_WRAPPED_TITLE = 20
_PAIRS = (("《", "》"), ("（", "）"), ("(", ")"), ("“", "”"), ("〈", "〉"))


def _unbalanced(text: str) -> bool:
    return any(text.count(a) > text.count(b) for a, b in _PAIRS)


def _header(units: list[_Unit]) -> int:
    """How many leading units are the page's header (title, metadata, number, date, issuer)."""
    n = 0
    title = ""
    for i, unit in enumerate(units):
        text = unit.text
        if unit.table:
            break
        nxt = units[i + 1] if i + 1 < len(units) else None
        if _is_metadata(text) or is_number_line(text) or is_date_line(text) or is_org_line(text):
            n = i + 1
            continue
        if re.fullmatch(r"[（(][^（()）]{1,30}[)）]", text):  # （征求意见稿）, （2024年修订）
            n = i + 1
            continue
        title_like = len(text) <= _TITLE_MAX and text[-1] not in _END and _key_value(text) is None
        opens_questions = nxt is not None and question_text(nxt.text) is not None
        if not title and title_like:
            title, n = text, i + 1  # the title, possibly under the page's metadata block
            continue
        continues_title = (
            title
            and not unit.broken
            and not unit.gap
            and not _TITLE_END.search(title)
            and (_unbalanced(title) or len(title) >= _WRAPPED_TITLE)  # a title broken over lines, not a heading
        )
        if title_like and continues_title and not opens_questions:
            title += text
            n = i + 1
            continue
        break
    return n


def segment_page(text: str, doc: DocumentMeta, *, qa: bool) -> list[Clause]:
    """Clauses of an unnumbered page; with ``qa``, question titles (1.…？) open question-and-answer clauses."""
    lines = source_lines(text)
    units = _units(lines)
    b = _Builder(text, doc)
    n_header = _header(units)
    if n_header:
        header_lines = [ln for ln in lines if ln.start <= units[n_header - 1].end and ln.start >= units[0].start]
        header_content = [ln for u in units[:n_header] for ln in u.lines]
        fields = metadata_table(header_content)
        for ln in header_content:
            for key, value in labelled_fields(ln.text, all_metadata_keys()):
                if value:
                    fields.setdefault(key, value)
        b.clauses.extend(header_clauses(header_lines, text, doc, fields))
        b.seen.update({"/".join(c.path): 1 for c in b.clauses})  # a key named 文件信息 must not take its id

    body = units[n_header:]
    i = 0
    while i < len(body):
        unit = body[i]
        nxt = body[i + 1] if i + 1 < len(body) else None
        if unit.table:
            b.table(unit)
            i += 1
            continue
        question = _question(unit, qa)
        if question is not None:
            i = _qa(b, body, i, question, qa)
            continue
        signature = _signature(body, i)
        if signature:
            b.add("signature", b.label("落款"), "落款", (unit.start, body[i + signature - 1].end))
            b.context = ()
            i += signature
            continue
        if _ARTICLE.match(unit.text):
            i = _article(b, body, i)
            continue
        kv = _key_value(unit.text)
        if kv is not None and not _is_salutation(unit.text):
            i = _key_value_clause(b, body, i, kv)
            continue
        if _is_salutation(unit.text) and nxt is not None and _plain(body, i + 1, qa):
            b.paragraph(unit.start, nxt.end)  # 各有关单位： goes with the paragraph it opens
            i += 2
            continue
        if _is_heading_like(unit) and nxt is not None and not _signature(body, i + 1):
            b.heading(unit.text)
            i += 1
            continue
        b.paragraph(unit.start, unit.end)
        i += 1
    return b.clauses


def _plain(body: list[_Unit], i: int, qa: bool) -> bool:
    """Whether ``body[i]`` is a plain paragraph: none of the units that open a clause of their own."""
    u = body[i]
    return not (
        u.broken
        or u.table
        or _question(u, qa) is not None
        or _signature(body, i)
        or _ARTICLE.match(u.text)
        or _key_value(u.text) is not None
    )


def _signature(body: list[_Unit], i: int) -> int:
    """How many units from ``i`` form a signature block (issuer lines and a date line); 0 if none."""
    j = i
    while j < len(body) and not body[j].table and _is_signature_line(body[j].text) and (j == i or not body[j].broken):
        j += 1
    block = [u.text for u in body[i:j]]
    if not block:
        return 0
    if any(is_date_line(t) for t in block):
        # Issuer lines end at the date; after it only a note such as （此件公开发布） belongs to the signature.
        end = i + max(k for k, t in enumerate(block) if is_date_line(t)) + 1
        while end < len(body) and not body[end].broken and _NOTE.fullmatch(body[end].text):
            end += 1
        return end - i
    at_end = j == len(body)
    return len(block) if at_end and i > 0 else 0


def _article(b: _Builder, body: list[_Unit], i: int) -> int:
    """第三条 and what follows it up to the next article, chapter heading, attachment or signature."""
    j = i + 1
    while j < len(body):
        u = body[j]
        kv = _key_value(u.text)
        if (
            u.broken
            or u.table
            or _ARTICLE.match(u.text)
            or _is_heading_like(u)
            or (kv is not None and kv[0].startswith("附件"))
            or question_text(u.text) is not None
            or _signature(body, j)
        ):
            break
        j += 1
    path = b.label(_ARTICLE.match(body[i].text).group(0))  # type: ignore[union-attr]
    b.add("clause", path, path[-1], (body[i].start, body[j - 1].end))
    return j


def _key_value_clause(b: _Builder, body: list[_Unit], i: int, kv: tuple[str, str]) -> int:
    key, value = kv
    open_value = not value or value.endswith(("：", ":"))
    j = i + 1
    while j < len(body):
        u = body[j]
        if u.broken or u.table or _key_value(u.text) or _question(u, qa=False) or _signature(body, j):
            break
        if not (_LIST_ITEM.match(u.text) or (open_value and not _is_heading_like(u))):
            break
        j += 1
    span = (body[i].start, body[j - 1].end)
    whole = b.text[span[0] : span[1]]
    b.add("clause", b.label(key, scoped=True), key, span, {key: re.split(r"[：:]", whole, maxsplit=1)[-1].strip()})
    if key.startswith("附件"):
        b.context = ()  # what follows an attachment line is the attachment, under none of the sections above
    return j


def _qa(b: _Builder, body: list[_Unit], i: int, question: tuple[str, str], qa: bool) -> int:
    """One question-and-answer clause from ``body[i]``; returns the index after its answer."""
    q, answer = question
    first = i + 1  # the first unit of the answer
    if not q and first < len(body):  # 问： alone on its line, the question on the next
        q = body[first].text
        first += 1
    j = first
    while j < len(body):
        u = body[j]
        nxt = body[j + 1] if j + 1 < len(body) else None
        if u.broken or _question(u, qa) is not None or (_signature(body, j) and _ends_page(body, j)):
            break
        if nxt is not None and _is_heading_like(u) and _question(nxt, qa) is not None:
            break  # a section heading over the next questions
        j += 1
    end = body[max(j, first) - 1].end if j > i + 1 else body[i].end
    if j > first:
        rest = b.text[body[first].start : end]
        answer = "\n".join(a for a in (answer, answer_text(rest) or rest) if a)
    b.questions += 1
    title = q.strip()
    b.add("qa", b.label(f"问{b.questions}"), title, (body[i].start, end), {"问": title, "答": answer.strip()})
    # A section heading that closed this answer heads the questions after it.
    if j + 1 < len(body) and _is_heading_like(body[j]) and _question(body[j + 1], qa) is not None:
        b.heading(body[j].text)
        return j + 1
    return j


def _ends_page(body: list[_Unit], j: int) -> bool:
    """Whether a signature at ``j`` closes the page (only signature, "key：value" or short lines follow)."""
    n = _signature(body, j)
    return all(not _question(u, qa=True) for u in body[j + n :])
