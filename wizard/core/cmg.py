"""CMG address helpers: the same gateway is written `https://HOST/CCM_Proxy_MutualAuth/ID` in /mp and
`HOST/CCM_Proxy_MutualAuth/ID` (no scheme) in CCMHOSTNAME."""

from __future__ import annotations

import re

PROXY_PATH = "CCM_Proxy_MutualAuth"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_CMG = re.compile(r"^(?:https://)?([^/\s:]+(?::\d+)?)/(CCM_Proxy_MutualAuth)/(\d+)/?$", re.IGNORECASE)


def strip_scheme(text: str) -> str:
    return _SCHEME.sub("", text.strip(), count=1)


def scheme_of(text: str) -> str | None:
    """"https" for "https://x", None when the text has no scheme."""
    match = _SCHEME.match(text.strip())
    return match.group(0)[:-3].lower() if match else None


def cmg_mp_from_hostname(hostname: str) -> str:
    """CCMHOSTNAME form -> /mp form: adds https:// (replacing any other scheme)."""
    return "https://" + strip_scheme(hostname).rstrip("/")


def cmg_hostname_from_mp(url: str) -> str:
    """/mp form -> CCMHOSTNAME form: strips the scheme and a trailing slash."""
    return strip_scheme(url).rstrip("/")


def split_cmg_address(text: str) -> tuple[str, str, str] | None:
    """(host, "CCM_Proxy_MutualAuth", id) for a CMG address with or without https:// (any case of the
    proxy path), or None when the text is not a CMG address."""
    match = _CMG.match(text.strip())
    if not match:
        return None
    return match.group(1), PROXY_PATH, match.group(3)


def is_cmg_address(text: str | None) -> bool:
    """True when the text names the CMG proxy path at all (even with a wrong scheme), which is what
    makes a command a CMG command."""
    return bool(text) and PROXY_PATH.lower() in text.lower()


def same_cmg(mp: str, hostname: str) -> bool:
    """True when an /mp value and a CCMHOSTNAME value name the same gateway (host case-insensitive)."""
    a, b = split_cmg_address(mp), split_cmg_address(hostname)
    return a is not None and b is not None and a[0].lower() == b[0].lower() and a[2] == b[2]
