"""Unit tests for the tool commands of the CLI (rules, calc, check) through typer's CliRunner.

Offline: the fake embedder and a temporary data folder; the tool commands need no ingest.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from app.cli import app
from app.settings import REPO_ROOT
from app.tools.engine import RuleEngine
from app.tools.rules import Catalogue
from ingest.manifest import Manifest

CATALOGUE = Catalogue.load(REPO_ROOT / "corpus" / "rules")
ENGINE = RuleEngine(CATALOGUE, {d.id: d for d in Manifest.load(REPO_ROOT / "corpus" / "manifest.yaml").documents})
APPRENTICE_ARGS = [
    "xiamen.student-apprenticeship",
    "中职=3",
    "高职=2",
    "training_completed=是",
    "internship_assessment_passed=是",
    "formal_contract=是",
    "social_insurance_months=2",
]

runner = CliRunner()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli-tools") / "data"


def invoke(data_dir: Path, *args: str) -> Result:
    env = {"PA_DATA_DIR": str(data_dir), "PA_EMBEDDING__BACKEND": "fake", "PA_CONFIG": None}
    return runner.invoke(app, list(args), env=env)


def assert_clean_exit(result: Result, code: int) -> None:
    """Exit code as expected and no Python traceback or stray exception."""
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


def one_line(text: str) -> str:
    """Rich wraps long error lines on the terminal width; join them back."""
    return " ".join(text.split())


# --------------------------------------------------------------------------- rules


def test_rules_lists_every_rule_with_its_inputs(data_dir: Path) -> None:
    result = invoke(data_dir, "rules")
    assert_clean_exit(result, 0)
    listed = [line.split()[0] for line in result.stdout.splitlines() if line and not line.startswith(" ")]
    assert listed == [r.id for r in CATALOGUE.rules]
    assert "inputs: 中职 高职 training_completed internship_assessment_passed formal_contract" in result.stdout
    assert "clause: xiamen-tasks/创新学徒制培养模式" in result.stdout


def test_rules_city_filter(data_dir: Path) -> None:
    result = invoke(data_dir, "rules", "--city", "大连")
    assert_clean_exit(result, 0)
    listed = [line.split()[0] for line in result.stdout.splitlines() if line and not line.startswith(" ")]
    dalian = [r.id for r in CATALOGUE.rules if r.city == "大连"]
    assert listed == dalian
    assert len(dalian) >= 20
    assert all(rule_id.startswith("dalian.") for rule_id in listed)


def test_rules_json(data_dir: Path) -> None:
    result = invoke(data_dir, "rules", "--json")
    assert_clean_exit(result, 0)
    rules = json.loads(result.stdout)
    assert [r["id"] for r in rules] == [r.id for r in CATALOGUE.rules]
    for entry, rule in zip(rules, CATALOGUE.rules, strict=True):
        assert entry["inputs"] == ENGINE.input_names(rule)
        assert entry["kind"] == rule.kind and entry["quote"] == rule.quote
    apprentice = next(r for r in rules if r["id"] == "xiamen.student-apprenticeship")
    assert [a["value"] for a in apprentice["amounts"]] == ["3000", "4000"]


def test_rules_json_city_filter(data_dir: Path) -> None:
    result = invoke(data_dir, "rules", "--city", "南通", "--json")
    assert_clean_exit(result, 0)
    rules = json.loads(result.stdout)
    assert rules and {r["city"] for r in rules} == {"南通"}
    assert len(rules) == len([r for r in CATALOGUE.rules if r.city == "南通"])


def test_rules_unknown_city_lists_nothing(data_dir: Path) -> None:
    result = invoke(data_dir, "rules", "--city", "北京", "--json")
    assert_clean_exit(result, 0)
    assert json.loads(result.stdout) == []


# --------------------------------------------------------------------------- calc / check


def test_calc_json(data_dir: Path) -> None:
    result = invoke(data_dir, "calc", *APPRENTICE_ARGS, "--json")
    assert_clean_exit(result, 0)
    res = json.loads(result.stdout)
    assert res["result"] == 17000 and isinstance(res["result"], int)
    assert res["formula"] == "3×3000 + 2×4000"
    assert res["status"] == "complete"
    assert res["payee"] == "enterprise"
    assert res["citations"][0]["clause_id"] == "xiamen-tasks/创新学徒制培养模式"
    assert [c["status"] for c in res["conditions"]] == ["met"] * 4


def test_calc_text(data_dir: Path) -> None:
    result = invoke(data_dir, "calc", *APPRENTICE_ARGS)
    assert_clean_exit(result, 0)
    assert "算式: 3×3000 + 2×4000 = 17000 元" in result.stdout
    assert "计算完成" in result.stdout
    assert "领取方: 企业" in result.stdout


def test_calc_with_unknown_conditions_asks(data_dir: Path) -> None:
    result = invoke(data_dir, "calc", "xiamen.student-apprenticeship", "中职=3", "高职=2", "--json")
    assert_clean_exit(result, 0)
    res = json.loads(result.stdout)
    assert res["status"] == "conditional"
    assert res["result"] == 17000
    assert "已按规定缴纳厦门市社会保险费几个月？" in res["questions"]


def test_check_taiwan_underage_is_not_eligible(data_dir: Path) -> None:
    result = invoke(data_dir, "check", "xiamen.taiwan-credential-recognition", "age=17", "--json")
    assert_clean_exit(result, 0)
    res = json.loads(result.stdout)
    assert res["status"] == "not_eligible"
    assert res["result"] is None
    age = next(c for c in res["conditions"] if c["id"] == "age")
    assert age["status"] == "not_met" and age["remedy"] == "年满18周岁"
    text = invoke(data_dir, "check", "xiamen.taiwan-credential-recognition", "age=17")
    assert_clean_exit(text, 0)
    assert "不符合条件" in text.stdout
    assert "✘ 年满18周岁" in text.stdout


def test_check_does_not_calculate(data_dir: Path) -> None:
    result = invoke(data_dir, "check", *APPRENTICE_ARGS, "--json")
    assert_clean_exit(result, 0)
    res = json.loads(result.stdout)
    assert res["status"] == "eligible"
    assert res["result"] is None


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["calc", "xiamen.no-such-rule", "中职=3"], "unknown rule 'xiamen.no-such-rule'"),
        (["check", "no.such-rule"], "unknown rule 'no.such-rule'"),
        (["calc", "xiamen.student-apprenticeship", "中职"], "inputs are key=value pairs"),
        (["calc", "xiamen.student-apprenticeship", "=3"], "inputs are key=value pairs"),
        (["calc", "xiamen.student-apprenticeship", "中职=abc"], "中职: not a number: 'abc'"),
        (["calc", "xiamen.student-apprenticeship", "中职=-1"], "at least 0"),
        (["calc", "xiamen.student-apprenticeship", "foo=1"], "does not take foo"),
        (["calc", "xiamen.competition-skill-level", "category=省级竞赛"], "unknown category"),
    ],
)
def test_errors_exit_1_without_traceback(data_dir: Path, args: list[str], message: str) -> None:
    result = invoke(data_dir, *args)
    assert_clean_exit(result, 1)
    assert result.stdout == ""
    assert "error:" in result.stderr
    assert message in one_line(result.stderr)


def test_unknown_key_error_lists_accepted_inputs(data_dir: Path) -> None:
    result = invoke(data_dir, "calc", "xiamen.student-apprenticeship", "foo=1")
    assert_clean_exit(result, 1)
    assert "it takes: 中职, 高职, training_completed, internship_assessment_passed" in one_line(result.stderr)


@pytest.mark.parametrize(
    "args",
    [
        ["calc", "dalian.industry-education-investment-credit", "base=-100"],
        ["calc", "xiamen.student-apprenticeship", "social_insurance_months=nan"],
    ],
)
def test_bad_numbers_exit_1_without_traceback(data_dir: Path, args: list[str]) -> None:
    result = invoke(data_dir, *args)
    assert_clean_exit(result, 1)
    assert "error:" in result.stderr
