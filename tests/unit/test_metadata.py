"""Unit tests for ingest.metadata: issuer, number and date read from a document's text."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.metadata import (
    complete_metadata,
    find_metadata,
    is_date_line,
    is_number_line,
    is_org_line,
    parse_date,
    parse_number,
)
from ingest.schema import DocumentMeta

_CN = "〇一二三四五六七八九"


def chinese_date(d: dt.date) -> str:
    """二〇二四年六月三日: the year digit by digit, month and day as numbers."""

    def num(n: int) -> str:
        tens, units = divmod(n, 10)
        return ("" if tens < 2 else _CN[tens]) + ("十" if tens else "") + (_CN[units] if units else "")

    return "".join(_CN[int(c)] for c in str(d.year)) + f"年{num(d.month)}月{num(d.day)}日"


DATE_FORMATS = {
    "年月日": lambda d: f"{d.year}年{d.month}月{d.day}日",
    "iso": lambda d: d.isoformat(),
    "slashes": lambda d: f"{d.year}/{d.month}/{d.day}",
    "chinese": chinese_date,
}


@settings(max_examples=200, deadline=None, database=None)
@given(st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2099, 12, 31)), st.sampled_from(sorted(DATE_FORMATS)))
def test_every_date_spelling_parses_to_the_iso_date(day: dt.date, style: str) -> None:
    written = DATE_FORMATS[style](day)
    assert parse_date(written) == day.isoformat()
    assert is_date_line(written)
    assert is_date_line(f"（{written}）")


@pytest.mark.parametrize("text", ["2024年13月1日", "2024-02-40", "1800年1月1日", "2024年", "二〇二四年"])
def test_invalid_or_partial_dates(text: str) -> None:
    assert parse_date(text) is None
    assert not is_date_line(text)


def test_latin_o_for_zero_as_pages_type_it() -> None:
    assert parse_date("二OO八年六月四日") == "2008-06-04"


@settings(max_examples=100, deadline=None, database=None)
@given(
    st.sampled_from(["云人社", "青政办发", "云人社规", "人社部发", "云财社函"]),
    st.integers(min_value=1990, max_value=2099),
    st.integers(min_value=1, max_value=999),
    st.sampled_from([("〔", "〕"), ("[", "]"), ("（", "）"), ("【", "】")]),
)
def test_document_numbers_in_any_brackets(prefix: str, year: int, n: int, brackets: tuple[str, str]) -> None:
    number = f"{prefix}{brackets[0]}{year}{brackets[1]}{n}号"
    assert parse_number(f"根据有关规定（{number}）执行") == number
    assert is_number_line(number)
    assert is_number_line(f"（{number}）")
    assert is_number_line(f"2024年3月5日 {number}")
    assert not is_number_line(f"根据《某某办法》（{number}）")  # cited, not standing alone


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("云溪市人力资源和社会保障局", True),
        ("云溪市人力资源和社会保障局 云溪市财政局", True),
        ("市委宣传部、市总工会", True),
        ("云溪市人力资源和社会保障局（盖章）", True),
        ("中共云溪市委人才工作领导小组办公室", True),
        ("组织保障", False),
        ("特此通知", False),
        ("请各单位认真组织实施", False),
    ],
)
def test_issuer_lines(line: str, expected: bool) -> None:
    assert is_org_line(line) is expected


NOTICE = """关于做好技能竞赛工作的通知
云人社〔2024〕15号
各有关单位：
根据《云溪市职业技能竞赛管理办法》（云人社规〔2022〕3号），现就有关事项通知如下。
特此通知。
云溪市人力资源和社会保障局
云溪市财政局
2024年5月18日
"""


def test_notice_number_issuer_and_date() -> None:
    found = find_metadata(NOTICE)
    assert found.number == "云人社〔2024〕15号"  # not the cited 云人社规〔2022〕3号
    assert found.issuer == "云溪市人力资源和社会保障局、云溪市财政局"
    assert found.date == "2024-05-18"
    assert found.number_line == "云人社〔2024〕15号"
    assert found.date_line == "2024年5月18日"


def test_a_cited_number_alone_is_never_the_documents() -> None:
    text = "为落实《云溪市技能人才发展规划》（云政发〔2021〕7号）要求，制定本方案。\n一、目标\n内容。"
    assert find_metadata(text).number == ""


def test_labels_win_over_the_signature_and_the_page_info() -> None:
    text = (
        "| 索引号 | YX-1 | 文号 | 云人社函〔2024〕88号 |\n"
        "| 发文机关 | 云溪市人力资源和社会保障局 | 成文日期 | 2024-09-02 |\n"
        "发布时间：2024-09-05 来源：云溪市政府办\n"
        "正文。\n"
        "云溪市人力资源和社会保障局\n云溪市财政局\n2024年9月1日\n"
    )
    found = find_metadata(text)
    assert (found.number, found.issuer, found.date) == (
        "云人社函〔2024〕88号",
        "云溪市人力资源和社会保障局",
        "2024-09-02",
    )


def test_signature_wins_over_the_publication_date_and_the_publisher() -> None:
    text = (
        "| 发布机构 | 云溪市人力资源和社会保障局 | 发布日期 | 2024-09-05 |\n"
        "正文。\n"
        "云溪市人力资源和社会保障局 云溪市财政局\n2024年9月2日\n"
    )
    found = find_metadata(text)
    assert found.date == "2024-09-02"
    assert found.issuer == "云溪市人力资源和社会保障局、云溪市财政局"  # a joint document names both


def test_page_info_fills_in_when_the_text_has_no_signature() -> None:
    text = "政策解读\n发布时间：2024-07-02 10:00 来源：云溪市人力资源和社会保障局 浏览次数：12\n问：谁可以申领？\n答：职工。\n"
    found = find_metadata(text)
    assert (found.issuer, found.date, found.number) == ("云溪市人力资源和社会保障局", "2024-07-02", "")


def test_a_source_that_is_not_an_office_is_not_an_issuer() -> None:
    assert find_metadata("标题\n发布时间：2024-07-02 来源：本站原创\n正文。").issuer == ""


def test_neighbouring_article_titles_are_not_read() -> None:
    text = "标题\n正文。\n上一篇：关于印发某方案的通知\n下一篇：云人社〔2023〕9号文件解读\n"
    assert find_metadata(text) == find_metadata("标题\n正文。\n")


@settings(max_examples=100, deadline=None, database=None)
@given(
    st.lists(
        st.sampled_from(["云溪市人力资源和社会保障局", "云溪市财政局", "青岚区人民政府办公室", "云溪市总工会"]),
        min_size=1,
        max_size=3,
        unique=True,
    ),
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31)),
    st.sampled_from(sorted(DATE_FORMATS)),
    st.booleans(),
)
def test_signature_family(issuers: list[str], day: dt.date, style: str, one_line: bool) -> None:
    """Whatever issuers and date spelling, the signature gives them back."""
    names = " ".join(issuers) if one_line else "\n".join(issuers)
    text = f"某某通知\n各有关单位：\n现将有关事项通知如下，请认真贯彻执行。\n{names}\n{DATE_FORMATS[style](day)}\n"
    found = find_metadata(text)
    assert found.issuer == "、".join(issuers)
    assert found.date == day.isoformat()


# --------------------------------------------------------------------------- merging into the manifest's metadata


def meta(**kw: str) -> DocumentMeta:
    return DocumentMeta(id="t", title="测试", source="t.txt", **kw)  # type: ignore[arg-type]


def test_text_fills_what_the_manifest_leaves_empty() -> None:
    filled = complete_metadata(meta(), NOTICE)
    assert filled.number == "云人社〔2024〕15号"
    assert filled.date == "2024-05-18"
    assert filled.issuer == "云溪市人力资源和社会保障局、云溪市财政局"
    assert filled.from_text == ("date", "issuer", "number")


def test_the_manifest_wins_when_it_has_a_value() -> None:
    given_meta = meta(number="云人社〔2024〕99号", date="2024-01-01", issuer="云溪市人民政府")
    assert complete_metadata(given_meta, NOTICE) == given_meta
    partial = complete_metadata(meta(date="2024-01-01"), NOTICE)
    assert partial.date == "2024-01-01"
    assert partial.number == "云人社〔2024〕15号"
    assert partial.from_text == ("issuer", "number")


@pytest.mark.parametrize("placeholder", ["未注明", "未知", "云溪市（发文机关未注明）", ""])
def test_placeholder_issuers_count_as_empty(placeholder: str) -> None:
    assert complete_metadata(meta(issuer=placeholder), NOTICE).issuer == "云溪市人力资源和社会保障局、云溪市财政局"


def test_nothing_found_leaves_the_metadata_as_it_was() -> None:
    plain = meta()
    assert complete_metadata(plain, "一、总则\n本办法适用于全市。\n") is plain
