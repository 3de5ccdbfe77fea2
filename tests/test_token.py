import base64
import json
from datetime import UTC, datetime

from wizard.core.token import decode_token_expiry, decode_token_payload, mask_secret


def make_jwt(payload: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(payload)}.c2lnbmF0dXJl"


def test_expiry_is_read_from_the_payload_without_a_signature_check():
    token = make_jwt({"Type": "BulkRegistration", "aud": "urn:sccm:service", "exp": 1_900_000_000})
    assert decode_token_expiry(token) == datetime.fromtimestamp(1_900_000_000, tz=UTC)
    assert decode_token_payload(token)["Type"] == "BulkRegistration"


def test_unreadable_tokens_give_none():
    assert decode_token_expiry("not-a-token") is None
    assert decode_token_expiry("a.!!!.c") is None
    assert decode_token_expiry(make_jwt({"nbf": 1})) is None  # no exp
    assert decode_token_expiry(make_jwt({"exp": "soon"})) is None
    assert decode_token_expiry(make_jwt({"exp": True})) is None


def test_mask_secret_keeps_only_the_ends_of_long_values():
    token = make_jwt({"exp": 1})
    masked = mask_secret(token)
    assert token not in masked and masked.startswith(token[:4]) and masked.endswith(token[-4:])
    assert str(len(token)) in masked
    assert mask_secret("short") == "********"
    assert mask_secret(None) == ""
