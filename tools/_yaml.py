"""YAML for files people write: booleans are only true/false, so `group_by: no` or a status label `on` stays a
string (YAML 1.1 would read yes/no/on/off as booleans, the "Norway problem")."""

from __future__ import annotations

import re
from typing import Any

import yaml


class _Loader(yaml.SafeLoader):
    pass


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_yaml(text: str) -> Any:
    """Parse YAML text; raises yaml.YAMLError as PyYAML does."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader subclass)
