"""Mapping presets shipped with the package: one YAML file each, named by its stem."""

from __future__ import annotations

from pathlib import Path

import yaml

__all__ = ["PRESETS_DIR", "preset_names", "preset_path", "presets"]

PRESETS_DIR = Path(__file__).parent


def preset_names() -> list[str]:
    return sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))


def preset_path(name: str) -> Path | None:
    """The file of preset `name`, or None when there is no such preset."""
    if not name or "/" in name or "\\" in name or name.endswith((".yaml", ".yml")):
        return None
    path = PRESETS_DIR / f"{name}.yaml"
    return path if path.is_file() else None


def presets() -> dict[str, str]:
    """Preset names with their one-line descriptions."""
    out = {}
    for name in preset_names():
        data = yaml.safe_load((PRESETS_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
        out[name] = str(data.get("description", "")).strip().splitlines()[0]
    return out
