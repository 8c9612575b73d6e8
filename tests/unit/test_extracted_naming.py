"""What names an extracted rule (texts written for this test, not from the corpus): a quoted title in the
provision names it; an amount in the question alone names no percentage rule (leave-one-document-out found
an award question priced as 12万 × 30% of an unrelated investment credit)."""

from __future__ import annotations

import pytest

from app.frame.read import read_question
from app.tools.extracted import rule_from_provision
from app.tools.routing import Router
from ingest.provisions import extract

TEXT = "每三年评选10名“江城名匠”，每人一次性奖励8万元。企业开办职工学校的投资，按投资额的20%给予补助。"


@pytest.fixture(scope="module")
def rules() -> list:
    provisions = extract(TEXT, clause_id="d/三", doc_id="d")
    return [r for p in provisions if (r := rule_from_provision(p, None)) is not None]


def _routed(question: str, rules: list) -> list[str]:
    return [r.rule.kind for r in Router().candidates(read_question(question), rules, ["d/三"])]


def test_the_quoted_title_is_a_hint_of_its_rule(rules: list) -> None:
    award = next(r for r in rules if r.kind == "one_off")
    assert "江城名匠" in award.hints.keywords
    assert _routed("评上江城名匠奖了8万，这是税前还是税后？", rules)[:1] == ["one_off"]


@pytest.mark.parametrize(
    "question",
    ["去年营业额50万元，能拿多少？", "我们收入300万，按政策能有多少钱", "奖金拿了12万，还要交税吗"],
)
def test_an_amount_alone_names_no_percentage_rule(question: str, rules: list) -> None:
    assert "percentage" not in _routed(question, rules)


@pytest.mark.parametrize(
    "question", ["我们企业开办职工学校投资了200万，补助多少？", "职工学校的投资100万元按20%能补多少"]
)
def test_a_percentage_rule_named_by_its_words_still_routes_with_its_base(question: str, rules: list) -> None:
    assert _routed(question, rules)[:1] == ["percentage"]


@pytest.mark.parametrize(
    "question", ["开办职工学校投了300万元，能给多少？", "企业开办职工学校的投资有80万，可以拿多少"]
)
def test_the_base_with_the_provisions_own_words_names_it(question: str, rules: list) -> None:
    # no benefit word, no keyword: the words of the sentence (开办职工学校) and a base name the rule
    assert _routed(question, rules)[:1] == ["percentage"]
