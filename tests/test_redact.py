"""wizard.core.redact.redact: secrets never reach a terminal, a log copy or an evidence zip."""

from __future__ import annotations

import pytest

from wizard.core.parse import parse_command
from wizard.core.redact import plan_secrets, redact
from wizard.core.render import MASK

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJUeXBlIjoiQnVsa1JlZ2lzdHJhdGlvbiJ9.c2lnbmF0dXJlLXNlY3JldA"


@pytest.mark.parametrize(
    "text",
    [
        f"/regtoken:{JWT}",
        f'"C:\\WINDOWS\\ccmsetup\\ccmsetup.exe" /noservice /RegToken:"{JWT}" SMSSITECODE=P01',
        f"Ccmsetup command line: ccmsetup.exe /regtoken:{JWT}",
        f"Bearer {JWT} seen",
        f"token={JWT};",
    ],
)
def test_tokens_are_masked_and_the_rest_is_kept(text):
    masked = redact(text)
    assert JWT not in masked and JWT.split(".")[1] not in masked
    assert MASK in masked
    assert masked.replace(MASK, "").replace('""', "") == text.replace(JWT, "").replace('""', "")


def test_regtoken_switch_value_is_masked_even_when_it_is_not_a_jwt():
    assert redact("ccmsetup.exe /regtoken:opaque-value SMSSITECODE=P01") == \
        f"ccmsetup.exe /regtoken:{MASK} SMSSITECODE=P01"


def test_text_without_secrets_is_unchanged():
    text = "CcmSetup is exiting with return code 0; /mp:https://mp1.contoso.com SMSSITECODE=P01 eyJ"
    assert redact(text) == text


def test_plan_secret_is_masked_wherever_it_appears():
    plan = parse_command("ccmsetup.exe CCMHOSTNAME=cmg.contoso.com/CCM_Proxy_MutualAuth/1 SMSSITECODE=P01 "
                         "/regtoken:opaque-secret-value").plan
    assert plan_secrets(plan) == ["opaque-secret-value"]
    assert redact("echo opaque-secret-value again", plan) == f"echo {MASK} again"


def test_tiny_plan_secrets_are_not_masked_everywhere():
    plan = parse_command("ccmsetup.exe CCMHOSTNAME=cmg.contoso.com/CCM_Proxy_MutualAuth/1 SMSSITECODE=P01 "
                         "/regtoken:ab").plan
    assert plan_secrets(plan) == [] and redact("abc tab", plan) == "abc tab"
    assert plan_secrets(None) == []
