"""Unit tests for app.prompts: prompt files loaded by name, their variables checked."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from app.prompts import PROMPTS_DIR, PromptError, PromptFile, load_prompt, parse_prompt

GOOD = """---
name: demo
description: A demo prompt.
variables: [clauses, question]
---
## system
只依据条款回答。字面花括号：{{literal}}

## human
条款：
{clauses}

问题：{question}
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / f"{name}.md"
    path.write_text(text, encoding="utf-8", newline="")
    return path


# --------------------------------------------------------------------------- the answer prompt


def test_answer_prompt_declares_clauses_calculation_question() -> None:
    prompt = load_prompt("answer")
    assert isinstance(prompt, PromptFile)
    assert prompt.name == "answer"
    assert prompt.description
    assert prompt.variables == ["calculation", "clauses", "question"]
    assert sorted(prompt.template().input_variables) == prompt.variables


def test_answer_prompt_renders_a_system_and_a_human_message() -> None:
    messages = (
        load_prompt("answer")
        .template()
        .format_messages(
            clauses="[1] 《甲》 a/1\n条款原文", calculation='{"result": 17000}', question="企业一共能拿多少"
        )
    )
    assert [type(m) for m in messages] == [SystemMessage, HumanMessage]
    system, human = (str(m.content) for m in messages)
    assert "逐字引用" in system and "征求意见稿" in system and "不能出具证明" in system
    assert "[1] 《甲》 a/1\n条款原文" in human
    assert '{"result": 17000}' in human  # values are not templates: braces pass through
    assert human.endswith("问题：企业一共能拿多少")


def test_load_prompt_is_cached() -> None:
    assert load_prompt("answer") is load_prompt("answer")
    assert (PROMPTS_DIR / "answer.md").is_file()


# --------------------------------------------------------------------------- parse_prompt


def test_parse_prompt_reads_front_matter_and_sections() -> None:
    prompt = parse_prompt(GOOD)
    assert (prompt.name, prompt.description) == ("demo", "A demo prompt.")
    assert prompt.variables == ["clauses", "question"]
    assert prompt.system == "只依据条款回答。字面花括号：{{literal}}"
    assert prompt.human == "条款：\n{clauses}\n\n问题：{question}"
    system, human = prompt.template().format_messages(clauses="C", question="Q")
    assert system.content == "只依据条款回答。字面花括号：{literal}"
    assert human.content == "条款：\nC\n\n问题：Q"


def test_no_front_matter_is_an_error() -> None:
    text = GOOD.split("---\n", 2)[2]
    with pytest.raises(PromptError, match="front matter"):
        parse_prompt(text, "x.md")


@pytest.mark.parametrize("section", ["system", "human"])
def test_a_missing_section_is_an_error(section: str) -> None:
    other = "human" if section == "system" else "system"
    text = f"---\nname: t\nvariables: [question]\n---\n## {other}\n问题：{{question}}\n"
    with pytest.raises(PromptError, match=f"## {section}"):
        parse_prompt(text, "x.md")


def test_an_empty_section_is_an_error() -> None:
    text = "---\nname: t\nvariables: [question]\n---\n## system\n\n## human\n问题：{question}\n"
    with pytest.raises(PromptError, match="## system"):
        parse_prompt(text)


def test_a_placeholder_not_declared_is_an_error() -> None:
    text = GOOD.replace("问题：{question}", "问题：{question}\n城市：{city}")
    with pytest.raises(PromptError, match="do not match") as err:
        parse_prompt(text, "x.md")
    assert "city" in str(err.value)


def test_a_declared_variable_not_used_is_an_error() -> None:
    text = GOOD.replace("variables: [clauses, question]", "variables: [clauses, question, calculation]")
    with pytest.raises(PromptError, match="do not match") as err:
        parse_prompt(text)
    assert "calculation" in str(err.value)


def test_the_error_names_the_source() -> None:
    with pytest.raises(PromptError, match=r"^prompts/x\.md: "):
        parse_prompt("no front matter", "prompts/x.md")


@pytest.mark.parametrize("typo", ["{Question}", '{"result": 17000}', "{question2}"])
def test_a_placeholder_the_template_would_need_is_caught_at_load(typo: str) -> None:
    text = GOOD.replace("只依据条款回答。", f"只依据条款回答。{typo}")
    with pytest.raises(PromptError):
        parse_prompt(text)


# --------------------------------------------------------------------------- load_prompt


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PromptError, match="prompt not found"):
        load_prompt("nope", tmp_path)
    assert issubclass(PromptError, ValueError)


def test_load_prompt_from_a_folder(tmp_path: Path) -> None:
    write(tmp_path, "demo", GOOD)
    assert load_prompt("demo", tmp_path).variables == ["clauses", "question"]


def test_load_prompt_reads_windows_line_endings(tmp_path: Path) -> None:
    write(tmp_path, "crlf", GOOD.replace("\n", "\r\n"))
    prompt = load_prompt("crlf", tmp_path)
    assert prompt.human == "条款：\n{clauses}\n\n问题：{question}"


def test_a_malformed_file_names_its_path(tmp_path: Path) -> None:
    path = write(tmp_path, "bad", GOOD.replace("{question}", "{question}{city}"))
    with pytest.raises(PromptError, match="do not match") as err:
        load_prompt("bad", tmp_path)
    assert str(path) in str(err.value)
