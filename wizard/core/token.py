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


def mask_secret(value: str | None, *, keep: int = 4) -> str:
    """"eyJh…(812 characters)…x9Q" style: enough to recognise which token it is, not enough to use it.
    Short values are fully hidden."""
    if not value:
        return ""
    if len(value) <= keep * 4:
        return "*" * 8
    return f"{value[:keep]}…({len(value)} characters)…{value[-keep:]}"
