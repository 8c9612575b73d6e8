"""Unit tests for ingest.pagetext: which lines of a web page are chrome, and labelled fields."""

from __future__ import annotations

import pytest

from ingest.pagetext import (
    answer_text,
    chrome_mask,
    is_chrome_class,
    is_tool_row,
    labelled_fields,
    page_info,
    question_text,
)


@pytest.mark.parametrize(
    "line",
    [
        "【打印本页】【关闭窗口】",
        "[打印] [关闭]",
        "字号：大 中 小",
        "【字体：大 中 小】 打印 | 关闭",
        "字號: 默認 超大 | 打印 |",  # Traditional
        "列印本頁 關閉視窗",  # Taiwan phrasing
        "分享到：微信 微博 QQ空间",
        "扫一扫在手机打开当前页",
        "云溪市人民政府门户网站 | 无障碍 | 长者模式",
        "——",
        "|",
    ],
)
def test_tool_rows_are_chrome(line: str) -> None:
    assert is_tool_row(line)
    assert chrome_mask([line]) == [True]


@pytest.mark.parametrize(
    "line",
    [
        "上一篇：关于开展2024年技能竞赛的通知",
        "下一篇 云溪市技能人才评价工作安排",
        "您当前的位置：首页 > 政务公开 > 通知公告",
        "当前位置: 首页 » 政策解读",
        "首页 > 政务公开",
        "发布时间：2024-05-20 10:30 来源：云溪市人力资源和社会保障局 浏览次数：",
        "發布時間:2023-03-15 09:28信息來源:某市人民政府辦公室",  # Traditional, no space before the second key
        "2024-07-02 09:12 来源: 某部网站",
        "（来源：市人社局）",
        "作者：张三 责任编辑：李四",
    ],
)
def test_single_chrome_lines(line: str) -> None:
    assert chrome_mask([line]) == [True]


@pytest.mark.parametrize(
    "line",
    [
        "日期：2024-03-05",  # a date label alone is metadata, not chrome
        "申报时间：2024年3月1日至3月31日",
        "关于开展技能竞赛的通知",
        "返回原单位工作的，按规定享受补贴。",
        "请登录云溪市人民政府门户网站申报。",
        "中",
        "打印店从业人员可参加培训。",
        "主办单位：云溪市人力资源和社会保障局",  # content of a competition notice, outside a footer
        "如有疑问，请联系我们。",
        "问：谁可以申领？",
    ],
)
def test_content_lines_are_not_chrome(line: str) -> None:
    assert chrome_mask([line]) == [False]


def test_page_info_fields_keep_their_values() -> None:
    assert page_info("发布时间：2024-05-20 10:30 来源：云溪市人社局 浏览次数：35") == {
        "发布时间": "2024-05-20 10:30",
        "来源": "云溪市人社局",
        "浏览次数": "35",
    }
    assert page_info("發布時間:2023-03-15 信息來源:某市人民政府辦公室") == {
        "发布时间": "2023-03-15",
        "信息来源": "某市人民政府辦公室",
    }
    assert page_info("日期：2024-03-05") is None  # no page key: metadata


def test_footer_zone_runs_to_the_end_and_keeps_the_document_contact_line() -> None:
    lines = [
        "请于6月30日前报送。",
        "咨询电话：0999-1234567",
        "",
        "主办：云溪市人力资源和社会保障局　承办：云溪市信息中心",
        "地址：云溪市滨江路88号　邮编：999001",
        "网站标识码：9999000001　云ICP备00000001号",
    ]
    assert chrome_mask(lines) == [False, False, False, True, True, True]


def test_footer_keys_without_a_footer_mark_are_content() -> None:
    """主办/承办 lines at the end of a competition notice are its content unless a real footer follows."""
    lines = ["竞赛由市人社局组织。", "主办单位：云溪市人力资源和社会保障局", "承办单位：云溪市技师学院"]
    assert chrome_mask(lines) == [False, False, False]


def test_footer_does_not_swallow_the_signature() -> None:
    lines = [
        "特此通知。",
        "云溪市人力资源和社会保障局",
        "2024年5月18日",
        "主办：云溪市人民政府办公室",
        "版权所有 云溪市",
    ]
    assert chrome_mask(lines) == [False, False, False, True, True]


def test_related_links_list_is_chrome_until_running_text() -> None:
    lines = [
        "正文最后一段。",
        "相关链接",
        "关于印发《云溪市职业技能提升行动实施方案》的通知（云人社〔2023〕8号）",
        "云溪市2023年技能竞赛获奖名单",
    ]
    assert chrome_mask(lines) == [False, True, True, True]


def test_labelled_fields_with_spaced_keys_and_without_colons() -> None:
    keys = ["索引号", "分类", "文号", "上载日期", "发布机构"]
    assert labelled_fields("文        号 某政办发〔2019〕29号   上 载 日 期 2019-12-02", keys) == [
        ("文号", "某政办发〔2019〕29号"),
        ("上载日期", "2019-12-02"),
    ]
    assert labelled_fields("| 发布机构 | 云溪市人社局 | 文 号 | 云人社〔2025〕9号 |", keys) == [
        ("发布机构", "云溪市人社局"),
        ("文号", "云人社〔2025〕9号"),
    ]
    assert labelled_fields("文号的格式由办公室规定。", keys) == []  # no colon, no space after the key


@pytest.mark.parametrize(
    ("line", "question"),
    [("问：谁可以申领？", "谁可以申领？"), ("Q1: 补贴多少？", "补贴多少？"), ("问题2：何时申领？", "何时申领？")],
)
def test_question_markers(line: str, question: str) -> None:
    assert question_text(line) == question


def test_answer_markers() -> None:
    assert answer_text("答：参保职工。") == "参保职工。"
    assert answer_text("A：参保职工。") == "参保职工。"
    assert answer_text("答复内容：已收悉。") == "已收悉。"
    assert answer_text("答辩程序按规定执行。") is None


def test_chrome_class_names() -> None:
    assert is_chrome_class(["bshare-custom"])
    assert is_chrome_class(["article_footer"])
    assert is_chrome_class(["dqwz"])
    assert not is_chrome_class(["content", "article-body"])
    assert not is_chrome_class(["font-red"])
