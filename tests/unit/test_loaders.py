"""Unit tests for ingest.loaders: every format, every encoding, every error."""

from __future__ import annotations

import io
import os
import pickle
from pathlib import Path

import docx
import pytest
from pypdf import PdfWriter

from ingest.loaders import SUPPORTED_SUFFIXES, LoadedText, LoaderError, load_text

SENTENCE = "对完成培训的学生按中职3000元/人给予企业补贴。"
POLICY = "第一条　为加强高技能人才队伍建设，制定本办法。\n  第二条 本办法自发布之日起施行。\n"


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def load_error(path: Path) -> LoaderError:
    with pytest.raises(LoaderError) as info:
        load_text(path)
    err = info.value
    assert err.path == path
    assert str(err) == f"{path}: {err.reason}"
    assert "\n" not in str(err)
    return err


# --------------------------------------------------------------------------- text encodings


def test_utf8_text_is_returned_verbatim(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", POLICY.encode("utf-8"))
    assert load_text(path) == LoadedText(text=POLICY, encoding="utf-8", kind="txt")


def test_utf8_bom_is_stripped(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", b"\xef\xbb\xbf" + POLICY.encode("utf-8"))
    loaded = load_text(path)
    assert loaded.text == POLICY
    assert loaded.encoding == "utf-8-sig"


def test_utf16_with_bom(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", POLICY.encode("utf-16"))
    loaded = load_text(path)
    assert loaded.text == POLICY
    assert loaded.encoding == "utf-16"


@pytest.mark.parametrize("codec", ["gbk", "gb18030"])
def test_gb_text(tmp_path: Path, codec: str) -> None:
    text = POLICY * 3
    path = write(tmp_path / "a.txt", text.encode(codec))
    assert load_text(path) == LoadedText(text=text, encoding="gb18030", kind="txt")


@pytest.mark.parametrize(
    "text",
    [SENTENCE, "一、总体目标", "补贴", SENTENCE + "\n"],
    ids=["sentence", "heading", "two-chars", "sentence-newline"],
)
def test_short_gbk_text(tmp_path: Path, text: str) -> None:
    # Detectors tend to guess cp949 / big5 for a few GBK characters.
    path = write(tmp_path / "short.txt", text.encode("gbk"))
    loaded = load_text(path)
    assert loaded.text == text
    assert loaded.encoding == "gb18030"


def test_gb18030_only_characters(tmp_path: Path) -> None:
    text = "㐀中文𠀀测试：" + SENTENCE  # 㐀 and 𠀀 are outside GBK
    path = write(tmp_path / "a.md", text.encode("gb18030"))
    loaded = load_text(path)
    assert loaded.text == text
    assert loaded.encoding == "gb18030"


def test_crlf_and_cr_become_lf_and_nothing_else_changes(tmp_path: Path) -> None:
    raw = "  第一条\u3000内容 \t\r\n\r\n第二条  ＡＢＣ\r第三条\r\n"
    path = write(tmp_path / "a.txt", raw.encode("utf-8"))
    assert load_text(path).text == "  第一条\u3000内容 \t\n\n第二条  ＡＢＣ\n第三条\n"


def test_crlf_in_gbk_text(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", f"{SENTENCE}\r\n{SENTENCE}\r\n".encode("gbk"))
    assert load_text(path).text == f"{SENTENCE}\n{SENTENCE}\n"


@pytest.mark.parametrize("suffix", [".md", ".markdown", ".MD"])
def test_markdown_is_text(tmp_path: Path, suffix: str) -> None:
    text = "# 标题\n\n- 第一项\n- 第二项\n"
    loaded = load_text(write(tmp_path / f"a{suffix}", text.encode("utf-8")))
    assert loaded == LoadedText(text=text, encoding="utf-8", kind="md")


# --------------------------------------------------------------------------- html

HTML = """<!DOCTYPE html>
<html><head><title>页面标题</title><style>p { color: red }</style>
<script>var x = "脚本";</script></head>
<body>
<nav><a href="/">首页</a> &gt; <a href="/zc">政策</a></nav>
<!-- 注释 -->
<h1>关于印发实施方案的通知</h1>
<div class="content">
  <p>　　第一段，
  继续第一段。</p>
  <p>第二段<br>换行后</p>
  <ul><li>甲</li><li>乙</li></ul>
  <table>
    <tr><th>工作任务</th><th>责任单位</th></tr>
    <tr><td><p>夯实基础</p></td><td>市教育局、<br>市人社局</td></tr>
  </table>
</div>
<script>document.write("脚本二");</script>
</body></html>
"""


def test_html_visible_text_one_block_per_line(tmp_path: Path) -> None:
    loaded = load_text(write(tmp_path / "page.html", HTML.encode("utf-8")))
    assert loaded.kind == "html"
    assert loaded.encoding == "utf-8"
    assert loaded.text.split("\n") == [
        "关于印发实施方案的通知",
        "　　第一段， 继续第一段。",  # ideographic-space indent kept, source line wrap collapsed
        "第二段",
        "换行后",
        "甲",
        "乙",
        "",  # a data table: a blank line opens it and closes each row, one tab-indented line per cell
        "\t工作任务",
        "\t责任单位",
        "",
        "\t夯实基础",
        "\t市教育局、 市人社局",  # blocks inside a cell stay on its line
    ]
    for hidden in ("脚本", "color", "页面标题", "首页", "注释"):
        assert hidden not in loaded.text


def test_html_declared_gb2312_charset(tmp_path: Path) -> None:
    page = f'<html><head><meta charset="gb2312"></head><body><p>{SENTENCE}</p><p>二</p></body></html>'
    loaded = load_text(write(tmp_path / "page.htm", page.encode("gbk")))
    assert loaded.text == f"{SENTENCE}\n二"
    assert loaded.encoding == "gb18030"


def test_html_without_visible_text(tmp_path: Path) -> None:
    path = write(
        tmp_path / "empty.html", b"<html><head><title>t</title></head><body><script>x()</script></body></html>"
    )
    assert "no visible text" in load_error(path).reason


# --------------------------------------------------------------------------- docx


def make_docx(path: Path) -> Path:
    document = docx.Document()
    document.add_paragraph("关于印发实施方案的通知")
    document.add_paragraph("")  # empty paragraphs are skipped
    document.add_paragraph("  一、总体目标")
    table = document.add_table(rows=3, cols=3)
    rows = [
        ["工作任务", "主要内容", "责任单位"],
        ["夯实基础", "优化布局。", "市教育局"],
        ["培养师资", "双师型。", "市人社局"],
    ]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    table.cell(2, 1).add_paragraph("第二段。")
    document.add_paragraph("二、保障措施")
    document.save(str(path))
    return path


def test_docx_paragraphs_and_table_in_order(tmp_path: Path) -> None:
    loaded = load_text(make_docx(tmp_path / "plan.docx"))
    assert loaded.kind == "docx"
    assert loaded.encoding is None
    assert loaded.text == (
        "关于印发实施方案的通知\n"
        "  一、总体目标\n"
        "\n"
        "\t工作任务\n\t主要内容\n\t责任单位\n"
        "\n"
        "\t夯实基础\n\t优化布局。\n\t市教育局\n"
        "\n"
        "\t培养师资\n\t双师型。 第二段。\n\t市人社局\n"
        "\n"
        "二、保障措施"
    )


def test_docx_horizontally_merged_cell_counts_once(tmp_path: Path) -> None:
    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "合并标题"
    table.cell(0, 2).text = "备注"
    for c, value in enumerate(["甲", "乙", "丙"]):
        table.cell(1, c).text = value
    document.save(str(tmp_path / "merged.docx"))
    assert load_text(tmp_path / "merged.docx").text == "\t合并标题\n\t备注\n\n\t甲\n\t乙\n\t丙"


def test_docx_without_text(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("   ")
    document.save(str(tmp_path / "blank.docx"))
    assert "no text" in load_error(tmp_path / "blank.docx").reason


# --------------------------------------------------------------------------- pdf


def make_pdf(pages: list[list[str]]) -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf)
    for lines in pages:
        pdf.setFont("STSong-Light", 12)
        for i, line in enumerate(lines):
            pdf.drawString(72, 750 - 20 * i, line)
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


def blank_pdf(user_password: str | None = None, owner_password: str | None = None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if user_password is not None:
        writer.encrypt(user_password, owner_password, algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_pdf_chinese_text_from_all_pages(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.pdf", make_pdf([["第一条 " + SENTENCE, "第二条 本办法自发布之日起施行。"], ["第三条 附则"]])
    )
    loaded = load_text(path)
    assert loaded.kind == "pdf"
    assert loaded.encoding is None
    lines = [line for line in loaded.text.split("\n") if line]
    assert lines == ["第一条 " + SENTENCE, "第二条 本办法自发布之日起施行。", "第三条 附则"]


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    err = load_error(write(tmp_path / "scan.pdf", blank_pdf()))
    assert "no text layer" in err.reason
    assert "OCR it first" in err.reason


def test_pdf_encrypted_with_password(tmp_path: Path) -> None:
    err = load_error(write(tmp_path / "secret.pdf", blank_pdf(user_password="secret")))
    assert "encrypted" in err.reason


def test_pdf_with_owner_password_only_is_readable(tmp_path: Path) -> None:
    # Common on government PDFs: no password to open, only restrictions.
    err = load_error(write(tmp_path / "owner.pdf", blank_pdf(user_password="", owner_password="o")))
    assert "no text layer" in err.reason  # got past decryption to the (empty) text


# --------------------------------------------------------------------------- errors


def test_missing_file(tmp_path: Path) -> None:
    err = load_error(tmp_path / "nope.txt")
    assert err.reason == "file not found"
    assert str(err).startswith(str(tmp_path / "nope.txt"))


def test_directory(tmp_path: Path) -> None:
    (tmp_path / "dir.txt").mkdir()
    assert "directory" in load_error(tmp_path / "dir.txt").reason


@pytest.mark.parametrize("name", ["a.doc", "a.xlsx", "README"])
def test_unknown_suffix_lists_supported_ones(tmp_path: Path, name: str) -> None:
    err = load_error(write(tmp_path / name, b"hello"))
    assert "unsupported file type" in err.reason
    for suffix in SUPPORTED_SUFFIXES:
        assert suffix in err.reason


def test_empty_file(tmp_path: Path) -> None:
    assert "empty (0 bytes)" in load_error(write(tmp_path / "a.txt", b"")).reason


@pytest.mark.parametrize("suffix", [".docx", ".pdf", ".html"])
def test_empty_file_of_any_kind(tmp_path: Path, suffix: str) -> None:
    assert "empty (0 bytes)" in load_error(write(tmp_path / f"a{suffix}", b"")).reason


def test_whitespace_only_file(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", " \r\n\t\u3000\n".encode())
    assert "only whitespace" in load_error(path).reason


def test_binary_file_with_txt_suffix(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(64)
    assert "binary" in load_error(write(tmp_path / "image.txt", png)).reason


def test_undecodable_bytes_without_nul(tmp_path: Path) -> None:
    data = bytes(range(1, 256)) * 4
    assert "binary" in load_error(write(tmp_path / "noise.txt", data)).reason


def test_corrupt_docx(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.docx", os.urandom(512))
    err = load_error(path)
    assert "DOCX is corrupt or unreadable" in err.reason


def test_truncated_docx(tmp_path: Path) -> None:
    data = make_docx(tmp_path / "ok.docx").read_bytes()
    assert "corrupt" in load_error(write(tmp_path / "cut.docx", data[: len(data) // 2])).reason


def test_legacy_doc_renamed_to_docx(tmp_path: Path) -> None:
    path = write(tmp_path / "old.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    assert "legacy .doc" in load_error(path).reason


@pytest.mark.parametrize("data", [b"not a pdf at all", b"%PDF-1.4\n" + bytes(range(256)) * 4])
def test_corrupt_pdf(tmp_path: Path, data: bytes) -> None:
    assert "PDF is corrupt or unreadable" in load_error(write(tmp_path / "bad.pdf", data)).reason


def test_error_message_names_file_and_reason() -> None:
    err = LoaderError(Path("corpus/x.pdf"), "PDF is corrupt or unreadable (EOF marker\nnot found)")
    assert str(err) == "corpus/x.pdf: PDF is corrupt or unreadable (EOF marker not found)"
    assert err.path == Path("corpus/x.pdf")
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.path, copy.reason) == (err.path, err.reason)
