"""Prompts are files in ``prompts/``, loaded by name, their variables checked.

A prompt file has YAML front matter (``name``, ``description``,
``variables``) and ``## system`` / ``## human`` sections. Loading fails with
a clear error when a section is missing or the placeholders in the text do
not match the declared variables, so a typo cannot reach a model.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml
from langchain_core.prompts import ChatPromptTemplate
from pydantic import BaseModel

from app.settings import REPO_ROOT

PROMPTS_DIR = REPO_ROOT / "prompts"
_PLACEHOLDER = re.compile(r"(?<!\{)\{([^{}]*)\}(?!\})")  # any single-braced field; {{ }} is a literal brace


class PromptError(ValueError):
    """A prompt file is missing or malformed."""


class PromptFile(BaseModel):
    name: str
    description: str = ""
    variables: list[str]
    system: str
    human: str

    def template(self) -> ChatPromptTemplate:
        return ChatPromptTemplate.from_messages([("system", self.system), ("human", self.human)])


def parse_prompt(text: str, source: str = "<prompt>") -> PromptFile:
    m = re.match(r"^---\n(.*?)\n---\n(.*)$", text, re.S)
    if not m:
        raise PromptError(f"{source}: missing YAML front matter")
    meta = yaml.safe_load(m.group(1)) or {}
    sections = dict(re.findall(r"^## (system|human)\n(.*?)(?=^## |\Z)", m.group(2), re.S | re.M))
    for part in ("system", "human"):
        if not sections.get(part, "").strip():
            raise PromptError(f"{source}: missing '## {part}' section")
    found = set(_PLACEHOLDER.findall(sections["system"] + sections["human"]))
    bad = sorted(f for f in found if not re.fullmatch(r"[a-z_][a-z0-9_]*", f))
    if bad:
        raise PromptError(
            f"{source}: invalid placeholders {bad}: use lower-case names, and {{{{ }}}} for literal braces"
        )
    declared = set(meta.get("variables", []))
    if found != declared:
        raise PromptError(f"{source}: placeholders {sorted(found)} do not match declared variables {sorted(declared)}")
    return PromptFile(
        name=meta.get("name", ""),
        description=meta.get("description", ""),
        variables=sorted(declared),
        system=sections["system"].strip(),
        human=sections["human"].strip(),
    )


@lru_cache(maxsize=16)
def load_prompt(name: str, directory: Path = PROMPTS_DIR) -> PromptFile:
    path = directory / f"{name}.md"
    if not path.is_file():
        raise PromptError(f"prompt not found: {path}")
    return parse_prompt(path.read_text(encoding="utf-8"), str(path))
