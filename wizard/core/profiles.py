"""Profiles: a saved InstallPlan as JSON (schema_version 1) that an admin prepares and a technician
opens. The registration token is never written: secrets go to the credential store (wizard.host)."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from wizard.core.catalog import load_catalog
from wizard.core.plan import InstallPlan

APP_NAME = "ccmsetup-wizard"
PROFILE_SUFFIX = ".json"
MAX_PROFILE_BYTES = 1 << 20
_PLAN_FIELDS = tuple(InstallPlan.model_fields)


class ProfileError(ValueError):
    """A profile file cannot be used. The message names the file, the problem and what to do next;
    the file itself is never modified."""

    def __init__(self, path: str | os.PathLike[str], problem: str):
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"Profile {self.path}: {problem}")


class Profile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    name: str = ""
    description: str = ""
    plan: InstallPlan = InstallPlan()
    locked: tuple[str, ...] = ()  # plan fields or ccmsetup names the GUI shows read-only
    lock_reason: str = ""

    @field_validator("locked")
    @classmethod
    def _known_locks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        catalog = load_catalog()
        for name in value:
            if name not in _PLAN_FIELDS and catalog.get(name) is None:
                raise ValueError(f"locked entry {name!r} is neither a plan field ({', '.join(_PLAN_FIELDS)}) "
                                 "nor a ccmsetup parameter or property name")
        return value

    @model_validator(mode="after")
    def _no_secret(self) -> Profile:
        if self.plan.regtoken is not None:
            # Secrets never live in a profile object, so they can't reach a file by accident.
            object.__setattr__(self, "plan", self.plan.update(regtoken=None))
        return self


def profile_to_json(profile: Profile) -> str:
    data = profile.model_dump(mode="json")
    data["plan"].pop("regtoken", None)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def default_profile_dir() -> Path:
    """Where profiles go by default (%LOCALAPPDATA%\\ccmsetup-wizard\\profiles, ~/.config/ccmsetup-wizard/profiles)."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False, roaming=False)) / "profiles"


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False, roaming=False))


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write via a temp file in the same folder, fsync, then os.replace (retried briefly on Windows,
    where antivirus or indexers hold files for a moment). On failure the old file is left as it was."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        delay = 0.05
        for attempt in range(7):
            try:
                os.replace(temp_name, target)
                break
            except PermissionError:
                if sys.platform != "win32" or attempt == 6:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
        if hasattr(os, "O_DIRECTORY"):
            dir_fd = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise


def save_profile(path: str | os.PathLike[str], profile: Profile) -> None:
    """Save atomically. Raises ProfileError when the file can't be written (the old one stays)."""
    try:
        atomic_write_text(path, profile_to_json(profile))
    except OSError as exc:
        raise ProfileError(path, f"cannot be written ({exc.strerror or exc}). Choose a folder you can write to.") from exc


def _describe_validation(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:3]:
        where = ".".join(str(p) for p in error["loc"]) or "file"
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "is not a profile setting (misspelt or from another tool)"
        parts.append(f"{where}: {message}")
    more = len(exc.errors()) - 3
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def load_profile(path: str | os.PathLike[str]) -> Profile:
    """Read and validate a profile. Raises ProfileError naming the file and the problem."""
    source = Path(path)
    try:
        if source.stat().st_size > MAX_PROFILE_BYTES:
            raise ProfileError(source, "is larger than 1 MB, so it is not a profile. Pick the right file.")
        raw = source.read_bytes()
    except FileNotFoundError as exc:
        raise ProfileError(source, "does not exist. Check the path, or save a profile there first.") from exc
    except IsADirectoryError as exc:
        raise ProfileError(source, "is a folder, not a profile file.") from exc
    except OSError as exc:
        raise ProfileError(source, f"cannot be read ({exc.strerror or exc}).") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProfileError(source, "is not UTF-8 text, so it is not a profile (or it is damaged).") from exc
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProfileError(source, f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}). "
                                   "Fix the file or save the profile again.") from exc
    if not isinstance(data, dict):
        raise ProfileError(source, "does not hold a profile object ({...}).")
    if "schema_version" not in data:
        raise ProfileError(source, "has no schema_version, so it is not a ccmsetup-wizard profile.")
    if data["schema_version"] != 1:
        raise ProfileError(source, f"has schema_version {data['schema_version']!r}; this version of "
                                   "ccmsetup-wizard reads version 1. Update ccmsetup-wizard or re-save the profile.")
    plan = data.get("plan")
    if isinstance(plan, dict) and plan.get("regtoken") not in (None, ""):
        raise ProfileError(source, "contains a registration token. Tokens must not be kept in files: delete the "
                                   "\"regtoken\" line (and the token, it may have leaked) and enter it in the wizard.")
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        raise ProfileError(source, f"is not a valid profile: {_describe_validation(exc)}.") from exc


class RecentProfiles:
    """The most recently used profile paths, newest first, in a small JSON file in the config folder.
    A damaged list is treated as empty (and replaced on the next change)."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, limit: int = 10):
        self.path = Path(path) if path is not None else config_dir() / "recent-profiles.json"
        self.limit = limit

    def items(self) -> list[Path]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        if not isinstance(data, dict) or not isinstance(data.get("recent"), list):
            return []
        return [Path(p) for p in data["recent"] if isinstance(p, str)][: self.limit]

    def add(self, profile_path: str | os.PathLike[str]) -> list[Path]:
        new = Path(profile_path).resolve()
        items = [new] + [p for p in self.items() if p != new]
        self._write(items[: self.limit])
        return items[: self.limit]

    def remove(self, profile_path: str | os.PathLike[str]) -> list[Path]:
        gone = Path(profile_path).resolve()
        items = [p for p in self.items() if p != gone]
        self._write(items)
        return items

    def clear(self) -> None:
        self._write([])

    def _write(self, items: list[Path]) -> None:
        atomic_write_text(self.path, json.dumps({"recent": [str(p) for p in items]}, indent=2) + "\n")
