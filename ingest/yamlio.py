"""YAML read with libyaml's C loader when it is installed (the rule catalogue and the vocabularies load
at start-up; the pure-Python loader is several times slower), the safe Python loader otherwise."""

from __future__ import annotations

from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """``yaml.safe_load`` with the C loader: the same types, safe tags only."""
    return yaml.load(text, Loader=_LOADER)
