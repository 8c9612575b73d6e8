"""Evaluation runners: golden sets in eval/golden/, reports in eval/reports/."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

T = TypeVar("T", bound=BaseModel)


def load_golden_set(path: Path, model: type[T]) -> list[T]:
    """A YAML list of items, each validated; errors name the file and the item."""
    if not path.is_file():
        raise FileNotFoundError(f"golden set not found: {path}")
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, list):
        raise ValueError(f"{path}: expected a YAML list")
    items = []
    for i, item in enumerate(raw, 1):
        try:
            items.append(model.model_validate(item))
        except ValidationError as exc:
            raise ValueError(f"{path}: item {i} is invalid: {exc}") from exc
    return items
