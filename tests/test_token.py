import base64
import json
from datetime import UTC, datetime

from wizard.core.token import decode_token_expiry, decode_token_payload, describe_token, mask_secret


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


def test_mask_secret_shows_the_length_and_none_of_the_characters():
    token = make_jwt({"exp": 1})
    masked = mask_secret(token)
    assert masked == f"********({len(token)} characters)"
    assert token[:4] not in masked and token[-4:] not in masked
    assert mask_secret("short") == "********"
    assert mask_secret(None) == ""


def test_describe_token_gives_length_and_expiry_never_characters():
    token = make_jwt({"exp": 4102444800})  # 2100-01-01
    text = describe_token(token, now=datetime(2026, 1, 1, tzinfo=UTC))
    assert text == f"{len(token)} characters, expires 2100-01-01 00:00 UTC"
    assert describe_token(token, now=datetime(2101, 1, 1, tzinfo=UTC)).endswith("expired 2100-01-01 00:00 UTC")
    assert describe_token("abc.def.ghi") == "11 characters, expiry unreadable"
    assert describe_token(None) == "no token"
