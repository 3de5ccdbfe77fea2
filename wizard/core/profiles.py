"""Profiles: a saved InstallPlan as JSON (schema_version 1) that an admin prepares and a technician
opens. The registration token is never written: secrets go to the credential store (wizard.host)."""

from __future__ import annotations

import contextlib
import json
import os
import stat
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
    """atomic_write_bytes of `text` in UTF-8 (UnicodeEncodeError, a ValueError, for text that has none, e.g. a
    lone surrogate: nothing is written then)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def _new_file_mode() -> int:
    """The permissions a newly created file gets here (0666 less the umask), without changing the umask: the
    temp file mkstemp makes is 0600, which would make a saved profile unreadable to the colleagues it is for."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o644


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write via a temp file in the same folder, fsync, then os.replace (retried briefly on Windows,
    where antivirus or indexers hold files for a moment). A file that exists keeps its permissions. On any
    failure the old file is left as it was and the temp file is removed."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mode = _new_file_mode()
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if sys.platform != "win32":  # Windows files inherit the folder's ACL; chmod only sets read-only there
            os.chmod(temp_name, mode)
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
    """Save atomically. Raises ProfileError when the file can't be written (the old one stays, no temp file is
    left): a folder that can't be written, text that has no UTF-8 form, or settings nested too deeply."""
    try:
        atomic_write_text(path, profile_to_json(profile))
    except OSError as exc:
        raise ProfileError(path, f"cannot be written ({exc.strerror or exc}). Choose a folder you can write to.") from exc
    except UnicodeEncodeError as exc:
        raise ProfileError(path, f"cannot be written: a value holds a character that is not valid text "
                                 f"(U+{ord(exc.object[exc.start]):04X}). Retype that value.") from exc
    except (RecursionError, ValueError) as exc:
        raise ProfileError(path, f"cannot be written: the settings can't be stored as JSON ({exc}).") from exc


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


def _read_limited(source: Path, limit: int) -> bytes:
    """The file's bytes, refusing anything but a regular file and anything longer than `limit` bytes *read* (a
    link to /dev/zero reports size 0; a FIFO would block an ordinary open, so it is opened non-blocking)."""
    if source.is_dir():
        raise IsADirectoryError(21, "Is a directory", str(source))
    if not stat.S_ISREG(os.stat(source).st_mode):  # before open: opening a Windows named pipe could block
        raise ProfileError(source, "is not a regular file (a device, pipe or socket), so it is not a profile. "
                                   "Pick the profile's .json file.")
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(source, flags)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # replaced between the stat and the open
            raise ProfileError(source, "is not a regular file, so it is not a profile. Pick the profile's .json file.")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ProfileError(source, "is larger than 1 MB, so it is not a profile. Pick the right file.")
    return data


def load_profile(path: str | os.PathLike[str]) -> Profile:
    """Read and validate a profile. Raises ProfileError naming the file and the problem."""
    source = Path(path)
    try:
        raw = _read_limited(source, MAX_PROFILE_BYTES)
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
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except json.JSONDecodeError as exc:
        raise ProfileError(source, f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}). "
                                   "Fix the file or save the profile again.") from exc
    except RecursionError as exc:
        raise ProfileError(source, "is nested too deeply to be a profile. Pick the right file or save the "
                                   "profile again.") from exc
    except UnicodeEncodeError as exc:  # a "\ud800" escape: a lone surrogate, not text any value can hold
        raise ProfileError(source, f"holds a character that is not valid text (a \\u{ord(exc.object[exc.start]):04x} "
                                   "escape). Fix that value or save the profile again.") from exc
    if not isinstance(data, dict):
        raise ProfileError(source, "does not hold a profile object ({...}).")
    if "schema_version" not in data:
        raise ProfileError(source, "has no schema_version, so it is not a ccmsetup-wizard profile.")
    version = data["schema_version"]
    if type(version) is not int or version != 1:  # not True, not 1.0, not "1"
        raise ProfileError(source, f"has schema_version {json.dumps(version)[:40]}; this version of "
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
