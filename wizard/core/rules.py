"""The rules engine: what is wrong or risky in an install plan, in plain words, with a fix.

Rule ids are stable (tooling depends on them); texts live in data/rules.json.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from importlib import resources

from wizard.core.catalog import CatalogEntry, load_catalog
from wizard.core.cmg import is_cmg_address, scheme_of, split_cmg_address, strip_scheme
from wizard.core.findings import Finding, Severity, sort_findings
from wizard.core.plan import SCENARIOS, InstallPlan, infer_scenario, name_for_field
from wizard.core.render import INTUNE_MAX_LENGTH, intune_length, quote_value
from wizard.core.token import decode_token_expiry

RESERVED_SITE_CODES = ("AUX", "CON", "NUL", "PRN", "SMS", "ENV")
_SITE_CODE = re.compile(r"^[A-Za-z0-9]{3}$")
_GUID = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")
_RESOURCE_URI = re.compile(r"^(?:https|api)://[^\s/?#]+(?:[/?#]\S*)?$", re.IGNORECASE)
_HOST_LABEL = r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)"
_HOST = re.compile(rf"^{_HOST_LABEL}(?:\.{_HOST_LABEL})*\.?(?::\d{{1,5}})?$")
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?$")
# Control characters, and every character str.splitlines breaks a line at (\x85, U+2028, U+2029 beyond C0):
# none can be carried by a command line or a script line, and a parser would cut the value there.
_CONTROL = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")
INTUNE_FORMATS = ("intune", "intune-msi")
_SCENARIO_TITLES = {s.id: s.title for s in SCENARIOS}

RULE_IDS = (
    "site-code", "guid", "resource-uri", "cmg-mp-scheme", "cmg-hostname-scheme", "cmg-address",
    "pki-with-entra", "regtoken-with-mp", "auto-with-hostname", "smsmp-without-sitecode",
    "conflicting-switches", "params-before-properties", "unknown-property", "unknown-parameter",
    "internal-switch", "legacy-property", "missing-required", "intune-length", "smsmp-recommended",
    "value-quoting", "invalid-value", "scenario-mismatch", "regtoken-format", "token-expired",
    "msi-only-property", "cache-settings", "internet-without-hostname", "entra-app-pair", "undocumented",
    "unknown-argument", "duplicate",  # parser-only
)
EXE_FORMATS = ("windows", "cmd", "powershell")
# Host names Azure gives a cloud management gateway (classic cloud service, VM scale set, US Government).
CMG_CLOUD_DOMAINS = (".cloudapp.net", ".cloudapp.azure.com", ".usgovcloudapp.net")
_SERVERAUTH = "ccm_proxy_serverauth"


class RulesDataError(ValueError):
    pass


@lru_cache(maxsize=1)
def load_rule_texts() -> dict[str, dict]:
    text = resources.files("wizard.core").joinpath("data/rules.json").read_text(encoding="utf-8")
    rules = json.loads(text)["rules"]
    missing = [rule for rule in RULE_IDS if rule not in rules]
    if missing:
        raise RulesDataError(f"rules.json has no text for: {', '.join(missing)}")
    unsourced = [rule for rule, data in rules.items()
                 if not isinstance(data.get("source"), list) or not data["source"]
                 or not all(isinstance(s, dict) and s.get("title") for s in data["source"])]
    if unsourced:
        raise RulesDataError(f"rules.json: no 'source' for: {', '.join(unsourced)}")
    return rules


def make_finding(rule: str, variant: str, field: str | None, **values: object) -> Finding:
    """A finding built from the rule's text in rules.json (used by the parser too)."""
    data = load_rule_texts()[rule]
    text = data["texts"][variant]
    severity: Severity = text.get("severity", data["severity"])
    return Finding(rule=rule, severity=severity, message=text["message"].format(**values),
                   fix=text["fix"].format(**values), field=field, doc=data.get("doc"))


def _given(value: str | None) -> bool:
    return value is not None and value.strip() != ""


def lint(plan: InstallPlan, *, fmt: str | None = None, now: datetime | None = None) -> list[Finding]:
    """Every finding for the plan, errors first. `fmt` is the output format the command is for
    (the Intune length limit is an error for intune/intune-msi); `now` is for token expiry (UTC)."""
    now = now or datetime.now(UTC)
    findings: list[Finding] = []
    for check in _CHECKS:
        findings.extend(check(plan))
    findings.extend(_check_intune_length(plan, fmt))
    findings.extend(_check_msi_only(plan, fmt))
    findings.extend(_check_token(plan, now))
    return sort_findings(findings)


def lint_field(plan: InstallPlan, field: str, *, fmt: str | None = None, now: datetime | None = None) -> list[Finding]:
    """Findings about one input, for inline validation. `field` is a plan field ("sitecode", "mp") or a
    ccmsetup name ("SMSSITECODE", "/mp", "mp"), case-insensitive."""
    wanted = _field_key(field)
    return [f for f in lint(plan, fmt=fmt, now=now) if f.field is not None and _field_key(f.field) == wanted]


def _field_key(field: str) -> str:
    name = name_for_field(field.strip().lower()) if field.strip().lower() in _PLAN_FIELDS else field.strip()
    entry = load_catalog().get(name)
    return (entry.name if entry else name).upper()


_PLAN_FIELDS = ("mp", "regtoken", "ccmhostname", "sitecode", "smsmp", "aadtenantid", "aadclientappid",
                "aadresourceuri")


# ---- checks ----------------------------------------------------------------------------------------

def _check_site_code(plan: InstallPlan) -> Iterator[Finding]:
    value = plan.sitecode
    if value is None:
        return
    if value != value.strip() and value.strip():
        yield make_finding("site-code", "spaces", "SMSSITECODE", value=value)
        value = value.strip()
    if value.upper() == "AUTO":
        return
    if not _SITE_CODE.match(value) or not value.isascii():
        yield make_finding("site-code", "format", "SMSSITECODE", value=value)
    elif value.upper() in RESERVED_SITE_CODES:
        yield make_finding("site-code", "reserved", "SMSSITECODE", value=value.upper())


def _check_guids(plan: InstallPlan) -> Iterator[Finding]:
    for field in ("aadtenantid", "aadclientappid"):
        value = getattr(plan, field)
        if value is None:
            continue
        name = name_for_field(field)
        stripped = value.strip()
        if stripped.startswith("{") and stripped.endswith("}") and _GUID.match(stripped[1:-1]):
            yield make_finding("guid", "braces", name, name=name)
        elif not _GUID.match(stripped) or stripped != value:
            yield make_finding("guid", _guid_format_variant(name), name, name=name, value=value)


def _guid_format_variant(name: str) -> str:
    """Where to copy the GUID from again depends on which one it is: the fix names that place."""
    return {"AADTENANTID": "tenant-format", "AADCLIENTAPPID": "client-app-format"}.get(name.upper(), "format")


def _check_resource_uri(plan: InstallPlan) -> Iterator[Finding]:
    value = plan.aadresourceuri
    if value is not None and not _RESOURCE_URI.match(value):
        yield make_finding("resource-uri", "format", "AADRESOURCEURI", value=value)


def _is_host(text: str) -> bool:
    return bool(_HOST.match(text) or _IPV4.match(text))


def _check_mp_hosts(plan: InstallPlan) -> Iterator[Finding]:
    """Each /mp source names a server: a DNS name (labels of at most 63 letters, digits or hyphens) or an IPv4
    address, optionally with http(s)://; for a CMG the host part of the address. A typo here only shows up
    minutes later as "No valid source or MP locations"."""
    for entry in plan.mp:
        bare = strip_scheme(entry).strip()
        cmg = split_cmg_address(bare)
        host = cmg[0] if cmg is not None else bare.rstrip("/")
        if cmg is None and (is_cmg_address(entry) or _SERVERAUTH in entry.lower()):
            continue  # a malformed CMG address is the cmg-address rule's to explain
        if host and not _is_host(host):
            yield make_finding("invalid-value", "host", "/mp", name="/mp", value=entry)


def _cmg_host(host: str) -> str:
    """A CMG host for comparison: lower case, without a trailing dot or the default HTTPS port."""
    host = host.lower().rstrip(".")
    return host[:-4] if host.endswith(":443") else host


def is_cloud_cmg_host(text: str) -> bool:
    """True for a host name Azure gives a CMG (…cloudapp.net, …cloudapp.azure.com, …usgovcloudapp.net)."""
    host = strip_scheme(text).split("/", 1)[0].split(":", 1)[0].lower().rstrip(".")
    return host.endswith(CMG_CLOUD_DOMAINS)


def _check_cmg(plan: InstallPlan) -> Iterator[Finding]:
    cmg_scenario = plan.scenario in ("cmg", "cmg-token")
    hostname = plan.ccmhostname if _given(plan.ccmhostname) else None
    hostname_cmg = split_cmg_address(strip_scheme(hostname)) if hostname else None
    for entry in plan.mp:
        if _SERVERAUTH in entry.lower():
            yield make_finding("cmg-address", "serverauth-mp", "/mp", value=entry)
            continue
        if not is_cmg_address(entry):
            host = _cmg_host(strip_scheme(entry).split("/", 1)[0]) if entry.strip() else ""
            if host and (is_cloud_cmg_host(entry) or (cmg_scenario and hostname_cmg is not None
                                                       and host == _cmg_host(hostname_cmg[0]))):
                yield make_finding("cmg-address", "mp-no-path", "/mp", value=entry)
            continue
        scheme = scheme_of(entry)
        address = strip_scheme(entry)
        if scheme is None:
            yield make_finding("cmg-mp-scheme", "missing", "/mp", value=entry, address=address)
        elif scheme != "https":
            yield make_finding("cmg-mp-scheme", "wrong", "/mp", value=entry, address=address, scheme=scheme)
        elif split_cmg_address(entry) is None:
            yield make_finding("cmg-address", "mp", "/mp", value=entry)

    if hostname is None:
        return
    scheme = scheme_of(hostname)
    if scheme is not None:
        yield make_finding("cmg-hostname-scheme", "scheme", "CCMHOSTNAME", value=hostname,
                           address=strip_scheme(hostname), scheme=scheme)
    bare = strip_scheme(hostname)
    if _SERVERAUTH in bare.lower():
        yield make_finding("cmg-address", "serverauth", "CCMHOSTNAME", value=hostname)
    elif cmg_scenario or is_cmg_address(hostname) or is_cloud_cmg_host(hostname):
        if hostname_cmg is None:
            variant = "cloud-host" if is_cloud_cmg_host(hostname) and not is_cmg_address(hostname) else "hostname"
            yield make_finding("cmg-address", variant, "CCMHOSTNAME", value=hostname)
        elif not _is_host(hostname_cmg[0]):
            yield make_finding("invalid-value", "host", "CCMHOSTNAME", name="CCMHOSTNAME", value=hostname)
        else:
            for entry in plan.mp:
                other = split_cmg_address(strip_scheme(entry))
                if other is not None and (_cmg_host(other[0]) != _cmg_host(hostname_cmg[0])
                                          or other[2] != hostname_cmg[2]):
                    yield make_finding("cmg-address", "mismatch", "/mp", mp=entry, hostname=bare)
    elif plan.scenario == "internet-mp" and not _HOST.match(bare.strip()) and not _IPV4.match(bare.strip()):
        yield make_finding("invalid-value", "host", "CCMHOSTNAME", name="CCMHOSTNAME", value=hostname)


def _check_pki_with_entra(plan: InstallPlan) -> Iterator[Finding]:
    if plan.has_switch("/UsePKICert") and any(
        _given(v) for v in (plan.aadtenantid, plan.aadclientappid, plan.aadresourceuri)
    ):
        yield make_finding("pki-with-entra", "conflict", "/UsePKICert")


def _check_entra_app_pair(plan: InstallPlan) -> Iterator[Finding]:
    """The docs give AADRESOURCEURI and AADCLIENTAPPID together (the server app and its client app)."""
    resource, client = _given(plan.aadresourceuri), _given(plan.aadclientappid)
    if resource and not client:
        yield make_finding("entra-app-pair", "resource-only", "AADCLIENTAPPID")
    elif client and not resource:
        yield make_finding("entra-app-pair", "client-only", "AADRESOURCEURI")


def _check_regtoken_with_mp(plan: InstallPlan) -> Iterator[Finding]:
    if plan.regtoken is not None and plan.mp:
        yield make_finding("regtoken-with-mp", "tip", "/mp")


def _check_auto_with_hostname(plan: InstallPlan) -> Iterator[Finding]:
    if plan.sitecode is not None and plan.sitecode.strip().upper() == "AUTO" and _given(plan.ccmhostname):
        yield make_finding("auto-with-hostname", "conflict", "SMSSITECODE")


def _check_smsmp_without_sitecode(plan: InstallPlan) -> Iterator[Finding]:
    if _given(plan.smsmp) and not _given(plan.sitecode):
        yield make_finding("smsmp-without-sitecode", "missing", "SMSSITECODE")


def _check_conflicting_switches(plan: InstallPlan) -> Iterator[Finding]:
    if plan.has_switch("/logon") and plan.has_switch("/forceinstall"):
        yield make_finding("conflicting-switches", "logon-forceinstall", "/logon")
    if plan.has_switch("/service") and plan.has_switch("/noservice"):
        yield make_finding("conflicting-switches", "service-noservice", "/service")


_REQUIRED = {
    "cmg": (("ccmhostname", "Type the CMG address: HOST/CCM_Proxy_MutualAuth/NUMBER."),
            ("sitecode", "Type the 3-character site code.")),
    "internet-mp": (("ccmhostname", "Type the internet-based management point's FQDN."),
                    ("sitecode", "Type the 3-character site code.")),
    "cmg-token": (("regtoken", "Paste the bulk registration token the ConfigMgr admin created."),
                  ("ccmhostname", "Type the CMG address: HOST/CCM_Proxy_MutualAuth/NUMBER."),
                  ("sitecode", "Type the 3-character site code.")),
}


def _check_missing_required(plan: InstallPlan) -> Iterator[Finding]:
    title = _SCENARIO_TITLES[plan.scenario]
    for field, hint in _REQUIRED.get(plan.scenario, ()):
        if not _given(getattr(plan, field)):
            name = name_for_field(field)
            yield make_finding("missing-required", "field", name, name=name, scenario=title, hint=hint)
    if (plan.scenario == "onprem-mp" and not any(_given(m) for m in plan.mp) and not plan.has_switch("/source")
            and not plan.has_switch("/uninstall") and not plan.has_switch("/?")
            and not plan.has_property("DNSSUFFIX")):
        # Without /mp ccmsetup looks in AD, then DNS: DNSSUFFIX names the DNS domain (the doc's workgroup example).
        yield make_finding("missing-required", "onprem-source", "/mp")


def _check_smsmp_recommended(plan: InstallPlan) -> Iterator[Finding]:
    if plan.is_entra and plan.smsmp is None:
        yield make_finding("smsmp-recommended", "roaming", "SMSMP")


def _values(plan: InstallPlan) -> Iterator[tuple[str, str]]:
    for entry in plan.mp:
        yield "/mp", entry
    for name, value in plan.parameters:
        if value is not None:
            yield name, value
    if plan.regtoken is not None:
        yield "/regtoken", plan.regtoken
    for field in ("ccmhostname", "sitecode", "smsmp", "aadtenantid", "aadclientappid", "aadresourceuri"):
        value = getattr(plan, field)
        if value is not None:
            yield name_for_field(field), value
    yield from plan.properties


def _check_value_quoting(plan: InstallPlan) -> Iterator[Finding]:
    for name, _value in plan.parameters:
        if _CONTROL.search(name):
            yield make_finding("value-quoting", "name-control", None)
    for name, value in _values(plan):
        if _CONTROL.search(value):
            yield make_finding("value-quoting", "control", name, name=name)
        elif '"' in value:
            yield make_finding("value-quoting", "quote", name, name=name)
        elif value.endswith("\\") and quote_value(value) != value:
            yield make_finding("value-quoting", "trailing-backslash", name, name=name)
    if any(";" in entry for entry in plan.mp):
        yield make_finding("value-quoting", "semicolon", "/mp")


def _range_text(entry: CatalogEntry) -> str:
    if entry.minimum is not None and entry.maximum is not None:
        return f" from {entry.minimum} to {entry.maximum}"
    if entry.minimum is not None:
        return f" of at least {entry.minimum}"
    if entry.maximum is not None:
        return f" up to {entry.maximum}"
    return ""


def _check_value(entry: CatalogEntry, name: str, value: str | None) -> Iterator[Finding]:
    if entry.is_flag:
        if value not in (None, "") and entry.kind == "parameter":
            yield make_finding("invalid-value", "is-flag", name, name=name, value=value)
        return
    if value is None:
        yield make_finding("invalid-value", "needs-value", name, name=name)
        return
    if value.strip() == "":
        yield make_finding("invalid-value", "empty", name, name=name)
        return
    if value != value.strip():
        yield make_finding("invalid-value", "spaces", name, name=name, value=value)
        return
    if entry.value_type == "int":
        if not value.isascii() or not value.isdigit():
            yield make_finding("invalid-value", "int", name, name=name, value=value, range=_range_text(entry))
            return
        number = int(value)
        if (entry.minimum is not None and number < entry.minimum) or (
            entry.maximum is not None and number > entry.maximum
        ):
            yield make_finding("invalid-value", "range", name, name=name, value=value, range=_range_text(entry))
    elif entry.choices:
        wanted = {c.upper() for c in entry.choices}
        items = value.split(";") if entry.value_type == "list" else [value]
        if any(item.strip().upper() not in wanted for item in items):
            yield make_finding("invalid-value", "choice", name, name=name, value=value, choices=", ".join(entry.choices))
    elif entry.value_type == "host":
        host = value
        if name == "SMSMP" and scheme_of(value) in ("http", "https"):
            host = strip_scheme(value).rstrip("/")
        if not (_HOST.match(host) or _IPV4.match(host)):
            yield make_finding("invalid-value", "host", name, name=name, value=value)
    elif entry.value_type == "guid" and not _GUID.match(value):
        yield make_finding("guid", _guid_format_variant(name), name, name=name, value=value)


def _check_catalog_values(plan: InstallPlan) -> Iterator[Finding]:
    catalog = load_catalog()
    for name, value in plan.parameters:
        entry = catalog.parameter(name)
        if entry is None:
            yield make_finding("unknown-parameter", "unknown", name, name=name)
        elif entry.internal:
            yield make_finding("internal-switch", "internal", entry.name, name=entry.name)
        else:
            if entry.undocumented:
                variant = entry.name.lstrip("/").lower()
                if variant not in load_rule_texts()["undocumented"]["texts"]:
                    variant = "parameter"
                yield make_finding("undocumented", variant, entry.name, name=entry.name)
            yield from _check_value(entry, entry.name, value)
    for name, value in plan.properties:
        entry = catalog.property(name)
        if entry is None:
            yield make_finding("unknown-property", "unknown", name, name=name)
            continue
        if entry.legacy:
            yield make_finding("legacy-property", "legacy", entry.name, name=entry.name)
        if entry.name in _MSI_ONLY:
            continue  # _check_msi_only knows the output format
        yield from _check_value(entry, entry.name, value)
    if _given(plan.smsmp):
        yield from _check_value(catalog.property("SMSMP"), "SMSMP", plan.smsmp)  # type: ignore[arg-type]


_MSI_ONLY = ("CCMSETUPCMD", "PROVISIONTS")


def _check_msi_only(plan: InstallPlan, fmt: str | None) -> Iterator[Finding]:
    """CCMSETUPCMD and PROVISIONTS are ccmsetup.msi properties: ccmsetup.exe doesn't act on them."""
    if plan.has_property("CCMSETUPCMD"):
        yield make_finding("msi-only-property", "ccmsetupcmd", "CCMSETUPCMD")
    if plan.has_property("PROVISIONTS") and fmt not in INTUNE_FORMATS:
        variant = "provisionts-exe" if fmt in EXE_FORMATS else "provisionts"
        yield make_finding("msi-only-property", variant, "PROVISIONTS")
    if plan.has_property("PROVISIONTS"):
        yield from _check_value(load_catalog().property("PROVISIONTS"), "PROVISIONTS",  # type: ignore[arg-type]
                                plan.property("PROVISIONTS"))


def _check_cache_settings(plan: InstallPlan) -> Iterator[Finding]:
    flags = {f.strip().upper() for f in (plan.property("SMSCACHEFLAGS") or "").split(";") if f.strip()}
    percent = flags & {"PERCENTDISKSPACE", "PERCENTFREEDISKSPACE"}
    if len(percent) == 2:
        yield make_finding("cache-settings", "percent-both", "SMSCACHEFLAGS")
    size = (plan.property("SMSCACHESIZE") or "").strip()
    if percent and size.isascii() and size.isdigit() and not 1 <= int(size) <= 100:
        yield make_finding("cache-settings", "percent-range", "SMSCACHESIZE", value=size,
                           flag=" and ".join(sorted(percent)))


def _check_internet_without_hostname(plan: InstallPlan) -> Iterator[Finding]:
    if (plan.property("CCMALWAYSINF") or "").strip() == "1" and not _given(plan.ccmhostname):
        yield make_finding("internet-without-hostname", "missing", "CCMHOSTNAME")


def _check_scenario(plan: InstallPlan) -> Iterator[Finding]:
    if any(not _given(getattr(plan, field)) for field, _ in _REQUIRED.get(plan.scenario, ())):
        return  # missing-required already says what is missing; the inferred scenario would only echo it
    actual = infer_scenario(plan)
    has_addresses = bool(plan.mp) or plan.ccmhostname is not None or plan.regtoken is not None
    if has_addresses and actual != plan.scenario:
        yield make_finding("scenario-mismatch", "mismatch", "scenario", actual=_SCENARIO_TITLES[actual],
                           expected=_SCENARIO_TITLES[plan.scenario])


def _check_intune_length(plan: InstallPlan, fmt: str | None) -> Iterator[Finding]:
    if fmt in EXE_FORMATS:
        return  # a ccmsetup.exe command line isn't limited by Intune
    length = intune_length(plan)
    if length > INTUNE_MAX_LENGTH:
        finding = make_finding("intune-length", "long", None, length=length)
        if fmt in INTUNE_FORMATS:
            finding = Finding(finding.rule, "error", finding.message, finding.fix, finding.field, finding.doc)
        yield finding


def _check_token(plan: InstallPlan, now: datetime) -> Iterator[Finding]:
    token = plan.regtoken
    if not _given(token):
        return
    expiry = decode_token_expiry(token)  # type: ignore[arg-type]
    if expiry is None:
        yield make_finding("regtoken-format", "unreadable", "/regtoken")
        return
    shown = expiry.strftime("%Y-%m-%d %H:%M")
    if expiry <= now:
        yield make_finding("token-expired", "expired", "/regtoken", expiry=shown)
    elif expiry - now < timedelta(days=1):
        yield make_finding("token-expired", "soon", "/regtoken", expiry=shown)


_CHECKS = (
    _check_missing_required,
    _check_site_code,
    _check_guids,
    _check_resource_uri,
    _check_mp_hosts,
    _check_cmg,
    _check_pki_with_entra,
    _check_entra_app_pair,
    _check_regtoken_with_mp,
    _check_auto_with_hostname,
    _check_smsmp_without_sitecode,
    _check_conflicting_switches,
    _check_value_quoting,
    _check_catalog_values,
    _check_cache_settings,
    _check_internet_without_hostname,
    _check_scenario,
    _check_smsmp_recommended,
)
