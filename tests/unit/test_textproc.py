"""Unit tests for ingest.textproc: tokenizer, script detection and conversion."""

from __future__ import annotations

import re

import jieba
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.textproc import Tokenizer, index_text, is_traditional, to_simplified, to_traditional


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer()


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("请问高技能人才的待遇怎么样", "高技能人才"),
        ("大连的带徒补贴标准", "带徒补贴"),
        ("申请技能大师工作室需要什么条件", "技能大师工作室"),
        ("这是征求意见稿吗", "征求意见稿"),
        ("什么是新八级工制度", "新八级工"),
        ("台湾地区职业资格能否采认", "台湾地区"),
        ("台湾地区职业资格能否采认", "职业资格"),
        ("引进人才的安家费", "安家费"),
    ],
)
def test_domain_words_are_kept_whole(tokenizer: Tokenizer, text: str, word: str) -> None:
    assert word in tokenizer.tokenize(text)


@pytest.mark.parametrize(
    ("text", "dropped"),
    [
        ("请问带徒补贴是多少", {"请问", "多少", "是"}),
        ("技能大师工作室怎么申请吗", {"怎么", "吗"}),
        ("我想问一下安家费有没有", {"我想", "问一下", "有没有", "一下"}),
        ("高技能人才的补贴", {"的"}),
    ],
)
def test_stopwords_are_dropped(tokenizer: Tokenizer, text: str, dropped: set[str]) -> None:
    tokens = tokenizer.tokenize(text)
    assert tokens
    assert not dropped & set(tokens)


def test_question_filler_alone_gives_no_tokens(tokenizer: Tokenizer) -> None:
    assert tokenizer.tokenize("请问怎么样吗？") == []


def test_punctuation_and_whitespace_are_dropped(tokenizer: Tokenizer) -> None:
    tokens = tokenizer.tokenize("大连，带徒补贴！标准。（七）“双导师”、 \u3000\n\t…… 2000元/人")
    assert tokens
    for tok in tokens:
        assert tok.strip() == tok and tok
        assert re.search(r"\w", tok), tok
    assert {"大连", "带徒补贴", "标准", "2000"} <= set(tokens)


def test_latin_tokens_are_lowercased(tokenizer: Tokenizer) -> None:
    assert {"ai", "hello"} <= set(tokenizer.tokenize("AI Hello 培训"))


def test_tokenizing_is_deterministic(tokenizer: Tokenizer) -> None:
    text = "对新引进的高技能人才给予260万元、120万元、30万元安家费"
    assert tokenizer.tokenize(text) == tokenizer.tokenize(text)


def test_custom_stopwords_replace_the_defaults() -> None:
    tokenizer = Tokenizer(stopwords={"补贴"})
    tokens = tokenizer.tokenize("请问补贴")
    assert "请问" in tokens
    assert "补贴" not in tokens


def test_user_dictionary_does_not_touch_jieba_global_state(tokenizer: Tokenizer) -> None:
    assert "带徒补贴" in tokenizer.tokenize("带徒补贴")
    assert "带徒补贴" not in jieba.lcut_for_search("领办人享受带徒补贴")


def test_add_word_affects_only_its_own_tokenizer(tmp_path) -> None:
    userdict = tmp_path / "dict.txt"
    userdict.write_text("安居工程 1000 n\n", encoding="utf-8")
    one, two = Tokenizer(userdict=userdict), Tokenizer(userdict=userdict)
    one.add_word("揭榜领题补助")
    assert "揭榜领题补助" in one.tokenize("申请揭榜领题补助")
    assert "揭榜领题补助" not in two.tokenize("申请揭榜领题补助")
    assert "安居工程" in two.tokenize("实施技能人才安居工程")  # the given dictionary is loaded


# --------------------------------------------------------------------------- script


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("台灣", True),
        ("證照", True),
        ("廈門的帶徒補貼", True),
        ("台湾", False),
        ("厦门的带徒补贴", False),
        ("高技能人才", False),  # the same in both scripts
        ("abc 123", False),
        ("", False),
    ],
)
def test_is_traditional(text: str, expected: bool) -> None:
    assert is_traditional(text) is expected


def test_one_traditional_character_in_a_long_simplified_text_is_not_enough() -> None:
    text = "高技能人才队伍建设" * 5 + "門"
    assert is_traditional(text) is False
    assert is_traditional("高技能人才門") is True


@pytest.mark.parametrize(
    ("simplified", "traditional"),
    [
        ("台湾", "臺灣"),
        ("证照", "證照"),
        ("软件", "軟體"),  # Taiwan phrasing, not just characters
        ("带徒补贴", "帶徒補貼"),
        # Policy words the phrase table would turn into other words: pass ≠ by way of, review ≠ audit.
        ("通过企业实习考核", "通過企業實習考核"),
        ("按程序审核", "按程序審核"),
        ("竞赛项目", "競賽項目"),
    ],
)
def test_to_traditional_uses_taiwan_phrasing(simplified: str, traditional: str) -> None:
    assert to_traditional(simplified) == traditional


def test_to_simplified_keeps_simplified_words() -> None:
    assert to_simplified("證照 廈門 補助") == "证照 厦门 补助"
    assert to_simplified("这是什么文件") == "这是什么文件"  # no Taiwan phrase table: 文件 stays 文件


@pytest.mark.parametrize("text", ["高技能人才 带徒补贴", "厦门市台湾地区职业资格采认", "安家费2000元"])
def test_round_trip_through_traditional(text: str) -> None:
    assert to_simplified(to_traditional(text)) == text


def test_index_text_prepends_context_and_simplifies() -> None:
    assert index_text("臺灣地區職業資格", "厦门", "", "采认") == "厦门\n采认\n台湾地区职业资格"
    assert index_text("带徒补贴") == "带徒补贴"


# --------------------------------------------------------------------------- fast conversion, remembered tokens

# Characters OpenCC's t2s dictionaries know (single ones and parts of phrases), Simplified characters
# that look like them, and separators: conversion by runs must give exactly OpenCC's whole-text output.
_POOL = (
    "乾隆乾坤干燥後后臺台灣湾著名着髮发於于係系為为麵面範范週周裏里鐘钟夥伙證证書书補补貼贴高技能人才，。 \n、（）1２a"
)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_POOL, max_size=40))
def test_to_simplified_equals_opencc_on_the_whole_text(text: str) -> None:
    from ingest.textproc import _converter

    assert to_simplified(text) == _converter("t2s").convert(text)
    long = text * 20  # past the length up to which results are remembered
    assert to_simplified(long) == _converter("t2s").convert(long)


def test_to_simplified_equals_opencc_on_the_corpus() -> None:
    from app.settings import REPO_ROOT
    from ingest.textproc import _converter

    for path in sorted((REPO_ROOT / "corpus" / "texts").iterdir()):
        text = path.read_text(encoding="utf-8")
        assert to_simplified(text) == _converter("t2s").convert(text), path.name


def test_remembered_tokens_are_copies() -> None:
    t = Tokenizer()
    first = t.tokenize("大连 带徒补贴 标准")
    first.append("被改了")
    assert t.tokenize("大连 带徒补贴 标准") == [tok for tok in first if tok != "被改了"]


def test_added_word_changes_remembered_tokens() -> None:
    t = Tokenizer()
    before = t.tokenize("甲乙丙丁戊")
    t.add_word("乙丙丁")
    assert "乙丙丁" in t.tokenize("甲乙丙丁戊")
    assert "乙丙丁" not in before


def test_tokenizers_share_the_loaded_dictionary_until_one_adds_a_word() -> None:
    a, b = Tokenizer(), Tokenizer()
    text = "领办人带徒补贴标准高级技师2000元"
    assert a.tokenize(text) == b.tokenize(text)
    assert a._jieba.FREQ is b._jieba.FREQ  # loaded once per process
    b.add_word("带徒补贴标准")
    assert a._jieba.FREQ is not b._jieba.FREQ
    assert "带徒补贴标准" in b.words(text) and "带徒补贴标准" not in a.words(text)


def test_remembered_words_are_copies_and_follow_added_words() -> None:
    tok = Tokenizer()
    first = tok.words("南通人才公寓租金")
    first.append("x")
    assert tok.words("南通人才公寓租金") == first[:-1]
    tok.add_word("人才公寓租金")
    assert "人才公寓租金" in tok.words("南通人才公寓租金")


def test_part_of_speech_table_is_read_as_jieba_reads_it(tmp_path) -> None:
    import jieba.posseg

    from ingest import textproc

    main = tmp_path / "dict.txt"
    main.write_text("技师 300 n\n补贴 200 v\n带徒 20 vn\n", encoding="utf-8")
    assert textproc._word_tags(str(main)) == jieba.posseg.POSTokenizer(jieba.Tokenizer(str(main))).word_tag_tab
    tok = Tokenizer()
    assert tok.tagged("大连高级技师补贴") == [
        (w.word, w.flag) for w in jieba.posseg.POSTokenizer(tok._jieba).cut("大连高级技师补贴")
    ]


def test_short_traditional_conversions_are_remembered_and_equal_to_the_long_path() -> None:
    from ingest import textproc

    text = "职业技能等级认定补贴标准：高级工每人2000元。"
    assert to_traditional(text) == textproc._to_traditional(text)
    assert to_traditional(text) is to_traditional(text)
