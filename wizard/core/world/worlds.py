"""Loading worlds: shipped ones by name (`resources/worlds/<name>.json`) or a trainer's file by path."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from wizard.core.world.files import (
    MAX_EXTENDS_DEPTH,
    WorldFileError,
    deep_merge,
    describe_validation_error,
    find_named_file,
    list_names,
    read_json_object,
)
from wizard.core.world.model import World

__all__ = ["DEFAULT_WORLD", "NamedWorld", "load_world", "resolve_world_data", "world_from_data", "world_names"]

DEFAULT_WORLD = "entra-joined"


@dataclass(frozen=True)
class NamedWorld:
    name: str  # the file stem ("offline") or the lab's name for a lab's own world
    world: World
    path: Path | None = None

    @property
    def title(self) -> str:
        return self.world.title

    @property
    def description(self) -> str:
        return self.world.description


def world_names() -> list[str]:
    """Shipped worlds (= the `--demo` presets), `entra-joined` first, then alphabetical."""
    names = list_names("worlds")
    return sorted(names, key=lambda n: (n != DEFAULT_WORLD, n))


def resolve_world_data(data: dict[str, Any], where: Path | str, *, _depth: int = 0) -> dict[str, Any]:
    """Follow `"extends": "<world>"` (shipped name or path relative to the file) and merge."""
    base_name = data.get("extends")
    if base_name is None:
        return data
    if not isinstance(base_name, str) or not base_name:
        raise WorldFileError(where, "must name a world (a shipped name or a .json path)", field="extends")
    if _depth >= MAX_EXTENDS_DEPTH:
        raise WorldFileError(where, f"more than {MAX_EXTENDS_DEPTH} levels of extends (a loop?)", field="extends")
    base_path = relative_to_file(base_name, where)
    try:
        path = find_named_file("worlds", base_path)
    except WorldFileError as exc:
        raise WorldFileError(where, exc.problem, field="extends") from None
    base = resolve_world_data(read_json_object(path), path, _depth=_depth + 1)
    changes = {k: v for k, v in data.items() if k != "extends"}
    return deep_merge(base, changes)


def relative_to_file(name: str, where: Path | str) -> str:
    """A world named in a file: a relative `.json` path is relative to that file's folder; a shipped name stays."""
    if name.lower().endswith(".json") and isinstance(where, Path) and not Path(name).is_absolute():
        return str(where.parent / name)
    return name


def world_from_data(data: dict[str, Any], where: Path | str, *, field_prefix: str = "") -> World:
    resolved = resolve_world_data(data, where)
    try:
        return World.model_validate(resolved)
    except ValidationError as exc:
        raise describe_validation_error(where, exc, prefix=field_prefix) from None


@functools.lru_cache(maxsize=64)
def _load_cached(path: Path, mtime_ns: int) -> World:
    return world_from_data(read_json_object(path), path)


def load_world(name_or_path: str | Path = DEFAULT_WORLD) -> NamedWorld:
    """A shipped world by name or a world file by path. Raises WorldFileError (names file, field, reason)."""
    path = find_named_file("worlds", name_or_path)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise WorldFileError(path, f"cannot be read ({exc.strerror or exc})") from exc
    return NamedWorld(path.stem, _load_cached(path.resolve(), mtime), path)
