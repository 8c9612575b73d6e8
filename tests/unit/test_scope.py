"""Scope (app.scope): the place a question names decides which documents may answer."""

from __future__ import annotations

from app.frame.read import read_question
from app.scope import applies, scope_for
from ingest.schema import DocumentMeta


def doc(doc_id: str, city: str, **kw: str) -> DocumentMeta:
    return DocumentMeta(id=doc_id, title=doc_id, city=city, source=f"{doc_id}.txt", **kw)  # type: ignore[arg-type]


DOCS = [
    doc("dalian", "大连"),
    doc("xiamen", "厦门"),
    doc("ningbo", "宁波"),
    doc("yinzhou", "鄞州区", parent_city="宁波"),
    doc("zhejiang", "浙江"),
    doc("unknown", "未知"),
]


def ids(question: str, **kw: str) -> list[str]:
    return scope_for(read_question(question), DOCS, **kw).doc_ids


def test_a_city_gets_its_own_documents_its_districts_and_its_province() -> None:
    assert set(ids("宁波学徒补贴多少")) == {"ningbo", "yinzhou", "zhejiang"}


def test_a_district_gets_its_own_its_citys_and_its_provinces() -> None:
    assert set(ids("鄞州区学徒补贴多少")) == {"ningbo", "yinzhou", "zhejiang"}
    assert set(ids("海曙区学徒补贴多少")) == {"ningbo", "zhejiang"}  # another district of 宁波


def test_a_province_gets_all_its_places() -> None:
    assert set(ids("浙江的技能补贴")) == {"ningbo", "yinzhou", "zhejiang"}


def test_no_other_place_answers() -> None:
    assert ids("大连带徒补贴标准") == ["dalian"]
    assert "dalian" not in ids("厦门学徒补贴")


def test_a_place_with_no_document_is_reported_with_the_covered_places() -> None:
    s = scope_for(read_question("成都的技能补贴有哪些"), DOCS)
    assert s.restricted and s.doc_ids == [] and s.uncovered == ["成都"]
    assert "大连" in s.covered and "未知" not in s.covered


def test_without_a_place_every_document_may_answer() -> None:
    s = scope_for(read_question("学徒补贴标准是多少"), DOCS)
    assert not s.restricted and set(s.doc_ids) == {d.id for d in DOCS}


def test_a_document_of_unknown_place_never_answers_for_a_named_one() -> None:
    assert not applies(doc("u", "未知"), "大连")


def test_the_city_option_overrides_the_words() -> None:
    assert ids("学徒补贴标准", city="厦门") == ["xiamen"]


def test_place_aliases_come_from_the_manifest_and_a_shared_alias_names_none() -> None:
    from app.scope import place_aliases
    from ingest.schema import DocumentMeta

    def doc(i: str, city: str, aliases: list[str]) -> DocumentMeta:
        return DocumentMeta(id=i, title=i, city=city, source=f"{i}.txt", place_aliases=aliases)

    assert place_aliases([doc("a", "苏州工业园区", ["园区"]), doc("b", "大连", [])]) == {"园区": "苏州工业园区"}
    assert place_aliases([doc("a", "苏州工业园区", ["园区"]), doc("b", "天津经开区", ["园区"])]) == {}


def test_a_document_named_by_its_title_answers_alone() -> None:
    docs = [
        DocumentMeta(id="a", title="某市促进技能人才发展二十条措施", city="", source="a.txt"),  # type: ignore[arg-type]
        DocumentMeta(id="b", title="某市“匠心筑梦”培训行动方案", city="某市", source="b.txt"),  # type: ignore[arg-type]
        DocumentMeta(id="c", title="某县“匠心筑梦”实施细则", city="某县", source="c.txt"),  # type: ignore[arg-type]
        DocumentMeta(id="d", title="某区技能人才实施方案", city="某区", source="d.txt"),  # type: ignore[arg-type]
    ]
    s = scope_for(read_question("按二十条措施，培训补贴能拿多少"), docs)
    assert s.restricted and s.doc_ids == ["a"]
    # A name two titles share names neither; no name: every document.
    assert not scope_for(read_question("匠心筑梦行动的补贴标准"), docs).restricted
    assert scope_for(read_question("实施方案里的补贴标准"), docs).doc_ids == ["a", "b", "c", "d"]
