"""Unit tests for app.cli through typer's CliRunner, with the fake embedder and a temporary data folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

from app.cli import app
from app.settings import REPO_ROOT

RESULT_KEYS = {"clause_id", "doc_id", "doc_title", "doc_number", "city", "status", "heading_path", "text", "score"}
DOC_IDS = ["dalian-2023", "nantong-draft", "unknown-zhou-measures", "xiamen-tasks", "xiamen-training-2025"]

runner = CliRunner()


def env_for(data_dir: Path) -> dict[str, str | None]:
    # PA_CONFIG is listed so that the runner restores it: Settings.load() sets it for --config.
    return {"PA_DATA_DIR": str(data_dir), "PA_EMBEDDING__BACKEND": "fake", "PA_CONFIG": None}


def invoke(data_dir: Path, *args: str, input: str | None = None) -> Result:  # noqa: A002 - click's name
    return runner.invoke(app, list(args), env=env_for(data_dir), input=input)


def assert_clean_exit(result: Result, code: int) -> None:
    """Exit code as expected and no Python traceback or stray exception."""
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


@pytest.fixture(scope="module")
def ingested_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with the corpus ingested through the CLI."""
    data = tmp_path_factory.mktemp("cli") / "data"
    result = invoke(data, "ingest")
    assert_clean_exit(result, 0)
    return data


# --------------------------------------------------------------------------- help


@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        (["--help"], ["ingest", "search", "documents", "start", "eval"]),
        (["ingest", "--help"], ["--force", "--json", "--config", "paths"]),
        (["search", "--help"], ["--top", "-k", "--city", "--doc", "--status", "--mode", "--json", "--config"]),
        (["documents", "--help"], ["--json", "--config"]),
        (["start", "--help"], ["--config"]),
        (["eval", "--help"], ["retrieval"]),
    ],
)
def test_help(tmp_path: Path, args: list[str], mentions: list[str]) -> None:
    result = invoke(tmp_path, *args)
    assert_clean_exit(result, 0)
    for word in mentions:
        assert word in result.stdout, word
    assert not (tmp_path / "clauses.sqlite").exists()  # help builds nothing


def test_no_arguments_prints_help(tmp_path: Path) -> None:
    result = invoke(tmp_path)
    assert result.exit_code == 2  # click's "no command" usage exit
    assert "search" in result.stdout + result.stderr


# --------------------------------------------------------------------------- before ingest


def test_search_before_ingest_asks_to_run_ingest(tmp_path: Path) -> None:
    result = invoke(tmp_path / "data", "search", "大连 带徒补贴 标准")
    assert_clean_exit(result, 1)
    assert "policy-assistant ingest" in result.stderr
    assert result.stdout == ""


def test_documents_before_ingest(tmp_path: Path) -> None:
    result = invoke(tmp_path / "data", "documents")
    assert_clean_exit(result, 0)
    assert "No documents indexed yet" in result.stdout
    result = invoke(tmp_path / "data", "documents", "--json")
    assert_clean_exit(result, 0)
    assert json.loads(result.stdout) == []


# --------------------------------------------------------------------------- ingest


def test_ingest_then_reingest_says_up_to_date(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = invoke(data, "ingest")
    assert_clean_exit(first, 0)
    assert "5 added" in first.stdout
    second = invoke(data, "ingest")
    assert_clean_exit(second, 0)
    assert "up to date" in second.stdout
    assert "nothing to do" in second.stdout
    assert "5 documents unchanged" in second.stdout
    third = invoke(data, "ingest", "--json")
    assert_clean_exit(third, 0)
    report = json.loads(third.stdout)
    assert sorted(report["unchanged"]) == DOC_IDS
    assert report["added"] == report["updated"] == report["errors"] == []


def test_ingest_force_json(ingested_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(ingested_dir, data)
    result = invoke(data, "ingest", "--force", "--json")
    assert_clean_exit(result, 0)
    report = json.loads(result.stdout)
    assert sorted(report["updated"]) == DOC_IDS
    assert report["clauses"] == 102


def test_ingest_missing_file_names_it(tmp_path: Path) -> None:
    result = invoke(tmp_path / "data", "ingest", "nonexistent.txt")
    assert_clean_exit(result, 1)
    assert "nonexistent.txt" in result.stderr
    assert "not found" in result.stderr


def test_ingest_reports_bad_files_and_keeps_good_ones(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.txt", tmp_path / "bad.txt"
    good.write_text("一、总则。本办法适用于全市。\n二、补贴。给予2000元补贴。\n", encoding="utf-8")
    bad.write_bytes(b"\x00\x01binary")
    data = tmp_path / "data"
    result = invoke(data, "ingest", str(good), str(bad), "--json")
    assert_clean_exit(result, 1)
    report = json.loads(result.stdout)
    assert report["added"] == ["good"]
    assert [Path(e["file"]).name for e in report["errors"]] == ["bad.txt"]
    docs = json.loads(invoke(data, "documents", "--json").stdout)
    assert [d["id"] for d in docs] == ["good"]


# --------------------------------------------------------------------------- search


def test_search_json(ingested_dir: Path) -> None:
    result = invoke(ingested_dir, "search", "大连 带徒补贴 标准", "--json")
    assert_clean_exit(result, 0)
    results = json.loads(result.stdout)
    assert isinstance(results, list) and len(results) == 5
    assert RESULT_KEYS <= set(results[0])
    assert all(RESULT_KEYS <= set(r) for r in results)
    assert results[0]["city"] == "大连"
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)


def test_search_bm25_json_finds_the_apprentice_subsidy(ingested_dir: Path) -> None:
    result = invoke(ingested_dir, "search", "大连 带徒补贴 标准", "--mode", "bm25", "-k", "2", "--json")
    assert_clean_exit(result, 0)
    results = json.loads(result.stdout)
    assert results[0]["clause_id"] == "dalian-2023/三/（七）"
    assert len(results) == 2
    assert "领办人按照高级技师每人2000元" in results[0]["text"]


@pytest.mark.parametrize(
    ("option", "value", "field", "expected"),
    [
        ("--city", "厦门", "city", "厦门"),
        ("--doc", "nantong-draft", "doc_id", "nantong-draft"),
        ("--status", "draft", "status", "draft"),
        ("--status", "unknown", "doc_id", "unknown-zhou-measures"),
    ],
)
def test_search_filters(ingested_dir: Path, option: str, value: str, field: str, expected: str) -> None:
    result = invoke(ingested_dir, "search", "高技能人才 补贴", option, value, "-k", "4", "--json")
    assert_clean_exit(result, 0)
    results = json.loads(result.stdout)
    assert len(results) == 4
    assert {r[field] for r in results} == {expected}


def test_search_text_output(ingested_dir: Path) -> None:
    result = invoke(ingested_dir, "search", "南通 安居工程", "--doc", "nantong-draft", "-k", "1")
    assert_clean_exit(result, 0)
    assert "1. nantong-draft/" in result.stdout
    assert "【征求意见稿】" in result.stdout


def test_search_with_nothing_matching_the_filter(ingested_dir: Path) -> None:
    result = invoke(ingested_dir, "search", "带徒补贴", "--city", "北京")
    assert_clean_exit(result, 0)
    assert "No matching clause found." in result.stdout
    result = invoke(ingested_dir, "search", "带徒补贴", "--city", "北京", "--json")
    assert json.loads(result.stdout) == []


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["search", ""], 1, "empty"),
        (["search", "   "], 1, "empty"),
        (["search", "带徒补贴", "-k", "0"], 2, "-k"),
        (["search", "带徒补贴", "-k", "101"], 2, "-k"),
        (["search", "带徒补贴", "-k", "abc"], 2, "-k"),
        (["search", "带徒补贴", "--mode", "foo"], 1, "--mode"),
        (["search", "带徒补贴", "--status", "foo"], 1, "--status"),
        (["search", "带徒补贴", "--config", "missing.yaml"], 1, "missing.yaml"),
        (["documents", "--config", "missing.yaml"], 1, "missing.yaml"),
        (["ingest", "--config", "missing.yaml"], 1, "missing.yaml"),
        (["search"], 2, "QUERY"),
        (["frobnicate"], 2, "frobnicate"),
    ],
)
def test_bad_input_gives_a_clear_error(ingested_dir: Path, args: list[str], code: int, message: str) -> None:
    result = invoke(ingested_dir, *args)
    assert_clean_exit(result, code)
    assert message.lower() in result.stderr.lower()
    assert result.stdout == ""


def test_invalid_config_values_are_reported(tmp_path: Path) -> None:
    config = tmp_path / "settings.yaml"
    config.write_text("retrieval:\n  fusion: bogus\n", encoding="utf-8")
    result = invoke(tmp_path / "data", "documents", "--config", str(config))
    assert_clean_exit(result, 1)
    assert "cannot start" in result.stderr
    assert "fusion" in result.stderr


def test_config_file_is_read(tmp_path: Path) -> None:
    # A manifest with a single document, named by a settings file.
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO_ROOT / "corpus", corpus)
    raw = yaml.safe_load((corpus / "manifest.yaml").read_text(encoding="utf-8"))
    raw["documents"] = [d for d in raw["documents"] if d["id"] == "xiamen-tasks"]
    (corpus / "manifest.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    config = tmp_path / "settings.yaml"
    config.write_text(f"manifest: {corpus / 'manifest.yaml'}\n", encoding="utf-8")

    result = invoke(tmp_path / "data", "ingest", "--config", str(config))
    assert_clean_exit(result, 0)
    assert "1 added" in result.stdout
    docs = json.loads(invoke(tmp_path / "data", "documents", "--json").stdout)
    assert [d["id"] for d in docs] == ["xiamen-tasks"]


# --------------------------------------------------------------------------- documents and start


def test_documents_json(ingested_dir: Path) -> None:
    result = invoke(ingested_dir, "documents", "--json")
    assert_clean_exit(result, 0)
    docs = json.loads(result.stdout)
    assert [d["id"] for d in docs] == DOC_IDS
    by_id = {d["id"]: d for d in docs}
    assert by_id["nantong-draft"]["status"] == "draft"
    assert by_id["unknown-zhou-measures"]["status"] == "unknown"
    assert by_id["dalian-2023"]["number"] == "大政办发〔2023〕34号"
    assert {d: by_id[d]["clauses"] for d in DOC_IDS} == {
        "dalian-2023": 24,
        "nantong-draft": 21,
        "unknown-zhou-measures": 19,
        "xiamen-tasks": 17,
        "xiamen-training-2025": 21,
    }


def test_documents_text(ingested_dir: Path) -> None:
    result = invoke(ingested_dir, "documents")
    assert_clean_exit(result, 0)
    lines = [ln for ln in result.stdout.splitlines() if ln.strip()]
    assert [ln.split()[0] for ln in lines] == DOC_IDS
    assert "大政办发〔2023〕34号" in lines[0]
    assert "24 clauses" in lines[0]


def test_documents_text_shows_the_status(ingested_dir: Path) -> None:
    result = invoke(ingested_dir, "documents")
    lines = {ln.split()[0]: ln for ln in result.stdout.splitlines() if ln.strip()}
    assert "draft" in lines["nantong-draft"].replace("征求意见稿", "")
    assert "in_force" in lines["dalian-2023"]
    assert "unknown" in lines["unknown-zhou-measures"]


def test_error_for_a_file_name_with_brackets(tmp_path: Path) -> None:
    result = invoke(tmp_path / "data", "ingest", "notes[/b].txt")
    assert_clean_exit(result, 1)
    assert "notes[/b].txt" in result.stderr


def test_start_answers_then_quits_on_an_empty_line(ingested_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(ingested_dir, data)
    result = invoke(data, "start", input="南通 人才公寓 租金补贴 条件\n\n")
    assert_clean_exit(result, 0)
    assert "up to date" in result.stdout
    assert "[1] nantong-draft/四/（十八）" in result.stdout  # the answer with its citation
    assert "征求意见稿" in result.stdout
