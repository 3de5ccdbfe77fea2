"""The catalog of ccmsetup parameters and client.msi properties, kept as data in data/catalog.json."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal

Kind = Literal["parameter", "property"]
VALUE_TYPES = ("flag", "string", "int", "bool", "enum", "list", "guid", "uri", "host", "path")
STATUSES = ("documented", "legacy", "internal", "undocumented")
SOURCE_KINDS = ("doc", "kb", "issue", "community", "real-log", "header")


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    name: str  # canonical spelling: "/NoCRLCheck", "SMSSITECODE"
    kind: Kind
    value_type: str
    help: str
    doc: str
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    default: str | None = None
    scenarios: tuple[str, ...] = ()  # empty = matters in every scenario
    secret: bool = False
    common: bool = False
    status: str = "documented"  # documented | legacy (seen in the wild) | internal (ccmsetup's own switches) |
    # undocumented (not in Microsoft's current tables)
    field: str | None = None  # the dedicated InstallPlan field holding it, if any
    source: tuple[dict, ...] = ()  # where the entry comes from: {"kind", "title", "url"|"where"}

    @property
    def internal(self) -> bool:
        return self.status == "internal"

    @property
    def legacy(self) -> bool:
        return self.status == "legacy"

    @property
    def undocumented(self) -> bool:
        return self.status == "undocumented"

    @property
    def is_flag(self) -> bool:
        return self.value_type == "flag"

    @property
    def bare_name(self) -> str:
        """The name without the leading slash of a parameter ("NoCRLCheck")."""
        return self.name[1:] if self.kind == "parameter" else self.name


class Catalog:
    def __init__(self, entries: list[CatalogEntry]):
        self._entries = tuple(entries)
        self._by_key: dict[str, CatalogEntry] = {}
        for entry in entries:
            self._by_key[_key(entry.name, entry.kind)] = entry

    def __iter__(self):
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, name: str) -> CatalogEntry | None:
        """Look up `/mp`, `mp`, `MP` (parameters) or `smssitecode` (properties), case-insensitively.

        A name with a leading slash only matches parameters; a bare name matches a property first,
        then a parameter.
        """
        name = name.strip()
        if not name:
            return None
        if name.startswith("/"):
            return self._by_key.get(_key(name, "parameter"))
        return self._by_key.get(_key(name, "property")) or self._by_key.get(_key("/" + name, "parameter"))

    def parameter(self, name: str) -> CatalogEntry | None:
        name = name.strip()
        return self._by_key.get(_key(name if name.startswith("/") else "/" + name, "parameter"))

    def property(self, name: str) -> CatalogEntry | None:
        return self._by_key.get(_key(name.strip(), "property"))

    def parameters(self) -> tuple[CatalogEntry, ...]:
        return tuple(e for e in self._entries if e.kind == "parameter")

    def properties(self) -> tuple[CatalogEntry, ...]:
        return tuple(e for e in self._entries if e.kind == "property")

    def for_field(self, field: str) -> CatalogEntry | None:
        """The entry stored in a dedicated InstallPlan field (`sitecode` -> SMSSITECODE)."""
        for entry in self._entries:
            if entry.field == field:
                return entry
        return None


def _key(name: str, kind: str) -> str:
    return f"{kind}:{name.upper()}"


class CatalogError(ValueError):
    pass


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    text = resources.files("wizard.core").joinpath("data/catalog.json").read_text(encoding="utf-8")
    data = json.loads(text)
    entries = []
    for raw in data["entries"]:
        if raw["value_type"] not in VALUE_TYPES or raw["kind"] not in ("parameter", "property"):
            raise CatalogError(f"catalog.json: entry {raw['name']!r} has an unknown kind or value_type")
        if raw.get("status", "documented") not in STATUSES:
            raise CatalogError(f"catalog.json: entry {raw['name']!r} has an unknown status")
        source = raw.get("source")
        if not isinstance(source, list) or not source or not all(
                isinstance(s, dict) and s.get("title") and s.get("kind") in SOURCE_KINDS for s in source):
            raise CatalogError(f"catalog.json: entry {raw['name']!r} needs a 'source' list of "
                               "{kind, title, url|where}")
        entries.append(
            CatalogEntry(
                name=raw["name"],
                kind=raw["kind"],
                value_type=raw["value_type"],
                help=raw["help"],
                doc=raw["doc"],
                choices=tuple(raw.get("choices") or ()),
                minimum=raw.get("minimum"),
                maximum=raw.get("maximum"),
                default=raw.get("default"),
                scenarios=tuple(raw.get("scenarios") or ()),
                secret=bool(raw.get("secret")),
                common=bool(raw.get("common")),
                status=raw.get("status", "documented"),
                field=raw.get("field"),
                source=tuple(source),
            )
        )
    return Catalog(entries)
