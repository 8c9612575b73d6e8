"""Turn a policy file (.txt, .md, .html, .docx, .pdf) into plain text for ingestion.

``load_text`` is the single entry point. Callers store character offsets into the
text it returns and quote it verbatim, so nothing is normalised except line endings
(CRLF / CR become ``\\n``): a text file comes back exactly as decoded. Every problem
with a file is raised as a ``LoaderError`` whose ``reason`` a person can act on.

Output shapes:

* txt / md: the decoded file (UTF-8 with or without BOM, UTF-16 with BOM, GBK /
  GB18030 and whatever else charset-normalizer recognises).
* html: visible text, one line per block element, without page chrome
  (breadcrumbs, tools, 上一篇 / 下一篇, related links, footer; see ``pagetext``);
  a data table in the same format as docx, a metadata table (索引号 / 文号 …) as
  ``| key | value |`` rows, the cells of a layout table as blocks.
* docx: one line per paragraph; a table is a run of row blocks separated by blank
  lines, each cell on its own line prefixed by a tab (the project's table format).
* pdf: the text layer of every page, pages joined by ``\\n``.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import charset_normalizer
import docx
from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.dammit import EncodingDetector
from bs4.element import PreformattedString
from docx.document import Document as DocxDocument
from docx.table import Table, _Row
from docx.text.paragraph import Paragraph
from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError

from ingest.pagetext import all_metadata_keys, chrome_mask, is_chrome_class, page_info


class LoaderError(Exception):
    """A file that cannot be turned into text, and why."""

    def __init__(self, path: Path, reason: str) -> None:
        reason = " ".join(reason.split())  # keep the message on one line
        super().__init__(path, reason)
        self.path = path
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True)
class LoadedText:
    """The text of one file, the codec it was decoded with, and its format."""

    text: str
    encoding: str | None  # codec used to decode the bytes; None for docx / pdf
    kind: str  # "txt", "md", "html", "docx" or "pdf"


# ----------------------------------------------------------------------------- text decoding

_GB_CODECS = frozenset({"gb2312", "gbk", "gb18030"})  # decoded as gb18030, their superset


def _codec_name(name: str | None) -> str | None:
    """Python's canonical name for an encoding label, GB family widened to gb18030."""
    if not name:
        return None
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        return None
    return "gb18030" if canonical in _GB_CODECS else canonical


def _try_decode(raw: bytes, encoding: str) -> str | None:
    try:
        return raw.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _is_chinese_char(char: str) -> bool:
    code = ord(char)
    return (
        0x4E00 <= code <= 0x9FFF  # CJK unified ideographs
        or 0x3400 <= code <= 0x4DBF  # extension A
        or 0x3000 <= code <= 0x303F  # CJK punctuation: 、。〔〕「」
        or 0xFF00 <= code <= 0xFFEF  # full-width forms: ，：（）
        or 0x2000 <= code <= 0x206F  # general punctuation: “”…—
    )


def _looks_chinese(text: str | None) -> bool:
    """True if nearly all non-ASCII characters are hanzi or Chinese punctuation."""
    if text is None:
        return False
    non_ascii = [c for c in text if ord(c) > 0x7F]
    chinese = sum(map(_is_chinese_char, non_ascii))
    return bool(non_ascii) and chinese >= 0.9 * len(non_ascii)


def _decode(path: Path, raw: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode text bytes; return the text and the name of the codec used.

    Order: UTF-16 (only with a BOM), strict UTF-8 (BOM stripped), then the encoding
    the file declares (HTML) and charset-normalizer's guess. Detectors often guess
    wrong on short GBK texts (cp949, big5, ...); as this is a Chinese corpus,
    gb18030 goes first whenever it decodes to text that looks Chinese.
    """
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _try_decode(raw, "utf-16")
        if text is not None:
            return text, "utf-16"
    if b"\x00" in raw:
        raise LoaderError(path, "looks like binary data (contains NUL bytes), not text")
    text = _try_decode(raw, "utf-8-sig")
    if text is not None:
        return text, "utf-8-sig" if raw.startswith(codecs.BOM_UTF8) else "utf-8"

    best = charset_normalizer.from_bytes(raw).best()
    candidates = [c for c in (_codec_name(declared), _codec_name(best.encoding if best else None)) if c]
    if "gb18030" not in candidates and _looks_chinese(_try_decode(raw, "gb18030")):
        candidates.insert(0, "gb18030")
    for encoding in candidates:
        text = _try_decode(raw, encoding)
        if text is not None:
            return text, encoding
    raise LoaderError(path, "looks like binary data: no text encoding fits its bytes")


def _load_plain(path: Path, raw: bytes) -> tuple[str, str | None]:
    return _decode(path, raw)


# ----------------------------------------------------------------------------- html

_DROPPED_TAGS = [
    "head", "script", "style", "noscript", "template", "nav", "iframe", "svg",
    "button", "select", "input", "textarea",
]  # fmt: skip
_CELL_TAGS = frozenset({"td", "th"})
_BLOCK_TAGS = frozenset(
    "address article aside blockquote body caption center dd details dialog div dl dt "
    "fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr html li main ol p "
    "pre section summary table tbody tfoot thead tr ul".split()
)
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")  # HTML collapses ASCII whitespace only, not &nbsp; / U+3000
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_PARAGRAPH = re.compile(r"[^。！？]{30,}[。！？]")  # a sentence of running text


def _is_content(tag: Tag) -> bool:
    """Whether an element holds document text: never dropped as chrome, whatever its class says."""
    text = tag.get_text(" ", strip=True)
    return len(text) > 400 or tag.find(["h1", "h2"]) is not None or _PARAGRAPH.search(text) is not None


def _drop_chrome_elements(soup: BeautifulSoup) -> None:
    """Remove the page's own furniture: footers, site headers, side bars, hidden and chrome-classed elements."""
    for tag in list(soup.find_all(True)):
        if tag.decomposed or not isinstance(tag.attrs, dict):
            continue
        names = [*tag.get_attribute_list("class"), *tag.get_attribute_list("id")]
        chrome = (
            tag.name in ("footer", "aside", "header")
            or _HIDDEN.search(str(tag.get("style", "")))
            or is_chrome_class(n for n in names if n)
            or tag.get("aria-hidden") == "true"
        )
        if chrome and not _is_content(tag):
            tag.decompose()


def _inline_text(node: Tag) -> str:
    """Text of a table cell on one line: block boundaries become spaces."""
    pieces = []
    for child in node.descendants:
        if isinstance(child, NavigableString) and not isinstance(child, PreformattedString):
            pieces.append(_HTML_SPACE.sub(" ", child))
        elif isinstance(child, Tag) and (child.name == "br" or child.name in _BLOCK_TAGS):
            pieces.append(" ")
    return re.sub(" {2,}", " ", "".join(pieces)).strip(" ")


def _table_rows(table: Tag) -> list[list[Tag]]:
    """The cells of each row of ``table`` itself (not of tables nested in it)."""
    rows = [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]
    return [[c for c in tr.find_all(_CELL_TAGS, recursive=False)] for tr in rows]


def _span(cell: Tag, name: str) -> int:
    try:
        return max(1, min(int(str(cell.get(name, "1")).strip() or 1), 50))
    except ValueError:
        return 1


def _grid(rows: list[list[Tag]]) -> list[list[str]]:
    """Cell texts on a grid: a cell spanning rows or columns is repeated in each, so rows stay self-contained."""
    grid: list[list[str]] = []
    pending: dict[int, tuple[str, int]] = {}  # column -> (text, rows still to fill)
    for cells in rows:
        row: list[str] = []
        queue = list(cells)
        while queue or any(col >= len(row) for col in pending):
            col = len(row)
            if col in pending:
                text, left = pending.pop(col)
                row.append(text)
                if left > 1:
                    pending[col] = (text, left - 1)
                continue
            if not queue:
                row.append("")
                continue
            cell = queue.pop(0)
            text, width, height = _inline_text(cell), _span(cell, "colspan"), _span(cell, "rowspan")
            for k in range(width):
                row.append(text)
                if height > 1:
                    pending[col + k] = (text, height - 1)
        grid.append(row)
    width = max((len(r) for r in grid), default=0)
    return [r + [""] * (width - len(r)) for r in grid]


_Block = str | tuple[str, ...]  # a line of text, or the cells of one table row


def _metadata_row(cells: list[str]) -> bool:
    keys = {re.sub(r"\s+", "", k) for k in all_metadata_keys()}
    return sum(re.sub(r"\s+", "", c).rstrip("：:") in keys for c in cells[::2]) >= 1


class _HtmlText:
    """Walks the body into lines and table rows."""

    def __init__(self) -> None:
        self.blocks: list[_Block] = []
        self._line: list[str] = []

    def flush(self) -> None:
        line = re.sub(" {2,}", " ", "".join(self._line)).strip(" ")  # collapse across inline tags too
        if line.strip():
            self.blocks.append(line)
        self._line = []

    def walk(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, Tag):
                if child.name == "table" and self.table(child):
                    continue
                if child.name == "br" or child.name in _BLOCK_TAGS or child.name in _CELL_TAGS:
                    self.flush()  # cells of a layout table are blocks
                    self.walk(child)
                    self.flush()
                else:
                    self.walk(child)
            elif isinstance(child, NavigableString) and not isinstance(child, PreformattedString):
                self._line.append(_HTML_SPACE.sub(" ", child))  # comments, doctype, CDATA are PreformattedString

    def table(self, table: Tag) -> bool:
        """Render a data table as rows; False for a layout table (nested tables, one row or one column)."""
        if table.find("table") is not None:
            return False
        cells = _table_rows(table)
        grid = _grid(cells)
        if len(grid) < 2 or len(grid[0]) < 2:
            return False
        self.flush()
        if all(_metadata_row([_inline_text(c) for c in row]) for row in cells if row):
            # The metadata block above a document: | 索引号 | … | 文号 | … |, as the header reads it.
            for texts in ([_inline_text(c) for c in row] for row in cells):
                if any(texts):
                    self.blocks.append("| " + " | ".join(texts) + " |")
            return True
        for values in grid:
            if not any(values):
                continue
            if len(set(values)) == 1:  # one cell across the whole table: a caption or a section line
                self.blocks.append(values[0])
            else:
                self.blocks.append(tuple(values))
        return True


def _render(blocks: list[_Block]) -> str:
    """Lines of text, and table rows in the project's table format (see ``_docx_lines``).

    Lines that are page chrome are dropped; page information (发布时间 / 来源) is
    kept, because its values are metadata, and the segmenter keeps it out of clauses.
    """
    texts = [b for b in blocks if isinstance(b, str)]
    chrome = dict(zip(map(id, texts), chrome_mask(texts), strict=True))
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, str):
            if not chrome[id(block)] or page_info(block) is not None:
                if lines and lines[-1].startswith("\t"):
                    lines.append("")
                lines.append(block)
            continue
        if lines and lines[-1]:
            lines.append("")  # a blank line opens the table
        lines.extend("\t" + cell for cell in block)
        lines.append("")  # and closes each row
    return "\n".join(lines).strip("\n")


def _load_html(path: Path, raw: bytes) -> tuple[str, str | None]:
    source, encoding = _decode(path, raw, EncodingDetector.find_declared_encoding(raw, is_html=True))
    soup = BeautifulSoup(source, "lxml")
    for tag in soup.find_all(_DROPPED_TAGS):
        tag.decompose()
    _drop_chrome_elements(soup)
    walker = _HtmlText()
    walker.walk(soup)
    walker.flush()
    return _render(walker.blocks), encoding


# ----------------------------------------------------------------------------- docx

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc, or an encrypted Office file


def _docx_row_cells(row: _Row) -> list[str]:
    """Cell texts of a row; a horizontally merged cell counts once.

    python-docx repeats a vertically merged cell's text in every row it spans,
    which keeps each row self-contained.
    """
    cells, previous = [], None
    for cell in row.cells:
        if cell._tc is previous:
            continue
        previous = cell._tc
        lines = (line for p in cell.paragraphs for line in p.text.splitlines())
        cells.append(" ".join(line for line in lines if line.strip()))
    return cells


def _docx_lines(document: DocxDocument) -> list[str]:
    lines: list[str] = []
    for block in document.iter_inner_content():  # paragraphs and tables in body order
        if isinstance(block, Paragraph):
            if block.text.strip():
                lines.append(block.text)
        elif isinstance(block, Table):
            if lines and lines[-1]:
                lines.append("")  # a blank line opens the table
            for row in block.rows:
                lines.extend("\t" + cell for cell in _docx_row_cells(row))
                lines.append("")  # and closes each row
    return lines


# What a document may expand to while it is parsed: a small file can unpack to gigabytes, or hold
# millions of empty paragraphs that python-docx would walk one by one for minutes.
MAX_DOCX_UNPACKED_BYTES = 64 * 1024 * 1024
MAX_DOCX_XML_BYTES = 16 * 1024 * 1024  # any one XML part, the body included
MAX_DOCX_PARAGRAPHS = 20_000
MAX_PDF_PAGES = 500
MAX_PDF_TEXT_CHARS = 5_000_000


def _check_docx_size(path: Path, raw: bytes) -> None:
    """Refuse a .docx by its declared sizes and paragraph count, before python-docx builds anything."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile:
        return  # reported by python-docx as a corrupt file
    with archive:
        parts = archive.infolist()
        total = sum(p.file_size for p in parts)  # zipfile never inflates a member past its declared size
        if total > MAX_DOCX_UNPACKED_BYTES:
            raise LoaderError(path, f"DOCX unpacks to {total:,} bytes (at most {MAX_DOCX_UNPACKED_BYTES:,})")
        big = next((p for p in parts if p.filename.endswith(".xml") and p.file_size > MAX_DOCX_XML_BYTES), None)
        if big is not None:
            raise LoaderError(
                path, f"DOCX part {big.filename} is {big.file_size:,} bytes (at most {MAX_DOCX_XML_BYTES:,})"
            )
        if "word/document.xml" in archive.namelist():
            paragraphs = len(re.findall(rb"<w:p[\s/>]", archive.read("word/document.xml")))
            if paragraphs > MAX_DOCX_PARAGRAPHS:
                raise LoaderError(path, f"DOCX has {paragraphs:,} paragraphs (at most {MAX_DOCX_PARAGRAPHS:,})")


def _load_docx(path: Path, raw: bytes) -> tuple[str, str | None]:
    if raw.startswith(_OLE_MAGIC):
        raise LoaderError(path, "not a .docx but a legacy .doc or password-protected Office file; save it as .docx")
    _check_docx_size(path, raw)
    try:
        lines = _docx_lines(docx.Document(io.BytesIO(raw)))
    except Exception as exc:  # whatever python-docx raises means a bad file
        raise LoaderError(path, f"DOCX is corrupt or unreadable ({type(exc).__name__}: {exc})") from exc
    return "\n".join(lines).rstrip("\n"), None


# ----------------------------------------------------------------------------- pdf


def _load_pdf(path: Path, raw: bytes) -> tuple[str, str | None]:
    try:
        reader = PdfReader(io.BytesIO(raw))  # tries the empty password itself
        if len(reader.pages) > MAX_PDF_PAGES:
            raise LoaderError(path, f"PDF has {len(reader.pages):,} pages (at most {MAX_PDF_PAGES:,})")
        pages, chars = [], 0
        for page in reader.pages:
            pages.append(page.extract_text() or "")
            chars += len(pages[-1])
            if chars > MAX_PDF_TEXT_CHARS:
                raise LoaderError(path, f"PDF holds more than {MAX_PDF_TEXT_CHARS:,} characters of text")
    except LoaderError:
        raise
    except FileNotDecryptedError as exc:
        raise LoaderError(path, "PDF is encrypted with a password; decrypt it first") from exc
    except DependencyError as exc:
        raise LoaderError(path, f"PDF is encrypted and cannot be decrypted here ({exc})") from exc
    except Exception as exc:  # whatever pypdf raises means a bad file
        raise LoaderError(path, f"PDF is corrupt or unreadable ({type(exc).__name__}: {exc})") from exc
    return "\n".join(pages), None


# ----------------------------------------------------------------------------- dispatch


class _Format(NamedTuple):
    kind: str
    load: Callable[[Path, bytes], tuple[str, str | None]]  # -> (text, encoding)
    no_text: str  # reason given when the result is empty or only whitespace


_TEXT = _Format("txt", _load_plain, "file contains only whitespace")
_MARKDOWN = _Format("md", _load_plain, "file contains only whitespace")
_HTML = _Format("html", _load_html, "HTML page has no visible text")
_DOCX = _Format("docx", _load_docx, "document contains no text")
_PDF = _Format("pdf", _load_pdf, "PDF has no text layer (probably scanned images); OCR it first")

_FORMATS: dict[str, _Format] = {
    ".txt": _TEXT,
    ".md": _MARKDOWN,
    ".markdown": _MARKDOWN,
    ".html": _HTML,
    ".htm": _HTML,
    ".docx": _DOCX,
    ".pdf": _PDF,
}
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(_FORMATS)


def load_text(path: Path) -> LoadedText:
    """Read a supported file and return its text; raise ``LoaderError`` if it can't."""
    path = Path(path)
    if path.is_dir():
        raise LoaderError(path, "is a directory, not a file")
    if not path.exists():
        raise LoaderError(path, "file not found")
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        found = f"'{path.suffix}'" if path.suffix else "(no suffix)"
        raise LoaderError(path, f"unsupported file type {found}; supported: {' '.join(SUPPORTED_SUFFIXES)}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LoaderError(path, f"cannot read file ({exc.strerror or exc})") from exc
    if not raw:
        raise LoaderError(path, "file is empty (0 bytes)")
    text, encoding = fmt.load(path, raw)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise LoaderError(path, fmt.no_text)
    return LoadedText(text=text, encoding=encoding, kind=fmt.kind)
