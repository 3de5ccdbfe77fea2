"""Parse `dsregcmd /status` output by key, never by position.

Layout: section banners (`+----+` / `| Device State |`) followed by right-aligned `Key : Value` lines.
Keys move between sections across Windows builds (older builds print TenantId under Device State, newer ones
under Tenant Details), so every lookup searches all sections; the first occurrence wins.
"""

from __future__ import annotations

import re

from wizard.host.base import DsregStatus

_BANNER_RULE = re.compile(r"^\s*\+-{3,}\+?\s*$")
_BANNER_TITLE = re.compile(r"^\s*\|\s*(?P<title>[^|]*?)\s*\|\s*$")
# "             AzureAdJoined : YES"; values may contain " : " themselves (URLs, dates), so split on the first.
_KEY_VALUE = re.compile(r"^\s*(?P<key>[A-Za-z][A-Za-z0-9 ()/_.-]*?)\s*:\s?(?P<value>.*?)\s*$")

_NO_SECTION = ""


def parse_dsregcmd(text: str) -> DsregStatus:
    """Read `dsregcmd /status` text. Unknown keys are kept in `sections`; absent keys give None fields."""
    sections: dict[str, dict[str, str]] = {}
    current = _NO_SECTION
    for line in text.splitlines():
        if not line.strip() or _BANNER_RULE.match(line):
            continue
        title = _BANNER_TITLE.match(line)
        if title:
            current = title.group("title").strip()
            sections.setdefault(current, {})
            continue
        kv = _KEY_VALUE.match(line)
        if kv:
            sections.setdefault(current, {}).setdefault(kv.group("key").strip(), kv.group("value"))

    def value(key: str) -> str | None:
        wanted = key.replace(" ", "").lower()
        for entries in sections.values():
            for k, v in entries.items():
                if k.replace(" ", "").lower() == wanted:
                    return v
        return None

    def flag(key: str) -> bool | None:
        v = value(key)
        if v is None:
            return None
        v = v.strip().upper()
        if v in ("YES", "TRUE"):
            return True
        if v in ("NO", "FALSE"):
            return False
        return None

    def text_value(key: str) -> str | None:
        v = value(key)
        return v.strip() or None if v is not None else None

    found_any = any(sections.values())
    return DsregStatus(
        azure_ad_joined=flag("AzureAdJoined"),
        enterprise_joined=flag("EnterpriseJoined"),
        domain_joined=flag("DomainJoined"),
        workplace_joined=flag("WorkplaceJoined"),
        azure_ad_prt=flag("AzureAdPrt"),
        tenant_id=_normalise_guid(text_value("TenantId")),
        tenant_name=text_value("TenantName"),
        domain_name=text_value("DomainName"),
        device_id=_normalise_guid(text_value("DeviceId")),
        device_name=text_value("Device Name"),
        device_auth_status=text_value("DeviceAuthStatus"),
        sections=sections,
        raw=text,
        error=None if found_any else "dsregcmd printed no 'Key : Value' lines",
    )


def _normalise_guid(value: str | None) -> str | None:
    if value is None:
        return None
    return value.strip().strip("{}").lower() or None


def decode_console_output(data: bytes, oem_codepage: int | None = None) -> str:
    """Decode a console tool's stdout: UTF-16 when it has a BOM, else the OEM code page, never raising."""
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        return data.decode("utf-16", errors="replace")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    encodings = [f"cp{oem_codepage}"] if oem_codepage else []
    encodings += ["utf-8"]
    for enc in encodings:
        try:
            return data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode(f"cp{oem_codepage}" if oem_codepage else "latin-1", errors="replace")
