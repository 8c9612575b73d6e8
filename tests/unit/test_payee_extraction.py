"""Who is paid, as extraction reads it: what a sum for a person leaves out (app/tools/basket.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.embeddings import FakeEmbeddings
from app.services import Services, build_services
from app.settings import Settings

# A document of our own: a title for the person, with a monthly allowance, and a reward to the employer.
TEXT = """关于评选“海港能工巧匠”的通知

一、对评选为“海港能工巧匠”的，给予每人一次性奖励3万元。入选者在2年管理期内，每人每月享受津贴500元。

二、入选者所在企业，按每培养1名“海港能工巧匠”给予一次性培养奖励1万元。
"""


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    root: Path = tmp_path_factory.mktemp("basket")
    (root / "texts").mkdir()
    (root / "texts" / "haigang.txt").write_text(TEXT, encoding="utf-8")
    (root / "manifest.yaml").write_text(
        "documents:\n  - id: haigang-2024\n    title: 关于评选“海港能工巧匠”的通知\n    city: 海港\n"
        "    status: in_force\n    source: texts/haigang.txt\n",
        encoding="utf-8",
    )
    settings = Settings(data_dir=root / "data", manifest=root / "manifest.yaml", embedding={"backend": "fake"})
    svc = build_services(settings, embedder=FakeEmbeddings(size=32))
    assert svc.ingestor.run(svc.manifest()).errors == []
    yield svc
    svc.close()


def test_the_employers_reward_is_extracted_with_its_payee(services: Services) -> None:
    rules = [r for r in services.rules().rules if r.doc_id == "haigang-2024"]
    reward = [r for r in rules if "培养奖励" in r.quote]
    assert reward and reward[0].payee == "enterprise" and reward[0].payee_text == "入选者所在企业"
    # The person's own reward names no payee of its own; it is not taken for the employer's.
    own = [r for r in rules if "3万元" in r.quote]
    assert own and own[0].payee != "enterprise"
