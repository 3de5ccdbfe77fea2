"""Bulk registration token helpers. The token is a JWT; we only read its expiry (no signature check:
the site verifies it) and never show it whole."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime


def _b64url_decode(segment: str) -> bytes:
    padded = segment + "=" * (-len(segment) % 4)
    return base64.urlsafe_b64decode(padded.encode("ascii"))


def decode_token_payload(token: str) -> dict | None:
    """The JWT payload as a dict, or None when the text is not a JWT (three base64url parts)."""
    parts = token.strip().split(".")
    if len(parts) != 3 or not parts[1]:
        return None
    try:
        payload = json.loads(_b64url_decode(parts[1]).decode("utf-8"))
    except (ValueError, UnicodeError, binascii.Error):
        return None
    return payload if isinstance(payload, dict) else None


def decode_token_expiry(token: str) -> datetime | None:
    """The token's `exp` as an aware UTC datetime, or None when it cannot be read."""
    payload = decode_token_payload(token)
    if payload is None:
        return None
    exp = payload.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        return None
    try:
        return datetime.fromtimestamp(exp, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def mask_secret(value: str | None, *, keep: int = 0) -> str:
    """"********(812 characters)": says a value is there and how long it is, never any of its characters
    (even the ends of a token narrow it down, and they end up in terminals, RMM logs and tickets).
    `keep` is accepted for old callers and ignored."""
    del keep
    if not value:
        return ""
    if len(value) <= 16:
        return "*" * 8
    return f"********({len(value)} characters)"


def describe_token(token: str | None, *, now: datetime | None = None) -> str:
    """What a message may say about a registration token: its length and expiry, never its characters.
    E.g. "812 characters, expires 2026-12-01 10:00 UTC" or "... expired 2026-11-01 10:00 UTC"."""
    if not token:
        return "no token"
    text = f"{len(token)} characters"
    expiry = decode_token_expiry(token)
    if expiry is None:
        return text + ", expiry unreadable"
    now = now or datetime.now(UTC)
    verb = "expired" if expiry <= now else "expires"
    return f"{text}, {verb} {expiry:%Y-%m-%d %H:%M} UTC"
