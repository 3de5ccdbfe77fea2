"""Finding and reading the world and lab files: `resources/worlds/*.json`, `resources/labs/*.json`.

A file may extend another (`"extends": "<name>"`): the named file is read first and this file's values are
merged into it key by key (objects merge, everything else replaces). Problems are raised as `WorldFileError`
naming the file, the field and what is wrong, and the file is never changed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from wizard.core.paths import RESOURCES_ENV, resources_dir

__all__ = ["RESOURCES_ENV", "WorldFileError", "deep_merge", "describe_validation_error", "find_named_file",
           "list_names", "read_json_object", "resources_dir"]

MAX_FILE_BYTES = 1 << 20
MAX_EXTENDS_DEPTH = 8


class WorldFileError(ValueError):
    """A world or lab file that cannot be used; `str()` names the file, the field and what to do."""

    def __init__(self, path: str | Path, problem: str, *, field: str | None = None) -> None:
        self.path = str(path)
        self.field = field
        self.problem = problem
        where = f"{self.path}: {field}: " if field else f"{self.path}: "
        super().__init__(where + problem)


def list_names(kind: str) -> list[str]:
    """Names (file stems) of the shipped `resources/<kind>/*.json`, sorted; `_`-prefixed files are parts."""
    folder = resources_dir() / kind
    try:
        return sorted(p.stem for p in folder.glob("*.json") if not p.name.startswith("_"))
    except OSError:
        return []


def find_named_file(kind: str, name_or_path: str | Path) -> Path:
    """A shipped file by name (`offline`), or a file path (a trainer's own `my-lab.json`)."""
    text = str(name_or_path)
    candidate = Path(text)
    looks_like_path = candidate.suffix.lower() == ".json" or os.sep in text or "/" in text
    if looks_like_path:
        if not candidate.is_file():
            raise WorldFileError(candidate, "no such file; give the path of a .json file or the name of a shipped "
                                            f"{kind[:-1]} ({', '.join(list_names(kind))})")
        return candidate
    shipped = resources_dir() / kind / f"{text}.json"
    if text and not text.startswith("_") and shipped.is_file():
        return shipped
    raise WorldFileError(text or "(empty name)", f"unknown {kind[:-1]}; choose one of: {', '.join(list_names(kind))}, "
                                                 "or give the path of a .json file")


def read_json_object(path: Path) -> dict[str, Any]:
    """The file's top-level JSON object; refuses non-regular files, huge files and anything but an object."""
    try:
        if not path.is_file():
            raise WorldFileError(path, "not a regular file")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise WorldFileError(path, f"larger than {MAX_FILE_BYTES // 1024} KB; is this the right file?")
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise WorldFileError(path, f"cannot be read ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise WorldFileError(path, "is not UTF-8 text") from exc
    try:
        data = json.loads(text)
    except RecursionError as exc:
        raise WorldFileError(path, "is nested too deeply") from exc
    except json.JSONDecodeError as exc:
        raise WorldFileError(path, f"is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") \
            from exc
    if not isinstance(data, dict):
        raise WorldFileError(path, "must hold a JSON object ({...})")
    return data


def deep_merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`base` with `changes` applied: nested objects merge key by key, any other value replaces."""
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def describe_validation_error(path: str | Path, exc: ValidationError, *, prefix: str = "") -> WorldFileError:
    """The first problem of a pydantic error as a WorldFileError: the dotted field and the reason."""
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first.get("loc", ()) if part != "__root__") or None
    if prefix:
        field = f"{prefix}.{field}" if field else prefix
    message = first.get("msg", "invalid value")
    if first.get("type") == "extra_forbidden":
        message = "is not a known field (check the spelling; docs/architecture.md lists the fields)"
    elif first.get("type") == "missing":
        message = "is required"
    more = len(exc.errors()) - 1
    if more > 0:
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    return WorldFileError(path, message, field=field)
