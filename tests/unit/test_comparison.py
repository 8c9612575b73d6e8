"""Comparisons across places (app.answer.compare): detection from the frame, per-place retrieval with the
fake embedder, rows in the order named, ranking only from comparable figures."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.answer import compare
from app.frame.read import read_question
from app.scope import applies, place_names
from app.services import Services
from evaluation.answers import PartExpect, _part_ok, _ranking_ok
from ingest.textproc import is_traditional


def frame_of(services: Services, text: str):
    return read_question(text, places=place_names(services.retriever.documents()), tokenizer=services.tokenizer)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("大连 南通 学徒补贴", True),  # hotline keywords naming two cities
        ("厦门、大连、南通对技能竞赛获奖选手分别有什么支持？", True),
        ("大连跟厦门哪里学徒补贴更高？", True),
        ("各个文件对职工教育经费用于一线职工的比例写得一样吗", True),  # every document
        ("大连的文件和那份来源不明的文件里都有个60%，哪个要求更高？", True),  # a place and the unknown excerpt
        ("大连 带徒补贴 标准", False),  # one place
        ("南通人才公寓租金补贴一个月多少钱", False),
    ],
)
def test_detection(ingested: Services, question: str, expected: bool) -> None:
    assert compare.is_comparison(frame_of(ingested, question)) is expected


def test_need_drops_places_and_compare_words(ingested: Services) -> None:
    need = compare.need_of(frame_of(ingested, "厦门、大连、南通对技能竞赛获奖选手分别有什么支持？"))
    assert "厦门" not in need and "大连" not in need and "南通" not in need and "分别" not in need
    assert "技能竞赛" in need


def test_rows_follow_the_order_named_and_stay_in_each_place(ingested: Services) -> None:
    ans = ingested.assistant.ask("南通 苏州 大连 学徒补贴")
    rows = ans.comparison or []
    assert [r["place"] for r in rows] == ["南通", "苏州", "大连"]  # never a named place skipped
    docs = {d.id: d for d in ingested.retriever.documents()}
    for r in rows:
        if r["doc_id"] is not None:
            assert applies(docs[r["doc_id"]], r["place"])  # retrieved only in that place's documents
    suzhou = rows[1]
    assert suzhou["status"] == "no_document" and "语料中没有苏州的文件" in ans.answer
    assert "| 地区 |" in ans.answer  # the Markdown table
    for c in ans.citations:  # every row's quote is verbatim in its clause
        clause = ingested.retriever.clause(c.clause_id)
        assert clause is not None and c.quote in clause.text
    nantong = rows[0]
    assert nantong["doc_status"] == "draft" and any("征求意见稿" in w for w in ans.warnings)


def test_every_document_for_all_places_including_the_unknown_excerpt(ingested: Services) -> None:
    ans = ingested.assistant.ask("各个文件对职工教育经费用于一线职工的比例写得一样吗")
    rows = ans.comparison or []
    assert {r["doc_id"] for r in rows} == {d.id for d in ingested.retriever.documents()}
    unknown = [r for r in rows if r["place"] == compare.UNKNOWN_PLACE]
    assert unknown and all(r["doc_status"] == "unknown" for r in unknown)


def test_figures_come_from_the_rules_of_the_cited_clause(ingested: Services) -> None:
    ans = ingested.assistant.ask("大连 南通 学徒补贴")
    for row in ans.comparison or []:
        if row["figures"]:
            of_clause = [
                f for r in ingested.rules().rules if r.clause_id == row["clause_id"] for f in compare.rule_figures(r)
            ]
            assert set(row["figures"]) <= set(of_clause)
            clause = ingested.retriever.clause(row["clause_id"])
            assert clause is not None
            for figure in row["figures"]:
                digits = "".join(ch for ch in figure if ch.isdigit())
                assert digits and digits in clause.text.replace(",", "")  # no figure typed by the code


def test_traditional_in_traditional_out_with_the_table(ingested: Services) -> None:
    ans = ingested.assistant.ask("廈門和南通，企業帶畢業年度的學生學徒，各補貼多少？")
    assert ans.comparison and is_traditional(ans.answer) and "| 地區 |" in ans.answer


def _row(services: Services, place: str, predicate) -> compare.Row:
    rule = next(r for r in services.rules().rules if predicate(r))
    doc = services.retriever.document(rule.doc_id)
    return compare.Row(place=place, doc=doc, rules=[rule], covered=True)


def test_ranking_needs_one_figure_of_the_same_kind(ingested: Services) -> None:
    floor = _row(ingested, "甲", lambda r: r.kind == "per_head" and len(r.amounts) == 1 and r.qualifier == "floor")
    several = _row(ingested, "乙", lambda r: len(r.amounts) > 1)
    assert not compare.rank([floor, several]).comparable  # 不止一档
    targets = [r for r in ingested.rules().rules if r.kind == "target" and (r.rate is not None or r.rate_fraction)]
    if len({(r.qualifier, r.unit) for r in targets}) < len(targets):
        a, b = targets[0], next(t for t in targets[1:] if t.qualifier == targets[0].qualifier)
        ra = compare.Row(place="甲", rules=[a], covered=True)
        rb = compare.Row(place="乙", rules=[b], covered=True)
        ranking = compare.rank([ra, rb])
        assert ranking.comparable or ranking.reasons
    missing = compare.Row(place="丙", note="丙的文件未提及")
    assert "丙的文件没有可比的数字" in compare.rank([floor, missing]).reasons


def test_eval_scores_parts_and_ranking() -> None:
    assert _part_ok(PartExpect(key_facts=["4000元"], result=Decimal(96000)), "每月4000元，共96000元")
    assert not _part_ok(PartExpect(key_facts=["4000元"], result=Decimal(96000)), "每月4000元")
    assert _part_ok(PartExpect(covered=False, department="市人社局"), "文件未写明，请咨询市人社局")
    assert not _part_ok(PartExpect(covered=False, department="市人社局"), "请咨询市人社局")
    assert _ranking_ok("not_comparable", "比较：不能直接比较——性质不同")
    assert _ranking_ok("大连", "比较：按文件写的数字，大连高于南通")
    assert not _ranking_ok("大连", "不能直接比较")


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        ("大连那个急需紧缺技能人才的薪酬补贴，每月多少？我要是干满两年，一共能拿多少？", 2),
        ("评上大连工匠能奖多少？多久评一次？这钱还要扣税吗？", 3),
        ("我是被大连作为高端人才新引进过来的，安家费给多少？另外每月那个津贴，一年下来是多少？", 2),
        ("安家费给多少，另外津贴一年多少", 2),  # 另外 after a question starts a part
        ("大连 带徒补贴 标准", 1),
        ("我们还有3个技师能拿多少", 1),  # 还有 before any question word is not a new part
    ],
)
def test_split_parts(question: str, parts: int) -> None:
    from app.answer.parts import split

    assert len(split(question)) == parts


def test_topic_of_the_first_part() -> None:
    from app.answer.parts import topic

    assert topic("大连那个急需紧缺技能人才的薪酬补贴，每月多少") == "大连那个急需紧缺技能人才的薪酬补贴"
    assert topic("评上大连工匠能奖多少") == "评上大连工匠能奖多少"


def test_two_place_names_apart_are_not_a_comparison(ingested: Services) -> None:
    # 安居 (a district elsewhere) inside 安居工程 is not a second place being compared.
    assert not compare.is_comparison(frame_of(ingested, "南通技能人才安居工程人才公寓租金补贴是多少"))
