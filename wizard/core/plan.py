"""The install plan: everything one ccmsetup command needs, as one frozen pydantic model.

Values are kept as typed (validation is the rules engine's job, so a bad paste can still be held and
explained). Names are structure, so they are checked here and known ones get their catalog spelling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from wizard.core.catalog import load_catalog
from wizard.core.cmg import (  # re-exported: the GUI imports the CMG helpers from here
    cmg_hostname_from_mp,
    cmg_mp_from_hostname,
    is_cmg_address,
    split_cmg_address,
)

__all__ = [
    "SCENARIOS",
    "DEDICATED_FIELDS",
    "InstallPlan",
    "Scenario",
    "ScenarioInfo",
    "cmg_hostname_from_mp",
    "cmg_mp_from_hostname",
    "field_for_name",
    "infer_scenario",
    "name_for_field",
    "split_cmg_address",
]

Scenario = Literal["onprem-mp", "cmg", "internet-mp", "cmg-token"]
_DOC = "https://learn.microsoft.com/intune/configmgr/core/clients/deploy/"


@dataclass(frozen=True, slots=True)
class ScenarioInfo:
    id: str
    title: str
    when: str  # one line: when to pick it
    doc: str


SCENARIOS: tuple[ScenarioInfo, ...] = (
    ScenarioInfo("onprem-mp", "On-premises management point",
                 "The device is on the corporate network (or VPN) and can reach a management point.",
                 _DOC + "about-client-installation-properties"),
    ScenarioInfo("cmg", "Cloud management gateway (Entra ID)",
                 "The device is Entra joined or hybrid joined and installs over the internet through the CMG.",
                 _DOC + "deploy-clients-cmg-azure"),
    ScenarioInfo("internet-mp", "Internet-based management point",
                 "The site has an internet-facing management point (IBCM) the device reaches directly.",
                 _DOC + "deploy-clients-cmg-azure"),
    ScenarioInfo("cmg-token", "Cloud management gateway with a bulk registration token",
                 "The device is not Entra joined and has no PKI certificate; an admin gave you a token.",
                 _DOC + "deploy-clients-cmg-token"),
)

# Plan field -> the ccmsetup name it renders as. Order here is the render order of the properties.
DEDICATED_FIELDS: dict[str, str] = {
    "mp": "/mp",
    "regtoken": "/regtoken",
    "ccmhostname": "CCMHOSTNAME",
    "sitecode": "SMSSITECODE",
    "smsmp": "SMSMP",
    "aadtenantid": "AADTENANTID",
    "aadclientappid": "AADCLIENTAPPID",
    "aadresourceuri": "AADRESOURCEURI",
}
_NAME_TO_FIELD = {name.upper(): field for field, name in DEDICATED_FIELDS.items()}
_STRING_FIELDS = ("ccmhostname", "sitecode", "smsmp", "aadtenantid", "aadclientappid", "aadresourceuri", "regtoken")

_PARAMETER_NAME = re.compile(r'^/[^\s:"/=][^\s:"=]*$')
_PROPERTY_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def field_for_name(name: str) -> str | None:
    """"SMSSITECODE"/"smssitecode" -> "sitecode", "/MP" -> "mp"; None for names without a dedicated field."""
    key = name.strip().upper()
    if key in _NAME_TO_FIELD:
        return _NAME_TO_FIELD[key]
    if key in ("MP", "REGTOKEN"):
        return _NAME_TO_FIELD["/" + key]
    return None


def name_for_field(field: str) -> str:
    """"sitecode" -> "SMSSITECODE"; any other string is returned unchanged."""
    return DEDICATED_FIELDS.get(field, field)


def canonical_parameter_name(name: str) -> str:
    name = name.strip()
    if not name.startswith("/"):
        name = "/" + name
    entry = load_catalog().parameter(name)
    return entry.name if entry else name


def canonical_property_name(name: str) -> str:
    name = name.strip()
    entry = load_catalog().property(name)
    return entry.name if entry else name


class InstallPlan(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    scenario: Scenario = "onprem-mp"
    mp: tuple[str, ...] = ()
    ccmhostname: str | None = None
    sitecode: str | None = None
    smsmp: str | None = None
    aadtenantid: str | None = None
    aadclientappid: str | None = None
    aadresourceuri: str | None = None
    regtoken: str | None = None
    parameters: tuple[tuple[str, str | None], ...] = ()
    properties: tuple[tuple[str, str], ...] = ()

    @field_validator(*_STRING_FIELDS)
    @classmethod
    def _empty_is_unset(cls, value: str | None) -> str | None:
        # An emptied input box means "not given"; whitespace-only is kept so the rules can point at it.
        return None if value == "" else value

    @field_validator("parameters")
    @classmethod
    def _check_parameters(cls, value: tuple[tuple[str, str | None], ...]) -> tuple[tuple[str, str | None], ...]:
        checked = []
        for name, item in value:
            name = canonical_parameter_name(name)
            if not _PARAMETER_NAME.match(name):
                raise ValueError(f"{name!r} is not a ccmsetup parameter name (expected /name without spaces or ':')")
            if field_for_name(name):
                raise ValueError(f"{name} has its own plan field ({field_for_name(name)}); set that instead")
            checked.append((name, item))
        return tuple(checked)

    @field_validator("properties")
    @classmethod
    def _check_properties(cls, value: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        checked = []
        for name, item in value:
            name = canonical_property_name(name)
            if not _PROPERTY_NAME.match(name):
                raise ValueError(f"{name!r} is not a property name (letters, digits, _ and . only)")
            if field_for_name(name):
                raise ValueError(f"{name} has its own plan field ({field_for_name(name)}); set that instead")
            checked.append((name, item))
        return tuple(checked)

    @model_validator(mode="before")
    @classmethod
    def _accept_lists(cls, data: Any) -> Any:
        # JSON gives lists; keep the model's tuples.
        if isinstance(data, dict):
            data = dict(data)
            for key in ("parameters", "properties"):
                if isinstance(data.get(key), list):
                    data[key] = tuple(tuple(pair) for pair in data[key])
            if isinstance(data.get("mp"), str):
                data["mp"] = tuple(data["mp"].split(";")) if data["mp"] else ()
        return data

    # ---- helpers returning new plans -------------------------------------------------------------

    def update(self, **fields: Any) -> InstallPlan:
        data = self.model_dump()
        data.update(fields)
        return InstallPlan.model_validate(data)

    def with_parameter(self, name: str, value: str | None = None) -> InstallPlan:
        """Set a parameter (value None = a flag). Replaces the first one of that name, else appends."""
        field = field_for_name(name if name.startswith("/") else "/" + name)
        if field == "mp":
            return self.update(mp=tuple(value.split(";")) if value else ())
        if field == "regtoken":
            return self.update(regtoken=value)
        name = canonical_parameter_name(name)
        return self.update(parameters=_replace(self.parameters, name, value))

    def without_parameter(self, name: str) -> InstallPlan:
        field = field_for_name(name if name.startswith("/") else "/" + name)
        if field == "mp":
            return self.update(mp=())
        if field == "regtoken":
            return self.update(regtoken=None)
        key = canonical_parameter_name(name).upper()
        return self.update(parameters=tuple(p for p in self.parameters if p[0].upper() != key))

    def with_property(self, name: str, value: str) -> InstallPlan:
        field = field_for_name(name)
        if field and field not in ("mp", "regtoken"):
            return self.update(**{field: value})
        name = canonical_property_name(name)
        return self.update(properties=_replace(self.properties, name, value))

    def without_property(self, name: str) -> InstallPlan:
        field = field_for_name(name)
        if field and field not in ("mp", "regtoken"):
            return self.update(**{field: None})
        key = name.strip().upper()
        return self.update(properties=tuple(p for p in self.properties if p[0].upper() != key))

    # ---- lookups ---------------------------------------------------------------------------------

    def parameter(self, name: str) -> tuple[bool, str | None]:
        """(present, value) for a parameter, case-insensitive; value None for a flag."""
        key = name.strip() if name.strip().startswith("/") else "/" + name.strip()
        field = field_for_name(key)
        if field == "mp":
            return (bool(self.mp), ";".join(self.mp) if self.mp else None)
        if field == "regtoken":
            return (self.regtoken is not None, self.regtoken)
        key = key.upper()
        for pname, value in self.parameters:
            if pname.upper() == key:
                return True, value
        return False, None

    def has_switch(self, name: str) -> bool:
        return self.parameter(name)[0]

    def has_property(self, name: str) -> bool:
        field = field_for_name(name)
        if field and field not in ("mp", "regtoken"):
            return getattr(self, field) is not None
        key = name.strip().upper()
        return any(pname.upper() == key for pname, _ in self.properties)

    @property
    def is_entra(self) -> bool:
        """Entra ID authentication is in play: Entra properties are given, or a CMG install without
        token or PKI certificate (the CMG then hands out the Entra app details)."""
        if any(_given(v) for v in (self.aadtenantid, self.aadclientappid, self.aadresourceuri)):
            return True
        return self.scenario == "cmg" and not self.has_switch("/UsePKICert") and self.regtoken is None

    @property
    def noservice(self) -> bool:
        return self.has_switch("/noservice")


    # Defined last: inside the class body the name `property` would shadow the builtin decorator.
    def property(self, name: str) -> str | None:
        field = field_for_name(name)
        if field and field not in ("mp", "regtoken"):
            return getattr(self, field)
        key = name.strip().upper()
        for pname, value in self.properties:
            if pname.upper() == key:
                return value
        return None


def _given(value: str | None) -> bool:
    return value is not None and value.strip() != ""


def _replace(pairs: tuple, name: str, value: Any) -> tuple:
    key = name.upper()
    out = list(pairs)
    for index, (existing, _) in enumerate(out):
        if existing.upper() == key:
            out[index] = (name, value)
            return tuple(out)
    out.append((name, value))
    return tuple(out)


def infer_scenario(plan: InstallPlan) -> Scenario:
    """What a command is for, from its contents: CCMHOSTNAME with CCM_Proxy_MutualAuth -> cmg (cmg-token
    with /regtoken); CCMHOSTNAME without it -> internet-mp; otherwise onprem-mp."""
    if plan.ccmhostname is not None and plan.ccmhostname.strip():
        if is_cmg_address(plan.ccmhostname):
            return "cmg-token" if plan.regtoken is not None else "cmg"
        return "internet-mp"
    if plan.regtoken is not None:
        return "cmg-token"
    if any(is_cmg_address(m) for m in plan.mp):
        return "cmg"
    return "onprem-mp"
