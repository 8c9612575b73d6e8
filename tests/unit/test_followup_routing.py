"""Routing of questions that do not name their provision (a document and questions written for this test).

A question in a conversation that names no place and no provision of its own (每月给导师发1000元，两位导师，
一共补多少) continues the provision of the turn before; a bare level with retrieval's best clause listing it
names that clause's provision; of a table's columns tied at the top, the one column the question names leads.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
import yaml

from app.answer.chain import _column_named
from app.embeddings import FakeEmbeddings
from app.frame.read import read_question
from app.services import Services, build_services
from app.settings import REPO_ROOT, Settings
from app.tools.extracted import rule_from_provision
from app.tools.routing import Route, score
from ingest.manifest import Manifest
from ingest.provisions import extract

TEXT = """松岭县技能人才若干措施

一、导师津贴补助
1. 用人单位为技能导师发放指导津贴的，县财政按单位实际支付额的40%给予补贴，每名导师每月补贴不超过600元。
2. 补贴期限按指导协议约定的期限计算，最长不超过18个月。

二、技能提升补贴
职工取得中级工、高级工、技师职业技能等级证书的，分别给予每人800元、1200元、1600元技能提升补贴。
"""


PAGE = """<html><head><title>柏川市技能补贴速览</title></head><body>
<h1>柏川市技能补贴速览</h1>
<h3>青年技工见习补贴</h3>
<p>适用年限：2025年3月1日至2027年2月28日</p>
<p>补贴标准：按初级工每人每年1800元、中级工每人每年2600元的标准给予见习单位补贴，补贴期限最长不超过2年。</p>
<p>经办机构：市就业服务中心</p>
<h3>技能竞赛奖励</h3>
<p>奖励标准：在市级竞赛中获得第一名的选手，奖励1万元。</p>
</body></html>
"""


@pytest.fixture(scope="module")
def songling(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    root = tmp_path_factory.mktemp("songling")
    (root / "songling.txt").write_text(TEXT, encoding="utf-8")
    (root / "baichuan.html").write_text(PAGE, encoding="utf-8")
    docs = [
        {
            "id": "songling-measures",
            "title": "松岭县技能人才若干措施",
            "city": "松岭县",
            "status": "in_force",
            "source": str(root / "songling.txt"),
        },
        {
            "id": "baichuan-page",
            "title": "柏川市技能补贴速览",
            "city": "柏川",
            "status": "in_force",
            "source": str(root / "baichuan.html"),
        },
    ]
    manifest = root / "manifest.yaml"
    manifest.write_text(yaml.safe_dump({"documents": docs}, allow_unicode=True), encoding="utf-8")
    bundled = [d.id for d in Manifest.load(REPO_ROOT / "corpus" / "manifest.yaml").documents]
    settings = Settings(
        data_dir=root / "data", manifest=manifest, embedding={"backend": "fake"}, curated_rules_exclude=bundled
    )
    services = build_services(settings, embedder=FakeEmbeddings(size=64))
    assert services.ingestor.run(services.manifest()).errors == []
    yield services
    services.close()


def test_a_question_naming_no_place_and_no_provision_continues_the_conversations(songling: Services) -> None:
    first = songling.assistant.ask("松岭县的导师津贴补助是怎么算的？")
    a = songling.assistant.ask(
        "我们每月给导师发1000元，两位导师，协议都签了10个月，一共补多少？", session_id=first.session_id
    )
    assert a.calculation is not None and Decimal(str(a.calculation.get("result"))) == Decimal(8000), a.answer
    assert all(c.doc_id == "songling-measures" for c in a.citations)


def test_without_a_conversation_the_same_question_gets_no_total(songling: Services) -> None:
    a = songling.assistant.ask("我们每月给导师发1000元，两位导师，协议都签了10个月，一共补多少？")
    assert a.calculation is None or a.calculation.get("result") is None, a.answer


def _rule(text: str, k: int = 0):  # type: ignore[no-untyped-def]
    rules = [r for p in extract(text, clause_id="d/二", doc_id="d") if (r := rule_from_provision(p, None))]
    return rules[k]


def test_a_bare_level_names_the_provision_only_when_retrieval_agrees() -> None:
    r = _rule("职工取得中级工、高级工、技师职业技能等级证书的，分别给予每人800元、1200元、1600元技能提升补贴。")
    frame = read_question("我考了个技师，能拿多少？")
    assert "level named" in score(frame, r, {r.clause_id: 0}).reasons
    assert "level named" not in score(frame, r, {r.clause_id: 3}).reasons
    assert "level named" not in score(frame, r, {}).reasons


def test_of_tied_columns_the_one_named_leads_and_two_named_keep_the_order() -> None:
    base = _rule("职工取得中级工、高级工职业技能等级证书的，分别给予每人800元、1200元补贴。")
    plain = base.model_copy(update={"id": "a.plain", "variant": "普通职业（工种）"})
    short = base.model_copy(update={"id": "a.short", "variant": "短缺职业（工种）"})
    routes = [Route(plain, 3.0, []), Route(short, 3.0, [])]
    assert _column_named(routes, "我考的是短缺工种的中级工")[0].rule.id == "a.short"
    assert _column_named(routes, "一个普通工种的中级工，一个短缺工种的高级工")[0].rule.id == "a.plain"
    assert _column_named(routes, "我考的是中级工")[0].rule.id == "a.plain"


def test_a_question_naming_a_key_of_the_provisions_section_is_answered_from_that_line(songling: Services) -> None:
    a = songling.assistant.ask("柏川青年技工见习补贴的适用年限是到2027年吗？")
    assert "2027年2月28日" in a.answer, a.answer
    a = songling.assistant.ask("柏川青年技工见习补贴的经办机构是哪里？")
    assert "市就业服务中心" in a.answer, a.answer
