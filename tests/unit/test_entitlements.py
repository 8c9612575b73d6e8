""" "What can we get?": the profile, matching over every provision in scope, the summary, the edges.

Generated profiles (``evaluation.profiles_generated``) are built from the
provisions of the bundled corpus and of the fixture cities to meet chosen
conditions; an oracle written from the rule data says what must be met and
what it comes to. Hand-written cases pin the behaviours the generator does not
vary: who can receive what, places without documents, the conversation, the
API, the CLI and the form.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.answer.entitlements_text import answer_text
from app.cli import app as cli_app
from app.embeddings import FakeEmbeddings
from app.frame.read import read_question
from app.server.app import create_app
from app.server.ui_entitlements import form_from_profile, profile_from_form
from app.services import Services, build_services
from app.settings import REPO_ROOT, Settings
from app.tools.engine import RuleEngine
from app.tools.entitlements import Entitlements, applies_to_entity, enumeration_by_level
from app.tools.profile import People, Profile, ProfileFact, Unit, negative_concepts, profile_from_frame, to_frame
from app.tools.rules import Condition
from evaluation.profiles_generated import generate, run_generated
from ingest.textproc import is_traditional

DALIAN_ENTERPRISE = Profile(
    place="大连",
    entity="enterprise",
    people=[
        People(count=3, level="技师", facts=[ProfileFact(concept="新取得")]),
        People(count=2, level="技师", label="团队成员", part_of=0, facts=[ProfileFact(concept="团队成员")]),
        People(count=10, label="学徒", titles=["新型学徒制"], facts=[ProfileFact(concept="培训")]),
    ],
    units=[Unit(kind="技能大师工作室", level="市级", new=True)],
)


def _match(services: Services, profile: Profile) -> Entitlements:
    return services.entitlements(profile)


@pytest.fixture(scope="module")
def cities(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """The seven fixture-city documents (provisions extracted at ingest, nothing curated for them)."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("cities") / "data",
        manifest=REPO_ROOT / "eval" / "fixtures" / "cities" / "manifest.yaml",
        embedding={"backend": "fake"},
    )
    services = build_services(settings, embedder=FakeEmbeddings(size=64))
    report = services.ingestor.run(services.manifest())
    assert report.errors == []
    yield services
    services.close()


# --------------------------------------------------------------------------- generated profiles


@pytest.mark.parametrize("corpus", ["ingested", "cities"])
def test_generated_profiles_match_exactly_the_provisions_built_for(corpus: str, request: pytest.FixtureRequest) -> None:
    services: Services = request.getfixturevalue(corpus)
    docs = {d.id: d for d in services.retriever.documents()}
    rules = services.entitlement_rules()  # the rules in force and the benefits stated without a figure
    result = run_generated(rules.rules, RuleEngine(rules, docs), docs, seed=11, per_place=40)
    s = result.summary()
    assert s["profiles"] >= 100 and s["provisions met (oracle)"] >= 200 and s["flipped profiles"] >= 40, s
    assert s["precision"] == 1.0 and s["recall"] == 1.0, result.failures()
    assert s["wrong amounts"] == 0, result.failures()
    assert s["totals mixing one-off and recurring"] == 0, result.failures()
    assert s["flipped condition moved to not met"] == 1.0, result.failures()


def test_the_generator_covers_what_it_claims(ingested: Services) -> None:
    """Not vacuous: recurring amounts, units, thresholds, negatively worded conditions and answers all occur."""
    docs = {d.id: d for d in ingested.retriever.documents()}
    rules = {r.id: r for r in ingested.rules().rules}
    cases = generate(list(rules.values()), docs, seed=11, per_place=40)
    targets = [rules[t] for c in cases for t in c.targets]
    assert any(r.recurrence == "month" for r in targets) and any(r.recurrence == "year" for r in targets)
    assert any(c.profile.units for c in cases)
    assert any(f.value is not None for c in cases for p in c.profile.people for f in p.facts)
    assert any(
        f.holds is False for c in cases for f in [*c.profile.facts, *(x for p in c.profile.people for x in p.facts)]
    )
    assert any(c.profile.answers for c in cases)
    assert any(c.profile.months for c in cases)
    assert {c.place for c in cases} >= {"大连", "厦门", "南通"}


# --------------------------------------------------------------------------- matching by hand


def test_each_provision_is_judged_on_its_own_and_totals_stay_apart(ingested: Services) -> None:
    result = _match(ingested, DALIAN_ENTERPRISE)
    by_id = {e.rule_id: e for e in result.entries}
    # The same technicians are in the training subsidy and (the two team members) in the leader's subsidy.
    assert by_id["dalian.technician-training-subsidy"].amount == Decimal(10500)
    leader = by_id["dalian.studio-apprentice-subsidy"]
    assert leader.status == "met" and leader.amount == Decimal(2000) and leader.amount_if_met == Decimal(3000)
    assert by_id["dalian.master-studio-construction-subsidy"].amount == Decimal(100000)
    apprentices = by_id["dalian.new-apprenticeship-subsidy"]
    assert apprentices.recurring and apprentices.per == "年" and apprentices.amount == Decimal(50000)
    s = result.summary
    assert s.certain_one_off == Decimal(112500)  # 10500 + 100000 + 2000; the yearly 50000 is apart
    assert [r.amount for r in s.certain_recurring] == [Decimal(50000)]
    assert "cap" in s.certain_one_off_qualifiers
    assert [e.status for e in result.entries] == sorted(
        (e.status for e in result.entries), key=["met", "unknown"].index
    )
    for e in result.entries:
        clause = ingested.store.clause(e.clause_id)
        assert clause is not None and e.quote in clause.text


def test_a_condition_not_met_excludes_the_people_and_says_why(ingested: Services) -> None:
    profile = Profile(
        place="厦门",
        entity="enterprise",
        people=[
            People(count=5, level="中职", facts=[ProfileFact(concept="社保", value=Decimal(2), place="厦门")]),
            People(count=2, level="高职", facts=[ProfileFact(concept="社保", holds=False, value=Decimal(0))]),
        ],
        facts=[ProfileFact(concept="培训"), ProfileFact(concept="考核"), ProfileFact(concept="合同")],
    )
    entry = next(e for e in _match(ingested, profile).entries if e.rule_id == "xiamen.student-apprenticeship")
    assert entry.status == "met" and entry.amount == Decimal(15000)
    assert entry.excluded and entry.excluded[0]["count"] == 2 and "社会保险" in entry.excluded[0]["reason"]


def test_unknown_conditions_give_the_amount_if_met_and_the_question(ingested: Services) -> None:
    profile = Profile(
        place="厦门", entity="enterprise", people=[People(count=4, level="高职")], social_insurance_months=Decimal(1)
    )
    entry = next(e for e in _match(ingested, profile).entries if e.rule_id == "xiamen.student-apprenticeship")
    assert entry.status == "unknown" and entry.amount is None and entry.amount_if_met == Decimal(16000)
    assert any("实习考核" in q for q in entry.questions)
    assert _match(ingested, profile).summary.certain_one_off is None


def test_what_an_entity_cannot_receive_is_not_listed(ingested: Services) -> None:
    person = Profile(
        place="大连", entity="individual", people=[People(count=1, label="本人", level="技师", is_self=True)]
    )
    ids = {e.rule_id for e in _match(ingested, person).entries}
    rules = {r.id: r for r in ingested.rules().rules}
    assert all(rules[i].payee not in ("enterprise", "employer", "institution") for i in ids)
    assert not applies_to_entity(rules["dalian.new-apprenticeship-subsidy"], "individual")
    assert applies_to_entity(rules["dalian.principal-technician-work-grant"], "enterprise")  # for its people


def test_a_place_without_documents_lists_nothing(ingested: Services) -> None:
    result = _match(ingested, DALIAN_ENTERPRISE.model_copy(update={"place": "沈阳"}))
    assert result.entries == [] and result.uncovered == ["沈阳"]
    text = answer_text(result, ingested.clause_result)
    assert "没有沈阳的文件" in text


def test_drafts_are_flagged(ingested: Services) -> None:
    profile = Profile(
        place="南通",
        entity="individual",
        people=[People(count=1, label="本人", level="高级工", titles=["毕业生"], is_self=True)],
        housing="none",
        facts=[ProfileFact(concept="养老保险"), ProfileFact(concept="毕业")],
    )
    result = _match(ingested, profile)
    apartment = next(e for e in result.entries if e.rule_id == "nantong.talent-apartment")
    assert apartment.status == "met" and apartment.draft  # 无住房: met by having no home in the city
    assert any("征求意见稿" in w for w in result.warnings)
    owner = _match(ingested, profile.model_copy(update={"housing": "owns"}))
    assert "nantong.talent-apartment" in {e.rule_id for e in owner.not_met}


def test_negative_wording_and_levels_in_options() -> None:
    no_home = Condition(id="h", label="在我市无住房", type="boolean", quote="在我市无住房", question="?")
    assert negative_concepts([no_home]) == {"住房"}
    level = Condition(
        id="l", label="高级工以上", type="enumeration", quote="x", question="?", options=["高级工", "技师", "高级技师"]
    )
    assert enumeration_by_level(level, "技师") == "met"
    assert enumeration_by_level(level, "中级工") == "not_met"
    assert enumeration_by_level(level, "学徒") is None


def test_profile_from_a_question_and_back_into_a_frame() -> None:
    frame = read_question("我们是大连一家制造企业，今年有3个员工新取得技师证，社保交了2个月。能享受哪些补贴？")
    profile = profile_from_frame(frame)
    assert profile.entity == "enterprise" and profile.social_insurance_months == Decimal(2)
    assert [p.count for p in profile.people] == [3]
    back = to_frame(profile, doc_city="大连")
    assert [g.count for g in back.groups] == [3]
    assert any(f.concept == "社保" and f.value == Decimal(2) for f in back.facts)
    assert all(back.text[g.span.start : g.span.end].startswith(str(g.count)) for g in back.groups)


def test_the_applicant_place_is_where_they_work() -> None:
    frame = read_question(
        "我在沈阳一家企业上班，今年新取得了技师职业等级。听说大连新取得技师有补贴，我能领吗？有什么政策？"
    )
    assert profile_from_frame(frame).place == "沈阳"


# --------------------------------------------------------------------------- the conversation


def test_the_conversation_answers_with_the_list_and_follow_ups_fill_it(ingested: Services) -> None:
    sid = uuid.uuid4().hex
    first = ingested.assistant.ask(
        "厦门湖里的一家企业，带了4个高职的毕业年度学生当学徒，签了正式劳动合同，社保交了1个月。能有什么补贴？",
        session_id=sid,
    )
    assert first.entitlements is not None
    entry = next(e for e in first.entitlements["entries"] if e["rule_id"] == "xiamen.student-apprenticeship")
    assert entry["status"] == "unknown" and entry["amount_if_met"] == 16000
    assert "16000" in first.answer and any("实习考核" in q for q in first.follow_up_questions)
    for c in first.citations:
        clause = ingested.store.clause(c.clause_id)
        assert clause is not None and c.quote in clause.text
    second = ingested.assistant.ask("培训已经完成了，实习考核也通过了", session_id=sid)
    assert second.entitlements is not None
    entry = next(e for e in second.entitlements["entries"] if e["rule_id"] == "xiamen.student-apprenticeship")
    assert entry["status"] == "met" and entry["amount"] == 16000
    assert second.entitlements["summary"]["certain_one_off"] == 16000


def test_traditional_in_traditional_out(ingested: Services) -> None:
    ans = ingested.assistant.ask(
        "我是在廈門工作的台灣青年，今年26歲，有台灣的乙級美容技術士證。請問我有什麼政策可以用？"
    )
    assert ans.entitlements is not None and ans.entitlements["entries"]
    own = ans.answer
    for c in ans.citations:
        own = own.replace(c.quote, "")
    assert is_traditional(own)
    assert all(c.quote in ans.answer for c in ans.citations)


# --------------------------------------------------------------------------- the edges


def test_api_entitlements_and_csv(ingested: Services) -> None:
    client = TestClient(create_app(ingested.settings.model_copy(update={}), services=ingested))
    body = DALIAN_ENTERPRISE.model_dump(mode="json")
    r = client.post("/api/entitlements", json=body)
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["summary"]["certain_one_off"] == 112500 and "112500" in data["answer"]
    assert {e["rule_id"] for e in data["entries"]} >= {
        "dalian.technician-training-subsidy",
        "dalian.new-apprenticeship-subsidy",
    }
    csv = client.post("/api/entitlements/csv", json=body)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.lstrip("\ufeff").splitlines()[0].startswith("状态,政策,金额")
    bad = client.post("/api/entitlements", json={"entity": "robot"})
    assert bad.status_code == 422 and "message" in bad.json()


def test_cli_entitlements(ingested: Services, tmp_path: Path) -> None:
    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump(DALIAN_ENTERPRISE.model_dump(mode="json"), allow_unicode=True), encoding="utf-8")
    env = {"PA_DATA_DIR": str(ingested.settings.data_dir), "PA_EMBEDDING__BACKEND": "fake", "PA_CONFIG": None}
    runner = CliRunner()
    out = runner.invoke(
        cli_app, ["entitlements", "--profile", str(path), "--json", "--csv", str(tmp_path / "out.csv")], env=env
    )
    assert out.exit_code == 0, out.stdout + out.stderr
    data = json.loads(out.stdout)
    assert data["summary"]["certain_one_off"] == 112500
    assert (tmp_path / "out.csv").read_text(encoding="utf-8").count("\n") == len(data["entries"]) + len(
        data["not_met"]
    ) + 1
    text = runner.invoke(cli_app, ["entitlements", "--profile", str(path)], env=env)
    assert text.exit_code == 0 and "已确定的一次性金额合计 112500 元" in text.stdout
    missing = runner.invoke(cli_app, ["entitlements", "--profile", str(tmp_path / "nope.yaml")], env=env)
    assert missing.exit_code == 1 and "Traceback" not in missing.stdout + missing.stderr


def test_the_form_round_trip(ingested: Services) -> None:
    fields = form_from_profile(DALIAN_ENTERPRISE)
    back = profile_from_form(*fields)
    assert back.place == "大连" and back.entity == "enterprise"
    assert [p.count for p in back.people] == [3, 2, 10] and back.people[1].part_of == 0
    assert back.units[0].level == "市级" and back.units[0].new is True
    assert _match(ingested, back).summary.certain_one_off == Decimal(112500)
    typed = profile_from_form(
        "厦门",
        "企业",
        [[4, "学徒", "高职", "", "培训完成了，实习考核通过了，签了劳动合同", None]],
        None,
        2,
        "未说明",
        "未说明",
        "",
        None,
        None,
        None,
        "",
    )
    entry = next(e for e in _match(ingested, typed).entries if e.rule_id == "xiamen.student-apprenticeship")
    assert entry.status == "met" and entry.amount == Decimal(16000)


def test_a_condition_said_in_its_own_words(ingested: Services) -> None:
    rules = {r.id: r for r in ingested.rules().rules}
    apprentices = rules["dalian.new-apprenticeship-subsidy"]
    cond = apprentices.conditions[0]  # 企业开展新型学徒制培训
    from app.tools.entitlements import echoed

    assert echoed(cond, apprentices, "10个员工在走新型学徒制") == "met"
    assert echoed(cond, apprentices, "六个徒弟，没搞新型学徒制") == "not_met"
    assert echoed(cond, apprentices, "要不要搞新型学徒制") is None
    technicians = rules["dalian.technician-training-subsidy"]
    # Its level words are who they are, not what it asks: 技师职业等级 does not say 新取得.
    assert echoed(technicians.conditions[0], technicians, "我有技师职业等级证书") is None
    hukou = rules["dalian.skilled-talent-hukou"]
    assert echoed(hukou.conditions[0], hukou, "本地培养的技能人才") is None  # 技能人才 is not 高技能人才


def test_who_asks() -> None:
    school = profile_from_frame(
        read_question("我在一所公办高职院校管财务，学校今年社会培训收入一百二十万，还有别的政策吗？")
    )
    assert school.entity == "institution"
    person = profile_from_frame(read_question("在大连被聘为特级技师，能享受什么待遇？"))
    assert person.entity == "individual" and person.people[0].is_self and "特级技师" in person.people[0].words()
    company = profile_from_frame(read_question("厦门湖里的一家企业，带了4个高职学徒，能有什么补贴？"))
    assert company.entity == "enterprise" and [p.count for p in company.people] == [4]


def test_benefits_without_a_figure_are_in_scope_and_never_priced(cities: Services) -> None:
    """The fixture cities state benefits without a figure (nothing curated for them): each is a provision
    of 能享受哪些, in the generated profiles too, and is never given an amount."""
    docs = {d.id: d for d in cities.retriever.documents()}
    catalogue = cities.entitlement_rules()
    figureless = [r for r in catalogue.rules if r.figureless]
    assert figureless and all(not r.reviewed and not r.amounts and r.conditions for r in figureless)
    assert not any(r.figureless for r in cities.rules().rules)  # the answers' rules are as before
    cases = generate(catalogue.rules, docs, seed=11, per_place=40)
    ids = {r.id for r in figureless}
    assert any(t in ids for c in cases for t in c.targets)
    for case in cases:
        for e in cities.entitlements(case.profile).entries:
            if e.figureless:
                assert e.amount is None and e.amount_if_met is None and e.amount_text() == "金额文件未写明"
