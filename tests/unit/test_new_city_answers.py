"""Answers over a document of a new city with no curated rule: what extraction alone must get right.

The document (``tests/fixtures/newcity``) is invented for these tests. Each test is one class of
mechanism found on the cities fixture: a level the provision does not list is refused with what it does
list, also when the question does not name the benefit and when a later part asks the amount.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from app.embeddings import FakeEmbeddings
from app.services import Services, build_services
from app.settings import REPO_ROOT, Settings
from ingest.manifest import Manifest

TEXTS = Path(__file__).parent.parent / "fixtures" / "newcity"
DOCS = [
    {
        "id": "qinghe-skills",
        "title": "青禾市技能人才补贴办法",
        "issuer": "青禾市人力资源和社会保障局",
        "city": "青禾",
        "status": "in_force",
        "source": str(TEXTS / "qinghe-skills.txt"),
    },
]


@pytest.fixture(scope="module")
def newcity(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    root = tmp_path_factory.mktemp("newcity")
    manifest = root / "manifest.yaml"
    manifest.write_text(yaml.safe_dump({"documents": DOCS}, allow_unicode=True), encoding="utf-8")
    bundled = [d.id for d in Manifest.load(REPO_ROOT / "corpus" / "manifest.yaml").documents]
    settings = Settings(
        data_dir=root / "data", manifest=manifest, embedding={"backend": "fake"}, curated_rules_exclude=bundled
    )
    services = build_services(settings, embedder=FakeEmbeddings(size=64))
    assert services.ingestor.run(services.manifest()).errors == []
    yield services
    services.close()


@pytest.mark.parametrize(
    ("question", "asked", "listed"),
    [
        ("青禾市学徒培训补贴，初级工每人每年补多少？", "初级工", "中级工"),
        # The benefit not named: the best clause's provision decides.
        ("在青禾考了初级工，学徒制能补多少钱？", "初级工", "中级工"),
        # A prize tier below those listed.
        ("青禾市级职业技能竞赛拿了个优秀奖，奖金多少？", "优秀奖", "一等奖"),
    ],
)
def test_a_level_not_listed_is_refused_with_what_is_listed(
    newcity: Services, question: str, asked: str, listed: str
) -> None:
    a = newcity.assistant.ask(question)
    assert a.refused, a.answer
    assert f"没有写{asked}的标准" in a.answer and listed in a.answer
    assert a.calculation is None or a.calculation.get("result") is None


def test_a_later_part_asking_the_amount_keeps_the_refusal(newcity: Services) -> None:
    a = newcity.assistant.ask("青禾的安居补贴，中级工可以申请吗？每个月多少？")
    assert a.refused, a.answer
    assert "没有写中级工的标准" in a.answer


def test_a_listed_level_is_answered(newcity: Services) -> None:
    a = newcity.assistant.ask("青禾市学徒培训补贴，高级工每人每年补多少？")
    assert not a.refused, a.answer
    assert "5000" in a.answer


def test_a_date_is_quoted_as_the_text_writes_it_and_the_start_from_its_sentence(newcity: Services) -> None:
    """The manifest gives no date: found in the signature (2024-03-05), quoted as written there; the
    date it takes effect from the sentence that states it — not from another sentence with 之日起."""
    a = newcity.assistant.ask("青禾市技能人才补贴办法是哪天印发的？从什么时候开始施行？")
    assert not a.refused, a.answer
    assert "2024年3月5日" in a.answer and "2024年4月1日" in a.answer
    assert "10个工作日" not in a.answer
    assert all(c.doc_id == "qinghe-skills" for c in a.citations)
