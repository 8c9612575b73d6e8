"""Web-page documents: chrome stripped at load, unnumbered pages, Q&A pages, tables, signatures, metadata.

The fixture pages in tests/fixtures/webpages were written for these tests in
the style of city government pages (no real page's text): a notice in HTML
with all its chrome, a Q&A page in GBK HTML inside layout tables, a plain-text
copy of a question-title page with its chrome, an unnumbered notice with a
signature, a "key：value" summary page, an HTML notice with a metadata table
and a data table, and a plan whose 文号 and date are only in its text.
"""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from app.services import Services
from ingest.loaders import load_text
from ingest.manifest import Manifest
from ingest.metadata import find_metadata
from ingest.schema import Clause, DocumentMeta
from ingest.segment import detect_layout, segment

PAGES = Path(__file__).parent.parent / "fixtures" / "webpages"

# What the page around a document says; none of it may be inside a clause.
CHROME_WORDS = [
    "打印",
    "关闭",
    "分享",
    "上一篇",
    "下一篇",
    "浏览次数",
    "阅读次数",
    "来源：",
    "字号",
    "当前位置",
    "您的位置",
    "首页",
    "相关链接",
    "主办",
    "承办",
    "网站标识码",
    "ICP备",
    "版权所有",
    "联系我们",
    "网站地图",
    "微信",
    "长者模式",
]


def page(name: str) -> tuple[str, list[Clause]]:
    text = load_text(PAGES / name).text
    doc = DocumentMeta(id="p", title=name, source=name)
    return text, segment(text, doc)


def ids_and_kinds(clauses: list[Clause]) -> list[tuple[str, str]]:
    return [(c.clause_id.removeprefix("p/"), c.kind) for c in clauses]


EXPECTED = {
    "chrome_notice.html": (
        "paragraph",
        [
            ("文件信息", "header"),
            ("文件信息~2", "header"),  # the 文号 line, after the page-info line
            ("第1段", "clause"),
            ("第2段", "clause"),
            ("第3段", "clause"),
            ("落款", "signature"),
        ],
    ),
    "qa_page.html": (
        "qa",
        [
            ("文件信息", "header"),
            ("第1段", "clause"),
            ("问1", "qa"),
            ("问2", "qa"),
            ("问3", "qa"),
            ("落款", "signature"),
        ],
    ),
    "qa_titles.txt": ("qa", [("文件信息", "header"), ("问1", "qa"), ("问2", "qa"), ("问3", "qa"), ("问4", "qa")]),
    "unnumbered_signature.txt": (
        "paragraph",
        [
            ("文件信息", "header"),
            ("第1段", "clause"),
            ("第2段", "clause"),
            ("第3段", "clause"),
            ("第4段", "clause"),
            ("落款", "signature"),
        ],
    ),
    "summary.txt": (
        "paragraph",
        [
            ("文件信息", "header"),
            ("政策名称", "clause"),
            ("执行年限", "clause"),
            ("政策依据", "clause"),
            ("申报对象", "clause"),
            ("补贴标准", "clause"),
            ("申报材料", "clause"),
            ("办理流程", "clause"),
            ("咨询电话", "clause"),
        ],
    ),
    "table_notice.html": (
        "paragraph",
        [
            ("文件信息", "header"),
            ("第1段", "clause"),
            ("第1行", "row"),
            ("第2行", "row"),
            ("第3行", "row"),
            ("第2段", "clause"),
            ("第3段", "clause"),
            ("落款", "signature"),
        ],
    ),
    "number_in_body.txt": (
        "numbered",
        [
            ("文件信息", "header"),
            ("一", "clause"),
            ("二/（一）", "clause"),
            ("二/（二）", "clause"),
            ("三", "clause"),
            ("落款", "signature"),
        ],
    ),
}


def test_every_fixture_page_is_listed() -> None:
    assert sorted(p.name for p in PAGES.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_page_segmentation(name: str) -> None:
    layout, expected = EXPECTED[name]
    text, clauses = page(name)
    assert detect_layout(text) == layout
    assert ids_and_kinds(clauses) == expected


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_clauses_are_verbatim_ordered_and_chrome_free(name: str) -> None:
    text, clauses = page(name)
    for c in clauses:
        assert text[c.start : c.end] == c.text
        assert c.text == c.text.strip()
        for word in CHROME_WORDS:
            assert word not in c.text, (c.clause_id, word)
    for a, b in pairwise(clauses):
        assert a.end <= b.start
    assert len({c.clause_id for c in clauses}) == len(clauses)


# --------------------------------------------------------------------------- loading html


def test_html_chrome_is_stripped_at_load() -> None:
    text = load_text(PAGES / "chrome_notice.html").text
    for word in (
        "您当前的位置",
        "分享到",
        "打印本页",
        "上一篇",
        "下一篇",
        "相关链接",
        "网站标识码",
        "机构概况",
        "门户网站",
    ):
        assert word not in text, word
    # Page information stays in the text (its date and source are metadata) but in no clause.
    assert "发布时间：2024-05-20 10:30" in text
    assert text.split("\n")[0] == "关于做好2024年度企业新型学徒制培训工作的通知"


def test_gbk_page_inside_layout_tables_reads_as_blocks() -> None:
    loaded = load_text(PAGES / "qa_page.html")
    assert loaded.encoding == "gb18030"
    lines = loaded.text.split("\n")
    assert lines[0] == "职业技能提升补贴政策问答"
    assert "问：哪些人可以申领职业技能提升补贴？" in lines
    assert not any(ln.startswith("\t") for ln in lines)  # layout tables are not data tables
    assert "版权所有" not in loaded.text


def test_html_metadata_table_and_data_table() -> None:
    _, clauses = page("table_notice.html")
    header = clauses[0]
    assert header.fields["文号"] == "云人社函〔2024〕88号"
    assert header.fields["成文日期"] == "2024-09-02"
    assert header.text.endswith("关于公布2024年第二批职业技能等级认定补贴标准的通知")
    rows = [c for c in clauses if c.kind == "row"]
    assert [list(r.fields) for r in rows] == [["序号", "职业（工种）", "等级", "补贴标准（元/人）"]] * 3
    assert [r.title for r in rows] == ["电工", "电工", "焊工"]  # the 序号 column does not name a row
    assert rows[1].fields["职业（工种）"] == "电工"  # a cell spanning two rows is in both
    assert rows[1].fields["补贴标准（元/人）"] == "2000"
    # A row spanning the whole table is a line of its own, not a row.
    assert any(c.text == "注：同一人同一职业同一等级只补贴一次。" for c in clauses)


# --------------------------------------------------------------------------- clause contents


def by_label(clauses: list[Clause]) -> dict[str, Clause]:
    return {c.clause_id.removeprefix("p/"): c for c in clauses}


def test_qa_clauses_hold_question_and_answer() -> None:
    _, clauses = page("qa_page.html")
    q2 = by_label(clauses)["问2"]
    assert q2.title == "补贴标准是多少？"
    assert q2.heading_path == ("补贴标准是多少？",)
    assert q2.fields["问"] == "补贴标准是多少？"
    assert q2.fields["答"].startswith("取得初级（五级）证书的补贴1000元")
    assert q2.fields["答"].endswith("同一职业同一等级只能享受一次补贴。")  # the answer's second paragraph


def test_question_titles_under_section_headings() -> None:
    _, clauses = page("qa_titles.txt")
    qa = [c for c in clauses if c.kind == "qa"]
    assert [c.title for c in qa] == [
        "哪些单位可以申请高技能人才培养补贴？",
        "个人能否直接申请？",
        "培养一名技师可以获得多少补贴？",
        "补贴资金从哪里列支？",
    ]
    assert [c.heading_path[0] for c in qa] == ["一、政策适用范围"] * 2 + ["二、补贴标准"] * 2
    assert qa[2].text.startswith("3.培养一名技师")
    assert qa[2].text.endswith("同一人员取得同一等级证书只补贴一次。")


def test_signature_is_never_part_of_the_last_paragraph() -> None:
    _, clauses = page("unnumbered_signature.txt")
    labels = by_label(clauses)
    assert labels["第4段"].text == "特此通知。"
    assert labels["落款"].text == "中共云溪市委人才工作领导小组办公室\n云溪市人力资源和社会保障局\n2024年7月15日"
    assert labels["第1段"].text.startswith("各区人民政府，市直各有关单位：\n为大力弘扬工匠精神")


def test_key_value_clauses() -> None:
    _, clauses = page("summary.txt")
    labels = by_label(clauses)
    assert labels["执行年限"].fields == {"执行年限": "2024年1月1日至2026年12月31日"}
    assert labels["执行年限"].title == "执行年限"
    standard = labels["补贴标准"]
    assert standard.text.endswith("2.技师每人每月1000元。")  # the list items belong to their key
    assert standard.fields["补贴标准"].startswith("按以下标准每月发放")
    assert labels["申报材料"].fields["申报材料"] == "身份证、职业资格证书、劳动合同及社会保险缴纳证明。"
    assert labels["咨询电话"].text == "咨询电话：0999-12345678"  # the document's contact line, not footer


# --------------------------------------------------------------------------- metadata found in the pages


@pytest.mark.parametrize(
    ("name", "issuer", "number", "date"),
    [
        ("chrome_notice.html", "云溪市人力资源和社会保障局、云溪市财政局", "云人社〔2024〕15号", "2024-05-18"),
        ("qa_page.html", "青岚区人力资源和社会保障局", "", "2024-03-12"),
        (
            "unnumbered_signature.txt",
            "中共云溪市委人才工作领导小组办公室、云溪市人力资源和社会保障局",
            "",
            "2024-07-15",
        ),
        ("summary.txt", "", "", ""),  # the 文号 in 政策依据 is the basis's, not the page's
        ("table_notice.html", "云溪市人力资源和社会保障局", "云人社函〔2024〕88号", "2024-09-02"),
        ("number_in_body.txt", "青岚区人民政府办公室", "青政办发〔2024〕21号", "2024-06-03"),
    ],
)
def test_metadata_found_in_fixture_pages(name: str, issuer: str, number: str, date: str) -> None:
    found = find_metadata(load_text(PAGES / name).text)
    assert (found.issuer, found.number, found.date) == (issuer, number, date)


def test_ingested_page_carries_the_metadata_its_text_states(fake_services: Services, tmp_path: Path) -> None:
    """Through the manifest, as the README says: empty fields filled from the text, the manifest's kept."""
    manifest_path = tmp_path / "manifest.yaml"
    entries = [
        {"id": "plan", "title": "青岚区三年行动计划", "city": "青岚区", "source": str(PAGES / "number_in_body.txt")},
        {
            "id": "notice",
            "title": "学徒制通知",
            "date": "2024-05-20",  # the manifest's date wins over the signature's
            "source": str(PAGES / "chrome_notice.html"),
        },
    ]
    manifest_path.write_text(yaml.safe_dump({"documents": entries}, allow_unicode=True), encoding="utf-8")
    report = fake_services.ingestor.run(Manifest.load(manifest_path))
    assert report.errors == []
    stored = {d.meta.id: d.meta for d in fake_services.store.documents()}
    assert (stored["plan"].number, stored["plan"].date, stored["plan"].issuer) == (
        "青政办发〔2024〕21号",
        "2024-06-03",
        "青岚区人民政府办公室",
    )
    assert stored["plan"].from_text == ("date", "issuer", "number")
    assert stored["notice"].date == "2024-05-20"
    assert stored["notice"].number == "云人社〔2024〕15号"
    assert stored["notice"].from_text == ("issuer", "number")
    clause_ids = [c.clause_id for c in fake_services.store.clauses("notice")]
    assert clause_ids == [
        "notice/文件信息",
        "notice/文件信息~2",
        "notice/第1段",
        "notice/第2段",
        "notice/第3段",
        "notice/落款",
    ]
    assert fake_services.ingestor.run(Manifest.load(manifest_path)).unchanged == ["plan", "notice"]


# --------------------------------------------------------------------------- generated pages

QUESTIONS = [
    "谁可以申领补贴？",
    "补贴标准是多少？",
    "什么时候申领？",
    "需要哪些材料？",
    "在哪里办理？",
    "补贴怎么发放？",
]
ANSWERS = [
    "参保职工均可申领。",
    "每人1000元。",
    "证书核发后12个月内。",
    "身份证和证书。",
    "区政务服务中心。",
    "按季度发放。",
]
STYLES = {
    "markers": lambda n, q, a: [f"问：{q}", f"答：{a}"],
    "numbered": lambda n, q, a: [f"{n}.{q}", a],
    "q-a": lambda n, q, a: [f"Q{n}：{q}", f"A{n}：{a}"],
    "chinese-numbered": lambda n, q, a: [f"{'一二三四五六'[n - 1]}、{q}", a],
}


@settings(max_examples=80, deadline=None, database=None)
@given(
    st.integers(min_value=2, max_value=6),
    st.sampled_from(sorted(STYLES)),
    st.booleans(),
    st.booleans(),
)
def test_qa_family(n: int, style: str, intro: bool, signature: bool) -> None:
    """Any number of pairs, in any style, with or without intro and signature: one qa clause per pair."""
    lines = ["补贴政策问答"]
    if intro:
        lines.append("现将群众关心的问题解答如下。")
    for k in range(n):
        lines += STYLES[style](k + 1, QUESTIONS[k], ANSWERS[k])
    if signature:
        lines += ["云溪市人力资源和社会保障局", "2024年3月1日"]
    text = "\n".join(lines)
    clauses = segment(text, DocumentMeta(id="g", title="问答", source="g.txt"))
    qa = [c for c in clauses if c.kind == "qa"]
    assert [c.clause_id for c in qa] == [f"g/问{k}" for k in range(1, n + 1)]
    assert [c.title for c in qa] == QUESTIONS[:n]
    assert [c.fields["答"] for c in qa] == ANSWERS[:n]
    assert (clauses[-1].kind == "signature") is signature
    assert clauses[0].kind == "header"


KEYS = ["政策名称", "执行年限", "政策依据", "申报对象", "补贴标准", "申报条件", "办理流程", "咨询电话", "受理部门"]


@settings(max_examples=80, deadline=None, database=None)
@given(st.lists(st.sampled_from(KEYS), min_size=2, max_size=8, unique=True), st.sampled_from(["：", ":"]))
def test_key_value_family(keys: list[str], colon: str) -> None:
    values = {k: f"{k}的内容第{i}项。" for i, k in enumerate(keys)}
    text = "某项政策摘要\n" + "\n".join(f"{k}{colon}{values[k]}" for k in keys)
    clauses = segment(text, DocumentMeta(id="g", title="摘要", source="g.txt"))
    assert [c.clause_id for c in clauses] == ["g/文件信息", *(f"g/{k}" for k in keys)]
    assert [c.fields for c in clauses[1:]] == [{k: values[k]} for k in keys]


PARAGRAPHS = [
    "为加强技能人才队伍建设，结合本市实际，现就有关事项通知如下。",
    "对取得高级工证书的职工，给予每人1000元的一次性补贴。",
    "各单位应于每年6月底前集中申报，逾期不予受理。",
    "本通知自印发之日起施行，有效期三年。",
]
CHROME = [
    "【打印本页】【关闭窗口】",
    "发布时间：2024-03-05 来源：市人社局 浏览次数：88",
    "上一篇：关于开展技能竞赛的通知",
    "分享到：微信 微博",
    "您的位置：首页 > 通知公告",
]
FOOTER = ["主办：云溪市人民政府办公室", "网站标识码：9999000001"]


@settings(max_examples=150, deadline=None, database=None)
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=6), st.sampled_from(CHROME)), max_size=6), st.booleans())
def test_chrome_anywhere_between_paragraphs_changes_no_clause(inserts: list[tuple[int, str]], footer: bool) -> None:
    """Metamorphic: a page with chrome lines put anywhere outside its signature segments like the page without."""
    body = ["关于发放技能补贴的通知", *PARAGRAPHS, "云溪市人力资源和社会保障局\n2024年3月5日"]
    doc = DocumentMeta(id="g", title="通知", source="g.txt")
    plain = segment("\n".join(body), doc)
    noisy_lines = list(body)
    for position, line in sorted(inserts, reverse=True):
        noisy_lines.insert(min(position, len(noisy_lines)), line)
    noisy = segment("\n".join(noisy_lines + (FOOTER if footer else [])), doc)
    assert [(c.clause_id, c.kind, c.text) for c in noisy] == [(c.clause_id, c.kind, c.text) for c in plain]


def test_hard_wrapped_paragraphs_are_joined_back() -> None:
    """A fixed-width copy (a PDF's text layer) breaks paragraphs mid-sentence; they stay one clause each."""
    first = "为进一步加强技能人才队伍建设，扩大技能人才培养规模，提升劳动者就业能力，根据有关文件精神，结合本区实际，现就开展职业技能培训补贴工作通知如下。"
    second = "凡在本区参加失业保险的企业职工，取得职业资格证书或职业技能等级证书的，均可按规定申领技能提升补贴，补贴标准按证书等级确定。"
    width = 24
    wrapped = [p[i : i + width] for p in (first, second) for i in range(0, len(p), width)]
    text = "培训补贴通知\n" + "\n".join(wrapped)
    clauses = segment(text, DocumentMeta(id="g", title="通知", source="g.txt"))
    assert [re.sub("\n", "", c.text) for c in clauses[1:]] == [first, second]


# --------------------------------------------------------------------------- more page shapes


def seg(text: str) -> list[Clause]:
    return segment(text, DocumentMeta(id="g", title="页", source="g.txt"))


def test_spaced_metadata_block_then_title_then_notice_then_articles() -> None:
    text = "\n".join(
        [
            "索   引   号 20240301-0001 分        类 劳动就业",
            "发 布 机 构 云溪市人民政府办公室 发 文 日 期 2024-02-29",
            "文        号 云政办发〔2024〕5号   上 载 日 期 2024-03-01",
            "云溪市人民政府办公室关于印发技能人才评价办法的通知",
            "信息来源: 市人民政府办公室",
            "各区人民政府，市政府各部门：",
            "现将《云溪市技能人才评价办法》印发给你们，请认真遵照执行。",
            "云溪市人民政府办公室",
            "2024年2月29日",
            "云溪市技能人才评价办法",
            "第一章 总则",
            "第一条 为规范技能人才评价工作，制定本办法。",
            "第二章 评价补贴",
            "第二条 对通过评价取得高级工证书的，给予每人1000元补贴。",
        ]
    )
    clauses = seg(text)
    assert [(c.clause_id, c.kind) for c in clauses] == [
        ("g/文件信息", "header"),
        ("g/第1段", "clause"),
        ("g/落款", "signature"),  # the notice's signature, in the middle of the page
        ("g/第一条", "clause"),  # articles name themselves
        ("g/第二条", "clause"),
    ]
    assert clauses[0].fields["文号"] == "云政办发〔2024〕5号"
    assert clauses[0].text.endswith("云溪市人民政府办公室关于印发技能人才评价办法的通知")
    # Consecutive sub-headings nest; a later one replaces the innermost.
    assert clauses[3].heading_path == ("云溪市技能人才评价办法", "第一章 总则", "第一条")
    assert clauses[4].heading_path == ("云溪市技能人才评价办法", "第二章 评价补贴", "第二条")
    found = find_metadata(text)
    assert (found.number, found.date, found.issuer) == ("云政办发〔2024〕5号", "2024-02-29", "云溪市人民政府办公室")


def test_traditional_page_signature_and_metadata() -> None:
    text = "雲溪市技能補貼說明\n發布時間:2024-03-15 09:28信息來源:雲溪市人社局\n對取得證書的職工給予補貼。\n雲溪市人力資源和社會保障局\n2024年3月10日"
    clauses = seg(text)
    assert [(c.clause_id, c.kind) for c in clauses] == [
        ("g/文件信息", "header"),
        ("g/第1段", "clause"),
        ("g/落款", "signature"),
    ]
    found = find_metadata(text)
    assert (found.issuer, found.date) == ("雲溪市人力資源和社會保障局", "2024-03-10")


def test_unnumbered_question_lines_make_a_qa_page() -> None:
    text = "\n".join(
        [
            "关于补贴政策调整的说明",
            "2024-01-11 09:12 来源: 云溪市人社局网站",
            "现就政策调整情况说明如下。",
            "这次调整了哪些内容?",
            "提高了补贴标准。",
            "扩大了补贴范围。",
            "什么时候开始执行?",
            "自2024年2月1日起执行。",
        ]
    )
    clauses = seg(text)
    assert [(c.clause_id, c.kind) for c in clauses] == [
        ("g/文件信息", "header"),
        ("g/第1段", "clause"),
        ("g/问1", "qa"),
        ("g/问2", "qa"),
    ]
    assert clauses[2].fields["答"] == "提高了补贴标准。\n扩大了补贴范围。"


def test_a_question_in_a_paragraph_page_stays_a_paragraph() -> None:
    """One rhetorical question does not make a Q&A page."""
    text = "技能改变命运\n为什么要学技能？\n因为技能是立身之本，掌握一门技能就多一条出路。\n本市为此出台多项补贴政策。"
    clauses = seg(text)
    assert all(c.kind != "qa" for c in clauses)


def test_measures_in_articles_under_chapters() -> None:
    """第X条 articles are clauses named by their number, even when an attachment numbers 一、二、 again."""
    text = "\n".join(
        [
            "云溪市技能补贴办法",
            "第一章　总则",
            "第一条　为规范技能补贴，制定本办法。",
            "第二条　本办法适用于本市参保职工：",
            "（一）企业在职职工；",
            "（二）领取失业保险金人员。",
            "第二章　补贴标准",
            "第三条　取得高级工证书的，补贴2000元。",
            "附件：起草说明",
            "一、起草背景。现行规定分散，需要统一。",
        ]
    )
    assert detect_layout(text) == "paragraph"
    clauses = seg(text)
    assert [(c.clause_id, c.kind) for c in clauses] == [
        ("g/文件信息", "header"),
        ("g/第一条", "clause"),
        ("g/第二条", "clause"),
        ("g/第三条", "clause"),
        ("g/第二章补贴标准/附件", "clause"),  # named within its section, whitespace left out of the id
        ("g/第1段", "clause"),
    ]
    by_id = {c.clause_id: c for c in clauses}
    assert by_id["g/第二条"].text.endswith("（二）领取失业保险金人员。")  # its items belong to the article
    assert by_id["g/第一条"].heading_path == ("第一章　总则", "第一条")
    assert by_id["g/第三条"].heading_path == ("第二章　补贴标准", "第三条")
    assert by_id["g/第1段"].heading_path == ("第1段",)  # the attachment is under no chapter


def test_named_clauses_are_named_within_their_section() -> None:
    text = "政策汇编\n学徒补贴\n补贴标准：每人4000元。\n受理部门：区人社局\n生活补贴\n补贴标准：每月1000元。\n受理部门：市人才中心"
    ids = [c.clause_id for c in seg(text)]
    assert ids == [
        "g/文件信息",
        "g/学徒补贴/补贴标准",
        "g/学徒补贴/受理部门",
        "g/生活补贴/补贴标准",
        "g/生活补贴/受理部门",
    ]


def test_menu_and_site_banner_lines_are_chrome() -> None:
    text = "云溪市人民政府门户网站　|　市人社局\n首页 | 机构职能 | 政务公开 | 政务服务\n关于发放补贴的通知\n对符合条件的职工给予补贴。"
    clauses = seg(text)
    assert [c.text for c in clauses] == ["关于发放补贴的通知", "对符合条件的职工给予补贴。"]


def test_a_salutation_does_not_swallow_a_key_value_line() -> None:
    text = "技能补贴告知书\n各有关企业：\n执行年限：2024年至2026年\n补贴标准：每人2000元。"
    assert [c.clause_id for c in seg(text)] == ["g/文件信息", "g/第1段", "g/执行年限", "g/补贴标准"]


def test_the_note_under_the_date_belongs_to_the_signature() -> None:
    text = "关于评选的通知\n请按时申报。\n云溪市人力资源和社会保障局\n2024年6月12日\n（此件主动公开）"
    clauses = seg(text)
    assert clauses[-1].kind == "signature"
    assert clauses[-1].text == "云溪市人力资源和社会保障局\n2024年6月12日\n（此件主动公开）"
