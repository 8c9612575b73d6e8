"""Unit tests for app.query: script conversion, synonyms, document numbers, amounts, intent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.query import amount_patterns, analyze, extract_amounts, load_synonyms, normalize_doc_number

CITIES = ("大连", "厦门", "南通")


# --------------------------------------------------------------------------- Traditional → Simplified


@pytest.mark.parametrize(
    ("query", "simplified"),
    [
        ("台灣", "台湾"),
        ("證照", "证照"),
        ("廈門", "厦门"),
        ("台灣居民的證照能在廈門用嗎", "台湾居民的证照能在厦门用吗"),
        ("帶徒補貼標準是多少", "带徒补贴标准是多少"),
    ],
)
def test_traditional_query_is_converted_and_flagged(query: str, simplified: str) -> None:
    a = analyze(query)
    assert a.original == query
    assert a.simplified == simplified
    assert a.traditional is True
    assert a.expanded.startswith(simplified)


@pytest.mark.parametrize("query", ["台湾居民的证照能在厦门用吗", "大连 带徒补贴 标准", "安家费", "2000元"])
def test_simplified_query_is_unchanged_and_not_flagged(query: str) -> None:
    a = analyze(query)
    assert a.simplified == query
    assert a.traditional is False


@pytest.mark.parametrize("query", ["这个文件是哪天发布的", "这是什么文件", "申报程序是什么", "文件里的带徒补贴"])
def test_simplified_mainland_wording_is_not_rewritten(query: str) -> None:
    assert analyze(query).simplified == query


def test_what_document_is_this_is_about_the_document() -> None:
    assert analyze("这是什么文件").about_document is True


def test_query_is_stripped_but_original_kept() -> None:
    a = analyze("  安家费 \n")
    assert a.simplified == "安家费"
    assert a.original == "  安家费 \n"


def test_cities_are_recognised_after_conversion() -> None:
    assert analyze("廈門的補貼", CITIES).cities == ("厦门",)
    assert analyze("大连和厦门有什么不同", CITIES).cities == ("大连", "厦门")
    assert analyze("大连的补贴", ()).cities == ()
    assert analyze("北京的补贴", CITIES).cities == ()


# --------------------------------------------------------------------------- synonyms


@pytest.mark.parametrize(
    ("query", "terms"),
    [
        ("证照", ["证书", "职业资格"]),
        ("台胞", ["台湾地区居民", "台湾地区"]),
        ("补助", ["补贴"]),
        ("師傅帶徒弟有補助嗎", ["名师带徒", "学徒", "补贴"]),  # keys match after conversion
    ],
)
def test_colloquial_terms_are_expanded_with_document_wording(query: str, terms: list[str]) -> None:
    a = analyze(query)
    for term in terms:
        assert term in a.expansions
        assert term in a.expanded.split()
        assert term not in a.simplified
    assert a.expanded == a.simplified + " " + " ".join(a.expansions)


def test_terms_already_in_the_query_are_not_added() -> None:
    a = analyze("补助和补贴")
    assert a.expansions == ()
    assert a.expanded == a.simplified


def test_no_synonym_no_expansion() -> None:
    a = analyze("安居工程")
    assert a.expansions == ()
    assert a.expanded == "安居工程"


def test_expansions_have_no_duplicates() -> None:
    a = analyze("台胞 台湾人 证照 执照")
    assert len(a.expansions) == len(set(a.expansions))
    assert set(a.expansions) >= {"台湾地区居民", "台湾地区", "证书", "职业资格"}


def test_synonym_table_keys_and_values_are_simplified_strings() -> None:
    table = load_synonyms()
    assert table["证照"] == ["证书", "职业资格"]
    for key, values in table.items():
        assert key and all(v for v in values)


# --------------------------------------------------------------------------- document numbers


@pytest.mark.parametrize(
    "typed",
    [
        "大政办发〔2023〕34号",
        "大政办发[2023]34号",
        "大政办发(2023)34号",
        "大政办发（2023）34号",
        "大政办发［2023］34号",
        "大政办发 [ 2023 ] 34 号",
    ],
)
def test_document_numbers_are_normalised(typed: str) -> None:
    assert normalize_doc_number(typed) == "大政办发〔2023〕34号"
    a = analyze(f"{typed}是哪天发布的")
    assert a.doc_numbers == ("大政办发〔2023〕34号",)
    assert "大政办发〔2023〕34号" in a.simplified
    assert a.residual == "是哪天发布的"
    assert a.amounts == ()  # 2023 and 34 belong to the number


def test_traditional_document_number() -> None:
    a = analyze("廈人社[2025]189號")
    assert a.doc_numbers == ("厦人社〔2025〕189号",)
    assert a.residual == ""


def test_several_document_numbers_and_residual() -> None:
    a = analyze("人社部发〔2025〕10号 大政办发(2023)34号 安家费")
    assert a.doc_numbers == ("人社部发〔2025〕10号", "大政办发〔2023〕34号")
    assert a.residual == "安家费"


@pytest.mark.parametrize(
    ("query", "number"),
    [
        ("请问大政办发〔2023〕34号是哪天发布的", "大政办发〔2023〕34号"),
        ("按照厦人社〔2025〕189号，补贴标准是多少", "厦人社〔2025〕189号"),
    ],
)
def test_words_before_a_document_number_are_not_part_of_it(query: str, number: str) -> None:
    assert analyze(query).doc_numbers == (number,)


def test_text_without_document_number() -> None:
    a = analyze("带徒补贴标准")
    assert a.doc_numbers == ()
    assert a.residual == "带徒补贴标准"


# --------------------------------------------------------------------------- amounts


@pytest.mark.parametrize(
    ("query", "amounts"),
    [
        ("二十万", [200000]),
        ("1.5万", [15000]),
        ("2000元", [2000]),
        ("两千元", [2000]),
        ("百分之三十", [30]),
        ("30%", [30]),
        ("带徒补贴 2000", [2000]),
        ("700万元", [7000000]),
        ("补贴是2000元还是3000元？", [2000, 3000]),
        ("2025年的补贴是2000元", [2000]),
        ("每人每月4000元，保障期36个月", [4000]),
    ],
)
def test_amounts_are_extracted(query: str, amounts: list[int]) -> None:
    assert list(analyze(query).amounts) == [Decimal(v) for v in amounts]
    assert extract_amounts(query) == [Decimal(v) for v in amounts]


@pytest.mark.parametrize("query", ["三十多岁", "3个中职", "2025年", "两名", "2名技师", "一类竞赛", "三年", "5"])
def test_counts_ages_and_years_are_not_amounts(query: str) -> None:
    assert analyze(query).amounts == ()


# --------------------------------------------------------------------------- questions about the document


@pytest.mark.parametrize(
    ("query", "about"),
    [
        ("这个文件是哪天发布的", True),
        ("是哪个单位发的", True),
        ("这个方案是否正式印发", True),
        ("文号是多少", True),
        ("什么时候出台的", True),
        ("签了正式劳动合同才有补贴吗", False),
        ("培训多长时间", False),
        ("带徒补贴标准", False),
        ("台湾地区职业资格能采认吗", False),
    ],
)
def test_about_document_intent(query: str, about: bool) -> None:
    assert analyze(query).about_document is about


def test_about_document_ignores_words_inside_the_document_number() -> None:
    # 发 in 大政办发 is part of the number, not a question about who issued it.
    assert analyze("大政办发〔2023〕34号 安家费").about_document is False


# --------------------------------------------------------------------------- amount patterns


@pytest.mark.parametrize(
    ("value", "text", "matches"),
    [
        (7000000, "给予每家最高700万元建设补助资金", True),
        (7000000, "补助7000000元", True),
        (7000000, "补助1700万元", False),
        (2000, "每人2000元", True),
        (2000, "每人12000元", False),
        (2000, "每人20000元", False),
        (2000, "2000", True),
        (200000, "给予20万元", True),
        (200000, "给予120万元", False),
        (30, "按投资额的30%抵免", True),
        (30, "按投资额的130%抵免", False),
    ],
)
def test_amount_patterns(value: int, text: str, matches: bool) -> None:
    patterns = amount_patterns(Decimal(value))
    assert any(p.search(text) for p in patterns) is matches


def test_amount_patterns_of_a_decimal_query_value() -> None:
    # 1.5万 arrives as Decimal('15000.0'); the plain form must still be 15000.
    (value,) = analyze("1.5万").amounts
    assert any(p.search("补贴15000元") for p in amount_patterns(value))


def test_amount_patterns_match_fractional_wan() -> None:
    (value,) = analyze("1.5万").amounts
    assert any(p.search("每人补贴1.5万元") for p in amount_patterns(value))


def test_an_ordinal_is_searched_in_both_numeral_forms() -> None:
    from app.query import analyze

    assert "第1名" in analyze("拿了第一名有奖励吗").expanded
    assert "第三届" in analyze("第3届大赛").expanded
    assert analyze("第一名").expansions.count("第1名") == 1
