"""Unit tests for ingest.segment: clauses of the real corpus, synthetic layouts, text windows."""

from __future__ import annotations

from functools import cache
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.settings import REPO_ROOT
from ingest.loaders import load_text
from ingest.manifest import Manifest
from ingest.schema import Clause, DocumentMeta
from ingest.segment import detect_layout, iter_text_windows, label_for, segment

MANIFEST = Manifest.load(REPO_ROOT / "corpus" / "manifest.yaml")
DOC_IDS = [d.id for d in MANIFEST.documents]
CN = "一 二 三 四 五 六 七 八 九 十 十一 十二 十三 十四 十五 十六 十七 十八 十九 二十".split()


@cache
def _corpus(doc_id: str) -> tuple[DocumentMeta, str, tuple[Clause, ...]]:
    doc = MANIFEST.get(doc_id)
    assert doc is not None
    text = load_text(MANIFEST.source_path(doc)).text
    return doc, text, tuple(segment(text, doc))


def clauses_of(doc_id: str) -> list[Clause]:
    return list(_corpus(doc_id)[2])


def text_of(doc_id: str) -> str:
    return _corpus(doc_id)[1]


def by_id(doc_id: str) -> dict[str, Clause]:
    return {c.clause_id: c for c in clauses_of(doc_id)}


def synthetic(text: str, segmenter: str = "auto", doc_id: str = "t") -> list[Clause]:
    return segment(text, DocumentMeta(id=doc_id, title="测试文件", source="t.txt", segmenter=segmenter))


def uncovered_lines(text: str, clauses: list[Clause]) -> list[str]:
    """Non-blank source lines that no clause span covers."""
    out, pos = [], 0
    for raw in text.split("\n"):
        stripped = raw.strip().strip("•·").strip()
        if stripped:
            start = pos + raw.index(stripped)
            if not any(c.start <= start < c.end for c in clauses):
                out.append(stripped)
        pos += len(raw) + 1
    return out


# --------------------------------------------------------------------------- invariants on the real corpus


def test_manifest_lists_the_five_corpus_documents() -> None:
    assert sorted(DOC_IDS) == sorted(
        ["dalian-2023", "nantong-draft", "unknown-zhou-measures", "xiamen-tasks", "xiamen-training-2025"]
    )


@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_every_clause_is_a_verbatim_slice_of_the_source(doc_id: str) -> None:
    text = text_of(doc_id)
    clauses = clauses_of(doc_id)
    assert clauses
    for c in clauses:
        assert text[c.start : c.end] == c.text
        assert c.text and c.text == c.text.strip()


@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_clause_ids_are_unique_and_built_from_the_path(doc_id: str) -> None:
    clauses = clauses_of(doc_id)
    ids = [c.clause_id for c in clauses]
    assert len(ids) == len(set(ids))
    for c in clauses:
        assert c.doc_id == doc_id
        assert c.clause_id == f"{doc_id}/" + "/".join(c.path)
        assert c.label == "".join(c.path)


@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_clauses_are_in_document_order_and_do_not_overlap(doc_id: str) -> None:
    clauses = clauses_of(doc_id)
    assert [c.order for c in clauses] == list(range(len(clauses)))
    for a, b in pairwise(clauses):
        assert a.end <= b.start


@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_no_source_line_is_lost(doc_id: str) -> None:
    """A line outside every clause may only be a grouping heading or a table's column names."""
    clauses = clauses_of(doc_id)
    headings = {h for c in clauses for h in c.heading_path}
    columns = {k for c in clauses for k in c.fields if c.kind == "row"}
    for line in uncovered_lines(text_of(doc_id), clauses):
        canonical = line.replace("(", "（").replace(")", "）")
        assert canonical in headings or line in columns, line


@pytest.mark.parametrize(
    ("clause_id", "kind", "starts_with"),
    [
        ("dalian-2023/三/（七）", "clause", "(七)健全高技能人才岗位使用机制。"),
        ("dalian-2023/三/（九）", "clause", "(九)完善技能人才稳才留才引才机制。"),
        ("dalian-2023/二/（四）", "clause", "(四)创新高技能人才培养模式。"),
        ("dalian-2023/一", "clause", "一、总体目标"),
        ("dalian-2023/前言", "preamble", "为加强全市高技能人才队伍建设"),
        ("dalian-2023/落款", "signature", "大连市人民政府办公室"),
        ("xiamen-training-2025/二/（一）/1", "clause", "1.建立培训需求预测机制。"),
        ("xiamen-training-2025/三/14", "clause", "14.强化部门协作。"),
        ("xiamen-training-2025/文件信息", "header", "| 索 引 号 |"),
        ("nantong-draft/四/（十八）", "clause", "（十八）实施技能人才安居工程。"),
        ("nantong-draft/文件信息", "header", "关于加强新时代高技能人才队伍建设实施方案"),
        ("unknown-zhou-measures/一", "clause", "一、建立高技能人才库。"),
        ("unknown-zhou-measures/十九", "clause", "十九、强化组织保障和宣传引导。"),
        ("xiamen-tasks/创新学徒制培养模式", "row", "创新学徒制培养模式"),
        ("xiamen-tasks/文件信息", "header", "附件"),
    ],
)
def test_expected_clauses_exist(clause_id: str, kind: str, starts_with: str) -> None:
    clause = by_id(clause_id.split("/")[0]).get(clause_id)
    assert clause is not None, clause_id
    assert clause.kind == kind
    assert clause.text.startswith(starts_with)


def test_xiamen_training_header_reads_the_metadata_table() -> None:
    header = by_id("xiamen-training-2025")["xiamen-training-2025/文件信息"]
    assert header.fields["文号"] == "厦人社〔2025〕189号"
    assert header.fields["发布机构"] == "厦门市人力资源和社会保障局"
    assert header.fields["生成日期"] == "2025-09-15"
    assert header.fields["索引号"] == "XM00114-34-01-2025-020"


@pytest.mark.parametrize(
    ("doc_id", "count"),
    [
        ("xiamen-tasks", 17),  # header + 16 table rows
        ("dalian-2023", 24),  # 文件信息, 前言, 一, （一）…（二十）, 落款
        ("nantong-draft", 21),  # 文件信息, 前言, （一）…（十九）
        ("unknown-zhou-measures", 19),  # 一 … 十九, nothing before or after
        ("xiamen-training-2025", 21),  # 文件信息, 前言, 一, 1 … 17, 落款
    ],
)
def test_clause_count_per_document(doc_id: str, count: int) -> None:
    assert len(clauses_of(doc_id)) == count


def test_xiamen_tasks_is_a_header_and_sixteen_rows() -> None:
    kinds = [c.kind for c in clauses_of("xiamen-tasks")]
    assert kinds == ["header"] + ["row"] * 16


def test_dalian_has_twenty_numbered_clauses_plus_front_and_back_matter() -> None:
    clauses = clauses_of("dalian-2023")
    numbered = [c for c in clauses if c.path[-1].startswith("（")]
    assert [c.path[-1] for c in numbered] == [label_for(2, n) for n in CN]
    others = [c.clause_id for c in clauses if c not in numbered]
    assert others == ["dalian-2023/文件信息", "dalian-2023/前言", "dalian-2023/一", "dalian-2023/落款"]


def test_unknown_zhou_is_nineteen_top_level_clauses() -> None:
    assert [c.path for c in clauses_of("unknown-zhou-measures")] == [(n,) for n in CN[:19]]


def test_xiamen_tasks_rows_have_the_three_column_fields() -> None:
    rows = [c for c in clauses_of("xiamen-tasks") if c.kind == "row"]
    assert len(rows) == 16
    for row in rows:
        assert list(row.fields) == ["工作任务", "主要内容", "责任单位"]
        assert row.fields["工作任务"] == row.title == row.path[0]
        for value in row.fields.values():
            assert value in row.text
    apprentice = by_id("xiamen-tasks")["xiamen-tasks/创新学徒制培养模式"]
    assert "中职（中级工）3000元/人" in apprentice.fields["主要内容"]
    assert apprentice.fields["责任单位"] == "市人社局、市教育局、市财政局、市国资委、各行业主管部门"


def test_table_layout_is_detected_without_the_manifest_hint() -> None:
    text = text_of("xiamen-tasks")
    assert detect_layout(text) == "table"
    assert detect_layout(text_of("dalian-2023")) == "numbered"
    auto = synthetic(text, "auto", doc_id="xiamen-tasks")
    assert [c.clause_id for c in auto] == [c.clause_id for c in clauses_of("xiamen-tasks")]


@pytest.mark.parametrize(
    ("doc_id", "group", "clause_id"),
    [
        ("dalian-2023", "二、加大高技能人才培养力度", "dalian-2023/二/（四）"),
        ("dalian-2023", "六、加强高技能人才工作保障", "dalian-2023/六/（二十）"),
        ("nantong-draft", "四、实施人才环境“优化提升”行动", "nantong-draft/四/（十八）"),
        ("xiamen-training-2025", "（一）围绕就业需求开展技能培训", "xiamen-training-2025/二/（一）/1"),
    ],
)
def test_grouping_headings_are_not_clauses_but_head_their_children(doc_id: str, group: str, clause_id: str) -> None:
    clauses = by_id(doc_id)
    group_id = f"{doc_id}/" + "/".join(clauses[clause_id].path[:-1])
    assert group_id not in clauses
    assert group in clauses[clause_id].heading_path
    assert not any(c.title == group.split("、")[-1].split("）")[-1] for c in clauses.values())


def test_heading_paths_of_nested_clauses() -> None:
    dalian = by_id("dalian-2023")
    assert dalian["dalian-2023/二/（四）"].heading_path == (
        "二、加大高技能人才培养力度",
        "（四）创新高技能人才培养模式",
    )
    assert dalian["dalian-2023/二/（四）"].title == "创新高技能人才培养模式"
    xiamen = by_id("xiamen-training-2025")
    assert xiamen["xiamen-training-2025/二/（一）/1"].heading_path == (
        "二、主要任务",
        "（一）围绕就业需求开展技能培训",
        "1.建立培训需求预测机制",
    )
    assert xiamen["xiamen-training-2025/三/14"].heading_path == ("三、组织保障", "14.强化部门协作")


def test_dalian_uses_ascii_parentheses_but_ids_are_full_width() -> None:
    clause = by_id("dalian-2023")["dalian-2023/三/（七）"]
    assert clause.text.startswith("(七)")
    assert clause.path == ("三", "（七）")


def test_dalian_signature_holds_issuer_and_date_and_is_not_part_of_the_last_clause() -> None:
    clauses = by_id("dalian-2023")
    last, signature = clauses["dalian-2023/六/（二十）"], clauses["dalian-2023/落款"]
    assert "大连市人民政府办公室" in signature.text
    assert signature.text.rstrip().endswith("2023年10月30日")
    assert "大连市人民政府办公室" not in last.text
    assert "2023年10月30日" not in last.text
    assert last.text.endswith("责任单位:市人力资源社会保障局、市总工会)")
    assert last.end <= signature.start


def test_dalian_header_and_preamble_split() -> None:
    clauses = by_id("dalian-2023")
    header = clauses["dalian-2023/文件信息"]
    assert header.text.startswith("加强新时代大连高技能人才队伍建设实施方案")  # the bullet is not part of it
    assert "大政办发〔2023〕34号" in header.text
    preamble = clauses["dalian-2023/前言"]
    assert preamble.text.endswith("制定本实施方案。")
    assert header.end <= preamble.start


# --------------------------------------------------------------------------- synthetic layouts


def test_inline_body_headings() -> None:
    text = "一、总则。本办法适用于全市高技能人才。\n二、补贴标准。对取得技师证书的给予2000元补贴。\n"
    clauses = synthetic(text)
    assert [(c.clause_id, c.kind, c.title) for c in clauses] == [
        ("t/一", "clause", "总则"),
        ("t/二", "clause", "补贴标准"),
    ]
    assert clauses[1].text == "二、补贴标准。对取得技师证书的给予2000元补贴。"


def test_body_on_the_next_lines() -> None:
    text = "一、建立高技能人才库。\n收集高技能人才信息。\n建立数据库。\n\n二、提供培训\n为人才提供培训机会。\n"
    clauses = synthetic(text)
    assert [c.clause_id for c in clauses] == ["t/一", "t/二"]
    assert clauses[0].title == "建立高技能人才库"
    assert clauses[0].text == "一、建立高技能人才库。\n收集高技能人才信息。\n建立数据库。"
    assert clauses[1].title == "提供培训"
    assert clauses[1].text == "二、提供培训\n为人才提供培训机会。"


def test_numbered_list_under_subsection_under_section() -> None:
    text = (
        "一、主要任务\n"
        "（一）加强培训\n"
        "1.建立机制。内容一。\n"
        "2、强化联动。内容二。\n"
        "（二）优化资源\n"
        "3．推进技能强企。内容三。\n"
        "二、组织保障\n"
        "4.强化协作。内容四。\n"
    )
    clauses = synthetic(text)
    assert [c.clause_id for c in clauses] == ["t/一/（一）/1", "t/一/（一）/2", "t/一/（二）/3", "t/二/4"]
    assert clauses[0].heading_path == ("一、主要任务", "（一）加强培训", "1.建立机制")
    assert clauses[2].heading_path == ("一、主要任务", "（二）优化资源", "3.推进技能强企")
    assert clauses[3].heading_path == ("二、组织保障", "4.强化协作")
    assert all(c.kind == "clause" for c in clauses)


def test_a_decimal_number_is_not_a_list_heading() -> None:
    text = "一、补贴。内容。\n1.5万元的补贴按季度发放。\n"
    clauses = synthetic(text)
    assert [c.clause_id for c in clauses] == ["t/一"]
    assert clauses[0].text == text.strip()


def test_text_without_headings_is_split_by_paragraph() -> None:
    """An unnumbered text is a page: one clause per paragraph, not one long 前言 (issue 10, item 6)."""
    first = (
        "为加强全市高技能人才队伍建设，加大技能人才有效供给，高质量服务全面振兴发展新突破，"
        "根据有关文件精神，结合本市实际，制定本实施方案。"
    )
    second = (
        "各地区各部门要高度重视高技能人才工作，把高技能人才队伍建设纳入本地区经济社会发展总体规划和年度计划，"
        "明确责任分工，认真抓好落实。"
    )
    clauses = synthetic(f"{first}\n{second}\n")
    assert [(c.clause_id, c.kind, c.text) for c in clauses] == [
        ("t/第1段", "clause", first),
        ("t/第2段", "clause", second),
    ]


def test_short_notice_without_headings_is_title_and_addressed_paragraph() -> None:
    text = "关于开展技能竞赛的通知\n各区人社局：\n请于3月底前报名。\n"
    clauses = synthetic(text)
    assert [(c.clause_id, c.kind, c.text) for c in clauses] == [
        ("t/文件信息", "header", "关于开展技能竞赛的通知"),
        ("t/第1段", "clause", "各区人社局：\n请于3月底前报名。"),  # the salutation goes with its paragraph
    ]


def test_header_preamble_clauses_and_signature() -> None:
    preamble = (
        "为加强全市高技能人才队伍建设，加大技能人才有效供给，高质量服务全市经济社会发展，"
        "结合本市实际，制定本实施方案，请认真贯彻执行。"
    )
    assert len(preamble) >= 60  # a paragraph, not a title line
    text = (
        f"关于加强高技能人才队伍建设的通知\n各区人社局：\n{preamble}\n"
        "一、总则。本办法适用于全市。\n二、补贴。给予2000元补贴。\n\n\n"
        "市人力资源和社会保障局\n2024年1月1日\n"
    )
    clauses = synthetic(text)
    assert [(c.clause_id, c.kind) for c in clauses] == [
        ("t/文件信息", "header"),
        ("t/前言", "preamble"),
        ("t/一", "clause"),
        ("t/二", "clause"),
        ("t/落款", "signature"),
    ]
    assert clauses[0].text == "关于加强高技能人才队伍建设的通知\n各区人社局："
    assert clauses[1].text == preamble
    assert clauses[3].text == "二、补贴。给予2000元补贴。"
    assert clauses[4].text == "市人力资源和社会保障局\n2024年1月1日"


def test_ascii_and_full_width_parentheses_give_the_same_ids() -> None:
    body = "一、主要任务\n{o}一{c}加强培训。内容一。\n{o}四{c}完善制度。内容四。\n"
    ascii_ids = [c.clause_id for c in synthetic(body.format(o="(", c=")"))]
    wide_ids = [c.clause_id for c in synthetic(body.format(o="（", c="）"))]
    mixed_ids = [c.clause_id for c in synthetic(body.format(o="(", c="）"))]
    assert ascii_ids == wide_ids == mixed_ids == ["t/一/（一）", "t/一/（四）"]


@pytest.mark.parametrize("indent", ["\u3000\u3000", "\u2003\u2003", "\xa0\xa0", " \t", "\u3000\xa0\u2003"])
def test_unusual_whitespace_indents(indent: str) -> None:
    plain = "一、总则。本办法适用于全市。\n（一）加强培训。内容一。\n（二）优化资源。内容二。\n"
    indented = "\n".join(indent + line + indent for line in plain.splitlines()) + "\n"
    expected = [(c.clause_id, c.title, c.text) for c in synthetic(plain)]
    clauses = synthetic(indented)
    assert [(c.clause_id, c.title, c.text) for c in clauses] == expected
    for c in clauses:
        assert indented[c.start : c.end] == c.text


@pytest.mark.parametrize("gap", ["\u3000", "\xa0", "\u2003", " "])
def test_whitespace_after_the_heading_number(gap: str) -> None:
    clauses = synthetic(f"一、{gap}总则。本办法适用于全市。\n二、{gap}补贴。给予补贴。\n")
    assert [(c.clause_id, c.title) for c in clauses] == [("t/一", "总则"), ("t/二", "补贴")]


def test_table_rows_with_repeated_names_get_numbered_labels() -> None:
    text = "附件\n\n\t工作任务\n\t主要内容\n\n\t甲\n\t内容一。\n\n\t甲\n\t内容二。\n\n\t乙\n\t内容三。\n"
    clauses = synthetic(text, "table")
    assert [(c.clause_id, c.kind) for c in clauses] == [
        ("t/文件信息", "header"),
        ("t/甲", "row"),
        ("t/甲（2）", "row"),
        ("t/乙", "row"),
    ]
    assert clauses[2].fields == {"工作任务": "甲", "主要内容": "内容二。"}
    assert clauses[2].title == "甲"
    for c in clauses:
        assert text[c.start : c.end] == c.text


def test_table_segmenter_without_tab_blocks_falls_back_to_numbered() -> None:
    assert [c.clause_id for c in synthetic("一、总则。内容。\n二、补贴。内容。\n", "table")] == ["t/一", "t/二"]


def test_empty_text_has_no_clauses() -> None:
    assert synthetic("") == []
    assert synthetic("\n \u3000\n\t\n") == []


def test_one_sentence_clauses_are_kept() -> None:
    text = "一、补贴标准\n（一）对取得高级工证书的，给予1000元补贴。\n（二）对取得技师证书的，给予2000元补贴。\n"
    clauses = synthetic(text)
    assert [c.clause_id for c in clauses] == ["t/一/（一）", "t/一/（二）"]
    assert uncovered_lines(text, clauses) == ["一、补贴标准"]


def test_restarted_numbering_still_gives_unique_ids() -> None:
    text = "一、总则。本办法适用于全市。\n二、补贴。给予2000元补贴。\n附件\n一、申报条件。年满18周岁。\n二、申报材料。身份证明。\n"
    ids = [c.clause_id for c in synthetic(text)]
    assert len(ids) == len(set(ids)), ids


_FRAGMENTS = [
    "一、总则",
    "二、补贴。给予2000元补贴。",
    "（一）加强培训",
    "(二)优化资源。内容。",
    "1.建立机制。内容一。",
    "2、强化联动",
    "本办法自印发之日起施行。",
    "\u3000\u3000为加强高技能人才队伍建设，结合本市实际，制定本实施方案，请各单位认真贯彻执行落实到位，确保取得实效。",
    "市人社局",
    "2024年1月1日",
    "",
    "   ",
    "\t工作任务",
    "\t    主要内容。",
    "• 标题",
    "| 文号 | 厦人社〔2025〕189号 |",
    "\xa0\xa0三、附则",
    "\u2003（三）补充。内容。",
    "问：谁可以申领？",
    "答：参保职工。",
    "3.补贴标准是多少？",
    "执行年限：2024年至2026年",
    "申报材料：",
    "各有关单位：",
    "发布时间：2024-03-05 来源：市人社局 浏览次数：12",
    "【打印本页】【关闭窗口】",
    "上一篇：关于开展竞赛的通知",
    "主办：某市人力资源和社会保障局",
    "网站标识码：1234567890",
    "厦人社〔2024〕12号",
    "二〇二四年三月五日",
]


@settings(max_examples=300, deadline=None, database=None)
@given(
    st.lists(st.sampled_from(_FRAGMENTS), max_size=20),
    st.sampled_from(["auto", "numbered", "table", "paragraph", "qa"]),
)
def test_property_clauses_are_ordered_verbatim_slices(lines: list[str], segmenter: str) -> None:
    text = "\n".join(lines)
    clauses = synthetic(text, segmenter)
    for c in clauses:
        assert text[c.start : c.end] == c.text
        assert c.text and c.text == c.text.strip()
    for a, b in pairwise(clauses):
        assert a.end <= b.start
    assert [c.order for c in clauses] == list(range(len(clauses)))


# --------------------------------------------------------------------------- text windows


def _check_windows(text: str, windows: list[tuple[int, int]], max_chars: int, overlap: int) -> None:
    assert windows[0][0] == 0
    assert windows[-1][1] == len(text)
    for a, b in windows:
        assert 0 <= a < b <= len(text)
        assert b - a <= max_chars
    for (a1, b1), (a2, _b2) in pairwise(windows):
        assert a1 < a2  # progress
        assert a2 <= b1  # no gap: the windows cover the whole text
        if overlap > 0:
            assert a2 < b1  # consecutive windows overlap


@pytest.mark.parametrize("text", ["", "短", "对取得技师证书的给予2000元补贴。", "x" * 400])
def test_short_text_is_one_window(text: str) -> None:
    assert list(iter_text_windows(text, 400, 80)) == [(0, len(text))]


def test_long_text_windows_cover_and_overlap() -> None:
    text = "".join(f"第{i}句话说明补贴标准和申报条件。" for i in range(200))
    windows = list(iter_text_windows(text, 400, 80))
    assert len(windows) > 1
    _check_windows(text, windows, 400, 80)


def test_window_ends_move_back_to_a_sentence_end() -> None:
    text = "甲" * 70 + "。" + "乙" * 100
    windows = list(iter_text_windows(text, 100, 10))
    assert windows[0] == (0, 71)  # cut right after 。 rather than mid-sentence
    assert windows[1][0] == 61  # overlap of 10 characters
    _check_windows(text, windows, 100, 10)


def test_without_a_sentence_end_windows_are_full_length() -> None:
    text = "甲" * 250
    assert list(iter_text_windows(text, 100, 20)) == [(0, 100), (80, 180), (160, 250)]


@settings(max_examples=400, deadline=None, database=None)
@given(
    st.text(alphabet=st.sampled_from("甲乙ab 。；;，\n"), max_size=300),
    st.integers(min_value=2, max_value=60),
    st.data(),
)
def test_property_windows_cover_whole_text(text: str, max_chars: int, data: st.DataObject) -> None:
    overlap = data.draw(st.integers(min_value=0, max_value=max_chars + 10))
    windows = list(iter_text_windows(text, max_chars, overlap))
    if len(text) <= max_chars:
        assert windows == [(0, len(text))]
        return
    _check_windows(text, windows, max_chars, overlap)


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(max_size=200), st.integers(min_value=2, max_value=50), st.integers(min_value=1, max_value=40))
def test_property_windows_on_arbitrary_strings(text: str, max_chars: int, overlap: int) -> None:
    windows = list(iter_text_windows(text, max_chars, overlap))
    if len(text) <= max_chars:
        assert windows == [(0, len(text))]
    else:
        _check_windows(text, windows, max_chars, overlap)
